"""Render an Analysis as a table, Markdown, CSV or JSON. Renders; never computes figures."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from enum import Enum
from typing import Any

from .analysis import Analysis, Row, convention_note
from .json_location import location_json
from .layers import Shape, shape_str
from .receptive import Field
from .text import markdown_cell, one_line
from .units import format_bytes as human_bytes
from .units import format_count as human

FORMATS = ("table", "markdown", "csv", "json")
EMPTY = "--"


class Column(Enum):
    NAME = "Layer"
    KIND = "Type"
    CONFIG = "Config"
    INPUT = "Input shape"
    OUTPUT = "Output shape"
    PER_FILTER = "Params/filter"
    PARAMS = "Params"
    TRAINABLE = "Trainable"
    NON_TRAINABLE = "Non-trainable (Keras)"
    MACS = "MACs"
    OPS = "Other ops"
    MEMORY = "Act. memory"
    RF = "RF"
    JUMP = "Jump"
    START = "Start"


VIEWS: dict[str, tuple[Column, ...]] = {
    "shapes": (Column.NAME, Column.KIND, Column.CONFIG, Column.INPUT, Column.OUTPUT),
    "params": (Column.NAME, Column.KIND, Column.OUTPUT, Column.PER_FILTER, Column.PARAMS,
               Column.TRAINABLE, Column.NON_TRAINABLE),
    "rf": (Column.NAME, Column.KIND, Column.CONFIG, Column.OUTPUT, Column.RF, Column.JUMP,
           Column.START),
    "summary": (Column.NAME, Column.KIND, Column.CONFIG, Column.OUTPUT, Column.PARAMS,
                Column.MACS, Column.OPS, Column.MEMORY, Column.RF, Column.JUMP),
}


def per_axis(values: list[float]) -> str:
    """One figure when every axis agrees, else 'a x b'."""
    tidy = [_number(v) for v in values]
    return tidy[0] if len(set(tidy)) == 1 else " x ".join(tidy)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.4g}"


def _field_part(field: Field, part: str) -> str:
    return per_axis([getattr(f, part) for f in field]) if field else EMPTY


GLOBAL_MARK = "+g"
GLOBAL_LEGEND = (f"{GLOBAL_MARK}: a global path (a squeeze-and-excitation gate, a global pool "
                 "multiplied back) also reaches every input pixel on that axis; the number is "
                 "the local field")


def _rf_size(field: Field) -> str:
    """The local size per axis, marked where a global path sees every pixel, and '<='
    where the size is a bound (a period too long to unroll: see receptive.py)."""
    if not field:
        return EMPTY
    cells = [("" if f.exact else "<=") + _number(f.size) + (GLOBAL_MARK if f.sees_all else "")
             for f in field]
    return cells[0] if len(set(cells)) == 1 else " x ".join(cells)


def _count(value: int | None, separators: bool) -> Any:
    if not value:
        return EMPTY
    return f"{value:,}" if separators else value


def _memory(row: Row, bytes_per_value: int, separators: bool) -> Any:
    size = row.activations * bytes_per_value
    return human_bytes(size) if separators else size


# one function per column, so a view computes only the cells it shows
_CELLS: dict[Column, Callable[[Row, int, bool], Any]] = {
    Column.NAME: lambda r, b, s: r.name,
    Column.KIND: lambda r, b, s: r.kind,
    Column.CONFIG: lambda r, b, s: r.node.layer.describe() or EMPTY,
    Column.INPUT: lambda r, b, s: " + ".join(shape_str(x) for x in r.input_shapes),
    Column.OUTPUT: lambda r, b, s: shape_str(r.output_shape),
    Column.PER_FILTER: lambda r, b, s: _count(r.per_filter, s),
    Column.PARAMS: lambda r, b, s: _count(r.weights, s),
    Column.TRAINABLE: lambda r, b, s: _count(r.trainable, s),
    Column.NON_TRAINABLE: lambda r, b, s: _count(r.non_trainable, s),
    Column.MACS: lambda r, b, s: _count(r.macs, s),
    Column.OPS: lambda r, b, s: _count(r.ops, s),
    Column.MEMORY: _memory,
    Column.RF: lambda r, b, s: _rf_size(r.field),
    Column.JUMP: lambda r, b, s: _field_part(r.field, "jump"),
    Column.START: lambda r, b, s: _field_part(r.field, "start"),
}


def footer(analysis: Analysis) -> list[str]:
    """The totals under a table, each figure with its convention."""
    t = analysis.totals
    spec = analysis.spec
    field = t.rf
    lines = [
        (f"Input {shape_str(analysis.input_shape)} -> output "
         f"{shape_str(analysis.output_shape)}   rounding: "
         f"{spec.framework or spec.rounding or 'ceil'}"),
        (f"Params: {t.params:,} ({human(t.params)}; PyTorch's parameters())   trainable "
         f"{t.trainable_params:,}   non-trainable {t.non_trainable_params:,} (Keras: frozen "
         f"+ running statistics {t.buffers:,})"),
        (f"MACs: {t.macs:,} ({human(t.macs, 'MACs')}, conv + dense, bias excluded)   "
         f"other ops: {t.ops:,} ({human(t.ops)})"),
        (f"Activations: {t.activations:,} values = {human_bytes(t.activation_bytes)} per "
         f"sample at {spec.dtype}   params: {human_bytes(t.param_bytes)}"),
    ]
    if field:
        lines.append(f"Receptive field: {_rf_size(field)}, jump "
                     f"{_field_part(field, 'jump')}, start {_field_part(field, 'start')} "
                     f"(at '{t.rf_layer}')")
    if any(f.sees_all for r in analysis.rows for f in r.field):
        lines.append(GLOBAL_LEGEND)
    return lines


def render(analysis: Analysis, view: str, fmt: str) -> str:
    """The view's columns in the chosen format (JSON always carries every figure)."""
    if fmt == "json":
        import json

        return json.dumps(to_json(analysis), indent=2)
    columns = VIEWS[view]
    pretty = fmt != "csv"
    width = analysis.spec.dtype_bytes
    cells = [_CELLS[c] for c in columns]
    rows = [[cell(row, width, pretty) for cell in cells] for row in analysis.rows]
    if pretty and columns[0] is Column.NAME:  # indent what sits inside blocks and branches
        for row, line in zip(analysis.rows, rows):
            line[0] = "  " * row.node.depth + line[0]
    return table(analysis.spec.name, rows, [c.value for c in columns], fmt,
                 ["right" if c in _RIGHT else "left" for c in columns],
                 lambda: footer(analysis))


def _cell(value: Any, fmt: str) -> Any:
    """A cell as the format can carry it: names come from the spec and may hold newlines,
    terminal escapes or '|' (Markdown); numbers pass as they are."""
    if not isinstance(value, str):
        return value
    return markdown_cell(value) if fmt == "markdown" else one_line(value)


def table(title: str, rows: list[list[Any]], headers: list[str], fmt: str, align: list[str],
          footer_lines: Callable[[], list[str]]) -> str:
    """Rows as CSV (nothing else), a GitHub Markdown table with the footer as a list, or a
    titled text table with the footer under it. tabulate loads only for the text formats;
    cells keep their leading spaces, which show nesting. Every cell, the title and the
    footer are escaped for the format (`_cell`); CSV is quoted by the csv module."""
    rows = [[_cell(value, fmt) for value in row] for row in rows]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(rows)
        return out.getvalue().rstrip("\n")
    import tabulate

    text = tabulate.tabulate(rows, headers, tablefmt="github" if fmt == "markdown" else "simple",
                             disable_numparse=True, colalign=align, preserve_whitespace=True)
    footer = [one_line(line) for line in footer_lines()]
    if fmt == "markdown":
        return f"{text}\n\n" + "\n".join(f"- {line}" for line in footer)
    return f"{one_line(title)}\n{text}\n\n" + "\n".join(footer)


_RIGHT = {Column.PER_FILTER, Column.PARAMS, Column.TRAINABLE, Column.NON_TRAINABLE,
          Column.MACS, Column.OPS, Column.MEMORY, Column.RF, Column.JUMP, Column.START}


def _field_json(field: Field) -> dict[str, list[float | int | bool]]:
    """Per axis: the local size, jump, start, and whether a global path sees every pixel."""
    parts = [f.as_dict() for f in field]
    return {key: [p[key] for p in parts] for key in ("size", "jump", "start", "global")}


def _shape(shape: Shape) -> list[int]:
    return list(shape)


def to_json(analysis: Analysis) -> dict[str, Any]:
    """The JSON contract: names and units are stable; see the README."""
    t = analysis.totals
    spec = analysis.spec
    def layer(r: Row) -> dict[str, Any]:
        return {
            "name": r.name,
            "type": r.kind,
            "family": r.family,
            "config": r.node.layer.describe(),
            "input_shape": _shape(r.input_shape),
            **({"input_shapes": [_shape(s) for s in r.input_shapes]}
               if len(r.input_shapes) > 1 else {}),
            "output_shape": _shape(r.output_shape),
            "params": r.weights,
            "trainable_params": r.trainable,
            "non_trainable_params": r.non_trainable,
            "params_per_filter": r.per_filter,
            "macs": r.macs,
            "ops": r.ops,
            "activations": r.activations,
            "rf": _field_json(r.field),
            "location": location_json(r.node.location),
        }
    return {
        "name": spec.name,
        "file": spec.file,
        "framework": spec.framework,
        "rounding": spec.rounding or ("ceil" if spec.framework is None else None),
        "input_shape": _shape(analysis.input_shape),
        "output_shape": _shape(analysis.output_shape),
        "total_params": t.params,
        "trainable_params": t.trainable_params,
        "non_trainable_params": t.non_trainable_params,
        "buffers": t.buffers,
        "total_macs": t.macs,
        "total_ops": t.ops,
        "activations": t.activations,
        "activation_bytes": t.activation_bytes,
        "param_bytes": t.param_bytes,
        "dtype": spec.dtype,
        "rf": {**_field_json(t.rf), "layer": t.rf_layer},
        "layers": [layer(r) for r in analysis.rows],
        "mismatches": [{"location": location_json(m.location), "message": m.message}
                       for m in analysis.mismatches],
        "notes": notes(analysis),
    }


def notes(analysis: Analysis) -> list[str]:
    """What a reader should know that the figures do not say (the convention note)."""
    note = convention_note(analysis)
    return [note] if note else []
