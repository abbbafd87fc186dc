"""What changed between two versions of a network: layers and blocks matched, added, removed
and changed, and the change of every figure. Computes; never prints (see report/diff.py).

Matching works block by block, from the network down: the children of two matched block
instances (their layers and inner blocks, in execution order) are aligned in three passes,
each over what the one before left unmatched:

1. by name, where the spec gave one (`name: stem`): an automatic name (`conv3`, `basic2`)
   counts the entries of its kind before it, so an inserted layer would shift every later
   one; those are left to the next passes;
2. by content, kind and arguments (a block: its definition and its layers' contents), as
   a sequence alignment (difflib's SequenceMatcher), so an inserted layer or block leaves
   the identical ones around it matched;
3. by kind alone (a layer: its kind; a block: its definition), aligned again, so a widened
   or restrided layer matches its old self; two runs of equal length whose kinds differ
   are matched one to one (a relu that became a gelu).

A block instance matched by content or kind keeps its match when renamed (`layer1` ->
`stage1`), and so do the layers inside it. What stays unmatched is added or removed.
"""
from __future__ import annotations

import enum
import re
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from ..analysis import Analysis, Row, no_gc
from ..errors import Location
from ..layers import Shape, shape_str
from ..receptive import Field
from ..subtotals import BlockTotal, block_totals, network_total
from ..values import Value


class Status(str, enum.Enum):
    """What happened to a layer or block between the old and the new side."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"      # its own kind or arguments (a block: something inside it)
    RENAMED = "renamed"      # only its name
    AFFECTED = "affected"    # the same definition, other shapes or figures: from upstream
    SAME = "same"


class Figures(Value):
    """The figures of one layer, block instance or network on one side, per sample."""

    params: int
    trainable_params: int
    macs: int
    activations: int          # output elements (a block, a network: summed over layers)
    activation_bytes: int
    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    rf_size: tuple[int, ...]  # per spatial axis of the input
    rf_jump: tuple[float, ...]


class Change(Value):
    """One thing that differs, as text: `what` ('stride', 'output_shape', 'params', ...)."""

    what: str
    old: str
    new: str


class Delta(Value):
    """A figure on both sides, and its signed change."""

    old: float
    new: float

    @property
    def absolute(self) -> float:
        return self.new - self.old

    @property
    def relative(self) -> float | None:
        """The change as a fraction of the old figure; None when the old one is 0."""
        return None if self.old == 0 else (self.new - self.old) / self.old


class Pair(Value):
    """A layer or block instance on one side or both. `level`: for a block, the block
    instances enclosing it, itself included (`layer1` 1, `layer1.basic1` 2); for a layer,
    the block instances enclosing it. `within`: the name of the added or removed block it
    lies in, if any (it is then not listed on its own). `location`: where the new side
    wrote it (a block: the entry that uses it), else where the old side did."""

    is_block: bool
    status: Status
    type: str                    # layer kind or block definition (the new side's, if any)
    level: int
    old_name: str | None
    new_name: str | None
    old: Figures | None
    new: Figures | None
    changes: tuple[Change, ...]
    location: Location
    within: str | None = None

    @property
    def name(self) -> str:
        return self.new_name if self.new_name is not None else self.old_name  # type: ignore[return-value]

    def delta(self, figure: str) -> Delta:
        """One figure (a Figures field holding a number) on both sides; 0 where absent."""
        return Delta(getattr(self.old, figure) if self.old else 0,
                     getattr(self.new, figure) if self.new else 0)


class Port(Value):
    """A network input or output on both sides (None where a side has no such port); an
    input's Figures hold only its shape, an output's its shape, the params and MACs it
    depends on and its headline receptive field."""

    name: str
    old: Figures | None
    new: Figures | None
    location: Location

    @property
    def shape_changed(self) -> bool:
        return _shape_of(self.old) != _shape_of(self.new)


def _shape_of(figures: Figures | None) -> Shape | None:
    return None if figures is None else figures.output_shape


class Diff(Value):
    """Two analyses compared: every matched or unmatched layer and block (`pairs`, in the
    order the new side runs them, an outer block before what it holds; removed ones where
    they stood), the inputs and outputs, and both networks' totals (`network`)."""

    old: Analysis
    new: Analysis
    old_source: str
    new_source: str
    pairs: tuple[Pair, ...]
    network: Pair
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]

    @property
    def layers(self) -> tuple[Pair, ...]:
        return tuple(p for p in self.pairs if not p.is_block)

    @property
    def blocks(self) -> tuple[Pair, ...]:
        return tuple(p for p in self.pairs if p.is_block)

    @property
    def identical(self) -> bool:
        """Nothing differs: every layer and block the same, the same inputs and outputs."""
        return (all(p.status is Status.SAME for p in self.pairs) and
                not self.network.changes and
                not any(p.shape_changed for p in (*self.inputs, *self.outputs)))

    def delta(self, figure: str) -> Delta:
        """A whole-network figure (a Figures field) on both sides."""
        return self.network.delta(figure)

    def listed(self, status: Status, blocks: bool) -> list[Pair]:
        """The layers (or blocks) with `status`, except those inside an added or removed
        block (which the block stands for)."""
        return [p for p in self.pairs if p.is_block == blocks and p.status is status
                and p.within is None]

    def at_depth(self, depth: int) -> list[Pair]:
        """The pairs of a view cut at `depth` (as `summary --depth`): each block instance at
        that level, and every layer enclosed by fewer blocks; 0: the network as one."""
        if depth < 0:
            raise ValueError(f"a depth is a nesting level, 0 or more; found {depth}")
        if depth == 0:
            return [self.network]
        return [p for p in self.pairs if (p.is_block and p.level == depth) or
                (not p.is_block and p.level < depth)]


def compare(old: Analysis, new: Analysis, old_source: str = "", new_source: str = "") -> Diff:
    """The diff from `old` to `new`; `*_source` name the sides as the user gave them."""
    with no_gc():  # many small acyclic objects: the collector's passes would only cost
        old_tree, new_tree = _tree(old), _tree(new)
        pairs: list[Pair] = []
        _pair_children(old_tree, new_tree, pairs, None)
    network = _network_pair(old, new, pairs)
    return Diff(old, new, old_source or old.spec.file, new_source or new.spec.file,
                tuple(pairs), network, _inputs(old, new), _outputs(old, new))


# -- the two trees -----------------------------------------------------------------------

class _Item:
    """A layer or block instance of one side, with the block's children in order."""

    __slots__ = ("_arguments", "_content", "_figures", "children", "dtype_bytes", "is_block",
                 "level", "local", "location", "name", "row", "total", "type")

    def __init__(self, name: str, local: str, type_: str, is_block: bool, level: int,
                 location: Location, dtype_bytes: int, row: Row | None = None):
        self.name, self.local, self.type, self.is_block = name, local, type_, is_block
        self.level, self.location, self.row = level, location, row
        self.dtype_bytes = dtype_bytes
        self.total: BlockTotal | None = None
        self.children: list[_Item] = []
        self._content: Hashable | None = None
        self._arguments: dict[str, str] | None = None
        self._figures: Figures | None = None

    def arguments(self) -> dict[str, str]:
        """A layer's arguments as text (see `_arguments`); computed once."""
        if self._arguments is None:
            assert self.row is not None
            self._arguments = _arguments(self.row)
        return self._arguments

    def figures(self) -> Figures:
        if self._figures is None:
            self._figures = _figures_of(self)
        return self._figures

    def content(self) -> Hashable:
        """Kind and arguments (input shapes aside); a block: its definition and contents."""
        if self._content is None:
            if self.row is not None:
                self._content = (self.type, tuple(sorted(self.arguments().items())))
            else:
                self._content = (self.type, tuple(c.content() for c in self.children))
        return self._content

    def walk(self) -> Iterator[_Item]:
        yield self
        for child in self.children:
            yield from child.walk()


def _tree(analysis: Analysis) -> _Item:
    """The network as nested block instances holding layers, in execution order."""
    dtype_bytes = analysis.spec.dtype_bytes
    root = _Item(analysis.spec.name, "", "network", True, 0, analysis.spec.root.location,
                 dtype_bytes)
    totals = {b.name: b for b in block_totals(analysis)}
    open_blocks: dict[str, _Item] = {}
    for row in analysis.rows:
        node = row.node
        parent = root
        for level, block in enumerate(node.blocks):
            item = open_blocks.get(block)
            if item is None:
                site = node.block_sites[level] if level < len(node.block_sites) else \
                    node.location
                item = _Item(block, _local(block, parent), node.block_kinds[level], True,
                             level + 1, site, dtype_bytes)
                item.total = totals[block]
                open_blocks[block] = item
                parent.children.append(item)
            parent = item
        parent.children.append(_Item(node.name, _local(node.name, parent), row.kind, False,
                                     len(node.blocks), node.location, dtype_bytes, row))
    return root


def _local(name: str, parent: _Item) -> str:
    """A name relative to the block instance holding it: 'layer1.basic1.conv2' -> 'conv2'."""
    prefix = parent.name + "." if parent.level > 0 else ""
    return name.removeprefix(prefix)


def _automatic(item: _Item) -> bool:
    """Whether the name looks like one cnncalc gave (kind and a count: 'conv3',
    'relu6_1', 'basic2', 'residual1'): such names shift when an entry is inserted."""
    kinds = "|".join(re.escape(k) for k in (item.type, "residual", "branches"))
    return re.fullmatch(rf"(?:{kinds})_?\d+", item.local) is not None


# -- alignment -----------------------------------------------------------------------------

def _by_name(item: _Item) -> Hashable:
    return ("named", item.is_block, item.local) if not _automatic(item) else object()


def _by_content(item: _Item) -> Hashable:
    return ("content", item.is_block, item.content())


def _by_kind(item: _Item) -> Hashable:
    return ("kind", item.is_block, item.type)


_PASSES: tuple[Callable[[_Item], Hashable], ...] = (_by_name, _by_content, _by_kind)


def _align(old: list[_Item], new: list[_Item], passes: int = 0
           ) -> list[tuple[_Item | None, _Item | None]]:
    """old and new children paired in order (None: no partner), pass by pass."""
    if not old or not new:
        return [(o, None) for o in old] + [(None, n) for n in new]
    if passes == len(_PASSES):  # what is left: runs of equal length pair one to one
        if len(old) == len(new) and all(o.is_block == n.is_block for o, n in zip(old, new)):
            return list(zip(old, new))
        return [(o, None) for o in old] + [(None, n) for n in new]
    from difflib import SequenceMatcher

    key = _PASSES[passes]
    old_keys, new_keys = [key(o) for o in old], [key(n) for n in new]
    # the common ends first, in linear time: SequenceMatcher's cost grows with the product
    # of the lengths where keys repeat (a long plain net of identical relus)
    head = 0
    while head < min(len(old), len(new)) and old_keys[head] == new_keys[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and \
            old_keys[len(old) - 1 - tail] == new_keys[len(new) - 1 - tail]:
        tail += 1
    aligned: list[tuple[_Item | None, _Item | None]] = list(zip(old[:head], new[:head]))
    middle_old, middle_new = old[head:len(old) - tail], new[head:len(new) - tail]
    matcher = SequenceMatcher(None, old_keys[head:len(old) - tail],
                              new_keys[head:len(new) - tail], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            aligned.extend(zip(middle_old[i1:i2], middle_new[j1:j2]))
        else:
            aligned.extend(_align(middle_old[i1:i2], middle_new[j1:j2], passes + 1))
    aligned.extend(zip(old[len(old) - tail:], new[len(new) - tail:]))
    return aligned


# -- comparing matched items ---------------------------------------------------------------

def _pair_children(old: _Item, new: _Item, pairs: list[Pair], within: str | None) -> Status:
    """Pair the children of two matched blocks (appending to `pairs`, each block before
    its contents); the status their changes give the enclosing block."""
    found = {_pair(o, n, pairs, within) for o, n in _align(old.children, new.children)}
    if found & {Status.ADDED, Status.REMOVED, Status.CHANGED}:
        return Status.CHANGED
    return Status.AFFECTED if Status.AFFECTED in found else Status.SAME


def _pair(old: _Item | None, new: _Item | None, pairs: list[Pair], within: str | None
          ) -> Status:
    item = new if new is not None else old
    assert item is not None
    if old is None or new is None:
        status = Status.ADDED if old is None else Status.REMOVED
        pairs.append(_make(old, new, status, (), within))
        for child in list(item.walk())[1:]:
            pairs.append(_make(child if old else None, child if new else None, status, (),
                               within or item.name))
        return status
    index = len(pairs)
    pairs.append(_make(old, new, Status.SAME, (), within))  # replaced below
    own = _own_changes(old, new)
    figures = _figure_changes(old.figures(), new.figures())
    if old.is_block:
        inner = _pair_children(old, new, pairs, within)
        if any(c.what == "type" for c in own):
            inner = Status.CHANGED
    else:
        inner = Status.CHANGED if any(c.what != "name" for c in own) else Status.SAME
    if inner is Status.SAME and figures:
        inner = Status.AFFECTED
    if inner is Status.SAME and own:
        inner = Status.RENAMED
    pairs[index] = _make(old, new, inner, (*own, *figures), within)
    return inner


def _make(old: _Item | None, new: _Item | None, status: Status,
          changes: tuple[Change, ...], within: str | None) -> Pair:
    item = new if new is not None else old
    assert item is not None
    return Pair(item.is_block, status, item.type, item.level,
                old.name if old else None, new.name if new else None,
                old.figures() if old else None, new.figures() if new else None,
                changes, item.location, within)


def _own_changes(old: _Item, new: _Item) -> tuple[Change, ...]:
    """Name, kind (or block definition) and, for a layer, each argument that differs."""
    found = []
    # a renamed enclosing block says so itself, and renumbered automatic names are noise
    if old.local != new.local and not (_automatic(old) and _automatic(new)):
        found.append(Change("name", old.name, new.name))
    if old.type != new.type:
        found.append(Change("type", old.type, new.type))
    if old.row is not None and new.row is not None:
        if old.type != new.type:
            old_text, new_text = old.row.node.layer.describe(), new.row.node.layer.describe()
            if old_text != new_text:
                found.append(Change("config", old_text or "--", new_text or "--"))
        else:
            was, now = old.arguments(), new.arguments()
            for key in sorted(set(was) | set(now)):
                if was.get(key) != now.get(key):
                    found.append(Change(key, was.get(key, "--"), now.get(key, "--")))
    return tuple(found)


def _arguments(row: Row) -> dict[str, str]:
    """A layer's resolved arguments as text (input shape aside: that is a figure), and
    whether it is trainable."""
    layer = row.node.layer
    found = {name: argument_text(getattr(layer, name)) for name in layer.fields
             if name != "input_shape"}
    if not row.node.trainable:
        found["trainable"] = "false"
    return found


def argument_text(value: Any) -> str:
    """An argument as a spec would write it: (3, 3) -> '3', ((1, 1), (0, 0)) -> '[1, 0]',
    a rounding rule by its label."""
    if isinstance(value, tuple):
        parts = [argument_text(v) for v in value]
        if parts and all(p == parts[0] for p in parts):
            return parts[0]
        return "[" + ", ".join(parts) + "]"
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "none"}[value]
    if isinstance(value, enum.Enum):
        return str(value.value)
    if hasattr(value, "label"):
        return str(value.label)
    return str(value)


_FIGURE_CHANGES = ("input_shapes", "output_shape", "params", "macs")


def _figure_changes(old: Figures, new: Figures) -> tuple[Change, ...]:
    """Shapes and the counts that follow from them (activations and receptive field follow
    the shapes and are left to the figures)."""
    found = []
    for what in _FIGURE_CHANGES:
        was, now = getattr(old, what), getattr(new, what)
        if was != now:
            found.append(Change(what, figure_text(was), figure_text(now)))
    return tuple(found)


def figure_text(value: Any) -> str:
    """A figure for a Change: counts with thousands separators, shapes as [C, H, W]."""
    if isinstance(value, tuple):
        if value and isinstance(value[0], tuple):
            return ", ".join(figure_text(v) for v in value)
        return shape_str(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def _figures_of(item: _Item) -> Figures:
    line = item.row if item.row is not None else item.total
    assert line is not None
    return _line_figures(line, item.dtype_bytes)


def _line_figures(line: Row | BlockTotal, dtype_bytes: int) -> Figures:
    """A layer's row or a block's total (they name their figures alike) as Figures."""
    size, jump = _field(line.field)
    return Figures(line.weights, line.trainable, line.macs, line.activations,
                   line.activations * dtype_bytes, line.input_shapes, line.output_shape,
                   size, jump)


def _field(field: Field) -> tuple[tuple[int, ...], tuple[float, ...]]:
    return tuple(f.size for f in field), tuple(f.jump for f in field)


def _network_pair(old: Analysis, new: Analysis, pairs: list[Pair]) -> Pair:
    """The whole networks as one pair: their totals; changed when anything inside is."""
    was = _line_figures(network_total(old), old.spec.dtype_bytes)
    now = _line_figures(network_total(new), new.spec.dtype_bytes)
    changes = [Change("name", old.spec.name, new.spec.name)] if \
        old.spec.name != new.spec.name else []
    changes += _figure_changes(was, now)
    if was.rf_size != now.rf_size or was.rf_jump != now.rf_jump:
        changes.append(Change("rf", _rf_text(was), _rf_text(now)))
    if old.spec.dtype != new.spec.dtype:
        changes.append(Change("dtype", old.spec.dtype, new.spec.dtype))
    moved = [p for p in pairs if p.status not in (Status.SAME, Status.RENAMED)]
    status = Status.CHANGED if any(p.status is not Status.AFFECTED for p in moved) else \
        Status.AFFECTED if moved or changes else Status.SAME
    return Pair(True, status, "network", 0, old.spec.name, new.spec.name, was, now,
                tuple(changes), new.spec.root.location)


def _rf_text(figures: Figures) -> str:
    size = figure_text(figures.rf_size) if len(set(figures.rf_size)) > 1 else \
        str(figures.rf_size[0]) if figures.rf_size else "--"
    jumps = [f"{j:g}" for j in figures.rf_jump]
    jump = jumps[0] if len(set(jumps)) == 1 else "[" + ", ".join(jumps) + "]"
    return f"{size} (jump {jump})" if jumps else size


def _shape_only(shape: Shape) -> Figures:
    return Figures(0, 0, 0, 0, 0, (), shape, (), ())


def _inputs(old: Analysis, new: Analysis) -> tuple[Port, ...]:
    """Each input, matched by name, then by position."""
    was = {i.name: i for i in old.network.inputs}
    now = {i.name: i for i in new.network.inputs}
    names = _ports(list(was), list(now))
    return tuple(Port(n_new or n_old,
                      _shape_only(was[n_old].shape) if n_old else None,
                      _shape_only(now[n_new].shape) if n_new else None,
                      (now[n_new] if n_new else was[n_old]).location)  # type: ignore[index]
                 for n_old, n_new in names)


def _outputs(old: Analysis, new: Analysis) -> tuple[Port, ...]:
    """Each output, matched by name, then by position, with the params and MACs it depends
    on and its headline field (its Figures hold only those and its shape)."""
    was = {o.name: o for o in old.outputs}
    now = {o.name: o for o in new.outputs}
    found = []
    for n_old, n_new in _ports(list(was), list(now)):
        sides: list[Figures | None] = []
        for name, side in ((n_old, was), (n_new, now)):
            if name is None:
                sides.append(None)
                continue
            output = side[name]
            size, jump = _field(output.rf)
            sides.append(Figures(output.params, 0, output.macs, 0, 0, (), output.shape, size,
                                 jump))
        at = new.network.nodes[now[n_new].ref].location if n_new and now[n_new].ref >= 0 \
            else new.spec.root.location
        found.append(Port(n_new or n_old, sides[0], sides[1], at))
    return tuple(found)


def _ports(old: list[str], new: list[str]) -> list[tuple[str | None, str | None]]:
    """Names paired: the same name, then what is left by position."""
    same = [n for n in new if n in old]
    rest_old = [n for n in old if n not in new]
    rest_new = [n for n in new if n not in old]
    paired: list[tuple[str | None, str | None]] = [(n, n) for n in same]
    paired += list(zip(rest_old, rest_new))
    paired += [(n, None) for n in rest_old[len(rest_new):]]
    paired += [(None, n) for n in rest_new[len(rest_old):]]
    return paired
