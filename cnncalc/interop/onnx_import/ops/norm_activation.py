"""Normalisation and activations: a kind each, its constants written where they are not
PyTorch's defaults; constants with no cnncalc kind are refused by name."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..attributes import has_input, is_close, is_pytorch_hardsigmoid, short_number
from .translator import Translator

if TYPE_CHECKING:
    from ..walk import Importer


def _eps(args: dict[str, Any], attrs: dict[str, Any]) -> None:
    """A norm's epsilon into `args` where it is not PyTorch's 1e-5."""
    eps = short_number(attrs.get("epsilon", 1e-5))
    if not is_close(eps, 1e-5):
        args["eps"] = eps


def batch_normalization(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    args: dict[str, Any] = {}
    _eps(args, attrs)
    momentum = short_number(1 - short_number(attrs.get("momentum", 0.9)))
    if not is_close(momentum, 0.1):
        args["momentum"] = momentum
    imp.emit(index, node, "batchnorm", args, [node.input[0]])


def instance_normalization(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    # ONNX always takes a scale and a shift; constant ones and zeros are PyTorch's
    # affine=False (its default), which learns nothing
    args: dict[str, Any] = {"affine": not imp.identity_affine(node)}
    _eps(args, attrs)
    imp.emit(index, node, "instancenorm", args, [node.input[0]])


def layer_normalization(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    dims = imp.weight_dims(node.input[1], index, node)
    axis, _ = imp.absolute_axis(index, node, int(attrs.get("axis", -1)))
    if axis < 1:
        raise imp.problem(index, node, "normalising over the batch axis has no cnncalc kind")
    args: dict[str, Any] = {}
    if axis > 1:
        args["normalized_shape"] = [int(d) for d in dims] if len(dims) > 1 else int(dims[0])
    if not has_input(node, 2):
        args["bias"] = False
    _eps(args, attrs)
    imp.emit(index, node, "layernorm", args, [node.input[0]])


def lrn(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    args = {"size": int(attrs["size"]), "alpha": short_number(attrs.get("alpha", 1e-4)),
            "beta": short_number(attrs.get("beta", 0.75)),
            "k": short_number(attrs.get("bias", 1.0))}
    imp.emit(index, node, "local_response_norm", args, [node.input[0]])


# -- activations ---------------------------------------------------------------------------
def with_alpha(kind: str, default: float, arg: str) -> Translator:
    """The translator of an activation with one constant, ONNX's `alpha`: written as `arg`
    where it is not PyTorch's `default`."""
    def translate(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
        alpha = short_number(attrs.get("alpha", default))
        imp.emit(index, node, kind, {} if is_close(alpha, default) else {arg: alpha},
                 [node.input[0]])
    return translate


def gelu(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    approximate = attrs.get("approximate", b"none")
    if approximate not in (b"none", "none"):
        raise imp.problem(index, node, "approximate='tanh' GELU has no cnncalc kind")
    imp.emit(index, node, "gelu", {}, [node.input[0]])


def selu(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    if not (is_close(attrs.get("alpha", 1.67326319), 1.67326319) and
            is_close(attrs.get("gamma", 1.05070102), 1.05070102)):
        raise imp.problem(index, node, "a SELU with other constants has no cnncalc kind")
    imp.emit(index, node, "selu", {}, [node.input[0]])


def hard_sigmoid(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    if not is_pytorch_hardsigmoid(attrs):
        raise imp.problem(index, node, "only alpha=1/6, beta=0.5 (PyTorch's Hardsigmoid) has a "
                          "cnncalc kind")
    imp.emit(index, node, "hardsigmoid", {}, [node.input[0]])


def prelu(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    dims = imp.weight_dims(node.input[1], index, node)
    count = math.prod(dims)
    imp.emit(index, node, "prelu", {} if count == 1 else {"num_parameters": int(count)},
             [node.input[0]])


def clip(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    low, high = attrs.get("min"), attrs.get("max")
    if has_input(node, 1):
        low = imp.first_value(node.input[1], index, node)
    if has_input(node, 2):
        high = imp.first_value(node.input[2], index, node)
    if low == 0 and high == 6:
        imp.emit(index, node, "relu6", {}, [node.input[0]])
    elif low == 0 and high is None:
        imp.emit(index, node, "relu", {}, [node.input[0]])
    elif low is not None and high is not None and low < high:
        imp.emit(index, node, "hardtanh",
                 {"min_val": short_number(low), "max_val": short_number(high)},
                 [node.input[0]])
    else:
        raise imp.problem(index, node, f"a clip to [{low}, {high}] has no cnncalc kind")


def softmax_over(kind: str) -> Translator:
    """The translator of Softmax or LogSoftmax (`kind`): over one axis, not the batch's."""
    def translate(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
        axis, rank = imp.absolute_axis(index, node,
                                       int(attrs.get("axis", -1 if imp.opset >= 13 else 1)))
        if axis < 1:
            raise imp.problem(index, node, "a softmax over the batch axis has no cnncalc kind")
        if imp.opset < 13 and axis != rank - 1:  # before opset 13: over axes axis.. at once
            raise imp.problem(index, node, f"a softmax over axes {axis} to {rank - 1} together "
                              f"(opset {imp.opset}) has no cnncalc kind")
        imp.emit(index, node, kind, {} if axis == 1 else {"axis": axis - 1}, [node.input[0]])
    return translate
