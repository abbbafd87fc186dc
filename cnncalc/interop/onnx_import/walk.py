"""The walk: graph inputs, then every node in order translated to an entry (or an alias, or
a constant), then the graph outputs; then every entry named."""
from __future__ import annotations

from typing import Any

from .attributes import node_attributes
from .fusions import Fusions, find_fusions
from .names import graph_name, name_entries
from .ops import TRANSLATORS
from .records import Entry, Imported, ImportProblem, Ref
from .tensors import ModelView, tensor_dims


class Importer(ModelView):
    """One model's import: `run` gives the spec's parts."""

    def __init__(self, model: Any, file: str):
        super().__init__(model, file)
        self.refs: dict[str, Ref] = {}
        self.entries: list[Entry] = []
        self.fusions = Fusions(self)  # found by `run`, once the inputs are known good

    def run(self) -> Imported:
        """The spec's parts: inputs (static but for the batch), entries, outputs."""
        inputs: list[tuple[str, list[int]]] = []
        for info in self.graph.input:
            if info.name in self.consts:
                continue
            dims = tensor_dims(info)
            if dims is None or len(dims) < 2 or any(d is None for d in dims[1:]):
                raise ImportProblem(f"{self.file}: input '{info.name}' needs a static shape "
                                    f"(batch, channels, sizes...); found {dims}")
            self.refs[info.name] = -1 - len(inputs)
            inputs.append((info.name, [int(d) for d in dims[1:] if d is not None]))
        if not inputs:
            raise ImportProblem(f"{self.file}: the graph has no input")
        self.fusions = find_fusions(self)
        for index, node in enumerate(self.graph.node):
            if index not in self.fusions.skip:
                self.node(index, node)
        outputs = []
        for info in self.graph.output:
            ref = self.refs.get(info.name)
            if ref is None or ref < 0:
                raise ImportProblem(f"{self.file}: output '{info.name}' is not computed by a "
                                    f"layer")
            outputs.append(ref)
        name_entries(self.entries)
        return Imported(inputs, self.entries, outputs)

    def emit(self, index: int, node: Any, kind: str, args: dict[str, Any],
             reads: list[str]) -> None:
        """Node `index` as one `kind` entry reading tensors `reads`; a max pool's indices
        go to its unpools, any other used second output is refused."""
        refs = [self.ref(name, index, node) for name in reads]
        entry = Entry(kind, args, refs)
        entry.base, entry.op_suffix = graph_name(node.name, node.output[0])
        entry.where, entry.tensor = self.where(index, node), node.output[0]
        self.entries.append(entry)
        self.refs[node.output[0]] = len(self.entries) - 1
        for extra in node.output[1:]:
            readers = [self.graph.node[i].op_type for i in self.consumers.get(extra, [])]
            if kind == "maxpool" and readers and set(readers) == {"MaxUnpool"}:
                self.refs[extra] = len(self.entries) - 1  # the pool, for its unpools
                entry.paired = True
                continue
            if extra and self.consumers.get(extra) or extra in {o.name for o in
                                                                self.graph.output}:
                raise self.problem(index, node, f"its output '{extra}' is used; cnncalc's {kind} "
                                   "has one output")

    def node(self, index: int, node: Any) -> None:
        """Node `index` through its translator (or its fused pattern); a translator's slip
        on a malformed node becomes a located message."""
        op = node.op_type
        if index in self.fusions.fused:
            kind, args, reads = self.fusions.fused[index]
            self.emit(index, node, kind, args, reads)
            return
        translate = TRANSLATORS.get(op)
        if translate is None or node.domain not in ("", "ai.onnx"):
            raise self.problem(index, node, "no cnncalc layer kind for this op")
        try:
            translate(self, index, node, node_attributes(node))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:
            if isinstance(err, ImportProblem):
                raise
            raise self.problem(index, node, f"malformed node ({type(err).__name__}: "
                               f"{' '.join(str(err).split())[:100]})") from None

    def ref(self, name: str, index: int, node: Any) -> Ref:
        """The entry or network input computing tensor `name`, which node `index` reads."""
        if name not in self.refs:
            what = "a constant" if name in self.consts else "not produced before it"
            raise self.problem(index, node, f"input '{name}' is {what}; cnncalc layers read "
                               "tensors that earlier layers compute")
        return self.refs[name]
