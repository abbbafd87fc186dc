"""Every ONNX op cnncalc reads, mapped to its translator (see translator.py), by family.
An op not in this table stops the import with a located message naming it."""
from __future__ import annotations

from . import aliases, conv_pool, merge, norm_activation, reshape
from .norm_activation import softmax_over, with_alpha
from .translator import Translator, plain

TRANSLATORS: dict[str, Translator] = {
    # constants and aliases
    "Constant": aliases.constant,
    "Identity": aliases.identity,
    "Dropout": aliases.dropout,
    # convolutions and dense layers
    "Conv": conv_pool.conv,
    "ConvTranspose": conv_pool.conv_transpose,
    "Gemm": conv_pool.gemm,
    "MatMul": conv_pool.mat_mul,
    # pooling
    "MaxPool": conv_pool.pooling("maxpool"),
    "AveragePool": conv_pool.pooling("avgpool"),
    "MaxUnpool": conv_pool.max_unpool,
    "GlobalAveragePool": plain("global_avgpool"),
    "GlobalMaxPool": plain("global_maxpool"),
    "LpPool": conv_pool.lppool,
    "ReduceMean": conv_pool.reduction("global_avgpool"),
    "ReduceMax": conv_pool.reduction("global_maxpool"),
    # normalisation
    "BatchNormalization": norm_activation.batch_normalization,
    "InstanceNormalization": norm_activation.instance_normalization,
    "LayerNormalization": norm_activation.layer_normalization,
    "LRN": norm_activation.lrn,
    # activations
    "Relu": plain("relu"),
    "Sigmoid": plain("sigmoid"),
    "Tanh": plain("tanh"),
    "HardSwish": plain("hardswish"),
    "Softplus": plain("softplus"),
    "Mish": plain("mish"),
    "Gelu": norm_activation.gelu,
    "LeakyRelu": with_alpha("leaky_relu", 0.01, "negative_slope"),
    "Elu": with_alpha("elu", 1.0, "alpha"),
    "Celu": with_alpha("celu", 1.0, "alpha"),
    "Selu": norm_activation.selu,
    "HardSigmoid": norm_activation.hard_sigmoid,
    "PRelu": norm_activation.prelu,
    "Clip": norm_activation.clip,
    "Softmax": softmax_over("softmax"),
    "LogSoftmax": softmax_over("log_softmax"),
    # shape
    "Flatten": reshape.flatten,
    "Reshape": reshape.reshape,
    "Pad": reshape.pad,
    "Resize": reshape.resize,
    "Transpose": reshape.transpose,
    "DepthToSpace": reshape.depth_to_space,
    "Slice": reshape.crop,
    "Squeeze": reshape.squeeze,
    # merges
    "Add": merge.elementwise("add"),
    "Sum": merge.elementwise("add"),
    "Mul": merge.elementwise("multiply"),
    "Concat": merge.concat,
}
