"""The lint rules, one module per family; importing this package registers every code.

S shapes, R receptive_field, P cost, O order, C portability, B budget, G graph, D documents
(what `cnncalc check` finds in a design document), X unsupported.
"""
from . import (  # noqa: F401  (registration)
    budget,
    cost,
    documents,
    graph,
    order,
    portability,
    receptive_field,
    shapes,
    unsupported,
)
