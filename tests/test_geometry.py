"""Output-size rules, 'same' padding and the conventions table, row by row.

Each row is worked by hand from the formula it names; the framework rows follow PyTorch's
pooling_shape.h (ceil_mode drops a window starting at or past input + left padding) and
Caffe's pooling_layer.cpp (the same, only when padded).
"""
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnncalc import geometry
from cnncalc.geometry import CAFFE_CEIL, CEIL, FLOOR, PYTORCH_CEIL

# (N, K, s, p, d, ceil, floor, pytorch ceil_mode, caffe pool)  source: hand-worked
ROWS = [
    (224, 7, 2, 3, 1, 113, 112, 113, 113),   # (224+6-7)/2+1 = 112.5
    (224, 3, 2, 1, 1, 113, 112, 113, 113),   # ResNet stem pool: 112.5
    (112, 3, 2, 1, 1, 57, 56, 57, 57),       # 56.5
    (32, 5, 1, 0, 1, 28, 28, 28, 28),        # LeNet C1: exact
    (5, 2, 2, 1, 1, 4, 3, 3, 3),             # 3.5 -> ceil 4; window 4 starts at 6 >= 5+1
    (5, 2, 2, 0, 1, 3, 2, 3, 3),             # 2.5, last window starts at 4 < 5
    (7, 3, 2, 0, 2, 2, 2, 2, 2),             # dilated F=5: (7-5)/2+1 = 2
]


@pytest.mark.parametrize("n,k,s,p,d,ceil,floor,pt_ceil,caffe", ROWS)
def test_rules_hand_worked(n, k, s, p, d, ceil, floor, pt_ceil, caffe):
    args = (n, k, s, p, p, d)
    assert geometry.window_count(*args, CEIL) == ceil
    assert geometry.window_count(*args, FLOOR) == floor
    assert geometry.window_count(*args, PYTORCH_CEIL) == pt_ceil
    assert geometry.window_count(*args, CAFFE_CEIL) == caffe


def test_exact_division_all_rules_agree():
    # (10 + 2 - 3)/3 + 1 = 4 exactly: ceil and floor agree, nothing dropped
    args = (10, 3, 3, 1, 1, 1)
    assert {geometry.window_count(*args, r) for r in (CEIL, FLOOR, PYTORCH_CEIL, CAFFE_CEIL)} \
        == {4}


def test_caffe_keeps_window_in_padding_only_when_unpadded():
    # N=6, K=2, s=2, p=0: 3 windows exactly; ceil needs no drop
    assert geometry.window_count(6, 2, 2, 0, 0, 1, CAFFE_CEIL) == 3
    # N=7, K=2, s=3, p=0: (7-2)/3+1 = 2.67 -> ceil 3; third starts at 6 < 7: kept by all
    assert geometry.window_count(7, 2, 3, 0, 0, 1, CAFFE_CEIL) == 3
    assert geometry.window_count(7, 2, 3, 0, 0, 1, PYTORCH_CEIL) == 3


def test_empty_output_is_zero():
    assert geometry.window_count(2, 5, 1, 0, 0, 1, CEIL) == 0
    assert geometry.window_count(2, 5, 1, 1, 1, 1, CEIL) == 0
    assert geometry.window_count(3, 5, 1, 1, 1, 1, CEIL) == 1


# A kernel wider than the padded input: span = N + 2p - F < 0. Hand-worked: ceil counts
# ceil(span/s) + 1, which is 1 while -s < span < 0; floor counts floor(span/s) + 1 <= 0.
# (N, K, s, p, ceil, floor, pytorch ceil_mode)
OVERHANG = [
    (2, 3, 2, 0, 1, 0, 1),   # ceil((2-3)/2 + 1) = ceil(0.5) = 1 (issue 7)
    (3, 4, 4, 0, 1, 0, 1),   # PyTorch AvgPool1d(4, ceil_mode=True) on length 3: 1
    (3, 4, 1, 0, 0, 0, 0),   # span -1 = -s: ceil(-1/1) + 1 = 0
    (1, 5, 3, 1, 1, 0, 1),   # span 1 + 2 - 5 = -2 > -3: one window
    (1, 5, 2, 1, 0, 0, 0),   # span -2 = -s: none
]


@pytest.mark.parametrize("n,k,s,p,ceil,floor,pt_ceil", OVERHANG)
def test_kernel_wider_than_padded_input(n, k, s, p, ceil, floor, pt_ceil):
    args = (n, k, s, p, p, 1)
    assert geometry.window_count(*args, CEIL) == ceil
    assert geometry.window_count(*args, FLOOR) == floor
    assert geometry.window_count(*args, PYTORCH_CEIL) == pt_ceil


def _pytorch_pool_grid():
    import json

    from conftest import REFERENCE

    data = json.loads((REFERENCE / "windows.json").read_text())
    return [dict(zip(data["columns"], row)) for row in data["rows"]]


def test_pool_sizes_match_pytorch_exhaustively():
    """Every (N, K, s, p, d, ceil_mode) of the recorded grid (make_window_reference.py):
    cnncalc's floor / pytorch-ceil rule gives PyTorch's length; where PyTorch refuses, the
    refusal is its padding limit (p > K/2, undilated K) or cnncalc also counts 0."""
    grid = _pytorch_pool_grid()
    counts = {"output": 0, "padding": 0, "empty": 0}
    for case in grid:
        rule = PYTORCH_CEIL if case["ceil_mode"] else FLOOR
        ours = geometry.window_count(case["n"], case["kernel"], case["stride"], case["padding"],
                                     case["padding"], case["dilation"], rule)
        theirs = case["output"]
        if theirs == "padding":
            assert case["padding"] > case["kernel"] // 2, case
            counts["padding"] += 1
        elif theirs == "empty":
            assert ours == 0, case
            counts["empty"] += 1
        else:
            assert ours == theirs, case
            counts["output"] += 1
    # the grid holds overhanging ceil_mode kernels, answered 1 by PyTorch
    overhang = [c for c in grid if c["ceil_mode"] and c["output"] == 1 and c["n"]
                + 2 * c["padding"] < c["dilation"] * (c["kernel"] - 1) + 1]
    assert overhang and counts == {"output": 1448, "padding": 1512, "empty": 400}


@pytest.mark.parametrize("n,k,s,d,before,after", [
    (224, 3, 1, 1, 1, 1),   # seed: p = (F-1)/2
    (224, 5, 1, 1, 2, 2),
    (224, 4, 1, 1, 1, 2),   # even kernel: extra after
    (224, 3, 1, 2, 2, 2),   # dilated F = 5
    (224, 3, 2, 1, 0, 1),   # TF: out 112, total (111*2+3-224) = 1
    (225, 3, 2, 1, 1, 1),   # out 113, total 224+3-225 = 2
    (7, 1, 2, 1, 0, 0),     # F < s: no padding
])
def test_same_padding(n, k, s, d, before, after):
    assert geometry.same_padding(n, k, s, d) == (before, after)


def test_transposed_size_hand_worked():
    # (N-1)s - 2p + d(K-1) + op + 1
    assert geometry.transposed_size(28, 2, 2, 0, 0, 1, 0) == 56
    assert geometry.transposed_size(7, 3, 2, 1, 1, 1, 1) == 14
    assert geometry.transposed_size(5, 4, 3, 1, 1, 2, 2) == 4 * 3 - 2 + 2 * 3 + 2 + 1  # 19


def test_window_reports_unread_pixels_and_padding_windows():
    w = geometry.Window(224, 7, 2, 3, 3, 1, FLOOR)   # 112 windows reach 3+2*111+7 = 229
    assert w.count == 112 and w.unread == 0
    w = geometry.Window(10, 3, 4, 0, 0, 1, FLOOR)    # windows at 0, 4: reach 7, 3 unread
    assert w.count == 2 and w.unread == 3
    w = geometry.Window(5, 2, 2, 1, 1, 1, CEIL)      # 4th window starts at 6 = 5 + 1
    assert w.count == 4 and w.last_in_padding
    assert not geometry.Window(5, 2, 2, 1, 1, 1, PYTORCH_CEIL).last_in_padding


@given(n=st.integers(1, 500), k=st.integers(1, 11), d=st.integers(1, 4))
def test_same_preserves_size_at_stride_one(n, k, d):
    before, after = geometry.same_padding(n, k, 1, d)
    for rule in (CEIL, FLOOR, PYTORCH_CEIL, CAFFE_CEIL):
        assert geometry.window_count(n, k, 1, before, after, d, rule) == n


@given(n=st.integers(1, 500), k=st.integers(1, 11), s=st.integers(1, 6))
def test_same_gives_ceil_n_over_s(n, k, s):
    before, after = geometry.same_padding(n, k, s)
    assert geometry.window_count(n, k, s, before, after, 1, FLOOR) == math.ceil(n / s)


@given(n=st.integers(1, 300), k=st.integers(1, 9), s=st.integers(1, 5), p=st.integers(0, 4),
       d=st.integers(1, 3))
def test_ceil_rule_is_the_seed_formula(n, k, s, p, d):
    f = d * (k - 1) + 1
    if n + 2 * p < f:  # overhanging kernel: at most one window, under ceil only
        assert geometry.window_count(n, k, s, p, p, d, FLOOR) == 0
        assert geometry.window_count(n, k, s, p, p, d, CEIL) == max(
            0, math.ceil((n + 2 * p - f) / s + 1))
        return
    assert geometry.window_count(n, k, s, p, p, d, CEIL) == math.ceil((n + 2 * p - f) / s + 1)
    assert geometry.window_count(n, k, s, p, p, d, FLOOR) == math.floor((n + 2 * p - f) / s + 1)
    # ceil and floor differ by at most one, and only when the division is not exact
    diff = geometry.window_count(n, k, s, p, p, d, CEIL) - geometry.window_count(
        n, k, s, p, p, d, FLOOR)
    assert diff == (0 if (n + 2 * p - f) % s == 0 else 1)


@given(n=st.integers(1, 300), k=st.integers(1, 9), s=st.integers(1, 5), p=st.integers(0, 4))
def test_pytorch_ceil_never_starts_a_window_in_right_padding(n, k, s, p):
    if n + 2 * p < k or p > k // 2:  # PyTorch refuses padding above half the kernel
        return
    count = geometry.window_count(n, k, s, p, p, 1, PYTORCH_CEIL)
    assert (count - 1) * s < n + p


def test_rule_for_presets():
    assert geometry.rule_for("conv", None, None) is CEIL
    assert geometry.rule_for("pool", None, "floor") is FLOOR
    assert geometry.rule_for("conv", "pytorch", None) is FLOOR
    assert geometry.rule_for("pool", "pytorch", None) is FLOOR
    assert geometry.rule_for("pool", "pytorch", None, ceil_mode=True) is PYTORCH_CEIL
    assert geometry.rule_for("conv", "caffe", None) is FLOOR
    assert geometry.rule_for("pool", "caffe", None) is CAFFE_CEIL
    assert geometry.rule_for("pool", "tensorflow", None) is FLOOR


def test_convention_sizes_side_by_side():
    sizes = geometry.convention_sizes(224, 7, 2, 3)
    assert sizes["ceil"] == 113 and sizes["floor"] == 112 and sizes["pytorch"] == 112
    assert sizes["tensorflow same"] == 112 and sizes["tensorflow valid"] == 109


def test_convention_sizes_with_an_overhanging_kernel():
    # N 2, K 3, s 2: span -1; ceil rules count ceil(-1/2) + 1 = 1, floor rules 0 (PyTorch
    # refuses), TensorFlow 'same' ceil(2/2) = 1, 'valid' (no padding) 0 -- `cnncalc conv`'s rows
    sizes = geometry.convention_sizes(2, 3, 2, 0)
    assert sizes == {"ceil": 1, "floor": 0, "pytorch": 0, "pytorch ceil_mode": 1,
                     "caffe conv": 0, "caffe pool": 1, "tensorflow valid": 0,
                     "tensorflow same": 1}
