"""Receptive fields: the closed form of Araujo, Norris & Sim (Distill 2019) and hand-worked
cases through dilation, transposed conv, upsampling and merges."""
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import analyze_layers

layer_params = st.tuples(st.integers(1, 7), st.integers(1, 3), st.integers(0, 3),
                         st.integers(1, 3))


@settings(max_examples=60, deadline=None)
@given(st.lists(layer_params, min_size=1, max_size=6))
def test_conv_stack_matches_closed_form(layers):
    # r = 1 + sum (F_l - 1) prod_{i<l} s_i;  P = sum p_l prod_{i<l} s_i;  start = (r-1)/2 - P
    entries = [{"conv": {"filters": 1, "kernel": k, "stride": s, "padding": p, "dilation": d}}
               for k, s, p, d in layers]
    size = 4000
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
    assert analysis.rows[-1].field[0].size == 8     # the global branch sees all 8 pixels


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
