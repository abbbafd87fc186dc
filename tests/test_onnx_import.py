"""`cnncalc import`: ONNX models to specs with the model's figures.

The torchvision rows come from tests/reference/make_onnx_reference.py (torch's own parameter
count and FlopCounterMode's MACs); the hand-built models are checked against ONNX's own shape
inference and the initializers' sizes, never against cnncalc's formulas.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper

from cnncalc.analysis import analyze_text
from cnncalc.build import build
from cnncalc.cli import main
from cnncalc.interop import onnx_import
from cnncalc.interop.onnx_import import ImportProblem, import_model
from cnncalc.spec import parse

HERE = Path(__file__).parent
REFERENCE = HERE / "reference"
RECORDED = json.loads((REFERENCE / "onnx_models.json").read_text())
TORCHVISION = sorted(k for k in RECORDED if not k.startswith("_"))
EXAMPLES = sorted((HERE.parent / "examples").glob("*.yaml"))


def entries(text: str) -> int:
    """The entries a reader reads: list items, empty branches left out."""
    return sum(1 for line in text.splitlines()
               if line.lstrip().startswith("- ") and line.strip() != "- []")


# -- torchvision, exported without folding ---------------------------------------------------
@pytest.mark.parametrize("model", TORCHVISION)
@pytest.mark.parametrize("structured", [True, False])
def test_torchvision_figures(model: str, structured: bool) -> None:
    text, _ = import_model(REFERENCE / "onnx" / f"{model}.onnx", structured=structured)
    analysis = analyze_text(text)
    assert analysis.totals.params == RECORDED[model]["params"]
    assert analysis.totals.macs == RECORDED[model]["macs"]
    assert list(analysis.outputs[0].shape) == RECORDED[model]["output"]
    # one layer per computing node, however the spec is written
    assert len(build(parse(text)).nodes) == len(
        build(parse(import_model(REFERENCE / "onnx" / f"{model}.onnx", False)[0])).nodes)


@pytest.mark.parametrize("model, at_most", [
    ("resnet18", 35), ("resnet50", 90), ("densenet121", 50), ("googlenet", 85),
    ("mobilenet_v2", 90), ("efficientnet_b0", 170)])
def test_blocks_shorten_the_spec(model: str, at_most: int) -> None:
    path = REFERENCE / "onnx" / f"{model}.onnx"
    flat = entries(import_model(path, structured=False)[0])
    short = entries(import_model(path)[0])
    assert short <= at_most < flat


def test_resnet18_stages_are_blocks() -> None:
    text, _ = import_model(REFERENCE / "onnx" / "resnet18.onnx")
    layers = text[text.index("\nlayers:"):]
    assert "  - block_a: {}\n    repeat: 2\n" in layers
    assert [line for line in layers.splitlines() if "block_b" in line] == [
        "  - block_b: {filters: 128}", "  - block_b: {filters: 256}",
        "  - block_b: {filters: 512}"]
    assert "params: {filters: null}" in text
    assert "shortcut:" in text


def test_densenet_layers_repeat() -> None:
    text, _ = import_model(REFERENCE / "onnx" / "densenet121.onnx")
    assert [int(line.split(":")[1]) for line in text.splitlines()
            if line.strip().startswith("repeat:")] == [6, 12, 24, 16]


def test_import_is_deterministic() -> None:
    path = REFERENCE / "onnx" / "efficientnet_b0.onnx"
    assert import_model(path)[0] == import_model(path)[0]


# -- hand-built models: every mapping against ONNX's shape inference ---------------------------
def weight(name: str, *dims: int) -> onnx.TensorProto:
    return helper.make_tensor(name, TensorProto.FLOAT, dims, [0.0] * math.prod(dims))


def ints(name: str, values: list[int]) -> onnx.TensorProto:
    return helper.make_tensor(name, TensorProto.INT64, [len(values)], values)


def floats(name: str, values: list[float]) -> onnx.TensorProto:
    return helper.make_tensor(name, TensorProto.FLOAT, [len(values)] if len(values) != 1
                              else [], values)


def model_file(tmp_path: Path, nodes: list, inits: list, inputs: dict[str, list[int]],
               outputs: list[str], opset: int = 17) -> Path:
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs.items()],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    path = tmp_path / "m.onnx"
    path.write_bytes(model.SerializeToString())
    return path


def oracle(path: Path) -> tuple[dict[str, list[int]], int]:
    """ONNX's inferred shape of every tensor (without the batch), and the weights' size."""
    model = onnx.shape_inference.infer_shapes(onnx.load(str(path)), strict_mode=True)
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim][1:]
              for v in [*model.graph.value_info, *model.graph.output]}
    size = sum(math.prod(t.dims) for t in model.graph.initializer if
               t.data_type == TensorProto.FLOAT and math.prod(t.dims) > 1)
    return shapes, size


def check(path: Path, params: int | None = None) -> str:
    """The imported spec: every layer's shape is ONNX's, and its params the weights'."""
    text, _ = import_model(path, structured=False)
    network = build(parse(text))
    analysis = analyze_text(text)
    shapes, size = oracle(path)
    model = onnx.load(str(path))
    for index in range(len(network.outputs)):
        name = model.graph.output[index].name
        assert list(analysis.outputs[index].shape) == shapes[name], name
    assert analysis.totals.params == (size if params is None else params)
    return text


def test_convs_pools_and_dense(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="/stem/conv/Conv",
                         pads=[0, 1, 1, 2], strides=[2, 2]),
        helper.make_node("BatchNormalization", ["c1", "g", "b", "m", "v"], ["n1"],
                         epsilon=1e-3, momentum=0.99),
        helper.make_node("LeakyRelu", ["n1"], ["r1"], alpha=0.2),
        helper.make_node("AveragePool", ["r1"], ["p1"], kernel_shape=[3, 3], strides=[2, 2],
                         pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=0),
        helper.make_node("Conv", ["p1", "w2"], ["c2"], group=8, pads=[1, 1, 1, 1]),
        helper.make_node("Clip", ["c2", "lo", "hi"], ["r2"]),
        helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2]),
        helper.make_node("ConvTranspose", ["p2", "w3", "b3"], ["t"], strides=[2, 2],
                         pads=[1, 1, 1, 1], output_padding=[1, 1]),
        helper.make_node("InstanceNormalization", ["t", "g4", "b4"], ["i"]),
        helper.make_node("PRelu", ["i", "slope"], ["pr"]),
        helper.make_node("LRN", ["pr"], ["l"], size=3),
        helper.make_node("Pad", ["l", "pads"], ["pd"], mode="reflect"),
        helper.make_node("Resize", ["pd", "", "scales"], ["up"], mode="nearest",
                         coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        helper.make_node("GlobalAveragePool", ["up"], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["f"]),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["g1"], transB=1),
        helper.make_node("MatMul", ["g1", "mw"], ["mm"]),
        helper.make_node("Add", ["mm", "mb"], ["dense2"]),
        helper.make_node("Softmax", ["dense2"], ["y"], axis=-1),
    ]
    inits = [weight("w1", 8, 3, 3, 3), weight("b1", 8), weight("g", 8), weight("b", 8),
             weight("m", 8), weight("v", 8), weight("w2", 8, 1, 3, 3),
             floats("lo", [0.0]), floats("hi", [6.0]), weight("w3", 8, 4, 3, 3),
             weight("b3", 4), weight("g4", 4), weight("b4", 4), weight("slope", 4, 1, 1),
             ints("pads", [0, 0, 1, 2, 0, 0, 1, 2]), floats("scales", [1, 1, 2, 2]),
             weight("fw", 10, 4), weight("fb", 10), weight("mw", 10, 5), weight("mb", 5)]
    path = model_file(tmp_path, nodes, inits, {"x": [1, 3, 33, 30]}, ["y"])
    # running mean and variance (8 + 8) are buffers, and the 4 resize scales no weights
    text = check(path, params=oracle(path)[1] - 16 - 4)
    for line in ("conv: {filters: 8, kernel: 3, stride: 2, padding: [[0, 1], [1, 2]]}",
                 "batchnorm: {eps: 0.001, momentum: 0.01}",
                 "leaky_relu: {negative_slope: 0.2}",
                 ("avgpool: {kernel: 3, stride: 2, padding: 1, ceil_mode: true, "
                  "count_include_pad: false}"),
                 "conv: {filters: 8, kernel: 3, padding: 1, groups: 8, bias: false}",
                 "relu6: {}", "maxpool: {kernel: 2, stride: 1}",  # ONNX: stride 1 unless given
                 ("conv_transpose: {filters: 4, kernel: 3, stride: 2, padding: 1, "
                  "output_padding: 1}"), "instancenorm: {affine: true}",
                 "prelu: {num_parameters: 4}",
                 "local_response_norm: {size: 3, alpha: 0.0001, beta: 0.75, k: 1}",
                 "reflection_pad: {padding: [1, 2]}",
                 "upsample: {scale: 2}", "dense: {units: 10}", "dense: {units: 5}",
                 "softmax: {}"):
        assert f"- {line}" in text, line
    assert "name: stem_conv" in text


def test_graph_inputs_outputs_and_merges(tmp_path: Path) -> None:
    nodes = [
        helper.make_node("Conv", ["image", "w1"], ["a"], name="enc", pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["mask", "w2"], ["b"], name="mask_conv"),
        helper.make_node("Identity", ["b"], ["b2"]),
        helper.make_node("Concat", ["a", "b2"], ["cat"], axis=1),
        helper.make_node("Sigmoid", ["cat"], ["s"]),
        helper.make_node("Mul", ["cat", "s"], ["silu"]),
        helper.make_node("Relu", ["silu"], ["r"]),
        helper.make_node("Add", ["r", "silu"], ["sum"]),
        helper.make_node("Mul", ["sum", "a2"], ["gated"]),
        helper.make_node("GlobalMaxPool", ["sum"], ["a2"]),
        helper.make_node("Dropout", ["gated"], ["seg"], name="head"),
        helper.make_node("Flatten", ["a2"], ["aux"]),
    ]
    nodes[8], nodes[9] = nodes[9], nodes[8]
    inits = [weight("w1", 4, 3, 3, 3), weight("w2", 2, 1, 1, 1)]
    path = model_file(tmp_path, nodes, inits, {"image": [1, 3, 16, 16],
                                               "mask": [1, 1, 16, 16]}, ["seg", "aux"])
    text = check(path)
    assert "input: {image: [3, 16, 16], mask: [1, 16, 16]}" in text
    assert "outputs: [head, aux]" in text
    assert "- silu: {}" in text and "sigmoid" not in text
    assert "from: mask" in text
    assert "- concat: {from: [enc, mask_conv]}" in text
    structured, _ = import_model(path)
    assert analyze_text(structured).totals.params == analyze_text(text).totals.params


# -- refusals --------------------------------------------------------------------------------
def run(args: list[str], **kwargs) -> object:
    return CliRunner().invoke(main, args, **kwargs)


def test_unknown_op_is_one_located_line_and_nothing_written(tmp_path: Path) -> None:
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="/act/Relu"),
             helper.make_node("TopK", ["r", "k"], ["v", "i"], name="/head/TopK")]
    path = model_file(tmp_path, nodes, [ints("k", [1])], {"x": [1, 4]}, ["v"])
    out = tmp_path / "out.yaml"
    result = run(["import", str(path), "-o", str(out)])
    assert result.exit_code == 2
    assert result.output.strip() == (f"{path}: node 1 '/head/TopK' (TopK): no cnncalc layer "
                                     f"kind for this op")
    assert not out.exists()


@pytest.mark.parametrize("node, why", [
    (helper.make_node("Add", ["x", "c"], ["y"], name="bias"), "an input is a constant"),
    (helper.make_node("Softmax", ["x"], ["y"], axis=0), "over the batch axis"),
    (helper.make_node("Clip", ["x", "lo"], ["y"]), "a clip to [-1.0, None]"),
    (helper.make_node("HardSigmoid", ["x"], ["y"]), "only alpha=1/6"),
])
def test_refused_nodes(tmp_path: Path, node: object, why: str) -> None:
    path = model_file(tmp_path, [node], [weight("c", 4), floats("lo", [-1.0])],
                      {"x": [1, 4]}, ["y"])
    with pytest.raises(ImportProblem, match=r"node 0 .*" + why.replace("[", r"\[")):
        import_model(path)


def test_node_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nodes = [helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Relu", ["a"], ["b"]),
             helper.make_node("Relu", ["b"], ["y"])]
    path = model_file(tmp_path, nodes, [], {"x": [1, 4]}, ["y"])
    monkeypatch.setenv("CNNCALC_MAX_LAYERS", "2")
    with pytest.raises(ImportProblem, match="3 nodes is more than cnncalc's 2 layers"):
        import_model(path)


def test_size_cap_and_garbage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\xff\xfe not protobuf" * 10)
    result = run(["import", str(junk)])
    assert result.exit_code == 2 and "not an ONNX model" in result.output
    monkeypatch.setattr(onnx_import.model_file, "MAX_ONNX_BYTES", 10)  # where it is read
    with pytest.raises(ImportProblem, match="bytes is more than the 10"):
        import_model(junk)


def test_external_data_is_never_read(tmp_path: Path) -> None:
    """A weight stored outside names a file that is not read: its dims are enough; a value
    that is needed (a clip bound) from external data is refused."""
    secret = tmp_path.parent / "secret.bin"
    tensor = weight("w", 2, 1, 1, 1)
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value="../secret.bin")
    node = helper.make_node("Conv", ["x", "w"], ["y"])
    path = model_file(tmp_path, [node], [tensor], {"x": [1, 1, 4, 4]}, ["y"])
    text, _ = import_model(path)  # the file does not exist, and is not looked for
    assert not secret.exists()
    assert "- conv: {filters: 2, kernel: 1, bias: false}" in text
    lo = floats("lo", [0.0])
    lo.ClearField("float_data")
    lo.data_location = TensorProto.EXTERNAL
    lo.external_data.add(key="location", value="lo.bin")
    clip = helper.make_node("Clip", ["x", "lo"], ["y"])
    path = model_file(tmp_path, [clip], [lo], {"x": [1, 4]}, ["y"])
    with pytest.raises(ImportProblem, match="external data, which cnncalc does not read"):
        import_model(path)


def test_cli_writes_the_spec_and_the_folding_note(tmp_path: Path) -> None:
    out = tmp_path / "r18.yaml"
    result = run(["import", str(REFERENCE / "onnx" / "resnet18.onnx"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "TrainingMode.PRESERVE" in result.output  # stderr, mixed in by CliRunner
    assert analyze_text(out.read_text()).totals.params == RECORDED["resnet18"]["params"]
    lint = run(["lint", str(out)])
    assert lint.exit_code == 0, lint.output


def test_missing_onnx_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)
    result = run(["import", str(tmp_path / "m.onnx")])
    assert result.exit_code == 2
    assert result.output.strip() == ("cnncalc import needs the onnx package: "
                                     "pip install 'cnncalc[onnx]'")


# -- round trip through the ONNX exporter ------------------------------------------------------


# What has no ONNX form at all (export refuses it: tests/test_onnx_export.py)
NO_ONNX = {"tiny_all_kinds"}  # its fractional max pool draws random windows


def _round_trip(example: Path, tmp_path: Path) -> tuple[Any, Path]:
    net = tmp_path / "net.onnx"
    exported = run(["export", str(example), "--to", "onnx", "--no-weights", "-o", str(net)])
    assert exported.exit_code == 0, exported.output
    back = tmp_path / "back.yaml"
    return run(["import", str(net), "-o", str(back)]), back


ROUND_TRIPS = [e for e in EXAMPLES if e.stem not in NO_ONNX]


@pytest.mark.parametrize("example", ROUND_TRIPS, ids=[e.stem for e in ROUND_TRIPS])
def test_spec_onnx_spec_round_trip(example: Path, tmp_path: Path) -> None:
    """spec -> ONNX (structure only) -> spec: the same params, MACs and output shapes."""
    imported, back = _round_trip(example, tmp_path)
    assert imported.exit_code == 0, imported.output
    before = analyze_text(example.read_text())
    after = analyze_text(back.read_text())
    assert after.totals.params == before.totals.params
    assert after.totals.macs == before.totals.macs
    assert [list(o.shape) for o in after.outputs] == [list(o.shape) for o in before.outputs]


def test_gelu_from_erf_and_the_folding_hint(tmp_path: Path) -> None:
    """PyTorch's GELU before opset 20 (five nodes) is one gelu; a conv with a bias and no
    batch norm anywhere draws the folding hint."""
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"]),
             helper.make_node("Div", ["c", "sqrt2"], ["d"]),
             helper.make_node("Erf", ["d"], ["e"]),
             helper.make_node("Add", ["e", "one"], ["a"]),
             helper.make_node("Mul", ["c", "a"], ["m"]),
             helper.make_node("Mul", ["m", "half"], ["y"])]
    inits = [weight("w", 4, 2, 1, 1), weight("b", 4), floats("sqrt2", [2 ** 0.5]),
             floats("one", [1.0]), floats("half", [0.5])]
    path = model_file(tmp_path, nodes, inits, {"x": [1, 2, 5, 5]}, ["y"])
    text, notes = import_model(path, structured=False)
    assert [line.split(":")[0].strip() for line in text.splitlines()
            if line.startswith("  - ")] == ["- conv", "- gelu"]
    assert len(notes) == 2 and "1 of its convs have biases" in notes[1]
    shapes, _ = oracle(path)
    assert list(analyze_text(text).outputs[0].shape) == shapes["y"] == [4, 5, 5]


def test_a_layer_whose_shape_is_not_onnx_is_refused(tmp_path: Path) -> None:
    """Every imported layer's output shape is compared with the model's: here the model
    declares [4, 9, 9] where its conv gives [4, 5, 5]."""
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="/body/conv/Conv")
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 5, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 9, 9])],
        [weight("w", 4, 2, 1, 1)])
    path = tmp_path / "m.onnx"
    path.write_bytes(helper.make_model(graph).SerializeToString())
    with pytest.raises(ImportProblem, match=r"node 0 '/body/conv/Conv' \(Conv\): cnncalc "
                                            r"computes the output \[4, 5, 5\], ONNX's shape "
                                            r"inference \[4, 9, 9\]"):
        import_model(path)


def test_a_malformed_node_is_one_located_line(tmp_path: Path) -> None:
    path = model_file(tmp_path, [helper.make_node("LRN", ["x"], ["y"], name="norm")], [],
                      {"x": [1, 4, 3, 3]}, ["y"])
    with pytest.raises(ImportProblem, match=r"node 0 'norm' \(LRN\): malformed node "
                                            r"\(KeyError: 'size'\)"):
        import_model(path)


def test_the_readme_table_is_what_import_gives() -> None:
    readme = (HERE.parent / "README.md").read_text(encoding="utf-8")
    rows = [line.split("|")[1:-1] for line in readme.splitlines()
            if line.startswith("| ") and line.split("|")[1].strip() in TORCHVISION]
    assert sorted(r[0].strip() for r in rows) == TORCHVISION
    for model, params, macs, counts in rows:
        path = REFERENCE / "onnx" / f"{model.strip()}.onnx"
        flat, short = (int(n) for n in counts.split("->"))
        assert int(params.replace(",", "")) == RECORDED[model.strip()]["params"]
        assert int(macs.replace(",", "")) == RECORDED[model.strip()]["macs"]
        assert entries(import_model(path, structured=False)[0]) == flat
        assert entries(import_model(path)[0]) == short


def test_slices_squeezes_and_reductions(tmp_path: Path) -> None:
    nodes = [helper.make_node("Slice", ["x", "st", "en", "ax"], ["s"]),
             helper.make_node("ReduceMean", ["s", "sp"], ["m"], keepdims=1),
             helper.make_node("Squeeze", ["m", "sp"], ["q"]),
             helper.make_node("ReduceMax", ["s", "sp"], ["k"], keepdims=0),
             helper.make_node("Concat", ["q", "k"], ["y"], axis=1)]
    inits = [ints("st", [1, 0]), ints("en", [-2, 5]), ints("ax", [2, 3]), ints("sp", [2, 3])]
    path = model_file(tmp_path, nodes, inits, {"x": [1, 3, 10, 6]}, ["y"], opset=18)
    text = check(path, params=0)
    for line in ("cropping: {cropping: [[1, 2], [0, 1]]}", "global_avgpool: {}",
                 "flatten: {}", "global_maxpool: {keepdims: false}"):
        assert f"- {line}" in text, line


@pytest.mark.parametrize("batch", [2, "N"])
def test_a_slice_of_the_batch_is_refused_by_name(tmp_path: Path, batch: int | str) -> None:
    # a symbolic batch once ended in "malformed node (TypeError ...)" from reading its size
    nodes = [helper.make_node("Slice", ["x", "st", "en", "ax"], ["y"], name="cut")]
    inits = [ints("st", [0]), ints("en", [1]), ints("ax", [0])]
    path = model_file(tmp_path, nodes, inits, {"x": [batch, 3, 4, 4]}, ["y"], opset=18)
    with pytest.raises(ImportProblem, match=r"node 0 'cut' \(Slice\): a slice of the batch "
                                            r"has no cnncalc kind"):
        import_model(path)


def test_a_slice_keeping_the_whole_batch_is_a_crop(tmp_path: Path) -> None:
    nodes = [helper.make_node("Slice", ["x", "st", "en", "ax"], ["y"])]
    inits = [ints("st", [0, 1]), ints("en", [2**63 - 1, 3]), ints("ax", [0, 2])]
    path = model_file(tmp_path, nodes, inits, {"x": ["N", 3, 4, 4]}, ["y"], opset=18)
    # rows 1..2 of 4 kept: one off each side of H, nothing off W
    assert "- cropping: {cropping: [1, 0]}" in import_model(path, structured=False)[0]


# -- the package's shape -----------------------------------------------------------------------
def test_every_translated_op_is_an_onnx_op() -> None:
    """The table's keys are op names ONNX's own schema registry knows (a typo would leave the
    op unreadable with no other test noticing)."""
    from cnncalc.interop.onnx_import.ops import TRANSLATORS

    unknown = [op for op in TRANSLATORS if not onnx.defs.has(op)]
    assert not unknown, unknown


def test_onnx_is_imported_only_by_an_import() -> None:
    """Loading the importer package does not load onnx (`cnncalc import` checks onnx is
    installed first, to say what to install), and `cnncalc shapes` loads neither."""
    import subprocess
    import sys

    code = ("import sys; import cnncalc.interop.onnx_import; "
            "assert 'onnx' not in sys.modules, 'onnx imported by the package'\n"
            "from click.testing import CliRunner; from cnncalc.cli import main\n"
            "for m in [m for m in sys.modules if m.startswith('cnncalc.interop')]: "
            "del sys.modules[m]\n"
            f"result = CliRunner().invoke(main, ['shapes', {str(EXAMPLES[0])!r}])\n"
            "assert result.exit_code == 0, result.output\n"
            "loaded = [m for m in sys.modules if m == 'onnx' or "
            "m.startswith('cnncalc.interop')]\n"
            "assert not loaded, loaded\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=HERE.parent, timeout=60,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
