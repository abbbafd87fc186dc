"""A spec file's top level: the input, the conventions, the blocks, the layer entries.

Every top-level key is checked here, before anything is computed, so every command accepts
exactly the same specs: `expect:` (through `check_expectation`, which `build` also applies
to each layer's `expect:`), `budget:` (read into a `Budget`, sizes through `units`) and
`lint:`. Layer entries stay as located YAML values; `build` reads them while it walks the
shapes, because a block's arguments may depend on the channels that reach it.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Location, Problem, Problems, SpecError, close_matches, show
from ..geometry import FRAMEWORKS, ROUNDINGS
from ..limits import MAX_AXIS, MAX_ELEMENTS, MAX_OUTPUTS, MAX_PROBLEMS
from ..values import Value
from . import yamlpos
from .yamlpos import Mapping, Sequence

if TYPE_CHECKING:
    from .budget import Budget

TOP_KEYS = ("name", "input", "outputs", "framework", "rounding", "dtype", "expect", "budget",
            "blocks", "layers", "lint", "description")
DTYPE_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}


class BlockDef(Value):
    """A reusable block: parameters (None = required) and a list of layer entries."""

    name: str
    params: dict[str, Any]
    layers: Sequence
    location: Location


class InputSpec(Value):
    """One network input: its name and shape [C, *spatial] (no batch)."""

    name: str
    shape: tuple[int, ...]
    location: Location


class NetSpec(Value):
    """The parsed top level of a spec file."""

    file: str
    name: str
    inputs: tuple[InputSpec, ...]
    framework: str | None
    rounding: str | None
    dtype: str
    layers: Sequence
    blocks: dict[str, BlockDef]
    expect: Mapping | None      # checked: every key and figure well-formed
    budget: Budget | None  # None: the spec sets no budget
    lint_ignore: tuple[str, ...]  # codes the top-level `lint: {ignore: [...]}` silences
    root: Mapping
    outputs: Sequence | None = None  # names of the layers whose outputs the net returns

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The first input's shape."""
        return self.inputs[0].shape

    def resized(self, sizes: tuple[int, ...]) -> NetSpec:
        """The spec with other spatial input sizes (one for every axis, or one per axis),
        applied to every input with as many spatial axes as the first."""
        spatial = len(self.input_shape) - 1
        if len(sizes) == 1:
            sizes = sizes * spatial
        if len(sizes) != spatial or min(sizes) < 1:
            raise ValueError(f"the input {'[' + ', '.join(map(str, self.input_shape)) + ']'}"
                             f" has {spatial} spatial axes; give one size or {spatial} "
                             f"sizes >= 1")
        inputs = tuple(i.replace(shape=(i.shape[0], *sizes)) if len(i.shape) - 1 == spatial
                       else i for i in self.inputs)
        return self.replace(inputs=inputs)

    @property
    def dtype_bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]

    def where(self, key: str) -> Location:
        return self.root.where(key)


def load_file(path: str | Path) -> NetSpec:
    """Read and parse a spec file ('-' = standard input); every problem is a SpecError.

    Only a regular file up to 16 MiB is read (see `files.read_text`): a FIFO, a device or
    a symlink to one is refused before it is opened for reading.
    """
    from ..files import STDIN, read_text

    file = "<stdin>" if str(path) == STDIN else str(path)
    try:
        text = read_text(path, "spec")
    except SpecError as error:
        raise SpecError.at(Location(file, 1, 1), error.problems[0].message) from None
    return parse(text, file)


def parse(text: str, file: str = "<spec>", line_offset: int = 0) -> NetSpec:
    """Parse spec text. `line_offset` shifts lines, for specs embedded in Markdown.

    Every top-level problem is reported, not only the first (up to `MAX_PROBLEMS`).
    """
    root = yamlpos.load("\n" * line_offset + text, file)
    if not isinstance(root, Mapping):
        raise SpecError.at(Location(file, 1 + line_offset, 1),
                           f"a spec must be a mapping with 'input' and 'layers'; found "
                           f"{describe(root)}")
    problems = Problems(MAX_PROBLEMS)
    for key in root:
        if key not in TOP_KEYS:
            close = close_matches(key, TOP_KEYS)
            hint = f"did you mean '{close[0]}'?" if close else f"expected {', '.join(TOP_KEYS)}"
            problems.add(SpecError.at(root.where_key(key),
                                      f"unknown top-level key '{key}'; {hint}"))
    for key in ("input", "layers"):
        if key not in root:
            problems.add(SpecError.at(root.location, f"the spec has no '{key}'; expected "
                                      + ("input: [C, H, W]" if key == "input" else
                                         "layers: a list of layer entries")))

    def read(function: Any, *args: Any) -> Any:
        try:
            return function(*args)
        except SpecError as error:
            problems.add(error)
            return None

    inputs = read(_inputs, root) if "input" in root else None
    # an rf budget has a limit per spatial axis: unknown while the input is malformed
    spatial = None if inputs is None else len(inputs[0].shape) - 1
    fields = {
        "name": read(_text, root, "name", Path(file).stem),
        "inputs": inputs,
        "outputs": read(_outputs, root),
        "framework": read(_option, root, "framework", FRAMEWORKS + ("tf",)),
        "rounding": read(_option, root, "rounding", ROUNDINGS),
        "dtype": read(_option, root, "dtype", tuple(DTYPE_BYTES)) or "float32",
        "layers": read(_layers, root, "layers") if "layers" in root else None,
        "blocks": _blocks(root, problems),
        "expect": read(_net_expect, root),
        "budget": _budget(root, spatial, problems),
        "lint_ignore": read(_lint_ignore, root) or (),
        "description": read(_text, root, "description", ""),
    }
    problems.raise_if_any()
    del fields["description"]
    return NetSpec(file=file, root=root, **fields)


def describe(value: Any) -> str:
    """What a value is, in a user's words: 'a list', 'null', "text 'abc'"."""
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, str):
        return f"text {show(value)}"
    return show(value)


def _text(root: Mapping, key: str, default: str) -> str:
    value = root.get(key, default)
    if not isinstance(value, str):
        raise SpecError.at(root.where(key), f"'{key}' must be text; found {show(value)}")
    return value


def _option(root: Mapping, key: str, options: tuple[str, ...]) -> str | None:
    value = root.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or value not in options:
        raise SpecError.at(root.where(key), f"'{key}' must be one of {', '.join(options)}; "
                                            f"found {show(value)}")
    return "tensorflow" if value in ("tf", "keras") else value


def _inputs(root: Mapping) -> tuple[InputSpec, ...]:
    """input: [C, H, W] (one input, named 'input'), {shape: [C, H, W]}, or named inputs
    {image: [3, 224, 224], mask: [1, 224, 224]} (the first is the main one)."""
    value = root["input"]
    if isinstance(value, Mapping) and "shape" in value:
        return (InputSpec("input", _shape(value["shape"], value.where("shape"), "input"),
                          root.where("input")),)
    if isinstance(value, Mapping) and value:
        inputs = []
        for name, shape in value.items():
            if not isinstance(name, str) or not name or "." in name:
                raise SpecError.at(value.where_key(name), f"an input's name must be text "
                                                          f"without dots; found {show(name)}")
            inputs.append(InputSpec(name, _shape(shape, value.where(name), f"input '{name}'"),
                                    value.where(name)))
        return tuple(inputs)
    return (InputSpec("input", _shape(value, root.where("input"), "input"),
                      root.where("input")),)


def _shape(value: Any, where: Location, what: str) -> tuple[int, ...]:
    ok = isinstance(value, list) and 1 <= len(value) <= 4 and all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in value)
    if not ok:
        raise SpecError.at(where, f"'{what}' must be [C], [C, L], [C, H, W] or [C, D, H, W] "
                                  f"with positive integers (or a mapping of named inputs, "
                                  f"each such a shape); found {show(value)}")
    if max(value) > MAX_AXIS:
        raise SpecError.at(where, f"'{what}' has a size of {max(value):,}; the limit per axis "
                                  f"is {MAX_AXIS:,}")
    if math.prod(value) > MAX_ELEMENTS:
        raise SpecError.at(where, f"'{what}' has {math.prod(value):,} elements; the limit is "
                                  f"{MAX_ELEMENTS:,}")
    return tuple(value)


def _outputs(root: Mapping) -> Sequence | None:
    """outputs: [NAME, ...] (or one NAME): the layers whose outputs the net returns."""
    value = root.get("outputs")
    if value is None:
        return None
    if isinstance(value, str):
        names = Sequence([value])
        names.location = root.where("outputs")
        names.item_locations = [root.where("outputs")]
        return names
    if not isinstance(value, Sequence) or not value or not all(
            isinstance(v, str) and v for v in value):
        raise SpecError.at(root.where("outputs"), f"'outputs' must be a list of layer names "
                                                  f"like [fc, aux1.fc2]; found {show(value)}")
    if len(value) > MAX_OUTPUTS:
        raise SpecError.at(root.where("outputs"), f"'outputs' lists {len(value):,} layers; "
                                                  f"the limit is {MAX_OUTPUTS}")
    seen: set[str] = set()
    for index, name in enumerate(value):
        if name in seen:
            raise SpecError.at(value.where(index), f"the output '{name}' is listed twice")
        seen.add(name)
    return value


def _mapping(root: Mapping, key: str) -> Mapping | None:
    value = root.get(key)
    if value is not None and not isinstance(value, Mapping):
        raise SpecError.at(root.where(key), f"'{key}' must be a mapping; found "
                                            f"{describe(value)}")
    return value


def _layers(root: Mapping, key: str) -> Sequence:
    value = root.get(key)
    if not isinstance(value, Sequence) or not value:
        raise SpecError.at(root.where(key), f"'{key}' must be a non-empty list of layer "
                                            f"entries; found {show(value)}")
    return value


def _blocks(root: Mapping, problems: Problems) -> dict[str, BlockDef]:
    try:
        blocks = _mapping(root, "blocks") or Mapping()
    except SpecError as error:
        problems.add(error)
        return {}
    result = {}
    for name, body in blocks.items():
        try:
            result[name] = _block(name, body, blocks.where(name))
        except SpecError as error:
            problems.add(error)
    return result


def _block(name: str, body: Any, where: Location) -> BlockDef:
    if not isinstance(body, Mapping) or "layers" not in body:
        raise SpecError.at(where, f"block '{name}' must be a mapping with 'layers' (and "
                                  "optional 'params')")
    for key in body:
        if key not in ("params", "layers", "description"):
            raise SpecError.at(body.where_key(key), f"block '{name}': unknown key "
                                                    f"'{key}'; expected params, layers")
    params = body.get("params") or {}
    if isinstance(params, list) and all(isinstance(k, str) for k in params):
        params = dict.fromkeys(params)
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise SpecError.at(body.where("params"), f"block '{name}': 'params' must be a "
                                                 "mapping of name: default (null = "
                                                 "required) or a list of names")
    return BlockDef(name, dict(params), _layers(body, "layers"), where)


# --- expect: -------------------------------------------------------------------------------

EXPECT_KEYS = ("shape", "output_shape", "params", "macs", "rf")   # on a layer
NET_EXPECT_KEYS = ("shape", "output_shape", "params", "trainable_params", "macs", "rf",
                   "outputs")


def _net_expect(root: Mapping) -> Mapping | None:
    expect = root.get("expect")
    if expect is not None:
        check_expectation(expect, root.where("expect"), NET_EXPECT_KEYS)
    return expect


def check_expectation(expect: Any, location: Location,
                      allowed: tuple[str, ...] = EXPECT_KEYS) -> None:
    """Refuse a malformed `expect:` (a layer's, or with `NET_EXPECT_KEYS` the network's)
    before anything is compared: one SpecError telling every problem, each located.

    Each key's figure has one checker in `_FIGURES`; a key whose value is itself a mapping
    of expectations (per named output, say) is a checker that calls this function again.
    """
    if not isinstance(expect, Mapping):
        raise SpecError.at(location, f"'expect' must be a mapping of {', '.join(allowed)}; "
                                     f"found {describe(expect)}")
    problems: list[Problem] = []
    for key, value in expect.items():
        try:
            if key not in allowed:
                raise SpecError.at(expect.where_key(key), f"unknown expectation {show(key)}; "
                                                          f"expected {', '.join(allowed)}")
            _FIGURES[key](value, expect.where(key), key)
        except SpecError as error:
            problems += error.problems
    if problems:
        raise SpecError(problems)


def _shape_figure(value: Any, where: Location, key: str) -> None:
    if not isinstance(value, list) or not all(_is_count(n) for n in value):
        raise SpecError.at(where, f"expected '{key}' must be a list of integers like "
                                  f"[64, 56, 56]; found {show(value)}")


def _count_figure(value: Any, where: Location, key: str) -> None:
    if not _is_count(value):
        raise SpecError.at(where, f"expected '{key}' must be a whole number; "
                                  f"found {show(value)}")


def _rf_figure(value: Any, where: Location, key: str) -> None:
    """rf: a size, a list of sizes per axis, or {size, jump, start} of such (start may be
    negative or fractional: the center of the first output's field)."""
    def numbers(v: Any, least: float) -> bool:
        items = v if isinstance(v, list) else [v]
        return bool(items) and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
            and x >= least for x in items)
    if isinstance(value, Mapping):
        ok = bool(value) and set(value) <= {"size", "jump", "start"} and all(
            numbers(v, -math.inf if part == "start" else 0) for part, v in value.items())
    else:
        ok = numbers(value, 0)
    if not ok:
        raise SpecError.at(where, f"expected '{key}' must be a size, a list of sizes per "
                                  f"axis, or {{size, jump, start}} of numbers; found "
                                  f"{show(value)}")


def _outputs_figure(value: Any, where: Location, key: str) -> None:
    """outputs: {NAME: {shape, params, macs, rf}}, one expectation per named output."""
    if not isinstance(value, Mapping) or not value:
        raise SpecError.at(where, f"expected 'outputs' must map output names to "
                                  f"expectations like {{aux: {{shape: [10]}}}}; found "
                                  f"{show(value)}")
    problems: list[Problem] = []
    for name, sub in value.items():
        try:
            check_expectation(sub, value.where(name))
        except SpecError as error:
            problems += error.problems
    if problems:
        raise SpecError(problems)


_FIGURES: dict[str, Callable[[Any, Location, str], None]] = {
    "shape": _shape_figure, "output_shape": _shape_figure, "params": _count_figure,
    "trainable_params": _count_figure, "macs": _count_figure, "rf": _rf_figure,
    "outputs": _outputs_figure,
}


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _budget(root: Mapping, spatial: int | None, problems: Problems) -> Budget | None:
    """The checked `budget:`, or None: its parser (and the units it reads) loads only for a
    spec that has one."""
    if root.get("budget") is None:
        return None
    from .budget import parse_budget

    return parse_budget(root, spatial, problems)


# --- lint: ---------------------------------------------------------------------------------

SPEC_LINT_KEYS = ("ignore",)


def _lint_ignore(root: Mapping) -> tuple[str, ...]:
    """The codes a top-level `lint: {ignore: [CODE, ...]}` silences for the whole file."""
    lint = root.get("lint")
    if lint is None:
        return ()
    if not isinstance(lint, Mapping):
        raise SpecError.at(root.where("lint"), f"'lint' must be {{ignore: [CODE, ...]}}; "
                                               f"found {describe(lint)}")
    for key in lint:
        if key not in SPEC_LINT_KEYS:
            raise SpecError.at(lint.where_key(key), f"unknown lint setting {show(key)}; "
                                                    f"expected ignore: [CODE, ...]")
    codes = lint.get("ignore", [])
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise SpecError.at(lint.where("ignore"), f"'lint: ignore' must be a list of rule "
                                                 f"codes or prefixes like [P102]; found "
                                                 f"{show(codes)}")
    return tuple(codes)
