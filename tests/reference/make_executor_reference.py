"""Record PyTorch's outputs and gradients for the NumPy executor's tests.

Run from the repository root with a Python that has torch (CPU is enough):

    python tests/reference/make_executor_reference.py

Generated with torch 2.14.1 and NumPy 2.4.6, in float64. It rewrites, next to itself,
``executor_reference.npz``. For each case (one layer kind and configuration, or one merge)
it stores a fixed random input (or inputs, for merges), the module's parameters and buffers,
the output, a random output gradient ``g``, and the gradients of sum(g * output) with
respect to the input(s) and every parameter; for batch norm in training also the updated
running statistics. ``__cases__`` is JSON: per case, the cnncalc spec text that builds the
same layer (the tested layer is the spec's last node), the mode, and the names stored; the
elementwise activations' cases (``act_<kind>``, one per row of tests/activation_table.py)
also store the row's PyTorch expression, so that a stale recording is seen.
The tests (tests/test_executor_reference.py) never import torch.

It also records ``upsample/*``, F.interpolate (as nn.Upsample calls it) on a grid (tests/test_upsample.py): input sizes
1..9 and scales 0.5..3.3 (1.1 on 7 among them) or sizes, nearest and linear with
align_corners false and true, recompute_scale_factor unset and (1-D) true, 1-D, 2-D and a
few 3-D, each in float32 and float64. Per
case the input x[k] = sin(0.7 k + 0.3) + k / 16, the output, and the input gradient of
sum(g * output) for g[k] = cos(0.4 k). ``__upsample__`` is JSON: per case the spec entry,
input shape, dtype and where its values start in the concatenated arrays.

``__examples__`` is JSON: for the PyTorch model behind each example (make_reference.py's
model_zoo), at the input size tests/test_executor.py runs it at, every leaf module's type
and output shape in forward order, so that the executed shapes are checked against PyTorch
and not against the calculator that the executor already agrees with.

``__refusals__`` is JSON: PyTorch's output for max-pool windows of padding only that it
accepts, and its error (or none) for batch norm on one value per channel, the cases that
`cnncalc run` refuses.
"""
from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for the table
from activation_table import ACTIVATIONS, kind
from make_reference import FixedFractionalMaxPool, SeparableConv

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).with_name("executor_reference.npz")
BATCH = 2


class Case:
    def __init__(self, name: str, input_shape: list[int], layers: str,
                 module: Callable[[], nn.Module] | Callable, merge_inputs: list[list[int]] = (),
                 train: bool = True, scale: float = 1.0, torch_module: str | None = None,
                 pool: dict | None = None):
        self.name, self.input_shape, self.layers = name, input_shape, layers
        self.pool = pool  # maxunpool: the max pool (F.max_poolNd arguments) whose indices
        #                   it reads, run on a recorded `pool_input` of `input_shape`
        self.module, self.merge_inputs = module, merge_inputs
        self.train, self.scale = train, scale
        self.torch_module = torch_module  # an activation table row's module expression

    def spec(self) -> str:
        return (f"name: {self.name}\ninput: {self.input_shape}\nframework: pytorch\n"
                f"layers:\n{self.layers}\n")


class ChannelsLayerNorm(nn.Module):
    """ConvNeXt's LayerNorm2d: LayerNorm over C at each position."""

    def __init__(self, channels: int):
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.weight, self.bias = self.norm.weight, self.norm.bias

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.movedim(1, -1)).movedim(-1, 1)


class Lambda(nn.Module):
    def __init__(self, fn: Callable):
        super().__init__()
        self.fn = fn

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return self.fn(*xs)


class ConvTransposeToSize(nn.ConvTranspose2d):
    """A transposed conv called with forward(x, output_size=...), its weights its own."""

    def __init__(self, *args, output_size: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.size = output_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x, output_size=self.size)


def one(entry: str) -> str:
    return f"  - {entry}"


CONV_PAD_POOL_CASES = [
    Case("conv_reflect", [3, 7, 8],
         one("conv: {filters: 4, kernel: 3, padding: 2, padding_mode: reflect}"),
         lambda: nn.Conv2d(3, 4, 3, padding=2, padding_mode="reflect")),
    Case("conv_replicate_stride", [2, 9, 8],
         one("conv: {filters: 3, kernel: 3, stride: 2, padding: 1, "
             "padding_mode: replicate}"),
         lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1, padding_mode="replicate")),
    Case("conv_circular_groups", [4, 6, 7],
         one("conv: {filters: 6, kernel: 3, padding: [1, 2], groups: 2, "
             "padding_mode: circular}"),
         lambda: nn.Conv2d(4, 6, 3, padding=(1, 2), groups=2, padding_mode="circular")),
    Case("conv1d_reflect_dilation", [2, 9],
         one("conv1d: {filters: 3, kernel: 3, dilation: 2, padding: 4, "
             "padding_mode: reflect}"),
         lambda: nn.Conv1d(2, 3, 3, dilation=2, padding=4, padding_mode="reflect")),
    Case("conv_reflect_same_even_kernel", [2, 6, 7],
         one("conv: {filters: 3, kernel: 4, padding: same, padding_mode: reflect}"),
         lambda: nn.Conv2d(2, 3, 4, padding="same", padding_mode="reflect")),
    Case("conv3d_replicate", [2, 4, 5, 3],
         one("conv3d: {filters: 2, kernel: 3, stride: [2, 1, 1], padding: [1, 2, 1], "
             "padding_mode: replicate}"),
         lambda: nn.Conv3d(2, 2, 3, stride=(2, 1, 1), padding=(1, 2, 1),
                           padding_mode="replicate")),
    Case("reflection_pad", [2, 5, 6], one("reflection_pad: {padding: [[1, 4], [3, 0]]}"),
         lambda: nn.ReflectionPad2d((3, 0, 1, 4))),
    Case("replication_pad3d", [2, 3, 4, 5],
         one("replication_pad: {padding: [[2, 0], [1, 3], [5, 1]]}"),
         lambda: nn.ReplicationPad3d((5, 1, 1, 3, 2, 0))),
    Case("circular_pad1d", [2, 6], one("circular_pad: {padding: [[6, 2]]}"),
         lambda: nn.CircularPad1d((6, 2))),
    Case("cropping", [2, 7, 8], one("cropping: {cropping: [[1, 2], [0, 3]]}"),
         lambda: Lambda(lambda x: x[:, :, 1:-2, :-3])),
    Case("depthwise_conv_x2", [3, 7, 6],
         one("depthwise_conv: {kernel: 3, stride: 2, padding: 1, depth_multiplier: 2}"),
         lambda: nn.Conv2d(3, 6, 3, stride=2, padding=1, groups=3)),
    Case("separable_conv", [3, 7, 6],
         one("separable_conv: {filters: 5, kernel: 3, padding: 1, depth_multiplier: 2}"),
         lambda: SeparableConv(F.conv2d, 3, 5, 2, (3, 3), padding=1)),
    Case("separable_conv1d_nobias", [2, 9],
         one("separable_conv: {filters: 3, kernel: 3, stride: 2, bias: false}"),
         lambda: SeparableConv(F.conv1d, 2, 3, 1, (3,), bias=False, stride=2)),
    Case("conv_transpose_output_size", [3, 5, 4],
         one("conv_transpose: {filters: 2, kernel: 3, stride: 2, padding: 1, "
             "output_size: [10, 8]}"),
         lambda: ConvTransposeToSize(3, 2, 3, stride=2, padding=1, output_size=[10, 8])),
    Case("avgpool_divisor_override", [2, 7, 7],
         one("avgpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true, "
             "divisor_override: 4}"),
         lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, divisor_override=4)),
    Case("avgpool1d_exclude_pad_ceil", [2, 9],
         one("avgpool1d: {kernel: 3, stride: 2, padding: 1, ceil_mode: true, "
             "count_include_pad: false}"),
         lambda: nn.AvgPool1d(3, 2, 1, ceil_mode=True, count_include_pad=False)),
    Case("avgpool3d_exclude_pad_ceil", [2, 5, 4, 6],
         one("avgpool3d: {kernel: 3, stride: 2, padding: 1, ceil_mode: true, "
             "count_include_pad: false}"),
         lambda: nn.AvgPool3d(3, 2, 1, ceil_mode=True, count_include_pad=False)),
    Case("avgpool3d_divisor_override", [2, 4, 5, 5],
         one("avgpool3d: {kernel: 2, stride: [1, 2, 2], padding: 1, divisor_override: 5}"),
         lambda: nn.AvgPool3d(2, (1, 2, 2), 1, divisor_override=5)),
    Case("lppool2_ceil", [2, 7, 8],
         one("lppool: {norm_type: 2, kernel: 3, stride: 2, ceil_mode: true}"),
         lambda: nn.LPPool2d(2, 3, 2, ceil_mode=True)),
    Case("lppool4_1d", [2, 9], one("lppool1d: {norm_type: 4, kernel: 2}"),
         lambda: nn.LPPool1d(4, 2)),
    Case("fractional_maxpool", [3, 9, 8],
         one("fractional_maxpool: {kernel: 2, output_size: [4, 5]}"),
         lambda: FixedFractionalMaxPool(2, 3, 2, output_size=(4, 5), batch=BATCH),
         train=False),
    Case("fractional_maxpool3d_ratio", [2, 5, 6, 7],
         one("fractional_maxpool: {kernel: [2, 3, 2], output_ratio: 0.6}"),
         lambda: FixedFractionalMaxPool(3, 2, (2, 3, 2), output_ratio=(0.6,) * 3,
                                        batch=BATCH), train=False),
    Case("adaptive_avgpool_none", [3, 7, 9], one("adaptive_avgpool: {output_size: [null, 4]}"),
         lambda: nn.AdaptiveAvgPool2d((None, 4))),
    Case("adaptive_maxpool_none", [3, 7, 9], one("adaptive_maxpool: {output_size: [3, null]}"),
         lambda: nn.AdaptiveMaxPool2d((3, None))),
]

CASES = [
    # convolutions
    Case("conv_basic", [3, 7, 8], one("conv: {filters: 4, kernel: 3, padding: 1}"),
         lambda: nn.Conv2d(3, 4, 3, padding=1)),
    Case("conv_stride_dilation_groups", [4, 11, 10],
         one("conv: {filters: 6, kernel: 3, stride: 2, padding: 2, dilation: 2, groups: 2}"),
         lambda: nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2)),
    Case("conv_depthwise_nobias", [4, 6, 6],
         one("conv: {depthwise: true, kernel: 3, padding: 1, bias: false}"),
         lambda: nn.Conv2d(4, 4, 3, padding=1, groups=4, bias=False)),
    Case("conv_rect_kernel", [3, 9, 6],
         one("conv: {filters: 5, kernel: [3, 1], stride: [2, 1], padding: [1, 0]}"),
         lambda: nn.Conv2d(3, 5, (3, 1), stride=(2, 1), padding=(1, 0))),
    Case("conv_same_even_kernel", [2, 7, 7],
         one("conv: {filters: 3, kernel: 4, padding: same}"),
         lambda: nn.Conv2d(2, 3, 4, padding="same")),
    Case("conv_floor_unread_tail", [2, 8, 8],
         one("conv: {filters: 3, kernel: 3, stride: 2}"),
         lambda: nn.Conv2d(2, 3, 3, stride=2)),
    Case("conv1d", [2, 11], one("conv1d: {filters: 3, kernel: 3, stride: 2, padding: 1}"),
         lambda: nn.Conv1d(2, 3, 3, stride=2, padding=1)),
    Case("conv3d", [2, 5, 6, 6],
         one("conv3d: {filters: 2, kernel: 3, stride: [1, 2, 2], padding: 1}"),
         lambda: nn.Conv3d(2, 2, 3, stride=(1, 2, 2), padding=1)),
    Case("conv_transpose_groups", [4, 5, 4],
         one("conv_transpose: {filters: 6, kernel: 3, stride: 2, padding: 1, "
             "output_padding: 1, groups: 2}"),
         lambda: nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)),
    Case("conv_transpose_dilation", [3, 4, 5],
         one("conv_transpose: {filters: 2, kernel: 3, stride: 2, padding: [2, 1], "
             "dilation: 2, bias: false}"),
         lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=(2, 1), dilation=2,
                                    bias=False)),
    Case("conv_transpose1d", [3, 6],
         one("conv_transpose1d: {filters: 2, kernel: 4, stride: 2, padding: 1}"),
         lambda: nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1)),
    # pooling
    Case("maxpool_floor", [3, 9, 9], one("maxpool: {kernel: 3, stride: 2, padding: 1}"),
         lambda: nn.MaxPool2d(3, 2, 1)),
    Case("maxpool_ceil_hangs_into_padding", [3, 8, 8],
         one("maxpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true}"),
         lambda: nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
    Case("maxpool_ceil_drops_last", [2, 7, 7],
         one("maxpool: {kernel: 2, stride: 2, padding: 1, ceil_mode: true}"),
         lambda: nn.MaxPool2d(2, 2, 1, ceil_mode=True)),
    Case("maxpool_dilation", [2, 9, 9], one("maxpool: {kernel: 2, stride: 2, dilation: 2}"),
         lambda: nn.MaxPool2d(2, 2, dilation=2)),
    Case("maxpool1d_ceil", [2, 10], one("maxpool1d: {kernel: 3, stride: 2, ceil_mode: true}"),
         lambda: nn.MaxPool1d(3, 2, ceil_mode=True)),
    Case("avgpool_ceil_include_pad", [3, 8, 8],
         one("avgpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true}"),
         lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True)),
    Case("avgpool_ceil_exclude_pad", [3, 8, 8],
         one("avgpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true, "
             "count_include_pad: false}"),
         lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)),
    Case("avgpool_floor", [2, 7, 9], one("avgpool: {kernel: 2}"),
         lambda: nn.AvgPool2d(2)),
    Case("avgpool3d", [2, 4, 5, 5], one("avgpool3d: {kernel: 2, stride: [1, 2, 2]}"),
         lambda: nn.AvgPool3d(2, (1, 2, 2))),
    Case("global_avgpool", [3, 5, 6], one("global_avgpool"),
         lambda: nn.AdaptiveAvgPool2d(1)),
    Case("global_maxpool_flat", [3, 5, 6], one("global_maxpool: {keepdims: false}"),
         lambda: Lambda(lambda x: x.amax(dim=(2, 3)))),
    Case("adaptive_avgpool", [3, 7, 9], one("adaptive_avgpool: {output_size: [3, 5]}"),
         lambda: nn.AdaptiveAvgPool2d((3, 5))),
    Case("adaptive_maxpool", [3, 7, 9], one("adaptive_maxpool: {output_size: [3, 5]}"),
         lambda: nn.AdaptiveMaxPool2d((3, 5))),
    # normalisation
    Case("batchnorm_train", [3, 4, 5], one("batchnorm"), lambda: nn.BatchNorm2d(3)),
    Case("batchnorm_eval", [3, 4, 5], one("batchnorm"), lambda: nn.BatchNorm2d(3),
         train=False),
    Case("batchnorm1d_flat_train", [5], one("batchnorm1d"), lambda: nn.BatchNorm1d(5)),
    Case("layernorm_all", [3, 4, 5], one("layernorm"), lambda: nn.LayerNorm([3, 4, 5])),
    Case("layernorm_channels", [4, 3, 5], one("layernorm: {over: channels}"),
         lambda: ChannelsLayerNorm(4)),
    Case("groupnorm", [6, 4, 3], one("groupnorm: {groups: 3}"), lambda: nn.GroupNorm(3, 6)),
    Case("layernorm_trailing", [3, 4, 5], one("layernorm: {normalized_shape: [4, 5]}"),
         lambda: nn.LayerNorm([4, 5])),
    Case("layernorm_last_nobias", [3, 4, 5], one("layernorm: {normalized_shape: 5, bias: false}"),
         lambda: nn.LayerNorm(5, bias=False)),
    Case("layernorm_all_nobias", [3, 4, 5], one("layernorm: {bias: false}"),
         lambda: nn.LayerNorm([3, 4, 5], bias=False)),
    Case("instancenorm_train", [3, 4, 5], one("instancenorm"), lambda: nn.InstanceNorm2d(3)),
    Case("instancenorm_untracked_eval", [3, 4, 5], one("instancenorm: {affine: true}"),
         lambda: nn.InstanceNorm2d(3, affine=True), train=False),
    Case("instancenorm_tracked_train", [3, 4, 5],
         one("instancenorm: {affine: true, track_running_stats: true, momentum: 0.3}"),
         lambda: nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.3)),
    Case("instancenorm_tracked_eval", [3, 4, 5],
         one("instancenorm: {affine: true, track_running_stats: true}"),
         lambda: nn.InstanceNorm2d(3, affine=True, track_running_stats=True), train=False),
    Case("instancenorm1d_affine", [3, 7], one("instancenorm1d: {affine: true}"),
         lambda: nn.InstanceNorm1d(3, affine=True)),
    Case("instancenorm3d_tracked_train", [2, 3, 4, 5],
         one("instancenorm3d: {track_running_stats: true}"),
         lambda: nn.InstanceNorm3d(2, track_running_stats=True)),
    # AlexNet's LRN (k 2); inputs scaled by 10 so that the sum of squares counts
    Case("lrn_alexnet", [7, 4, 5], one("lrn: {size: 5, alpha: 0.0001, beta: 0.75, k: 2}"),
         lambda: nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0), scale=10.0),
    Case("lrn_even_size", [7, 4, 5], one("lrn: {size: 4, alpha: 0.5, beta: 0.6, k: 2}"),
         lambda: nn.LocalResponseNorm(4, alpha=0.5, beta=0.6, k=2.0)),
    Case("local_response_norm_1d", [6, 5], one("local_response_norm: {size: 3, alpha: 0.5}"),
         lambda: nn.LocalResponseNorm(3, alpha=0.5)),
    Case("local_response_norm_3d_wide", [4, 2, 3, 2],
         one("local_response_norm: {size: 9, alpha: 0.5}"),
         lambda: nn.LocalResponseNorm(9, alpha=0.5)),
    # softmax, dropout (the elementwise activations follow, from tests/activation_table.py)
    Case("softmax_channels", [4, 3, 3], one("softmax"), lambda: nn.Softmax(dim=1)),
    Case("softmax_flat", [7], one("softmax"), lambda: nn.Softmax(dim=1)),
    Case("dropout_p0_train", [3, 4, 4], one("dropout: {p: 0.0}"), lambda: nn.Dropout(0.0)),
    Case("dropout_eval", [3, 4, 4], one("dropout: {p: 0.5}"), lambda: nn.Dropout(0.5),
         train=False),
    Case("log_softmax_channels", [4, 3, 3], one("log_softmax"), lambda: nn.LogSoftmax(dim=1)),
    Case("log_softmax_axis1", [4, 3, 3], one("log_softmax: {axis: 1}"),
         lambda: nn.LogSoftmax(dim=2)),
    Case("log_softmax_flat", [7], one("log_softmax"), lambda: nn.LogSoftmax(dim=1)),
    Case("prelu_shared", [3, 4, 5], one("prelu"), lambda: nn.PReLU()),
    Case("prelu_per_channel", [3, 4, 5], one("prelu: {num_parameters: 3}"),
         lambda: nn.PReLU(3)),
    Case("prelu_flat", [5], one("prelu: {num_parameters: 5, init: 0.1}"),
         lambda: nn.PReLU(5, init=0.1)),
    Case("spatial_dropout_p0_train", [3, 4, 4], one("spatial_dropout: {p: 0.0}"),
         lambda: nn.Dropout2d(0.0)),
    Case("dropout2d_eval", [3, 4, 4], one("dropout2d: {p: 0.5}"), lambda: nn.Dropout2d(0.5),
         train=False),
    Case("dropout1d_eval", [3, 6], one("dropout1d: {p: 0.5}"), lambda: nn.Dropout1d(0.5),
         train=False),
    Case("dropout3d_eval", [2, 3, 4, 4], one("dropout3d: {p: 0.5}"),
         lambda: nn.Dropout3d(0.5), train=False),
    # resampling and reshaping
    Case("upsample_nearest_x2", [2, 3, 4], one("upsample: {scale: 2}"),
         lambda: nn.Upsample(scale_factor=2)),
    Case("upsample_nearest_size", [2, 3, 4], one("upsample: {size: [5, 7]}"),
         lambda: nn.Upsample(size=(5, 7))),
    Case("upsample_bilinear_size", [2, 4, 5], one("upsample: {size: [7, 9], mode: bilinear}"),
         lambda: nn.Upsample(size=(7, 9), mode="bilinear")),
    Case("upsample_bilinear_align", [2, 4, 5],
         one("upsample: {size: [7, 9], mode: bilinear, align_corners: true}"),
         lambda: nn.Upsample(size=(7, 9), mode="bilinear", align_corners=True)),
    Case("upsample_bilinear_scale", [2, 4, 6], one("upsample: {scale: 1.5, mode: bilinear}"),
         lambda: nn.Upsample(scale_factor=1.5, mode="bilinear")),
    Case("upsample_linear1d", [2, 5], one("upsample: {scale: 2, mode: linear}"),
         lambda: nn.Upsample(scale_factor=2, mode="linear")),
    Case("upsample_trilinear", [2, 2, 3, 3], one("upsample: {size: [3, 5, 4], mode: trilinear}"),
         lambda: nn.Upsample(size=(3, 5, 4), mode="trilinear")),
    Case("dense_flat", [12], one("dense: {units: 5}"), lambda: nn.Linear(12, 5)),
    Case("dense_last_axis", [3, 4, 6], one("dense: {units: 2}"), lambda: nn.Linear(6, 2)),
    Case("zeropad", [2, 3, 4], one("zeropad: {padding: [[1, 2], [0, 1]]}"),
         lambda: nn.ZeroPad2d((0, 1, 1, 2))),
    Case("flatten", [2, 3, 4], one("flatten"), lambda: nn.Flatten()),
    Case("identity", [2, 3, 4], one("identity"), lambda: nn.Identity()),
    # upsample modes (issue 9): nearest-exact, area (= adaptive average pooling)
    Case("upsample_nearest_exact", [2, 5, 6], one("upsample: {scale: 1.7, mode: nearest-exact}"),
         lambda: nn.Upsample(scale_factor=1.7, mode="nearest-exact")),
    Case("upsample_nearest_exact_1d", [2, 7], one("upsample: {size: 10, mode: nearest-exact}"),
         lambda: nn.Upsample(size=10, mode="nearest-exact")),
    Case("upsample_area_down", [2, 9, 7], one("upsample: {size: [4, 3], mode: area}"),
         lambda: nn.Upsample(size=(4, 3), mode="area")),
    Case("upsample_area_up", [2, 3, 4], one("upsample: {scale: [1.7, 2], mode: area}"),
         lambda: nn.Upsample(scale_factor=(1.7, 2.0), mode="area")),
    Case("upsample_bicubic_scale", [2, 5, 6], one("upsample: {scale: 1.7, mode: bicubic}"),
         lambda: nn.Upsample(scale_factor=1.7, mode="bicubic")),
    Case("upsample_bicubic_align", [2, 4, 5],
         one("upsample: {size: [7, 9], mode: bicubic, align_corners: true}"),
         lambda: nn.Upsample(size=(7, 9), mode="bicubic", align_corners=True)),
    Case("upsample_bicubic_down_recompute", [2, 9, 8],
         one("upsample: {scale: [0.6, 1.3], mode: bicubic, recompute_scale_factor: true}"),
         lambda: nn.Upsample(scale_factor=(0.6, 1.3), mode="bicubic",
                             recompute_scale_factor=True)),
    # max unpooling (issue 9): the tested node reads [values, the pool's output]; the
    # pool runs on the recorded pool_input. Windows that do not overlap: PyTorch's
    # backward gathers at every index, the adjoint only where a value was kept.
    Case("maxunpool_segnet", [3, 8, 6],
         "  - maxpool: {kernel: 2}\n    name: p\n  - maxunpool: {indices: p}",
         None, pool={"kernel_size": 2, "stride": 2}),
    Case("maxunpool_odd_padded", [2, 9, 7],
         "  - maxpool: {kernel: 3, stride: 3, padding: 1}\n    name: p\n"
         "  - maxunpool: {indices: p}",
         None, pool={"kernel_size": 3, "stride": 3, "padding": 1}),
    Case("maxunpool1d", [2, 11], "  - maxpool: {kernel: 2}\n    name: p\n"
         "  - maxunpool: {indices: p, output_size: 11}",
         None, pool={"kernel_size": 2, "stride": 2}),
    # layers that move values (issue 9): pixel shuffle, reshape, permute, partial flatten
    Case("pixel_shuffle", [18, 3, 4], one("pixel_shuffle: {factor: 3}"),
         lambda: nn.PixelShuffle(3)),
    Case("pixel_unshuffle", [3, 4, 6], one("pixel_unshuffle: {factor: 2}"),
         lambda: nn.PixelUnshuffle(2)),
    Case("flatten_start_dim_2", [2, 3, 4], one("flatten: {start_dim: 2}"),
         lambda: nn.Flatten(2)),
    Case("flatten_dims_1_2", [2, 3, 4, 5], one("flatten: {start_dim: 1, end_dim: 2}"),
         lambda: nn.Flatten(1, 2)),
    Case("reshape", [2, 3, 4], one("reshape: {shape: [4, -1, 2]}"),
         lambda: Lambda(lambda x: x.reshape(x.shape[0], 4, -1, 2))),
    Case("permute", [2, 3, 4], one("permute: {dims: [2, 0, 1]}"),
         lambda: Lambda(lambda x: x.permute(0, 3, 1, 2))),
    # issue 9: padding_mode, padding layers, cropping, Keras' depthwise and separable convs,
    # output_size, divisor_override, lppool, fractional max pooling, adaptive None
    *CONV_PAD_POOL_CASES,
    # merges: the tested node is the merge; its inputs are the branch ends
    Case("merge_add", [3, 4, 4], "  - branches: [[], [identity]]\n    merge: add",
         lambda: Lambda(lambda a, b: a + b), merge_inputs=[[3, 4, 4], [3, 4, 4]]),
    Case("merge_concat", [3, 4, 4],
         "  - branches: [[], [conv: {filters: 2, kernel: 1}]]\n    merge: concat",
         lambda: Lambda(lambda a, b: torch.cat([a, b], 1)),
         merge_inputs=[[3, 4, 4], [2, 4, 4]]),
    Case("merge_add_broadcast_gate", [3, 4, 4],
         "  - branches: [[], [global_avgpool]]\n    merge: add",
         lambda: Lambda(lambda a, b: a + b), merge_inputs=[[3, 4, 4], [3, 1, 1]]),
    Case("merge_add_broadcast_channel", [3, 4, 4],
         "  - branches: [[], [conv: {filters: 1, kernel: 1}]]\n    merge: add",
         lambda: Lambda(lambda a, b: a + b), merge_inputs=[[3, 4, 4], [1, 4, 4]]),
    Case("merge_concat_height", [3, 6, 4],
         "  - identity: {}\n    name: a\n  - conv: {filters: 3, kernel: [3, 1]}\n"
         "  - concat: {from: [a], axis: 1}",
         lambda: Lambda(lambda a, b: torch.cat([a, b], 2)),
         merge_inputs=[[3, 4, 4], [3, 6, 4]]),
    Case("merge_concat_width3", [2, 3, 5],
         "  - identity: {}\n    name: a\n  - conv: {filters: 2, kernel: [1, 2]}\n"
         "  - concat: {from: [a, a], axis: 2}",
         lambda: Lambda(lambda a, b, c: torch.cat([a, b, c], 3)),
         merge_inputs=[[2, 3, 4], [2, 3, 5], [2, 3, 5]]),
    Case("merge_multiply_broadcast", [3, 4, 4],
         "  - branches: [[], [global_avgpool]]\n    merge: multiply",
         lambda: Lambda(lambda a, b: a * b), merge_inputs=[[3, 4, 4], [3, 1, 1]]),
    # one case per row of the activation table, last, so that a new row shifts no other
    # case's seed; scaled inputs reach every piece of the piecewise ones
    *[Case(f"act_{kind(entry)}", [3, 4, 5], one(entry),
           lambda module=module: eval(module, {"nn": nn}), scale=4.0, torch_module=module)
      for entry, module, _ in ACTIVATIONS],
]


def record(case: Case, seed: int) -> dict[str, np.ndarray]:
    torch.manual_seed(seed)
    module = case.module() if case.module else nn.Identity()
    for p in module.parameters():  # away from the ones/zeros defaults: every term counts
        with torch.no_grad():
            p.copy_(torch.randn_like(p) * 0.5 + (1.0 if p.dim() == 1 else 0.0))
    for name, b in module.named_buffers():
        if name.endswith("running_mean"):
            b.copy_(torch.randn_like(b))
        elif name.endswith("running_var"):
            b.copy_(torch.rand_like(b) + 0.5)
    module.train(case.train)
    shapes = case.merge_inputs or [case.input_shape]
    unpool = {}
    if case.pool:  # inputs: values of the pool's output shape, and the pool's output
        pool_input = torch.randn(BATCH, *case.input_shape)
        nd = len(case.input_shape) - 1
        pooled, indices = getattr(F, f"max_pool{nd}d")(pool_input, return_indices=True,
                                                       **case.pool)
        unpool = {"pool_input": pool_input.numpy().copy()}
        module = Lambda(lambda v, _: getattr(F, f"max_unpool{nd}d")(
            v, indices, case.pool["kernel_size"], case.pool.get("stride"),
            case.pool.get("padding", 0), output_size=pool_input.shape[2:]))
        shapes = [list(pooled.shape[1:])] * 2
    xs = [(torch.randn(BATCH, *s) * case.scale).requires_grad_() for s in shapes]
    stored = {f"input{i}": x.detach().numpy().copy() for i, x in enumerate(xs)} | unpool
    stored |= {f"param/{n}": p.detach().numpy().copy() for n, p in module.named_parameters()
               if "." not in n}
    stored |= {f"buffer/{n}": b.numpy().copy() for n, b in module.named_buffers()
               if n.startswith("running_") or n == "samples"}  # fractional max pooling
    y = module(*xs)
    g = torch.randn_like(y)
    (y * g).sum().backward()
    stored |= {"output": y.detach().numpy(), "g": g.numpy()}
    stored |= {f"dinput{i}": (x.grad if x.grad is not None else torch.zeros_like(x)).numpy()
               for i, x in enumerate(xs)}
    stored |= {f"grad/{n}": p.grad.numpy() for n, p in module.named_parameters()
               if "." not in n}
    if case.train:
        stored |= {f"updated/{n}": b.numpy().copy() for n, b in module.named_buffers()
                   if n.startswith("running_")}
    return stored


SCALES = (0.5, 0.7, 1.0, 1.1, 1.5, 2.0, 2.004, 2.5, 2.6, 3.0, 3.3)
MODES = (("nearest", None), ("linear", False), ("linear", True))


def _grid_value(count: int, dtype: torch.dtype, gradient: bool = False) -> torch.Tensor:
    k = torch.arange(count, dtype=torch.float64)
    values = torch.cos(0.4 * k) if gradient else torch.sin(0.7 * k + 0.3) + k / 16
    return values.to(dtype)


def upsample_grid() -> list[dict]:
    """Every upsample case of the grid: spec entry, input shape, nn.Upsample arguments."""
    cases = []

    def add(spatial: tuple[int, ...], mode: str, align: bool | None, scale=None, size=None,
            recompute: bool = False):
        given = {"scale": list(scale)} if scale else {"size": list(size)}
        entry = {**given, "mode": mode}
        if align:
            entry["align_corners"] = True
        if recompute:
            entry["recompute_scale_factor"] = True
        torch_mode = {1: "linear", 2: "bilinear", 3: "trilinear"}[len(spatial)] \
            if mode == "linear" else mode
        cases.append({"entry": entry, "input": [1, *spatial], "mode": torch_mode,
                      "align_corners": align, "scale": scale, "size": size,
                      "recompute": recompute})

    for mode, align in MODES:
        for n in range(1, 10):
            for s in SCALES:
                if math.floor(n * s) >= 1:
                    add((n,), mode, align, scale=(s,))
                    add((n,), mode, align, scale=(s,), recompute=True)
            for m in sorted({1, n, n + 1, 2 * n, 3 * n - 1}):
                add((n,), mode, align, size=(m,))
            other = 10 - n
            for s, t in zip(SCALES, reversed(SCALES)):
                if math.floor(n * s) >= 1 and math.floor(other * t) >= 1:
                    add((n, other), mode, align, scale=(s, t))
            add((n, other), mode, align, size=(n, 2 * other))
        for spatial in ((3, 7, 2), (7, 4, 3)):
            for s in (1.1, 2.0, 2.5):
                add(spatial, mode, align, scale=(s, s, s))
            add(spatial, mode, align, scale=(1.1, 2.0, 0.7))
    return cases


def record_upsample_grid(arrays: dict[str, np.ndarray]) -> None:
    meta = []
    for dtype in (torch.float32, torch.float64):
        inputs, outputs, grads = [], [], []
        starts = [0, 0]
        for case in upsample_grid():
            shape = [1, *case["input"]]
            x = _grid_value(math.prod(shape), dtype).reshape(shape).requires_grad_()
            scale = case["scale"]
            y = F.interpolate(x, size=tuple(case["size"]) if case["size"] else None,
                              scale_factor=tuple(scale) if scale else None,
                              mode=case["mode"], align_corners=case["align_corners"],
                              recompute_scale_factor=case["recompute"] or None)
            g = _grid_value(y.numel(), dtype, gradient=True).reshape(y.shape)
            (y * g).sum().backward()
            meta.append({"entry": case["entry"], "input": case["input"],
                         "dtype": str(dtype).removeprefix("torch."),
                         "output": list(y.shape[1:]), "at": list(starts)})
            inputs.append(x.detach().numpy().ravel())
            outputs.append(y.detach().numpy().ravel())
            grads.append(x.grad.numpy().ravel())
            starts[0] += x.numel()
            starts[1] += y.numel()
        name = str(dtype).removeprefix("torch.")
        arrays[f"upsample/{name}/input"] = np.concatenate(inputs)
        arrays[f"upsample/{name}/output"] = np.concatenate(outputs)
        arrays[f"upsample/{name}/dinput"] = np.concatenate(grads)
    arrays["__upsample__"] = np.array(json.dumps(meta))


def record_nearest_exact(arrays: dict[str, np.ndarray]) -> None:
    """``__nearest_exact__``: the input index each output of F.interpolate(mode=
    "nearest-exact") copies, along the first spatial axis, for input sizes 1..16, scales and
    sizes, recompute_scale_factor unset and true, 1-D to 3-D, float32 and float64."""
    cases = []
    for dtype in (torch.float32, torch.float64):
        for nd in (1, 2, 3):
            for n in range(1, 17):
                given = [(s, None, r) for s in SCALES + (0.29, 1.3, 1 / 3)
                         for r in (False, True) if math.floor(n * s) >= 1]
                given += [(None, m, False) for m in sorted({1, n - 1, n + 1, 2 * n,
                                                            2 * n + 1, 3 * n - 1} - {0})]
                for scale, size, recompute in given:
                    shape = (1, 1, n) + (2,) * (nd - 1)
                    x = torch.arange(n, dtype=dtype).reshape(1, 1, n, *[1] * (nd - 1))
                    y = F.interpolate(x.expand(shape).contiguous(),
                                      size=(size,) + (2,) * (nd - 1) if size else None,
                                      scale_factor=(scale,) + (1.0,) * (nd - 1) if scale
                                      else None, mode="nearest-exact",
                                      recompute_scale_factor=recompute or None)
                    sources = y[0, 0].reshape(y.shape[2], -1)[:, 0].long().tolist()
                    cases.append({"dtype": str(dtype).removeprefix("torch."), "ndim": nd,
                                  "n": n, "scale": scale, "size": size,
                                  "recompute": recompute, "sources": sources})
    arrays["__nearest_exact__"] = np.array(json.dumps(cases))


def record_bicubic(arrays: dict[str, np.ndarray]) -> None:
    """``__bicubic__``: F.interpolate(mode="bicubic") along the first axis of [1, 1, n, 3]
    inputs x[k] = sin(0.7 k + 0.3) + k / 16 (the grid's formula), n 1..11, scales and
    sizes, align_corners and recompute_scale_factor, float32 and float64: the outputs."""
    cases = []
    for dtype in (torch.float32, torch.float64):
        for n in range(1, 12):
            given = [(s, None, r) for s in (0.5, 0.7, 1.0, 1.1, 1.5, 2.0, 2.5, 3.3)
                     for r in (False, True) if math.floor(n * s) >= 1]
            given += [(None, m, False) for m in sorted({1, n, n + 1, 2 * n + 1})]
            for scale, size, recompute in given:
                for align in (False, True):
                    x = _grid_value(3 * n, dtype).reshape(1, 1, n, 3)
                    y = F.interpolate(x, size=(size, 3) if size else None,
                                      scale_factor=(scale, 1.0) if scale else None,
                                      mode="bicubic", align_corners=align,
                                      recompute_scale_factor=recompute or None)
                    cases.append({"dtype": str(dtype).removeprefix("torch."), "n": n,
                                  "scale": scale, "size": size, "recompute": recompute,
                                  "align_corners": align,
                                  "output": y[0, 0].double().flatten().tolist()})
    arrays["__bicubic__"] = np.array(json.dumps(cases))


def record_refusals(arrays: dict[str, np.ndarray]) -> None:
    """What PyTorch does in the cases `cnncalc run` refuses: max-pool windows of padding only
    that it accepts (padding <= kernel / 2), and batch statistics of one value per channel."""
    pools = []
    for size, kernel, stride, padding, dilation in ((1, 2, 1, 1, 2), (2, 2, 1, 1, 3),
                                                    (3, 2, 1, 1, 4)):
        y = F.max_pool1d(torch.zeros(1, 1, size), kernel, stride, padding, dilation)
        pools.append({"size": size, "kernel": kernel, "stride": stride, "padding": padding,
                      "dilation": dilation, "output": [str(v) for v in y.flatten().tolist()]})
    norms = []
    for shape, train, track in (([1, 3, 1, 1], True, True), ([1, 3, 1, 1], False, False),
                                ([1, 3, 1, 1], False, True), ([2, 3, 1, 1], True, True),
                                ([1, 3], True, True)):
        module = (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(
            3, track_running_stats=track).train(train)
        try:
            module(torch.ones(shape))
            error = None
        except ValueError as refused:
            error = str(refused)
        norms.append({"shape": shape, "train": train, "track_running_stats": track,
                      "error": error})
    arrays["__refusals__"] = np.array(json.dumps({"maxpool": pools, "batchnorm": norms}))


def record_spatial_dropout(arrays: dict[str, np.ndarray]) -> None:
    """nn.Dropout2d/1d/3d(p=0.5) in training: its random mask cannot be matched, so the test
    (tests/test_norms_and_activations.py) reads from PyTorch's output that whole channels are
    dropped and the rest scaled by 2, and checks that the executor does the same."""
    for name, module, shape in (("2d", nn.Dropout2d(0.5), [2, 8, 3, 4]),
                                ("1d", nn.Dropout1d(0.5), [2, 8, 5]),
                                ("3d", nn.Dropout3d(0.5), [2, 8, 2, 3, 2])):
        torch.manual_seed(0)
        x = (torch.rand(*shape) + 0.5).requires_grad_()  # no zeros: a zero means dropped
        y = module.train()(x)
        g = torch.randn_like(y)
        (y * g).sum().backward()
        for key, value in (("input", x), ("output", y), ("g", g), ("dinput", x.grad)):
            arrays[f"spatial_dropout_train/{name}/{key}"] = value.detach().numpy().copy()


def record_norm_activation_refusals(arrays: dict[str, np.ndarray]) -> None:
    """PyTorch's error (or none) for the configurations of the new activations and norms
    that cnncalc refuses: instance statistics of one position, CELU's alpha 0, hardtanh's
    max_val <= min_val, PReLU's slope count, LRN on a flat input, a layer norm's shape."""
    found = {}

    def attempt(name: str, make: Callable[[], torch.Tensor]) -> None:
        try:
            make()
            found[name] = None
        except (ValueError, RuntimeError, AssertionError) as refused:
            found[name] = str(refused)

    attempt("instancenorm_1_position_train",
            lambda: nn.InstanceNorm2d(3).train()(torch.ones(2, 3, 1, 1)))
    attempt("instancenorm_1_position_eval_untracked",
            lambda: nn.InstanceNorm2d(3).eval()(torch.ones(2, 3, 1, 1)))
    attempt("instancenorm_1_position_eval_tracked",
            lambda: nn.InstanceNorm2d(3, track_running_stats=True).eval()(
                torch.ones(2, 3, 1, 1)))
    attempt("celu_alpha_0", lambda: nn.CELU(0.0)(torch.ones(2, 3)))
    attempt("hardtanh_max_equals_min", lambda: nn.Hardtanh(1.0, 1.0))
    attempt("prelu_2_slopes_3_channels", lambda: nn.PReLU(2)(torch.ones(2, 3, 4, 4)))
    attempt("lrn_flat", lambda: nn.LocalResponseNorm(3)(torch.ones(2, 6)))
    attempt("layernorm_wrong_shape", lambda: nn.LayerNorm([4, 4])(torch.ones(2, 3, 4, 5)))
    arrays["__norm_activation_refusals__"] = np.array(json.dumps(found))
# issue 9: configurations at PyTorch's limits, each accepted or refused (with its message)
CONV_PAD_POOL_LIMITS = [
    ({"reflection_pad": {"padding": 2}}, [1, 3, 3]),
    ({"reflection_pad": {"padding": [[0, 3], 0]}}, [1, 3, 3]),
    ({"reflection_pad": {"padding": [[4, 0]]}}, [1, 5]),
    ({"reflection_pad": {"padding": [[0, 5]]}}, [1, 5]),
    ({"circular_pad": {"padding": 3}}, [1, 3, 3]),
    ({"circular_pad": {"padding": [[0, 4], 1]}}, [1, 3, 3]),
    ({"replication_pad": {"padding": 9}}, [1, 3, 3]),
    ({"conv": {"filters": 1, "kernel": 3, "padding": 2, "padding_mode": "reflect"}}, [1, 3, 8]),
    ({"conv": {"filters": 1, "kernel": 3, "padding": 3, "padding_mode": "reflect"}}, [1, 3, 8]),
    ({"conv": {"filters": 1, "kernel": 3, "padding": [0, 8], "padding_mode": "circular"}},
     [1, 3, 8]),
    ({"conv": {"filters": 1, "kernel": 3, "padding": [0, 9], "padding_mode": "circular"}},
     [1, 3, 8]),
    *[({"conv_transpose": {"filters": 1, "kernel": 3, "stride": 2, "padding": 1,
                           "output_size": size}}, [1, 7, 7]) for size in (12, 13, 14, 15)],
    *[({"conv_transpose": {"filters": 1, "kernel": 4, "stride": 3, "dilation": 2,
                           "output_size": [size, 25]}}, [1, 7, 7]) for size in (24, 25, 27, 28)],
    ({"avgpool": {"kernel": 2, "divisor_override": 3}}, [1, 8]),
    ({"avgpool": {"kernel": 2, "divisor_override": 3}}, [1, 8, 8]),
    ({"lppool": {"norm_type": 0, "kernel": 2}}, [1, 8, 8]),
    ({"fractional_maxpool": {"kernel": 3, "output_size": 3}}, [1, 5, 5]),
    ({"fractional_maxpool": {"kernel": 3, "output_size": 4}}, [1, 5, 5]),
    ({"fractional_maxpool": {"kernel": [2, 3, 2], "output_size": [4, 4, 4]}}, [1, 5, 6, 5]),
    ({"fractional_maxpool": {"kernel": [2, 3, 2], "output_size": [3, 4, 3]}}, [1, 5, 6, 5]),
    ({"fractional_maxpool": {"kernel": [2, 3, 2], "output_size": [3, 3, 3]}}, [1, 5, 6, 5]),
    ({"fractional_maxpool": {"kernel": [2, 3, 2], "output_size": [3, 3, 4]}}, [1, 5, 6, 5]),
    ({"fractional_maxpool": {"kernel": 2, "output_ratio": 0.99}}, [1, 8, 8]),
    ({"fractional_maxpool": {"kernel": 2, "output_ratio": 1.0}}, [1, 8, 8]),
    ({"fractional_maxpool": {"kernel": 2, "output_ratio": 0.1}}, [1, 8, 8]),
    ({"fractional_maxpool": {"kernel": 2, "output_size": 3, "output_ratio": 0.5}}, [1, 8, 8]),
    ({"adaptive_maxpool": {"output_size": [None, None]}}, [1, 5, 6]),
]


def record_conv_pad_pool_limits(arrays: dict[str, np.ndarray]) -> None:
    """PyTorch's answer at each limit: the output shape, or its error message."""
    from make_reference import to_torch

    found = []
    for entry, shape in CONV_PAD_POOL_LIMITS:
        try:
            y = to_torch(entry, shape)(torch.zeros(1, *shape))
            answer = {"output_shape": list(y.shape[1:]), "error": None}
        except (ValueError, RuntimeError, TypeError) as refused:
            answer = {"output_shape": None, "error": str(refused).splitlines()[0]}
        found.append({"layer": entry, "input": shape} | answer)
    arrays["__conv_pad_pool_limits__"] = np.array(json.dumps(found, indent=1))


# The sizes tests/test_executor.py runs each example at (None: its own input size).
EXAMPLE_SIZES = {"alexnet": 64, "googlenet": 64, "lenet5": None, "mobilenet_v2": 32,
                 "resnet18": 32, "resnet34": 32, "resnet50": 32,
                 "unet": 32, "vgg16": 32, "two_input": 32}


def record_example_shapes(arrays: dict[str, np.ndarray]) -> None:
    """Every leaf module's output shape, in forward order, of the PyTorch model behind each
    example (make_reference.py's model_zoo) at the size the executor's test runs it."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from make_reference import leaf_trace, model_zoo

    models = {}
    for name, (ctor, in_shape, _, _) in model_zoo().items():
        size = EXAMPLE_SIZES[name]
        shape = [in_shape[0], size, size] if size else list(in_shape)
        torch.manual_seed(0)
        layers, y = leaf_trace(ctor().eval(), torch.zeros(BATCH, *shape))
        models[name] = {"input": shape, "size": size, "output_shape": list(y.shape[1:]),
                        "layers": [{"name": r["name"], "type": r["type"],
                                    "output_shape": r["output_shape"]} for r in layers]}
    # the graph examples, as make_graph_reference.py builds them: GoogLeNet with its aux
    # heads in train mode (examples/googlenet.yaml), the two-input net (both inputs resized)
    from make_graph_reference import NETS

    for name, net in NETS.items():
        if name not in models and name not in EXAMPLE_SIZES or name == "unet":
            continue
        size = EXAMPLE_SIZES[name]
        shapes = [[s[0], size, size] for s in net["inputs"].values()]
        torch.manual_seed(0)
        model = net["ctor"]().train(net["mode"] == "train")
        layers, y = leaf_trace(model, *(torch.zeros(BATCH, *s) for s in shapes))
        main = next(iter(net["split"](y).values()))
        models[name] = {"input": shapes[0], "size": size, "output_shape": list(main.shape[1:]),
                        "layers": [{"name": r["name"], "type": r["type"],
                                    "output_shape": r["output_shape"]} for r in layers]}
    # issue 9's examples (make_example_reference.py builds them), at their reduced sizes
    from make_example_reference import NETS as NETS9
    from make_example_reference import reduced_entry

    for name, (ctor, in_shape, reduced) in NETS9.items():
        torch.manual_seed(0)
        models[name] = reduced_entry(ctor().eval(), [in_shape[0], *reduced])
    arrays["__examples__"] = np.array(json.dumps(models))


def main() -> None:
    arrays: dict[str, np.ndarray] = {}
    meta = []
    for seed, case in enumerate(CASES):
        stored = record(case, seed)
        arrays |= {f"{case.name}/{key}": value for key, value in stored.items()}
        row = {"torch": case.torch_module} if case.torch_module else {}
        meta.append({"name": case.name, "spec": case.spec(), "train": case.train,
                     "inputs": 2 if case.pool else len(case.merge_inputs or [case.input_shape]),
                     "keys": sorted(stored)} | row)
    arrays["__cases__"] = np.array(json.dumps(meta, indent=1))
    record_upsample_grid(arrays)
    record_example_shapes(arrays)
    record_refusals(arrays)
    record_spatial_dropout(arrays)
    record_norm_activation_refusals(arrays)
    record_nearest_exact(arrays)
    record_bicubic(arrays)
    record_conv_pad_pool_limits(arrays)
    arrays["__versions__"] = np.array(json.dumps({"torch": torch.__version__,
                                                  "numpy": np.__version__}))
    np.savez_compressed(OUT, **arrays)
    print(f"{OUT}: {len(CASES)} cases, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
