"""Rendering: an Analysis as a text table, Markdown, CSV (`layers`, through the one table
writer in `table`) or JSON (`json`). Renders; never computes figures."""
from .layers import (
    GLOBAL_LEGEND,
    GLOBAL_MARK,
    VIEWS,
    Column,
    footer,
    footer_more,
    human,
    human_bytes,
    human_decimal_bytes,
    nested_name,
    notes,
    per_axis,
    render,
)
from .table import EMPTY, FORMATS, table


def __getattr__(name: str) -> object:  # the JSON writer loads only for --format json
    if name == "to_json":
        from .json import to_json

        return to_json
    raise AttributeError(f"module 'cnncalc.report' has no attribute {name!r}")


__all__ = ["EMPTY", "FORMATS", "GLOBAL_LEGEND", "GLOBAL_MARK", "VIEWS", "Column", "footer",
           "footer_more", "human", "human_bytes", "human_decimal_bytes", "nested_name",
           "notes", "per_axis", "render", "table", "to_json"]
