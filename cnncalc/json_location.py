"""The one form a place in a spec takes in cnncalc's JSON outputs (SARIF keeps its own)."""
from __future__ import annotations

from typing import Any

from .errors import Location


def location_json(location: Location) -> dict[str, Any]:
    """{"file": "net.yaml", "line": 3, "column": 5}: 1-based line and column, as editors
    count them and as `FILE:LINE:COL` prints them."""
    return {"file": location.file, "line": location.line, "column": location.column}
