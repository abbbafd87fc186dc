"""Receptive fields: the closed form of Araujo, Norris & Sim (Distill 2019) and hand-worked
cases through dilation, transposed conv, upsampling and merges."""
import json
import math

import pytest
from conftest import REFERENCE, analyze_layers
from hypothesis import given, settings
from hypothesis import strategies as st

layer_params = st.tuples(st.integers(1, 7), st.integers(1, 3), st.integers(0, 3),
                         st.integers(1, 3))


@settings(max_examples=60, deadline=None)
@given(st.lists(layer_params, min_size=1, max_size=6))
def test_conv_stack_matches_closed_form(layers):
    # r = 1 + sum (F_l - 1) prod_{i<l} s_i;  P = sum p_l prod_{i<l} s_i;  start = (r-1)/2 - P
    entries = [{"conv": {"filters": 1, "kernel": k, "stride": s, "padding": p, "dilation": d}}
               for k, s, p, d in layers]
    size = 200_000  # after five stride-3 layers (243x) the last 19-wide window still fits
    rows = analyze_layers(entries, [1, size]).rows
    r, jump, padding = 1, 1, 0
    for k, s, p, d in layers:
        r += (d * (k - 1)) * jump
        padding += p * jump
        jump *= s
    field = rows[-1].field[0]
    assert (field.size, field.jump) == (r, jump)
    assert math.isclose(field.start, (r - 1) / 2 - padding)
    assert math.isclose(field.effective_padding, padding)


def test_vgg_block_hand_worked():
    # two 3x3 convs: 5; pool 2/2: 6, jump 2
    rows = analyze_layers([{"conv": {"filters": 1, "kernel": 3, "padding": 1}},
                           {"conv": {"filters": 1, "kernel": 3, "padding": 1}},
                           {"maxpool": {"kernel": 2}}], [1, 32, 32]).rows
    assert [r.field[0].size for r in rows] == [3, 5, 6]
    assert rows[-1].field[0].jump == 2
    assert rows[-1].field[0].start == 0.5          # first window covers pixels -2..3 -> 0.5


def test_transposed_conv_divides_the_jump():
    rows = analyze_layers([{"conv": {"filters": 1, "kernel": 2, "stride": 2}},
                           {"conv_transpose": {"filters": 1, "kernel": 2, "stride": 2}}],
                          [1, 16]).rows
    down, up = rows[0].field[0], rows[1].field[0]
    assert (down.size, down.jump, down.start) == (2, 2, 0.5)
    # each output reads ceil(2/2) = 1 input position: the field stays 2 pixels, jump 1
    assert (up.size, up.jump) == (2, 1)


def test_nearest_upsample_keeps_size_and_halves_jump():
    rows = analyze_layers([{"conv": {"filters": 1, "kernel": 3, "stride": 2}},
                           {"upsample": {"scale": 2}}], [1, 17]).rows
    assert (rows[1].field[0].size, rows[1].field[0].jump) == (3, 1)


def test_bilinear_upsample_reads_two_inputs():
    rows = analyze_layers([{"conv": {"filters": 1, "kernel": 3, "stride": 2}},
                           {"upsample": {"scale": 2, "mode": "linear"}}], [1, 17]).rows
    assert (rows[1].field[0].size, rows[1].field[0].jump) == (5, 1)


def test_residual_takes_the_larger_field_and_stays_aligned():
    analysis = analyze_layers([{"residual": {"main": [
        {"conv": {"filters": 1, "kernel": 3, "padding": 1}},
        {"conv": {"filters": 1, "kernel": 3, "padding": 1}}]}}], [1, 16, 16])
    merge = analysis.rows[-1]
    assert merge.field[0].size == 5 and not analysis.misalignments


def test_misaligned_branches_are_reported():
    # a padded 3x3 branch centers output 0 at pixel 0; a 2x2 conv padded before by one
    # centers it at -0.5: same shapes, fields half a pixel apart
    analysis = analyze_layers([{"branches": [
        [{"conv": {"filters": 1, "kernel": 3, "padding": 1}}],
        [{"conv": {"filters": 1, "kernel": 2}}, {"zeropad": {"padding": [[1, 0], [1, 0]]}}]]}],
        [1, 16, 16])
    assert len(analysis.misalignments) == 1
    assert analysis.misalignments[0].node.name == "branches1"


def test_squeeze_excitation_branch_does_not_misalign():
    analysis = analyze_layers([{"branches": [[], ["global_avgpool", {"conv": {
        "filters": 4, "kernel": 1}}, "sigmoid"]], "merge": "multiply"}], [4, 8, 8])
    assert not analysis.misalignments
    # the local field is the identity branch's single pixel; the gate sees all 8 pixels
    merged = analysis.rows[-1].field
    assert [f.size for f in merged] == [1, 1] and all(f.sees_all for f in merged)


def test_net_rf_is_taken_before_global_pooling():
    analysis = analyze_layers([{"conv": {"filters": 1, "kernel": 3}}, "global_avgpool",
                               "flatten", {"dense": {"units": 2}}], [1, 9, 9])
    assert analysis.totals.rf_layer == "conv1" and analysis.totals.rf[0].size == 3


def test_upsampled_path_aligns_with_its_skip_on_average():
    # pool 2 then transposed conv 2/2: output centers sit at 0.5, 0.5, 2.5, 2.5 ... against
    # the skip's 0, 1, 2, 3: half a pixel either side, aligned on average (U-Net)
    analysis = analyze_layers([{"branches": [[], [{"maxpool": {"kernel": 2}}, {
        "conv_transpose": {"filters": 1, "kernel": 2, "stride": 2}}]]}], [1, 16, 16])
    up = analysis.rows[1].field[0]
    assert [up.lo(i) for i in range(4)] == [0, 0, 2, 2]
    assert [up.hi(i) for i in range(4)] == [1, 1, 3, 3]
    assert up.start == 0.5 and up.center_offset == 0
    assert not analysis.misalignments


CHAINS = json.loads((REFERENCE / "rf_chains.json").read_text())


@pytest.mark.parametrize("case", CHAINS, ids=[c["id"] for c in CHAINS])
def test_reads_per_position_match_pytorch_gradients(case):
    """Each output position's field against the input gradient PyTorch measured
    (make_rf_reference.py): the same first and last pixel, or no pixel at all. Positions
    whose field reaches the input's border are clipped in PyTorch (padding has no gradient)
    and are compared only when they read nothing."""
    field = analyze_layers(case["layers"], case["input"], framework="pytorch").rows[-1].field[0]
    n = case["input"][1]
    compared = 0
    for i, measured in enumerate(case["positions"]):
        if not field.reads_input(i):
            assert measured is None, (i, measured)
            compared += 1
        elif 0 < field.lo(i) and field.hi(i) < n - 1:
            assert [field.lo(i), field.hi(i)] == measured, i
            compared += 1
    assert compared >= len(case["positions"]) // 2
    sizes = [m[1] - m[0] + 1 for m, i in zip(case["positions"], range(10 ** 9))
             if m and 0 < field.lo(i) and field.hi(i) < n - 1]
    assert field.size == (max(sizes) if sizes else 0)


def test_transposed_outputs_that_read_nothing_are_skipped_hand_worked():
    # convT k1 s2: outputs 0, 2, 4 ... read inputs 0, 1, 2 ...; 1, 3, 5 ... read nothing.
    # A 3-wide conv then reads two reading positions around an odd output (j-1, j+1 -> two
    # inputs) and one around an even one: sizes 2 and 1, never the placeholder's.
    rows = analyze_layers([{"conv_transpose": {"filters": 1, "kernel": 1, "stride": 2}},
                           {"conv": {"filters": 1, "kernel": 3, "padding": 1}}], [1, 8]).rows
    up, conv = rows[0].field[0], rows[1].field[0]
    assert [up.reads_input(j) for j in range(4)] == [True, False, True, False]
    assert up.size == 1 and up.jump == 0.5 and up.start == 0
    assert [(conv.lo(j), conv.hi(j)) for j in range(4)] == [(0, 0), (0, 1), (1, 1), (1, 2)]
    assert conv.size == 2


def _se_net(side):
    se = {"branches": [[], ["global_avgpool", {"conv": {"filters": 2, "kernel": 1}}, "relu",
                            {"conv": {"filters": 8, "kernel": 1}}, "sigmoid"]],
          "merge": "multiply"}
    return analyze_layers([{"conv": {"filters": 8, "kernel": 3, "stride": 2, "padding": 1}},
                           {"conv": {"filters": 8, "kernel": 3, "stride": 2, "padding": 1}},
                           se,
                           {"conv": {"filters": 8, "kernel": 3, "padding": 1}}],
                          [3, side, side])


def test_squeeze_excitation_reports_local_field_and_global_flag():
    # hand-worked local field: 3, then 3 + 2*2 = 7; the gate adds nothing to it; the last
    # 3x3 conv at jump 4: 7 + 2*4 = 15 -- at any input size. Every position also depends
    # on every pixel through the gate: global on both axes.
    for side in (64, 128):
        totals = _se_net(side).totals
        assert [f.size for f in totals.rf] == [15, 15]
        assert [f.sees_all for f in totals.rf] == [True, True]
        assert totals.rf_layer == "conv5"


def test_expect_rf_compares_the_local_size():
    analysis = analyze_layers([{"conv": {"filters": 2, "kernel": 3}}, {"branches": [
        [], ["global_avgpool", "sigmoid"]], "merge": "multiply"}], [2, 40, 40],
        expect={"rf": 3})
    assert not analysis.mismatches


def test_a_gate_that_misses_pixels_is_not_global():
    # the gate's branch is a 1x1 conv of stride 9 on 9 pixels: it reads pixel 0 only
    analysis = analyze_layers([{"branches": [
        [], [{"conv": {"filters": 1, "kernel": 1, "stride": 9}}]], "merge": "multiply"}],
        [1, 9, 9], rounding="floor")
    assert not any(f.sees_all for f in analysis.rows[-1].field)


@pytest.mark.parametrize("first,second", [(3, 7), (7, 3)])
def test_headline_field_is_the_largest_head_in_either_order(first, second):
    # two heads pooled globally and added: the net's field is the larger head's, 7
    def head(k):
        return [{"conv": {"filters": 1, "kernel": k, "padding": k // 2}}, "global_avgpool"]
    analysis = analyze_layers([{"branches": [head(first), head(second)], "merge": "add"}],
                              [1, 16, 16])
    assert [f.size for f in analysis.totals.rf] == [7, 7]
    assert analysis.totals.rf_layer == ("conv1" if first == 7 else "conv2")


def test_headline_through_a_branch_with_no_spatial_layer():
    # an identity branch takes the field before the branches (5) against the head's 3
    analysis = analyze_layers([{"conv": {"filters": 1, "kernel": 5}}, {"branches": [
        [], [{"conv": {"filters": 1, "kernel": 1}}]], "merge": "add"}, "global_avgpool"],
        [1, 16, 16])
    assert analysis.totals.rf_layer == "branches1" and analysis.totals.rf[0].size == 5


# --- bounded work: closed forms past PERIOD_CAP, checked against the unrolled period ----

def _unrolled_and_closed(layers, size):
    """The last layer's field unrolled (the default cap) and past a cap of 1 period."""
    from cnncalc import receptive

    unrolled = analyze_layers(layers, [1, size]).rows[-1].field[0]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(receptive, "PERIOD_CAP", 1)
        closed = analyze_layers(layers, [1, size]).rows[-1].field[0]
    return unrolled, closed


@settings(max_examples=80, deadline=None)
@given(k=st.integers(1, 6), s=st.integers(2, 9), p=st.integers(0, 3), d=st.integers(1, 3),
       pre=st.integers(1, 5))
def test_transposed_closed_form_equals_unrolled(k, s, p, d, pre):
    if p > d * (k - 1):  # PyTorch needs the padding inside the kernel's extent
        return
    layers = [{"conv": {"filters": 1, "kernel": pre, "stride": 2}},
              {"conv_transpose": {"filters": 1, "kernel": k, "stride": s, "padding": p,
                                  "dilation": d}}]
    unrolled, closed = _unrolled_and_closed(layers, 40)
    assert closed.exact and type(closed).__name__ == "WideField"
    assert (closed.size, closed.jump) == (unrolled.size, unrolled.jump)
    assert math.isclose(closed.start, unrolled.start)
    assert math.isclose(closed.center_offset, unrolled.center_offset, abs_tol=1e-9)


@settings(max_examples=80, deadline=None)
@given(n=st.integers(2, 80), o=st.integers(1, 80), pre=st.integers(1, 5))
def test_adaptive_closed_form_equals_unrolled(n, o, pre):
    if o > n or n % o == 0:
        return
    layers = [{"conv": {"filters": 1, "kernel": pre, "padding": pre // 2}},
              {"adaptive_avgpool": {"output_size": o}}]
    unrolled, closed = _unrolled_and_closed(layers, n)
    assert (closed.size, closed.jump) == (unrolled.size, unrolled.jump)
    assert math.isclose(closed.start, unrolled.start)
    assert math.isclose(closed.center_offset, unrolled.center_offset, abs_tol=1e-9)


@settings(max_examples=60, deadline=None)
@given(chain=st.lists(st.sampled_from([
    {"conv": {"filters": 1, "kernel": 3, "padding": 1}},
    {"conv": {"filters": 1, "kernel": 2, "stride": 2}},
    {"conv_transpose": {"filters": 1, "kernel": 2, "stride": 3}},
    {"conv_transpose": {"filters": 1, "kernel": 3, "stride": 2, "padding": 1}},
    {"maxpool": {"kernel": 3, "stride": 2, "padding": 1}},
    {"upsample": {"scale": 1.5}},
    {"adaptive_avgpool": {"output_size": 7}}]), min_size=2, max_size=5))
def test_past_a_wide_field_the_size_is_an_upper_bound(chain):
    from cnncalc import SpecError

    try:
        unrolled, bounded = _unrolled_and_closed(chain, 23)
    except SpecError as error:  # a chain that shrinks the input to nothing
        assert "empty" in str(error)
        return
    assert bounded.size >= unrolled.size
    assert bounded.jump == unrolled.jump
    if bounded.exact:
        assert bounded.size == unrolled.size


# huge sizes, hand-worked; each runs in milliseconds (the report states the timings)
def test_adaptive_pool_between_huge_coprime_sizes():
    # conv 3 (field 3, jump 1) then 999985 -> 999983 -> adaptive to 999979: N/o = 1 + 4/o,
    # so windows hold 1, 2 or, where the fraction wraps, 3 pixels (floor(N/o) + 2 since
    # N mod o = 4 >= 2): field 3 + (3 - 1) = 5, jump N/o
    field = analyze_layers([{"conv": {"filters": 1, "kernel": 3}},
                            {"adaptive_avgpool": {"output_size": 999979}}],
                           [1, 999985]).rows[-1].field[0]
    assert field.exact and field.size == 5
    assert math.isclose(field.jump, 999983 / 999979)
    assert field.start == 1.5   # window 0 holds pixels 0 and 1: fields 0..2 and 1..3


def test_transposed_conv_with_a_huge_stride():
    # kernel 3 < stride 10^6: each output reads at most one input; outputs 0, 1, 2 read
    # input 0, so the field after a 3-wide conv is still one pixel, jump 10^-6
    rows = analyze_layers([{"conv_transpose": {"filters": 1, "kernel": 3, "stride": 10 ** 6}},
                           {"conv": {"filters": 1, "kernel": 3}}], [1, 5]).rows
    up, conv = rows[0].field[0], rows[1].field[0]
    assert up.exact and (up.size, up.jump, up.start) == (1, 1e-6, 0)
    assert conv.size == 1 and conv.jump == 1e-6


def test_union_of_coprime_long_periods_is_bounded():
    from cnncalc.receptive import AxisField, merge_fields

    # two identity fields with periods 9,973 and 9,967 (lcm ~ 10^8): lo(i) = hi(i) = i
    one = AxisField(tuple(range(9973)), tuple(range(9973)), 9973)
    two = AxisField(tuple(range(9967)), tuple(range(9967)), 9967)
    (merged,), aligned = merge_fields([(one,), (two,)])
    assert aligned and merged.size == 1 and merged.jump == 1


def test_adaptive_ops_in_closed_form():
    # sum of window lengths N + o - gcd(N, o): 10 -> 3 gives windows of 4, 4, 4 = 12;
    # the per-window list (kept for small sizes) agrees
    layer = analyze_layers([{"adaptive_avgpool": {"output_size": 3}}], [2, 10]).rows[0]
    assert layer.ops == 2 * 12 == 2 * sum(layer.node.layer.window_sizes(0))
    huge = analyze_layers([{"adaptive_maxpool": {"output_size": 999979}}], [1, 999983]).rows[0]
    assert huge.ops == 999983 + 999979 - 1


@settings(max_examples=80, deadline=None)
@given(n=st.integers(2, 30), m=st.integers(2, 70), align=st.booleans(), pre=st.integers(1, 4))
def test_linear_upsample_closed_form_equals_unrolled(n, m, align, pre):
    layers = [{"conv": {"filters": 1, "kernel": pre, "padding": pre // 2}},
              {"upsample": {"size": m, "mode": "linear", "align_corners": align}}]
    unrolled, closed = _unrolled_and_closed(layers, n)
    assert closed.exact
    assert (closed.size, closed.jump) == (unrolled.size, unrolled.jump)
    assert math.isclose(closed.start, unrolled.start)
    # the unrolled field follows PyTorch's float32 sampling, the closed form the exact
    # ratio: where float32 lands a source a hair past a whole pixel, that output reads one
    # pixel more (or fewer), moving the average centre by half a pixel / period for each
    from fractions import Fraction

    from cnncalc.layers.reshape import Sampling

    size = n + 2 * (pre // 2) - pre + 1  # what the conv hands the upsample
    rule = Sampling(size, m, "linear", None, align, False)
    ratio = rule.exact_ratio()
    offset = Fraction(0) if align else (ratio - 1) / 2

    def exact(j: int) -> tuple[int, int]:
        c = j * ratio + offset
        return math.floor(c), math.ceil(c)

    period = ratio.denominator
    differ = sum(rule.reads(j) != exact(j) for j in range(period))
    assert abs(closed.center_offset - unrolled.center_offset) <= 0.5 * differ / period + 1e-9


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 30), m=st.integers(1, 70), pre=st.integers(1, 4))
def test_nearest_upsample_closed_form_equals_unrolled(n, m, pre):
    layers = [{"conv": {"filters": 1, "kernel": pre, "padding": pre // 2}},
              {"upsample": {"size": m}}]
    unrolled, closed = _unrolled_and_closed(layers, n)
    assert closed.exact
    assert (closed.size, closed.jump) == (unrolled.size, unrolled.jump)
    assert math.isclose(closed.start, unrolled.start)
    assert math.isclose(closed.center_offset, unrolled.center_offset, abs_tol=1e-9)


def test_through_finds_its_bands_when_not_given():
    # a caller that passes only reads (as a layer may): output i reads input 2i .. 2i+1;
    # past the cap, the bands come from one period of reads and bound the field exactly
    from cnncalc import receptive

    plain = receptive.AxisField((0,), (2,), 1)          # a 3-wide field, jump 1
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(receptive, "PERIOD_CAP", 0)
        wide = plain.through(lambda i: (2 * i, 2 * i + 1), 1, 2)
    assert type(wide).__name__ == "WideField"
    assert (wide.size, wide.jump) == (4, 2)                # 3 + (2 - 1)


def test_a_layer_after_the_spatial_axes_changed_in_number_keeps_a_bound():
    # flatten(start_dim=2) turns [4, 3, 3] into [4, 9]: a 1-D conv and a global pool read it,
    # and the add merges paths whose positions no longer follow the input's two axes
    # (found by hypothesis: the merge indexed a one-axis field on two axes)
    entries = [{"flatten": {"start_dim": 2}},
               {"branches": [[], [{"conv": {"filters": 4, "kernel": 3, "padding": 1}}],
                             ["global_avgpool"]], "merge": "add"}]
    rows = analyze_layers(entries, [4, 3, 3]).rows
    assert [len(r.field) for r in rows] == [2, 2, 2, 2]
    assert all(f.sees_all for f in rows[-1].field)
    assert rows[-1].output_shape == (4, 9)
