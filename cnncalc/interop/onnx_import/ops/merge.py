"""Merges: Add, Sum, Mul and Concat of layers' outputs (a merge of one tensor is an alias)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .translator import Translator

if TYPE_CHECKING:
    from ..walk import Importer


def _merge(imp: Importer, index: int, node: Any, kind: str, args: dict[str, Any]) -> None:
    reads = [name for name in node.input if name]
    constant = [name for name in reads if name in imp.consts]
    if constant:
        raise imp.problem(index, node, f"an input is a constant ('{constant[0]}'); cnncalc merges "
                          "layers' outputs")
    if len(reads) == 1:  # a merge of one tensor only passes it on: an alias
        imp.refs[node.output[0]] = imp.ref(reads[0], index, node)
        return
    imp.emit(index, node, kind, args, reads)


def elementwise(kind: str) -> Translator:
    """The translator of Add or Sum ('add') and Mul ('multiply')."""
    def translate(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
        _merge(imp, index, node, kind, {})
    return translate


def concat(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    axis = int(attrs.get("axis", 1))
    if axis < 0:
        axis, _ = imp.absolute_axis(index, node, axis)
    if axis < 1:
        raise imp.problem(index, node, "concatenating along the batch has no cnncalc kind")
    _merge(imp, index, node, "concat", {} if axis == 1 else {"axis": axis - 1})
