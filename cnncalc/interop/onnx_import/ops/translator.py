"""The translator's contract: (importer, node index, node, its attributes) -> nothing; it
emits the node's entry through `Importer.emit`, or records an alias or a constant."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..walk import Importer

Translator = Callable[["Importer", int, Any, dict[str, Any]], None]


def plain(kind: str) -> Translator:
    """The translator of an op with no attributes cnncalc reads: one `kind` layer."""
    def translate(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
        imp.emit(index, node, kind, {}, [node.input[0]])
    return translate
