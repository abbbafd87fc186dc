"""Every elementwise activation and the PyTorch module it stands for: one row per kind.

Adding an activation to cnncalc is its class in cnncalc/layers/activation.py and one row
here. tests/reference/make_executor_reference.py records, for each row, PyTorch's output and
gradients (case `act_<kind>`, inputs scaled by 4 so that every piece of a piecewise function
is reached); tests/test_activations.py checks the executor against them, the calculator's
shape and counts, and that no registered activation lacks a row.
"""
from __future__ import annotations

# (cnncalc layer entry, PyTorch module: a Python expression over `nn` = torch.nn)
ACTIVATIONS: list[tuple[str, str]] = [
    ("relu", "nn.ReLU()"),
    ("relu6", "nn.ReLU6()"),
    ("sigmoid", "nn.Sigmoid()"),
    ("tanh", "nn.Tanh()"),
    ("gelu", "nn.GELU()"),
    ("silu", "nn.SiLU()"),
    ("hardswish", "nn.Hardswish()"),
    ("hardsigmoid", "nn.Hardsigmoid()"),
    ("leaky_relu: {negative_slope: 0.1}", "nn.LeakyReLU(0.1)"),
]


def kind(entry: str) -> str:
    """The layer kind an entry names: 'elu: {alpha: 0.5}' -> 'elu'."""
    return entry.split(":")[0].strip()
