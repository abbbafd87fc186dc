"""A network as a drawing: boxes, arrows and the block clusters around them, in no format.

The renderers (mermaid.py, dot.py) only lay this model out as text; what is drawn is decided
here once. Full depth draws one box per layer; at a depth N, one box per block instance at
level N, exactly as `subtotals.at_depth` groups the table's rows. The network's inputs and
outputs are boxes of their own, so side outputs (an auxiliary head) and merges (a residual
add, a concat of branches) appear as the graph they are. Computes; never prints.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from ..analysis import Analysis, Row
from ..graph import Network, Ref
from ..layers import Shape
from ..subtotals import BlockTotal, at_depth
from ..units import prefix_for


class Role(Enum):
    INPUT = "input"
    LAYER = "layer"
    BLOCK = "block"
    OUTPUT = "output"


@dataclass(frozen=True)
class Box:
    """One box: `ident` is safe in every format (n0, n1, ...; inputs i0, outputs y0);
    the label parts are raw text (a renderer escapes them)."""

    ident: str
    role: Role
    name: str
    kind: str        # a layer's kind, a block's definition, 'input' or 'output'
    detail: str      # a layer's key arguments; a block's layer count and params
    shape: str       # the output shape, as 64x56x56
    cluster: str | None  # the innermost cluster holding it
    main: bool       # on the main path (from the first input to the first output)


@dataclass(frozen=True)
class Arrow:
    """A tensor from one box to another; `label` is its size where the source changed the
    shape (empty where the shape passes through unchanged)."""

    source: str
    target: str
    label: str
    main: bool


@dataclass(frozen=True)
class Cluster:
    """A block instance drawn around its boxes: `ident` c0, c1, ...; `parent` the cluster
    around it, if any."""

    ident: str
    name: str
    kind: str
    parent: str | None


@dataclass(frozen=True)
class Diagram:
    """The whole drawing, each part in execution order (deterministic)."""

    title: str
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]
    clusters: tuple[Cluster, ...]


def label_lines(box: Box) -> tuple[str, ...]:
    """A box's label, line by line, raw text: its name first, then what it is (kind and
    key arguments; a block's definition, layers and params), then its output shape."""
    if box.role in (Role.INPUT, Role.OUTPUT):
        title = box.kind if box.name == box.kind else f"{box.kind} {box.name}"
        return title, box.shape
    what = f"{box.kind}: {box.detail}" if box.role is Role.BLOCK else \
        f"{box.kind} {box.detail}".strip()
    return (box.name, what, box.shape) if box.name != box.kind else (what, box.shape)


def cluster_label(cluster: Cluster) -> str:
    return f"{cluster.name} ({cluster.kind})"


def members(diagram: Diagram) -> dict[str | None, list[Box | Cluster]]:
    """What each cluster holds directly (None: the top level), boxes and clusters in the
    order their first boxes run, so that a renderer can write the clusters nested."""
    held: dict[str | None, list[Box | Cluster]] = {None: []}
    clusters = {c.ident: c for c in diagram.clusters}
    for box in diagram.boxes:
        chain, at = [], box.cluster   # the clusters around it not placed yet, innermost first
        while at is not None and at not in held:
            chain.append(clusters[at])
            at = clusters[at].parent
        for cluster in reversed(chain):
            held[cluster.parent].append(cluster)
            held[cluster.ident] = []
        held[box.cluster].append(box)
    return held


def nested(diagram: Diagram, box: Callable[[Box], str],
           opening: Callable[[Cluster], list[str]], closing: str, indent: str) -> list[str]:
    """The boxes as lines, each cluster's between its `opening` lines (the first opens it,
    the rest sit inside) and `closing`, indented one `indent` per level from level 1."""
    held = members(diagram)
    out: list[str] = []

    def write(at: str | None, level: int) -> None:
        pad = indent * level
        for item in held[at]:
            if isinstance(item, Box):
                out.append(pad + box(item))
                continue
            first, *inside = opening(item)
            out.extend([pad + first] + [pad + indent + line for line in inside])
            write(item.ident, level + 1)
            out.append(pad + closing)

    write(None, 1)
    return out


def shape_text(shape: Shape) -> str:
    """(64, 56, 56) -> '64x56x56', as layer configs write kernels ('3x3')."""
    return "x".join(str(n) for n in shape) or "scalar"


def _count(value: int) -> str:
    """A parameter count for a label: 1,234 -> '1.2k', 11,689,512 -> '11.7M'."""
    factor, prefix = prefix_for(value)
    return f"{value / factor:.1f}{prefix}" if factor > 1 else str(value)


def _short(name: str, cluster: str | None) -> str:
    """A layer's name inside its block's cluster, without the block's name in front."""
    if cluster and name.startswith(cluster + "."):
        return name[len(cluster) + 1:]
    return name


def _main_path(network: Network) -> dict[Ref, Ref | None]:
    """The values on the main path, each with the value the path reaches it from: the
    longest chain of layers from a network input to the first output (through a U-Net's
    bottleneck, a residual block's convolutions), so that skips and shortcuts are what
    bends around it; ties go to the earlier input."""
    longest: dict[Ref, int] = {-1 - k: 0 for k in range(len(network.inputs))}
    for node in network.nodes:  # execution order is a topological order
        longest[node.index] = 1 + max((longest[ref] for ref in node.inputs), default=0)
    path: dict[Ref, Ref | None] = {}
    at: Ref | None = network.outputs[0]
    while at is not None:
        inputs = network.nodes[at].inputs if at >= 0 else ()
        before = max(inputs, key=lambda ref: (longest[ref], -inputs.index(ref))) \
            if inputs else None
        path[at] = before
        at = before
    return path


def build_diagram(analysis: Analysis, depth: int | None = None) -> Diagram:
    """The drawing of `analysis`: every layer (`depth` None), or cut at `depth` as
    `at_depth` cuts the tables (0: the network as one box). Raises ValueError for a
    negative depth."""
    network = analysis.network
    lines: list[Row | BlockTotal] = list(analysis.rows) if depth is None else \
        at_depth(analysis, depth)
    box_of: dict[Ref, str] = {-1 - k: f"i{k}" for k in range(len(network.inputs))}
    block_box: dict[str, str] = {}
    entering: dict[str, Shape] = {}  # per box, the shape that enters it (its first input)
    for number, line in enumerate(lines):
        if isinstance(line, Row):
            box_of[line.node.index] = f"n{number}"
        else:
            block_box[line.name] = f"n{number}"
        entering[f"n{number}"] = line.input_shapes[0]
    for row in analysis.rows:  # a layer inside a block drawn as one box is that box
        if depth is not None and row.node.index not in box_of:
            box_of[row.node.index] = "n0" if depth == 0 else \
                block_box[row.node.blocks[depth - 1]]
    main = _main_path(network)
    on_main = {box_of[ref] for ref in main}
    clusters: dict[str, Cluster] = {}
    boxes = [Box(f"i{k}", Role.INPUT, put.name, "input", "", shape_text(put.shape), None,
                 f"i{k}" in on_main) for k, put in enumerate(network.inputs)]
    for number, line in enumerate(lines):
        ident = f"n{number}"
        if isinstance(line, Row):
            node = line.node
            cluster = _clusters(clusters, node.blocks, node.block_kinds)
            name = _short(line.name, node.blocks[-1] if node.blocks else None)
            boxes.append(Box(ident, Role.LAYER, name, line.kind, node.layer.describe(),
                             shape_text(line.output_shape), cluster, ident in on_main))
        else:
            first = network.nodes[line.first]
            outer = max(line.level - 1, 0)
            cluster = _clusters(clusters, first.blocks[:outer], first.block_kinds[:outer])
            detail = f"{line.layers} layer{'s' * (line.layers != 1)}, " \
                     f"{_count(line.weights)} params"
            name = _short(line.name, first.blocks[outer - 1] if outer else None)
            boxes.append(Box(ident, Role.BLOCK, name, line.kind, detail,
                             shape_text(line.output_shape), cluster, ident in on_main))
    arrows: dict[tuple[str, str], Arrow] = {}
    for node in network.nodes:
        for ref in node.inputs:
            _arrow(arrows, network, entering, box_of[ref], box_of[node.index], ref,
                   node.index in main and main[node.index] == ref)
    for k, ref in enumerate(network.outputs):
        boxes.append(Box(f"y{k}", Role.OUTPUT, network.output_name(k), "output", "",
                         shape_text(network.shape(ref)), None, k == 0))
        _arrow(arrows, network, entering, box_of[ref], f"y{k}", ref, k == 0)
    return Diagram(analysis.spec.name, tuple(boxes), tuple(arrows.values()),
                   tuple(clusters.values()))


def _clusters(clusters: dict[str, Cluster], enclosing: tuple[str, ...],
              kinds: tuple[str, ...]) -> str | None:
    """The innermost cluster of a box inside the block instances `enclosing` (outermost
    first), adding the clusters not drawn yet."""
    parent: str | None = None
    for name, kind in zip(enclosing, kinds):
        if name not in clusters:
            clusters[name] = Cluster(f"c{len(clusters)}", _short(name, parent), kind,
                                     clusters[parent].ident if parent else None)
        parent = name
    return clusters[parent].ident if parent else None


def _arrow(arrows: dict[tuple[str, str], Arrow], network: Network,
           entering: dict[str, Shape], source: str, target: str, ref: Ref, main: bool
           ) -> None:
    """An arrow carrying the value `ref` from box `source` into box `target`, unless both
    are one box or already joined; labelled with the size where the source box changed
    the shape (a network input's size is always shown)."""
    if source == target or (source, target) in arrows:
        return
    shape = network.shape(ref)
    changed = source not in entering or entering[source] != shape
    arrows[(source, target)] = Arrow(source, target, shape_text(shape) if changed else "",
                                     main)


__all__ = ["Arrow", "Box", "Cluster", "Diagram", "Role", "build_diagram", "cluster_label",
           "label_lines", "members", "nested", "shape_text"]
