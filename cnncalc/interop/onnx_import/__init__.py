"""ONNX model -> cnncalc spec text: every node mapped to a layer kind, names from the graph,
parameters from the initializers' shapes (their data is never needed), branches as `from:`
or as `residual`/`branches`, repeated structures as blocks.

Hostile input is bounded: the file's size and node count are capped, external data is never
read (only `dims`, which live in the model file), and a node that cannot be expressed stops
the import with one located message naming it.

The steps, one module each: model_file (read and cap the file), tensors (constants, shapes,
values), fusions (multi-node patterns), ops (one translator per op, in one table), walk (the
graph in order -> entries), names, structure (forks as residual/branches), blocks
(repeated structures), render (the spec text), convert (all of it, checked).
"""
from __future__ import annotations

from .convert import FOLD_NOTE, import_model
from .model_file import MAX_ONNX_BYTES, load_model
from .names import sanitise
from .records import Entry, Imported, ImportProblem
from .render import render

__all__ = ["FOLD_NOTE", "MAX_ONNX_BYTES", "Entry", "ImportProblem", "Imported", "import_model",
           "load_model", "render", "sanitise"]
