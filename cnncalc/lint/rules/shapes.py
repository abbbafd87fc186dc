"""S: shapes, sampling and rounding. Sliding windows that frameworks count differently,
windows that read only padding, and pixels that no window reads."""
from __future__ import annotations

import math
from collections.abc import Iterator

from ...build import Node
from ...geometry import CEIL, FLOOR, PYTORCH_CEIL, Window
from ...layers import shape_str
from ..diagnostic import Severity
from ..registry import Finding, rule
from ..subject import Subject, grouped_windows, is_point, label, percent

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


def span(window: Window) -> int:
    """N + p_before + p_after - F (`Window.span`), by the name the rules' messages use."""
    return window.span


def ambiguous_axes(node: Node) -> Iterator[tuple[str, Window, dict[str, int]]]:
    """Axes whose output size depends on the rounding convention."""
    for axes, window in grouped_windows(node.layer.windows()):
        if window.span % window.stride:
            yield axes, window, window.sizes_by_framework(node.layer.is_pool)


def sizes_text(sizes: dict[str, int]) -> str:
    return ", ".join(f"{name} {size}" for name, size in sizes.items())


def pins_convention(subject: Subject) -> bool:
    spec = subject.analysis.spec
    return spec.framework is not None or spec.rounding is not None


@rule("S101", "rounding-matters", WARNING)
def rounding_matters(subject: Subject) -> Iterator[Finding]:
    """A window layer whose output size depends on the rounding rule, in a spec that names
    neither a framework nor a rounding.

    Why: when the stride does not divide N + 2p - F, ceil and floor rounding give sizes one
    apart, and frameworks round differently (PyTorch, TensorFlow and Caffe floor their
    convs; Caffe ceils its pools). A spec that names no convention describes two different
    networks; every later shape, parameter of the first dense layer and MAC count follows.

    Example:
        input: [3, 224, 224]
        layers:
          - maxpool: {kernel: 3, stride: 2}     # (224 - 3)/2 = 110.5: ceil 112, floor 111

    Fix: say which network you mean with `framework:` or `rounding:` at the top of the
    spec (or per layer), or choose kernel, stride and padding so the division is exact.

    Reference: Dumoulin & Visin, "A guide to convolution arithmetic for deep learning"
    (2016), relationship 6; PyTorch nn.MaxPool2d `ceil_mode`; Caffe pooling_layer.cpp.
    """
    if pins_convention(subject):
        return
    for row in subject.rows:
        for axes, window, sizes in ambiguous_axes(row.node):
            yield Finding(row.node.location,
                          f"{label(row.node)}: N + 2p - F = {window.span} on {axes} is not a "
                          f"multiple of the stride {window.stride}, and the spec names no "
                          f"framework or rounding; sizes: {sizes_text(sizes)}", row.node)


@rule("S102", "ceil-window-in-padding", WARNING)
def ceil_window_in_padding(subject: Subject) -> Iterator[Finding]:
    """A ceil-rounded layer whose last window starts in the trailing padding.

    Why: the plain ceil rule keeps that window, so the output gains a row or column made
    only of padding; PyTorch's `ceil_mode` drops it, and Caffe drops it when the layer has
    padding. The same spec then has different sizes in different frameworks, and the
    extra row carries no information.

    Example:
        input: [3, 5, 5]
        rounding: ceil
        layers:
          - maxpool: {kernel: 2, stride: 2, padding: 1}   # ceil 4; the 4th starts at 6

    Fix: drop the padding, or change kernel or stride so the last window starts inside the
    input; or use floor rounding.

    Reference: PyTorch nn.MaxPool2d documentation ("sliding windows that would start in the
    right padded region are ignored"); Caffe pooling_layer.cpp.
    """
    for row in subject.rows:
        for axes, window in grouped_windows(row.node.layer.windows()):
            plain = window.replace(rule=CEIL)
            if window.rule.ceil and plain.last_in_padding:
                yield Finding(row.node.location,
                              f"{label(row.node)}: the last ceil-rounded window on {axes} "
                              f"starts at padded position {plain.last_start}, "
                              f"past the input (positions {window.pad_before} to "
                              f"{window.pad_before + window.size - 1}): plain ceil keeps it "
                              f"({plain.count}), PyTorch ceil_mode drops it "
                              f"({window.count_under(PYTORCH_CEIL)})", row.node)


def _skipping(window: Window) -> bool:
    return window.stride > window.extent


def _skip_finding(node: Node) -> Finding | None:
    windows = node.layer.windows()
    skipped = [(axes, w) for axes, w in grouped_windows(windows) if _skipping(w)]
    if not skipped:
        return None
    read = math.prod(min(1.0, w.extent / w.stride) for w in windows)
    parts = "; ".join(f"stride {w.stride} > {w.extent}-pixel kernel on {axes}"
                      for axes, w in skipped)
    return Finding(node.location,
                   f"{label(node)}: {parts}: {percent(1 - read, 1)} of the input's pixels "
                   f"are never read", node)


@rule("S103", "skipped-pixels", WARNING)
def skipped_pixels(subject: Subject) -> Iterator[Finding]:
    """A layer whose stride is larger than its (dilated) kernel, on the main path.

    Why: between two windows, stride - F pixels are never read by anything; what they hold
    is lost to the rest of the network. The layer throws away input it was given.

    Example:
        input: [3, 32, 32]
        layers:
          - conv: {filters: 16, kernel: 1, stride: 2}     # reads 1 pixel in 4

    Fix: make the kernel at least as large as the stride (kernel 3, stride 2, padding 1),
    or pool before striding (an average pool then a 1x1 conv).

    Reference: He et al., "Bag of Tricks for Image Classification with Convolutional Neural
    Networks", CVPR 2019, section 4.1 (ResNet-D).
    """
    for row in subject.rows:
        found = None if subject.on_branch(row.node) else _skip_finding(row.node)
        if found:
            yield found


@rule("S104", "branch-skips-pixels", INFO)
def branch_skips_pixels(subject: Subject) -> Iterator[Finding]:
    """A layer on a branch whose stride is larger than its kernel.

    Why: the branch reads only some pixels; another branch of the same block reads the
    others, so nothing is lost to the network, but this branch's features ignore them.
    ResNet's 1x1 stride-2 projection shortcut is the well-known case; ResNet-D replaces it
    with a 2x2 average pool and a 1x1 conv for a measurable accuracy gain.

    Example:
        residual:
          main: [conv: {filters: 128, kernel: 3, stride: 2, padding: 1}]
          shortcut: [conv: {filters: 128, kernel: 1, stride: 2}]    # reads 1 pixel in 4

    Fix: usually none is needed; to use every pixel, average-pool before the 1x1 conv.

    Reference: He et al., "Bag of Tricks for Image Classification with Convolutional Neural
    Networks", CVPR 2019, section 4.1 (ResNet-D).
    """
    for row in subject.rows:
        found = _skip_finding(row.node) if subject.on_branch(row.node) else None
        if found:
            yield found


@rule("S105", "dropped-trailing-pixels", WARNING)
def dropped_trailing_pixels(subject: Subject) -> Iterator[Finding]:
    """A floor-rounded layer whose windows stop short of the input's last rows or columns.

    Why: when the stride does not divide N + 2p - F, floor rounding drops the partial
    window at the end, and the last pixels of the input are read by no window at all: the
    bottom or right edge of the image is silently ignored.

    Example:
        input: [3, 224, 224]
        framework: pytorch
        layers:
          - conv: {filters: 64, kernel: 3, stride: 2}     # the last pixel on H and W is unread

    Fix: pad so the windows reach the end (padding 1 here), or resize the input so the
    stride divides N + 2p - F.

    Reference: Dumoulin & Visin, "A guide to convolution arithmetic for deep learning"
    (2016), section 2.4 (the floor function).
    """
    for row in subject.rows:
        for axes, window in grouped_windows(row.node.layer.windows()):
            if window.unread and not _skipping(window):
                yield Finding(row.node.location,
                              f"{label(row.node)}: {window.rule.name} rounding leaves the "
                              f"last {window.unread} of {window.size} pixels on {axes} "
                              f"unread: no window reaches them", row.node)


@rule("S106", "padding-covers-kernel", WARNING)
def padding_covers_kernel(subject: Subject) -> Iterator[Finding]:
    """Padding at least as large as the (dilated) kernel.

    Why: the outermost windows then lie wholly in the padding, so the border outputs are
    made of padding only (zeros, or the bias): wasted rows that later layers mistake for
    features. PyTorch refuses such padding on pooling layers.

    Example:
        input: [3, 32, 32]
        layers:
          - conv: {filters: 16, kernel: 1, padding: 1}    # a 34x34 output with a zero frame

    Fix: use padding (F - 1)/2 ('same' at stride 1), or fewer.

    Reference: Dumoulin & Visin, "A guide to convolution arithmetic for deep learning"
    (2016), section 2.2.
    """
    for row in subject.rows:
        for axes, window in grouped_windows(row.node.layer.windows()):
            pad = max(window.pad_before, window.pad_after)
            if pad >= window.extent:
                yield Finding(row.node.location,
                              f"{label(row.node)}: padding {pad} on {axes} is at least the "
                              f"{window.extent}-pixel kernel: the outermost outputs read "
                              f"padding only", row.node)


@rule("S107", "kernel-larger-than-input", WARNING)
def kernel_larger_than_input(subject: Subject) -> Iterator[Finding]:
    """A kernel that is larger than the input it slides over.

    Why: every window then covers padding as well as the whole input; the layer is a dense
    layer with most of its weights multiplying zeros, and the output size is set by the
    padding, not by the data.

    Example:
        input: [3, 5, 5]
        layers:
          - conv: {filters: 8, kernel: 7, padding: 3}

    Fix: use a kernel no larger than the input, or a dense layer (or global pooling) if
    mixing the whole extent is the intent.

    Reference: Dumoulin & Visin, "A guide to convolution arithmetic for deep learning"
    (2016), section 2.
    """
    for row in subject.rows:
        if is_point(row.input_shape):
            continue  # a 1x1 input is S108's finding
        for axes, window in grouped_windows(row.node.layer.windows()):
            if window.extent > window.size:
                yield Finding(row.node.location,
                              f"{label(row.node)}: the {window.extent}-pixel kernel on "
                              f"{axes} is larger than its {window.size}-pixel input: every "
                              f"window reads padding", row.node)


def collapse_origins(subject: Subject) -> dict[int, Node | None]:
    """For each layer, by id, the layer whose output first had no spatial extent left on the
    way to it (following first inputs), or None: one pass in execution order, so a deep
    stack of 1x1 layers costs linear time, not a walk back from every layer."""
    origins: dict[int, Node | None] = {}
    for row in subject.rows:
        sources = subject.fed_by(row.node)
        if not sources:
            origins[id(row.node)] = None
            continue
        source = sources[0]
        spatial = not is_point(subject.row(source).input_shape)
        origins[id(row.node)] = source if spatial else origins.get(id(source))
    return origins


@rule("S108", "spatial-collapse-early", WARNING)
def spatial_collapse_early(subject: Subject) -> Iterator[Finding]:
    """A window layer (conv or pooling, kernel > 1) that receives a 1x1 input: the spatial
    size collapsed before the head, yet spatial layers follow.

    Why: once the feature map is 1x1, a 3x3 kernel meets data only at its centre tap; the
    other weights multiply padding and cost parameters and time for nothing. The net went
    from image to vector too early, usually from too many stride-2 stages for the input
    size.

    Example:
        input: [3, 32, 32]
        layers:
          - conv: {filters: 16, kernel: 3, stride: 2, padding: 1}   # 16 x 16
          - maxpool: {kernel: 16}                                   # 1 x 1
          - conv: {filters: 32, kernel: 3, padding: 1}              # only the centre tap

    Fix: remove stride-2 stages (or enlarge the input) so the map is still spatial where
    spatial kernels run, or use 1x1 kernels after the collapse.
    """
    origins: dict[int, Node | None] | None = None
    for row in subject.rows:
        windows = row.node.layer.windows()
        if not windows or not is_point(row.input_shape) or all(w.extent == 1 for w in windows):
            continue
        origins = collapse_origins(subject) if origins is None else origins
        origin = origins[id(row.node)]
        where = f" (collapsed at {label(origin)})" if origin else ""
        taps = math.prod(w.extent for w in windows)
        yield Finding(row.node.location,
                      f"{label(row.node)}: slides a {'x'.join(str(w.extent) for w in windows)} "
                      f"window over a 1x1 input{where}: only 1 of its {taps} taps meets data",
                      row.node)


@rule("S109", "transposed-conv-checkerboard", WARNING)
def transposed_conv_checkerboard(subject: Subject) -> Iterator[Finding]:
    """A transposed convolution whose kernel size is not divisible by its stride.

    Why: the kernel's footprints then overlap unevenly: some outputs receive more
    contributions than their neighbours, which paints a checkerboard pattern into
    generated images and segmentation maps.

    Example:
        input: [16, 8, 8]
        layers:
          - conv_transpose: {filters: 8, kernel: 3, stride: 2, padding: 1, output_padding: 1}

    Fix: use a kernel divisible by the stride (kernel 4, stride 2, padding 1), or resize
    (upsample, nearest or bilinear) and then convolve.

    Reference: Odena, Dumoulin & Olah, "Deconvolution and Checkerboard Artifacts",
    Distill, 2016.
    """
    for row in subject.rows:
        layer = row.node.layer
        if not layer.is_transposed:
            continue
        names = grouped_windows(tuple(
            Window(n, k, s, 0, 0, 1, FLOOR) for n, k, s in
            zip(row.input_shape[1:], layer.kernel, layer.stride)))  # type: ignore[attr-defined]
        for axes, window in names:
            if window.stride > 1 and window.kernel % window.stride:
                yield Finding(row.node.location,
                              f"{label(row.node)}: kernel {window.kernel} is not divisible "
                              f"by stride {window.stride} on {axes}: outputs receive uneven "
                              f"numbers of contributions (checkerboard artifacts)", row.node)


@rule("S110", "dense-on-spatial-input", WARNING)
def dense_on_spatial_input(subject: Subject) -> Iterator[Finding]:
    """A dense layer whose input still has spatial axes: it mixes the last axis only.

    Why: a dense layer (PyTorch's nn.Linear, Keras' Dense) maps the last axis and treats
    every other axis as a batch. On [C, H, W] it mixes along W alone; after a global pool
    that keeps its axes ([C, 1, 1], PyTorch's keepdim), `dense: {units: 10}` reads one
    feature and gives [C, 1, 10], not the 10 class scores meant, and every figure after it
    follows silently. PyTorch itself would refuse the latter: nn.Linear(8, 10) on a
    [N, 8, 1, 1] tensor raises "mat1 and mat2 shapes cannot be multiplied".

    Example:
        input: [3, 32, 32]
        layers:
          - conv: {filters: 8, kernel: 3, padding: 1}
          - global_avgpool          # [8, 1, 1]
          - dense: {units: 10}      # [8, 1, 10], not [10]

    Fix: add `flatten` before the dense layer (torchvision's nets call torch.flatten(x, 1)
    between the pool and the classifier), or give the global pool `keepdims: false`.

    Reference: PyTorch nn.Linear ("Input: (*, H_in) ... Output: (*, H_out)"); checked
    against torch 2.14.1: Linear(8, 10) maps [2, 8, 1, 8] to [2, 8, 1, 10].
    """
    for row in subject.rows:
        node = row.node
        if not node.layer.acts_on_last_axis or len(row.input_shape) < 2:
            continue
        producers = subject.fed_by(node)
        also = f" (or keepdims: false on {label(producers[0])})" \
            if len(producers) == 1 and producers[0].layer.is_global else ""
        yield Finding(node.location,
                      f"{label(node)}: its input {shape_str(row.input_shape)} has spatial "
                      f"axes, and a dense layer mixes the last axis only "
                      f"({row.input_shape[-1]} feature{'s' * (row.input_shape[-1] != 1)}): "
                      f"the output is "
                      f"{shape_str(row.output_shape)}; add flatten before it{also}", node)
