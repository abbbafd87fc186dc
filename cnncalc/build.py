"""Spec entries -> a tree of built layers, walking the shapes from the input.

A built network is a sequence of steps; a step is a `Node` (one layer) or a `Parallel`
(branches that meet at a merge node). Blocks and `repeat` are expanded here, and every node
gets a stable name: its own, or kind + counter within its block instance (`conv3`,
`layer1.0.conv2`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import limits
from .errors import Location, Problems, SpecError, close_matches, show
from .expr import substitute
from .geometry import ROUNDINGS
from .layers import LAYERS, MERGES, Args, BuildContext, Layer, Merge, Shape, numel, shape_str
from .spec import BlockDef, NetSpec, check_expectation
from .yamlpos import Mapping, Sequence

META_KEYS = ("name", "repeat", "expect", "rounding", "trainable", "lint", "when")
STRUCTURES = ("residual", "branches")


@dataclass(frozen=True, eq=False, repr=False)
class Node:
    """One built layer and what the spec said about it."""

    name: str
    layer: Layer
    location: Location
    expect: Mapping | None = None
    trainable: bool = True
    lint_ignore: tuple[str, ...] = ()
    depth: int = 0

    @property
    def input_shape(self) -> Shape:
        return self.layer.input_shape

    @property
    def output_shape(self) -> Shape:
        return self.layer.output_shape()


@dataclass(frozen=True, eq=False, repr=False)
class Parallel:
    """Branches fed the same input; their outputs meet at `merge`."""

    branches: tuple[tuple[Step, ...], ...]
    merge: Node

    @property
    def output_shape(self) -> Shape:
        return self.merge.output_shape


Step = Node | Parallel


@dataclass(frozen=True, eq=False, repr=False)
class Network:
    """A spec, built: the steps in order, and its input and output shapes."""

    spec: NetSpec
    steps: tuple[Step, ...]

    @property
    def input_shape(self) -> Shape:
        return self.spec.input_shape

    @property
    def output_shape(self) -> Shape:
        return self.steps[-1].output_shape if self.steps else self.spec.input_shape

    def nodes(self) -> list[Node]:
        """Every node in execution order: a branch's layers, then its merge."""
        out: list[Node] = []

        def walk(steps: tuple[Step, ...]) -> None:
            for step in steps:
                if isinstance(step, Parallel):
                    for branch in step.branches:
                        walk(branch)
                    out.append(step.merge)
                else:
                    out.append(step)
        walk(self.steps)
        return out


@dataclass
class _Scope:
    """Names within one block instance: its prefix, the counters, the names taken."""

    prefix: str = ""
    counters: dict[str, int] = field(default_factory=dict)
    taken: dict[str, Location] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        """Every layer of a kind counts, named or not, so naming one renames no other."""
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return self.counters[kind]

    def name(self, given: str | None, kind: str, location: Location) -> str:
        number = self.count(kind)
        if given:
            return self.claim(given, location)
        join = "_" if kind[-1].isdigit() else ""  # relu6_1, not relu61
        name = f"{kind}{join}{number}"
        while name in self.taken:  # a user already took it: keep counting
            number = self.count(kind)
            name = f"{kind}{join}{number}"
        return self.claim(name, location)

    def claim(self, name: str, location: Location) -> str:
        if name in self.taken:
            first = self.taken[name]
            raise SpecError.at(location, f"the name '{self.prefix}{name}' is already used "
                                         f"(line {first.line}); names must be unique")
        self.taken[name] = location
        return self.prefix + name


@dataclass(frozen=True)
class _Inherited:
    """Settings an entry passes to everything inside it (blocks, branches)."""

    rounding: str | None = None
    trainable: bool = True
    lint_ignore: tuple[str, ...] = ()
    depth: int = 0
    env: tuple[tuple[str, Any], ...] = ()


def build(spec: NetSpec, max_layers: int | None = None) -> Network:
    """Walk the spec from its input: expand blocks and repeats, build and name every layer.

    Raises SpecError with every problem found (up to `MAX_PROBLEMS`): after an entry fails,
    its output shape is unknown, so later entries are checked only for what does not depend
    on it (kinds, argument mappings, entry keys, block parameters). At most `max_layers`
    layers are built (default `limits.max_layers()`); the count of an entry is estimated
    before it is expanded, so `repeat: 1000000000` fails at once.
    """
    builder = _Builder(spec, limits.max_layers() if max_layers is None else max_layers)
    steps, _ = builder.sequence(spec.layers, spec.input_shape, _Scope(), _Inherited(
        rounding=spec.rounding))
    builder.problems.raise_if_any()
    return Network(spec, tuple(steps))


class _Builder:
    def __init__(self, spec: NetSpec, max_layers: int):
        self.spec = spec
        self.max_layers = max_layers
        self.built = 0  # layers (and merges) built so far
        self.visited = 0  # entries read so far, built or not
        self.problems = Problems(limits.MAX_PROBLEMS)
        self.known_kinds = set(LAYERS) | set(spec.blocks) | set(STRUCTURES)
        self.block_stack: list[str] = []
        # id(entry) -> (entry, holds a $ value?); the entry is kept so its id stays its own
        self.parametric: dict[int, tuple[Any, bool]] = {}
        # id(list of entries) or block name -> (the list, fewest layers it expands to)
        self.smallest: dict[Any, tuple[Any, int]] = {}

    def has_parameters(self, item: Any) -> bool:
        """Whether an entry holds `$name` or `${...}` anywhere; known once per entry, as a
        block's entries are the same objects in every instance."""
        key = id(item)
        if key not in self.parametric:
            self.parametric[key] = (item, _mentions_parameter(item))
        return self.parametric[key][1]

    def sequence(self, items: Sequence, shape: Shape | None, scope: _Scope,
                 inherited: _Inherited) -> tuple[list[Step], Shape | None]:
        """The entries in order; `shape` None = unknown (an earlier entry failed)."""
        steps: list[Step] = []
        for index, item in enumerate(items):
            try:
                new, shape = self.entry(item, items.where(index), shape, scope, inherited)
            except SpecError as error:
                self.problems.add(error)
                shape = None
                continue
            steps.extend(new)
        return steps, shape

    def entry(self, item: Any, location: Location, shape: Shape | None, scope: _Scope,
              inherited: _Inherited) -> tuple[list[Step], Shape | None]:
        self.visit(1, location)
        if inherited.env and self.has_parameters(item):
            item = substitute(item, dict(inherited.env), location)
        kind, args, meta = _split(item, location, self.known_kinds)
        if meta and "when" in meta:  # a conditional entry, e.g. a projection shortcut
            when = meta["when"]
            if not isinstance(when, bool):
                raise SpecError.at(meta.where("when"), f"'when' must be true or false (or an "
                                                       f"expression giving one); found "
                                                       f"{show(when)}")
            if not when:
                return [], shape
        repeat = _meta_int(meta, "repeat", 1, location)
        rounding = meta.get("rounding", inherited.rounding) if meta else inherited.rounding
        if rounding is not None and (not isinstance(rounding, str) or
                                     rounding not in ROUNDINGS):
            raise SpecError.at(meta.where("rounding"), f"'rounding' must be ceil or floor; "
                                                       f"found {show(rounding)}")
        trainable = meta.get("trainable", True) if meta else True
        if not isinstance(trainable, bool):
            raise SpecError.at(meta.where("trainable"), "'trainable' must be true or false")
        inner = _Inherited(rounding, inherited.trainable and trainable,
                           inherited.lint_ignore + _lint_ignore(meta),
                           inherited.depth, inherited.env)
        name = meta.get("name") if meta else None
        if name is not None and (not isinstance(name, str) or not name):
            raise SpecError.at(meta.where("name"), f"'name' must be text; found {show(name)}")
        if shape is not None:
            self.reserve(repeat * self.fewest(kind, args), location)
            if repeat > 1 and kind in self.spec.blocks:  # each copy reads every entry
                entries = repeat * len(self.spec.blocks[kind].layers)
                if self.visited + entries > 4 * self.max_layers:
                    self.visit(entries, location)  # refuses before expanding
        else:
            _expect(meta, location)  # built layers check it; here nothing else would
            repeat = 1  # checking only: one copy says all a copy can say without shapes
        steps: list[Step] = []
        for copy in range(repeat):
            own = name if repeat == 1 or name is None else f"{name}.{copy}"
            new, shape = self.one(kind, args, meta, location, shape, scope, inner, own)
            steps.extend(new)
            if shape is None:  # a copy failed: the next would fail alike, so stop here
                break
        return steps, shape

    def reserve(self, layers: int, location: Location) -> None:
        """Refuse an entry whose expansion would pass the layer cap, before expanding it."""
        if self.built + layers > self.max_layers:
            many = f"more than {self.max_layers:,} layers" if layers > self.max_layers else \
                f"{layers:,} more layers after the {self.built:,} before it"
            raise SpecError.at(location, f"this entry expands to {many}; the limit is "
                                         f"{self.max_layers:,} (raise it with --max-layers "
                                         f"or {limits.LAYERS_ENV})")

    def visit(self, entries: int, location: Location) -> None:
        """Entries under 'when: false' build nothing, yet a repeat of them is still work:
        at most four entries per allowed layer are read."""
        self.visited += entries
        if self.visited > 4 * self.max_layers:
            raise SpecError.at(location, f"this spec expands to more than "
                                         f"{4 * self.max_layers:,} entries (blocks, repeats "
                                         f"and conditions); the limit is four times the "
                                         f"layer limit (raise it with --max-layers or "
                                         f"{limits.LAYERS_ENV})")

    def count(self, location: Location) -> None:
        self.built += 1
        self.reserve(0, location)

    def fewest(self, kind: str, args: Any) -> int:
        """The fewest layers one copy of an entry expands to (entries under 'when' and
        repeats given by parameters count as none and once), saturating past the cap."""
        cap = self.max_layers + 1
        if kind in self.spec.blocks:
            block = self.spec.blocks[kind]
            if block.name not in self.smallest:
                self.smallest[block.name] = (block, 0)  # a block inside itself adds nothing
                self.smallest[block.name] = (block, self.fewest_in(block.layers))
            return self.smallest[block.name][1]
        if kind == "residual" and isinstance(args, Mapping):
            return min(cap, 1 + sum(self.fewest_in(args.get(key)) for key in
                                    ("main", "shortcut")))
        if kind == "branches" and isinstance(args, Sequence):
            return min(cap, 1 + sum(self.fewest_in(path) for path in args))
        return 1 if kind in LAYERS or kind in STRUCTURES else 0

    def fewest_in(self, items: Any) -> int:
        if not isinstance(items, Sequence):
            return 0
        if id(items) not in self.smallest:
            self.smallest[id(items)] = (items, 0)
            total = 0
            for item in items:
                if isinstance(item, str):
                    total += self.fewest(item, None)
                elif isinstance(item, Mapping) and "when" not in item:
                    kinds = [k for k in item if k not in META_KEYS and k != "merge"]
                    repeat = item.get("repeat", 1)
                    if len(kinds) == 1:
                        repeat = repeat if _is_int(repeat) and repeat >= 1 else 1
                        total += repeat * self.fewest(kinds[0], item[kinds[0]])
                total = min(total, self.max_layers + 1)
            self.smallest[id(items)] = (items, total)
        return self.smallest[id(items)][1]

    def one(self, kind: str, args: Any, meta: Mapping, location: Location,
            shape: Shape | None, scope: _Scope, inherited: _Inherited, name: str | None
            ) -> tuple[list[Step], Shape | None]:
        if kind in STRUCTURES:
            return self.parallel(kind, args, meta, location, shape, scope, inherited, name)
        if kind in self.spec.blocks:
            return self.block(self.spec.blocks[kind], args, location, shape, scope, inherited,
                              name)
        cls = LAYERS.get(kind)
        if cls is None:
            raise SpecError.at(location, _unknown_kind(kind, self.spec.blocks))
        full = scope.name(name, cls.kind, location)
        if args is not None and not isinstance(args, Mapping):
            raise SpecError.at(location, f"{cls.kind} '{full}': arguments must be a mapping "
                                         f"like {{kernel: 3}}; found {show(args)}")
        if shape is None:
            return [], None
        self.count(location)
        label = f"{cls.kind} '{full}'"
        ctx = BuildContext(self.spec.framework, inherited.rounding, kind, label, location)
        try:
            layer = cls.build(Args(args, ctx), shape)
            out = layer.output_shape()
        except (OverflowError, ValueError):  # sizes beyond what arithmetic can hold
            raise SpecError.at(location, f"{label}: its sizes are too large to "
                                         f"compute") from None
        _check_size(out, location, label)
        node = Node(full, layer, location, _expect(meta, location), inherited.trainable,
                    inherited.lint_ignore, inherited.depth)
        return [node], out

    def block(self, block: BlockDef, args: Any, location: Location, shape: Shape | None,
              scope: _Scope, inherited: _Inherited, name: str | None
              ) -> tuple[list[Step], Shape | None]:
        if block.name in self.block_stack:
            raise SpecError.at(location, f"block '{block.name}' uses itself "
                                         f"({' -> '.join(self.block_stack + [block.name])})")
        if inherited.depth >= limits.MAX_BLOCK_DEPTH:
            raise SpecError.at(location, f"blocks and branches nest deeper than "
                                         f"{limits.MAX_BLOCK_DEPTH} levels")
        given = args if isinstance(args, Mapping) else Mapping()
        if args is not None and not isinstance(args, Mapping):
            raise SpecError.at(location, f"block '{block.name}': arguments must be a mapping "
                                         f"of its params ({', '.join(block.params)})")
        for key in given:
            if key not in block.params:
                raise SpecError.at(given.where_key(key), f"block '{block.name}': unknown "
                                                         f"parameter '{key}'; expected "
                                                         f"{', '.join(block.params) or 'none'}")
        env = {key: given.get(key, default) for key, default in block.params.items()}
        missing = [key for key, value in env.items() if value is None]
        if missing:
            raise SpecError.at(location, f"block '{block.name}': missing parameter "
                                         f"{', '.join(repr(m) for m in missing)}")
        full = scope.name(name, block.name, location)
        if shape is None:  # the parameters' values may depend on in_channels: stop here
            return [], None
        env["in_channels"] = shape[0]
        inner = _Inherited(inherited.rounding, inherited.trainable, inherited.lint_ignore,
                           inherited.depth + 1, tuple(env.items()))
        self.block_stack.append(block.name)
        try:
            steps, out = self.sequence(block.layers, shape, _Scope(full + "."), inner)
        finally:
            self.block_stack.pop()
        return steps, out

    def parallel(self, kind: str, args: Any, meta: Mapping, location: Location,
                 shape: Shape | None, scope: _Scope, inherited: _Inherited, name: str | None
                 ) -> tuple[list[Step], Shape | None]:
        if inherited.depth >= limits.MAX_BLOCK_DEPTH:
            raise SpecError.at(location, f"blocks and branches nest deeper than "
                                         f"{limits.MAX_BLOCK_DEPTH} levels")
        paths, merge_kind = _branches(kind, args, meta, location)
        inner = _Inherited(inherited.rounding, inherited.trainable, inherited.lint_ignore,
                           inherited.depth + 1, inherited.env)
        full = scope.name(name, kind, location)
        branches, shapes = [], []
        for path in paths:
            steps, out = self.sequence(path, shape, scope, inner) if path else ([], shape)
            branches.append(tuple(steps))
            shapes.append(out)
        if any(out is None for out in shapes):
            return [], None
        self.count(location)
        merge_cls = MERGES[merge_kind]
        merge: Merge = merge_cls.merge(shapes, location, f"{kind} '{full}'")
        out = merge.output_shape()
        _check_size(out, location, f"{kind} '{full}'")
        node = Node(full, merge, location, _expect(meta, location), inherited.trainable,
                    inherited.lint_ignore, inherited.depth)
        return [Parallel(tuple(branches), node)], out


def _check_size(shape: Shape, location: Location, label: str) -> None:
    """Refuse an output no machine could hold: an axis over 2**31 or 2**40 elements."""
    if shape and max(shape) > limits.MAX_AXIS:
        largest = max(shape)
        size = f"{largest:,}" if largest < 10**18 else f"about 10^{len(str(largest)) - 1}"
        raise SpecError.at(location, f"{label}: the output would have a size of {size}; "
                                     f"the limit per axis is {limits.MAX_AXIS:,}")
    if numel(shape) > limits.MAX_ELEMENTS:
        raise SpecError.at(location, f"{label}: the output {shape_str(shape)} has "
                                     f"{numel(shape):,} elements; the limit is "
                                     f"{limits.MAX_ELEMENTS:,}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _mentions_parameter(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_mentions_parameter(v) for v in value.values())
    if isinstance(value, list):
        return any(_mentions_parameter(v) for v in value)
    return isinstance(value, str) and value.startswith("$")


def _split(item: Any, location: Location, known: set[str]) -> tuple[str, Any, Mapping]:
    """An entry -> (kind, its arguments, the entry's other keys)."""
    if isinstance(item, str):
        return item, None, Mapping()
    if not isinstance(item, Mapping):
        raise SpecError.at(location, f"a layer entry must be a kind (like 'relu') or a "
                                     f"mapping (like {{conv: {{filters: 64, kernel: 3}}}}); "
                                     f"found {show(item)}")
    kinds = [key for key in item if key not in META_KEYS and key != "merge"]
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        real = [k for k in kinds if k in known]
        if len(real) == 1 and len(kinds) > 1:  # an argument written beside its kind
            kind = real[0]
            strays = [k for k in kinds if k != kind]
            inner = item[kind] if isinstance(item[kind], Mapping) else Mapping()
            together = {**inner, **{k: item[k] for k in strays}}
            what = ", ".join(f"'{k}'" for k in strays)
            verb = "is not a layer kind or an entry key" if len(strays) == 1 else \
                "are not layer kinds or entry keys"
            raise SpecError.at(item.where_key(strays[0]),
                               f"{what} {verb} ({', '.join(META_KEYS)}); an argument of "
                               f"{kind} goes inside it: {kind}: {show(together)}")
        raise SpecError.at(location, f"a layer entry needs exactly one kind key besides "
                                     f"{', '.join(META_KEYS)}; found {found}")
    if "merge" in item and kinds[0] != "branches":
        raise SpecError.at(item.where_key("merge"), "'merge' belongs beside 'branches'")
    return kinds[0], item[kinds[0]], item


def _meta_int(meta: Mapping, key: str, default: int, location: Location) -> int:
    value = meta.get(key, default) if meta else default
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise SpecError.at(meta.where(key), f"'{key}' must be an integer >= 1; found "
                                            f"{show(value)}")
    return value


def _lint_ignore(meta: Mapping) -> tuple[str, ...]:
    lint = meta.get("lint") if meta else None
    if lint is None:
        return ()
    codes = lint.get("ignore") if isinstance(lint, Mapping) else None
    if not isinstance(lint, Mapping) or set(lint) - {"ignore"} or not isinstance(
            codes, list) or not all(isinstance(c, str) for c in codes):
        raise SpecError.at(meta.where("lint"), "'lint' must be {ignore: [CODE, ...]}")
    return tuple(codes)


def _expect(meta: Mapping, location: Location) -> Mapping | None:
    expect = meta.get("expect") if meta else None
    if expect is None:
        return None
    check_expectation(expect, meta.where("expect"))
    return expect


def _branches(kind: str, args: Any, meta: Mapping, location: Location
              ) -> tuple[list[Sequence], str]:
    if kind == "residual":
        if not isinstance(args, Mapping) or "main" not in args or set(args) - {
                "main", "shortcut"}:
            raise SpecError.at(location, "'residual' needs {main: [layers], shortcut: [layers]}"
                                         " (shortcut optional: identity)")
        return [_path(args, "main"), _path(args, "shortcut")], "add"
    merge = meta.get("merge", "concat")
    if not isinstance(merge, str) or merge not in MERGES:
        raise SpecError.at(meta.where("merge"), f"'merge' must be one of "
                                                f"{', '.join(MERGES)}; found {show(merge)}")
    if not isinstance(args, Sequence) or len(args) < 2:
        raise SpecError.at(location, "'branches' needs a list of two or more branches, each a "
                                     "list of layers ([] = identity)")
    paths = []
    for i, path in enumerate(args):
        if path is None:
            path = Sequence()
        if not isinstance(path, Sequence):
            raise SpecError.at(args.where(i), f"branch {i + 1} must be a list of layers; "
                                              f"found {show(path)}")
        paths.append(path)
    return paths, merge


def _path(args: Mapping, key: str) -> Sequence:
    path = args.get(key)
    if path is None:
        return Sequence()
    if not isinstance(path, Sequence):
        raise SpecError.at(args.where(key), f"'{key}' must be a list of layers; found "
                                            f"{show(path)}")
    return path


def _unknown_kind(kind: str, blocks: dict[str, BlockDef]) -> str:
    names = sorted(set(LAYERS) | set(blocks) | set(STRUCTURES))
    close = close_matches(kind, names)
    hint = f"; did you mean '{close[0]}'?" if close else \
        "; see `cnncalc kinds` for the list"
    return f"unknown layer kind '{kind}'{hint}"


__all__ = ["Network", "Node", "Parallel", "Step", "build", "check_expectation",
           "shape_str"]
