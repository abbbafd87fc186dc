"""C: portability. Designs that mean different networks, or no network, in another
framework."""
from __future__ import annotations

from collections.abc import Iterator

from ...layers import Layer
from ..diagnostic import Severity
from ..registry import Finding, rule
from ..subject import Subject, axis_names, grouped_windows, label
from .shapes import ambiguous_axes, pins_convention, sizes_text, span


@rule("C101", "convention-dependent-size", Severity.INFO)
def convention_dependent_size(subject: Subject) -> Iterator[Finding]:
    """A window layer whose size this spec's convention fixes, but another framework's
    would not give.

    Why: the spec names its framework or rounding, so its figures are well defined; but
    porting the design (PyTorch to Caffe, a paper's ceil formula to Keras) changes this
    layer's output size by one and every figure after it.

    Example:
        framework: pytorch
        input: [3, 224, 224]
        layers:
          - maxpool: {kernel: 3, stride: 2}     # PyTorch 111, Caffe 112

    Fix: nothing, if the spec stays in its framework; to port it, choose padding so the
    stride divides N + 2p - F.

    Reference: PyTorch nn.MaxPool2d `ceil_mode`; Caffe pooling_layer.cpp; TensorFlow
    tf.nn.pool padding.
    """
    if not pins_convention(subject):
        return  # S101 reports it as a warning
    for row in subject.rows:
        for axes, window, sizes in ambiguous_axes(row.node):
            yield Finding(row.node.location,
                          f"{label(row.node)}: N + 2p - F = {span(window)} on {axes} is not a "
                          f"multiple of the stride {window.stride}; this spec's "
                          f"{window.rule.name} rule gives {window.count}; by convention: "
                          f"{sizes_text(sizes)}", row.node)


def pytorch_refuses_same(subject: Subject, layer: Layer) -> str | None:
    """Why PyTorch cannot build this 'same'-padded layer, in a spec that says it is PyTorch's
    (None if it can). torch 2.14: nn.MaxPool2d(3, 1, padding='same') raises TypeError
    ("padding ... must be tuple of ints, not str"), and nn.Conv2d(1, 1, 3, stride=2,
    padding='same') raises ValueError ("padding='same' is not supported for strided
    convolutions"); at stride 1 a conv takes it, even kernels and dilations included."""
    if subject.analysis.spec.framework != "pytorch" or \
            getattr(layer, "padding_rule", None) != "same":
        return None
    if layer.is_pool:
        return "PyTorch's pooling layers take no padding='same'"
    strides = sorted({w.stride for w in layer.windows() if w.stride > 1})
    if strides:
        return f"PyTorch refuses padding='same' at stride {strides[-1]} (strided convolutions)"
    return None


@rule("C102", "asymmetric-same", Severity.WARNING)
def asymmetric_same(subject: Subject) -> Iterator[Finding]:
    """'same' padding where it cannot be symmetric: an even (dilated) kernel, or a stride
    above 1.

    Why: TensorFlow then pads one pixel more after (bottom, right) than before, as PyTorch
    does for an even kernel at stride 1; Caffe and most papers pad symmetrically, and
    PyTorch refuses `padding='same'` for strided convolutions. An exported model's outputs
    shift by a pixel, and a port needs explicit asymmetric padding.

    Example:
        input: [3, 224, 224]
        layers:
          - conv: {filters: 32, kernel: 3, stride: 2, padding: same}   # pads 0 before, 1 after

    Fix: write the padding explicitly (e.g. `padding: [[0, 1], [0, 1]]`, or a zeropad layer
    and `padding: valid`), or use an odd kernel at stride 1.

    Reference: TensorFlow "tf.nn.convolution" padding documentation; PyTorch nn.Conv2d
    ("padding='same' doesn't support any stride values other than 1").
    """
    for row in subject.rows:
        layer = row.node.layer
        if getattr(layer, "padding_rule", None) != "same" or \
                pytorch_refuses_same(subject, layer):
            continue  # C104 says what matters more: PyTorch cannot build it at all
        for axes, window in grouped_windows(layer.windows()):
            if window.stride > 1 or window.extent % 2 == 0:
                why = f"stride {window.stride}" if window.stride > 1 else \
                    f"even {window.extent}-pixel kernel"
                yield Finding(row.node.location,
                              f"{label(row.node)}: 'same' padding with {why} on {axes} pads "
                              f"{window.pad_before} before and {window.pad_after} after "
                              f"(TensorFlow's rule); Caffe pads symmetrically", row.node)


@rule("C103", "pool-padding-over-half-kernel", Severity.WARNING)
def pool_padding_over_half_kernel(subject: Subject) -> Iterator[Finding]:
    """A pooling layer padded by more than half its kernel (the undilated kernel: PyTorch's
    limit ignores the dilation).

    Why: PyTorch refuses to build it ("pad should be at most half of effective kernel
    size"), and where it is accepted, windows made mostly of padding give averages diluted
    by zeros or maxima of nothing. PyTorch's limit is padding <= kernel // 2 on every axis
    whatever the dilation: `nn.MaxPool2d(kernel_size=2, dilation=3, padding=2)` is refused
    although its dilated window spans 4 pixels.

    Example:
        layers:
          - maxpool: {kernel: 3, stride: 2, padding: 2}

    Fix: use padding no larger than kernel // 2 (dilation does not raise the limit).

    Reference: PyTorch aten/src/ATen/native/Pool.h (pool2d_shape_check); checked against
    torch 2.14.1 for MaxPool1d/2d/3d and AvgPool1d/2d/3d, kernels 1-5, dilations 1-4,
    paddings 0-7, ceil_mode on and off: accepted exactly when padding <= kernel // 2.
    """
    for row in subject.rows:
        layer = row.node.layer
        if not layer.is_pool:
            continue
        windows = layer.windows()
        for name, window in zip(axis_names(len(windows)), windows):
            pad = max(window.pad_before, window.pad_after)
            if pad > window.kernel // 2:
                unhelped = f" (dilation {window.dilation} does not raise the limit)" \
                    if window.dilation > 1 else ""
                yield Finding(row.node.location,
                              f"{label(row.node)}: padding {pad} on {name} is more than half "
                              f"the {window.kernel}-pixel kernel{unhelped}: PyTorch refuses "
                              f"it", row.node)
                break


@rule("C104", "same-padding-pytorch-lacks", Severity.WARNING)
def same_padding_pytorch_lacks(subject: Subject) -> Iterator[Finding]:
    """`padding: same` that PyTorch cannot build, in a spec with `framework: pytorch`: on a
    pooling layer, or on a conv with a stride above 1.

    Why: PyTorch's pooling layers take integer padding only (`nn.MaxPool2d(3, 1,
    padding='same')` raises a TypeError), and `nn.Conv2d` accepts `padding='same'` at
    stride 1 only ("padding='same' is not supported for strided convolutions"). The spec
    says it describes a PyTorch network, but this layer cannot be written in PyTorch as it
    stands; cnncalc's figures use TensorFlow's rule, which may pad one side more.

    Example:
        framework: pytorch
        input: [3, 32, 32]
        layers:
          - maxpool: {kernel: 3, stride: 1, padding: same}

    Fix: write the padding cnncalc computed explicitly (`padding: 1` here); where it is
    asymmetric, put a zeropad layer before the layer and use `padding: valid`.

    Reference: PyTorch nn.Conv2d documentation (padding='same'); checked against torch
    2.14.1: MaxPool2d and AvgPool2d refuse padding='same', Conv2d refuses it at stride 2
    and accepts it at stride 1 with odd, even and dilated kernels.
    """
    for row in subject.rows:
        layer = row.node.layer
        why = pytorch_refuses_same(subject, layer)
        if why:
            pads = ", ".join(f"[{w.pad_before}, {w.pad_after}]" for w in layer.windows())
            yield Finding(row.node.location,
                          f"{label(row.node)}: padding 'same' under framework pytorch: {why};"
                          f" write it explicitly: padding [{pads}]", row.node)
