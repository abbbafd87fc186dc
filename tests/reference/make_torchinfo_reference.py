"""Record torchinfo's summary of torchvision models: its memory figures, mult-adds and its
depth-1 rows, for tests/test_sizes.py and tests/test_depth.py to compare cnncalc with.

Needs torch 2.14.1, torchvision 0.29.1 and torchinfo 1.8.0, never a dependency of cnncalc;
install torchinfo into a throwaway environment, e.g.
    python -m venv --system-site-packages /tmp/tivenv && /tmp/tivenv/bin/pip install torchinfo==1.8.0
    /tmp/tivenv/bin/python tests/reference/make_torchinfo_reference.py
Writes tests/reference/torchinfo.json.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
import torchinfo
import torchvision

OUT = Path(__file__).resolve().parent / "torchinfo.json"

# (record name, model, batch, spatial size, mode): the inputs cnncalc's tests rebuild.
# GoogLeNet as examples/googlenet.yaml is: with its aux heads, which run in train mode only.
CASES = [
    ("resnet18_224_b1", lambda: torchvision.models.resnet18(), 1, 224, "eval"),
    ("resnet18_224_b8", lambda: torchvision.models.resnet18(), 8, 224, "eval"),
    ("resnet18_64_b1", lambda: torchvision.models.resnet18(), 1, 64, "eval"),
    ("resnet50_224_b2", lambda: torchvision.models.resnet50(), 2, 224, "eval"),
    ("googlenet_224_b1", lambda: torchvision.models.googlenet(aux_logits=True,
                                                              init_weights=False), 1, 224,
     "train"),
]


def record(make, batch: int, size: int, mode: str) -> dict:
    torch.manual_seed(0)
    model = make()
    stats = torchinfo.summary(model, input_size=(batch, 3, size, size), depth=1, verbose=0,
                              col_names=("output_size", "num_params", "params_percent"),
                              mode=mode)
    children = [{"name": info.var_name, "type": info.class_name,
                 "params": sum(p.numel() for p in info.module.parameters())}
                for info in stats.summary_list if info.depth == 1]
    return {
        "batch": batch, "input": [3, size, size],
        "total_params": stats.total_params, "trainable_params": stats.trainable_params,
        "total_mult_adds": stats.total_mult_adds,
        "input_bytes": stats.total_input,
        "forward_backward_bytes": stats.total_output_bytes,
        "param_bytes": stats.total_param_bytes,
        "depth1": children,
        "text": str(stats).splitlines(),
    }


def main() -> None:
    data = {"torch": torch.__version__, "torchvision": torchvision.__version__,
            "torchinfo": torchinfo.__version__,
            "models": {name: record(make, batch, size, mode)
                       for name, make, batch, size, mode in CASES}}
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
