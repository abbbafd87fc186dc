"""The lint rules, one module per family; importing this package registers every code.

S shapes, R receptive_field, P cost, O order, C portability, B budget, X unsupported
(D, the document check's stale tables, registers in markdown.py beside the check itself).
"""
from . import (  # noqa: F401  (registration)
    budget,
    cost,
    order,
    portability,
    receptive_field,
    shapes,
    unsupported,
)
