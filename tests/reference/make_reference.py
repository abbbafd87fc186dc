"""Regenerate the PyTorch reference data for cnncalc's tests.

Run (from the repository root, with a Python that has torch and torchvision):

    python tests/reference/make_reference.py   (with torch 2.14.1 and torchvision 0.29.1)

Generated with torch 2.14.1 and torchvision 0.29.1 on the CPU. The script
rewrites, next to itself:

* ``layers.json``: single-layer cases. Each case gives a cnncalc layer entry
  (exactly as it would be written in YAML), the input shape without the batch
  axis, and what PyTorch makes of it: output shape, parameter count, BatchNorm
  running-statistics count and, for conv / conv_transpose / dense, the MACs.
* ``models.json``: torchvision's alexnet, vgg16, resnet18, resnet34, resnet50,
  mobilenet_v2 and googlenet, plus a U-Net and LeNet-5 built here: totals,
  every leaf module's output shape and parameter count in forward-call order,
  and the receptive field of the last feature layer, measured empirically by
  back-propagation (no receptive-field formula is used anywhere).

The output is deterministic (no random numbers reach the JSON; keys are sorted,
indent 1). The tests never import torch: they only read these files.

What FlopCounterMode counts (checked by ``count_macs``, which refuses other
operators): only aten.convolution (conv and transposed conv), aten.mm and
aten.addmm (nn.Linear) and aten.bmm. It counts 2 FLOPs per multiply-accumulate
and ignores the bias (addmm is counted as the bare mm; the conv formula
ignores the bias). A transposed convolution is counted per *input* position:
in_positions * prod(kernel) * C_in * C_out / groups, so the products that land
in the cropped ``padding`` border are counted and ``output_padding`` adds
nothing. BatchNorm, pooling, activations, upsampling, additions and
concatenations count 0. MACs below are FLOPs / 2 for one sample (batch 1).

Receptive fields (``rf`` in models.json): a float64 copy of each model is made
linear and positive (constant positive weights, zero biases, identity
BatchNorm, ReLU/ReLU6/Dropout -> Identity, MaxPool -> AvgPool of the same
geometry); the gradient of one central output position of the feature layer
(summed over channels) is non-zero exactly on that position's receptive field.
size = extent of the non-zero input gradient per axis, jump = its shift when
the output index moves by one, start = field centre of output index i minus
i * jump (input pixel centres at 0, 1, 2, ...). The input is large enough that
the field never touches the border (asserted). The U-Net's field is not
translation-uniform (its transposed convs map output pixels 2j and 2j+1 to the
same input pixel), so its entry also lists the field of 33 consecutive output
positions (``per_position``), ``size_range`` and ``mean_jump``; its size /
jump / start are those of the first two of these positions only.
"""

import copy
import itertools
import json
import os
import sys
import warnings
from collections import OrderedDict
from pathlib import Path

import torch
import torchvision
import yaml
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

HERE = os.path.dirname(os.path.abspath(__file__))

# torch warns that even-kernel 'same' convs copy the input; harmless here.
warnings.filterwarnings("ignore", message="Using padding='same'")

# The operators whose FLOPs we accept: anything else would mean the "MACs"
# are not conv + linear only.
MAC_OPS = {"aten.convolution", "aten.mm", "aten.addmm", "aten.bmm"}


# --------------------------------------------------------------------------
# Common measurements
# --------------------------------------------------------------------------

def count_params(module):
    return sum(p.numel() for p in module.parameters())


def count_bn_buffers(module):
    """running_mean + running_var only (num_batches_tracked is not counted)."""
    total = 0
    for m in module.modules():
        for name in ("running_mean", "running_var"):
            buf = getattr(m, name, None)
            if isinstance(buf, torch.Tensor):
                total += buf.numel()
    return total


def count_macs(module, x):
    """FlopCounterMode FLOPs / 2 for one forward; also per-module MACs."""
    with FlopCounterMode(display=False) as counter:
        module(x)
    by_module = counter.get_flop_counts()
    ops = {str(op) for op in by_module.get("Global", {})}
    assert ops <= MAC_OPS, f"FlopCounterMode counted unexpected ops: {ops}"
    total = counter.get_total_flops()
    assert total % 2 == 0
    per_module = {name: sum(c.values()) // 2 for name, c in by_module.items()}
    return total // 2, per_module


def shape_of(t):
    return list(t.shape[1:])  # drop the batch axis


# --------------------------------------------------------------------------
# 1. Single layers
# --------------------------------------------------------------------------

class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channel axis only (as in ConvNeXt): params 2C."""

    def __init__(self, channels, affine=True):
        super().__init__()
        self.norm = nn.LayerNorm(channels, elementwise_affine=affine)

    def forward(self, x):
        x = x.movedim(1, -1)
        return self.norm(x).movedim(-1, 1)


def tup(v):
    """cnncalc int-or-list -> what torch modules take."""
    return tuple(v) if isinstance(v, list) else v


def pad_pairs(padding, nd):
    """cnncalc zeropad padding -> [[before, after]] per spatial axis."""
    if isinstance(padding, int):
        return [[padding, padding]] * nd
    return [p if isinstance(p, list) else [p, p] for p in padding]


ALIASES = {
    "conv2d": "conv", "conv1d": "conv", "conv3d": "conv",
    "deconv": "conv_transpose", "transposed_conv": "conv_transpose",
    "linear": "dense", "fc": "dense",
    "batch_norm": "batchnorm", "bn": "batchnorm",
    "layer_norm": "layernorm", "group_norm": "groupnorm",
    "swish": "silu", "zero_padding": "zeropad", "pad": "zeropad",
}

ACTIVATIONS = {
    "relu": nn.ReLU, "relu6": nn.ReLU6, "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh, "gelu": nn.GELU, "silu": nn.SiLU,
    "hardswish": nn.Hardswish, "hardsigmoid": nn.Hardsigmoid,
    "identity": nn.Identity,
}


def to_torch(entry, in_shape):
    """Translate a cnncalc layer entry into the torch module it stands for.

    Only argument renaming happens here; every shape and count in the JSON
    comes from running the module.
    """
    if isinstance(entry, str):
        kind, args = entry, {}
    else:
        (kind, args), = entry.items()
    kind = ALIASES.get(kind, kind)
    c = in_shape[0]
    nd = len(in_shape) - 1          # spatial axes
    dim = {1: "1d", 2: "2d", 3: "3d"}.get(nd)

    module = conv_pad_pool_to_torch(kind, args, in_shape)  # issue 9's kinds and arguments
    if module is not None:
        return module
    if kind == "conv":
        filters = args.get("filters", args.get("out_channels"))
        groups = args.get("groups", 1)
        if args.get("depthwise"):
            groups = c
            filters = c if filters is None else filters
        cls = getattr(nn, "Conv" + dim)
        return cls(c, filters, tup(args["kernel"]), stride=tup(args.get("stride", 1)),
                   padding=tup(args.get("padding", 0)), dilation=tup(args.get("dilation", 1)),
                   groups=groups, bias=args.get("bias", True))
    if kind == "conv_transpose":
        filters = args.get("filters", args.get("out_channels"))
        cls = getattr(nn, "ConvTranspose" + dim)
        return cls(c, filters, tup(args["kernel"]), stride=tup(args.get("stride", 1)),
                   padding=tup(args.get("padding", 0)),
                   output_padding=tup(args.get("output_padding", 0)),
                   groups=args.get("groups", 1), bias=args.get("bias", True),
                   dilation=tup(args.get("dilation", 1)))
    if kind == "maxpool":
        cls = getattr(nn, "MaxPool" + dim)
        return cls(tup(args["kernel"]), stride=tup(args.get("stride", args["kernel"])),
                   padding=tup(args.get("padding", 0)), dilation=tup(args.get("dilation", 1)),
                   ceil_mode=args.get("ceil_mode", False))
    if kind == "avgpool":
        cls = getattr(nn, "AvgPool" + dim)
        return cls(tup(args["kernel"]), stride=tup(args.get("stride", args["kernel"])),
                   padding=tup(args.get("padding", 0)), ceil_mode=args.get("ceil_mode", False),
                   count_include_pad=args.get("count_include_pad", True))
    if kind in ("global_avgpool", "global_maxpool"):
        cls = getattr(nn, ("AdaptiveAvgPool" if "avg" in kind else "AdaptiveMaxPool") + dim)
        pool = cls(1)
        # keepdims false = Keras' [C]: the pool followed by a flatten.
        return pool if args.get("keepdims", True) else nn.Sequential(pool, nn.Flatten())
    if kind in ("adaptive_avgpool", "adaptive_maxpool"):
        cls = getattr(nn, ("AdaptiveAvgPool" if "avg" in kind else "AdaptiveMaxPool") + dim)
        return cls(tup(args["output_size"]))
    if kind == "flatten":
        return nn.Flatten(args.get("start_dim", 1), args.get("end_dim", -1))
    moved = moving_module(kind, args)
    if moved is not None:
        return moved
    if kind == "dense":
        units = args.get("units", args.get("out_features"))
        return nn.Linear(in_shape[-1], units, bias=args.get("bias", True))  # last axis
    if kind == "batchnorm":
        cls = getattr(nn, "BatchNorm" + dim)
        return cls(c, affine=args.get("affine", True),
                   track_running_stats=args.get("track_running_stats", True))
    if kind == "layernorm":
        affine = args.get("affine", True)
        if args.get("over", "all") == "channels":
            return ChannelLayerNorm(c, affine)
        return nn.LayerNorm(args.get("normalized_shape", list(in_shape)),
                            elementwise_affine=affine, bias=args.get("bias", True))
    if kind == "groupnorm":
        return nn.GroupNorm(args["groups"], c, affine=args.get("affine", True))
    module = norm_activation_module(kind, args, c, dim)
    if module is not None:
        return module
    if kind in ACTIVATIONS:
        return ACTIVATIONS[kind]()
    table = table_activations()
    if kind in table:  # built from the table's own PyTorch expression
        return eval(table[kind][1], {"nn": nn})
    if kind == "leaky_relu":
        return nn.LeakyReLU(args.get("negative_slope", 0.01))
    if kind == "softmax":
        return nn.Softmax(dim=args.get("axis", 0) + 1)   # +1: the batch axis
    if kind == "dropout":
        return nn.Dropout(args.get("p", 0.5))
    if kind == "upsample":
        mode = args.get("mode", "nearest")
        if mode in ("linear", "bilinear", "trilinear"):  # follow the input
            mode = {1: "linear", 2: "bilinear", 3: "trilinear"}[nd]
        scale = args.get("scale")
        if isinstance(scale, list):
            scale = tuple(float(s) for s in scale)
        elif scale is not None:
            scale = float(scale)
        return nn.Upsample(size=tup(args.get("size")), scale_factor=scale, mode=mode,
                           align_corners=args.get("align_corners")
                           if "linear" in mode or mode == "bicubic" else None,
                           recompute_scale_factor=args.get("recompute_scale_factor"))
    if kind == "zeropad":
        pairs = pad_pairs(args["padding"], nd)
        flat = []
        for before, after in reversed(pairs):   # torch lists the last axis first
            flat += [before, after]
        return getattr(nn, "ZeroPad" + dim)(tuple(flat))
    raise ValueError(f"unknown kind {kind}")


def norm_activation_module(kind, args, c, dim):
    """PReLU, log-softmax, instance norm, local response norm and spatial dropout (their
    spec names and aliases) as torch modules; None for any other kind."""
    kind = {"logsoftmax": "log_softmax", "instance_norm": "instancenorm",
            "lrn": "local_response_norm"}.get(kind, kind)
    if kind.startswith("instancenorm") and kind[-2:] in ("1d", "2d", "3d"):
        kind = "instancenorm"
    if kind in ("dropout1d", "dropout2d", "dropout3d") or kind.startswith("spatial_dropout"):
        kind = "spatial_dropout"
    if kind == "prelu":
        return nn.PReLU(args.get("num_parameters", 1), init=args.get("init", 0.25))
    if kind == "log_softmax":
        return nn.LogSoftmax(dim=args.get("axis", 0) + 1)
    if kind == "instancenorm":
        return getattr(nn, "InstanceNorm" + dim)(
            c, affine=args.get("affine", False),
            track_running_stats=args.get("track_running_stats", False))
    if kind == "local_response_norm":
        return nn.LocalResponseNorm(args["size"], alpha=args.get("alpha", 1e-4),
                                    beta=args.get("beta", 0.75), k=args.get("k", 1.0))
    if kind == "spatial_dropout":
        return getattr(nn, "Dropout" + dim)(args.get("p", 0.5))
    return None


def norm_activation_cases():
    """PReLU, log-softmax, instance norm, LRN, layer norm's trailing axes and bias, spatial
    dropout (the new elementwise activations get theirs from activation_cases)."""
    return [
        ("prelu-shared", [8, 7, 9], "prelu"),
        ("prelu-per-channel", [8, 7, 9], {"prelu": {"num_parameters": 8}}),
        ("prelu-flat", [10], {"prelu": {"num_parameters": 10, "init": 0.1}}),
        ("prelu-1d", [4, 15], {"prelu": {"num_parameters": 4}}),
        ("log-softmax", [10, 3, 3], "log_softmax"),
        ("log-softmax-axis1", [10, 3, 3], {"log_softmax": {"axis": 1}}),
        ("log-softmax-vec", [10], "logsoftmax"),
        ("in2d", [16, 8, 8], "instancenorm"),
        ("in2d-affine", [16, 8, 8], {"instancenorm": {"affine": True}}),
        ("in2d-track", [16, 8, 8], {"instancenorm": {"track_running_stats": True}}),
        ("in2d-affine-track", [16, 8, 8],
         {"instancenorm2d": {"affine": True, "track_running_stats": True}}),
        ("in1d-affine", [16, 20], {"instancenorm1d": {"affine": True}}),
        ("in3d-track", [16, 3, 4, 5], {"instance_norm": {"track_running_stats": True}}),
        ("lrn-alexnet", [96, 55, 55], {"lrn": {"size": 5, "alpha": 0.0001, "beta": 0.75,
                                               "k": 2}}),
        ("lrn-1d", [16, 20], {"local_response_norm": {"size": 3}}),
        ("lrn-3d", [16, 3, 4, 5], {"local_response_norm": {"size": 4}}),
        ("ln-trailing-2", [16, 8, 8], {"layernorm": {"normalized_shape": [8, 8]}}),
        ("ln-trailing-1", [16, 8, 6], {"layernorm": {"normalized_shape": 6}}),
        ("ln-trailing-all", [16, 8, 6], {"layernorm": {"normalized_shape": [16, 8, 6]}}),
        ("ln-nobias", [16, 8, 8], {"layernorm": {"bias": False}}),
        ("ln-trailing-nobias", [16, 8, 6], {"layernorm": {"normalized_shape": 6,
                                                          "bias": False}}),
        ("ln-vec-nobias", [32], {"layernorm": {"normalized_shape": 32, "bias": False}}),
        ("spatial-dropout-2d", [8, 7, 9], {"spatial_dropout": {"p": 0.2}}),
        ("spatial-dropout-1d", [8, 15], "spatial_dropout"),
        ("dropout2d-alias", [8, 7, 9], {"dropout2d": {"p": 0.3}}),
        ("dropout1d-alias", [8, 15], "dropout1d"),
        ("dropout3d-alias", [4, 3, 5, 6], "dropout3d"),
    ]


class SeparableConv(nn.Module):
    """Keras' SeparableConv2D in PyTorch: depthwise (no bias), then 1x1 pointwise."""

    def __init__(self, conv, c, filters, multiplier, kernel, bias=True, **window):
        super().__init__()
        self.depthwise_weight = nn.Parameter(torch.empty(c * multiplier, 1, *kernel))
        self.pointwise_weight = nn.Parameter(torch.empty(filters, c * multiplier,
                                                         *[1] * len(kernel)))
        self.bias = nn.Parameter(torch.empty(filters)) if bias else None
        nn.init.normal_(self.depthwise_weight)
        nn.init.normal_(self.pointwise_weight)
        self.conv, self.groups, self.window = conv, c, window

    def forward(self, x):
        x = self.conv(x, self.depthwise_weight, None, groups=self.groups, **self.window)
        return self.conv(x, self.pointwise_weight, self.bias)


class Call(nn.Module):
    """A module called with fixed keyword arguments (a transposed conv's output_size)."""

    def __init__(self, module, **kwargs):
        super().__init__()
        self.module, self.kwargs = module, kwargs

    def forward(self, x):
        return self.module(x, **self.kwargs)


class Crop(nn.Module):
    """Keras' Cropping: slicing, [before, after] per spatial axis."""

    def __init__(self, pairs):
        super().__init__()
        self.pairs = pairs

    def forward(self, x):
        index = [slice(None), slice(None)]
        index += [slice(b, x.shape[2 + a] - e) for a, (b, e) in enumerate(self.pairs)]
        return x[tuple(index)]


class FixedFractionalMaxPool(nn.Module):
    """nn.FractionalMaxPool2d/3d with fixed samples in a buffer named `samples`, as the
    executor takes them."""

    def __init__(self, nd, channels, kernel, output_size=None, output_ratio=None, batch=1):
        super().__init__()
        self.register_buffer("samples", torch.rand(batch, channels, nd))
        cls = nn.FractionalMaxPool2d if nd == 2 else nn.FractionalMaxPool3d
        self.pool = cls(kernel, output_size=output_size, output_ratio=output_ratio,
                        _random_samples=self.samples)

    def forward(self, x):
        return self.pool(x)


def _torch_pad(pairs):
    """[[before, after] per axis] -> F.pad's order, last axis first."""
    flat = []
    for before, after in reversed(pairs):
        flat += [before, after]
    return tuple(flat)


def conv_pad_pool_to_torch(kind, args, in_shape):
    """Issue 9's conv, padding and pooling kinds and arguments, or None for the others."""
    c = in_shape[0]
    nd = len(in_shape) - 1
    dim = {1: "1d", 2: "2d", 3: "3d"}.get(nd)
    kind = {"depthwise_conv2d": "depthwise_conv", "separable_conv2d": "separable_conv",
            "lp_pool": "lppool", "crop": "cropping"}.get(kind, kind)
    window = {"stride": tup(args.get("stride", 1)), "padding": tup(args.get("padding", 0)),
              "dilation": tup(args.get("dilation", 1))}
    if kind == "conv" and "padding_mode" in args:
        filters = args["filters"]
        return getattr(nn, "Conv" + dim)(c, filters, tup(args["kernel"]), **window,
                                         groups=args.get("groups", 1),
                                         bias=args.get("bias", True),
                                         padding_mode=args["padding_mode"])
    if kind == "conv_transpose" and "output_size" in args:
        module = getattr(nn, "ConvTranspose" + dim)(
            c, args["filters"], tup(args["kernel"]), stride=tup(args.get("stride", 1)),
            padding=tup(args.get("padding", 0)), dilation=tup(args.get("dilation", 1)),
            groups=args.get("groups", 1))
        size = args["output_size"]
        return Call(module, output_size=size if isinstance(size, list) else [size] * nd)
    if kind == "depthwise_conv":
        m = args.get("depth_multiplier", 1)
        return getattr(nn, "Conv" + dim)(c, c * m, tup(args["kernel"]), **window, groups=c,
                                         bias=args.get("bias", True))
    if kind == "separable_conv":
        kernel = args["kernel"]
        kernel = tuple(kernel) if isinstance(kernel, list) else (kernel,) * nd
        conv = getattr(nn.functional, "conv" + dim)
        return SeparableConv(conv, c, args["filters"], args.get("depth_multiplier", 1),
                             kernel, args.get("bias", True), **window)
    if kind in ("reflection_pad", "replication_pad", "circular_pad"):
        name = {"reflection_pad": "ReflectionPad", "replication_pad": "ReplicationPad",
                "circular_pad": "CircularPad"}[kind]
        return getattr(nn, name + dim)(_torch_pad(pad_pairs(args["padding"], nd)))
    if kind == "cropping":
        return Crop(pad_pairs(args["cropping"], nd))
    if kind == "avgpool" and "divisor_override" in args:
        return getattr(nn, "AvgPool" + dim)(
            tup(args["kernel"]), stride=tup(args.get("stride", args["kernel"])),
            padding=tup(args.get("padding", 0)), ceil_mode=args.get("ceil_mode", False),
            count_include_pad=args.get("count_include_pad", True),
            divisor_override=args["divisor_override"])
    if kind == "lppool":
        return getattr(nn, "LPPool" + dim)(args["norm_type"], tup(args["kernel"]),
                                           stride=tup(args.get("stride")),
                                           ceil_mode=args.get("ceil_mode", False))
    if kind == "fractional_maxpool":
        ratio = args.get("output_ratio")
        return FixedFractionalMaxPool(nd, c, tup(args["kernel"]), tup(args.get("output_size")),
                                      tuple(ratio) if isinstance(ratio, list) else
                                      None if ratio is None else (ratio,) * nd)
    return None


def conv_pad_pool_cases():
    """Issue 9: padding_mode, padding layers, cropping, Keras' depthwise and separable
    convs, output_size, divisor_override, lppool, fractional max pooling, adaptive None."""
    I = [3, 17, 14]
    return [
        ("conv-reflect", I, {"conv": {"filters": 4, "kernel": 3, "padding": 1,
                                      "padding_mode": "reflect"}}),
        ("conv-replicate-s2", I, {"conv": {"filters": 4, "kernel": 5, "stride": 2,
                                           "padding": 2, "padding_mode": "replicate"}}),
        ("conv-circular-rect", I, {"conv": {"filters": 6, "kernel": [3, 5], "groups": 3,
                                            "padding": [1, 2], "padding_mode": "circular"}}),
        ("conv-reflect-same-even", I, {"conv": {"filters": 2, "kernel": 4, "padding": "same",
                                                "padding_mode": "reflect"}}),
        ("conv1d-reflect", [2, 9], {"conv1d": {"filters": 3, "kernel": 3, "padding": 8,
                                               "dilation": 2, "padding_mode": "reflect"}}),
        ("conv3d-circular", [2, 4, 5, 6], {"conv3d": {"filters": 3, "kernel": 3, "padding": 1,
                                                      "padding_mode": "circular"}}),
        ("reflection-pad-pairs", I, {"reflection_pad": {"padding": [[3, 0], [1, 13]]}}),
        ("reflection-pad1d", [2, 9], {"reflection_pad": {"padding": 8}}),
        ("reflection-pad3d", [2, 4, 5, 6], {"reflection_pad": {"padding": [1, 2, 3]}}),
        ("replication-pad-big", I, {"replication_pad": {"padding": [[20, 0], 1]}}),
        ("replication-pad3d", [2, 4, 5, 6], {"replication_pad": {"padding": 2}}),
        ("circular-pad-size", I, {"circular_pad": {"padding": [[17, 2], [0, 14]]}}),
        ("circular-pad1d", [2, 9], {"circular_pad": {"padding": [[2, 5]]}}),
        ("cropping-int", I, {"cropping": {"cropping": 2}}),
        ("cropping-pairs", I, {"cropping": {"cropping": [[0, 3], [5, 1]]}}),
        ("cropping1d", [2, 9], {"cropping": {"cropping": [[2, 5]]}}),
        ("cropping3d", [2, 4, 5, 6], {"cropping": {"cropping": [1, 0, 2]}}),
        ("depthwise-x1", I, {"depthwise_conv": {"kernel": 3, "padding": 1}}),
        ("depthwise-x3-s2", I, {"depthwise_conv": {"kernel": 3, "stride": 2,
                                                   "depth_multiplier": 3, "bias": False}}),
        ("depthwise1d-x2", [2, 9], {"depthwise_conv": {"kernel": 4, "depth_multiplier": 2,
                                                       "dilation": 2}}),
        ("separable-x1", I, {"separable_conv": {"filters": 8, "kernel": 3, "padding": 1}}),
        ("separable-x2-s2", I, {"separable_conv": {"filters": 5, "kernel": [3, 5],
                                                   "stride": 2, "depth_multiplier": 2}}),
        ("separable-nobias", I, {"separable_conv": {"filters": 4, "kernel": 3,
                                                    "bias": False, "dilation": 2}}),
        ("separable1d", [2, 9], {"separable_conv": {"filters": 3, "kernel": 3,
                                                    "depth_multiplier": 4}}),
        ("convT-output-size", [4, 7, 6], {"conv_transpose": {"filters": 3, "kernel": 3,
                                                             "stride": 2, "padding": 1,
                                                             "output_size": [14, 11]}}),
        ("convT-output-size-s3", [4, 7, 6], {"conv_transpose": {"filters": 2, "kernel": 4,
                                                                "stride": 3, "dilation": 2,
                                                                "output_size": [27, 24]}}),
        ("convT1d-output-size", [2, 5], {"conv_transpose": {"filters": 3, "kernel": 2,
                                                            "stride": 4, "output_size": 19}}),
        ("avgpool-divisor", I, {"avgpool": {"kernel": 3, "stride": 2, "padding": 1,
                                            "ceil_mode": True, "divisor_override": 4}}),
        ("avgpool3d-divisor", [2, 4, 5, 6], {"avgpool": {"kernel": 2, "divisor_override": 3}}),
        ("lppool2", I, {"lppool": {"norm_type": 2, "kernel": 3, "stride": 2}}),
        ("lppool-ceil", I, {"lppool": {"norm_type": 3, "kernel": [2, 3], "ceil_mode": True}}),
        ("lppool1d", [2, 9], {"lppool": {"norm_type": 1.5, "kernel": 4, "stride": 3,
                                         "ceil_mode": True}}),
        ("lppool3d", [2, 4, 5, 6], {"lppool": {"norm_type": 2, "kernel": 2}}),
        ("fractional-size", I, {"fractional_maxpool": {"kernel": 2, "output_size": [8, 6]}}),
        ("fractional-ratio", I, {"fractional_maxpool": {"kernel": [3, 2],
                                                        "output_ratio": [0.5, 0.75]}}),
        ("fractional-one", I, {"fractional_maxpool": {"kernel": 3, "output_size": [1, 12]}}),
        ("fractional3d", [2, 6, 7, 8], {"fractional_maxpool": {"kernel": 2,
                                                               "output_ratio": 0.6}}),
        ("adaptive-avg-none", I, {"adaptive_avgpool": {"output_size": [None, 4]}}),
        ("adaptive-max-none3d", [2, 4, 5, 6], {"adaptive_maxpool": {"output_size": [2, None,
                                                                                    None]}}),
    ]


def conv_cases():
    c = []
    I = [3, 32, 32]
    # 2-D: stride, padding, rounding
    c += [("conv-k3-p1", I, {"conv": {"filters": 16, "kernel": 3, "padding": 1}}),
          ("conv-k3", I, {"conv": {"filters": 16, "kernel": 3}}),
          ("conv-k3-s2", I, {"conv": {"filters": 8, "kernel": 3, "stride": 2}}),
          ("conv-k3-s2-p1", I, {"conv": {"filters": 8, "kernel": 3, "stride": 2, "padding": 1}}),
          ("conv-k3-s2-p1-odd", [3, 33, 33], {"conv": {"filters": 8, "kernel": 3, "stride": 2, "padding": 1}}),
          ("conv-k3-s2-p1-rect", [3, 32, 31], {"conv": {"filters": 8, "kernel": 3, "stride": 2, "padding": 1}}),
          ("conv-k2-s2-odd", [4, 15, 15], {"conv": {"filters": 4, "kernel": 2, "stride": 2}}),
          ("conv-k7-s2-p3", [3, 224, 224], {"conv": {"filters": 64, "kernel": 7, "stride": 2, "padding": 3, "bias": False}}),
          ("conv-k7-s2-p3-odd", [3, 225, 225], {"conv": {"filters": 64, "kernel": 7, "stride": 2, "padding": 3, "bias": False}}),
          ("conv-k11-s4-p2", [3, 224, 224], {"conv": {"filters": 64, "kernel": 11, "stride": 4, "padding": 2}}),
          ("conv-k5-s3-p2", [8, 20, 19], {"conv": {"filters": 6, "kernel": 5, "stride": 3, "padding": 2}}),
          ("conv-k1-s2", [16, 15, 15], {"conv": {"filters": 32, "kernel": 1, "stride": 2, "bias": False}}),
          ("conv-k-eq-input", [8, 5, 5], {"conv": {"filters": 10, "kernel": 5}}),
          ("conv-axis-k-s-p", [4, 17, 23], {"conv": {"filters": 6, "kernel": [3, 5], "stride": [1, 2], "padding": [1, 2]}}),
          ("conv-axis-k1x7-p", [4, 17, 17], {"conv": {"filters": 4, "kernel": [1, 7], "padding": [0, 3]}}),
          ("conv-s4-big-pad", [3, 30, 30], {"conv": {"filters": 3, "kernel": 4, "stride": 4, "padding": 3}}),
          ]
    # dilation
    c += [("conv-d2-k3-p2", [8, 32, 32], {"conv": {"filters": 8, "kernel": 3, "padding": 2, "dilation": 2}}),
          ("conv-d2-k3", [8, 32, 32], {"conv": {"filters": 8, "kernel": 3, "dilation": 2}}),
          ("conv-d2-k3-s2-p1", [8, 31, 29], {"conv": {"filters": 8, "kernel": 3, "stride": 2, "padding": 1, "dilation": 2}}),
          ("conv-d-axis", [8, 21, 22], {"conv": {"filters": 8, "kernel": 3, "padding": [2, 3], "dilation": [2, 3]}}),
          ("conv-d4-k2-s3", [2, 40, 41], {"conv": {"filters": 2, "kernel": 2, "stride": 3, "dilation": 4}}),
          ("conv-brief-example", [4, 30, 31], {"conv": {"filters": 8, "kernel": [3, 5], "stride": 2, "padding": 1, "dilation": 2, "groups": 2, "bias": False}}),
          ]
    # groups and depthwise
    c += [("conv-g2", [8, 16, 16], {"conv": {"filters": 16, "kernel": 3, "padding": 1, "groups": 2}}),
          ("conv-g4-nobias", [8, 16, 16], {"conv": {"filters": 12, "kernel": 3, "groups": 4, "bias": False}}),
          ("conv-g-eq-c", [16, 14, 14], {"conv": {"filters": 16, "kernel": 3, "padding": 1, "groups": 16, "bias": False}}),
          ("conv-g-k1", [32, 7, 7], {"conv": {"filters": 64, "kernel": 1, "groups": 8}}),
          ("conv-dw-k3", [16, 14, 14], {"conv": {"depthwise": True, "kernel": 3, "padding": 1}}),
          ("conv-dw-k3-filters", [16, 14, 14], {"conv": {"depthwise": True, "filters": 16, "kernel": 3, "padding": 1, "bias": False}}),
          ("conv-dw-mult2", [8, 15, 15], {"conv": {"depthwise": True, "filters": 16, "kernel": 3, "stride": 2, "padding": 1}}),
          ("conv-dw-k5-s2", [32, 28, 27], {"conv": {"depthwise": True, "filters": 32, "kernel": 5, "stride": 2, "padding": 2, "bias": False}}),
          ]
    # 'same' and 'valid' (torch allows 'same' only at stride 1)
    c += [("conv-same-k3", [3, 17, 18], {"conv": {"filters": 4, "kernel": 3, "padding": "same"}}),
          ("conv-same-k5", [3, 17, 18], {"conv": {"filters": 4, "kernel": 5, "padding": "same"}}),
          ("conv-same-k4-even", [3, 17, 18], {"conv": {"filters": 4, "kernel": 4, "padding": "same"}}),
          ("conv-same-k2-even", [3, 9, 8], {"conv": {"filters": 4, "kernel": 2, "padding": "same", "bias": False}}),
          ("conv-same-axis-even", [3, 11, 12], {"conv": {"filters": 4, "kernel": [2, 5], "padding": "same"}}),
          ("conv-same-d2-k3", [3, 16, 15], {"conv": {"filters": 4, "kernel": 3, "padding": "same", "dilation": 2}}),
          ("conv-same-d3-k4", [3, 16, 15], {"conv": {"filters": 4, "kernel": 4, "padding": "same", "dilation": 3}}),
          ("conv-same-g2", [4, 13, 13], {"conv": {"filters": 4, "kernel": 3, "padding": "same", "groups": 2}}),
          ("conv-valid-k3", [3, 17, 18], {"conv": {"filters": 4, "kernel": 3, "padding": "valid"}}),
          ("conv-valid-k4-s2", [3, 17, 18], {"conv": {"filters": 4, "kernel": 4, "stride": 2, "padding": "valid"}}),
          ]
    # 1-D
    L = [4, 101]
    c += [("conv1d-k3", L, {"conv": {"filters": 8, "kernel": 3}}),
          ("conv1d-k3-p1", L, {"conv": {"filters": 8, "kernel": 3, "padding": 1}}),
          ("conv1d-k5-s2-p2", L, {"conv": {"filters": 8, "kernel": 5, "stride": 2, "padding": 2}}),
          ("conv1d-k4-s3", [2, 50], {"conv": {"filters": 3, "kernel": 4, "stride": 3}}),
          ("conv1d-d3", [2, 50], {"conv": {"filters": 3, "kernel": 3, "dilation": 3, "padding": 1}}),
          ("conv1d-g2-nobias", [4, 33], {"conv": {"filters": 6, "kernel": 3, "groups": 2, "bias": False}}),
          ("conv1d-dw", [8, 64], {"conv": {"depthwise": True, "kernel": 7, "padding": 3}}),
          ("conv1d-same-k4", [4, 33], {"conv": {"filters": 4, "kernel": 4, "padding": "same"}}),
          ("conv1d-same-d2-k3", [4, 33], {"conv": {"filters": 4, "kernel": 3, "dilation": 2, "padding": "same"}}),
          ("conv1d-list-args", [4, 40], {"conv": {"filters": 5, "kernel": [6], "stride": [4], "padding": [1]}}),
          ]
    # 3-D
    c += [("conv3d-k3-p1", [3, 16, 16, 16], {"conv": {"filters": 8, "kernel": 3, "padding": 1}}),
          ("conv3d-k3-s2", [4, 7, 15, 16], {"conv": {"filters": 4, "kernel": 3, "stride": 2}}),
          ("conv3d-axis", [3, 9, 33, 31], {"conv": {"filters": 6, "kernel": [3, 5, 5], "stride": [1, 2, 2], "padding": [1, 2, 2]}}),
          ("conv3d-d2", [2, 12, 13, 14], {"conv": {"filters": 2, "kernel": 3, "dilation": 2, "padding": 1, "bias": False}}),
          ("conv3d-dw", [6, 8, 9, 10], {"conv": {"depthwise": True, "kernel": 3, "stride": 2, "padding": 1}}),
          ("conv3d-same-k2", [2, 5, 6, 7], {"conv": {"filters": 3, "kernel": 2, "padding": "same"}}),
          ("conv3d-k1x3x3", [3, 5, 11, 12], {"conv": {"filters": 4, "kernel": [1, 3, 3], "stride": [1, 2, 2], "padding": [0, 1, 1]}}),
          ]
    # aliases for the kind and for filters
    c += [("conv-alias-conv2d", [3, 12, 12], {"conv2d": {"filters": 4, "kernel": 3}}),
          ("conv-alias-conv1d", [3, 12], {"conv1d": {"filters": 4, "kernel": 3}}),
          ("conv-alias-out-channels", [3, 12, 12], {"conv": {"out_channels": 5, "kernel": 3, "stride": 2}}),
          ]
    return c


def conv_transpose_cases():
    return [
        ("convt-k2-s2", [16, 16, 16], {"conv_transpose": {"filters": 8, "kernel": 2, "stride": 2}}),
        ("convt-k2-s2-odd", [16, 7, 9], {"conv_transpose": {"filters": 8, "kernel": 2, "stride": 2}}),
        ("convt-k3-s1-p1", [4, 10, 10], {"conv_transpose": {"filters": 4, "kernel": 3, "padding": 1}}),
        ("convt-k3-s2-p1", [8, 15, 15], {"conv_transpose": {"filters": 4, "kernel": 3, "stride": 2, "padding": 1}}),
        ("convt-k3-s2-p1-op1", [8, 15, 15], {"conv_transpose": {"filters": 4, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1}}),
        ("convt-k4-s2-p1", [8, 16, 16], {"conv_transpose": {"filters": 4, "kernel": 4, "stride": 2, "padding": 1, "bias": False}}),
        ("convt-k5-s3-p2-op2", [4, 9, 8], {"conv_transpose": {"filters": 3, "kernel": 5, "stride": 3, "padding": 2, "output_padding": 2}}),
        ("convt-axis", [4, 9, 8], {"conv_transpose": {"filters": 6, "kernel": [3, 4], "stride": [2, 3], "padding": [1, 0], "output_padding": [1, 2]}}),
        ("convt-d2", [4, 9, 9], {"conv_transpose": {"filters": 4, "kernel": 3, "dilation": 2}}),
        ("convt-d2-s2-p1-op1", [4, 9, 9], {"conv_transpose": {"filters": 4, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1, "dilation": 2}}),
        ("convt-d3-s1-op2", [4, 9, 9], {"conv_transpose": {"filters": 4, "kernel": 2, "dilation": 3, "output_padding": 2}}),
        ("convt-g2", [8, 6, 7], {"conv_transpose": {"filters": 12, "kernel": 3, "stride": 2, "groups": 2}}),
        ("convt-g4-nobias", [8, 6, 7], {"conv_transpose": {"filters": 8, "kernel": 2, "stride": 2, "groups": 4, "bias": False}}),
        ("convt-k1-s2-op1", [8, 5, 5], {"conv_transpose": {"filters": 8, "kernel": 1, "stride": 2, "output_padding": 1}}),
        ("convt1d-k4-s2-p1", [4, 25], {"conv_transpose": {"filters": 2, "kernel": 4, "stride": 2, "padding": 1}}),
        ("convt1d-k3-s3-op2", [4, 25], {"conv_transpose": {"filters": 2, "kernel": 3, "stride": 3, "output_padding": 2}}),
        ("convt1d-d2-g2", [4, 25], {"conv_transpose": {"filters": 6, "kernel": 3, "dilation": 2, "groups": 2}}),
        ("convt3d-k2-s2", [8, 4, 5, 6], {"conv_transpose": {"filters": 4, "kernel": 2, "stride": 2}}),
        ("convt3d-k3-s2-p1-op1", [8, 4, 5, 6], {"conv_transpose": {"filters": 4, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1}}),
        ("convt3d-axis", [2, 3, 4, 5], {"conv_transpose": {"filters": 2, "kernel": [1, 2, 3], "stride": [1, 2, 2], "padding": [0, 0, 1], "output_padding": [0, 1, 0]}}),
        ("convt-alias-deconv", [4, 8, 8], {"deconv": {"filters": 2, "kernel": 2, "stride": 2}}),
    ]


def pool_cases():
    c = []
    # Geometry shared by max and avg pooling (same output-size rule in torch).
    for k in ("maxpool", "avgpool"):
        c += [
            (f"{k}-k2", [8, 32, 32], {k: {"kernel": 2}}),
            (f"{k}-k2-odd", [8, 33, 33], {k: {"kernel": 2}}),
            (f"{k}-k2-odd-ceil", [8, 33, 33], {k: {"kernel": 2, "ceil_mode": True}}),
            (f"{k}-k3-s2-p1-ceil", [8, 112, 112], {k: {"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True}}),
            (f"{k}-k3-s2-56-ceil", [8, 56, 56], {k: {"kernel": 3, "stride": 2, "ceil_mode": True}}),
            (f"{k}-k3-s1-p1-ceil", [8, 14, 13], {k: {"kernel": 3, "stride": 1, "padding": 1, "ceil_mode": True}}),
            (f"{k}-axis-ceil", [8, 17, 20], {k: {"kernel": [3, 2], "stride": [2, 3], "padding": [1, 0], "ceil_mode": True}}),
            # ceil_mode with padding: a last window starting in the right padding is dropped.
            # (6, k2, s2, p1) rounds exactly, so ceil_mode changes nothing there.
            (f"{k}-ceil-brief-6-k2-s2-p1", [2, 6, 6], {k: {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True}}),
            (f"{k}-ceil-drop-5-k2-s2-p1", [2, 5, 5], {k: {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True}}),
            (f"{k}-floor-5-k2-s2-p1", [2, 5, 5], {k: {"kernel": 2, "stride": 2, "padding": 1}}),
            (f"{k}-ceil-drop-8-k3-s3-p1", [2, 8, 8], {k: {"kernel": 3, "stride": 3, "padding": 1, "ceil_mode": True}}),
            (f"{k}-ceil-keep-9-k3-s3-p1", [2, 9, 9], {k: {"kernel": 3, "stride": 3, "padding": 1, "ceil_mode": True}}),
            (f"{k}1d-ceil-drop", [4, 3], {k: {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True}}),
            (f"{k}3d-k3-s2-p1-ceil", [4, 9, 16, 15], {k: {"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True}}),
            (f"{k}3d-axis", [4, 8, 16, 15], {k: {"kernel": [1, 2, 2], "stride": [1, 2, 2]}}),
        ]
    k = "maxpool"
    c += [
        (f"{k}-k3-s2", [8, 112, 112], {k: {"kernel": 3, "stride": 2}}),
        (f"{k}-k3-s2-ceil", [8, 112, 112], {k: {"kernel": 3, "stride": 2, "ceil_mode": True}}),
        (f"{k}-k3-s2-p1", [64, 112, 112], {k: {"kernel": 3, "stride": 2, "padding": 1}}),
        (f"{k}-k3-s2-55", [8, 55, 55], {k: {"kernel": 3, "stride": 2}}),
        (f"{k}-k2-rect-ceil", [8, 33, 32], {k: {"kernel": 2, "ceil_mode": True}}),
        (f"{k}-axis", [8, 17, 20], {k: {"kernel": [2, 3], "stride": [2, 1], "padding": [1, 1]}}),
        (f"{k}-ceil-drop-3-k2-s2-p1", [2, 3, 3], {k: {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True}}),
        (f"{k}-ceil-keep-6-k3-s2-p1", [2, 6, 6], {k: {"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True}}),
        (f"{k}-ceil-mixed-drop", [2, 5, 6], {k: {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True}}),
        (f"{k}-ceil-drop-11-k4-s4-p2", [2, 11, 11], {k: {"kernel": 4, "stride": 4, "padding": 2, "ceil_mode": True}}),
        (f"{k}1d-k3-s2", [4, 101], {k: {"kernel": 3, "stride": 2}}),
        (f"{k}1d-k3-s2-ceil", [4, 100], {k: {"kernel": 3, "stride": 2, "ceil_mode": True}}),
    ]
    # dilation (max only)
    c += [("maxpool-d2-k3", [8, 16, 16], {"maxpool": {"kernel": 3, "stride": 1, "dilation": 2}}),
          ("maxpool-d2-k3-s2-p1-ceil", [8, 16, 17], {"maxpool": {"kernel": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}}),
          ("maxpool-d2-k2-s2-p1-ceil", [8, 6, 6], {"maxpool": {"kernel": 2, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True}}),
          ("maxpool-d2-k2-s3-p1-ceil-drop", [8, 5, 5], {"maxpool": {"kernel": 2, "stride": 3, "padding": 1, "dilation": 2, "ceil_mode": True}}),
          ("maxpool-d-axis", [8, 16, 16], {"maxpool": {"kernel": 2, "dilation": [1, 3]}}),
          ("maxpool1d-d3", [4, 30], {"maxpool": {"kernel": 2, "stride": 2, "dilation": 3}}),
          ]
    # count_include_pad (affects values, not the shape)
    c += [("avgpool-k3-s2-p1-excl", [8, 15, 15], {"avgpool": {"kernel": 3, "stride": 2, "padding": 1, "count_include_pad": False}}),
          ("avgpool-k3-s2-p1-excl-ceil", [8, 14, 14], {"avgpool": {"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False}}),
          ("avgpool-k2-p1-incl", [8, 15, 15], {"avgpool": {"kernel": 2, "padding": 1, "count_include_pad": True}}),
          ]
    # global and adaptive
    c += [("gap-7", [512, 7, 7], "global_avgpool"),
          ("gmp-7", [512, 7, 7], "global_maxpool"),
          ("gap-rect", [16, 5, 9], "global_avgpool"),
          ("gap-nokeep", [64, 7, 7], {"global_avgpool": {"keepdims": False}}),
          ("gap1d", [16, 33], "global_avgpool"),
          ("gmp1d", [16, 33], "global_maxpool"),
          ("gap3d", [16, 3, 5, 7], "global_avgpool"),
          ("gmp3d-nokeep", [16, 3, 5, 7], {"global_maxpool": {"keepdims": False}}),
          ]
    for k in ("adaptive_avgpool", "adaptive_maxpool"):
        c += [(f"{k}-7-from-14", [8, 14, 14], {k: {"output_size": 7}}),
              (f"{k}-7-from-13", [8, 13, 13], {k: {"output_size": 7}}),
              (f"{k}-7-from-5", [8, 5, 5], {k: {"output_size": 7}}),
              (f"{k}-axis", [8, 17, 10], {k: {"output_size": [3, 6]}}),
              (f"{k}-1", [8, 9, 9], {k: {"output_size": 1}}),
              (f"{k}1d-5", [8, 23], {k: {"output_size": 5}}),
              (f"{k}3d-axis", [4, 7, 9, 11], {k: {"output_size": [2, 3, 4]}}),
              ]
    return c


def dense_and_flatten_cases():
    return [
        ("flatten-2d", [16, 5, 5], "flatten"),
        ("flatten-1d", [8, 13], "flatten"),
        ("flatten-3d", [4, 3, 5, 7], "flatten"),
        ("flatten-gap-out", [512, 1, 1], "flatten"),
        ("dense-vec", [400], {"dense": {"units": 120}}),
        ("dense-vec-nobias", [4096], {"dense": {"units": 1000, "bias": False}}),
        ("dense-vec-1", [84], {"dense": {"units": 1}}),
        ("dense-last-axis-2d", [3, 4, 5], {"dense": {"units": 7}}),
        ("dense-last-axis-2d-nobias", [3, 4, 5], {"dense": {"units": 7, "bias": False}}),
        ("dense-last-axis-1d", [8, 16], {"dense": {"units": 10}}),
        ("dense-last-axis-3d", [2, 3, 4, 6], {"dense": {"units": 5}}),
        ("dense-alias-linear", [120], {"linear": {"units": 84}}),
        ("dense-alias-fc", [512], {"fc": {"units": 10}}),
        ("dense-alias-out-features", [64], {"dense": {"out_features": 32}}),
    ]


def norm_cases():
    c = []
    for tag, shape in (("2d", [16, 8, 8]), ("1d", [16, 20]), ("3d", [16, 3, 4, 5])):
        if tag == "2d":
            c += [(f"bn{tag}-noaffine", shape, {"batchnorm": {"affine": False}}),
                  (f"bn{tag}-noaffine-notrack", shape, {"batchnorm": {"affine": False, "track_running_stats": False}})]
        c += [(f"bn{tag}", shape, "batchnorm"),
              (f"bn{tag}-notrack", shape, {"batchnorm": {"track_running_stats": False}}),
              (f"ln{tag}-all", shape, {"layernorm": {}}),
              (f"ln{tag}-channels", shape, {"layernorm": {"over": "channels"}}),
              (f"gn{tag}-4", shape, {"groupnorm": {"groups": 4}}),
              ]
    c += [("bn-alias-bn", [8, 4, 4], "bn"),
          ("bn-64-112", [64, 112, 112], "batchnorm"),
          ("ln-all-noaffine", [16, 8, 8], {"layernorm": {"affine": False}}),
          ("ln-all-explicit", [16, 8, 8], {"layernorm": {"over": "all"}}),
          ("ln-channels-noaffine", [16, 8, 8], {"layernorm": {"over": "channels", "affine": False}}),
          ("ln-alias", [16, 8, 8], {"layer_norm": {"over": "channels"}}),
          ("gn-1", [16, 8, 8], {"groupnorm": {"groups": 1}}),
          ("gn-per-channel", [16, 8, 8], {"groupnorm": {"groups": 16}}),
          ("gn-noaffine", [32, 8, 8], {"groupnorm": {"groups": 8, "affine": False}}),
          ("gn-alias", [32, 8, 8], {"group_norm": {"groups": 32}}),
          ]
    return c


def table_activations():
    """The elementwise activations of tests/activation_table.py: entry -> torch module."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from activation_table import ACTIVATIONS as TABLE
    from activation_table import kind as kind_of

    return {kind_of(entry): (yaml.safe_load(entry), expression)
            for entry, expression, _ in TABLE}


def activation_cases():
    c = []
    listed = {"relu", "relu6", "sigmoid", "tanh", "gelu", "silu", "hardswish", "hardsigmoid",
              "leaky_relu"}
    for kind, (entry, _) in table_activations().items():  # a new row: one case of its own
        if kind not in listed:
            c.append((f"{kind}-2d", [8, 7, 9], entry))
    shapes = {"2d": [8, 7, 9], "1d": [8, 15], "3d": [4, 3, 5, 6]}
    for kind in ("relu", "relu6", "sigmoid", "tanh", "gelu", "silu", "hardswish", "hardsigmoid",
                 "leaky_relu", "softmax", "dropout", "identity"):
        # shape-preserving: every kind in 2-D, a few also in 1-D and 3-D
        for tag, shape in shapes.items():
            if tag == "2d" or kind in ("relu", "softmax", "identity"):
                c.append((f"{kind}-{tag}", shape, kind))
    c += [("leaky-relu-slope", [8, 7, 9], {"leaky_relu": {"negative_slope": 0.2}}),
          ("softmax-axis0", [10, 3, 3], {"softmax": {"axis": 0}}),
          ("softmax-axis1", [10, 3, 3], {"softmax": {"axis": 1}}),
          ("softmax-vec", [10], "softmax"),
          ("relu-vec", [10], "relu"),
          ("dropout-p", [8, 7, 9], {"dropout": {"p": 0.2}}),
          ("dropout-vec", [4096], {"dropout": {"p": 0.5}}),
          ("swish-alias", [8, 7, 9], "swish"),
          ]
    return c


def upsample_cases():
    return [
        ("up-nearest-2", [8, 15, 15], {"upsample": {"scale": 2}}),
        ("up-nearest-2-explicit", [8, 15, 16], {"upsample": {"scale": 2, "mode": "nearest"}}),
        ("up-nearest-3", [8, 5, 7], {"upsample": {"scale": 3}}),
        ("up-nearest-1.5", [8, 15, 15], {"upsample": {"scale": 1.5}}),
        ("up-nearest-0.5", [8, 15, 15], {"upsample": {"scale": 0.5}}),
        ("up-nearest-1.3", [8, 33, 33], {"upsample": {"scale": 1.3}}),
        ("up-nearest-axis", [8, 7, 9], {"upsample": {"scale": [2, 3]}}),
        ("up-nearest-axis-frac", [8, 7, 9], {"upsample": {"scale": [1.5, 0.75]}}),
        ("up-size-list", [8, 7, 9], {"upsample": {"size": [20, 30]}}),
        ("up-size-int", [8, 7, 9], {"upsample": {"size": 17}}),
        ("up-size-down", [8, 17, 19], {"upsample": {"size": [5, 6], "mode": "bilinear"}}),
        ("up-bilinear-2", [8, 15, 16], {"upsample": {"scale": 2, "mode": "bilinear"}}),
        ("up-bilinear-1.5", [8, 15, 16], {"upsample": {"scale": 1.5, "mode": "bilinear"}}),
        ("up-bilinear-size", [8, 15, 16], {"upsample": {"size": [31, 33], "mode": "bilinear"}}),
        # float trap: 100 * 0.29 = 28.999999999999996 in double, so torch gives 28
        ("up-float-trap-0.29", [2, 100], {"upsample": {"scale": 0.29}}),
        ("up1d-nearest-2", [4, 11], {"upsample": {"scale": 2}}),
        ("up1d-linear-2", [4, 11], {"upsample": {"scale": 2, "mode": "linear"}}),
        ("up1d-linear-2.5", [4, 11], {"upsample": {"scale": 2.5, "mode": "linear"}}),
        ("up1d-size", [4, 11], {"upsample": {"size": 40, "mode": "linear", "align_corners": True}}),
        ("up3d-nearest-2", [4, 3, 5, 6], {"upsample": {"scale": 2}}),
        ("up3d-nearest-axis", [4, 3, 5, 6], {"upsample": {"scale": [1, 2, 2]}}),
        ("up3d-trilinear-2", [4, 3, 5, 6], {"upsample": {"scale": 2, "mode": "trilinear"}}),
        ("up3d-trilinear-size", [4, 3, 5, 6], {"upsample": {"size": [4, 9, 13], "mode": "trilinear"}}),
    ]


def pad_cases():
    return [
        ("zeropad-pairs", [3, 8, 8], {"zeropad": {"padding": [[1, 2], [0, 3]]}}),
        ("zeropad-int", [3, 8, 9], {"zeropad": {"padding": 2}}),
        ("zeropad-axis", [3, 8, 9], {"zeropad": {"padding": [1, 2]}}),
        ("zeropad-zero", [3, 7, 10], {"zeropad": {"padding": 0}}),
        ("zeropad1d-int", [4, 20], {"zeropad": {"padding": 3}}),
        ("zeropad1d-pairs", [4, 20], {"zeropad": {"padding": [[1, 4]]}}),
        ("zeropad3d-int", [2, 3, 4, 5], {"zeropad": {"padding": 1}}),
        ("zeropad3d-pairs", [2, 3, 4, 5], {"zeropad": {"padding": [[0, 1], [2, 3], [4, 0]]}}),
        ("zeropad-alias-pad", [3, 8, 8], {"pad": {"padding": [[3, 0], [0, 3]]}}),
        ("zeropad-alias-zero-padding", [3, 8, 8], {"zero_padding": {"padding": 1}}),
    ]


class Moved(nn.Module):
    """A tensor method as a module: reshape and permute, the batch kept first."""

    def __init__(self, how, *arguments):
        super().__init__()
        self.how, self.arguments = how, arguments

    def forward(self, x):
        return getattr(x, self.how)(0 if self.how == "permute" else x.shape[0],
                                    *self.arguments)


def moving_module(kind, args):
    """The torch module of a layer that moves values (issue 9), or None."""
    if kind == "pixel_shuffle":
        return nn.PixelShuffle(args["factor"])
    if kind == "pixel_unshuffle":
        return nn.PixelUnshuffle(args["factor"])
    if kind == "reshape":
        return Moved("reshape", *args["shape"])
    if kind == "permute":
        return Moved("permute", *(d + 1 for d in args["dims"]))
    return None


def moving_cases():
    return [
        ("pixel-shuffle-2", [16, 5, 7], {"pixel_shuffle": {"factor": 2}}),
        ("pixel-shuffle-3", [27, 4, 4], {"pixel_shuffle": {"factor": 3}}),
        ("pixel-shuffle-espcn", [48, 17, 17], {"pixel_shuffle": {"factor": 4}}),
        ("pixel-unshuffle-2", [3, 8, 6], {"pixel_unshuffle": {"factor": 2}}),
        ("pixel-unshuffle-4", [2, 16, 12], {"pixel_unshuffle": {"factor": 4}}),
        ("flatten-start-2", [8, 5, 7], {"flatten": {"start_dim": 2}}),
        ("flatten-1-2", [4, 3, 5, 7], {"flatten": {"start_dim": 1, "end_dim": 2}}),
        ("flatten-2-3", [4, 3, 5, 7], {"flatten": {"start_dim": 2, "end_dim": 3}}),
        ("flatten-end-minus-2", [4, 3, 5, 7], {"flatten": {"end_dim": -2}}),
        ("flatten-same-axis", [4, 6, 6], {"flatten": {"start_dim": 3}}),
        ("reshape-unflatten", [512], {"reshape": {"shape": [32, 4, 4]}}),
        ("reshape-minus-one", [8, 6, 6], {"reshape": {"shape": [-1, 36]}}),
        ("reshape-split-channels", [8, 6, 6], {"reshape": {"shape": [2, 4, 6, 6]}}),
        ("permute-channels-last", [3, 5, 7], {"permute": {"dims": [1, 2, 0]}}),
        ("permute-swap-hw", [3, 5, 7], {"permute": {"dims": [0, 2, 1]}}),
        ("permute-1d", [4, 9], {"permute": {"dims": [1, 0]}}),
        ("up-nearest-exact-1.7", [4, 9, 11], {"upsample": {"scale": 1.7, "mode": "nearest-exact"}}),
        ("up-nearest-exact-size", [4, 9], {"upsample": {"size": 14, "mode": "nearest-exact"}}),
        ("up-area-down", [4, 17, 19], {"upsample": {"size": [5, 6], "mode": "area"}}),
        ("up-area-scale", [4, 10, 9], {"upsample": {"scale": 0.4, "mode": "area"}}),
        ("up-area-3d", [2, 5, 6, 7], {"upsample": {"scale": [1, 0.5, 1.5], "mode": "area"}}),
        ("up-recompute", [4, 7, 9], {"upsample": {"scale": 1.1, "recompute_scale_factor": True}}),
        ("up-bicubic-2", [4, 7, 9], {"upsample": {"scale": 2, "mode": "bicubic"}}),
        ("up-bicubic-align", [4, 7, 9], {"upsample": {"size": [10, 20], "mode": "bicubic",
                                                      "align_corners": True}}),
        ("up-bicubic-0.29", [4, 100, 50], {"upsample": {"scale": 0.29, "mode": "bicubic"}}),
    ]


MAC_KINDS = {"conv", "conv_transpose", "dense"}
MAC_KINDS |= {"depthwise_conv", "separable_conv"}  # issue 9's convolutions


def run_layer_case(case_id, in_shape, entry):
    module = to_torch(entry, in_shape).eval()
    x = torch.zeros(1, *in_shape)
    with torch.no_grad():
        y = module(x)
        macs, _ = count_macs(module, x)
    kind = entry if isinstance(entry, str) else next(iter(entry))
    kind = ALIASES.get(kind, kind)
    if kind not in MAC_KINDS:
        assert macs == 0, (case_id, macs)  # FlopCounterMode ignores these layers
    return {
        "id": case_id,
        "input": list(in_shape),
        "framework": "pytorch",
        "layer": entry,
        "output_shape": shape_of(y),
        "params": count_params(module),
        "buffers": count_bn_buffers(module),
        "macs": macs if kind in MAC_KINDS else None,
    }


class PoolUnpool(nn.Module):
    """A max pool with its indices, then the max unpool that reads them."""

    def __init__(self, nd, kernel, stride, padding, output_size=None):
        super().__init__()
        self.pool = getattr(nn, f"MaxPool{nd}d")(kernel, stride, padding, return_indices=True)
        self.unpool = getattr(nn, f"MaxUnpool{nd}d")(kernel, stride, padding)
        self.output_size = output_size

    def forward(self, x):
        y, indices = self.pool(x)
        return self.unpool(y, indices, output_size=self.output_size or x.shape[2:])


def unpool_cases():
    """(id, input, pool entry, unpool entry): the unpool's figures, after its pool."""
    return [
        ("maxunpool-2", [8, 16, 12], {"maxpool": {"kernel": 2}},
         {"maxunpool": {"indices": "maxpool1"}}),
        ("maxunpool-odd", [4, 15, 11], {"maxpool": {"kernel": 2}},
         {"maxunpool": {"indices": "maxpool1"}}),
        ("maxunpool-k3s2p1", [4, 14, 9], {"maxpool": {"kernel": 3, "stride": 2, "padding": 1}},
         {"maxunpool": {"indices": "maxpool1"}}),
        ("maxunpool-1d", [3, 21], {"maxpool": {"kernel": 3}},
         {"maxunpool": {"indices": "maxpool1", "output_size": 21}}),
        ("maxunpool-3d", [2, 4, 6, 7], {"maxpool": {"kernel": 2}},
         {"maxunpool": {"indices": "maxpool1"}}),
    ]


def run_unpool_case(case_id, in_shape, pool, unpool):
    args = pool["maxpool"]
    module = PoolUnpool(len(in_shape) - 1, args["kernel"], args.get("stride", args["kernel"]),
                        args.get("padding", 0)).eval()
    with torch.no_grad():
        y = module(torch.randn(1, *in_shape))
    return {"id": case_id, "input": list(in_shape), "framework": "pytorch", "before": [pool],
            "layer": unpool, "output_shape": shape_of(y), "params": count_params(module),
            "buffers": 0, "macs": None}


def make_layers():
    cases = (conv_cases() + conv_transpose_cases() + pool_cases() + dense_and_flatten_cases()
             + norm_cases() + activation_cases() + upsample_cases() + pad_cases()
             + norm_activation_cases() + moving_cases() + conv_pad_pool_cases())
    ids = [c[0] for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    return [run_layer_case(*c) for c in cases] + [run_unpool_case(*c) for c in unpool_cases()]


# --------------------------------------------------------------------------
# 2. Whole models
# --------------------------------------------------------------------------

def double_conv(c_in, c_out):
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class Up(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.up = nn.ConvTranspose2d(c, c // 2, kernel_size=2, stride=2)
        self.conv = double_conv(c, c // 2)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.up(x)], dim=1))  # skip first


class UNet(nn.Module):
    def __init__(self, in_ch=3, n_classes=2):
        super().__init__()
        self.inc = double_conv(in_ch, 64)
        chans = [64, 128, 256, 512, 1024]
        for i in range(4):
            setattr(self, f"down{i + 1}", nn.Sequential(nn.MaxPool2d(2), double_conv(chans[i], chans[i + 1])))
        for i, c in enumerate([1024, 512, 256, 128]):
            setattr(self, f"up{i + 1}", Up(c))
        self.outc = nn.Conv2d(64, n_classes, kernel_size=1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x4 = self.down3(x3)
        x5 = self.down4(x4)
        x = self.up1(x5, x4)
        x = self.up2(x, x3)
        x = self.up3(x, x2)
        x = self.up4(x, x1)
        return self.outc(x)


def lenet5():
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 6, 5)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(6, 16, 5)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(400, 120)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(120, 84)), ("relu4", nn.ReLU()),
        ("fc3", nn.Linear(84, 10)),
    ]))


def model_zoo():
    """name -> (constructor, input shape, feature layer for the receptive field, rf input side)."""
    tv = torchvision.models
    return OrderedDict([
        ("alexnet", (lambda: tv.alexnet(weights=None), [3, 224, 224], "features", 512)),
        ("vgg16", (lambda: tv.vgg16(weights=None), [3, 224, 224], "features", 512)),
        ("resnet18", (lambda: tv.resnet18(weights=None), [3, 224, 224], "layer4", 768)),
        ("resnet34", (lambda: tv.resnet34(weights=None), [3, 224, 224], "layer4", 1024)),
        ("resnet50", (lambda: tv.resnet50(weights=None), [3, 224, 224], "layer4", 768)),
        ("mobilenet_v2", (lambda: tv.mobilenet_v2(weights=None), [3, 224, 224], "features", 768)),
        ("googlenet", (lambda: tv.googlenet(weights=None, aux_logits=False, init_weights=False,
                                            transform_input=False), [3, 224, 224], "inception5b", 1024)),
        ("unet", (UNet, [3, 256, 256], "outc", 384)),
        ("lenet5", (lenet5, [1, 32, 32], "pool2", 64)),
    ])


def leaf_trace(model, *x):
    """Every leaf-module call in forward order (a module called twice, like
    torchvision's shared ReLU in BasicBlock/Bottleneck, appears twice); x: the
    model's inputs."""
    records, handles = [], []
    for name, m in model.named_modules():
        if len(list(m.children())) == 0:
            def hook(mod, inp, out, name=name):
                records.append({"name": name, "type": type(mod).__name__,
                                "output_shape": shape_of(out), "params": count_params(mod)})
            handles.append(m.register_forward_hook(hook))
    with torch.no_grad():
        y = model(*x)
    for h in handles:
        h.remove()
    return records, y


def describe_model(name, ctor, in_shape):
    torch.manual_seed(0)  # only to make construction repeatable; no value reaches the JSON
    model = ctor().eval()
    x = torch.zeros(1, *in_shape)
    layers, y = leaf_trace(model, x)
    with torch.no_grad():
        macs, per_module = count_macs(model, x)
    # Per-leaf MACs from FlopCounterMode's module breakdown (keys: "<Class>.<qualname>").
    # Conv/linear leaves are each called once in these models, so the figures are per call.
    prefix = type(model).__name__ + "."
    for rec in layers:
        is_mac = rec["type"] in ("Conv2d", "ConvTranspose2d", "Linear")
        rec["macs"] = per_module.get(prefix + rec["name"], 0) if is_mac else None
    return {"input": list(in_shape), "params": count_params(model),
            "buffers": count_bn_buffers(model), "output_shape": shape_of(y),
            "macs": macs, "layers": layers}


# --------------------------------------------------------------------------
# 3. Empirical receptive fields
# --------------------------------------------------------------------------

class _Stop(Exception):
    pass


def linearize(model):
    """A copy whose input gradient is positive exactly on the receptive field:
    positive constant weights, zero biases, identity BatchNorm, no ReLU/Dropout
    (and ReLU6 never clips), max pooling replaced by average pooling with the
    same geometry (so every input of a window gets gradient)."""
    model = copy.deepcopy(model)

    def swap(parent):
        for child_name, child in parent.named_children():
            new = None
            if isinstance(child, (nn.ReLU, nn.ReLU6, nn.Dropout)):
                new = nn.Identity()
            elif isinstance(child, nn.MaxPool2d):
                assert child.dilation in (1, (1, 1)), "dilated max pool has no avg equivalent"
                new = nn.AvgPool2d(child.kernel_size, child.stride, child.padding,
                                   ceil_mode=child.ceil_mode, count_include_pad=True)
            if new is not None:
                setattr(parent, child_name, new)
            else:
                swap(child)
    swap(model)

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                # 1/fan keeps magnitudes near 1 in deep nets; any positive value works
                m.weight.fill_(1.0 / m.weight[0].numel())
                if m.bias is not None:
                    m.bias.zero_()
            elif isinstance(m, nn.BatchNorm2d):
                m.running_mean.zero_()
                m.running_var.fill_(1.0)
                m.weight.fill_(1.0)
                m.bias.zero_()
    # only the input gradient is wanted
    return model.double().eval().requires_grad_(False)


def extent(grad):
    """First and last input row and column with nonzero gradient."""
    nz = grad[0].abs().sum(0) > 0                      # [H, W]
    rows = torch.nonzero(nz.any(1)).flatten()
    cols = torch.nonzero(nz.any(0)).flatten()
    return (int(rows[0]), int(rows[-1])), (int(cols[0]), int(cols[-1]))


def num(v):
    return int(v) if float(v).is_integer() else float(v)


def measure_rf(model, layer_name, in_ch, side, steps=2):
    """Back-propagate from output positions (i+k, j+k), k < steps, around the
    centre of the feature layer's output and read the input extent."""
    model = linearize(model)
    captured = {}

    def hook(mod, inp, out):
        captured["out"] = out
        raise _Stop  # nothing after the feature layer is needed

    model.get_submodule(layer_name).register_forward_hook(hook)
    # Positive input: torchvision's GoogLeNet applies F.relu functionally, and
    # with positive inputs and weights every activation is > 0, so it passes gradient.
    x = torch.ones(1, in_ch, side, side, dtype=torch.float64, requires_grad=True)
    try:
        model(x)
    except _Stop:
        pass
    out = captured["out"]
    oh, ow = out.shape[2:]
    i0, j0 = oh // 2 - steps // 2, ow // 2 - steps // 2
    fields = []
    for k in range(steps):
        (g,) = torch.autograd.grad(out[0, :, i0 + k, j0 + k].sum(), x, retain_graph=k < steps - 1)
        (r0, r1), (c0, c1) = extent(g)
        # the field must not touch the image border, or it was clipped
        assert r0 >= 1 and c0 >= 1 and r1 <= side - 2 and c1 <= side - 2, (layer_name, r0, r1, c0, c1)
        fields.append(((r0, r1), (c0, c1)))
        holes = int((g[0].abs().sum(0)[r0:r1 + 1, c0:c1 + 1] == 0).sum())
        if holes:
            print(f"  note: {layer_name} field at step {k} has {holes} zero pixels inside its extent")

    (r0, r1), (c0, c1) = fields[0]
    (s0, _), (d0, _) = fields[1]
    size = [r1 - r0 + 1, c1 - c0 + 1]
    jump = [s0 - r0, d0 - c0]
    start = [num((r0 + r1) / 2 - i0 * jump[0]), num((c0 + c1) / 2 - j0 * jump[1])]
    rf = {"layer": layer_name, "size": size, "jump": jump, "start": start}
    sizes = sorted({(f[0][1] - f[0][0] + 1, f[1][1] - f[1][0] + 1) for f in fields})
    shifts = sorted({(b[0][0] - a[0][0], b[0][1] - a[0][1]) for a, b in itertools.pairwise(fields)})
    if len(sizes) > 1 or len(shifts) > 1:
        # Not translation-uniform (e.g. transposed convs): size/jump/start above are
        # for the central position only; record what each position sees.
        rf["per_position"] = [{"index": [i0 + k, j0 + k], "rows": list(f[0]), "cols": list(f[1])}
                              for k, f in enumerate(fields)]
        rf["size_range"] = [min(min(sz) for sz in sizes), max(max(sz) for sz in sizes)]
        rf["mean_jump"] = [num((fields[-1][0][0] - r0) / (steps - 1)),
                           num((fields[-1][1][0] - c0) / (steps - 1))]
    return rf


def make_models():
    result = {}
    for name, (ctor, in_shape, feature_layer, rf_side) in model_zoo().items():
        print("model", name, flush=True)
        entry = describe_model(name, ctor, in_shape)
        torch.manual_seed(0)
        # UNet's transposed convs make its field depend on the output position,
        # so it is sampled over two periods of its 16-pixel structure.
        steps = 33 if name == "unet" else 2
        entry["rf"] = measure_rf(ctor(), feature_layer, in_shape[0], rf_side, steps)
        result[name] = entry
    return result


def write(name, data):
    path = os.path.join(HERE, name)
    with open(path, "w") as f:
        json.dump(data, f, sort_keys=True, indent=1)
        f.write("\n")
    print("wrote", path)


def main():
    torch.set_grad_enabled(True)
    write("layers.json", make_layers())
    write("models.json", make_models())


if __name__ == "__main__":
    main()
