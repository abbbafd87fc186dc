"""Patterns of several nodes that stand for one cnncalc layer: x * sigmoid(x) (silu),
x * hardsigmoid(x) (hardswish), MatMul + bias (dense), PyTorch's exact GELU before opset 20,
and an adaptive pool written as slices and reductions."""
from __future__ import annotations

import math
from typing import Any

from .attributes import is_pytorch_hardsigmoid, node_attributes
from .records import ImportProblem
from .tensors import ModelView

Fused = tuple[str, dict[str, Any], list[str]]  # (kind, args, the tensors it reads)


def _both_orders(node: Any) -> tuple[tuple[str, str], tuple[str, str]]:
    """A two-input node's inputs, each way round (a pattern may sit in either slot)."""
    return (node.input[0], node.input[1]), (node.input[1], node.input[0])


class Fusions:
    """The fused patterns of one model: `fused` maps the node that stands for a pattern to
    its layer; `skip` holds the pattern's other nodes, which emit nothing."""

    def __init__(self, view: ModelView):
        self.view = view
        self.nodes = view.graph.node
        self.consumers, self.consts = view.consumers, view.consts
        self.skip: set[int] = set()
        self.fused: dict[int, Fused] = {}

    def find(self) -> None:
        """x * sigmoid(x) -> silu; x * hardsigmoid(x) -> hardswish; MatMul + bias -> dense."""
        nodes = self.nodes
        producer = {out: i for i, n in enumerate(nodes) for out in n.output}
        for index, node in enumerate(nodes):
            if node.op_type == "Mul" and len(node.input) == 2:
                for gate, other in _both_orders(node):
                    g = producer.get(gate)
                    if g is None or self.consumers.get(gate) != [index]:
                        continue
                    gnode = nodes[g]
                    if gnode.input and gnode.input[0] == other:
                        if gnode.op_type == "Sigmoid":
                            self.skip.add(g)
                            self.fused[index] = ("silu", {}, [other])
                            break
                        attrs = node_attributes(gnode)
                        if gnode.op_type == "HardSigmoid" and is_pytorch_hardsigmoid(attrs):
                            self.skip.add(g)
                            self.fused[index] = ("hardswish", {}, [other])
                            break
            if node.op_type == "Erf":
                self._find_gelu(index, producer)
            if node.op_type == "Concat":
                self._find_adaptive(index, producer)
            if node.op_type == "Add" and len(node.input) == 2:
                for mm, bias in _both_orders(node):
                    m = producer.get(mm)
                    if m is None or nodes[m].op_type != "MatMul" or \
                            self.consumers.get(mm) != [index] or bias not in self.consts:
                        continue
                    weight = self.consts.get(nodes[m].input[1])
                    if weight is None or len(weight.dims) != 2:
                        continue
                    if list(self.consts[bias].dims) == [weight.dims[1]]:
                        self.skip.add(m)
                        self.fused[index] = ("dense", {"units": int(weight.dims[1])},
                                             [nodes[m].input[0]])
                        break

    def _adaptive_stage(self, index: int, producer: dict[str, int]
                        ) -> tuple[str, int, int, str, list[int]] | None:
        """Concat over spatial axis a of Reduce(Slice(x, start_i, end_i, a), a) for every
        window i of PyTorch's adaptive pooling of n into o (start floor(i n / o), end
        ceil((i + 1) n / o)): an adaptive pool along a, as cnncalc's exporter writes one
        whose windows differ in size. (x, a, o, reduce op, helper nodes) or None."""
        nodes, node = self.nodes, self.nodes[index]
        axis, parts = node_attributes(node).get("axis"), list(node.input)
        if not isinstance(axis, int) or axis < 2 or len(parts) < 2:
            return None
        found: tuple[str, str] | None = None
        helpers: list[int] = []
        for i, part in enumerate(parts):
            r = producer.get(part)
            if r is None or self.consumers.get(part) != [index]:
                return None
            reduce = nodes[r]
            axes = node_attributes(reduce).get("axes")
            try:
                if axes is None and len(reduce.input) > 1:
                    axes = self.view.values(reduce.input[1], r, reduce)
                cut_index = producer.get(reduce.input[0])
                if reduce.op_type not in ("ReduceMean", "ReduceMax") or cut_index is None:
                    return None
                cut = nodes[cut_index]
                if cut.op_type != "Slice" or len(cut.input) not in (4, 5) or \
                        self.consumers.get(cut.output[0]) != [r] or \
                        node_attributes(reduce).get("keepdims", 1) != 1 or \
                        list(axes or []) != [axis]:
                    return None
                start, stop, along = (self.view.values(cut.input[k], cut_index, cut)
                                      for k in (1, 2, 3))
                step = self.view.values(cut.input[4], cut_index, cut) if len(cut.input) == 5 \
                    else [1]
            except ImportProblem:
                return None
            if found is None:
                found = (cut.input[0], reduce.op_type)
            shape = self.view.shapes.get(found[0])
            size = shape[axis] if shape is not None and len(shape) > axis else None
            if (cut.input[0], reduce.op_type) != found or size is None or along != [axis] or \
                    step != [1]:
                return None
            n, o = int(size), len(parts)
            if [start, stop] != [[(i * n) // o], [-(-((i + 1) * n) // o)]]:
                return None
            helpers += [r, cut_index]
        assert found is not None
        return found[0], axis, len(parts), found[1], helpers

    def _find_adaptive(self, index: int, producer: dict[str, int]) -> None:
        """One adaptive pool from its per-axis stages (see `_adaptive_stage`)."""
        stage = self._adaptive_stage(index, producer)
        if stage is None:
            return
        x, axis, out, op, helpers = stage
        sizes = {axis: out}
        before = producer.get(x)
        if before is not None and self.consumers.get(x) == [h for h in helpers if
                                                          self.nodes[h].op_type ==
                                                          "Slice"]:
            earlier = self._adaptive_stage(before, producer)
            if earlier is not None and earlier[3] == op and earlier[1] not in sizes:
                x, _, _, _, more = earlier
                sizes[earlier[1]] = earlier[2]
                helpers += [*more, before]
        rank = self.view.rank(x)
        if rank is None:
            return
        output = [sizes.get(a) for a in range(2, rank)]
        kind = "adaptive_avgpool" if op == "ReduceMean" else "adaptive_maxpool"
        self.skip.update(helpers)
        self.fused[index] = (kind, {"output_size": output}, [x])

    def _find_gelu(self, erf: int, producer: dict[str, int]) -> None:
        """PyTorch's exact GELU before opset 20: Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5)
        -> gelu, the last Mul standing for the five nodes."""
        nodes = self.nodes

        def only(name: str, op: str) -> int | None:
            users = self.consumers.get(name, [])
            return users[0] if len(users) == 1 and nodes[users[0]].op_type == op else None

        div = producer.get(nodes[erf].input[0])
        if div is None or nodes[div].op_type != "Div" or \
                not self.view.is_scalar(nodes[div].input[1], math.sqrt(2)) or \
                self.consumers.get(nodes[erf].input[0]) != [erf]:
            return
        x = nodes[div].input[0]
        add = only(nodes[erf].output[0], "Add")
        if add is None or not any(self.view.is_scalar(n, 1.0) for n in nodes[add].input):
            return
        mul = only(nodes[add].output[0], "Mul")
        if mul is None or x not in nodes[mul].input:
            return
        half = only(nodes[mul].output[0], "Mul")
        if half is None or not any(self.view.is_scalar(n, 0.5) for n in nodes[half].input):
            return
        self.skip.update((div, erf, add, mul))
        self.fused[half] = ("gelu", {}, [x])


def find_fusions(view: ModelView) -> Fusions:
    """Every fused pattern in the model's graph."""
    fusions = Fusions(view)
    fusions.find()
    return fusions
