"""Per-layer figures worked by hand: shapes, parameters per filter and in total, MACs, RF.

Sources: the seed notes' formulas (params per filter K x K x C + 1; n = ceil((N + 2p - F)/s
+ 1)), PyTorch's documented shape formulas for each module, and hand arithmetic in the
comments. The PyTorch-generated cases live in test_reference_layers.py.
"""
import pytest
from activation_table import ACTIVATIONS as ACTIVATION_ROWS
from activation_table import kind as entry_kind
from conftest import analyze_layers

from cnncalc import SpecError


def one(entry, input_shape, **top):
    return analyze_layers([entry], input_shape, **top).rows[0]


# entry, input, output, params (weights), buffers, per_filter, macs  -- worked by hand
ROWS = [
    # seed: 3x3x3 + 1 = 28 per filter, 64 filters; 224 -> 224 with p = (3-1)/2
    ({"conv": {"filters": 64, "kernel": 3, "padding": 1}}, [3, 224, 224], [64, 224, 224],
     1792, 0, 28, 224 * 224 * 64 * 27),
    # 1x1 conv mixes channels: 256*1*1 + 1 = 257 per filter
    ({"conv": {"filters": 64, "kernel": 1}}, [256, 56, 56], [64, 56, 56], 64 * 257, 0, 257,
     56 * 56 * 64 * 256),
    # groups 4: C/g = 8 per filter, no bias
    ({"conv": {"filters": 16, "kernel": 3, "groups": 4, "bias": False}}, [32, 10, 10],
     [16, 8, 8], 16 * 72, 0, 72, 64 * 16 * 72),
    # depthwise: groups = C = filters, 9 + 1 per filter
    ({"conv": {"kernel": 3, "depthwise": True, "padding": 1}}, [32, 14, 14], [32, 14, 14],
     320, 0, 10, 14 * 14 * 32 * 9),
    # dilation 2: F = 5, (20 - 5)/1 + 1 = 16
    ({"conv": {"filters": 4, "kernel": 3, "dilation": 2}}, [2, 20, 20], [4, 16, 16],
     4 * 19, 0, 19, 256 * 4 * 18),
    # non-square kernel and stride, asymmetric padding: H (9+1+2-3)/2+1 = 5.5 -> ceil 6,
    # W (8+0+0-5)/1+1 = 4
    ({"conv": {"filters": 2, "kernel": [3, 5], "stride": [2, 1], "padding": [[1, 2], [0, 0]]}},
     [1, 9, 8], [2, 6, 4], 2 * 16, 0, 16, 24 * 2 * 15),
    # 1-D conv: (100 - 7)/2 + 1 = 47.5 -> ceil 48
    ({"conv": {"filters": 8, "kernel": 7, "stride": 2}}, [4, 100], [8, 48], 8 * 29, 0, 29,
     48 * 8 * 28),
    # 3-D conv: 3x3x3x2 + 1 = 55
    ({"conv": {"filters": 4, "kernel": 3, "padding": 1}}, [2, 8, 8, 8], [4, 8, 8, 8], 220, 0,
     55, 512 * 4 * 54),
    # 'same' at stride 2 (TF): out ceil(15/2) = 8
    ({"conv": {"filters": 3, "kernel": 3, "stride": 2, "padding": "same"}}, [3, 15, 15],
     [3, 8, 8], 84, 0, 28, 64 * 3 * 27),
    # transposed: (28-1)*2 + 2 = 56; weights in*out*k*k + out; MACs per input element
    ({"conv_transpose": {"filters": 64, "kernel": 2, "stride": 2}}, [128, 28, 28],
     [64, 56, 56], 128 * 64 * 4 + 64, 0, 128 * 4 + 1, 28 * 28 * 128 * 64 * 4),
    # transposed with padding and output_padding: (7-1)*2 - 2 + 3 + 1 = 14
    ({"conv_transpose": {"filters": 8, "kernel": 3, "stride": 2, "padding": 1,
                         "output_padding": 1}}, [16, 7, 7], [8, 14, 14], 16 * 8 * 9 + 8, 0,
     16 * 9 + 1, 49 * 16 * 8 * 9),
    # pooling has no weights (seed); stride defaults to kernel
    ({"maxpool": {"kernel": 2}}, [6, 28, 28], [6, 14, 14], 0, 0, None, 0),
    # ceil rule default: (112 + 2 - 3)/2 + 1 = 56.5 -> 57
    ({"maxpool": {"kernel": 3, "stride": 2, "padding": 1}}, [64, 112, 112], [64, 57, 57],
     0, 0, None, 0),
    ({"avgpool": {"kernel": 3, "stride": 1, "padding": 1}}, [8, 5, 7], [8, 5, 7], 0, 0, None, 0),
    ({"global_avgpool": {}}, [512, 7, 7], [512, 1, 1], 0, 0, None, 0),
    ({"global_maxpool": {"keepdims": False}}, [512, 7, 7], [512], 0, 0, None, 0),
    ({"adaptive_avgpool": {"output_size": [6, 6]}}, [256, 13, 13], [256, 6, 6], 0, 0, None, 0),
    ({"adaptive_maxpool": {"output_size": 3}}, [4, 10], [4, 3], 0, 0, None, 0),
    ("flatten", [16, 5, 5], [400], 0, 0, None, 0),
    # dense: 400*120 + 120; per unit 401
    ({"dense": {"units": 120}}, [400], [120], 48120, 0, 401, 48000),
    ({"dense": {"units": 10, "bias": False}}, [7, 84], [7, 10], 840, 0, 84, 7 * 840),
    # batch norm: 2C learnable (gamma, beta) + 2C running statistics
    ("batchnorm", [64, 56, 56], [64, 56, 56], 128, 128, None, 0),
    ({"batchnorm": {"affine": False}}, [64, 56, 56], [64, 56, 56], 0, 128, None, 0),
    ("layernorm", [8, 4, 4], [8, 4, 4], 256, 0, None, 0),
    ({"layernorm": {"over": "channels"}}, [8, 4, 4], [8, 4, 4], 16, 0, None, 0),
    ({"groupnorm": {"groups": 4}}, [32, 4, 4], [32, 4, 4], 64, 0, None, 0),
    ("relu", [3, 4, 4], [3, 4, 4], 0, 0, None, 0),
    ({"leaky_relu": {"negative_slope": 0.2}}, [3, 4, 4], [3, 4, 4], 0, 0, None, 0),
    ("softmax", [10], [10], 0, 0, None, 0),
    ({"dropout": {"p": 0.2}}, [100], [100], 0, 0, None, 0),
    ({"upsample": {"scale": 2}}, [3, 7, 9], [3, 14, 18], 0, 0, None, 0),
    ({"upsample": {"scale": 1.5, "mode": "bilinear"}}, [3, 7, 9], [3, 10, 13], 0, 0, None, 0),
    ({"upsample": {"size": [5, 6]}}, [3, 7, 9], [3, 5, 6], 0, 0, None, 0),
    ({"zeropad": {"padding": [[1, 2], [0, 3]]}}, [3, 7, 9], [3, 10, 12], 0, 0, None, 0),
    ("identity", [3, 7, 9], [3, 7, 9], 0, 0, None, 0),
    # PReLU: one learned slope shared, or one per channel (16)
    ("prelu", [16, 8, 8], [16, 8, 8], 1, 0, None, 0),
    ({"prelu": {"num_parameters": 16}}, [16, 8, 8], [16, 8, 8], 16, 0, None, 0),
    ("log_softmax", [10], [10], 0, 0, None, 0),
    # instance norm: PyTorch's defaults learn nothing and keep nothing; affine 2C = 32,
    # running mean and variance 2C = 32
    ("instancenorm", [16, 8, 8], [16, 8, 8], 0, 0, None, 0),
    ({"instancenorm": {"affine": True, "track_running_stats": True}}, [16, 8, 8],
     [16, 8, 8], 32, 32, None, 0),
    ({"lrn": {"size": 5}}, [96, 55, 55], [96, 55, 55], 0, 0, None, 0),
    # layer norm over the last two axes: scale and shift of 4 x 4 each = 32; without the
    # shift over [8, 4, 4]: 128
    ({"layernorm": {"normalized_shape": [4, 4]}}, [8, 4, 4], [8, 4, 4], 32, 0, None, 0),
    ({"layernorm": {"bias": False}}, [8, 4, 4], [8, 4, 4], 128, 0, None, 0),
    ({"spatial_dropout": {"p": 0.2}}, [8, 4, 4], [8, 4, 4], 0, 0, None, 0),
    # layers that move values (issue 9): shapes worked by hand
    ({"pixel_shuffle": {"factor": 3}}, [18, 4, 5], [2, 12, 15], 0, 0, None, 0),
    ({"pixel_unshuffle": {"factor": 2}}, [3, 8, 6], [12, 4, 3], 0, 0, None, 0),
    ({"flatten": {"start_dim": 2}}, [3, 4, 5], [3, 20], 0, 0, None, 0),
    ({"flatten": {"start_dim": 1, "end_dim": 2}}, [3, 4, 5], [12, 5], 0, 0, None, 0),
    ({"reshape": {"shape": [2, -1, 5]}}, [3, 4, 5], [2, 6, 5], 0, 0, None, 0),
    ({"permute": {"dims": [1, 2, 0]}}, [3, 4, 5], [4, 5, 3], 0, 0, None, 0),
]
ROWS += [  # issue 9: padding layers, cropping, Keras' convs, lppool, fractional, None
    ({"reflection_pad": {"padding": [[1, 2], [3, 0]]}}, [3, 7, 9], [3, 10, 12], 0, 0, None, 0),
    ({"replication_pad": {"padding": 4}}, [3, 2, 9], [3, 10, 17], 0, 0, None, 0),
    ({"circular_pad": {"padding": [2, 0]}}, [3, 2, 9], [3, 6, 9], 0, 0, None, 0),
    # Keras' cropping: 7 - 1 - 2 = 4, 9 - 0 - 3 = 6
    ({"cropping": {"cropping": [[1, 2], [0, 3]]}}, [3, 7, 9], [3, 4, 6], 0, 0, None, 0),
    # Keras' Cropping1D((1, 2)): one [before, after] pair, 9 - 3 = 6
    ({"cropping": {"cropping": [1, 2]}}, [3, 9], [3, 6], 0, 0, None, 0),
    # depth_multiplier 2: 8 filters of 3x3x1 + 1; 8x8 outputs x 8 filters x 9 taps
    ({"depthwise_conv": {"kernel": 3, "depth_multiplier": 2}}, [4, 10, 10], [8, 8, 8], 80, 0,
     10, 64 * 8 * 9),
    # separable: depthwise 8 x 9 (no bias) + pointwise 8 x 16 + 16; MACs 100 x 8 x 9 +
    # 100 x 16 x 8 (Keras' SeparableConv2D: 72 + 144 = 216 parameters)
    ({"separable_conv": {"filters": 16, "kernel": 3, "padding": 1}}, [8, 10, 10],
     [16, 10, 10], 216, 0, None, 100 * 8 * 9 + 100 * 16 * 8),
    # output_size 14 from 7: (7-1)*2 - 2 + 3 = 13 without output_padding, so it is 1
    ({"conv_transpose": {"filters": 8, "kernel": 3, "stride": 2, "padding": 1,
                         "output_size": 14}}, [16, 7, 7], [8, 14, 14], 16 * 8 * 9 + 8, 0,
     16 * 9 + 1, 49 * 16 * 8 * 9),
    ({"avgpool": {"kernel": 2, "divisor_override": 3}}, [3, 8, 8], [3, 4, 4], 0, 0, None, 0),
    # lppool under the ceil rule (no framework): (7 - 2)/2 + 1 = 3.5 -> 4, 4.5 -> 5
    ({"lppool": {"norm_type": 2, "kernel": 2}}, [3, 7, 9], [3, 4, 5], 0, 0, None, 0),
    # output_ratio 0.5: int(9 x 0.5) = 4, int(7 x 0.5) = 3
    ({"fractional_maxpool": {"kernel": 2, "output_ratio": 0.5}}, [3, 9, 7], [3, 4, 3], 0, 0,
     None, 0),
    ({"adaptive_avgpool": {"output_size": [None, 3]}}, [4, 10, 12], [4, 10, 3], 0, 0, None,
     0),
]


@pytest.mark.parametrize("entry,shape_in,shape_out,weights,buffers,per_filter,macs", ROWS)
def test_layer_figures(entry, shape_in, shape_out, weights, buffers, per_filter, macs):
    row = one(entry, shape_in)
    assert list(row.output_shape) == shape_out
    assert row.weights == weights
    assert row.buffers == buffers
    assert row.per_filter == per_filter
    assert row.macs == macs


def test_every_registered_kind_is_in_the_table():
    from cnncalc.layers import LAYERS

    tested = {next(iter(e)) if isinstance(e, dict) else e for e, *_ in ROWS} | set(ACTIVATIONS)
    tested |= {"maxunpool"}  # reads an earlier pool: its figures are in test_moving.py
    assert {cls.kind for cls in LAYERS.values()} <= {LAYERS[k].kind for k in tested}


def _activation_names() -> list[str]:
    """Every kind of the activation table (tests/activation_table.py) and its aliases."""
    from cnncalc.layers import LAYERS

    kinds = {entry_kind(entry) for entry, *_ in ACTIVATION_ROWS}
    return sorted(name for name, cls in LAYERS.items() if cls.kind in kinds)


ACTIVATIONS = _activation_names()


@pytest.mark.parametrize("kind", ACTIVATIONS)
def test_activations_keep_shape_and_count_one_op_per_element(kind):
    row = one(kind, [4, 5, 6])
    assert row.output_shape == (4, 5, 6) and row.weights == 0 and row.ops == 120


def test_other_ops_column_is_never_a_silent_zero_for_work():
    # bias adds, pooling reads, norm arithmetic and merges all count
    assert one({"conv": {"filters": 2, "kernel": 1}}, [1, 3, 3]).ops == 18
    assert one({"conv": {"filters": 2, "kernel": 1, "bias": False}}, [1, 3, 3]).ops == 0
    assert one({"maxpool": {"kernel": 2}}, [1, 4, 4]).ops == 4 * 4
    assert one("batchnorm", [2, 3, 3]).ops == 36


def test_frozen_layer_moves_weights_to_non_trainable():
    analysis = analyze_layers([{"conv": {"filters": 4, "kernel": 3}, "trainable": False},
                               "batchnorm"], [3, 8, 8])
    t = analysis.totals
    assert t.params == 112 + 8 and t.trainable_params == 8
    assert t.non_trainable_params == 112 + 8  # frozen conv + BN running mean/var


# framework presets on the same layer: (framework, layer extra, expected size); 112.5 cases
PRESETS = [
    (None, {}, 57), ("pytorch", {}, 56), ("pytorch", {"ceil_mode": True}, 57),
    ("caffe", {}, 57), ("tensorflow", {}, 56),
]


@pytest.mark.parametrize("framework,extra,size", PRESETS)
def test_framework_presets_on_pooling(framework, extra, size):
    top = {"framework": framework} if framework else {}
    row = one({"maxpool": {"kernel": 3, "stride": 2, "padding": 1, **extra}}, [64, 112, 112],
              **top)
    assert row.output_shape == (64, size, size)


def test_pytorch_ceil_mode_drops_window_in_padding_but_plain_ceil_keeps_it():
    entry = {"maxpool": {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True}}
    assert one(entry, [1, 5, 5]).output_shape == (1, 4, 4)                 # seed ceil rule
    assert one(entry, [1, 5, 5], framework="pytorch").output_shape == (1, 3, 3)
    assert one(entry, [1, 5, 5], framework="caffe").output_shape == (1, 3, 3)


def test_layer_rounding_overrides_spec():
    spec = [{"conv": {"filters": 1, "kernel": 7, "stride": 2, "padding": 3},
             "rounding": "floor"},
            {"conv": {"filters": 1, "kernel": 7, "stride": 2, "padding": 3}}]
    rows = analyze_layers(spec, [1, 224, 224]).rows
    assert rows[0].output_shape == (1, 112, 112)   # floor
    assert rows[1].output_shape == (1, 57, 57)     # ceil((112 + 6 - 7)/2 + 1) = ceil(56.5)


def test_spec_floor_rounding():
    row = one({"conv": {"filters": 1, "kernel": 7, "stride": 2, "padding": 3}}, [1, 224, 224],
              rounding="floor")
    assert row.output_shape == (1, 112, 112)


def test_groups_must_divide_channels():
    with pytest.raises(SpecError, match=r"groups \(3\) must divide the input channels \(64\)"):
        one({"conv": {"filters": 6, "kernel": 3, "groups": 3}}, [64, 8, 8])


def test_layers_are_immutable_values():
    row = one({"conv": {"filters": 4, "kernel": 3}}, [3, 8, 8])
    layer = row.node.layer
    with pytest.raises(AttributeError, match="immutable"):
        layer.filters = 5
    assert layer.windows() is layer.windows()          # computed once
    assert repr(layer) == "<conv 3x3 [3, 8, 8]>"


def test_layer_constructor_names_missing_and_unknown_fields():
    from cnncalc.layers import LAYERS

    with pytest.raises(TypeError, match="needs the field 'units'"):
        LAYERS["dense"]((4,))
    with pytest.raises(TypeError, match="unexpected or repeated field 'unit'"):
        LAYERS["dense"]((4,), unit=3)
    assert LAYERS["dense"]((4,), units=3, bias=True).output_shape() == (3,)


# A kernel wider than the padded input (issue 7): one window under a ceil rule, refused under
# floor. PyTorch AvgPool1d(4, ceil_mode=True) on length 3 gives 1 (tests/reference/windows.json
# holds the recorded answer); the seed's rule on length 2, kernel 3, stride 2: ceil(0.5) = 1.
@pytest.mark.parametrize("entry,size,top,out", [
    ({"avgpool": {"kernel": 4, "ceil_mode": True}}, 3, {"framework": "pytorch"}, 1),
    ({"maxpool": {"kernel": 3, "stride": 2}}, 2, {}, 1),
    ({"conv": {"filters": 1, "kernel": 3, "stride": 2}}, 2, {}, 1),
])
def test_overhanging_kernel_counts_one_window(entry, size, top, out):
    assert one(entry, [1, size], **top).output_shape == (1, out)


def test_overhanging_kernel_is_refused_under_floor():
    with pytest.raises(SpecError, match="output would be empty"):
        one({"avgpool": {"kernel": 4}}, [1, 3], framework="pytorch")
