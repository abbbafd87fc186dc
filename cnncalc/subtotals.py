"""Block subtotals: the figures of every block instance, and a view of the network cut at a
nesting depth (torchinfo's `depth`, Keras' nested models). Computes; never prints.

A block instance is a use of a spec `blocks:` definition (`layer1`, `layer1.basic1`); its
level is how many block instances enclose it, itself included (`layer1` is at level 1,
`layer1.basic1` at level 2), read from each node's `blocks` path. Residuals and branches
are not blocks: their layers count in the block they are written in.
"""
from __future__ import annotations

from dataclasses import dataclass

from .analysis import Analysis, Row
from .graph import Ref
from .layers import Shape
from .receptive import Field


@dataclass(frozen=True, eq=False, repr=False)
class BlockTotal:
    """One block instance (or, at level 0, the whole network) and the sums of its layers'
    figures, per sample. Its input is what its layers read from outside it (in the order
    first read), its output and receptive field those of its last layer."""

    name: str
    kind: str             # the block's definition in the spec's `blocks:` ('network' at 0)
    level: int            # enclosing block instances, itself included; 0: the network
    indent: int           # nesting for indentation, as Node.depth counts it
    first: int            # index of its first node
    layers: int           # how many nodes it holds
    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    weights: int
    trainable: int
    non_trainable: int
    buffers: int
    macs: int
    ops: int
    activations: int      # output elements of its layers, summed
    field: Field

    @property
    def input_shape(self) -> Shape:
        return self.input_shapes[0]


def block_totals(analysis: Analysis) -> tuple[BlockTotal, ...]:
    """Every block instance at every level, in the order their first layers run (an outer
    block before the blocks inside it)."""
    members: dict[str, list[Row]] = {}
    for row in analysis.rows:
        for name in row.node.blocks:
            members.setdefault(name, []).append(row)
    found = [_total(analysis, name, rows, _level(rows[0], name)) for name, rows in
             members.items()]
    return tuple(sorted(found, key=lambda b: (b.first, b.level)))


def network_total(analysis: Analysis) -> BlockTotal:
    """The whole network as one row (level 0): what `--depth 0` shows."""
    return _total(analysis, analysis.spec.name, list(analysis.rows), 0)


def at_depth(analysis: Analysis, depth: int) -> list[Row | BlockTotal]:
    """The rows of a view cut at `depth`: each block instance at that level as one row in
    place of its layers; a layer enclosed by fewer blocks stays a row of its own. Depth 0
    is the network as one row; a depth past the deepest block gives every layer."""
    if depth < 0:
        raise ValueError(f"a depth is a nesting level, 0 or more; found {depth}")
    if depth == 0:
        return [network_total(analysis)]
    order: list[Row | str] = []  # a layer, or the name of a block where its first layer runs
    members: dict[str, list[Row]] = {}
    for row in analysis.rows:
        blocks = row.node.blocks
        if len(blocks) < depth:
            order.append(row)
        elif blocks[depth - 1] in members:
            members[blocks[depth - 1]].append(row)
        else:
            members[blocks[depth - 1]] = [row]
            order.append(blocks[depth - 1])
    return [_total(analysis, item, members[item], depth) if isinstance(item, str) else item
            for item in order]


def _level(row: Row, name: str) -> int:
    return row.node.blocks.index(name) + 1


def _total(analysis: Analysis, name: str, rows: list[Row], level: int) -> BlockTotal:
    inside = {r.node.index for r in rows}
    network = analysis.network
    outside: dict[Ref, None] = {}
    for row in rows:
        for ref in row.node.inputs:
            if ref not in inside:
                outside.setdefault(ref)
    output, field = rows[-1].output_shape, rows[-1].field
    if level == 0:  # the network: all its inputs, its main output and headline field
        outside = {-1 - k: None for k in range(len(network.inputs))}
        output, field = analysis.output_shape, analysis.totals.rf
    # a block's layers sit one level deeper than the block was written at; each block
    # nested between them adds one more (see build._Inherited.nested)
    indent = 0 if level == 0 else min(
        r.node.depth - (len(r.node.blocks) - level) for r in rows) - 1
    kind = "network" if level == 0 else rows[0].node.block_kinds[level - 1]
    return BlockTotal(
        name=name, kind=kind, level=level, indent=max(indent, 0), first=rows[0].node.index,
        layers=len(rows),
        input_shapes=tuple(network.shape(ref) for ref in outside),
        output_shape=output,
        weights=sum(r.weights for r in rows),
        trainable=sum(r.trainable for r in rows),
        non_trainable=sum(r.non_trainable for r in rows),
        buffers=sum(r.buffers for r in rows),
        macs=sum(r.macs for r in rows),
        ops=sum(r.ops for r in rows),
        activations=sum(r.activations for r in rows),
        field=field,
    )


__all__ = ["BlockTotal", "at_depth", "block_totals", "network_total"]
