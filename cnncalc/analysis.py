"""A built network -> per-layer rows and totals. Computes; never prints."""
from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .build import build
from .errors import Location, SpecError
from .graph import Network, Node, Ref
from .layers import Shape, numel, shape_str
from .receptive import AxisField, Field, merge_fields
from .spec import NetSpec, load_file, parse
from .spec.yamlpos import Mapping
from .values import Compared, Value


class Row(Value):
    """The figures of one layer, for one sample (no batch axis)."""

    node: Node
    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    weights: int          # learnable parameters (PyTorch's parameters())
    buffers: int          # running statistics (Keras: non-trainable)
    per_filter: int | None
    filters: int | None
    macs: int             # conv and dense multiply-accumulates, bias excluded
    ops: int              # every other elementary operation
    field: Field          # receptive field at this layer's output, per input axis

    @property
    def name(self) -> str:
        return self.node.name

    @property
    def kind(self) -> str:
        return self.node.layer.kind

    @property
    def family(self) -> str:
        return self.node.layer.family

    @property
    def input_shape(self) -> Shape:
        return self.input_shapes[0]

    @property
    def activations(self) -> int:
        """Output elements per sample."""
        return numel(self.output_shape)

    @property
    def trainable(self) -> int:
        return self.weights if self.node.trainable else 0

    @property
    def non_trainable(self) -> int:
        """Keras' count: frozen weights plus running statistics."""
        return self.buffers + (0 if self.node.trainable else self.weights)


class Totals(Value):
    """Whole-network figures, per sample."""

    params: int               # PyTorch's sum of parameters().numel()
    trainable_params: int
    non_trainable_params: int  # Keras: frozen weights + running statistics
    buffers: int
    macs: int
    ops: int
    activations: int          # sum of every layer's output elements
    activation_bytes: int
    param_bytes: int
    rf: Field                 # the headline field: see _headline
    rf_layer: str


class Output(Value):
    """One of the network's outputs and what it depends on: the params and MACs of the
    layers it reads through, and its headline receptive field (see `_headline`)."""

    name: str
    ref: Ref
    shape: Shape
    params: int
    macs: int
    rf: Field
    rf_layer: str


class Mismatch(Compared):
    """A stated expectation that the calculation contradicts."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class Misalignment(Value):
    """Branches meeting with different jumps or centers (Araujo et al., 2019)."""

    node: Node
    branch_fields: tuple[Field, ...]


class Analysis(Value):
    network: Network
    rows: tuple[Row, ...]
    totals: Totals
    mismatches: tuple[Mismatch, ...]
    misalignments: tuple[Misalignment, ...]
    outputs: tuple[Output, ...] = ()

    @property
    def spec(self) -> NetSpec:
        return self.network.spec

    @property
    def input_shape(self) -> Shape:
        return self.network.input_shape

    @property
    def output_shape(self) -> Shape:
        return self.network.output_shape


@contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cycle collector: building makes many small acyclic objects, and its
    passes over them would make the cost grow faster than the number of layers."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def analyze_file(path: str | Path) -> Analysis:
    """Load, build and analyse a spec file (raises SpecError for a bad spec)."""
    with no_gc():
        return analyze(build(load_file(path)))


def analyze_text(text: str, file: str = "<spec>") -> Analysis:
    with no_gc():
        return analyze(build(parse(text, file)))


def analyze(network: Network) -> Analysis:
    """Every layer's figures, the totals, each output's figures, and the expectations that
    do not hold."""
    rows, misaligned = _rows(network)
    spec = network.spec
    start = tuple(AxisField() for _ in network.input_shape[1:])
    memo: dict[Ref, Row | None] = {}
    outputs = tuple(_output(network, index, rows, start, memo)
                    for index in range(len(network.outputs)))
    main = outputs[0]
    totals = Totals(
        params=sum(r.weights for r in rows),
        trainable_params=sum(r.trainable for r in rows),
        non_trainable_params=sum(r.non_trainable for r in rows),
        buffers=sum(r.buffers for r in rows),
        macs=sum(r.macs for r in rows),
        ops=sum(r.ops for r in rows),
        activations=sum(r.activations for r in rows),
        activation_bytes=sum(r.activations for r in rows) * spec.dtype_bytes,
        param_bytes=sum(r.weights + r.buffers for r in rows) * spec.dtype_bytes,
        rf=main.rf,
        rf_layer=main.rf_layer,
    )
    mismatches = [m for r in rows if r.node.expect for m in _row_mismatches(r, r.node.expect)]
    if spec.expect is not None:
        mismatches += _net_mismatches(spec.expect, network, totals, outputs)
    return Analysis(network, tuple(rows), totals, tuple(mismatches), tuple(misaligned),
                    outputs)


def _rows(network: Network) -> tuple[list[Row], list[Misalignment]]:
    """One row per node, in order: each field from the fields of the values it reads."""
    input_size = network.input_shape[1:]
    start = tuple(AxisField() for _ in input_size)
    fields: dict[Ref, Field] = {-1 - i: start for i in range(len(network.inputs))}
    rows: list[Row] = []
    misaligned: list[Misalignment] = []
    for node in network.nodes:
        ins = [fields[ref] for ref in node.inputs]
        if any(0 < len(network.shape(ref)) - 1 != len(start) for ref in node.inputs):
            # after a flatten or reshape that changed the number of spatial axes, positions
            # no longer follow the input's axes: the field passes on as a bound (+g)
            field, aligned = merge_fields(ins)
            field = tuple(f.seeing_all() for f in field)
        else:
            field, aligned = node.layer.receptive_fields(ins, input_size)
        if not aligned:
            misaligned.append(Misalignment(node, tuple(ins)))
        fields[node.index] = field
        rows.append(_row(node, field, tuple(network.shape(r) for r in node.inputs)))
    return rows, misaligned


def _output(network: Network, index: int, rows: list[Row], start: Field,
            memo: dict[Ref, Row | None]) -> Output:
    ref = network.outputs[index]
    reached = [rows[i] for i in network.ancestors(ref)]
    head = _headline(network, ref, rows, memo)
    return Output(network.output_name(index), ref, network.shape(ref),
                  sum(r.weights for r in reached), sum(r.macs for r in reached),
                  head.field if head else start, head.name if head else "input")


NOTE_NAMES = 3  # layers a note names before it counts the rest


def convention_note(analysis: Analysis) -> str | None:
    """With no framework chosen, a note naming the windowed layers whose output size
    PyTorch would give otherwise (floor rounding; ceil_mode pools drop a window that starts
    in the padding), each compared on the input it gets here, and how to choose PyTorch's
    convention. None when a framework is chosen or every size agrees."""
    if analysis.spec.framework is not None:
        return None
    from .geometry import rule_for

    differing = []
    for row in analysis.rows:
        layer = row.node.layer
        windows = layer.windows()
        if not windows:
            continue
        rule = rule_for(layer.family, "pytorch", None, getattr(layer, "ceil_mode", False))
        ours = [w.count for w in windows]
        theirs = [w.count_under(rule) for w in windows]
        if ours != theirs:
            differing.append(f"{row.name} {_sizes(ours)} here, {_sizes(theirs)} in PyTorch")
    if not differing:
        return None
    named = "; ".join(differing[:NOTE_NAMES])
    more = f"; and {len(differing) - NOTE_NAMES} more" if len(differing) > NOTE_NAMES else ""
    layers = "1 layer" if len(differing) == 1 else f"{len(differing)} layers"
    return (f"note: sizes differ from PyTorch's at {layers} (and what follows): {named}"
            f"{more}. cnncalc rounds up by default (the ceil rule); to follow PyTorch, write "
            f"'framework: pytorch' in the spec or pass --framework pytorch.")


def _sizes(counts: list[int]) -> str:
    return "x".join(str(c) for c in counts)


def _is_spatial(row: Row) -> bool:
    return numel(row.output_shape[1:]) > 1


def _headline(network: Network, ref: Ref, rows: list[Row],
              memo: dict[Ref, Row | None]) -> Row | None:
    """The row whose field is an output's headline: the output itself if it is spatial,
    else, looking back through the layers that are not (a classifier head), the largest
    field among the last spatial layers it reads, so that the answer does not depend on
    the order of branches (two heads under an add). None: only inputs before it."""
    if ref < 0:
        return None
    if ref in memo:
        return memo[ref]
    found: Row | None = None
    stack = [(ref, False)]  # iterative: a chain of 100,000 flat layers must not recurse
    while stack:
        at, ready = stack.pop()
        if at in memo:
            continue
        row = rows[at]
        if _is_spatial(row):
            memo[at] = row
            continue
        sources = [r for r in network.nodes[at].inputs if r >= 0]
        if not ready:
            stack.append((at, True))
            stack.extend((r, False) for r in sources if r not in memo)
            continue
        candidates = [memo[r] for r in sources if memo.get(r) is not None]
        memo[at] = max(candidates, key=field_order) if candidates else None  # type: ignore[arg-type]
    found = memo[ref]
    return found


def field_order(row: Row) -> tuple[Any, ...]:
    """Largest field first: total size, then size per axis; jump and start only break
    ties, so equal fields in swapped branches give the same figures."""
    sizes = [f.size for f in row.field]
    return (math.prod(sizes), sizes, [f.jump for f in row.field],
            [f.start for f in row.field])


def _row(node: Node, field: Field, shapes: tuple[Shape, ...]) -> Row:
    layer = node.layer
    params = layer.params()
    return Row(node, shapes, layer.output_shape(), params.weights, params.buffers,
               params.per_filter, params.filters, layer.macs(), layer.ops(), field)


def _row_mismatches(row: Row, expect: Mapping) -> list[Mismatch]:
    label = f"{row.kind} '{row.name}'"
    return _compare(expect, label, row.output_shape, row.weights, row.macs,
                    row.field, None)


def _net_mismatches(expect: Mapping, network: Network, totals: Totals,
                    outputs: tuple[Output, ...]) -> list[Mismatch]:
    found = _compare(expect, f"network '{network.spec.name}'", network.output_shape,
                     totals.params, totals.macs, totals.rf, totals.trainable_params)
    wanted = expect.get("outputs") or Mapping()
    by_name = {output.name: output for output in outputs}
    for name, sub in wanted.items():
        output = by_name.get(name)
        if output is None:
            raise SpecError.at(wanted.where_key(name), f"expected output '{name}' is not an "
                                                       f"output of the network; its outputs: "
                                                       f"{', '.join(by_name)} (declare them "
                                                       f"with 'outputs:')")
        found += _compare(sub, f"output '{name}'", output.shape, output.params, output.macs,
                          output.rf, None)
    return found


def _compare(expect: Mapping, label: str, shape: Shape, params: int, macs: int,
             field: Field, trainable: int | None) -> list[Mismatch]:
    found: list[Mismatch] = []

    def differs(key: str, what: str, wanted: Any, got: Any) -> None:
        if wanted != got:
            found.append(Mismatch(expect.where(key),
                                  f"{label}: expected {what} {wanted}, calculated {got}"))

    for key, wanted in expect.items():
        if key == "outputs":
            continue  # each output is compared on its own
        if key in ("shape", "output_shape"):
            differs(key, "output shape", shape_str(tuple(wanted)), shape_str(shape))
        elif key == "params":
            differs(key, "params", f"{wanted:,}", f"{params:,}")
        elif key == "trainable_params":
            differs(key, "trainable params", f"{wanted:,}", f"{trainable:,}")
        elif key == "macs":
            differs(key, "MACs", f"{wanted:,}", f"{macs:,}")
        elif key == "rf":
            for part, wanted_part, got in _rf_parts(wanted, field):
                if not all(math.isclose(w, g) for w, g in zip(wanted_part, got)) or len(
                        wanted_part) != len(got):
                    differs(key, f"receptive field {part}", _fmt(wanted_part), _fmt(got))
    return found


def _rf_parts(wanted: Any, field: Field) -> list[tuple[str, list[float], list[float]]]:
    def per_axis(value: Any) -> list[float]:
        return list(value) if isinstance(value, list) else [value] * len(field)
    if isinstance(wanted, dict):
        return [(part, per_axis(value), [getattr(f, part) for f in field])
                for part, value in wanted.items()]
    return [("size", per_axis(wanted), [f.size for f in field])]


def _fmt(values: list[float]) -> str:
    tidy = [int(v) if float(v).is_integer() else round(v, 4) for v in values]
    return str(tidy[0]) if len(set(tidy)) == 1 else str(tidy)
