"""--input-size, --batch and --dtype on the table commands, and the training memory in
torchinfo's manner.

torchinfo's rule (`ModelStatistics.__init__`, v1.8.0 and main): forward/backward pass size =
the sum over leaf modules that own parameters of 2 x their output bytes; params size =
`parameters()` bytes; input size = the input tensors' storage; estimated total = the sum.
Its own recorded outputs (TylerYep/torchinfo, tests/test_output/) are the reference:
- resnet18_depth_consistency.out, torchvision resnet18 at (1, 3, 64, 64): total mult-adds
  148.57 M (with batch norm weights and the fc bias, which torchinfo counts), forward/backward pass 3.25 MB, params 46.76 MB, input 49.21 kB, estimated
  total 50.06 MB;
- resnet50.out, torchvision resnet50 at (2, 3, 224, 224): total mult-adds 8.18 G, input
  1.20 MB, forward/backward pass 355.66 MB, params 102.23 MB, estimated total 459.10 MB.
torchinfo's input size is `sys.getsizeof` of the storage, which adds Python's object header
(49,152 bytes show as 49.21 kB); cnncalc counts the tensor's bytes alone.

tests/reference/torchinfo.json holds torchinfo 1.8.0's own figures for torchvision models
at several sizes and batches, recorded by tests/reference/make_torchinfo_reference.py.
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, REFERENCE, analyze_layers

from cnncalc.analysis import analyze
from cnncalc.build import build
from cnncalc.cli import main
from cnncalc.footprint import footprint
from cnncalc.report import human_decimal_bytes, render
from cnncalc.spec import load_file


def _sized(name: str, *sizes: int):
    spec = load_file(EXAMPLES / f"{name}.yaml")
    return analyze(build(spec.resized(sizes) if sizes else spec))


TORCHINFO = json.loads((REFERENCE / "torchinfo.json").read_text())["models"]
# sys.getsizeof of a tensor's untyped storage: the bytes plus the Python object's header,
# the same for every input tensor recorded (torch 2.14, CPython 3.11)
STORAGE_HEADER = 64


@pytest.mark.parametrize("case", sorted(TORCHINFO))
def test_memory_equals_torchinfos_recorded_summary(case: str) -> None:
    ref = TORCHINFO[case]
    analysis = _sized(case.split("_")[0], ref["input"][1])
    f = footprint(analysis, ref["batch"])
    assert f.forward_backward_bytes == ref["forward_backward_bytes"]
    assert f.param_bytes == ref["param_bytes"]
    assert f.input_bytes + STORAGE_HEADER == ref["input_bytes"]
    # torchinfo's mult-adds add, per sample, each batch norm's weight and bias and each
    # dense layer's biases (one per unit) to the conv and dense MACs cnncalc counts
    norms = sum(r.weights for r in analysis.rows if r.kind == "batchnorm")
    biases = sum(r.output_shape[-1] for r in analysis.rows if r.kind == "dense")
    assert f.macs + ref["batch"] * (norms + biases) == ref["total_mult_adds"]
    assert analysis.totals.params == ref["total_params"]


def test_summary_footer_reads_as_torchinfo_prints_it() -> None:
    """torchinfo's text for resnet18 at 224: forward/backward 39.75 MB, params 46.76 MB,
    estimated total 87.11 MB; the same figures in cnncalc's footer."""
    printed = TORCHINFO["resnet18_224_b1"]["text"]
    figures = {line.split(" (MB): ")[0]: line.split(": ")[1] for line in printed
               if " (MB): " in line}
    ours = render(_sized("resnet18"), "summary", "table").splitlines()[-1]
    assert (f"forward/backward pass {figures['Forward/backward pass size']} MB   params "
            f"{figures['Params size']} MB   estimated total "
            f"{figures['Estimated Total Size']} MB") in ours


def _mb(count: int) -> str:
    return f"{count / 1e6:.2f}"


def test_lenet_memory_by_hand() -> None:
    """Input 1x32x32 floats = 4,096 bytes. Layers with parameters and their outputs: conv1
    6x28x28 = 4,704, conv2 16x10x10 = 1,600, dense 120, 84 and 10: 6,518 values, x4 bytes
    x2 = 52,144. Params 61,706 x 4 = 246,824. Total 303,064."""
    f = footprint(_sized("lenet5"))
    assert (f.input_bytes, f.forward_backward_bytes, f.param_bytes, f.total_bytes) == (
        4_096, 52_144, 246_824, 303_064)


def test_lenet_memory_at_a_batch_in_half_precision() -> None:
    spec = load_file(EXAMPLES / "lenet5.yaml")
    f = footprint(analyze(build(spec.replace(dtype="float16"))), batch=8)
    # every per-sample figure x8 at 2 bytes; parameters never scale with the batch
    assert (f.input_bytes, f.forward_backward_bytes, f.param_bytes) == (
        8 * 2_048, 8 * 26_072, 123_412)
    assert (f.macs, f.ops, f.activations) == (8 * 416_520, 8 * 19_330, 8 * 15_002)
    assert f.activation_bytes == 8 * 15_002 * 2


def test_resnet18_at_64_as_torchinfo_records_it() -> None:
    analysis = _sized("resnet18", 64)
    f = footprint(analysis)
    # torchinfo also counts, once per sample, each batch norm's weights (9,600) and the
    # dense layer's bias (1,000) as mult-adds; cnncalc's MACs leave both out
    assert round((analysis.totals.macs + 9_600 + 1_000) / 1e6, 2) == 148.57
    # by hand from the layer shapes: conv1 and bn1 64x32x32 each; layer1 8 x 64x16x16;
    # layer2 10 x 128x8x8; layer3 10 x 256x4x4; layer4 10 x 512x2x2; fc 1,000
    kept = 2 * 65_536 + 8 * 16_384 + 10 * 8_192 + 10 * 4_096 + 10 * 2_048 + 1_000
    assert f.forward_backward_bytes == 2 * 4 * kept == 3_252_032
    assert (_mb(f.forward_backward_bytes), _mb(f.param_bytes)) == ("3.25", "46.76")
    assert f.input_bytes == 3 * 64 * 64 * 4  # torchinfo: 49.21 kB, with the object header
    assert _mb(f.total_bytes) == "50.06"


def test_resnet50_at_batch_two_as_torchinfo_records_it() -> None:
    analysis = _sized("resnet50")
    f = footprint(analysis, batch=2)
    assert round(f.macs / 1e9, 2) == 8.18
    assert [_mb(v) for v in (f.input_bytes, f.forward_backward_bytes, f.param_bytes,
                             f.total_bytes)] == ["1.20", "355.66", "102.23", "459.10"]


def test_layers_without_parameters_hold_no_memory_in_torchinfos_rule() -> None:
    """relu and pooling outputs are not counted; batch norm's are (it owns weights)."""
    analysis = analyze_layers([{"conv": {"filters": 2, "kernel": 1}}, "relu",
                               {"maxpool": {"kernel": 2}}, "batchnorm"], [1, 4, 4])
    f = footprint(analysis)
    assert f.forward_backward_bytes == 2 * 4 * (2 * 16 + 2 * 4)


def test_a_batch_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one sample"):
        footprint(_sized("lenet5"), batch=0)


@pytest.mark.parametrize("count, text", [(999, "999 B"), (49_152, "49.15 kB"),
                                         (3_252_032, "3.25 MB"), (8_180_000_000, "8.18 GB")])
def test_decimal_bytes(count: int, text: str) -> None:
    assert human_decimal_bytes(count) == text


def test_summary_footer_states_the_memory() -> None:
    lines = render(_sized("resnet50"), "summary", "table", batch=2).splitlines()
    assert ("Training memory at batch 2, float32 (torchinfo's rule; kB, MB = 10^3, 10^6 "
            "bytes): input 1.20 MB   forward/backward pass 355.66 MB   params 102.23 MB   "
            "estimated total 459.10 MB") in lines
    assert ("Per batch of 2: MACs 8,178,368,512 (8.18 GMACs)   other ops 78,527,440 (78.53 M)   "
            "activations 75,123,664 values = 286.57 MiB") in lines
    # the per-sample lines stay as they were
    assert "MACs: 4,089,184,256 (4.09 GMACs, conv + dense, bias excluded)   other ops: " \
           "39,263,720 (39.26 M)" in lines


def test_other_views_have_no_memory_line_and_batch_one_no_batch_line() -> None:
    analysis = _sized("lenet5")
    assert "Training memory" not in render(analysis, "params", "table", batch=4)
    assert "Per batch of 4" in render(analysis, "params", "table", batch=4)
    assert "Per batch" not in render(analysis, "summary", "table")


def _cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_cli_input_size_batch_dtype_in_json() -> None:
    result = _cli("summary", str(EXAMPLES / "resnet18.yaml"), "--input-size", "64",
                  "--batch", "4", "--dtype", "float16", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["input_shape"] == [3, 64, 64] and data["dtype"] == "float16"
    assert data["total_macs"] == 148_557_824  # per sample, as before
    assert data["memory"] == {
        "batch": 4, "dtype": "float16", "input_bytes": 4 * 3 * 64 * 64 * 2,
        "forward_backward_bytes": 4 * 3_252_032 // 2, "param_bytes": 11_689_512 * 2,
        "total_bytes": 4 * 3 * 64 * 64 * 2 + 4 * 3_252_032 // 2 + 11_689_512 * 2,
        "macs": 4 * 148_557_824, "ops": 4 * data["total_ops"],
        "activations": 4 * data["activations"], "activation_bytes": 4 * 2 * data["activations"]}
    assert data["activation_bytes"] == 2 * data["activations"]


@pytest.mark.parametrize("view", ["shapes", "params", "rf", "summary"])
def test_every_table_command_takes_the_sizes(view: str) -> None:
    result = _cli(view, str(EXAMPLES / "resnet18.yaml"), "--input-size", "64,96", "--batch",
                  "2", "--dtype", "bfloat16")
    assert result.exit_code == 0, result.output
    assert "Input [3, 64, 96] -> output [1000]" in result.output
    assert "at bfloat16" in result.output and "Per batch of 2:" in result.output


def test_the_spec_dtype_is_the_default() -> None:
    text = "input: [1, 8, 8]\ndtype: float64\nlayers:\n  - conv: {filters: 2, kernel: 3}\n"
    result = CliRunner().invoke(main, ["summary", "-"], input=text)
    assert result.exit_code == 0, result.output
    # input 64 x 8 bytes; conv output 2x6x6 = 72 values x 8 x 2; params 20 x 8
    assert ("input 512 B   forward/backward pass 1.15 kB   params 160 B   estimated total "
            "1.82 kB") in result.output


@pytest.mark.parametrize("args, message", [
    (["--input-size", "0"], "sizes must be between 1 and 2,147,483,648"),
    (["--input-size", "64,64,64"], "has 2 spatial axes"),
    (["--input-size", "a"], "expected an integer"),
    (["--batch", "0"], "Invalid value for '--batch'"),
    (["--dtype", "int4"], "Invalid value for '--dtype'"),
])
def test_bad_size_options_are_usage_errors(args: list[str], message: str) -> None:
    result = _cli("summary", str(EXAMPLES / "resnet18.yaml"), *args)
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output


def test_a_size_the_network_cannot_take_says_so_at_the_layer() -> None:
    result = _cli("shapes", str(EXAMPLES / "lenet5.yaml"), "--input-size", "4")
    assert result.exit_code == 2
    [first, *_] = result.stderr.splitlines()
    assert first.startswith(str(EXAMPLES / "lenet5.yaml") + ":")
    assert first.endswith("(at --input-size 4)")


def test_expectations_are_not_checked_at_another_size() -> None:
    """lenet5 expects output [10] and 61,706 params; at 64x64 the first dense layer is
    larger, which is no mistake in the spec."""
    spec = str(EXAMPLES / "lenet5.yaml")
    assert _cli("params", spec).exit_code == 0
    result = _cli("params", spec, "--input-size", "64")
    assert result.exit_code == 0, result.output
    assert "1 of the spec's expectations does not hold at this --input-size" in result.stderr
