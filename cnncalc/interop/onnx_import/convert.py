"""ONNX model -> cnncalc spec text, checked: the flat spec must build and compute ONNX's
inferred shapes; the spec with blocks must compute the flat one's figures."""
from __future__ import annotations

from pathlib import Path

from .attributes import has_input
from .model_file import load_model
from .names import sanitise
from .records import Imported, ImportProblem
from .render import render
from .walk import Importer

FOLD_NOTE = ("note: an ONNX model exported in eval mode has each batch norm folded into the "
             "conv before it, so its parameter count is not the framework's; export with "
             "torch.onnx.export(..., training=torch.onnx.TrainingMode.PRESERVE, "
             "do_constant_folding=False) to keep them")


def import_model(path: str | Path, structured: bool = True) -> tuple[str, list[str]]:
    """The spec text of the ONNX model at `path`, and notes for the user."""
    model = load_model(path)
    importer = Importer(model, str(path))
    imported = importer.run()
    title = sanitise(Path(path).stem)
    flat = render(imported, title, structured=False)
    figures = _verify(flat, imported, importer.shapes, str(path))
    text = flat
    if structured:
        text = render(imported, title, structured=True)
        if _verify(text, None, {}, str(path)) != figures:  # a bug, never the model's fault
            raise ImportProblem(f"{path}: the spec with blocks computes other figures than "
                                f"the flat one; rerun with --flat and report it")
    notes = [FOLD_NOTE]
    ops = [node.op_type for node in model.graph.node]
    biased = sum(1 for node in model.graph.node if node.op_type == "Conv" and
                 has_input(node, 2))
    if biased and "BatchNormalization" not in ops:
        notes.append(f"note: this model has no BatchNormalization and {biased} of its convs "
                     f"have biases: if the framework's model has batch norm, it was folded "
                     f"into them, and these counts are not the framework's")
    return text, notes


def _verify(text: str, imported: Imported | None, shapes: dict[str, list[int | None]],
           file: str) -> tuple[int, int, int]:
    """Build the spec; each layer's output shape must be ONNX's inferred one (where ONNX
    knows it). Returns (layers, params, MACs)."""
    from ...analysis import analyze
    from ...build import build
    from ...errors import SpecError
    from ...spec import parse

    try:
        analysis = analyze(build(parse(text, f"{file} (imported)")))
    except SpecError as error:
        first = str(error.problems[0]) if error.problems else str(error)
        raise ImportProblem(f"{file}: the imported spec does not build: {first}") from None
    if imported is not None:
        by_name = {entry.name: entry for entry in imported.entries}
        for row in analysis.rows:
            entry = by_name.get(row.node.name)
            known = shapes.get(entry.tensor) if entry else None
            if entry is None or not known or None in known:
                continue
            if list(row.output_shape) != list(known[1:]):
                raise ImportProblem(f"{entry.where}: cnncalc computes the output "
                                    f"{list(row.output_shape)}, ONNX's shape inference "
                                    f"{list(known[1:])}")
    return len(analysis.rows), analysis.totals.params, analysis.totals.macs

