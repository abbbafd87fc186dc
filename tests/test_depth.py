"""Block subtotals (`--depth`), nesting in Markdown, and the JSON's blocks, inputs and
outputs.

The per-block figures are checked against PyTorch: tests/reference/models.json records every
leaf module of the torchvision model with its parameters and MACs; summed by the module's
first name component they are torchvision's `named_children()` counts (and torchinfo's
`depth=1` rows: its recorded tests/test_output/resnet18_depth_consistency.out shows
layer1 147,968 ... layer4 8,393,728 and, at depth 2, each BasicBlock).
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, REFERENCE

from cnncalc import analyze_file, analyze_text
from cnncalc.cli import main
from cnncalc.report import render, to_json
from cnncalc.subtotals import BlockTotal, at_depth, block_totals

MODELS = json.loads((REFERENCE / "models.json").read_text())
# named_children() as PyTorch counts it, recorded by tests/reference/make_graph_reference.py
# (GoogLeNet with its aux heads, as examples/googlenet.yaml is)
CHILDREN = json.loads((REFERENCE / "graphs.json").read_text())["children"]


def _children(model: str, figure: str) -> dict[str, int]:
    """PyTorch's figure per top-level child module: recorded per child where the graph
    reference has the model, else summed from the recorded leaf modules."""
    if model in CHILDREN:
        return {child["name"]: child[figure] for child in CHILDREN[model]["children"]}
    found: dict[str, int] = {}
    for layer in MODELS[model]["layers"]:
        child = layer["name"].split(".")[0]
        found[child] = found.get(child, 0) + (layer[figure] or 0)
    return found


@pytest.mark.parametrize("model", ["resnet18", "resnet50", "googlenet"])
def test_depth_one_equals_torchvisions_children(model: str) -> None:
    lines = {line.name: line for line in at_depth(analyze_file(EXAMPLES / f"{model}.yaml"), 1)}
    params, macs = _children(model, "params"), _children(model, "macs")
    assert {name for name, count in params.items() if count} <= set(lines)
    for name, line in lines.items():
        if name in params:
            assert (line.weights, line.macs) == (params[name], macs[name]), name
        else:  # a layer PyTorch calls functionally (flatten): nothing to count
            assert line.weights == line.macs == 0, name


TORCHINFO = json.loads((REFERENCE / "torchinfo.json").read_text())["models"]


@pytest.mark.parametrize("case", ["resnet18_224_b1", "resnet50_224_b2", "googlenet_224_b1"])
def test_depth_one_equals_torchinfos_depth_one_rows(case: str) -> None:
    """torchinfo 1.8.0's depth=1 rows (tests/reference/make_torchinfo_reference.py)."""
    lines = {line.name: line.weights
             for line in at_depth(analyze_file(EXAMPLES / f"{case.split('_')[0]}.yaml"), 1)}
    for child in TORCHINFO[case]["depth1"]:
        assert lines[child["name"]] == child["params"], child


def test_resnet18_stages_as_the_issue_states() -> None:
    lines = {line.name: line for line in at_depth(analyze_file(EXAMPLES / "resnet18.yaml"), 1)}
    assert [lines[f"layer{i}"].weights for i in range(1, 5)] == [147_968, 525_568, 2_099_712,
                                                                  8_393_728]
    layer2 = lines["layer2"]
    assert isinstance(layer2, BlockTotal) and layer2.level == 1
    assert (layer2.input_shapes, layer2.output_shape) == (((64, 56, 56),), (128, 28, 28))
    # 2 blocks: 2 x (conv, bn, relu, conv, bn, add, relu) + the projection's conv and bn
    assert layer2.layers == 16
    assert (layer2.field[0].size, layer2.field[0].jump) == (99, 8)


def test_resnet18_basic_blocks_at_depth_two() -> None:
    """torchinfo's depth=2 rows for torchvision's resnet18 (resnet18_depth_consistency.out)."""
    blocks = [line for line in at_depth(analyze_file(EXAMPLES / "resnet18.yaml"), 2)
              if isinstance(line, BlockTotal)]
    assert [b.weights for b in blocks] == [73_984, 73_984, 230_144, 295_424, 919_040,
                                          1_180_672, 3_673_088, 4_720_640]
    assert blocks[2].name == "layer2.basic1" and blocks[2].non_trainable == 3 * 256


def test_depth_zero_is_the_network_as_one_row() -> None:
    analysis = analyze_file(EXAMPLES / "resnet18.yaml")
    [row] = at_depth(analysis, 0)
    assert isinstance(row, BlockTotal) and row.level == 0 and row.name == "resnet18"
    t = analysis.totals
    assert (row.weights, row.macs, row.ops, row.activations) == (11_689_512, 1_814_073_344,
                                                                 t.ops, t.activations)
    assert (row.input_shape, row.output_shape, row.layers) == ((3, 224, 224), (1000,), 69)


def test_a_depth_past_the_deepest_block_is_every_layer() -> None:
    analysis = analyze_file(EXAMPLES / "resnet18.yaml")
    assert at_depth(analysis, 3) == list(analysis.rows)
    assert render(analysis, "shapes", "table", depth=7) == render(analysis, "shapes", "table")


def test_the_library_refuses_a_negative_depth() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        at_depth(analyze_file(EXAMPLES / "lenet5.yaml"), -1)


def test_every_level_adds_up_to_the_total() -> None:
    analysis = analyze_file(EXAMPLES / "googlenet.yaml")
    for depth in range(4):
        lines = at_depth(analysis, depth)
        assert sum(line.weights for line in lines) == analysis.totals.params, depth
        assert sum(line.macs for line in lines) == analysis.totals.macs, depth
        assert sum(getattr(line, "layers", 1) for line in lines) == len(analysis.rows)


def test_block_rows_indent_where_the_block_was_written() -> None:
    """A block inside a branch sits at the branch's level; a layer between branches (the
    pool of Inception's fourth branch) keeps its own."""
    lines = {line.name: line for line in at_depth(analyze_file(EXAMPLES / "googlenet.yaml"), 2)}
    branch1 = lines["inception3a.branch1"]
    assert isinstance(branch1, BlockTotal) and branch1.indent == 2
    assert lines["inception3a.branch4_pool"].node.depth == 2  # a layer, not a block
    stage = next(b for b in block_totals(analyze_file(EXAMPLES / "resnet18.yaml"))
                 if b.name == "layer1")
    assert stage.indent == 0


SUMMARY_DEPTH_1 = """\
Layer     Type              Config            Output shape       Params    % params         MACs    % MACs    Other ops    Act. memory    RF    Jump
--------  ----------------  ----------------  --------------  ---------  ----------  -----------  --------  -----------  -------------  ----  ------
conv1     conv              7x7 s2 p3 nobias  [64, 112, 112]      9,408       0.08%  118,013,952     6.51%           --       3.06 MiB     7       2
bn1       batchnorm         --                [64, 112, 112]        128       0.00%           --        --    1,605,632       3.06 MiB     7       2
relu      relu              --                [64, 112, 112]         --          --           --        --      802,816       3.06 MiB     7       2
maxpool   maxpool           3x3 s2 p1         [64, 56, 56]           --          --           --        --    1,806,336     784.00 KiB    11       4
layer1    stage             14 layers         [64, 56, 56]      147,968       1.27%  462,422,016    25.49%    2,809,856      10.72 MiB    43       4
layer2    stage             16 layers         [128, 28, 28]     525,568       4.50%  411,041,792    22.66%    1,605,632       6.12 MiB    99       8
layer3    stage             16 layers         [256, 14, 14]   2,099,712      17.96%  411,041,792    22.66%      802,816       3.06 MiB   211      16
layer4    stage             16 layers         [512, 7, 7]     8,393,728      71.81%  411,041,792    22.66%      401,408       1.53 MiB   435      32
avgpool   adaptive_avgpool  to 1x1            [512, 1, 1]            --          --           --        --       25,088       2.00 KiB   627     224
flatten1  flatten           --                [512]                  --          --           --        --           --       2.00 KiB   627     224
fc        dense             512->1000         [1000]            513,000       4.39%      512,000     0.03%        1,000       3.91 KiB   627     224
"""


def test_summary_at_depth_one_whole() -> None:
    """The whole table (golden); % params as torchinfo's Param % column shows them for
    torchvision's resnet18 (1.27%, 4.50%, 17.96%, 71.81%, 4.39%)."""
    text = render(analyze_file(EXAMPLES / "resnet18.yaml"), "summary", "table", depth=1)
    assert text.startswith("resnet18\n" + SUMMARY_DEPTH_1 + "\n")


def test_share_columns_only_when_cut_and_only_for_params_and_macs() -> None:
    analysis = analyze_file(EXAMPLES / "lenet5.yaml")
    assert "% params" not in render(analysis, "summary", "table")
    header = render(analysis, "params", "csv", depth=1).splitlines()[0]
    assert header == ("Layer,Type,Output shape,Params/filter,Params,% params,Trainable,"
                      "Non-trainable (Keras)")
    assert "%" not in render(analysis, "rf", "table", depth=1).splitlines()[1]
    assert "%" not in render(analysis, "shapes", "table", depth=1).splitlines()[1]


def test_markdown_draws_nesting_and_the_merge_sits_at_its_blocks_level() -> None:
    text = render(analyze_file(EXAMPLES / "resnet18.yaml"), "shapes", "markdown")
    cells = [line.split("|")[1].strip() for line in text.splitlines()[2:71]]
    assert "conv1" in cells
    # the residual's main path is one level inside the block; the add and the ReLU after
    # it are the block's own layers
    assert "│ │ └ layer1.basic1.conv1" in cells
    assert "│ └ layer1.basic1.residual1" in cells
    assert "│ └ layer1.basic1.relu2" in cells
    plain = render(analyze_file(EXAMPLES / "resnet18.yaml"), "shapes", "table")
    assert "\n      layer1.basic1.conv1 " in plain and "└" not in plain
    assert "└" not in render(analyze_file(EXAMPLES / "resnet18.yaml"), "shapes", "csv")


def test_markdown_block_rows_at_depth_two() -> None:
    text = render(analyze_file(EXAMPLES / "resnet18.yaml"), "params", "markdown", depth=2)
    assert "| └ layer1.basic1 | basic" in text
    assert "| maxpool         |" in text


TWO_OUTPUTS = """\
name: two
input: {image: [3, 32, 32], mask: [1, 32, 32]}
outputs: [head, aux]
layers:
  - conv: {filters: 8, kernel: 3, padding: 1}
    name: stem
  - conv: {filters: 4, kernel: 3, padding: 1}
    from: mask
    name: mstem
  - concat: {from: [stem, mstem]}
    name: fuse
  - conv: {filters: 16, kernel: 3, stride: 2, padding: 1}
    name: c2
  - global_avgpool: {}
    from: c2
  - flatten
  - dense: {units: 10}
    name: aux
  - conv: {filters: 16, kernel: 3, padding: 1}
    from: c2
  - add: {from: c2}
  - global_avgpool: {}
  - flatten
  - dense: {units: 5}
    name: head
"""


def test_footer_lists_each_output() -> None:
    """Hand-worked: stem 3*9*8+8 = 224, mstem 1*9*4+4 = 40, c2 12*9*16+16 = 1,744, conv
    16*9*16+16 = 2,320, head 16*5+5 = 85, aux 16*10+10 = 170. MACs: c2 at 17x17 (the ceil
    rule) 289*16*108 = 499,392, stem 1024*8*27 = 221,184, mstem 1024*4*9 = 36,864, conv
    289*16*144 = 665,856."""
    text = render(analyze_text(TWO_OUTPUTS, "two.yaml"), "summary", "table")
    assert ("Output 'head' [5]: params 4,413   MACs 1,423,376   receptive field 9, jump 2 "
            "(at 'add1')") in text.splitlines()
    assert ("Output 'aux' [10]: params 2,178   MACs 757,600   receptive field 5, jump 2 "
            "(at 'c2')") in text.splitlines()


def test_one_output_at_the_last_layer_adds_no_output_lines() -> None:
    assert "Output '" not in render(analyze_file(EXAMPLES / "lenet5.yaml"), "summary", "table")


def test_json_blocks_inputs_and_outputs() -> None:
    data = to_json(analyze_file(EXAMPLES / "resnet18.yaml"))
    layer = next(x for x in data["layers"] if x["name"] == "layer2.basic1.residual1")
    assert layer["blocks"] == ["layer2", "layer2.basic1"]
    assert layer["inputs"] == ["layer2.basic1.batchnorm2", "layer2.basic1.batchnorm3"]
    assert data["layers"][0]["inputs"] == ["input"] and data["layers"][0]["blocks"] == []
    blocks = {b["name"]: b for b in data["blocks"]}
    assert len(blocks) == 12  # 4 stages and 8 basic blocks
    assert blocks["layer4"] == {
        "name": "layer4", "kind": "stage", "depth": 1, "layers": 16, "params": 8_393_728,
        "trainable_params": 8_393_728, "non_trainable_params": 5 * 1024,  # 5 batch norms x (mean, var) x 512
        "macs": 411_041_792, "ops": 401_408,
        "activations": blocks["layer4"]["activations"], "input_shapes": [[256, 14, 14]],
        "output_shape": [512, 7, 7]}
    # 16 layers of 512x7x7 = 25,088 values, the strided ones included
    assert blocks["layer4"]["activations"] == 16 * 25_088
    assert blocks["layer4.basic2"]["depth"] == 2
    [output] = data["outputs"]
    assert output == {"name": "fc", "shape": [1000], "params": 11_689_512,
                      "macs": 1_814_073_344, "rf": {**data["rf"]}}


def test_json_outputs_of_a_two_input_net() -> None:
    data = to_json(analyze_text(TWO_OUTPUTS, "two.yaml"))
    assert [o["name"] for o in data["outputs"]] == ["head", "aux"]
    assert data["outputs"][1]["rf"]["size"] == [5, 5] and data["outputs"][1]["params"] == 2178
    assert data["layers"][1]["inputs"] == ["mask"]
    assert data["layers"][2]["inputs"] == ["stem", "mstem"]


@pytest.mark.parametrize("view", ["shapes", "params", "rf", "summary"])
def test_depth_on_every_table_command(view: str) -> None:
    result = CliRunner().invoke(main, [view, str(EXAMPLES / "resnet18.yaml"), "--depth", "1"])
    assert result.exit_code == 0, result.output
    assert "\nlayer3 " in result.output and "layer3.basic1" not in result.output


@pytest.mark.parametrize("value", ["-1", "x", "1.5"])
def test_a_bad_depth_is_a_usage_error(value: str) -> None:
    result = CliRunner().invoke(main, ["shapes", str(EXAMPLES / "lenet5.yaml"),
                                       "--depth", value])
    assert result.exit_code == 2
    assert "Invalid value for '--depth'" in result.output
    assert "Traceback" not in result.output


def test_json_ignores_depth_and_keeps_every_layer() -> None:
    runner = CliRunner()
    spec = str(EXAMPLES / "resnet18.yaml")
    cut = runner.invoke(main, ["summary", spec, "--depth", "1", "--format", "json"])
    whole = runner.invoke(main, ["summary", spec, "--format", "json"])
    assert cut.exit_code == 0 and cut.output == whole.output
