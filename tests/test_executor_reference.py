"""The executor against PyTorch: outputs and gradients of every layer kind, in float64.

The reference was recorded by tests/reference/make_executor_reference.py (torch 2.14.1); each
case is a spec whose last node is the layer under test, with PyTorch's input, parameters,
buffers, output, output gradient g, and the gradients of sum(g * output). No torch here.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cnncalc.build import build
from cnncalc.executor.ops import OPS, op_class, op_for
from cnncalc.layers import LAYERS, MERGES
from cnncalc.spec import parse

DATA = np.load(Path(__file__).parent / "reference" / "executor_reference.npz")
CASES = json.loads(str(DATA["__cases__"]))
RTOL = 1e-5


def _close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.shape == want.shape, f"{what}: shape {got.shape}, PyTorch {want.shape}"
    # relative to the array's scale: entries near zero are judged against it, not 0
    scale = max(float(np.abs(want).max()), 1e-12)
    worst = float(np.abs(got - want).max()) / scale
    assert worst < RTOL, f"{what}: worst relative difference {worst:.2e}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_pytorch(case: dict) -> None:
    stored = {key: DATA[f"{case['name']}/{key}"] for key in case["keys"]}
    network = build(parse(case["spec"], case["name"]))
    node = network.nodes[-1]
    op = op_for(node.layer)
    if hasattr(op, "link"):  # maxunpool: its pool, run on the recorded pool input
        pool = op_for(network.nodes[node.inputs[1]].layer)
        pool.forward(stored["pool_input"].copy())
        op.link([None, pool])
    op.init(np.random.default_rng(0), np.dtype("float64"))
    for name in op.params:
        op.params[name] = stored[f"param/{name}"].copy()
    for name in op.buffers:
        op.buffers[name] = stored[f"buffer/{name}"].copy()
    assert sorted(op.params) == sorted(k[6:] for k in stored if k.startswith("param/"))
    inputs = [stored[f"input{i}"].copy() for i in range(case["inputs"])]
    y = op.forward(inputs if case["inputs"] > 1 else inputs[0], train=case["train"])
    _close(y, stored["output"], "output")
    grads = op.backward(stored["g"].copy())
    for i, grad in enumerate(grads if case["inputs"] > 1 else [grads]):
        _close(grad, stored[f"dinput{i}"], f"input {i} gradient")
    for name in op.params:
        _close(op.grads[name], stored[f"grad/{name}"], f"'{name}' gradient")
    for name in op.buffers if case["train"] else ():
        _close(op.buffers[name], stored[f"updated/{name}"], f"updated '{name}'")


def test_every_layer_kind_and_merge_has_an_op_and_a_reference_case() -> None:
    kinds = {cls.kind for cls in LAYERS.values()} | set(MERGES)
    missing = {cls.kind for cls in LAYERS.values() if op_class(cls) is None}
    assert not missing and set(MERGES) <= set(OPS), f"no op for {sorted(missing)}"
    tested = {build(parse(c["spec"], c["name"])).nodes[-1].layer.kind for c in CASES}
    assert kinds <= tested, f"no PyTorch reference for {sorted(kinds - tested)}"
