"""An Analysis as per-layer (or per-block) rows, with its footer: the columns each view
shows and how each cell reads. Renders; never computes figures."""
from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Any

from ..analysis import Analysis, Output, Row, Totals, convention_note
from ..layers import shape_str
from ..receptive import Field
from ..units import format_bytes as human_bytes
from ..units import format_count as human
from .table import EMPTY, table


class Column(Enum):
    NAME = "Layer"
    KIND = "Type"
    CONFIG = "Config"
    INPUT = "Input shape"
    OUTPUT = "Output shape"
    PER_FILTER = "Params/filter"
    PARAMS = "Params"
    PARAMS_SHARE = "% params"
    TRAINABLE = "Trainable"
    NON_TRAINABLE = "Non-trainable (Keras)"
    MACS = "MACs"
    MACS_SHARE = "% MACs"
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


# A table line is a layer (Row) or, cut at a depth, a block's subtotals (BlockTotal): both
# carry the same figures under the same names; only their type and config are their own.
if TYPE_CHECKING:  # blocks and memory load only where --depth or summary asks for them
    from ..footprint import Footprint
    from ..subtotals import BlockTotal

    Line = Row | BlockTotal


def _kind(line: Line) -> str:
    if isinstance(line, Row):
        return line.kind
    return line.kind


def _config(line: Line) -> str:
    if isinstance(line, Row):
        return line.node.layer.describe() or EMPTY
    return f"{line.layers} layer{'s' if line.layers != 1 else ''}"


def _indent(line: Line) -> int:
    return line.node.depth if isinstance(line, Row) else line.indent


def _memory(row: Line, bytes_per_value: int, separators: bool) -> Any:
    size = row.activations * bytes_per_value
    return human_bytes(size) if separators else size


def _share(part: int, whole: int, separators: bool) -> Any:
    """A part's share of a total, in percent (two decimals, as torchinfo's Param %)."""
    if not part or not whole:
        return EMPTY
    return f"{100 * part / whole:.2f}%" if separators else round(100 * part / whole, 4)


# one function per column, so a view computes only the cells it shows
_CELLS: dict[Column, Callable[[Line, int, bool], Any]] = {
    Column.NAME: lambda r, b, s: r.name,
    Column.KIND: lambda r, b, s: _kind(r),
    Column.CONFIG: lambda r, b, s: _config(r),
    Column.INPUT: lambda r, b, s: " + ".join(shape_str(x) for x in r.input_shapes),
    Column.OUTPUT: lambda r, b, s: shape_str(r.output_shape),
    Column.PER_FILTER: lambda r, b, s: _count(r.per_filter if isinstance(r, Row) else None, s),
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

# the share columns a cut view adds, each after the column it divides
SHARES = {Column.PARAMS: Column.PARAMS_SHARE, Column.MACS: Column.MACS_SHARE}


def _columns(view: str, depth: int | None) -> tuple[Column, ...]:
    """The view's columns; cut at a depth, params and summary also show each line's share
    of the parameters and MACs."""
    columns = VIEWS[view]
    if depth is None or view not in ("params", "summary"):
        return columns
    return tuple(c for column in columns
                 for c in ((column, SHARES[column]) if column in SHARES else (column,)))


# Markdown drops a cell's leading spaces, so nesting there is drawn: one guide per level
# above and a corner at the line's own ('│ │ └ name'), visible in the source and rendered.
TREE_GUIDE = "│ "
TREE_CORNER = "└ "


def nested_name(name: str, depth: int, fmt: str) -> str:
    """A name indented `depth` levels: two spaces a level in text tables, a drawn tree in
    Markdown (which would drop leading spaces), nothing in CSV."""
    if depth <= 0 or fmt == "csv":
        return name
    if fmt == "markdown":
        return TREE_GUIDE * (depth - 1) + TREE_CORNER + name
    return "  " * depth + name


def _params_line(t: Totals) -> str:
    """PyTorch's count, and Keras' whose parts add up: trainable + non-trainable (frozen
    weights and running statistics), which is more than PyTorch's when there are either."""
    keras = t.trainable_params + t.non_trainable_params
    if keras == t.params:
        return (f"Params: {t.params:,} ({human(t.params)}; PyTorch's parameters() and Keras' "
                f"total)   trainable {t.trainable_params:,}   non-trainable "
                f"{t.non_trainable_params:,}")
    return (f"Params: {t.params:,} ({human(t.params)}; PyTorch's parameters())   Keras: "
            f"{keras:,} = trainable {t.trainable_params:,} + non-trainable "
            f"{t.non_trainable_params:,} (frozen weights + running statistics "
            f"{t.buffers:,})")


def footer(analysis: Analysis) -> list[str]:
    """The totals under a table, each figure with its convention."""
    t = analysis.totals
    spec = analysis.spec
    field = t.rf
    lines = [
        (f"Input {shape_str(analysis.input_shape)} -> output "
         f"{shape_str(analysis.output_shape)}   rounding: "
         f"{spec.framework or spec.rounding or 'ceil'}"),
        _params_line(t),
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


def footer_more(analysis: Analysis, memory: Footprint | None = None,
                batch: Footprint | None = None) -> list[str]:
    """Footer lines after the totals: each output when there are several (or one that is
    not the last layer), the per-batch totals for a batch of more than one sample, and with
    `memory` the memory of a training step."""
    lines = []
    nodes = analysis.network.nodes
    if len(analysis.outputs) > 1 or analysis.outputs[0].ref != len(nodes) - 1:
        lines += [_output_line(output) for output in analysis.outputs]
    if batch is not None and batch.batch > 1:
        lines.append(f"Per batch of {batch.batch}: MACs {batch.macs:,} "
                     f"({human(batch.macs, 'MACs')})   other ops {batch.ops:,} "
                     f"({human(batch.ops)})   activations {batch.activations:,} values = "
                     f"{human_bytes(batch.activation_bytes)}")
    if memory is not None:
        lines.append(
            f"Training memory at batch {memory.batch}, {memory.dtype} (torchinfo's rule; "
            f"kB, MB = 10^3, 10^6 bytes): input {human_decimal_bytes(memory.input_bytes)}   "
            f"forward/backward pass {human_decimal_bytes(memory.forward_backward_bytes)}   "
            f"params {human_decimal_bytes(memory.param_bytes)}   estimated total "
            f"{human_decimal_bytes(memory.total_bytes)}")
    return lines


def human_decimal_bytes(count: float) -> str:
    """Bytes with decimal prefixes, as torchinfo states memory: 1 MB = 10^6 bytes."""
    for factor, prefix in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if count >= factor:
            return f"{count / factor:.2f} {prefix}"
    return f"{int(count)} B"


def _output_line(output: Output) -> str:
    """One output: its shape, the params and MACs of the layers it reads through, and its
    receptive field where it has one."""
    field = (f"   receptive field {_rf_size(output.rf)}, jump {_field_part(output.rf, 'jump')}"
             f" (at '{output.rf_layer}')" if output.rf else "")
    return (f"Output '{output.name}' {shape_str(output.shape)}: params {output.params:,}   "
            f"MACs {output.macs:,}{field}")


def render(analysis: Analysis, view: str, fmt: str, depth: int | None = None,
           batch: int = 1) -> str:
    """The view's columns in the chosen format (JSON always carries every figure and every
    layer). `depth` cuts the table at that block level (see `subtotals.at_depth`); `batch`
    adds per-batch totals to the footer, and summary's footer the memory of a training
    step."""
    if fmt == "json":
        import json

        from .json import to_json

        return json.dumps(to_json(analysis, batch), indent=2)
    columns = _columns(view, depth)
    pretty = fmt != "csv"
    width = analysis.spec.dtype_bytes
    if depth is None:
        lines: list[Line] = list(analysis.rows)
    else:
        from ..subtotals import at_depth

        lines = at_depth(analysis, depth)
    t = analysis.totals
    cells = {**_CELLS,
             Column.PARAMS_SHARE: lambda r, b, s: _share(r.weights, t.params, s),
             Column.MACS_SHARE: lambda r, b, s: _share(r.macs, t.macs, s)}
    chosen = [cells[c] for c in columns]
    rows = [[cell(line, width, pretty) for cell in chosen] for line in lines]
    if pretty and columns[0] is Column.NAME:  # indent what sits inside blocks and branches
        for line, row in zip(lines, rows):
            row[0] = nested_name(row[0], _indent(line), fmt)
    return table(analysis.spec.name, rows, [c.value for c in columns], fmt,
                 ["right" if c in _RIGHT else "left" for c in columns],
                 lambda: _footer(analysis, view, batch))


def _footer(analysis: Analysis, view: str, batch: int) -> list[str]:
    figures = None
    if batch > 1 or view == "summary":
        from ..footprint import footprint

        figures = footprint(analysis, batch)
    return footer(analysis) + footer_more(analysis, figures if view == "summary" else None,
                                          figures)


_RIGHT = {Column.PER_FILTER, Column.PARAMS, Column.PARAMS_SHARE, Column.TRAINABLE,
          Column.NON_TRAINABLE, Column.MACS, Column.MACS_SHARE, Column.OPS, Column.MEMORY,
          Column.RF, Column.JUMP, Column.START}


def notes(analysis: Analysis) -> list[str]:
    """What a reader should know that the figures do not say (the convention note)."""
    note = convention_note(analysis)
    return [note] if note else []
