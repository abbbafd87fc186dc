"""C: portability. Designs that mean different networks, or no network, in another
framework."""
from __future__ import annotations

from collections.abc import Iterator

from .diagnostic import Severity
from .registry import Finding, rule
from .shapes import ambiguous_axes, pins_convention, sizes_text, span
from .subject import Subject, axis_names, grouped_windows, label


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


@rule("C102", "asymmetric-same", Severity.WARNING)
def asymmetric_same(subject: Subject) -> Iterator[Finding]:
    """'same' padding where it cannot be symmetric: an even (dilated) kernel, or a stride
    above 1.

    Why: TensorFlow then pads one pixel more after (bottom, right) than before, Caffe and
    most papers pad symmetrically, and PyTorch refuses `padding='same'` for strided
    convolutions. An exported model's outputs shift by a pixel, and a PyTorch port needs
    explicit asymmetric padding.

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
        if getattr(layer, "padding_mode", None) != "same":
            continue
        for axes, window in grouped_windows(layer.windows()):
            if window.stride > 1 or window.extent % 2 == 0:
                why = f"stride {window.stride}" if window.stride > 1 else \
                    f"even {window.extent}-pixel kernel"
                yield Finding(row.node.location,
                              f"{label(row.node)}: 'same' padding with {why} on {axes} pads "
                              f"{window.pad_before} before and {window.pad_after} after "
                              f"(TensorFlow's rule); PyTorch and Caffe differ", row.node)


@rule("C103", "pool-padding-over-half-kernel", Severity.WARNING)
def pool_padding_over_half_kernel(subject: Subject) -> Iterator[Finding]:
    """A pooling layer padded by more than half its (dilated) kernel.

    Why: PyTorch refuses to build it ("pad should be at most half of effective kernel
    size"), and where it is accepted, windows made mostly of padding give averages diluted
    by zeros or maxima of nothing.

    Example:
        layers:
          - maxpool: {kernel: 3, stride: 2, padding: 2}

    Fix: use padding no larger than F // 2.

    Reference: PyTorch aten/src/ATen/native/Pool.h (pool2d_shape_check).
    """
    for row in subject.rows:
        layer = row.node.layer
        if layer.family != "pool":
            continue
        windows = layer.windows()
        for name, window in zip(axis_names(len(windows)), windows):
            pad = max(window.pad_before, window.pad_after)
            if 2 * pad > window.extent:
                yield Finding(row.node.location,
                              f"{label(row.node)}: padding {pad} on {name} is more than half "
                              f"the {window.extent}-pixel window: PyTorch refuses it", row.node)
                break
