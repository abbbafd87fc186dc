"""O: layer order. Pairs of layers that undo or disturb each other."""
from __future__ import annotations

from collections.abc import Iterator

from ...build import Node
from ..diagnostic import Severity
from ..registry import Finding, rule
from ..subject import Subject, is_point, label


def sign_sources(subject: Subject) -> dict[int, tuple[Node, Node | None]]:
    """For each layer, by id: walking back through single-input layers that keep the sign
    and learn nothing (pooling, flatten, dropout, identity), the first layer that is not
    one, and the layer just after it on that path (None when the layer is itself not one).
    One pass in execution order, so no rule walks a long chain once per layer."""
    found: dict[int, tuple[Node, Node | None]] = {}
    for row in subject.rows:
        node = row.node
        sources = subject.fed_by(node)
        if node.layer.keeps_sign and len(sources) == 1:
            source = sources[0]
            origin, after = found.get(id(source), (source, None))
            found[id(node)] = (origin, after or node)
        else:
            found[id(node)] = (node, None)
    return found


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
        norms = [c for c in subject.feeds(node) if c.layer.normalises_channels]
        if node.layer.drops_in_training and norms:
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
        if node.layer.is_activation and len(sources) == 1 and sources[0].layer.is_activation:
            yield Finding(node.location, f"{label(node)} directly follows "
                                         f"{label(sources[0])}", node)


@rule("O103", "activation-on-logits", Severity.WARNING)
def activation_on_logits(subject: Subject) -> Iterator[Finding]:
    """An activation between the final layer and the softmax (or cross-entropy) head, also
    when pooling, flatten, dropout or identity layers stand between them.

    Why: a softmax, or a cross-entropy loss that applies it, expects raw logits of any
    sign. A ReLU there clips every negative logit to 0, so classes can no longer be ruled
    out strongly, and a class whose scores are negative everywhere gets no gradient (the
    ReLU passes none back), so it cannot recover. Pooling after the activation changes
    nothing: an average or maximum of non-negative values is non-negative. torchvision's
    SqueezeNet ends this way on purpose (final 1x1 conv, ReLU, adaptive average pool) and
    trains, but its logits are never negative; say so with `lint: {ignore: [O103]}` on the
    activation when it is meant.

    Example:
        layers:
          - conv: {filters: 10, kernel: 1}
          - relu          # the logits pass through ReLU: they can never be negative
          - global_avgpool
          - flatten
          - softmax

    Fix: remove the activation after the last dense (or conv) layer.

    Reference: Goodfellow, Bengio & Courville, "Deep Learning", section 6.2.2.3 (softmax
    units for multinoulli output distributions); torchvision models/squeezenet.py
    (classifier: Dropout, Conv2d 1x1, ReLU, AdaptiveAvgPool2d).
    """
    sources = sign_sources(subject)
    for row in subject.rows:
        node = row.node
        if not node.layer.makes_probabilities:
            continue
        for producer in subject.fed_by(node):
            origin, after = sources[id(producer)]
            if not origin.layer.is_activation:
                continue
            if after is None:
                yield Finding(origin.location, f"{label(origin)} feeds {label(node)}: the "
                                               f"logits are bent before the softmax", origin)
            else:
                yield Finding(origin.location, f"{label(origin)} bends the logits before "
                                               f"{label(after)} and {label(node)}: "
                                               f"{_consequence(origin)}", origin)
    for node in subject.outputs:  # a vector of scores: a classifier's logits
        if not is_point(node.output_shape):
            continue
        origin, after = sources[id(node)]
        if not origin.layer.is_rectifier:
            continue
        if after is None:
            yield Finding(node.location, f"{label(node)} is the network's last layer: the "
                                         f"logits a cross-entropy loss takes are clipped", node)
            continue
        # looked through pooling: only when the rectifier bends what a conv or dense layer
        # made; after batch norm or an add, a backbone ending in pooling gives features
        made = subject.fed_by(origin)
        if len(made) == 1 and made[0].layer.is_affine_map:
            yield Finding(origin.location, f"{label(origin)} bends the logits of "
                                           f"{label(made[0])} before {label(after)} and the "
                                           f"network's output: {_consequence(origin)}", origin)


def _consequence(activation: Node) -> str:
    if activation.layer.is_non_negative:
        return "they can never be negative, and a class scored below 0 everywhere gets no " \
               "gradient"
    return "negative logits are squashed towards 0"
