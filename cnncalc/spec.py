"""A spec file's top level: the input, the conventions, the blocks, the layer entries.

Layer entries stay as located YAML values; `build` reads them while it walks the shapes,
because a block's arguments may depend on the channels that reach it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import yamlpos
from .errors import Location, SpecError
from .geometry import FRAMEWORKS, ROUNDINGS
from .yamlpos import Mapping, Sequence

TOP_KEYS = ("name", "input", "framework", "rounding", "dtype", "expect", "budget", "blocks",
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
class NetSpec:
    """The parsed top level of a spec file."""

    file: str
    name: str
    input_shape: tuple[int, ...]
    framework: str | None
    rounding: str | None
    dtype: str
    layers: Sequence
    blocks: dict[str, BlockDef]
    expect: Mapping | None
    budget: Mapping | None
    lint: Mapping | None
    root: Mapping

    @property
    def dtype_bytes(self) -> int:
        return DTYPE_BYTES[self.dtype]

    def where(self, key: str) -> Location:
        return self.root.where(key)


def load_file(path: str | Path) -> NetSpec:
    """Read and parse a spec file; every problem is a located SpecError."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError.at(Location(file, 1, 1), f"cannot read the spec: {err}") from None
    return parse(text, file)


def parse(text: str, file: str = "<spec>", line_offset: int = 0) -> NetSpec:
    """Parse spec text. `line_offset` shifts lines, for specs embedded in Markdown."""
    root = yamlpos.load("\n" * line_offset + text, file)
    if not isinstance(root, Mapping):
        raise SpecError.at(Location(file, 1 + line_offset, 1),
                           f"a spec must be a mapping with 'input' and 'layers'; found "
                           f"{type(root).__name__}")
    for key in root:
        if key not in TOP_KEYS:
            raise SpecError.at(root.where_key(key), f"unknown top-level key '{key}'; expected "
                                                    f"{', '.join(TOP_KEYS)}")
    for key in ("input", "layers"):
        if key not in root:
            raise SpecError.at(root.location, f"the spec has no '{key}'; expected "
                                              + ("input: [C, H, W]" if key == "input" else
                                                 "layers: a list of layer entries"))
    return NetSpec(
        file=file,
        name=_text(root, "name", Path(file).stem),
        input_shape=_input_shape(root),
        framework=_option(root, "framework", FRAMEWORKS + ("tf",)),
        rounding=_option(root, "rounding", ROUNDINGS),
        dtype=_option(root, "dtype", tuple(DTYPE_BYTES)) or "float32",
        layers=_layers(root, "layers"),
        blocks=_blocks(root),
        expect=_mapping(root, "expect"),
        budget=_mapping(root, "budget"),
        lint=_mapping(root, "lint"),
        root=root,
    )


def _text(root: Mapping, key: str, default: str) -> str:
    value = root.get(key, default)
    if not isinstance(value, str):
        raise SpecError.at(root.where(key), f"'{key}' must be text; found {value!r}")
    return value


def _option(root: Mapping, key: str, options: tuple[str, ...]) -> str | None:
    value = root.get(key)
    if value is None:
        return None
    if value not in options:
        raise SpecError.at(root.where(key), f"'{key}' must be one of {', '.join(options)}; "
                                            f"found {value!r}")
    return "tensorflow" if value in ("tf", "keras") else value


def _input_shape(root: Mapping) -> tuple[int, ...]:
    value = root["input"]
    if isinstance(value, Mapping) and "shape" in value:
        value = value["shape"]
    ok = isinstance(value, list) and 1 <= len(value) <= 4 and all(
        isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in value)
    if not ok:
        raise SpecError.at(root.where("input"),
                           f"'input' must be [C], [C, L], [C, H, W] or [C, D, H, W] with "
                           f"positive integers; found {value!r}")
    return tuple(value)


def _mapping(root: Mapping, key: str) -> Mapping | None:
    value = root.get(key)
    if value is not None and not isinstance(value, Mapping):
        raise SpecError.at(root.where(key), f"'{key}' must be a mapping; found {value!r}")
    return value


def _layers(root: Mapping, key: str) -> Sequence:
    value = root.get(key)
    if not isinstance(value, Sequence) or not value:
        raise SpecError.at(root.where(key), f"'{key}' must be a non-empty list of layer "
                                            f"entries; found {value!r}")
    return value


def _blocks(root: Mapping) -> dict[str, BlockDef]:
    blocks = _mapping(root, "blocks") or Mapping()
    result = {}
    for name, body in blocks.items():
        where = blocks.where(name)
        if not isinstance(body, Mapping) or "layers" not in body:
            raise SpecError.at(where, f"block '{name}' must be a mapping with 'layers' (and "
                                      "optional 'params')")
        for key in body:
            if key not in ("params", "layers", "description"):
                raise SpecError.at(body.where_key(key), f"block '{name}': unknown key "
                                                        f"'{key}'; expected params, layers")
        params = body.get("params") or {}
        if isinstance(params, list):
            params = dict.fromkeys(params)
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            raise SpecError.at(body.where("params"), f"block '{name}': 'params' must be a "
                                                     "mapping of name: default (null = "
                                                     "required) or a list of names")
        result[name] = BlockDef(name, dict(params), _layers(body, "layers"), where)
    return result
