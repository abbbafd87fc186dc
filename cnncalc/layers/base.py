"""What every layer kind is: a frozen value built from its YAML arguments and input shape.

Shapes exclude the batch: [C] or [C, *spatial]. A layer answers, with pure methods, its
output shape, parameter count, multiply-accumulates, other operations and receptive-field
step; everything else (names, totals, rendering) happens elsewhere.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import Location, SpecError, close_matches, show
from ..geometry import SizeRule, Window, same_padding
from ..limits import MAX_AXIS
from ..receptive import Field
from ..spec.yamlpos import Mapping
from ..values import Value

Shape = tuple[int, ...]


def shape_str(shape: Shape) -> str:
    return "[" + ", ".join(str(n) for n in shape) + "]"


def numel(shape: Shape) -> int:
    return math.prod(shape)


class ParamCount(Value):
    """Parameters of one layer.

    weights: learnable tensors, what PyTorch's `parameters()` counts;
    buffers: running statistics (batch norm's mean and variance), which PyTorch keeps out of
    `parameters()` and Keras lists as non-trainable;
    per_filter: K x K x C/groups (+1 with bias) for layers that have filters.
    """

    weights: int = 0
    buffers: int = 0
    per_filter: int | None = None
    filters: int | None = None


class BuildContext(Value):
    """What a layer needs to know beyond its arguments."""

    framework: str | None
    rounding: str | None
    written_kind: str
    label: str          # e.g. "conv 'layer1.conv2'", for messages
    location: Location  # of the layer entry


_MISSING: Any = object()


class Args:
    """Typed, located reading of one layer's arguments; unknown keys are an error."""

    REQUIRED: Any = _MISSING

    def __init__(self, mapping: Mapping | None, ctx: BuildContext):
        self.mapping = mapping if mapping is not None else Mapping()
        if mapping is None:
            self.mapping.location = ctx.location
            self.mapping.key_locations, self.mapping.value_locations = {}, {}
        self.ctx = ctx
        self.used: set[str] = set()
        self.asked: set[str] = set()  # every argument this kind reads, given or not

    def where(self, key: str) -> Location:
        return self.mapping.where(key) if key in self.mapping else self.ctx.location

    def fail(self, key: str, message: str) -> SpecError:
        return SpecError.at(self.where(key), f"{self.ctx.label}: {message}")

    def has(self, key: str) -> bool:
        return key in self.mapping

    def raw(self, key: str, default: Any = _MISSING, aliases: tuple[str, ...] = ()) -> Any:
        self.asked.update((key, *aliases))
        present = [k for k in (key, *aliases) if k in self.mapping]
        if len(present) > 1:
            raise self.fail(present[1], f"'{present[0]}' and '{present[1]}' mean the same;"
                                        " give one")
        if present:
            self.used.add(present[0])
            return self.mapping[present[0]]
        if default is _MISSING:
            self._misspelt(key)
            raise SpecError.at(self.ctx.location,
                               f"{self.ctx.label}: missing required argument '{key}'")
        return default

    def _misspelt(self, key: str) -> None:
        """A required key is missing: name the unknown key that was probably meant."""
        unknown = [k for k in self.mapping if k not in self.used]
        close = close_matches(key, unknown)
        if close:
            raise SpecError.at(self.mapping.where_key(close[0]),
                               f"{self.ctx.label}: unknown argument '{close[0]}'; did you "
                               f"mean '{key}'?")

    def integer(self, key: str, default: Any = _MISSING, minimum: int = 1,
                aliases: tuple[str, ...] = (), maximum: int = MAX_AXIS) -> int:
        """An integer argument; above `maximum` (2**31 unless said) is not physical."""
        value = self.raw(key, default, aliases)
        if not _is_int(value) or value < minimum:
            raise self.fail(key, f"'{key}' must be an integer >= {minimum}; found {show(value)}")
        if value > maximum:
            raise self.fail(key, f"'{key}' is {value:,}; the limit is {maximum:,}")
        return value

    def number(self, key: str, default: Any = _MISSING, minimum: float = 0.0,
               maximum: float = math.inf) -> float:
        value = self.raw(key, default)
        if not _is_number(value) or not minimum <= value <= maximum or \
                not math.isfinite(value):
            bounds = f"between {minimum} and {maximum}" if maximum < math.inf else \
                f">= {minimum}"
            raise self.fail(key, f"'{key}' must be a number {bounds}; found {show(value)}")
        return value

    def boolean(self, key: str, default: Any = _MISSING) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"'{key}' must be true or false; found {show(value)}")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: Any = _MISSING) -> str:
        value = self.raw(key, default)
        if value not in options:
            raise self.fail(key, f"'{key}' must be one of {', '.join(options)}; "
                                 f"found {show(value)}")
        return value

    def per_axis(self, key: str, ndim: int, default: Any = _MISSING, minimum: int = 1,
                 aliases: tuple[str, ...] = ()) -> tuple[int, ...]:
        """An int for every axis, or a list of one int per spatial axis."""
        value = self.raw(key, default, aliases)
        values = list(value) if isinstance(value, list) else [value] * ndim
        if len(values) != ndim or not all(_is_int(v) and v >= minimum for v in values):
            raise self.fail(key, f"'{key}' must be an integer >= {minimum} or a list of "
                                 f"{ndim} such integers (one per spatial axis); "
                                 f"found {show(value)}")
        if max(values) > MAX_AXIS:
            raise self.fail(key, f"'{key}' is {max(values):,}; the limit is {MAX_AXIS:,}")
        return tuple(values)

    def padding(self, key: str, ndim: int, spatial: Shape, kernel: tuple[int, ...],
                stride: tuple[int, ...], dilation: tuple[int, ...],
                default: Any = 0) -> tuple[tuple[tuple[int, int], ...], str]:
        """Resolve padding to (before, after) per axis, and its mode: explicit/same/valid."""
        value = self.raw(key, default)
        if value == "valid":
            return tuple((0, 0) for _ in range(ndim)), "valid"
        if value == "same":
            return tuple(same_padding(n, k, s, d) for n, k, s, d in
                         zip(spatial, kernel, stride, dilation)), "same"
        return parse_padding(value, ndim, lambda msg: self.fail(key, msg)), "explicit"

    def finish(self, known: tuple[str, ...]) -> None:
        """Refuse keys this kind does not take, naming the ones it does (every one)."""
        problems = []
        for key in self.mapping:
            if key not in self.used and key not in known:
                accepted = sorted(set(known) | self.asked)
                close = close_matches(key, accepted)
                hint = f"did you mean '{close[0]}'?" if close else \
                    f"expected {', '.join(accepted) or 'no arguments'}"
                problems.extend(SpecError.at(self.mapping.where_key(key),
                                             f"{self.ctx.label}: unknown argument '{key}'; "
                                             f"{hint}").problems)
        if problems:
            raise SpecError(problems)


def parse_padding(value: Any, ndim: int,
                  fail: Callable[[str], SpecError]) -> tuple[tuple[int, int], ...]:
    """int | [p per axis] | [[before, after] per axis] -> ((before, after), ...)."""
    def pair(v: Any) -> tuple[int, int]:
        if _is_int(v) and v > MAX_AXIS or isinstance(v, list) and any(
                _is_int(x) and x > MAX_AXIS for x in v):
            raise fail(f"padding is larger than the limit of {MAX_AXIS:,}")
        if _is_int(v) and v >= 0:
            return (v, v)
        if isinstance(v, list) and len(v) == 2 and all(_is_int(x) and x >= 0 for x in v):
            return (v[0], v[1])
        raise fail(f"padding must be 'same', 'valid', an integer >= 0, a list of {ndim} "
                   f"(one per axis) or of {ndim} [before, after] pairs; found {show(value)}")
    if isinstance(value, list):
        if len(value) != ndim:
            pair(None)
        return tuple(pair(v) for v in value)
    return tuple(pair(value) for _ in range(ndim))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Argument(Value):
    """One argument of a layer kind, as `cnncalc kinds KIND` and docs/spec.md show it.

    type: how it is written ('int', 'int or list per axis', 'number', 'bool',
    'one of a, b', ...); default: as YAML would write it, or 'required'; meaning: one line,
    naming the PyTorch or Keras argument it stands for when that name differs."""

    name: str
    type: str
    default: str
    meaning: str


class Layer(Value):
    """Base of every layer kind. Subclasses are immutable values (`Value`) holding resolved
    arguments.

    Subclasses set `kind` (its YAML name), `aliases`, `family` and override what differs:
    `build` reads the arguments, `output_shape`, `params`, `macs` (conv and dense
    multiply-accumulates, bias excluded, as torchvision counts), `ops` (every other
    elementary operation: bias adds, pooling, norms, activations, merges) and
    `receptive_field`.
    """

    kind: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    family: ClassVar[str] = ""
    input_shape: Shape

    # What `cnncalc kinds KIND` and docs/spec.md say of the kind (the docstring's first
    # paragraph is its description): every argument `build` reads, and the equivalents in
    # PyTorch and Keras ("" where the framework has none).
    arguments: ClassVar[tuple[Argument, ...]] = ()
    pytorch: ClassVar[str] = ""   # e.g. "nn.Conv2d(in_channels, out_channels, kernel_size, ...)"
    keras: ClassVar[str] = ""     # e.g. "layers.Conv2D(filters, kernel_size, strides, ...)"
    # Small cases for the tests that hold `arguments` to what `build` reads: each is the
    # kind's arguments as YAML flow text ("" for none) and an input shape; together they
    # should read every argument (tests/test_kinds.py).
    examples: ClassVar[tuple[tuple[str, Shape], ...]] = ()

    # Traits: what a layer is, for the rules that judge a design. A rule asks these, never
    # the kind's name, so a new kind is judged by declaring its traits in its own class.
    is_activation: ClassVar[bool] = False        # an elementwise nonlinearity (not softmax)
    is_rectifier: ClassVar[bool] = False         # an activation that clips or bends negatives
    is_non_negative: ClassVar[bool] = False      # its output is never negative (relu, sigmoid)
    makes_probabilities: ClassVar[bool] = False  # scores -> a distribution (softmax)
    makes_log_probabilities: ClassVar[bool] = False  # scores -> log-distribution (log_softmax)
    normalises_channels: ClassVar[bool] = False  # subtracts each channel's batch mean
    drops_in_training: ClassVar[bool] = False    # zeroes values in training only (dropout)
    is_pool: ClassVar[bool] = False              # pools windows of its input, learns nothing
    is_global: ClassVar[bool] = False            # each output reads every spatial position
    is_affine_map: ClassVar[bool] = False        # learned weighted sums (conv, dense)
    is_transposed: ClassVar[bool] = False        # scatters each input over a kernel's outputs
    acts_on_last_axis: ClassVar[bool] = False    # mixes the last axis only (dense)
    keeps_sign: ClassVar[bool] = False           # >= 0 in gives >= 0 out; nothing learned

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        args.finish(())
        return cls(input_shape)

    def output_shape(self) -> Shape:
        return self.input_shape

    def params(self) -> ParamCount:
        return ParamCount()

    def param_shapes(self) -> dict[str, Shape]:
        """Shapes of the learnable tensors, PyTorch's layout (for the executor)."""
        return {}

    def macs(self) -> int:
        return 0

    def ops(self) -> int:
        return numel(self.output_shape())

    def receptive_field(self, field: Field) -> Field:
        return field

    def receptive_fields(self, fields: list[Field], input_size: Shape) -> tuple[Field, bool]:
        """The field at the output from the fields of the values it reads, and whether
        they line up (a merge's branches may not); one input for all but merges."""
        return self.receptive_field(fields[0]), True

    def __repr__(self) -> str:  # one for all kinds: generated ones cost start-up time
        config = self.describe()
        return f"<{self.kind} {config + ' ' if config else ''}{shape_str(self.input_shape)}>"

    def windows(self) -> tuple[Window, ...]:
        """Per spatial axis, the sliding window this layer slides (empty if none)."""
        return ()

    def describe(self) -> str:
        """A short account of the configuration, e.g. '3x3 s2 p1'."""
        return ""


class Windowed(Layer):
    """A layer that slides a window along every spatial axis: conv and window pooling.

    Subclasses hold kernel, stride, padding ((before, after) per axis), dilation and rule.
    """

    if TYPE_CHECKING:  # declared for the type checker only: fields are the subclasses'
        kernel: tuple[int, ...]
        stride: tuple[int, ...]
        padding: tuple[tuple[int, int], ...]
        dilation: tuple[int, ...]
        rule: SizeRule

    @cached_property
    def sliding(self) -> tuple[Window, ...]:  # computed once: shape, RF, lint all ask
        return tuple(Window(n, k, s, pb, pa, d, self.rule) for n, k, s, (pb, pa), d in
                     zip(self.input_shape[1:], self.kernel, self.stride,
                         self.padding, self.dilation))

    def windows(self) -> tuple[Window, ...]:
        return self.sliding

    def output_channels(self) -> int:
        return self.input_shape[0]

    def output_shape(self) -> Shape:
        return (self.output_channels(), *(w.count for w in self.sliding))

    def receptive_field(self, field: Field) -> Field:
        return tuple(f.through_window(w.extent, w.stride, w.pad_before)
                     for f, w in zip(field, self.sliding))


LAYERS: dict[str, type[Layer]] = {}


def register(cls: type[Layer]) -> type[Layer]:
    """Make a layer class reachable by its YAML kind and aliases."""
    for name in (cls.kind, *cls.aliases):
        assert name not in LAYERS, f"layer kind '{name}' registered twice"
        LAYERS[name] = cls
    return cls


def need_spatial(args: Args, shape: Shape) -> int:
    """The number of spatial axes; a flat input is an error for a spatial layer."""
    if len(shape) < 2:
        raise SpecError.at(args.ctx.location,
                           f"{args.ctx.label}: needs a spatial input [C, H, W] (or [C, L], "
                           f"[C, D, H, W]); found {shape_str(shape)}")
    ndim = len(shape) - 1
    written = args.ctx.written_kind
    if written[-2:] in ("1d", "2d", "3d") and int(written[-2]) != ndim:
        raise SpecError.at(args.ctx.location,
                           f"{args.ctx.label}: '{written}' needs {written[-2]} spatial "
                           f"axes; the input {shape_str(shape)} has {ndim}")
    return ndim


def check_output(args: Args, layer: Layer) -> Layer:
    """Refuse a layer whose output would be empty, saying which axis and why."""
    out = layer.output_shape()
    if any(n <= 0 for n in out):
        raise SpecError.at(args.ctx.location,
                           f"{args.ctx.label}: the output would be empty "
                           f"({shape_str(tuple(max(n, 0) for n in out))}) from input "
                           f"{shape_str(layer.input_shape)}; expected every size >= 1 "
                           f"(kernel larger than the padded input?)")
    return layer


__all__ = [
    "LAYERS",
    "Args",
    "Argument",
    "BuildContext",
    "Layer",
    "ParamCount",
    "Shape",
    "Windowed",
    "check_output",
    "need_spatial",
    "numel",
    "parse_padding",
    "register",
    "shape_str",
]
