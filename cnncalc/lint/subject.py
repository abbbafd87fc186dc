"""What the rules look at: an Analysis with its data-flow edges and per-layer helpers.

Rules judge pairs ("a bias directly before batch norm"), so they read who feeds whom from
the built graph.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..analysis import Analysis, Row
from ..geometry import Window
from ..graph import Node

AXES = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}


@dataclass(frozen=True)
class Subject:
    """An analysed network seen as a graph: who feeds whom, and what it outputs."""

    analysis: Analysis
    outputs: tuple[Node, ...]                # the nodes whose output is the network's

    @classmethod
    def of(cls, analysis: Analysis) -> Subject:
        network = analysis.network
        return cls(analysis, tuple(network.nodes[ref] for ref in network.outputs
                                   if ref >= 0))

    @property
    def rows(self) -> tuple[Row, ...]:
        return self.analysis.rows

    def row(self, node: Node) -> Row:
        return self.analysis.rows[node.index]

    def fed_by(self, node: Node) -> tuple[Node, ...]:
        """The layers whose outputs this one reads (network inputs are not layers)."""
        nodes = self.analysis.network.nodes
        return tuple(nodes[ref] for ref in dict.fromkeys(node.inputs) if ref >= 0)

    def feeds(self, node: Node) -> tuple[Node, ...]:
        nodes = self.analysis.network.nodes
        return tuple(nodes[i] for i in self.analysis.network.consumers[node.index])

    def on_branch(self, node: Node) -> bool:
        return node.on_branch


def label(node: Node) -> str:
    """How messages name a layer: its kind and its name, `conv 'layer1.conv2'`."""
    return f"{node.layer.kind} '{node.name}'"


def axis_names(ndim: int) -> tuple[str, ...]:
    return AXES.get(ndim, tuple(f"axis {i}" for i in range(ndim)))


def grouped_windows(windows: tuple[Window, ...]) -> list[tuple[str, Window]]:
    """Identical windows on several axes told once: [('H and W', window)]."""
    names = axis_names(len(windows))
    groups: dict[Window, list[str]] = {}
    for name, window in zip(names, windows):
        groups.setdefault(window, []).append(name)
    return [(" and ".join(axes), window) for window, axes in groups.items()]


def is_point(shape: tuple[int, ...]) -> bool:
    """A shape with no spatial extent left: [C] or [C, 1, 1]."""
    return math.prod(shape[1:]) == 1


def number(value: float) -> str:
    """A figure for a message: whole numbers exactly, others to 4 significant digits; a
    value too large for a float (a field grown through 10,000 layers) in scientific
    notation from its digits, never an OverflowError."""
    try:
        as_float = float(value)
    except OverflowError:  # beyond a float and maybe beyond int-to-str's digit limit
        whole = abs(int(value))
        shift = max(whole.bit_length() - 60, 0)
        log10 = math.log10(whole >> shift) + shift * math.log10(2)
        exponent = math.floor(log10)
        return f"{'-' * (value < 0)}{10 ** (log10 - exponent):.3f}e+{exponent}"
    return str(int(value)) if as_float.is_integer() else f"{as_float:.4g}"


def ratio(part: float, whole: float) -> str:
    """part / whole to one decimal, safe for integers beyond a float's range."""
    try:
        return f"{part / whole:.1f}"
    except OverflowError:
        return number(int(part) // int(whole))


def percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%"
