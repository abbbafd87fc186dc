"""Record PyTorch's pooling output sizes over a grid of small 1-D configurations.

Run (from the repository root, with a Python that has torch):

    python tests/reference/make_window_reference.py

Writes ``windows.json`` next to itself: for MaxPool1d and AvgPool1d, every
(N, K, s, p, ceil_mode) with N 1..7, K 1..5, s 1..4, p 0..3 (MaxPool1d also
with dilation 2), what PyTorch 2.14 answers: the output length, or the refusal
(``"padding"`` when it rejects pad > kernel/2, ``"empty"`` when the output
would have no element). One row per case, columns named in ``columns``. Nothing but torch's own answer reaches
the JSON; the test compares cnncalc's floor and pytorch-ceil rules to it.
"""

import json
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


def answer(module, n):
    try:
        return int(module(torch.zeros(1, 1, n)).shape[-1])
    except RuntimeError as err:
        text = str(err)
        if "should be at most half" in text:
            return "padding"
        if "too small" in text or "Invalid computed output size" in text:
            return "empty"
        raise


def cases():
    for kind in ("maxpool", "avgpool"):
        for d in ((1, 2) if kind == "maxpool" else (1,)):
            for n in range(1, 8):
                for k in range(1, 6):
                    for s in range(1, 5):
                        for p in range(4):
                            for ceil in (False, True):
                                if kind == "maxpool":
                                    m = nn.MaxPool1d(k, s, p, dilation=d, ceil_mode=ceil)
                                else:
                                    m = nn.AvgPool1d(k, s, p, ceil_mode=ceil)
                                yield [kind, n, k, s, p, d, ceil, answer(m, n)]


def main():
    rows = list(cases())
    path = os.path.join(HERE, "windows.json")
    with open(path, "w") as f:
        # one case a line: small, and a diff shows which answers changed
        f.write('{"columns": ["kind", "n", "kernel", "stride", "padding", "dilation", '
                '"ceil_mode", "output"],\n "rows": [\n')
        f.write(",\n".join(json.dumps(r) for r in rows) + "\n]}\n")
    print("wrote", path, len(rows), "cases")


if __name__ == "__main__":
    main()
