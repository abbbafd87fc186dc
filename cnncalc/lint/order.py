"""O: layer order. Pairs of layers that undo or disturb each other."""
from __future__ import annotations

from collections.abc import Iterator

from ..build import Node
from .diagnostic import Severity
from .registry import Finding, rule
from .subject import Subject, is_point, label

# Activations that clip or bend logits; sigmoid, tanh and softmax are output activations.
RECTIFIERS = ("relu", "relu6", "leaky_relu", "gelu", "silu", "hardswish")


def _activation(node: Node) -> bool:
    return node.layer.family == "activation" and node.layer.kind != "softmax"


@rule("O101", "dropout-before-batchnorm", Severity.WARNING)
def dropout_before_batchnorm(subject: Subject) -> Iterator[Finding]:
    """Dropout directly before batch norm.

    Why: dropout scales the surviving values by 1/(1 - p) in training and not at inference,
    so the variance batch norm sees in training differs from the one it meets at test
    time. Its running statistics are then wrong at inference ("variance shift"), which
    costs accuracy.

    Example:
        layers:
          - dropout: {p: 0.5}
          - batchnorm

    Fix: put dropout after the last batch norm (just before the classifier), or drop it.

    Reference: Li, Chen, Hu & Yang, "Understanding the Disharmony between Dropout and
    Batch Normalization by Variance Shift", CVPR 2019.
    """
    for row in subject.rows:
        node = row.node
        norms = [c for c in subject.feeds(node) if c.layer.kind == "batchnorm"]
        if node.layer.family == "regularization" and norms:
            yield Finding(node.location, f"{label(node)} feeds {label(norms[0])} directly: "
                                         f"batch norm's statistics shift between training "
                                         f"and inference", node)


@rule("O102", "double-activation", Severity.WARNING)
def double_activation(subject: Subject) -> Iterator[Finding]:
    """Two activations in a row.

    Why: most pairs add nothing (relu after relu is relu) or squash twice (sigmoid after
    tanh); it is almost always a slip, such as an activation inside a block and again after
    it.

    Example:
        layers:
          - conv: {filters: 16, kernel: 3, padding: 1}
          - relu
          - relu

    Fix: remove one of them.
    """
    for row in subject.rows:
        node = row.node
        sources = subject.fed_by(node)
        if _activation(node) and len(sources) == 1 and _activation(sources[0]):
            yield Finding(node.location, f"{label(node)} directly follows "
                                         f"{label(sources[0])}", node)


@rule("O103", "activation-on-logits", Severity.WARNING)
def activation_on_logits(subject: Subject) -> Iterator[Finding]:
    """An activation between the final layer and the softmax (or cross-entropy) head.

    Why: a softmax, or a cross-entropy loss that applies it, expects raw logits of any
    sign. A ReLU there clips every negative logit to 0, so classes can no longer be ruled
    out strongly, and an all-negative sample gives a flat distribution with no gradient.

    Example:
        layers:
          - dense: {units: 10}
          - relu          # before softmax, or last: the logits a loss takes are clipped
          - softmax

    Fix: remove the activation after the last dense (or conv) layer.

    Reference: Goodfellow, Bengio & Courville, "Deep Learning", section 6.2.2.3 (softmax
    units for multinoulli output distributions).
    """
    for row in subject.rows:
        node = row.node
        if node.layer.kind != "softmax":
            continue
        for source in subject.fed_by(node):
            if _activation(source):
                yield Finding(source.location, f"{label(source)} feeds {label(node)}: the "
                                               f"logits are bent before the softmax", source)
    for node in subject.outputs:  # a vector of scores: a classifier's logits
        if node.layer.kind in RECTIFIERS and is_point(node.output_shape):
            yield Finding(node.location, f"{label(node)} is the network's last layer: the "
                                         f"logits a cross-entropy loss takes are clipped", node)
