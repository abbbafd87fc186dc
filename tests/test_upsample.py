"""Upsampling against PyTorch: the layer's sampling rule (`Upsample.sampling`) drives both
the executor and the receptive field, so both are checked here.

The grid was recorded by tests/reference/make_executor_reference.py (torch 2.14.1): input
sizes 1..9, scales 0.5..3.3 or sizes, nearest and linear (align_corners false and true),
1-D, 2-D and some 3-D, in float32 and float64; forward and the input's gradient.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from cnncalc.build import build
from cnncalc.executor.ops import op_for
from cnncalc.layers.reshape import Upsample
from cnncalc.receptive import AxisField
from cnncalc.spec import parse

DATA = np.load(Path(__file__).parent / "reference" / "executor_reference.npz")
GRID = json.loads(str(DATA["__upsample__"]))


def _layer(entry: dict, input_shape: list[int]) -> Upsample:
    spec = parse(f"name: u\ninput: {input_shape}\nlayers:\n  - upsample: {json.dumps(entry)}\n",
                 "u")
    return build(spec).nodes[-1].layer


def _grid_value(count: int, gradient: bool = False) -> np.ndarray:
    """The generator's formula: x[k] = sin(0.7 k + 0.3) + k / 16, g[k] = cos(0.4 k)."""
    k = np.arange(count, dtype=np.float64)
    return np.cos(0.4 * k) if gradient else np.sin(0.7 * k + 0.3) + k / 16


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_grid_case_matches_pytorch_forward_and_backward(dtype: str) -> None:
    stored = {key: DATA[f"upsample/{dtype}/{key}"] for key in ("input", "output", "dinput")}
    cases = [c for c in GRID if c["dtype"] == dtype]
    assert len(cases) > 1000
    wrong, skipped = [], 0
    for case in cases:
        layer = _layer(case["entry"], case["input"])
        assert list(layer.output_shape()) == case["output"], case
        shape = (1, *case["input"])
        x_at, y_at = case["at"]
        count = int(np.prod(shape))
        x = stored["input"][x_at:x_at + count].reshape(shape)
        assert np.allclose(x.ravel(), _grid_value(count)), "the grid's input formula changed"
        op = op_for(layer)
        y = op.forward(x.astype(dtype))
        want = stored["output"][y_at:y_at + y.size].reshape(y.shape)
        g = _grid_value(y.size, gradient=True).reshape(y.shape).astype(dtype)
        dx = op.backward(g)
        want_dx = stored["dinput"][x_at:x_at + count].reshape(shape)
        if np.abs(y - want).max() > 1e-6:
            wrong.append((case["entry"], case["input"], float(np.abs(y - want).max())))
        if _pytorch_backward_is_not_the_adjoint(layer):
            skipped += 1
        elif np.abs(dx - want_dx).max() > 1e-5:
            wrong.append((case["entry"], case["input"], "gradient"))
    assert not wrong, f"{len(wrong)} cases differ from PyTorch, e.g. {wrong[:3]}"
    assert skipped == 20


def _pytorch_backward_is_not_the_adjoint(layer: Upsample) -> bool:
    """1-D and 3-D nearest: PyTorch's forward has no copy or doubling shortcut, but its
    backward (upsample_nearest1d_backward, 3d) uses nearest_idx, which has them; where an
    axis keeps or doubles its size the two disagree. The executor's backward is the adjoint
    of its forward (the true gradient); see the test below."""
    rules = [layer.sampling(a) for a in range(len(layer.size))]
    return any(r.mode == "nearest" and not r.shortcuts and r.out in (r.size, 2 * r.size)
               and any(r.source(j)[0] != (j if r.out == r.size else j // 2)
                       for j in range(r.out)) for r in rules)


def test_1d_nearest_backward_is_the_adjoint_of_forward_where_pytorchs_is_not() -> None:
    """torch 2.14: upsample(scale 1.1, nearest) on 7 reads 0, 0, 1, ..., 5; backward of
    g = 1..7 gives PyTorch [1, 2, ..., 7] (a copy), the adjoint [3, 3, 4, 5, 6, 7, 0]."""
    op = op_for(_layer({"scale": 1.1, "mode": "nearest"}, [1, 7]))
    op.forward(np.zeros((1, 1, 7)))
    dx = op.backward(np.arange(1.0, 8.0).reshape(1, 1, 7))
    assert dx.ravel().tolist() == [3, 3, 4, 5, 6, 7, 0]


@pytest.mark.parametrize("entry, input_shape, sources", [
    # scale 1.1 on 7 keeps the size: linear copies the axis (PyTorch 2.14, observed)
    ({"scale": 1.1, "mode": "linear"}, [1, 7], [0, 1, 2, 3, 4, 5, 6]),
    ({"scale": 1.1, "mode": "linear", "align_corners": True}, [1, 7], [0, 1, 2, 3, 4, 5, 6]),
    # 1-D nearest has no such shortcut: floor(j / 1.1)
    ({"scale": 1.1, "mode": "nearest"}, [1, 7], [0, 0, 1, 2, 3, 4, 5]),
    # ... unless the scale is recomputed from the sizes (7/7): then floor(j * 1)
    ({"scale": 1.1, "mode": "nearest", "recompute_scale_factor": True}, [1, 7],
     [0, 1, 2, 3, 4, 5, 6]),
    # 2-D nearest copies a kept axis and halves a doubled one
    ({"scale": [1.1, 2.004], "mode": "nearest"}, [1, 7, 3], [0, 1, 2, 3, 4, 5, 6]),
])
def test_the_first_axis_reads_what_pytorch_reads(entry, input_shape, sources) -> None:
    rule = _layer(entry, input_shape).sampling(0)
    assert [rule.source(j)[0] for j in range(rule.out)] == sources


def test_scale_2_004_on_2d_nearest_reads_j_over_2_as_pytorch_does() -> None:
    rule = _layer({"scale": 2.004, "mode": "nearest"}, [1, 5, 5]).sampling(1)
    assert rule.out == 10 and [rule.source(j)[0] for j in range(10)] == \
        [j // 2 for j in range(10)]


@pytest.mark.parametrize("entry, input_shape, size", [
    ({"scale": 1.1, "mode": "linear"}, [1, 7], 1),      # copied: one pixel, not 2
    ({"scale": 1.1, "mode": "nearest"}, [1, 7], 1),     # nearest reads one pixel
    ({"scale": 2, "mode": "linear"}, [1, 7], 2),        # half-pixel x2 mixes two
    ({"size": 13, "mode": "linear", "align_corners": True}, [1, 7], 2),
    ({"scale": 0.5, "mode": "linear"}, [1, 8], 2),      # samples between pixel pairs
    ({"scale": 0.5, "mode": "nearest"}, [1, 8], 1),
])
def test_receptive_field_follows_the_sampling_rule(entry, input_shape, size) -> None:
    layer = _layer(entry, input_shape)
    (field,) = layer.receptive_field((AxisField(),))
    assert field.size == size


def test_2d_nearest_doubling_repeats_every_2_outputs_whatever_the_scale() -> None:
    """scale 2.004 on 5 gives 10 = 2N: PyTorch reads j >> 1, so the field's period is 2."""
    layer = _layer({"scale": 2.004, "mode": "nearest"}, [1, 5, 5])
    field = layer.receptive_field((AxisField(), AxisField()))[1]
    assert field.period == 2 and [(field.lo(j), field.hi(j)) for j in range(1000, 1004)] == \
        [(500, 500), (500, 500), (501, 501), (501, 501)]


def test_receptive_field_is_exact_per_position_where_pytorch_reads() -> None:
    """x2 linear: output j reads floor((j + 0.5)/2 - 0.5) and the next pixel, the input
    taken as unbounded (output 0 reads pixel -1, padding-like)."""
    layer = _layer({"scale": 2, "mode": "linear"}, [1, 6])
    (field,) = layer.receptive_field((AxisField(),))
    assert [(field.lo(j), field.hi(j)) for j in range(6)] == \
        [(-1, 0), (0, 1), (0, 1), (1, 2), (1, 2), (2, 3)]


@pytest.mark.parametrize("n, scale", [(10 ** 9, 1.000001), (10 ** 9, 1 + 2 ** -40),
                                      (10 ** 9, 3.14159265358979), (7, 1e5), (7, 1e300)])
def test_receptive_field_of_a_huge_upsample_is_bounded_work(n: int, scale: float) -> None:
    """A period too long to unroll takes the closed form of the exact ratio (1/scale as
    written): the jump is exact and an output reads at most its two neighbours."""
    layer = Upsample((1, n), (int(n * scale),), (scale,), "bilinear", False)
    (field,) = layer.receptive_field((AxisField(),))
    assert field.size <= 2
    assert math.isclose(field.jump, 1 / scale, rel_tol=1e-12)


def test_a_huge_upsample_matrix_is_refused_by_the_memory_guard() -> None:
    from cnncalc.executor.runner import MemoryRefused, run

    spec = parse("name: u\ninput: [1, 4000000]\nlayers:\n  - upsample: {scale: 2}\n", "u")
    with pytest.raises(MemoryRefused):
        run(spec, batch=1, max_memory=2 ** 30)


@pytest.mark.parametrize("entry, says", [
    ("{size: 4, recompute_scale_factor: true}", "applies to 'scale' only"),
    ("{scale: .inf}", "'.inf' is not a finite number"),
    ("{scale: .nan}", "'.nan' is not a finite number"),
])
def test_bad_upsample_arguments_are_located_errors(entry: str, says: str) -> None:
    from cnncalc.errors import SpecError

    with pytest.raises(SpecError) as error:
        build(parse(f"name: u\ninput: [1, 7]\nlayers:\n  - upsample: {entry}\n", "u"))
    assert ":4:" in str(error.value) and says in str(error.value)
