"""The four examples of issue 9 (the original U-Net, SegNet, ESPCN, CycleGAN's ResNet
generator) against the PyTorch nets of tests/reference/make_example_reference.py, whose
figures are in tests/reference/examples9.json: totals (params, trainable params, running
statistics, conv MACs, output shape), every conv / transposed conv / pool / unpool / pixel
shuffle / reflection pad / crop in forward order with its output shape, params and MACs, and
a run forward and backward at a reduced input size whose executed shapes are PyTorch's.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, REFERENCE

from cnncalc import analyze_file
from cnncalc.cli import main

NETS: dict[str, Any] = json.loads((REFERENCE / "examples9.json").read_text())["nets"]

# PyTorch module type -> the cnncalc kind whose rows must match it, one to one and in order
# (CenterCrop: the reference script's centred crop of a U-Net skip)
COMPARED = {"Conv2d": "conv", "ConvTranspose2d": "conv_transpose", "MaxPool2d": "maxpool",
            "MaxUnpool2d": "maxunpool", "PixelShuffle": "pixel_shuffle",
            "ReflectionPad2d": "reflection_pad", "CenterCrop": "cropping"}


@pytest.fixture(scope="module", params=sorted(NETS))
def example(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any], Any]:
    name = request.param
    return name, NETS[name], analyze_file(EXAMPLES / f"{name}.yaml")


def test_totals(example: tuple[str, dict[str, Any], Any]) -> None:
    _, ref, analysis = example
    assert list(analysis.input_shape) == ref["input"]
    assert list(analysis.output_shape) == ref["output_shape"]
    assert sum(r.weights for r in analysis.rows) == ref["params"]
    assert sum(r.buffers for r in analysis.rows) == ref["buffers"]
    assert sum(r.macs for r in analysis.rows) == ref["macs"]
    totals = analysis.totals
    assert (totals.params, totals.trainable_params, totals.buffers, totals.macs) == (
        ref["params"], ref["trainable_params"], ref["buffers"], ref["macs"])


def test_every_compared_layer_in_order(example: tuple[str, dict[str, Any], Any]) -> None:
    _, ref, analysis = example
    torch_layers = [(COMPARED[m["type"]], m["output_shape"], m["params"], m["macs"] or 0)
                    for m in ref["layers"] if m["type"] in COMPARED]
    ours = [(r.kind, list(r.output_shape), r.weights, r.macs) for r in analysis.rows
            if r.kind in COMPARED.values()]
    assert ours == torch_layers


@pytest.mark.parametrize("name", sorted(NETS))
def test_the_spec_states_its_figures_and_they_hold(name: str) -> None:
    """Each example's own `expect:` (output shape, params, MACs) is PyTorch's, and holds."""
    import yaml

    expect = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())["expect"]
    ref = NETS[name]
    assert (expect["output_shape"], expect["params"], expect["macs"]) == (
        ref["output_shape"], ref["params"], ref["macs"])
    result = CliRunner().invoke(main, ["summary", str(EXAMPLES / f"{name}.yaml")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", sorted(NETS))
def test_run_backward_at_the_reduced_size(name: str) -> None:
    reduced = NETS[name]["reduced"]
    args = ["run", str(EXAMPLES / f"{name}.yaml"), "--backward", "--format", "json",
            "--batch", "2", "--input-size", reduced["size"]]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and all(layer["match"] for layer in report["layers"])
    assert all(layer["backward_ms"] is not None for layer in report["layers"])
    assert report["input_shape"] == reduced["input"]
    assert report["output_shape"] == reduced["output_shape"]
    want = [(COMPARED[m["type"]], m["output_shape"]) for m in reduced["layers"]
            if m["type"] in COMPARED]
    executed = [(layer["kind"], layer["executed"]) for layer in report["layers"]
                if layer["kind"] in COMPARED.values()]
    assert executed == want
