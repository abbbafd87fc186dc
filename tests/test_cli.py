"""The command line through click's CliRunner: views, formats, calculators, exit codes."""
import csv
import io
import json

import pytest
from click.testing import CliRunner

from cnncalc.cli import main

SPEC = """\
name: small
input: [3, 32, 32]
expect: {output_shape: [10], params: 2986}
layers:
  - conv: {filters: 16, kernel: 3, padding: 1}
    name: stem
    expect: {shape: [16, 32, 32], params: 448, rf: 3}
  - batchnorm
  - relu
  - maxpool: {kernel: 2}
  - residual:
      main:
        - conv: {filters: 16, kernel: 3, padding: 1, bias: false}
        - batchnorm
  - global_avgpool
  - flatten
  - dense: {units: 10}
"""


def run(*args):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def spec(write_spec):
    return write_spec(SPEC)


@pytest.mark.parametrize("view,header", [("shapes", "Input shape"), ("params", "Params/filter"),
                                         ("rf", "Jump"), ("summary", "MACs")])
def test_views_render_tables_with_totals(spec, view, header):
    result = run(view, spec)
    assert result.exit_code == 0, result.output
    assert header in result.output
    assert "Params: 2,986" in result.output          # thousands separators
    assert "residual1" in result.output


def test_table_indents_layers_inside_branches(spec):
    lines = run("shapes", spec).output.splitlines()
    assert any(line.startswith("  conv2 ") for line in lines)


def test_json_contract(spec):
    data = json.loads(run("summary", spec, "--format", "json").output)
    for key in ("name", "input_shape", "output_shape", "total_params", "trainable_params",
                "total_macs", "layers"):
        assert key in data
    assert data["name"] == "small" and data["output_shape"] == [10]
    assert data["total_params"] == 2986
    stem = data["layers"][0]
    assert stem["name"] == "stem" and stem["type"] == "conv"
    assert stem["input_shape"] == [3, 32, 32] and stem["output_shape"] == [16, 32, 32]
    assert stem["params"] == 448 and stem["macs"] == 32 * 32 * 16 * 27
    assert stem["rf"] == {"size": [3, 3], "jump": [1, 1], "start": [0, 0],
                          "global": [False, False]}
    merge = next(layer for layer in data["layers"] if layer["type"] == "add")
    assert merge["input_shapes"] == [[16, 16, 16], [16, 16, 16]]
    # total_macs is the conv + dense figure
    assert data["total_macs"] == sum(layer["macs"] for layer in data["layers"])


def test_csv_has_plain_numbers(spec):
    rows = list(csv.reader(io.StringIO(run("params", spec, "--format", "csv").output)))
    assert rows[0][:2] == ["Layer", "Type"]
    assert rows[1][4] == "448"


def test_markdown_is_a_github_table(spec):
    out = run("shapes", spec, "--format", "markdown").output
    assert out.startswith("| Layer")
    assert "|---" in out.replace(":", "-").replace(" ", "")


def test_mismatch_reported_with_location_exit_1(write_spec):
    path = write_spec(SPEC.replace("params: 448", "params: 450").replace(
        "params: 2986", "params: 1"))
    result = run("shapes", path)
    assert result.exit_code == 1
    errors = result.stderr.strip().splitlines()
    assert errors == [f"{path}:7:43: conv 'stem': expected params 450, calculated 448",
                      f"{path}:3:38: network 'small': expected params 1, calculated 2,986"]
    assert "Layer" in result.stdout                  # the table is still shown


def test_rf_expectation_mismatch(write_spec):
    path = write_spec(SPEC.replace("rf: 3}", "rf: {size: 5, jump: 2}}"))
    result = run("rf", path)
    assert result.exit_code == 1
    assert "expected receptive field size 5, calculated 3" in result.stderr
    assert "expected receptive field jump 2, calculated 1" in result.stderr


def test_framework_override_changes_rounding(write_spec):
    path = write_spec("input: [1, 224, 224]\nlayers:\n  - maxpool: {kernel: 3, stride: 2, "
                      "padding: 1}\n")
    ceil = json.loads(run("shapes", path, "--format", "json").output)
    torch = json.loads(run("shapes", path, "--format", "json", "--framework", "pytorch").output)
    assert ceil["output_shape"] == [1, 113, 113] and torch["output_shape"] == [1, 112, 112]


def test_conv_calculator_side_by_side():
    result = run("conv", "--input", "224", "--kernel", "3", "--stride", "2", "--padding", "1")
    assert result.exit_code == 0
    lines = dict(line.rsplit(None, 1) for line in result.output.splitlines()[2:10])
    assert lines["ceil"] == "113" and lines["floor"] == "112"
    assert lines["pytorch ceil_mode"] == "113" and lines["tensorflow same"] == "112"
    assert "112.5" in result.output


def test_conv_calculator_json_per_axis():
    data = json.loads(run("conv", "--input", "224,225", "--kernel", "3", "--stride", "2",
                          "--format", "json").output)
    assert data["floor"] == [111, 112] and data["ceil"] == [112, 112]


def test_conv_calculator_refuses_mismatched_axes():
    result = run("conv", "--input", "224,225,3", "--kernel", "3,3")
    assert result.exit_code == 2 and "--kernel has 2 values" in result.output


@pytest.mark.parametrize("args,expected", [
    (["--kernel", "5"], "padding 2 on each side"),
    (["--kernel", "3", "--dilation", "2"], "padding 2 on each side"),
    (["--kernel", "4"], "padding before 1, after 2"),
    (["--kernel", "3", "--stride", "2", "--input", "224"], "padding before 0, after 1"),
    (["--kernel", "3", "--stride", "2"], "N mod 2 = 1: total 2 -> before 1, after 1"),
])
def test_same_calculator(args, expected):
    result = run("same", *args)
    assert result.exit_code == 0 and expected in result.output


def test_kinds_lists_every_layer_kind():
    out = run("kinds").output
    for kind in ("conv", "conv_transpose", "maxpool", "batchnorm", "upsample", "hardswish"):
        assert f" {kind}" in out


@pytest.mark.parametrize("command", ["shapes", "params", "rf", "summary", "conv", "same",
                                     "kinds"])
def test_every_command_has_help_with_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Example" in result.output


def test_conv_calculator_marks_the_chosen_rounding():
    out = run("conv", "--input", "224", "--kernel", "3", "--stride", "2", "--padding", "1",
              "--rounding", "floor").output
    assert "floor              112   <- --rounding floor" in out
    data = json.loads(run("conv", "--input", "224", "--kernel", "3", "--stride", "2",
                          "--padding", "1", "--rounding", "ceil", "--format", "json").output)
    assert data["selected"] == {"rounding": "ceil", "size": [113]}
