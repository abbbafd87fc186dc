"""A spec file's top level: the input, the conventions, the blocks, the layer entries.

Layer entries stay as located YAML values; `build` reads them while it walks the shapes,
because a block's arguments may depend on the channels that reach it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import yamlpos
from .errors import Location, Problems, SpecError, close_matches, show
from .geometry import FRAMEWORKS, ROUNDINGS
from .limits import MAX_AXIS, MAX_ELEMENTS, MAX_OUTPUTS, MAX_PROBLEMS
from .yamlpos import Mapping, Sequence

TOP_KEYS = ("name", "input", "outputs", "framework", "rounding", "dtype", "expect", "budget", "blocks",
            "layers", "lint", "description")
DTYPE_BYTES = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}


@dataclass(frozen=True, eq=False, repr=False)
class BlockDef:
    """A reusable block: parameters (None = required) and a list of layer entries."""

    name: str
    params: dict[str, Any]
    layers: Sequence
    location: Location


@dataclass(frozen=True, eq=False, repr=False)
class InputSpec:
    """One network input: its name and shape [C, *spatial] (no batch)."""

    name: str
    shape: tuple[int, ...]
    location: Location


@dataclass(frozen=True, eq=False, repr=False)
class NetSpec:
    """The parsed top level of a spec file."""

    file: str
    name: str
    inputs: tuple[InputSpec, ...]
    framework: str | None
    rounding: str | None
    dtype: str
    layers: Sequence
    blocks: dict[str, BlockDef]
    expect: Mapping | None
    budget: Mapping | None
    lint: Mapping | None
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
        inputs = tuple(replace(i, shape=(i.shape[0], *sizes)) if len(i.shape) - 1 == spatial
                       else i for i in self.inputs)
        return replace(self, inputs=inputs)

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
    from .files import STDIN, read_text

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

    fields = {
        "name": read(_text, root, "name", Path(file).stem),
        "inputs": read(_inputs, root) if "input" in root else None,
        "outputs": read(_outputs, root),
        "framework": read(_option, root, "framework", FRAMEWORKS + ("tf",)),
        "rounding": read(_option, root, "rounding", ROUNDINGS),
        "dtype": read(_option, root, "dtype", tuple(DTYPE_BYTES)) or "float32",
        "layers": read(_layers, root, "layers") if "layers" in root else None,
        "blocks": _blocks(root, problems),
        "expect": read(_mapping, root, "expect"),
        "budget": read(_mapping, root, "budget"),
        "lint": read(_mapping, root, "lint"),
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
