"""Render a RunResult as a table, Markdown, CSV or JSON. Renders; never computes."""
from __future__ import annotations

import json
import math
from enum import Enum
from typing import Any

from ..json_location import location_json
from ..layers import Shape, shape_str
from ..report import EMPTY, human_bytes, table
from .runner import LayerRun, RunResult


class Column(Enum):
    NAME = "Layer"
    KIND = "Type"
    CALCULATED = "Calculated"
    EXECUTED = "Executed"
    MATCH = "Match"
    FORWARD = "Forward ms"
    BACKWARD = "Backward ms"
    GRADIENT = "Grad. error"


_RIGHT = {Column.FORWARD, Column.BACKWARD, Column.GRADIENT}


def _ms(value: float | None) -> str:
    return EMPTY if value is None else f"{value:,.2f}"


_CELLS = {
    Column.NAME: lambda r: r.name,
    Column.KIND: lambda r: r.kind,
    Column.CALCULATED: lambda r: shape_str(r.calculated),
    Column.EXECUTED: lambda r: shape_str(r.executed),
    Column.MATCH: lambda r: "yes" if r.match else "NO",
    Column.FORWARD: lambda r: _ms(r.forward_ms),
    Column.BACKWARD: lambda r: _ms(r.backward_ms),
    Column.GRADIENT: lambda r: EMPTY if r.gradient_error is None else f"{r.gradient_error:.1e}",
}


def columns(result: RunResult) -> list[Column]:
    shown = list(Column)
    if result.backward_ms is None:
        shown.remove(Column.BACKWARD)
    if not result.gradient_checked:
        shown.remove(Column.GRADIENT)
    return shown


def footer(result: RunResult) -> list[str]:
    mode = "train" if result.train else "eval"
    lines = [(f"batch {result.batch} of {_named(result.inputs, result.input_shape)}, "
              f"{result.dtype}, {mode} mode -> "
              f"{_named(result.outputs, result.output_shape)}"),
             f"loss ({result.loss_name}): {result.loss:.6g}",
             f"forward {result.forward_ms:,.1f} ms" + (
                 "" if result.backward_ms is None else
                 f", backward {result.backward_ms:,.1f} ms"),
             f"estimated peak memory: {human_bytes(result.memory.total)}"]
    shapes = sum(r.match for r in result.layers)
    lines.append(f"shapes: {shapes} of {len(result.layers)} layers as calculated" + (
        "" if result.ok else f"; {len(result.mismatches)} mismatch(es)"))
    return lines


def _named(values: tuple[tuple[str, Shape], ...], only: Shape) -> str:
    """One shape as it is; several as 'name [shape], name [shape]'."""
    if len(values) <= 1:
        return shape_str(only)
    return ", ".join(f"{name} {shape_str(shape)}" for name, shape in values)


def render(result: RunResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_json(result), indent=2, allow_nan=False)
    shown = columns(result)
    rows = [[_CELLS[c](r) for c in shown] for r in result.layers]
    if fmt != "csv":
        for row, layer in zip(rows, result.layers):
            row[0] = "  " * layer.depth + row[0]
    return table(result.name, rows, [c.value for c in shown], fmt,
                 ["right" if c in _RIGHT else "left" for c in shown], lambda: footer(result))


def _layer_json(layer: LayerRun) -> dict[str, Any]:
    return {"name": layer.name, "kind": layer.kind, "calculated": list(layer.calculated),
            "executed": list(layer.executed), "match": layer.match,
            "forward_ms": layer.forward_ms, "backward_ms": layer.backward_ms,
            "gradient_error": _number(layer.gradient_error)}


def _number(value: float | None) -> float | None:
    """JSON has no inf or NaN: a non-finite figure is null (a mismatch says why)."""
    return value if value is not None and math.isfinite(value) else None


def to_json(result: RunResult) -> dict[str, Any]:
    return {
        "name": result.name, "batch": result.batch, "dtype": result.dtype,
        "mode": "train" if result.train else "eval",
        "input_shape": list(result.input_shape), "output_shape": list(result.output_shape),
        "inputs": [{"name": name, "shape": list(shape)} for name, shape in result.inputs],
        "outputs": [{"name": name, "shape": list(shape)} for name, shape in result.outputs],
        "loss": {"name": result.loss_name, "value": _number(result.loss)},
        "forward_ms": result.forward_ms, "backward_ms": result.backward_ms,
        "memory_estimate": {"activations": result.memory.activations,
                            "parameters": result.memory.parameters,
                            "workspace": result.memory.workspace,
                            "total": result.memory.total},
        "layers": [_layer_json(r) for r in result.layers],
        "mismatches": [{"location": location_json(m.location), "message": m.message}
                       for m in result.mismatches],
        "ok": result.ok,
    }
