"""ONNX attribute values -> the values a spec writes: short numbers, per-axis shorthand."""
from __future__ import annotations

from typing import Any


def all_known(sizes: list[int | None]) -> list[int] | None:
    """The sizes when every one is known, else None."""
    known = [int(s) for s in sizes if s is not None]
    return known if len(known) == len(sizes) else None


def node_attributes(node: Any) -> dict[str, Any]:
    from onnx import helper

    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def as_text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def short_number(value: Any) -> float | int:
    """A float32 attribute as the short decimal it was written as (0.1, not 0.100000001)."""
    number = float(f"{float(value):.7g}")
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def is_close(a: Any, b: float) -> bool:
    return abs(float(a) - b) <= 1e-6 * max(1.0, abs(b))


def per_axis(values: list[Any]) -> Any:
    """[3, 3] -> 3; [3, 5] -> [3, 5]."""
    values = [int(v) if isinstance(v, int) or float(v).is_integer() else v for v in values]
    return values[0] if len(set(values)) == 1 else list(values)


def padding_form(pairs: list[list[int]]) -> Any:
    """Per-axis (before, after) -> the shortest spec form: 0, 1, [1, 2] or [[0, 1], [0, 1]]."""
    if all(b == a for b, a in pairs):
        return per_axis([b for b, _ in pairs])
    return [[int(b), int(a)] for b, a in pairs]



def is_pytorch_hardsigmoid(attrs: dict[str, Any]) -> bool:
    """Whether a HardSigmoid's constants are PyTorch's (alpha 1/6, beta 0.5)."""
    return is_close(attrs.get("alpha", 0.2), 1 / 6) and is_close(attrs.get("beta", 0.5), 0.5)


def from_front(axis: Any, rank: int) -> int:
    """A possibly negative axis of a rank-`rank` tensor, counted from the front."""
    return int(axis) + rank if axis < 0 else int(axis)


def has_input(node: Any, slot: int) -> bool:
    """Whether the node gives its optional input `slot` (absent, or named '')."""
    return len(node.input) > slot and bool(node.input[slot])


def auto_pad(attrs: dict[str, Any]) -> str:
    """A window op's auto_pad mode ('NOTSET': its explicit pads)."""
    return as_text(attrs.get("auto_pad", b"NOTSET"))


def pads_explicitly(attrs: dict[str, Any]) -> bool:
    """Whether a window op's auto_pad is NOTSET (compared as given, never decoded)."""
    return attrs.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET")
