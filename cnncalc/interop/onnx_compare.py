"""The executor cross-checked by a second runtime: export the network with the weights the
executor ran with, run the same batch through onnxruntime, and measure the differences.

Imports onnx, onnxruntime and numpy; only `cnncalc run --compare onnxruntime` uses it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..executor.runner import RunResult
from ..graph import Network
from ..layers import Shape, shape_str

PASS_BELOW = 1e-4  # the largest difference, relative to the output's largest magnitude
# ... or absolute: an output that cancels to about 0 (the mean of a normalised map) holds
# only float32 rounding, of the size of its inputs' (about 1) times 2^-24, not of its own
ABSOLUTE_FLOOR = 1e-6


@dataclass(frozen=True)
class OutputDiff:
    """One output of the network, executor against onnxruntime (float32).

    `relative` is the largest absolute difference divided by the largest magnitude of the
    executor's output (an elementwise ratio would blow up where a value crosses 0)."""

    name: str
    shape: Shape
    absolute: float
    relative: float
    scale: float

    @property
    def ok(self) -> bool:
        return bool(self.relative <= PASS_BELOW or self.absolute <= ABSOLUTE_FLOOR)

    def __str__(self) -> str:
        verdict = "ok" if self.ok else (f"MISMATCH (pass within {PASS_BELOW:.0e} relative or "
                                        f"{ABSOLUTE_FLOOR:.0e} absolute)")
        return (f"onnxruntime: output '{self.name}' {shape_str(self.shape)}: largest "
                f"difference {self.absolute:.3g} absolute, {self.relative:.3g} relative (to "
                f"the largest |value|, {self.scale:.3g}): {verdict}")


def compare_onnxruntime(network: Network, result: RunResult) -> list[OutputDiff]:
    """Run `result`'s batch through onnxruntime on the network exported with `result`'s
    parameters (a run made with keep=True, in eval mode); one OutputDiff per output."""
    import onnxruntime as ort

    from .onnx_export import to_onnx

    assert result.params is not None and not result.train, "run(keep=True, train=False)"
    model = to_onnx(network, result.params, batch=result.batch)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    # the graph as written: no fusing of nodes into kernels that round differently
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options,
                                   providers=["CPUExecutionProvider"])
    feeds = {info.name: x.astype(np.float32) for info, x in
             zip(model.graph.input, result.input_values)}
    got = session.run([o.name for o in model.graph.output], feeds)
    diffs = []
    for i, (mine, theirs) in enumerate(zip(result.output_values, got)):
        mine64, theirs64 = mine.astype(np.float64), np.asarray(theirs, np.float64)
        if mine64.shape != theirs64.shape:
            diffs.append(OutputDiff(network.output_name(i), tuple(mine.shape[1:]), np.inf,
                                    np.inf, 0.0))
            continue
        absolute = float(np.max(np.abs(mine64 - theirs64), initial=0.0))
        scale = float(np.max(np.abs(mine64), initial=0.0))
        relative = absolute / scale if scale > 0 else (0.0 if absolute == 0 else np.inf)
        if not np.isfinite(absolute):
            relative = np.inf
        diffs.append(OutputDiff(network.output_name(i), tuple(mine.shape[1:]), absolute,
                                relative, scale))
    return diffs


__all__ = ["ABSOLUTE_FLOOR", "PASS_BELOW", "OutputDiff", "compare_onnxruntime"]
