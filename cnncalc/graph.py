"""A built network: a flat graph of layers in execution order.

Every node holds one built layer, the nodes its input comes from, and where the spec wrote
it. Nodes are numbered in the order they run; a node reads only from earlier nodes or from
the network's inputs, so walking `nodes` front to back is a topological order. Analysis, the
receptive field, lint and the executor all read this one structure.

A reference to a value is an int: a node's index (0, 1, ...), or a network input as
-1 - k (the first input is -1).
"""
from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from .errors import Location
from .layers import Layer, Shape
from .spec.schema import InputSpec as Input  # a network input: its name, shape, place
from .values import Value

if TYPE_CHECKING:
    from .spec import NetSpec
    from .spec.yamlpos import Mapping

Ref = int


class Node(Value):
    """One built layer and what the spec said about it.

    `inputs` are references to the values it reads (one, or several for a merge); `blocks`
    the names of the block instances it sits in, outermost first (`('layer1',
    'layer1.basic1')`) and `block_kinds` the definitions they use (`('stage', 'basic')`);
    `depth` how deeply blocks and branches nest it, for indentation;
    `block_sites` where each of those instances was written (the entry that uses the block);
    `on_branch` whether it lies on a branch beside others (a residual's or `branches`').
    """

    index: int
    name: str
    layer: Layer
    inputs: tuple[Ref, ...]
    location: Location
    expect: Mapping | None = None
    trainable: bool = True
    lint_ignore: tuple[str, ...] = ()
    depth: int = 0
    blocks: tuple[str, ...] = ()
    on_branch: bool = False
    block_kinds: tuple[str, ...] = ()
    block_sites: tuple[Location, ...] = ()

    @property
    def input_shape(self) -> Shape:
        return self.layer.input_shape

    @property
    def output_shape(self) -> Shape:
        return self.layer.output_shape()

    def __repr__(self) -> str:
        return f"<node {self.index} {self.name} {self.layer!r} <- {list(self.inputs)}>"


class Network(Value):
    """A spec, built: its inputs, its nodes in execution order, its outputs."""

    spec: NetSpec
    inputs: tuple[Input, ...]
    nodes: tuple[Node, ...]
    outputs: tuple[Ref, ...]
    output_names: tuple[str, ...] = ()  # as `outputs:` wrote them (a block's name, say)

    @property
    def input_shape(self) -> Shape:
        """The first input's shape."""
        return self.inputs[0].shape

    @property
    def output_shape(self) -> Shape:
        """The main (first) output's shape."""
        return self.shape(self.outputs[0])

    def output_name(self, index: int) -> str:
        """Output `index` by the name the spec gave it, else its layer's name."""
        if index < len(self.output_names):
            return self.output_names[index]
        return self.name(self.outputs[index])

    def shape(self, ref: Ref) -> Shape:
        return self.inputs[-1 - ref].shape if ref < 0 else self.nodes[ref].output_shape

    def name(self, ref: Ref) -> str:
        return self.inputs[-1 - ref].name if ref < 0 else self.nodes[ref].name

    @cached_property
    def consumers(self) -> tuple[tuple[int, ...], ...]:
        """Per node, the indices of the nodes that read its output."""
        found: list[list[int]] = [[] for _ in self.nodes]
        for node in self.nodes:
            for ref in dict.fromkeys(node.inputs):
                if ref >= 0:
                    found[ref].append(node.index)
        return tuple(tuple(f) for f in found)

    @cached_property
    def last_use(self) -> dict[Ref, int]:
        """Per value, the index of the last node that reads it; an output is read by the
        end of the run (index len(nodes))."""
        last: dict[Ref, int] = {}
        for node in self.nodes:
            for ref in node.inputs:
                last[ref] = node.index
        for ref in self.outputs:
            last[ref] = len(self.nodes)
        return last

    def ancestors(self, ref: Ref) -> list[int]:
        """The nodes a value depends on, itself included, in execution order."""
        seen: set[int] = set()
        stack = [ref]
        while stack:
            at = stack.pop()
            if at < 0 or at in seen:
                continue
            seen.add(at)
            stack.extend(self.nodes[at].inputs)
        return sorted(seen)


__all__ = ["Input", "Network", "Node", "Ref"]
