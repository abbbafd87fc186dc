"""Export torchvision models to small, structure-only ONNX files for the import tests.

Run (from the repository root, with a Python that has torch, torchvision and onnx):

    python tests/reference/make_onnx_reference.py   (torch 2.14.1, torchvision 0.29.1)

For each of resnet18, resnet50, mobilenet_v2, googlenet, densenet121 and efficientnet_b0
(random weights; googlenet without its auxiliary heads, as torchvision's pretrained one),
the model is exported in eval mode with

    torch.onnx.export(model, x, path, dynamo=False, opset_version=17,
                      training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False)

PRESERVE keeps every BatchNormalization node: the default (eval) export folds batch norm
into the preceding conv, and its parameter count is then no longer PyTorch's. The
TorchScript exporter (dynamo=False) is used: it honours `training` and
`do_constant_folding`. The dynamo exporter (torch 2.9+'s default, dynamo=True) was tried and
needs the `onnxscript` package, which the reference machine does not have.

Weights are large, so every float initializer with more than 16 elements is stored
shape-only: its `dims` and `data_type` kept, its data removed. `onnx.checker` rejects such
a file ("should contain one and only one value field"), so the full export is checked
before it is stripped; onnxruntime cannot run it; `onnx.load` reads it, and `cnncalc import`
needs only the shapes (it reads `dims`, never the data of a weight). Small tensors (Clip bounds, Reshape shapes) keep
their values. Each file is a few tens of KB.

`onnx_models.json` records, per model, torchvision's parameter count
(sum of p.numel() over model.parameters()) and the conv + dense MACs of one 224x224 sample
measured by torch.utils.flop_counter.FlopCounterMode (FLOPs / 2; it counts only
convolution, mm, addmm and bmm: see make_reference.py). The tests never import torch.
"""
from __future__ import annotations

import json
from pathlib import Path

import onnx
import torch
import torchvision
from torch.utils.flop_counter import FlopCounterMode

HERE = Path(__file__).resolve().parent
OUT = HERE / "onnx"
MODELS = ("resnet18", "resnet50", "mobilenet_v2", "googlenet", "densenet121",
          "efficientnet_b0")
KEEP_ELEMENTS = 16  # tensors up to this size keep their values


def build(name: str) -> torch.nn.Module:
    """The torchvision model `name`, random weights, eval mode."""
    kwargs = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    torch.manual_seed(0)
    return getattr(torchvision.models, name)(weights=None, **kwargs).eval()


def macs(model: torch.nn.Module, x: torch.Tensor) -> int:
    """Conv + dense multiply-accumulates of one forward pass (FlopCounterMode / 2)."""
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    counted = {str(op).split(".")[1] for op in counter.get_flop_counts()["Global"]}
    assert counted <= {"convolution", "mm", "addmm", "bmm"}, counted
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return flops // 2


def strip(model: onnx.ModelProto) -> None:
    """Keep every large float initializer's dims and type, drop its data."""
    for tensor in model.graph.initializer:
        if tensor.data_type != onnx.TensorProto.FLOAT:
            continue
        count = 1
        for d in tensor.dims:
            count *= d
        if count > KEEP_ELEMENTS:
            tensor.ClearField("raw_data")
            tensor.ClearField("float_data")


def export(name: str) -> dict[str, object]:
    model = build(name)
    x = torch.randn(1, 3, 224, 224)
    path = OUT / f"{name}.onnx"
    torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=17,
                      training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False, input_names=["image"],
                      output_names=["logits"])
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)  # the full model; the stripped one no longer passes
    strip(proto)
    path.write_bytes(proto.SerializeToString())
    ops = sorted({node.op_type for node in proto.graph.node})
    return {"params": sum(p.numel() for p in model.parameters()),
            "macs": macs(model, x), "input": [3, 224, 224], "output": [1000],
            "onnx_nodes": len(proto.graph.node), "onnx_ops": ops,
            "bytes": path.stat().st_size}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    table = {name: export(name) for name in MODELS}
    table["_generated_with"] = {"torch": torch.__version__.split("+")[0],
                                "torchvision": torchvision.__version__.split("+")[0],
                                "onnx": onnx.__version__}
    (HERE / "onnx_models.json").write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    for name in MODELS:
        print(name, table[name])


if __name__ == "__main__":
    main()
