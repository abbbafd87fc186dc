"""Spec entries -> a flat graph of built layers (`graph.Network`), walking the shapes.

Blocks, `repeat`, `residual` and `branches` are expanded here; `from:` and the merge entries
(`add`, `concat`, `multiply` with `from: [a, b]`) wire named layers together. Every node
gets a stable name: its own, or kind + counter within its block instance (`conv3`,
`layer1.basic1.conv2`). A name written in `from:` or `outputs:` is looked up in the block
instance the entry sits in, then outward; a block instance's name means its output.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import limits
from .errors import Location, Problems, SpecError, close_matches, show
from .geometry import ROUNDINGS
from .graph import Network, Node, Ref
from .layers import LAYERS, MERGES, Args, BuildContext, Merge, Shape, numel, shape_str
from .spec import BlockDef, NetSpec, check_expectation
from .spec.expressions import substitute
from .spec.yamlpos import Mapping, Sequence
from .values import Value

META_KEYS = ("name", "from", "repeat", "expect", "rounding", "trainable", "lint", "when")
STRUCTURES = ("residual", "branches")
UNKNOWN: Ref | None = None  # an earlier entry failed: the value's shape is not known


@dataclass
class _Scope:
    """Names within one block instance: its prefix, the counters, the names taken, and the
    scope around it (where names not found here are looked up)."""

    prefix: str = ""
    counters: dict[str, int] = field(default_factory=dict)
    taken: dict[str, Location] = field(default_factory=dict)
    outer: _Scope | None = None
    claimed: set[str] = field(default_factory=set)  # full names, shared by every scope

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
        self.claimed.add(self.prefix + name)
        return self.prefix + name

    def chain(self) -> list[_Scope]:
        scopes: list[_Scope] = []
        at: _Scope | None = self
        while at is not None:
            scopes.append(at)
            at = at.outer
        return scopes


class _Inherited(Value):
    """Settings an entry passes to everything inside it (blocks, branches)."""

    rounding: str | None = None
    trainable: bool = True
    lint_ignore: tuple[str, ...] = ()
    depth: int = 0
    env: tuple[tuple[str, Any], ...] = ()
    blocks: tuple[str, ...] = ()
    on_branch: bool = False
    block_kinds: tuple[str, ...] = ()

    def nested(self, **changes: Any) -> _Inherited:
        values = {**self.__dict__, "depth": self.depth + 1, **changes}
        return _Inherited(**values)


def build(spec: NetSpec, max_layers: int | None = None) -> Network:
    """Walk the spec from its inputs: expand blocks and repeats, build, name and wire every
    layer into a `Network`.

    Raises SpecError with every problem found (up to `MAX_PROBLEMS`): after an entry fails,
    its output shape is unknown, so later entries are checked only for what does not depend
    on it (kinds, argument mappings, entry keys, block parameters), until a `from:` names a
    layer that was built. At most `max_layers` layers are built (default
    `limits.max_layers()`); the count of an entry is estimated before it is expanded, so
    `repeat: 1000000000` fails at once.
    """
    builder = _Builder(spec, limits.max_layers() if max_layers is None else max_layers)
    scope = _Scope()
    for index, given in enumerate(spec.inputs):
        scope.claim(given.name, given.location)
        builder.refs[given.name] = -1 - index
    last = builder.sequence(spec.layers, -1, scope, _Inherited(rounding=spec.rounding))
    outputs, names = builder.outputs(spec, last, scope)
    builder.problems.raise_if_any()
    return Network(spec, spec.inputs, tuple(builder.nodes), outputs, names)


class _Builder:
    def __init__(self, spec: NetSpec, max_layers: int):
        self.spec = spec
        self.max_layers = max_layers
        self.visited = 0  # entries read so far, built or not
        self.problems = Problems(limits.MAX_PROBLEMS)
        self.known_kinds = set(LAYERS) | set(MERGES) | set(spec.blocks) | set(STRUCTURES)
        self.block_stack: list[str] = []
        self.nodes: list[Node] = []
        self.shapes: list[Shape] = []  # each node's output shape, computed once
        self.refs: dict[str, Ref] = {}  # full name -> the value it means
        # id(entry) -> (entry, holds a $ value?); the entry is kept so its id stays its own
        self.parametric: dict[int, tuple[Any, bool]] = {}
        # id(list of entries) or block name -> (the list, fewest layers it expands to)
        self.smallest: dict[Any, tuple[Any, int]] = {}

    @property
    def built(self) -> int:
        return len(self.nodes)

    def shape(self, ref: Ref) -> Shape:
        return self.spec.inputs[-1 - ref].shape if ref < 0 else self.shapes[ref]

    def has_parameters(self, item: Any) -> bool:
        """Whether an entry holds `$name` or `${...}` anywhere; known once per entry, as a
        block's entries are the same objects in every instance."""
        key = id(item)
        if key not in self.parametric:
            self.parametric[key] = (item, _mentions_parameter(item))
        return self.parametric[key][1]

    def sequence(self, items: Sequence, source: Ref | None, scope: _Scope,
                 inherited: _Inherited) -> Ref | None:
        """The entries in order, each reading the one before; returns the last value."""
        for index, item in enumerate(items):
            try:
                source = self.entry(item, items.where(index), source, scope, inherited)
            except SpecError as error:
                self.problems.add(error)
                source = UNKNOWN
        return source

    def entry(self, item: Any, location: Location, source: Ref | None, scope: _Scope,
              inherited: _Inherited) -> Ref | None:
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
                return source
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
                           inherited.depth, inherited.env, inherited.blocks,
                           inherited.on_branch, inherited.block_kinds)
        name = meta.get("name") if meta else None
        if name is not None and (not isinstance(name, str) or not name):
            raise SpecError.at(meta.where("name"), f"'name' must be text; found {show(name)}")
        if meta and "from" in meta and kind not in MERGES:
            source = self.read_from(meta, scope, kind)
        if source is not None:
            self.reserve(repeat * self.fewest(kind, args), location)
            if repeat > 1 and kind in self.spec.blocks:  # each copy reads every entry
                entries = repeat * len(self.spec.blocks[kind].layers)
                if self.visited + entries > 4 * self.max_layers:
                    self.visit(entries, location)  # refuses before expanding
        else:
            _expect(meta, location)  # built layers check it; here nothing else would
            repeat = 1  # checking only: one copy says all a copy can say without shapes
        for copy in range(repeat):
            own = name if repeat == 1 or name is None else f"{name}.{copy}"
            source = self.one(kind, args, meta, location, source, scope, inner, own)
            if source is None:  # a copy failed: the next would fail alike, so stop here
                break
        if repeat > 1 and name and source is not None:  # the name means the last copy
            self.refs.setdefault(scope.prefix + name, source)
        return source

    def read_from(self, holder: Mapping, scope: _Scope, kind: str) -> Ref | None:
        """An entry's `from: NAME`: the value it reads instead of the previous entry's."""
        names = self.names(holder, scope)
        if len(names) != 1:
            raise SpecError.at(holder.where("from"), f"'from' names {len(names)} layers, but "
                                                     f"{kind} reads one input; merge them "
                                                     f"first with an add, concat or multiply "
                                                     f"entry: {{from: [a, b]}}")
        return names[0]

    def names(self, holder: Mapping, scope: _Scope) -> list[Ref | None]:
        """`from:` as one name or a list of names -> the values they mean."""
        value = holder["from"]
        where = holder.where("from")
        listed = value if isinstance(value, list) else [value]
        if not listed or not all(isinstance(v, str) and v for v in listed):
            raise SpecError.at(where, f"'from' must be a layer name or a list of layer names; "
                                      f"found {show(value)}")
        return [self.resolve(n, scope, value.where(i) if isinstance(value, Sequence)
                             else where) for i, n in enumerate(listed)]

    def resolve(self, name: str, scope: _Scope, location: Location) -> Ref | None:
        """The value a name means: looked up in the entry's block instance, then outward.
        A name that was claimed by an entry that failed gives UNKNOWN, not a second error."""
        chain = scope.chain()
        for at in chain:
            if at.prefix + name in self.refs:
                return self.refs[at.prefix + name]
        if any(at.prefix + name in scope.claimed for at in chain):
            return UNKNOWN
        near = [at.prefix + taken for at in chain for taken in at.taken]
        known = [n for n in near[-limits.MAX_HINT_NAMES:] if n in self.refs]
        close = close_matches(name, known)
        hint = f"; did you mean '{close[0]}'?" if close else \
            f"; names so far: {', '.join(known[-8:])}" if known else ""
        raise SpecError.at(location, f"no layer or input named '{name}' before this entry"
                                     f"{hint} (a name refers to an earlier entry, looked up "
                                     f"in its block first)")

    def outputs(self, spec: NetSpec, last: Ref | None, scope: _Scope
                ) -> tuple[tuple[Ref, ...], tuple[str, ...]]:
        """The values the net returns and their names: `outputs:` as written, else the last
        entry's."""
        if spec.outputs is None:
            return (last if last is not None else -1,), ()
        found, names = [], []
        for index, name in enumerate(spec.outputs):
            try:
                ref = self.resolve(name, scope, spec.outputs.where(index))
            except SpecError as error:
                self.problems.add(error)
                continue
            if ref is not None:
                found.append(ref)
                names.append(name)
        return (tuple(found), tuple(names)) if found else ((-1,), ())

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
        return 1 if kind in self.known_kinds else 0

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

    def add(self, name: str, layer: Any, inputs: tuple[Ref, ...], location: Location,
            meta: Mapping, inherited: _Inherited, on_branch: bool | None = None) -> Ref:
        """Append a built node; its output shape is checked against the limits first."""
        out = layer.output_shape()
        _check_size(out, location, f"{layer.kind} '{name}'")
        self.reserve(1, location)
        node = Node(len(self.nodes), name, layer, inputs, location, _expect(meta, location),
                    inherited.trainable, inherited.lint_ignore, inherited.depth,
                    inherited.blocks, inherited.on_branch if on_branch is None else on_branch,
                    inherited.block_kinds)
        self.nodes.append(node)
        self.shapes.append(out)
        self.refs[name] = node.index
        return node.index

    def one(self, kind: str, args: Any, meta: Mapping, location: Location,
            source: Ref | None, scope: _Scope, inherited: _Inherited, name: str | None
            ) -> Ref | None:
        if kind in STRUCTURES:
            return self.parallel(kind, args, meta, location, source, scope, inherited, name)
        if kind in self.spec.blocks:
            return self.block(self.spec.blocks[kind], args, location, source, scope,
                              inherited, name)
        if kind in MERGES:
            return self.merge(kind, args, meta, location, source, scope, inherited, name)
        cls = LAYERS.get(kind)
        if cls is None:
            raise SpecError.at(location, _unknown_kind(kind, self.spec.blocks))
        full = scope.name(name, cls.kind, location)
        if args is not None and not isinstance(args, Mapping):
            raise SpecError.at(location, f"{cls.kind} '{full}': arguments must be a mapping "
                                         f"like {{kernel: 3}}; found {show(args)}")
        if source is None:
            return UNKNOWN
        label = f"{cls.kind} '{full}'"
        ctx = BuildContext(self.spec.framework, inherited.rounding, kind, label, location)
        inputs: tuple[Ref, ...] = (source,)
        reads = getattr(cls, "reads_layer", "")
        if reads:  # a second input named by an argument (maxunpool's `indices: pool1`)
            other = self.layer_named(reads, args, scope, location, label)
            if other is None:
                return UNKNOWN
            inputs = (source, other)
        try:
            if reads:
                layer = cls.build_reading(Args(args, ctx), self.shape(source),  # type: ignore[attr-defined]
                                          self.nodes[inputs[1]].layer)
            else:
                layer = cls.build(Args(args, ctx), self.shape(source))
            layer.output_shape()
        except (OverflowError, ValueError):  # sizes beyond what arithmetic can hold
            raise SpecError.at(location, f"{label}: its sizes are too large to "
                                         f"compute") from None
        return self.add(full, layer, inputs, location, meta, inherited)

    def layer_named(self, key: str, args: Any, scope: _Scope, location: Location,
                    label: str) -> Ref | None:
        """The earlier layer an argument names (UNKNOWN if that layer failed to build)."""
        if not isinstance(args, Mapping) or key not in args:
            raise SpecError.at(location, f"{label}: needs '{key}', the name of an earlier "
                                         f"layer, like {{{key}: pool1}}")
        name = args[key]
        if not isinstance(name, str) or not name:
            raise SpecError.at(args.where(key), f"{label}: '{key}' must be a layer name; "
                                                f"found {show(name)}")
        ref = self.resolve(name, scope, args.where(key))
        if ref is not None and ref < 0:
            raise SpecError.at(args.where(key), f"{label}: '{key}' names the input "
                                                f"'{name}'; it must name a layer")
        return ref

    def merge(self, kind: str, args: Any, meta: Mapping, location: Location,
              source: Ref | None, scope: _Scope, inherited: _Inherited, name: str | None
              ) -> Ref | None:
        """`- add: {from: [a, b]}`: a merge of named layers; with one name, of the previous
        entry's output and that layer."""
        full = scope.name(name, kind, location)
        label = f"{kind} '{full}'"
        holder = args if isinstance(args, Mapping) and "from" in args else meta
        if args is not None and not isinstance(args, Mapping):
            raise SpecError.at(location, f"{label}: arguments must be a mapping like "
                                         f"{{from: [a, b]}}; found {show(args)}")
        if isinstance(args, Mapping) and "from" in args and meta and "from" in meta:
            raise SpecError.at(meta.where("from"), f"{label}: 'from' is given twice, beside "
                                                   f"the kind and inside it; give one")
        if not holder or "from" not in holder:
            raise SpecError.at(location, f"{label}: needs 'from', the layers it merges, like "
                                         f"{kind}: {{from: [a, b]}}")
        if args is not None:
            for key in args:
                if key not in ("from", "axis"):
                    raise SpecError.at(args.where_key(key), f"{label}: unknown argument "
                                                            f"'{key}'; expected from" +
                                       (", axis" if kind == "concat" else ""))
        axis = 0
        if isinstance(args, Mapping) and "axis" in args:
            axis = args["axis"]
            if kind != "concat" or not _is_int(axis) or axis < 0:
                raise SpecError.at(args.where("axis"), f"{label}: 'axis' must be an integer "
                                                       f">= 0 (0: the channels, 1: the first "
                                                       f"spatial axis; shapes here have no "
                                                       f"batch axis) for a concat; found "
                                                       f"{show(axis)}")
        refs = self.names(holder, scope)
        if len(refs) == 1:
            refs = [source, *refs]
        if any(ref is None for ref in refs):
            return UNKNOWN
        return self.join(MERGES[kind], [r for r in refs if r is not None], full, label,
                         location, meta, inherited, axis)

    def join(self, merge_cls: type[Merge], refs: list[Ref], full: str, label: str,
             location: Location, meta: Mapping, inherited: _Inherited, axis: int = 0) -> Ref:
        merge = merge_cls.merge([self.shape(r) for r in refs], location, label, axis)
        return self.add(full, merge, tuple(refs), location, meta, inherited)

    def block(self, block: BlockDef, args: Any, location: Location, source: Ref | None,
              scope: _Scope, inherited: _Inherited, name: str | None) -> Ref | None:
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
        if source is None:  # the parameters' values may depend on in_channels: stop here
            return UNKNOWN
        env["in_channels"] = self.shape(source)[0]
        inner = inherited.nested(env=tuple(env.items()), blocks=(*inherited.blocks, full),
                                 block_kinds=(*inherited.block_kinds, block.name))
        self.block_stack.append(block.name)
        try:
            out = self.sequence(block.layers, source, _Scope(full + ".", outer=scope,
                                                                  claimed=scope.claimed), inner)
        finally:
            self.block_stack.pop()
        if out is not None:
            self.refs[full] = out
        return out

    def parallel(self, kind: str, args: Any, meta: Mapping, location: Location,
                 source: Ref | None, scope: _Scope, inherited: _Inherited, name: str | None
                 ) -> Ref | None:
        if inherited.depth >= limits.MAX_BLOCK_DEPTH:
            raise SpecError.at(location, f"blocks and branches nest deeper than "
                                         f"{limits.MAX_BLOCK_DEPTH} levels")
        paths, merge_kind = _branches(kind, args, meta, location)
        full = scope.name(name, kind, location)
        if merge_kind is None:  # a residual whose shortcut is off: only its main path
            return self.sequence(paths[0], source, scope, inherited)
        inner = inherited.nested(on_branch=True)
        ends = [self.sequence(path, source, scope, inner) if path else source
                for path in paths]
        if source is None or any(end is None for end in ends):
            return UNKNOWN
        label = f"{kind} '{full}'"
        return self.join(MERGES[merge_kind], [e for e in ends if e is not None], full, label,
                         location, meta, inherited)


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
              ) -> tuple[list[Sequence], str | None]:
    """The paths of a residual or branches entry and the merge that joins them (None: a
    residual whose `when` is false, only its main path)."""
    if kind == "residual":
        if not isinstance(args, Mapping) or "main" not in args or set(args) - {
                "main", "shortcut", "when"}:
            raise SpecError.at(location, "'residual' needs {main: [layers], shortcut: [layers]}"
                                         " (shortcut optional: identity; 'when' optional: "
                                         "the condition for the shortcut)")
        when = args.get("when", True)
        if not isinstance(when, bool):
            raise SpecError.at(args.where("when"), f"the residual's 'when' must be true or "
                                                   f"false (or an expression giving one); "
                                                   f"found {show(when)}")
        if not when:
            return [_path(args, "main")], None
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


__all__ = ["Network", "Node", "build", "check_expectation", "shape_str"]
