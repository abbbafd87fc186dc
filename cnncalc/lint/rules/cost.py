"""P: parameters and cost. Weights that do nothing, and weight concentrated in one layer."""
from __future__ import annotations

import math
from collections.abc import Iterator

from ...layers import Layer
from ..diagnostic import Severity
from ..registry import Finding, rule
from ..subject import Subject, label, percent

# "Most" with a margin: in a conv stack that doubles its channels per stage, the last conv
# holds about half of the parameters by construction, which is no design mistake.
DOMINANT_SHARE = 0.6


def bias_count(layer: Layer) -> int:
    """How many bias parameters the layer has (0 without one)."""
    bias = layer.param_shapes().get("bias")
    return math.prod(bias) if bias else 0


@rule("P101", "bias-before-batchnorm", Severity.WARNING)
def bias_before_batchnorm(subject: Subject) -> Iterator[Finding]:
    """A conv or dense layer with a bias whose output goes only into batch norm.

    Why: batch norm subtracts each channel's mean, so a per-channel bias added just before
    it is cancelled exactly; batch norm's own shift (beta) does its job. The bias
    parameters are trained, stored and added for nothing.

    Example:
        layers:
          - conv: {filters: 64, kernel: 3, padding: 1}    # bias: true by default
          - batchnorm

    Fix: `bias: false` on the layer before batch norm.

    Reference: Ioffe & Szegedy, "Batch Normalization", ICML 2015, section 3.2 ("the bias b
    can be ignored since its effect will be canceled by the subsequent mean
    subtraction").
    """
    for row in subject.rows:
        node = row.node
        count = bias_count(node.layer)
        consumers = subject.feeds(node)
        if (count and node.layer.is_affine_map
                and count == row.output_shape[0] and consumers
                and all(c.layer.normalises_channels for c in consumers)):
            yield Finding(node.location,
                          f"{label(node)}: its bias feeds only {label(consumers[0])}, whose "
                          f"mean subtraction cancels it: {count:,} wasted parameters "
                          f"(bias: false)", node)


@rule("P102", "dominant-layer", Severity.WARNING)
def dominant_layer(subject: Subject) -> Iterator[Finding]:
    """One conv or dense layer holding most (over 60%) of the network's parameters.

    Why: a layer that big dominates memory, download size and overfitting risk while
    usually doing a small share of the work; it is typically the first dense layer after
    a large flattened feature map. VGG-16's first dense layer holds 74% of its 138M
    parameters; global average pooling before the classifier removes nearly all of them.

    Example:
        input: [3, 64, 64]
        layers:
          - conv: {filters: 32, kernel: 3, padding: 1}
          - flatten                                   # 131,072 features
          - dense: {units: 10}                        # 1.3M of 1.3M parameters

    Fix: pool (global average pooling, or a smaller adaptive pool) before flattening, or
    reduce the dense layer's width. When it is by design (VGG, AlexNet), suppress it on the
    layer with `lint: {ignore: [P102]}`.

    Reference: Lin, Chen & Yan, "Network In Network", ICLR 2014, section 3.2 (global
    average pooling instead of dense layers).
    """
    total = subject.analysis.totals.params
    # a net with one conv or dense layer has nothing to balance against
    weighted = [r for r in subject.rows if r.weights and r.node.layer.is_affine_map]
    if total == 0 or len(weighted) < 2:
        return
    row = max(weighted, key=lambda r: r.weights)
    if row.weights > DOMINANT_SHARE * total:
        yield Finding(row.node.location,
                      f"{label(row.node)} holds {row.weights:,} of the {total:,} parameters "
                      f"({percent(row.weights, total)})", row.node)
