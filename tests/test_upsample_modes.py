"""Upsample's nearest-exact and area modes against PyTorch (issue 9). Outputs and gradients
are in test_executor_reference.py; here the index each nearest-exact output copies, on a
grid recorded by make_executor_reference.py (``__nearest_exact__``), and the receptive
field that follows from the same rule."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import analyze_layers

from cnncalc.build import build
from cnncalc.errors import SpecError
from cnncalc.executor import gradcheck
from cnncalc.executor.ops import op_for
from cnncalc.receptive import AxisField
from cnncalc.spec import parse

DATA = np.load(Path(__file__).parent / "reference" / "executor_reference.npz")
EXACT = json.loads(str(DATA["__nearest_exact__"]))


def _layer(entry: dict, input_shape: list[int]):
    spec = parse(f"input: {input_shape}\nlayers:\n  - upsample: {json.dumps(entry)}\n", "u")
    return build(spec).nodes[-1].layer


def _entry(case: dict) -> dict:
    nd = case["ndim"]
    entry: dict = {"mode": "nearest-exact"}
    if case["scale"]:
        entry["scale"] = [case["scale"]] + [1.0] * (nd - 1)
    else:
        entry["size"] = [case["size"]] + [2] * (nd - 1)
    if case["recompute"]:
        entry["recompute_scale_factor"] = True
    return entry


def test_nearest_exact_reads_what_pytorch_reads_on_the_grid() -> None:
    assert len(EXACT) > 2000
    wrong = []
    for case in EXACT:
        layer = _layer(_entry(case), [1, case["n"], *[2] * (case["ndim"] - 1)])
        rule = layer.sampling(0)
        got = [rule.source(j, case["dtype"])[0] for j in range(rule.out)]
        if got != case["sources"]:
            wrong.append(case)
    assert not wrong, f"{len(wrong)} differ, e.g. {wrong[:2]}"


def test_nearest_exact_field_reads_the_copied_pixel() -> None:
    """The field per position is the index PyTorch copies (the input taken as unbounded,
    so only where the index is not capped at N - 1). A ratio whose exact period is too
    long to unroll (1/0.29 as written) is bounded instead, and left out."""
    compared = 0
    for case in EXACT[:600]:
        layer = _layer(_entry(case), [1, case["n"], *[2] * (case["ndim"] - 1)])
        field = layer.receptive_field(tuple(AxisField() for _ in range(case["ndim"])))[0]
        if not isinstance(field, AxisField):
            assert field.size <= 2
            continue
        compared += 1
        for j, source in enumerate(case["sources"]):
            if source < case["n"] - 1:
                assert (field.lo(j), field.hi(j)) == (source, source), (case, j)
    assert compared > 400


def test_nearest_exact_hand_worked() -> None:
    """Scale 1.1 on 7: floor((j + 0.5) / 1.1) = 0, 1, 2, 3, 4, 5, 5 (nearest: 0, 0, 1, ...)."""
    rule = _layer({"scale": 1.1, "mode": "nearest-exact"}, [1, 7]).sampling(0)
    assert [rule.source(j)[0] for j in range(7)] == [0, 1, 2, 3, 4, 5, 5]


def test_area_is_adaptive_average_pooling() -> None:
    """Same windows, same field, same operation count as adaptive_avgpool."""
    up = analyze_layers([{"upsample": {"size": [4, 3], "mode": "area"}}], [2, 9, 7]).rows[0]
    pool = analyze_layers([{"adaptive_avgpool": {"output_size": [4, 3]}}], [2, 9, 7]).rows[0]
    assert up.output_shape == pool.output_shape and up.ops == pool.ops
    assert up.field == pool.field
    op = op_for(_layer({"size": [4, 3], "mode": "area"}, [2, 9, 7]))
    x = np.random.default_rng(0).standard_normal((1, 2, 9, 7))
    want = op_for(build(parse("input: [2, 9, 7]\nlayers:\n  - adaptive_avgpool: "
                              "{output_size: [4, 3]}\n", "p")).nodes[-1].layer).forward(x)
    assert np.allclose(op.forward(x), want)


@pytest.mark.parametrize("entry, shape", [
    ({"scale": 1.7, "mode": "nearest-exact"}, [2, 5, 6]),
    ({"size": 10, "mode": "nearest-exact"}, [2, 7]),
    ({"scale": [1.7, 0.5], "mode": "area"}, [2, 3, 8]),
    ({"scale": [1.7, 0.5], "mode": "bicubic"}, [2, 5, 8]),
    ({"size": [7, 3], "mode": "bicubic", "align_corners": True}, [2, 4, 5]),
])
def test_gradcheck(entry, shape) -> None:
    op = op_for(_layer(entry, shape))
    rng = np.random.default_rng(2)
    assert gradcheck.worst_error(op, rng.standard_normal((2, *shape)), rng) < 1e-6


def test_bicubic_overshoots_so_it_does_not_keep_the_sign() -> None:
    """[0, 0, 1, 0, 0] x2: Keys' negative lobes give values below 0 beside the peak."""
    layer = _layer({"scale": 2, "mode": "bicubic"}, [1, 5, 1])
    y = op_for(layer).forward(np.array([0, 0, 1.0, 0, 0]).reshape(1, 1, 5, 1))
    assert y.min() < 0 and not layer.keeps_sign
    assert _layer({"scale": 2, "mode": "bilinear"}, [1, 5, 1]).keeps_sign


def test_bicubic_field_reads_four_taps_hand_worked() -> None:
    """x2, half-pixel: output j samples (j + 0.5)/2 - 0.5, never whole, so it reads
    floor - 1 ... floor + 2: 4 pixels. align_corners on 5 -> 9: even j sample a pixel."""
    layer = _layer({"scale": 2, "mode": "bicubic"}, [1, 6, 6])
    field = layer.receptive_field((AxisField(), AxisField()))[0]
    assert [(field.lo(j), field.hi(j)) for j in range(4)] == [(-2, 1), (-1, 2), (-1, 2),
                                                              (0, 3)]
    assert field.size == 4
    aligned = _layer({"size": [9, 9], "mode": "bicubic", "align_corners": True}, [1, 5, 5])
    field = aligned.receptive_field((AxisField(), AxisField()))[0]
    assert [(field.lo(j), field.hi(j)) for j in range(3)] == [(0, 0), (-1, 2), (1, 1)]


@pytest.mark.parametrize("entry, message", [
    ({"scale": 2, "mode": "area", "align_corners": True}, "linear modes and bicubic only"),
    ({"scale": 2, "mode": "nearest-exact", "align_corners": True}, "linear modes and bicubic"),
    ({"scale": 2, "mode": "cubic"}, "must be one of"),
])
def test_refusals(entry, message) -> None:
    with pytest.raises(SpecError, match=message):
        _layer(entry, [2, 5, 6])


def test_bicubic_needs_two_spatial_axes() -> None:
    with pytest.raises(SpecError, match="needs 2 spatial axes"):
        _layer({"scale": 2, "mode": "bicubic"}, [2, 5])


def test_bicubic_matches_pytorch_on_the_grid() -> None:
    """``__bicubic__`` (make_executor_reference.py): every case's output, float32 within
    float32 rounding, float64 to 1e-12."""
    cases = json.loads(str(DATA["__bicubic__"]))
    assert len(cases) > 500
    wrong = []
    for case in cases:
        entry: dict = {"mode": "bicubic", "align_corners": case["align_corners"]}
        if case["scale"]:
            entry["scale"] = [case["scale"], 1.0]
        else:
            entry["size"] = [case["size"], 3]
        if case["recompute"]:
            entry["recompute_scale_factor"] = True
        n = case["n"]
        k = np.arange(3 * n, dtype=np.float64)
        x = (np.sin(0.7 * k + 0.3) + k / 16).astype(case["dtype"]).reshape(1, 1, n, 3)
        y = op_for(_layer(entry, [1, n, 3])).forward(x)
        want = np.array(case["output"])
        tolerance = 1e-5 if case["dtype"] == "float32" else 1e-12
        if y.size != want.size or np.abs(y.ravel() - want).max() > tolerance:
            wrong.append(case)
    assert not wrong, f"{len(wrong)} differ, e.g. {wrong[:1]}"
