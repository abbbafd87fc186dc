"""The graph examples against PyTorch: GoogLeNet with both auxiliary heads (train mode), the
U-Net with skips by name and the two-input net, recorded by
tests/reference/make_graph_reference.py in tests/reference/graphs.json."""
from __future__ import annotations

import json

import pytest
from conftest import EXAMPLES, REFERENCE

from cnncalc import analyze_file

NETS = json.loads((REFERENCE / "graphs.json").read_text())["nets"]

# torch module types -> the cnncalc kinds that stand for them, compared one to one in order
KINDS = {"Conv2d": {"conv"}, "ConvTranspose2d": {"conv_transpose"}, "Linear": {"dense"},
         "MaxPool2d": {"maxpool"},
         "AdaptiveAvgPool2d": {"adaptive_avgpool", "global_avgpool"},
         "F.adaptive_avg_pool2d": {"adaptive_avgpool", "global_avgpool"}}
COMPARED = set().union(*KINDS.values())


@pytest.fixture(scope="module", params=sorted(NETS))
def net(request):
    return NETS[request.param], analyze_file(EXAMPLES / f"{request.param}.yaml")


def test_totals_and_inputs(net):
    ref, analysis = net
    totals = analysis.totals
    assert (totals.params, totals.trainable_params, totals.buffers, totals.macs) == (
        ref["params"], ref["trainable_params"], ref["buffers"], ref["macs"])
    assert [(i.name, list(i.shape)) for i in analysis.network.inputs] == [
        (i["name"], i["shape"]) for i in ref["inputs"]]


def test_each_output_counts_what_it_depends_on(net):
    ref, analysis = net
    ours = [(o.name, list(o.shape), o.params, o.macs) for o in analysis.outputs]
    assert ours == [(o["name"], o["shape"], o["params"], o["macs"]) for o in ref["outputs"]]


def test_every_weighted_and_pooling_layer_in_order(net):
    ref, analysis = net
    torch_layers = [(m["type"], m["output_shape"], m["params"]) for m in ref["layers"]
                    if m["type"] in KINDS]
    ours = [r for r in analysis.rows if r.kind in COMPARED]
    assert len(ours) == len(torch_layers)
    for row, (kind, shape, params) in zip(ours, torch_layers):
        assert row.kind in KINDS[kind], (row.name, kind)
        assert (list(row.output_shape), row.weights) == (shape, params), row.name


@pytest.mark.parametrize("name", [n for n in sorted(NETS) if "per_position" not in
                                  NETS[n]["rf"]])
def test_main_output_receptive_field_measured_in_pytorch(name):
    """Measured by back-propagation from the main output's last spatial layer. With two
    inputs on one grid, the field is the larger of the two inputs' (both are recorded)."""
    rf = NETS[name]["rf"]
    analysis = analyze_file(EXAMPLES / f"{name}.yaml")
    field = analysis.outputs[0].rf
    assert analysis.outputs[0].rf_layer.split(".")[0] == rf["layer"]
    assert [f.size for f in field] == rf["size"]
    assert [f.jump for f in field] == rf["jump"]
    assert [f.start for f in field] == rf["start"]
    for per_input in rf.get("by_input", []):
        assert all(f.size >= size for f, size in zip(field, per_input["size"]))


def test_googlenet_states_its_outputs_as_the_issue_does():
    analysis = analyze_file(EXAMPLES / "googlenet.yaml")
    assert analysis.totals.params == 13_004_888
    assert analysis.totals.macs == 1_506_748_416
    main = analysis.outputs[0]
    assert [(f.size, f.jump) for f in main.rf] == [(379, 32)] * 2
    assert [o.name for o in analysis.outputs] == ["fc", "aux1", "aux2"]
    assert not analysis.mismatches
