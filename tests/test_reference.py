"""cnncalc against PyTorch: figures recorded by tests/reference/make_reference.py.

layers.json: single layers (output shape, parameters, running statistics, MACs from
FlopCounterMode / 2). models.json: torchvision's networks and a U-Net and LeNet-5 built in
PyTorch (totals, every conv/dense/transposed-conv layer's output shape and parameters in
forward order, and the receptive field measured empirically by back-propagation).
"""
import json

import pytest
from conftest import EXAMPLES, REFERENCE, analyze_layers

from cnncalc import analyze_file

LAYERS = json.loads((REFERENCE / "layers.json").read_text())
MODELS = json.loads((REFERENCE / "models.json").read_text())


@pytest.mark.parametrize("case", LAYERS, ids=[c["id"] for c in LAYERS])
def test_single_layer_matches_pytorch(case):
    top = {"framework": case["framework"]} if case.get("framework") else {}
    # a layer that reads an earlier one (maxunpool, its pool) is the last of its `before`
    row = analyze_layers([*case.get("before", []), case["layer"]], case["input"],
                         **top).rows[-1]
    assert list(row.output_shape) == case["output_shape"]
    assert row.weights == case["params"]
    assert row.buffers == case["buffers"]
    if case["macs"] is not None:
        assert row.macs == case["macs"]


def test_reference_covers_every_layer_kind():
    from cnncalc.layers import LAYERS as REGISTRY

    names = [c["layer"] if isinstance(c["layer"], str) else next(iter(c["layer"]))
             for c in LAYERS]
    kinds = {REGISTRY[name].kind for name in names}
    assert kinds == {cls.kind for cls in REGISTRY.values()}


# torch module types whose outputs cnncalc rows must match, one to one and in order
COMPARED = {"Conv1d": "conv", "Conv2d": "conv", "Conv3d": "conv", "Linear": "dense",
            "ConvTranspose2d": "conv_transpose", "MaxPool2d": "maxpool"}


@pytest.fixture(scope="module", params=sorted(MODELS))
def model(request):
    return request.param, MODELS[request.param], analyze_file(EXAMPLES / f"{request.param}.yaml")


def main_path(analysis):
    """The rows the main output depends on: the inference graph. models.json records each
    torchvision model in eval mode, where GoogLeNet runs without its auxiliary heads (its
    side outputs in examples/googlenet.yaml; graphs.json records them); for every other
    example this is every row."""
    network = analysis.network
    return [analysis.rows[i] for i in network.ancestors(network.outputs[0])]


def test_totals(model):
    _name, ref, analysis = model
    rows = main_path(analysis)
    assert sum(r.weights for r in rows) == ref["params"]
    assert sum(r.buffers for r in rows) == ref["buffers"]
    assert sum(r.macs for r in rows) == ref["macs"]
    assert (analysis.outputs[0].params, analysis.outputs[0].macs) == (ref["params"],
                                                                      ref["macs"])
    if len(rows) == len(analysis.rows):
        assert (analysis.totals.params, analysis.totals.macs) == (ref["params"], ref["macs"])
    assert list(analysis.output_shape) == ref["output_shape"]
    assert list(analysis.input_shape) == ref["input"]


def test_every_weighted_layer_in_order(model):
    _name, ref, analysis = model
    torch_layers = [(COMPARED[m["type"]], m["output_shape"], m["params"])
                    for m in ref["layers"] if m["type"] in COMPARED]
    ours = [(r.kind, list(r.output_shape), r.weights) for r in main_path(analysis)
            if r.kind in COMPARED.values()]
    assert ours == torch_layers


def test_receptive_field_measured_in_pytorch(model):
    _name, ref, analysis = model
    field = analysis.totals.rf
    rf = ref["rf"]
    if "per_position" in rf:  # upsampling: the field differs from one output to the next
        assert [f.size for f in field] == [rf["size_range"][1]] * 2
        for position in rf["per_position"]:
            for axis, key in enumerate(("rows", "cols")):
                i = position["index"][axis]
                assert [field[axis].lo(i), field[axis].hi(i)] == position[key]
        return
    assert [f.size for f in field] == rf["size"]
    assert [f.jump for f in field] == rf["jump"]
    assert [f.start for f in field] == rf["start"]


# Araujo, Norris & Sim, Distill 2019, table of receptive fields: where the architecture is the
# same as torchvision's. (network, size, jump, effective padding)
DISTILL = [("alexnet", 195, 32, None), ("vgg16", 212, 32, 90)]


@pytest.mark.parametrize("name,size,jump,padding", DISTILL)
def test_receptive_field_published(name, size, jump, padding):
    field = analyze_file(EXAMPLES / f"{name}.yaml").totals.rf
    assert all(f.size == size and f.jump == jump for f in field)
    if padding is not None:
        assert all(f.effective_padding == padding for f in field)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_examples_through_the_json_command(name):
    """The same figures through `cnncalc summary --format json`, the contract tools read."""
    import json as json_module

    from click.testing import CliRunner

    from cnncalc.cli import main

    result = CliRunner().invoke(main, ["summary", str(EXAMPLES / f"{name}.yaml"),
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json_module.loads(result.stdout)
    ref = MODELS[name]
    assert data["outputs"][0]["params"] == ref["params"]
    assert data["outputs"][0]["macs"] == ref["macs"]
    assert data["output_shape"] == ref["output_shape"]
    assert data["input_shape"] == ref["input"]
    if "per_position" not in ref["rf"]:
        assert {k: data["rf"][k] for k in ("size", "jump", "start")} == {
            k: ref["rf"][k] for k in ("size", "jump", "start")}
