"""Record, per output position, the input pixels read by 2-D chains of layers that move
pixels (pixel shuffle and unshuffle, issue 9), measured in PyTorch.

Run (from the repository root, with a Python that has torch):

    python tests/reference/make_moving_rf_reference.py

Writes ``moving_fields.json`` next to itself. Each chain is built from torch modules with
every weight 1 and no bias, in float64, so the gradient of an output position (summed over
its channels) with respect to the input is non-zero exactly on the pixels it reads. For
every output row (at the middle column) the JSON lists [first, last] input row read, and
for every output column (at the middle row) [first, last] input column, or null when
nothing is read. No receptive-field formula is used here. The max-unpool chains (marked
``within``) list, per output row, the union over its columns of the pixels read for one
random input, and likewise per column: the field must contain them.
"""

import json
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))

CHAINS = [
    ("shuffle2-conv3-unshuffle2-conv3s2-shuffle3", [4, 10, 12], [
        {"pixel_shuffle": {"factor": 2}},
        {"conv": {"filters": 4, "kernel": 3, "padding": 1}},
        {"pixel_unshuffle": {"factor": 2}},
        {"conv": {"filters": 9, "kernel": 3, "stride": 2}},
        {"pixel_shuffle": {"factor": 3}}]),
    ("shuffle3-conv2-conv2s2", [9, 8, 7], [
        {"pixel_shuffle": {"factor": 3}},
        {"conv": {"filters": 2, "kernel": 2}},
        {"conv": {"filters": 2, "kernel": 2, "stride": 2}}]),
    ("conv3s2-unshuffle3-conv1-shuffle2", [2, 25, 19], [
        {"conv": {"filters": 2, "kernel": 3, "stride": 2}},
        {"pixel_unshuffle": {"factor": 3}},
        {"conv": {"filters": 8, "kernel": 1}},
        {"pixel_shuffle": {"factor": 2}}]),
]


def module(entry, channels):
    (kind, args), = entry.items()
    if kind == "pixel_shuffle":
        return nn.PixelShuffle(args["factor"]), channels // args["factor"] ** 2
    if kind == "pixel_unshuffle":
        return nn.PixelUnshuffle(args["factor"]), channels * args["factor"] ** 2
    if kind == "conv":
        m = nn.Conv2d(channels, args["filters"], args["kernel"], args.get("stride", 1),
                      args.get("padding", 0), bias=False)
        with torch.no_grad():
            m.weight.fill_(1.0)
        return m, args["filters"]
    raise ValueError(kind)


def extent(g):
    nonzero = torch.nonzero(g).flatten()
    return [int(nonzero[0]), int(nonzero[-1])] if len(nonzero) else None


def measure(shape, entries):
    modules, channels = [], shape[0]
    for entry in entries:
        m, channels = module(entry, channels)
        modules.append(m)
    net = nn.Sequential(*modules).double()
    x = torch.ones(1, *shape, dtype=torch.float64, requires_grad=True)
    y = net(x)[0].sum(0)  # each position, its channels summed
    rows, cols = [], []
    for h in range(y.shape[0]):
        (g,) = torch.autograd.grad(y[h, y.shape[1] // 2], x, retain_graph=True)
        rows.append(extent(g[0].abs().sum((0, 2))))
    for w in range(y.shape[1]):
        (g,) = torch.autograd.grad(y[y.shape[0] // 2, w], x, retain_graph=True)
        cols.append(extent(g[0].abs().sum((0, 1))))
    return rows, cols


class ConvPoolConvUnpool(nn.Module):
    """conv 3x3 -> max pool (indices) -> conv 3x3 p1 -> max unpool, weights 1."""

    def __init__(self, kernel, stride, padding):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 1, 3, bias=False)
        self.pool = nn.MaxPool2d(kernel, stride, padding, return_indices=True)
        self.conv2 = nn.Conv2d(1, 1, 3, padding=1, bias=False)
        self.unpool = nn.MaxUnpool2d(kernel, stride, padding)
        for conv in (self.conv1, self.conv2):
            with torch.no_grad():
                conv.weight.fill_(1.0)

    def forward(self, x):
        y = self.conv1(x)
        pooled, indices = self.pool(y)
        return self.unpool(self.conv2(pooled), indices, output_size=y.shape[2:])


# The unpool's field depends on the data (which window's maximum lands where), which a
# gradient cannot show: for a random input the measured pixels must lie within the field.
UNPOOL_CHAINS = [
    ("conv3-maxpool2-conv3-unpool", [1, 18, 17], (2, 2, 0)),
    ("conv3-maxpool3s2p1-conv3-unpool", [1, 19, 16], (3, 2, 1)),
]


def unpool_layers(kernel, stride, padding):
    return [{"conv": {"filters": 1, "kernel": 3}},
            {"maxpool": {"kernel": kernel, "stride": stride, "padding": padding},
             "name": "p"},
            {"conv": {"filters": 1, "kernel": 3, "padding": 1}},
            {"maxunpool": {"indices": "p"}}]


def measure_unpool(shape, pool):
    torch.manual_seed(0)
    net = ConvPoolConvUnpool(*pool).double()
    x = torch.randn(1, *shape, dtype=torch.float64, requires_grad=True)
    y = net(x)[0].sum(0)
    rows, cols = [], []
    for h in range(y.shape[0]):
        row = [extent(torch.autograd.grad(y[h, w], x, retain_graph=True)[0][0].abs()
                      .sum((0, 2))) for w in range(y.shape[1])]
        rows.append(_union(row))
    for w in range(y.shape[1]):
        col = [extent(torch.autograd.grad(y[h, w], x, retain_graph=True)[0][0].abs()
                      .sum((0, 1))) for h in range(y.shape[0])]
        cols.append(_union(col))
    return rows, cols


def _union(extents):
    found = [e for e in extents if e]
    return [min(e[0] for e in found), max(e[1] for e in found)] if found else None


def main():
    data = []
    for name, shape, entries in CHAINS:
        rows, cols = measure(shape, entries)
        data.append({"id": name, "input": shape, "layers": entries, "rows": rows,
                     "cols": cols})
    for name, shape, pool in UNPOOL_CHAINS:
        rows, cols = measure_unpool(shape, pool)
        data.append({"id": name, "input": shape, "layers": unpool_layers(*pool),
                     "rows": rows, "cols": cols, "within": True})
    path = os.path.join(HERE, "moving_fields.json")
    with open(path, "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(c, sort_keys=True) for c in data) + "\n]\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
