"""`cnncalc export --to onnx`, checked by an independent oracle: ONNX's own shape inference.

Every example is exported, the shapes cnncalc declared are stripped from the file, and
`onnx.shape_inference.infer_shapes(strict_mode=True)` works them out again from the
operators' definitions; every layer's inferred output must equal cnncalc's. The same runs on
random small networks drawn by hypothesis (every window rule, padding mode and kind), which
onnxruntime also executes against the NumPy executor.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

onnx = pytest.importorskip("onnx")

from onnx import shape_inference

from cnncalc.build import build
from cnncalc.cli import main
from cnncalc.errors import SpecError
from cnncalc.graph import Network
from cnncalc.interop.onnx_export import (
    OPSET,
    NotExportable,
    executor_params,
    to_onnx,
)
from cnncalc.spec import load_file, parse

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
# tiny_all_kinds' fractional max pool has no ONNX form (it draws its windows at random): the
# oracle reads tiny with a max pool of the same output size in its place
FRACTIONAL = "fractional_maxpool: {kernel: 2, output_size: [8, 16]}"
IN_ITS_PLACE = "maxpool: {kernel: 2, stride: 1}"


def example_text(path: Path) -> str:
    text = path.read_text()
    return text.replace(FRACTIONAL, IN_ITS_PLACE) if path.stem == "tiny_all_kinds" else text


def dims(info: onnx.ValueInfoProto) -> list[int | str]:
    return [d.dim_value if d.HasField("dim_value") else d.dim_param
            for d in info.type.tensor_type.shape.dim]


def inferred(model: onnx.ModelProto) -> dict[str, list[int | str] | None]:
    """Every tensor's shape as ONNX infers it with cnncalc's declarations removed. A
    MaxUnpool given its output size as an input is the one operator whose inference stops
    (ONNX does not read that input): its declared shape is kept, and the test checks that
    input against the inferred shape of the pool's input instead."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    unpooled = {n.output[0] for n in model.graph.node if n.op_type == "MaxUnpool"
                and len(n.input) == 3}
    kept = [v for v in model.graph.value_info if v.name in unpooled]
    model.graph.ClearField("value_info")
    model.graph.value_info.extend(kept)
    for output in model.graph.output:
        output.type.tensor_type.ClearField("shape")
    result = shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    return {v.name: dims(v) if v.type.tensor_type.HasField("shape") else None
            for v in (*result.graph.value_info, *result.graph.output, *result.graph.input)}


def check_against_cnncalc(network: Network, model: onnx.ModelProto, batch: int | str = 1
                          ) -> int:
    """Every node's ONNX-inferred output shape equals cnncalc's; returns how many."""
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == OPSET >= 17
    shapes = inferred(model)
    names = {n.name for n in model.graph.node}
    for node in network.nodes:
        assert node.name in names, node.name
        assert shapes.get(node.name) == [batch, *node.output_shape], (
            f"{node.layer.kind} '{node.name}': ONNX infers {shapes.get(node.name)}, cnncalc "
            f"{[batch, *node.output_shape]}")
    for n in model.graph.node:  # an unpool's given size is its pool's inferred input size
        if n.op_type == "MaxUnpool" and len(n.input) == 3:
            pool = next(p for p in model.graph.node if p.output[-1] == n.input[1])
            size = [t for t in model.graph.initializer if t.name == n.input[2]]
            if size:  # a constant: the pool's input's shape, batch included
                assert list(onnx.numpy_helper.to_array(size[0])) == shapes[pool.input[0]]
            else:  # a symbolic batch: the Shape of the pool's input
                shape = next(s for s in model.graph.node if s.output[0] == n.input[2])
                assert shape.op_type == "Shape" and shape.input == pool.input[:1]
    assert [dims(i) for i in model.graph.input[:len(network.inputs)]] == \
        [[batch, *i.shape] for i in network.inputs]
    assert [o.name for o in model.graph.output] == \
        [network.output_name(i) for i in range(len(network.outputs))]
    return len(network.nodes)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_onnx_infers_cnncalc_shapes_on_every_layer_of_every_example(tmp_path: Path,
                                                                   path: Path) -> None:
    spec = tmp_path / path.name
    spec.write_text(example_text(path))
    out = tmp_path / "net.onnx"
    result = CliRunner().invoke(main, ["export", str(spec), "--to", "onnx", "-o", str(out),
                                       "--no-weights"])
    assert result.exit_code == 0, result.output
    assert f"ONNX opset {OPSET}" in result.output
    network = build(load_file(spec))
    assert check_against_cnncalc(network, onnx.load(str(out))) == len(network.nodes)


def test_a_symbolic_batch_is_carried_through_every_layer() -> None:
    network = build(load_file(ROOT / "examples" / "resnet18.yaml"))
    check_against_cnncalc(network, to_onnx(network, None, batch="N"), batch="N")
    network = build(load_file(ROOT / "examples" / "segnet.yaml"))  # unpools of odd sizes
    check_against_cnncalc(network, to_onnx(network, None, batch="N"), batch="N")


def test_a_given_batch_is_declared_everywhere() -> None:
    network = build(parse(example_text(ROOT / "examples" / "tiny_all_kinds.yaml")))
    check_against_cnncalc(network, to_onnx(network, None, batch=3), batch=3)


def test_the_weights_are_the_executors_and_none_without_them(tmp_path: Path) -> None:
    from cnncalc.executor.runner import initialised_ops

    path = ROOT / "examples" / "lenet5.yaml"
    network = build(load_file(path))
    out = tmp_path / "lenet.onnx"
    result = CliRunner().invoke(main, ["export", str(path), "--to", "onnx", "-o", str(out),
                                       "--seed", "7"])
    assert result.exit_code == 0, result.output
    model = onnx.load(str(out))
    stored = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    ops = initialised_ops(network, 7)
    learned = 0
    for node, op in zip(network.nodes, ops):
        for key, value in op.params.items():
            assert np.array_equal(stored[f"{node.name}.{key}"], value), (node.name, key)
            learned += value.size
    assert learned == 61706  # LeNet-5's parameters, all of them in the file
    assert model.graph.input[0].name == network.inputs[0].name
    assert len(model.graph.input) == 1  # the weights are data, not inputs

    bare = tmp_path / "bare.onnx"
    result = CliRunner().invoke(main, ["export", str(path), "--to", "onnx", "-o", str(bare),
                                       "--no-weights"])
    assert result.exit_code == 0, result.output
    model = onnx.load(str(bare))
    assert bare.stat().st_size < 20_000
    assert not [t for t in model.graph.initializer if t.data_type == onnx.TensorProto.FLOAT]
    declared = {i.name: dims(i) for i in model.graph.input[1:]}
    assert declared == {f"{n.name}.{k}": list(s) for n in network.nodes
                        for k, s in n.layer.param_shapes().items()}
    onnx.checker.check_model(model, full_check=True)


def test_executor_params_follow_run_seed() -> None:
    network = build(load_file(ROOT / "examples" / "espcn.yaml"))
    a, b = executor_params(network, 1), executor_params(network, 2)
    assert not np.array_equal(a["conv1"]["weight"], b["conv1"]["weight"])
    assert np.array_equal(a["conv1"]["weight"], executor_params(network, 1)["conv1"]["weight"])


def test_a_kind_without_an_onnx_form_is_one_located_line_and_no_file(tmp_path: Path) -> None:
    out = tmp_path / "tiny.onnx"
    result = CliRunner().invoke(main, ["export", str(ROOT / "examples" / "tiny_all_kinds.yaml"),
                                       "--to", "onnx", "-o", str(out)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "tiny_all_kinds.yaml:80:5: fractional_maxpool " \
                               "'fractional_maxpool1': no ONNX form" in lines[0]
    assert not out.exists() and not list(tmp_path.iterdir())


@pytest.mark.parametrize(("layers", "says"), [
    ("- lppool: {norm_type: 3, kernel: 2}", "agree only for p = 2"),
    ("- lrn: {size: 4}", "an even size (4)"),
    ("- batchnorm: {track_running_stats: false}", "without running statistics"),
    ("- adaptive_avgpool: {output_size: [65, 1]}", "more than 64 unequal windows"),
    ("- avgpool: {kernel: 2, padding: 1}", "the ceil rule keeps a last window"),
    ("- maxpool: {kernel: 2, padding: 1}", "as large as the kernel [2, 2]"),
])
def test_what_onnx_cannot_say_is_refused_naming_the_layer(layers: str, says: str) -> None:
    network = build(parse(f"input: [2, 7, 6]\nlayers:\n{layers}\n"))
    with pytest.raises(NotExportable, match=re.escape(says)) as refused:
        to_onnx(network, None)
    assert str(refused.value).startswith("<spec>:")


def test_a_missing_onnx_is_one_line_saying_what_to_install(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)
    result = CliRunner().invoke(main, ["export", str(ROOT / "examples" / "lenet5.yaml"),
                                       "--to", "onnx", "-o", str(tmp_path / "x.onnx")])
    assert result.exit_code == 2
    assert result.output == ("cnncalc export --to onnx needs onnx: pip install "
                             "'cnncalc[onnx]'\n")


@pytest.mark.parametrize("batch", ["0", "-1", "1x", "", "a b"])
def test_a_bad_batch_is_a_usage_error(tmp_path: Path, batch: str) -> None:
    result = CliRunner().invoke(main, ["export", str(ROOT / "examples" / "lenet5.yaml"),
                                       "--to", "onnx", "-o", str(tmp_path / "x.onnx"),
                                       "--batch", batch])
    assert result.exit_code == 2 and "--batch" in result.output


# --- random small networks ------------------------------------------------------------------

def _sizes(draw: st.DrawFn, low: int, high: int) -> int | list[int]:
    return draw(st.one_of(st.integers(low, high), st.lists(st.integers(low, high),
                                                           min_size=2, max_size=2)))


@st.composite
def layer(draw: st.DrawFn) -> dict:
    """One layer entry, of a kind ONNX can express, with arguments that may or may not
    build on the input it meets (the net is discarded when they do not)."""
    kind = draw(st.sampled_from([
        "conv", "conv", "conv_transpose", "maxpool", "maxpool", "avgpool", "adaptive",
        "upsample", "pad", "cropping", "activation", "norm", "depthwise", "separable",
        "branches", "shuffle"]))
    if kind == "branches":
        merge = draw(st.sampled_from(["add", "concat", "multiply"]))
        return {"branches": [[], [draw(st.sampled_from(
            ["sigmoid", {"conv": {"filters": 4, "kernel": 3, "padding": 1}}, "identity"]))],
            ["global_avgpool"] if merge != "concat" else []], "merge": merge}
    if kind == "shuffle":
        return draw(st.sampled_from([
            {"pixel_shuffle": {"factor": 2}}, {"pixel_unshuffle": {"factor": 2}},
            {"permute": {"dims": [0, 2, 1]}}, {"flatten": {"start_dim": 2}}]))
    kernel = _sizes(draw, 1, 4)
    stride = _sizes(draw, 1, 3)
    if kind in ("conv", "depthwise", "separable"):
        padding = draw(st.one_of(st.integers(0, 2), st.sampled_from(["same", "valid"]),
                                 st.just([[0, 1], [2, 1]])))
        args = {"kernel": kernel, "stride": 1 if padding == "same" else stride,
                "padding": padding, "dilation": draw(st.integers(1, 2)),
                "padding_mode": draw(st.sampled_from(
                    ["zeros", "reflect", "replicate", "circular"]))}
        if kind == "depthwise":
            return {"depthwise_conv": args | {"depth_multiplier": draw(st.integers(1, 2))}}
        if kind == "separable":
            return {"separable_conv": args | {"filters": draw(st.integers(1, 6))}}
        return {"conv": args | {"filters": 4 * draw(st.integers(1, 2)),
                                "groups": draw(st.sampled_from([1, 2])),
                                "bias": draw(st.booleans())}}
    if kind == "conv_transpose":
        s = draw(st.integers(1, 3))
        return {"conv_transpose": {"filters": draw(st.integers(1, 6)), "kernel": kernel,
                                   "stride": s, "padding": draw(st.integers(0, 1)),
                                   "output_padding": draw(st.integers(0, s - 1)),
                                   "dilation": draw(st.integers(1, 2))}}
    if kind in ("maxpool", "avgpool"):
        args = {"kernel": kernel, "stride": stride, "padding": draw(st.integers(0, 1)),
                "ceil_mode": draw(st.booleans())}
        if kind == "avgpool":
            args["count_include_pad"] = draw(st.booleans())
        else:
            args["dilation"] = draw(st.integers(1, 2))
        return {kind: args}
    if kind == "adaptive":
        return {draw(st.sampled_from(["adaptive_avgpool", "adaptive_maxpool"])):
                {"output_size": _sizes(draw, 1, 5)}}
    if kind == "upsample":
        mode = draw(st.sampled_from(["nearest", "nearest-exact", "bilinear", "bicubic",
                                     "area"]))
        args: dict = {"mode": mode}
        if draw(st.booleans()) or mode == "area":
            args["size"] = _sizes(draw, 1, 9)
        else:
            args["scale"] = draw(st.sampled_from([2, 3, 1.5, [2, 1]]))
        if mode in ("bilinear", "bicubic"):
            args["align_corners"] = draw(st.booleans())
        return {"upsample": args}
    if kind == "pad":
        return {draw(st.sampled_from(["zeropad", "reflection_pad", "replication_pad",
                                      "circular_pad"])):
                {"padding": draw(st.sampled_from([1, [0, 1], [[1, 0], [0, 2]]]))}}
    if kind == "cropping":
        return {"cropping": {"cropping": draw(st.sampled_from([1, [[1, 0], [0, 1]]]))}}
    if kind == "norm":
        return draw(st.sampled_from([
            "batchnorm", {"batchnorm": {"affine": False}}, {"groupnorm": {"groups": 2}},
            {"groupnorm": {"groups": 1, "affine": False}}, "instancenorm",
            {"instancenorm": {"affine": True}},
            {"instancenorm": {"affine": True, "track_running_stats": True}},
            "layernorm", {"layernorm": {"over": "channels"}},
            {"layernorm": {"over": "channels", "bias": False}},
            {"lrn": {"size": 3, "alpha": 0.5, "k": 2}}]))
    return draw(st.sampled_from([
        "relu", "relu6", "sigmoid", "tanh", "gelu", "silu", "hardswish", "hardsigmoid",
        "selu", "mish", {"hardtanh": {"min_val": -0.5, "max_val": 2}},
        {"leaky_relu": {"negative_slope": 0.2}}, {"elu": {"alpha": 0.7}},
        {"celu": {"alpha": 1.5}}, {"softplus": {"beta": 2}}, "softplus",
        {"prelu": {"num_parameters": 1}}, {"softmax": {"axis": 0}},
        {"log_softmax": {"axis": -1}}, {"dropout": {"p": 0.3}},
        {"spatial_dropout": {"p": 0.3}}, "identity"]))


@st.composite
def small_net(draw: st.DrawFn) -> str:
    layers = draw(st.lists(layer(), min_size=1, max_size=5))
    head = draw(st.sampled_from([[], ["flatten", {"dense": {"units": 3}}],
                                 [{"dense": {"units": 3}}],
                                 ["global_avgpool"], [{"global_maxpool": {"keepdims": False}},
                                                      {"dense": {"units": 2}}]]))
    spec = {"input": [4, draw(st.integers(3, 11)), draw(st.integers(3, 11))],
            **draw(st.sampled_from([{}, {"framework": "pytorch"}, {"framework": "caffe"},
                                    {"framework": "tensorflow"}, {"rounding": "floor"}])),
            "layers": layers + head}
    return yaml.safe_dump(spec, sort_keys=False)


def _built(text: str) -> Network:
    try:
        network = build(parse(text))
    except (SpecError, ValueError):
        assume(False)
        raise
    assume(all(0 < n <= 4096 for node in network.nodes for n in
               [int(np.prod(node.output_shape))]))
    return network


@settings(max_examples=150, suppress_health_check=[HealthCheck.filter_too_much,
                                                   HealthCheck.too_slow])
@given(text=small_net())
def test_onnx_infers_cnncalc_shapes_on_random_small_nets(text: str) -> None:
    network = _built(text)
    try:
        model = to_onnx(network, None, batch=2)
    except NotExportable:
        assume(False)
        raise
    check_against_cnncalc(network, model, batch=2)


@settings(max_examples=100, suppress_health_check=[HealthCheck.filter_too_much,
                                                   HealthCheck.too_slow])
@given(text=small_net())
def test_onnxruntime_computes_what_the_executor_does_on_random_small_nets(text: str) -> None:
    pytest.importorskip("onnxruntime")
    from cnncalc.executor.runner import run
    from cnncalc.interop.onnx_compare import compare_onnxruntime

    network = _built(text)
    try:
        to_onnx(network, None)
        result = run(network, batch=2, backward=False, train=False, keep=True)
    except (NotExportable, SpecError):
        assume(False)
        raise
    assume(result.ok)
    for diff in compare_onnxruntime(network, result):
        assert diff.ok, f"{diff}\n{text}"


def test_export_at_another_input_size(tmp_path: Path) -> None:
    out = tmp_path / "g.onnx"
    path = ROOT / "examples" / "googlenet.yaml"
    result = CliRunner().invoke(main, ["export", str(path), "--to", "onnx", "-o", str(out),
                                       "--no-weights", "--input-size", "96", "--batch", "N"])
    assert result.exit_code == 0, result.output
    network = build(load_file(path).resized((96,)))
    assert check_against_cnncalc(network, onnx.load(str(out)), batch="N") == 215


def test_the_structure_only_file_runs_once_the_weights_are_fed(tmp_path: Path) -> None:
    ort = pytest.importorskip("onnxruntime")
    from cnncalc.executor.runner import run

    network = build(load_file(ROOT / "examples" / "lenet5.yaml"))
    result = run(network, batch=2, backward=False, train=False, keep=True)
    model = to_onnx(network, None, batch=2)
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    feeds = {"input": result.input_values[0]} | {
        f"{name}.{key}": value for name, params in result.params.items()
        for key, value in params.items()}
    (y,) = session.run(None, feeds)
    assert np.allclose(y, result.output_values[0], rtol=1e-4, atol=1e-5)


def test_an_unwritable_output_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "net.onnx"
    result = CliRunner().invoke(main, ["export", str(ROOT / "examples" / "lenet5.yaml"),
                                       "--to", "onnx", "-o", str(out), "--no-weights"])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, \
        result.output
    assert "net.onnx" in result.output


def test_every_kind_is_exported_or_said_to_have_no_onnx_form() -> None:
    from cnncalc.interop.onnx_export import EXPORTERS, NO_ONNX_FORM
    from cnncalc.layers.base import LAYERS

    kinds = {cls.kind for cls in LAYERS.values()}  # LAYERS also maps the aliases
    # maxunpool reads two values, as the merges (add, concat, multiply) do: its own writer
    assert kinds == set(EXPORTERS) | set(NO_ONNX_FORM) | {"maxunpool"}
    assert set(NO_ONNX_FORM) == {"fractional_maxpool"}
