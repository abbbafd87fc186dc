"""Constants and aliases: Constant and Identity record values without a layer; Dropout
is a layer that passes its input on."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..attributes import has_input, short_number

if TYPE_CHECKING:
    from ..walk import Importer


def constant(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    value = attrs.get("value")
    if value is None:
        raise imp.problem(index, node, "only a tensor 'value' is read")
    value.name = node.output[0]
    imp.consts[node.output[0]] = value


def identity(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    source = node.input[0]
    if source in imp.consts:
        imp.consts[node.output[0]] = imp.consts[source]
    else:
        imp.refs[node.output[0]] = imp.ref(source, index, node)


def dropout(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    ratio = attrs.get("ratio", 0.5)
    if has_input(node, 1):
        ratio = imp.first_value(node.input[1], index, node)
    imp.emit(index, node, "dropout", {"p": short_number(ratio)}, [node.input[0]])
