"""`cnncalc run --compare onnxruntime`: the NumPy executor cross-checked by a second runtime on
every example, at the sizes test_executor runs them (the `__examples__` entry of
tests/reference/executor_reference.npz), with the executor's own weights and batch."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from cnncalc.cli import main
from cnncalc.interop import onnx_export

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
SIZES = {name: entry["size"] for name, entry in json.loads(str(np.load(
    ROOT / "tests" / "reference" / "executor_reference.npz")["__examples__"])).items()}
LINE = re.compile(r"onnxruntime: output '(?P<name>[^']+)' \[[\d, ]+\]: largest difference "
                  r"(?P<abs>\S+) absolute, (?P<rel>\S+) relative \(to the largest \|value\|, "
                  r"\S+\): (?P<verdict>ok|MISMATCH.*)")


def compare(tmp_path: Path, path: Path, *extra: str) -> tuple[int, list[re.Match], str]:
    text = path.read_text()
    if path.stem == "tiny_all_kinds":  # its fractional max pool has no ONNX form
        text = text.replace("fractional_maxpool: {kernel: 2, output_size: [8, 16]}",
                            "maxpool: {kernel: 2, stride: 1}")
    spec = tmp_path / path.name
    spec.write_text(text)
    size = SIZES.get(path.stem)
    args = ["run", str(spec), "--compare", "onnxruntime", "--no-backward", "--batch", "2",
            *(["--input-size", str(size)] if size else []), *extra]
    result = CliRunner().invoke(main, args)
    found = [m for m in map(LINE.fullmatch, result.output.splitlines()) if m]
    return result.exit_code, found, result.output


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_onnxruntime_computes_what_the_executor_does_on_every_example(tmp_path: Path,
                                                                     path: Path) -> None:
    code, lines, output = compare(tmp_path, path)
    assert code == 0, output
    outputs = {"googlenet": 3}.get(path.stem, 1)
    assert len(lines) == outputs, output
    for line in lines:
        assert line["verdict"] == "ok" and float(line["rel"]) < 1e-4, output
        assert float(line["abs"]) > 0 or path.stem == "espcn"  # float32 rounding is seen


def test_a_mismatch_exits_1_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    monkeypatch.setitem(onnx_export.EXPORTERS, "relu", onnx_export._simple("Sigmoid"))
    code, lines, _ = compare(tmp_path, ROOT / "examples" / "lenet5.yaml")
    assert code == 1
    assert lines and lines[0]["verdict"] == ("MISMATCH (pass within 1e-04 relative or 1e-06 "
                                             "absolute)")


def test_json_stays_parseable_with_the_comparison_on_stderr(tmp_path: Path) -> None:
    path = ROOT / "examples" / "espcn.yaml"
    result = CliRunner().invoke(main, ["run", str(path), "--compare", "onnxruntime",
                                       "--format", "json", "--input-size", "9"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"]
    assert LINE.fullmatch(result.stderr.strip())


def test_a_layer_without_an_onnx_form_is_refused_before_running(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(ROOT / "examples" / "tiny_all_kinds.yaml"),
                                       "--compare", "onnxruntime"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        next(line for line in result.output.splitlines() if "fractional_maxpool1" in line)]


def test_compare_runs_in_float32(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(ROOT / "examples" / "lenet5.yaml"),
                                       "--compare", "onnxruntime", "--dtype", "float64"])
    assert result.exit_code == 2 and "--compare runs in float32" in result.output


@pytest.mark.parametrize("missing", ["onnx", "onnxruntime"])
def test_a_missing_runtime_is_one_line_saying_what_to_install(
        missing: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, missing, None)
    result = CliRunner().invoke(main, ["run", str(ROOT / "examples" / "lenet5.yaml"),
                                       "--compare", "onnxruntime"])
    assert result.exit_code == 2
    assert result.output == (f"cnncalc run --compare onnxruntime needs {missing}: pip install "
                             f"'cnncalc[onnx]'\n")


# every kind with an ONNX form, and the variants of each, on a small input
ZOO = """
input: [4, 12, 10]
framework: pytorch
layers:
  - conv: {filters: 8, kernel: [3, 2], stride: [2, 1], padding: [[1, 0], [2, 1]], dilation: 2, groups: 2}
  - hardtanh: {min_val: -0.5, max_val: 2}
  - conv: {filters: 8, kernel: 3, padding: 1, padding_mode: circular}
  - elu: {alpha: 0.7}
  - conv_transpose: {filters: 6, kernel: 3, stride: 2, padding: 1, output_padding: 1}
  - celu: {alpha: 1.5}
  - avgpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: true}
  - selu
  - upsample: {scale: 2, mode: bilinear, align_corners: true}
  - softplus: {beta: 2}
  - upsample: {size: [9, 7], mode: bicubic}
  - mish
  - upsample: {scale: 1.5, mode: nearest-exact}
  - batchnorm: {affine: false}
  - upsample: {size: [10, 8], mode: nearest}
  - groupnorm: {groups: 3, affine: false}
  - instancenorm: {affine: true}
  - layernorm: {normalized_shape: [8]}
  - prelu: {num_parameters: 1}
  - maxpool: {kernel: 3, stride: 2, padding: 1, dilation: 2, ceil_mode: true}
  - upsample: {size: [2, 2], mode: area}
  - softmax: {axis: -1}
  - flatten: {start_dim: 1, end_dim: 2}
  - dense: {units: 5, bias: false}
  - log_softmax: {axis: 0}
"""


def test_onnxruntime_computes_what_the_executor_does_on_every_variant(tmp_path: Path) -> None:
    spec = tmp_path / "zoo.yaml"
    spec.write_text(ZOO)
    result = CliRunner().invoke(main, ["run", str(spec), "--compare", "onnxruntime",
                                       "--batch", "3"])
    assert result.exit_code == 0, result.output
    line = LINE.fullmatch(result.output.strip().splitlines()[-1])
    assert line and line["verdict"] == "ok", result.output


ONE_D = """\
input: [3, 20]
framework: pytorch
layers:
  - conv: {filters: 6, kernel: 3, padding: 1, padding_mode: reflect}
    name: a
  - maxpool: {kernel: 2, ceil_mode: true}
  - branches:
      - [conv: {filters: 6, kernel: 1}]
      - [avgpool: {kernel: 3, stride: 1, padding: 1}]
      - [global_avgpool]
    merge: add
  - concat: {from: [a], axis: 1}
  - upsample: {scale: 2, mode: linear}
  - adaptive_avgpool: {output_size: 7}
  - flatten
  - dense: {units: 4}
"""
THREE_D = """\
input: [2, 6, 8, 7]
framework: pytorch
layers:
  - conv: {filters: 4, kernel: 3, stride: 2, padding: 1}
  - batchnorm
  - relu
  - conv_transpose: {filters: 3, kernel: 2, stride: 2}
  - branches:
      - [sigmoid]
      - [tanh]
      - [conv: {filters: 3, kernel: 1}]
    merge: multiply
  - upsample: {scale: 2, mode: trilinear}
  - maxpool: {kernel: 2, ceil_mode: true}
  - global_maxpool
"""


@pytest.mark.parametrize("text", [ONE_D, THREE_D], ids=["1-D", "3-D"])
def test_one_and_three_dimensional_nets_agree_too(tmp_path: Path, text: str) -> None:
    from test_onnx_export import check_against_cnncalc

    from cnncalc.build import build
    from cnncalc.spec import load_file

    spec = tmp_path / "net.yaml"
    spec.write_text(text)
    result = CliRunner().invoke(main, ["run", str(spec), "--compare", "onnxruntime"])
    assert result.exit_code == 0, result.output
    line = LINE.fullmatch(result.output.strip().splitlines()[-1])
    assert line and line["verdict"] == "ok", result.output
    network = build(load_file(spec))
    check_against_cnncalc(network, onnx_export.to_onnx(network, None, batch=2), batch=2)


def test_a_symbolic_batch_runs_at_any_batch() -> None:
    """SegNet's unpools of odd sizes read their size from the pool's input (a Shape node)
    when the batch is symbolic."""
    import onnxruntime as ort

    from cnncalc.build import build
    from cnncalc.executor.runner import run
    from cnncalc.spec import load_file

    spec = load_file(ROOT / "examples" / "segnet.yaml")
    network = build(spec.resized((40, 48)))
    model = onnx_export.to_onnx(network, run(spec, batch=1, input_size=(40, 48),
                                             backward=False, train=False, keep=True).params,
                                batch="N")
    assert sum(n.op_type == "MaxUnpool" and len(n.input) == 3 for n in model.graph.node) == 2
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    for batch in (1, 3):
        result = run(spec, batch=batch, input_size=(40, 48), backward=False, train=False,
                     keep=True)
        (y,) = session.run(None, {"input": result.input_values[0]})
        want = result.output_values[0]
        assert np.abs(y - want).max() <= 1e-4 * np.abs(want).max()
