"""Record receptive fields of 1-D chains per output position, measured in PyTorch.

Run (from the repository root, with a Python that has torch):

    python tests/reference/make_rf_reference.py

Writes ``rf_chains.json`` next to itself. Each case is a chain of cnncalc layer
entries on a [1, N] input (framework pytorch); the same chain is built from
torch's Conv1d / ConvTranspose1d / AvgPool1d with one channel, every weight a
positive constant and no bias, in float64, so the gradient of an output
position with respect to the input is non-zero exactly on the input pixels it
reads (make_reference.py measures the models' fields the same way). For every
output position the JSON lists [first, last] nonzero input pixel, or null when
the gradient is zero everywhere: the output reads no input (a transposed conv
whose kernel is shorter than its stride leaves such outputs). No receptive-field
formula is used here.
"""

import json
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))

CHAINS = [
    ("convT-k2s3-conv3-convT-k1s2-conv3", 24, [
        {"conv_transpose": {"filters": 1, "kernel": 2, "stride": 3}},
        {"conv": {"filters": 1, "kernel": 3, "padding": 1}},
        {"conv_transpose": {"filters": 1, "kernel": 1, "stride": 2}},
        {"conv": {"filters": 1, "kernel": 3, "padding": 1}}]),
    ("convT-k1s3-conv2-avgpool2", 20, [
        {"conv_transpose": {"filters": 1, "kernel": 1, "stride": 3}},
        {"conv": {"filters": 1, "kernel": 2}},
        {"avgpool": {"kernel": 2, "stride": 2}}]),
    ("convT-k2s4d3-conv3", 20, [
        {"conv_transpose": {"filters": 1, "kernel": 2, "stride": 4, "dilation": 3}},
        {"conv": {"filters": 1, "kernel": 3, "padding": 1}}]),
    ("convT-k3s5p1-conv3s2-convT-k2s3-conv5", 24, [
        {"conv_transpose": {"filters": 1, "kernel": 3, "stride": 5, "padding": 1}},
        {"conv": {"filters": 1, "kernel": 3, "stride": 2}},
        {"conv_transpose": {"filters": 1, "kernel": 2, "stride": 3}},
        {"conv": {"filters": 1, "kernel": 5, "padding": 2}}]),
    ("convT-k1s2-conv1s2-reads-nothing", 16, [
        {"conv_transpose": {"filters": 1, "kernel": 1, "stride": 2}},
        {"conv": {"filters": 1, "kernel": 1, "stride": 2, "padding": 1}}]),
    ("convT-k2s5-convT-k2s3", 12, [
        {"conv_transpose": {"filters": 1, "kernel": 2, "stride": 5}},
        {"conv_transpose": {"filters": 1, "kernel": 2, "stride": 3}}]),
    ("convT-k4s2-conv2s3-convT-k1s4-avgpool3s2", 24, [
        {"conv_transpose": {"filters": 1, "kernel": 4, "stride": 2, "padding": 1}},
        {"conv": {"filters": 1, "kernel": 2, "stride": 3}},
        {"conv_transpose": {"filters": 1, "kernel": 1, "stride": 4}},
        {"avgpool": {"kernel": 3, "stride": 2}}]),
    # issue 9: Keras' cropping shifts the field by the pixels cut before
    # (no padding after a crop: padding there stands, in the unbounded input the field is
    # measured on, for pixels the crop cut, which PyTorch's zeros do not read)
    ("conv3-crop3-1-conv2s2-crop1-0-conv3", 24, [
        {"conv": {"filters": 1, "kernel": 3, "padding": 1}},
        {"cropping": {"cropping": [[3, 1]]}},
        {"conv": {"filters": 1, "kernel": 2, "stride": 2}},
        {"cropping": {"cropping": [[1, 0]]}},
        {"conv": {"filters": 1, "kernel": 3}}]),
]


class Crop(nn.Module):
    """Keras' Cropping1D: x[..., before:N - after]."""

    def __init__(self, before, after):
        super().__init__()
        self.before, self.after = before, after

    def forward(self, x):
        return x[..., self.before:x.shape[-1] - self.after]


def module(entry):
    (kind, args), = entry.items()
    if kind == "conv":
        m = nn.Conv1d(1, 1, args["kernel"], args.get("stride", 1), args.get("padding", 0),
                      args.get("dilation", 1), bias=False)
    elif kind == "conv_transpose":
        m = nn.ConvTranspose1d(1, 1, args["kernel"], args.get("stride", 1),
                               args.get("padding", 0), dilation=args.get("dilation", 1),
                               bias=False)
    elif kind == "cropping":
        (before, after), = args["cropping"]
        return Crop(before, after)
    elif kind == "avgpool":
        return nn.AvgPool1d(args["kernel"], args.get("stride", args["kernel"]))
    else:
        raise ValueError(kind)
    with torch.no_grad():
        m.weight.fill_(1.0)
    return m


def measure(n, entries):
    net = nn.Sequential(*(module(e) for e in entries)).double()
    x = torch.ones(1, 1, n, dtype=torch.float64, requires_grad=True)
    y = net(x)[0, 0]
    positions = []
    for i in range(y.shape[0]):
        (g,) = torch.autograd.grad(y[i], x, retain_graph=True)
        nonzero = torch.nonzero(g[0, 0]).flatten()
        positions.append([int(nonzero[0]), int(nonzero[-1])] if len(nonzero) else None)
    return positions


def main():
    data = [{"id": name, "input": [1, n], "layers": entries, "positions": measure(n, entries)}
            for name, n, entries in CHAINS]
    path = os.path.join(HERE, "rf_chains.json")
    with open(path, "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(c, sort_keys=True) for c in data) + "\n]\n")
    print("wrote", path, sum(len(c["positions"]) for c in data), "positions")


if __name__ == "__main__":
    main()
