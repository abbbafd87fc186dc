"""Every elementwise activation, the PyTorch module it stands for, and the traits the lint
rules read from it: one row per kind.

Adding an activation to cnncalc is its class in cnncalc/layers/activation.py and one row
here. tests/reference/make_executor_reference.py records, for each row, PyTorch's output and
gradients (case `act_<kind>`, inputs scaled by 4 so that every piece of a piecewise function
is reached); tests/test_activations.py checks the executor against them, the class's traits,
and that no registered activation lacks a row.
"""
from __future__ import annotations

# Traits, worked by hand (every other trait of `Layer` false): a rectifier clips or bends
# the negative half; relu(x) >= 0, sigmoid's (0, 1) and softplus' (0, inf) are
# non-negative, while gelu, silu, hardswish and mish dip below 0 (minima about -0.17,
# -0.28, -0.375, -0.31) and elu, selu, celu and hardtanh saturate below 0.
RECTIFIER = {"is_activation", "is_rectifier"}
NON_NEGATIVE = {"is_activation", "is_non_negative"}

# (cnncalc layer entry, PyTorch module: a Python expression over `nn` = torch.nn, traits)
ACTIVATIONS: list[tuple[str, str, set[str]]] = [
    ("relu", "nn.ReLU()", RECTIFIER | NON_NEGATIVE),
    ("relu6", "nn.ReLU6()", RECTIFIER | NON_NEGATIVE),
    ("sigmoid", "nn.Sigmoid()", NON_NEGATIVE),
    ("tanh", "nn.Tanh()", {"is_activation"}),
    ("gelu", "nn.GELU()", RECTIFIER),
    ("silu", "nn.SiLU()", RECTIFIER),
    ("hardswish", "nn.Hardswish()", RECTIFIER),
    ("hardsigmoid", "nn.Hardsigmoid()", NON_NEGATIVE),
    ("leaky_relu: {negative_slope: 0.1}", "nn.LeakyReLU(0.1)", RECTIFIER),
    ("elu: {alpha: 0.5}", "nn.ELU(alpha=0.5)", RECTIFIER),
    ("selu", "nn.SELU()", RECTIFIER),
    ("celu: {alpha: 0.7}", "nn.CELU(alpha=0.7)", RECTIFIER),
    # beta x crosses the threshold at x = 2.5 (inputs are scaled by 4): both pieces run
    ("softplus: {beta: 2, threshold: 5}", "nn.Softplus(beta=2, threshold=5)",
     RECTIFIER | NON_NEGATIVE),
    ("mish", "nn.Mish()", RECTIFIER),
    # clips the negative half at min_val; its output is negative down to min_val
    ("hardtanh: {min_val: -2, max_val: 3}", "nn.Hardtanh(min_val=-2, max_val=3)", RECTIFIER),
]


def kind(entry: str) -> str:
    """The layer kind an entry names: 'elu: {alpha: 0.5}' -> 'elu'."""
    return entry.split(":")[0].strip()
