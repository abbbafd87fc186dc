"""Every layer kind, registered by its YAML name (and aliases) in LAYERS; merges in MERGES."""
from . import activation, conv, dense, norm, pad, pool, reshape, shuffle  # noqa: F401  (registration)
from .base import (
    LAYERS,
    Args,
    Argument,
    BuildContext,
    Layer,
    ParamCount,
    Shape,
    numel,
    shape_str,
)
from .merge import MERGES, Merge

__all__ = ["LAYERS", "MERGES", "Args", "Argument", "BuildContext", "Layer", "Merge", "ParamCount", "Shape",
           "numel", "shape_str"]
