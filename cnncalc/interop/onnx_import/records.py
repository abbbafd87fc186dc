"""The importer's records: the located error, one spec layer (Entry), the whole import."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Ref = int  # >= 0: an entry's index; < 0: network input -1 - k


class ImportProblem(ValueError):
    """One located line: the model file, the node (index, name, op type) and why."""


@dataclass
class Entry:
    """One layer of the spec: its kind, arguments (as written), the values it reads."""

    kind: str
    args: dict[str, Any]
    inputs: list[Ref]
    name: str = ""
    base: str = ""       # the graph's name for it, before uniquifying
    op_suffix: str = ""  # the node name's last part (an op counter), to tell bases apart
    where: str = ""      # the node, as messages name it
    tensor: str = ""     # the ONNX tensor it computes
    paired: bool = False  # a max pool whose indices a max unpool reads, or that unpool


@dataclass
class Imported:
    """The spec's parts, before rendering."""

    inputs: list[tuple[str, list[int]]]
    entries: list[Entry]
    outputs: list[Ref]
    notes: list[str] = field(default_factory=list)

