"""Layers that move values (issue 9): pixel shuffle and unshuffle, flatten's dims, reshape,
permute, concat along a spatial axis, broadcasting add. Shapes and executor outputs are
checked against PyTorch in test_reference.py and test_executor_reference.py; here the
receptive field per position against PyTorch's gradients (moving_fields.json, recorded by
make_moving_rf_reference.py), gradient checks, and the refusals."""
from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import REFERENCE, analyze_layers

from cnncalc.build import build
from cnncalc.errors import SpecError
from cnncalc.executor import gradcheck
from cnncalc.executor.ops import op_for
from cnncalc.spec import parse

CHAINS = json.loads((REFERENCE / "moving_fields.json").read_text())


@pytest.mark.parametrize("case", CHAINS, ids=[c["id"] for c in CHAINS])
def test_field_per_position_matches_pytorch_gradients(case):
    """Every output row's and column's field against the input gradient PyTorch measured.
    Positions whose field reaches the border are clipped in PyTorch (padding has no
    gradient) and are compared where they stay inside."""
    fields = analyze_layers(case["layers"], case["input"], framework="pytorch").rows[-1].field
    for axis, measured in enumerate((case["rows"], case["cols"])):
        field, n = fields[axis], case["input"][1 + axis]
        if case.get("within"):  # max unpool: data-dependent, so within the field
            assert all(field.lo(i) <= got[0] and got[1] <= field.hi(i)
                       for i, got in enumerate(measured) if got is not None), axis
            assert sum(got is not None for got in measured) > len(measured) // 2
            continue
        compared = 0
        for i, got in enumerate(measured):
            lo, hi = field.lo(i), field.hi(i)
            if 0 <= lo and hi <= n - 1 and got is not None:
                assert [lo, hi] == got, (axis, i)
                compared += 1
            elif got is not None:  # clipped by the border: the measured part lies within
                assert lo <= got[0] and got[1] <= hi, (axis, i)
        assert compared >= len(measured) // 2


def test_pixel_shuffle_field_hand_worked():
    """Output j of a shuffle by 2 reads input j // 2: period 2, jump 1/2, size 1."""
    field = analyze_layers([{"pixel_shuffle": {"factor": 2}}], [8, 5, 6]).rows[0].field[0]
    assert [(field.lo(j), field.hi(j)) for j in range(4)] == [(0, 0), (0, 0), (1, 1), (1, 1)]
    assert (field.size, field.jump) == (1, 0.5)
    back = analyze_layers([{"pixel_shuffle": {"factor": 2}},
                           {"pixel_unshuffle": {"factor": 2}}], [8, 5, 6]).rows[1].field[0]
    assert (back.size, back.jump, back.start) == (1, 1, 0)  # the round trip is the identity


def _op(text: str):
    node = build(parse(text, "t.yaml")).nodes[-1]
    return node, op_for(node.layer)


@pytest.mark.parametrize("entry, shape", [
    ("pixel_shuffle: {factor: 2}", [8, 3, 2]),
    ("pixel_unshuffle: {factor: 3}", [2, 6, 3]),
    ("flatten: {start_dim: 2}", [2, 3, 4]),
    ("reshape: {shape: [3, -1]}", [2, 3, 4]),
    ("permute: {dims: [2, 0, 1]}", [2, 3, 4]),
])
def test_gradcheck(entry, shape):
    _, op = _op(f"input: {shape}\nlayers:\n  - {entry}\n")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, *shape))
    assert gradcheck.worst_error(op, x, rng) < 1e-6


@pytest.mark.parametrize("layers, inputs", [
    ("  - branches: [[], [global_avgpool]]\n    merge: add", [[3, 4, 4], [3, 1, 1]]),
    ("  - branches: [[], [conv: {filters: 1, kernel: 1}]]\n    merge: add",
     [[3, 4, 4], [1, 4, 4]]),
    (("  - identity: {}\n    name: a\n  - conv: {filters: 3, kernel: [3, 1]}\n"
      "  - concat: {from: [a], axis: 1}"), [[3, 4, 4], [3, 6, 4]]),
])
def test_merge_gradcheck(layers, inputs):
    _, op = _op(f"input: {inputs[-1]}\nlayers:\n{layers}\n")
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((2, *s)) for s in inputs]
    assert gradcheck.worst_error(op, xs, rng) < 1e-6


def test_spatial_concat_shape_and_bounded_field():
    """Along the concat axis the widest branch's field is kept; the other axis merges."""
    analysis = analyze_layers(["identity", {"conv": {"filters": 3, "kernel": [5, 1]}},
                               {"concat": {"from": ["identity1"], "axis": 1}}], [3, 9, 4])
    row = analysis.rows[-1]
    assert row.output_shape == (3, 14, 4)
    assert [f.size for f in row.field] == [5, 1]
    assert not analysis.misalignments


def test_broadcast_add_is_a_gate_like_multiply():
    analysis = analyze_layers([{"branches": [[], ["global_avgpool"]], "merge": "add"}],
                              [3, 5, 5])
    row = analysis.rows[-1]
    assert row.output_shape == (3, 5, 5) and row.ops == 75
    assert [f.size for f in row.field] == [1, 1] and all(f.sees_all for f in row.field)


def test_reshape_that_mixes_axes_reads_the_whole_extent():
    rows = analyze_layers([{"permute": {"dims": [0, 2, 1]}}, {"reshape": {"shape": [3, 35]}}],
                          [3, 5, 7]).rows
    assert [f.size for f in rows[0].field] == [5, 7]
    kept = analyze_layers([{"permute": {"dims": [0, 1, 2]}}], [3, 5, 7]).rows[0].field
    assert [f.size for f in kept] == [1, 1]


@pytest.mark.parametrize("entry, shape, message", [
    ({"pixel_shuffle": {"factor": 2}}, [6, 4, 4], "6 channels do not divide by factor² = 4"),
    ({"pixel_shuffle": {"factor": 2}}, [8, 4], "needs a [C, H, W] input"),
    ({"pixel_unshuffle": {"factor": 2}}, [2, 5, 4], "do not divide by factor 2"),
    ({"flatten": {"start_dim": 0}}, [2, 3, 4], "never merges the batch"),
    ({"flatten": {"start_dim": 3, "end_dim": 2}}, [2, 3, 4], "comes after end_dim"),
    ({"flatten": {"end_dim": 4}}, [2, 3, 4], "from -4 to 3"),
    ({"reshape": {"shape": [5, -1]}}, [2, 3, 4], "do not divide by 5"),
    ({"reshape": {"shape": [5, 5]}}, [2, 3, 4], "holds 25 values"),
    ({"reshape": {"shape": [-1, -1]}}, [2, 3, 4], "-1 at most"),
    ({"permute": {"dims": [0, 1, 1]}}, [2, 3, 4], "must list 0 ... 2 once each"),
])
def test_refusals(entry, shape, message):
    with pytest.raises(SpecError, match=message.replace("[", r"\[").replace(".", r"\.")):
        analyze_layers([entry], shape)


# --- max unpooling ----------------------------------------------------------------------

UNPOOL = [{"maxpool": {"kernel": 2}, "name": "p"}, {"conv": {"filters": 3, "kernel": 1}},
          {"maxunpool": {"indices": "p"}}]


def test_unpool_reads_the_values_and_the_pool_and_restores_its_size():
    analysis = analyze_layers(UNPOOL, [3, 9, 8], framework="pytorch")
    node = analysis.network.nodes[-1]
    assert node.inputs == (1, 0)  # [values, the pool]
    row = analysis.rows[-1]
    assert row.output_shape == (3, 9, 8) and row.weights == 0 and row.ops == 0


def test_unpool_field_is_the_transposed_window_hand_worked():
    """Unpool output p receives from pooled window p // 2 (kernel 2, stride 2): after
    pool -> unpool, p reads pixels 2 (p // 2) ... 2 (p // 2) + 1."""
    field = analyze_layers([{"maxpool": {"kernel": 2}, "name": "p"},
                            {"maxunpool": {"indices": "p"}}], [1, 8, 8]).rows[-1].field[0]
    assert [(field.lo(p), field.hi(p)) for p in range(4)] == [(0, 1), (0, 1), (2, 3), (2, 3)]
    overlap = analyze_layers([{"maxpool": {"kernel": 3, "stride": 2, "padding": 1},
                               "name": "p"}, {"maxunpool": {"indices": "p"}}],
                             [1, 9, 9]).rows[-1].field[0]
    # p = 2 lies in windows 1 (1..3) and 2 (3..5) only if 2 = 2i - 1 + t: windows 1 (t=1);
    # p = 3 in windows 1 (t=2) and 2 (t=0): pixels 1 ... 5
    assert (overlap.lo(2), overlap.hi(2)) == (1, 3) and (overlap.lo(3), overlap.hi(3)) == (1, 5)


@pytest.mark.parametrize("layers, message", [
    ([{"avgpool": {"kernel": 2}, "name": "p"}, {"maxunpool": {"indices": "p"}}],
     "must name a maxpool; it names a avgpool"),
    ([{"maxpool": {"kernel": 2}, "name": "p"}, {"conv": {"filters": 2, "kernel": 1}},
      {"maxunpool": {"indices": "p"}}], "differs from this input"),
    ([{"maxpool": {"kernel": 2}, "name": "p"}, {"maxunpool": {"indices": "p",
                                                             "output_size": 9}}],
     "is not the pool's input size"),
    ([{"maxpool": {"kernel": 2}, "name": "p"}, "maxunpool"], "needs 'indices'"),
    ([{"maxpool": {"kernel": 2}, "name": "p"}, {"maxunpool": {"indices": "q"}}],
     "no layer or input named 'q'"),
])
def test_unpool_refusals(layers, message):
    with pytest.raises(SpecError, match=message):
        analyze_layers(layers, [3, 8, 8])


def test_unpool_runs_and_passes_the_gradient_check():
    from cnncalc.executor.runner import run
    from cnncalc.spec import parse as parse_spec

    spec = parse_spec("input: [2, 9, 8]\nframework: pytorch\nlayers:\n"
                      "  - maxpool: {kernel: 3, stride: 2, padding: 1}\n    name: p\n"
                      "  - conv: {filters: 2, kernel: 3, padding: 1}\n"
                      "  - maxunpool: {indices: p}\n", "u.yaml")
    result = run(spec, gradient_check=True)
    assert result.ok, result.mismatches


def test_reshape_from_a_flat_value_keeps_the_fields_axes_and_marks_them_global():
    """A generator's dense -> reshape [C, H, W]: the field (the whole input, after the
    flatten) keeps one entry per input axis, marked global."""
    rows = analyze_layers([{"conv": {"filters": 4, "kernel": 3}}, "flatten",
                           {"dense": {"units": 48}}, {"reshape": {"shape": [3, 4, 4]}}],
                          [3, 8, 8]).rows
    assert [f.size for f in rows[-1].field] == [8, 8]
    assert all(f.sees_all for f in rows[-1].field)
