"""The NumPy executor: im2col against its loop reference, gradient checks of every kind,
`cnncalc run` on every example, the mismatch path, and the memory guard."""
from __future__ import annotations

import json
import math
import subprocess
import sys
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.build import build
from cnncalc.cli import main
from cnncalc.executor import ops
from cnncalc.executor.gradcheck import PASS_BELOW, worst_error
from cnncalc.executor.im2col import col2im, col2im_naive, im2col, im2col_naive
from cnncalc.executor.memory import parse_memory_limit as parse_bytes
from cnncalc.executor.ops.pool import padding_only_window
from cnncalc.executor.runner import MemoryRefused, run
from cnncalc.geometry import CEIL, FLOOR, PYTORCH_CEIL, Window
from cnncalc.layers import LAYERS, MERGES
from cnncalc.spec import load_file, parse

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
TINY = ROOT / "examples" / "tiny_all_kinds.yaml"


# --- im2col -----------------------------------------------------------------------------

@st.composite
def layer_windows(draw: st.DrawFn) -> tuple[Window, ...]:
    """1 to 3 axes, each a layer window under a random rounding rule."""
    windows = []
    for _ in range(draw(st.integers(1, 3))):
        kernel = draw(st.integers(1, 3))
        dilation = draw(st.integers(1, 2))
        extent = dilation * (kernel - 1) + 1
        size = draw(st.integers(max(1, extent - 2), 7))
        pads = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
        rule = draw(st.sampled_from((CEIL, FLOOR, PYTORCH_CEIL)))
        window = Window(size, kernel, draw(st.integers(1, 3)), *pads, dilation, rule)
        if window.count < 1:
            window = Window(size, kernel, 1, extent, extent, dilation, rule)
        windows.append(window)
    return tuple(windows)


@st.composite
def sliding_windows(draw: st.DrawFn) -> tuple[tuple[Window, ...], tuple[int, ...]]:
    """Layer windows, as im2col takes them, and the input size they slide over."""
    axes = draw(layer_windows())
    return axes, tuple(a.size for a in axes)


@settings(max_examples=60, deadline=None)
@given(sliding_windows(), st.integers(1, 2), st.integers(1, 3), st.sampled_from((0.0, -7.0)))
def test_im2col_matches_the_loop_reference(geometry, batch, channels, fill) -> None:
    axes, spatial = geometry
    x = np.random.default_rng(0).standard_normal((batch, channels, *spatial))
    want = im2col_naive(x, axes, fill)
    assert np.array_equal(im2col(x, axes, "batch", fill), want)
    # the channel layout holds the same columns, samples side by side
    channel = im2col(x, axes, "channel", fill)
    assert np.array_equal(channel.reshape(want.shape[1], batch, -1).transpose(1, 0, 2), want)


@settings(max_examples=60, deadline=None)
@given(sliding_windows(), st.integers(1, 2), st.integers(1, 3))
def test_col2im_matches_the_loop_reference_and_is_the_adjoint(geometry, batch, channels):
    axes, spatial = geometry
    rng = np.random.default_rng(1)
    shape = (batch, channels, *spatial)
    rows = channels * math.prod(a.kernel for a in axes)
    cols = rng.standard_normal((batch, rows, math.prod(a.count for a in axes)))
    want = col2im_naive(cols, shape, axes)
    assert np.allclose(col2im(cols, shape, axes, "batch"), want)
    channel = np.ascontiguousarray(cols.transpose(1, 0, 2)).reshape(rows, -1)
    assert np.allclose(col2im(channel, shape, axes, "channel"), want)
    x = rng.standard_normal(shape)  # <im2col(x), c> = <x, col2im(c)>
    assert np.isclose(np.sum(im2col(x, axes) * cols), np.sum(x * want))


@pytest.mark.parametrize("size, kernel, stride, pad, rule, windows, reach", [
    # ceil keeps a last window hanging past the padding: the padded input grows (implicit)
    (8, 3, 2, 1, CEIL, 5, 11),
    # PyTorch's ceil_mode drops a last window that would start in the padding
    (7, 2, 2, 1, PYTORCH_CEIL, 4, 8),
    # floor leaves the last input pixel unread: the padded input is cut short
    (8, 3, 2, 0, FLOOR, 3, 7),
])
def test_a_window_counts_and_reaches_as_its_rule_says(size, kernel, stride, pad, rule,
                                                      windows, reach) -> None:
    axis = Window(size, kernel, stride, pad, pad, 1, rule)
    assert (axis.count, axis.reach) == (windows, reach)


# --- gradients --------------------------------------------------------------------------

def test_every_kind_has_an_op_chosen_by_kind_or_trait() -> None:
    missing = [cls.kind for cls in LAYERS.values() if ops.op_class(cls) is None]
    assert not missing and set(MERGES) <= set(ops.OPS), missing


def test_tiny_net_holds_every_kind_and_passes_the_gradient_check() -> None:
    """Every kind but the elementwise activations, each of which its PyTorch case (one row
    of tests/activation_table.py) gradient-checks on its own, below."""
    result = run(load_file(TINY), gradient_check=True)
    kinds = {layer.kind for layer in result.layers}
    every = {cls.kind for cls in LAYERS.values()} | set(MERGES)
    elementwise = {cls.kind for cls in LAYERS.values()
                   if ops.op_class(cls) is ops.ActivationOp}
    assert every - elementwise <= kinds <= every and kinds & elementwise
    worst = {layer.name: layer.gradient_error for layer in result.layers}
    assert all(error < PASS_BELOW for error in worst.values()), worst
    assert result.ok, result.mismatches


REFERENCE = json.loads(str(np.load(ROOT / "tests" / "reference" /
                                   "executor_reference.npz")["__cases__"]))


@pytest.mark.parametrize("case", REFERENCE, ids=[c["name"] for c in REFERENCE])
def test_every_configuration_of_the_pytorch_reference_passes_the_gradient_check(case) -> None:
    """1-D and 3-D, ceil and floor, groups, dilation, align_corners: each op on its own."""
    network = build(parse(case["spec"], case["name"]))
    node = network.nodes[-1]
    op = ops.op_for(node.layer)
    rng = np.random.default_rng(7)
    op.init(rng, np.dtype("float64"))
    shapes = [network.shape(ref) for ref in node.inputs]
    inputs = [rng.standard_normal((2, *shape)) for shape in shapes]
    if hasattr(op, "link"):  # maxunpool: its pool run on a random input
        pool = network.nodes[node.inputs[1]]
        source = ops.op_for(pool.layer)
        source.forward(rng.standard_normal((2, *network.shape(pool.inputs[0]))))
        op.link([None, source])
    assert worst_error(op, inputs if len(inputs) > 1 else inputs[0], rng) < PASS_BELOW


def test_a_wrong_backward_fails_the_gradient_check(monkeypatch) -> None:
    true_backward = ops.ActivationOp.backward

    def off_by_a_little(self, dy, inplace=False):
        return true_backward(self, dy, inplace) * 1.001

    monkeypatch.setattr(ops.ActivationOp, "backward", off_by_a_little)
    result = run(load_file(TINY), gradient_check=True, backward=False)
    failed = {m.message.split("'")[1] for m in result.mismatches}
    assert "relu1" in failed and "gelu1" in failed
    assert "stem" not in failed


def test_batch_norm_trains_on_batch_statistics_and_evaluates_on_running_ones() -> None:
    spec = parse("input: [3, 4, 4]\nlayers:\n  - batchnorm\n")
    op = ops.op_for(build(spec).nodes[0].layer)
    op.init(np.random.default_rng(0), np.dtype("float64"))
    x = np.random.default_rng(1).standard_normal((4, 3, 4, 4)) * 3 + 5
    y = op.forward(x, train=True)
    assert np.allclose(y.mean(axis=(0, 2, 3)), 0) and np.allclose(y.var(axis=(0, 2, 3)), 1,
                                                                   atol=1e-4)
    assert np.allclose(op.buffers["running_mean"], 0.1 * x.mean(axis=(0, 2, 3)))
    assert np.allclose(op.forward(x, train=False),
                       (x - op.buffers["running_mean"][:, None, None]) /
                       np.sqrt(op.buffers["running_var"][:, None, None] + 1e-5))


def test_dropout_drops_about_p_in_training_and_nothing_in_eval() -> None:
    spec = parse("input: [1000]\nlayers:\n  - dropout: {p: 0.3}\n")
    op = ops.op_for(build(spec).nodes[0].layer)
    x = np.ones((10, 1000))
    y = op.forward(x, train=True)
    assert abs((y == 0).mean() - 0.3) < 0.03 and np.allclose(y[y != 0], 1 / 0.7)
    assert op.forward(x, train=False) is x


@pytest.mark.parametrize("head, loss", [
    ("  - dense: {units: 5}\n", "cross-entropy"),
    ("  - dense: {units: 5}\n  - softmax\n", "cross-entropy"),
    ("  - conv: {filters: 2, kernel: 1}\n", "sum"),
])
def test_the_loss_is_cross_entropy_for_a_classifier_head(head: str, loss: str) -> None:
    result = run(parse(f"input: [3, 4, 4]\nlayers:\n  - flatten\n{head}" if "dense" in head
                       else f"input: [3, 4, 4]\nlayers:\n{head}"), batch=3)
    assert result.loss_name == loss and result.ok
    if loss == "cross-entropy":
        assert 0 < result.loss < 20


# --- the command ------------------------------------------------------------------------

# PyTorch's per-layer output shapes of the model behind each example, at the size a CI run
# affords (recorded by tests/reference/make_executor_reference.py): the executed shapes are
# compared with these, not with the calculator's (the executor takes its window counts from
# the same geometry, so agreeing with the calculator alone could not catch a rounding error).
TORCH_SHAPES = json.loads(str(np.load(ROOT / "tests" / "reference" /
                                      "executor_reference.npz")["__examples__"]))
# the layers whose size depends on a window rule, by PyTorch's module type
WINDOWED = {"Conv2d": "conv", "ConvTranspose2d": "conv_transpose", "Linear": "dense",
            "MaxPool2d": "maxpool", "AvgPool2d": "avgpool"}


def test_every_example_but_the_tiny_one_has_pytorch_shapes() -> None:
    assert {p.stem for p in EXAMPLES} - set(TORCH_SHAPES) == {"tiny_all_kinds"}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_run_passes_with_backward_on_every_example(path: Path) -> None:
    torch = TORCH_SHAPES.get(path.stem)
    size = str(torch["size"]) if torch and torch["size"] else None
    args = ["run", str(path), "--backward", "--format", "json", "--batch", "2"]
    result = CliRunner().invoke(main, args + (["--input-size", size] if size else []))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] and all(layer["match"] for layer in report["layers"])
    assert all(layer["backward_ms"] is not None for layer in report["layers"])
    if torch is None:  # tiny_all_kinds: each of its kinds is checked in test_executor_reference
        return
    assert report["input_shape"] == torch["input"]
    assert report["output_shape"] == torch["output_shape"]
    want = [(WINDOWED[m["type"]], m["output_shape"]) for m in torch["layers"]
            if m["type"] in WINDOWED]
    executed = [(layer["kind"], layer["executed"]) for layer in report["layers"]
                if layer["kind"] in WINDOWED.values()]
    assert executed == want


def test_run_prints_the_table_and_no_progress_bar_on_a_pipe() -> None:
    result = CliRunner().invoke(main, ["run", str(TINY)])
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[1].split()
    assert header[:4] == ["Layer", "Type", "Calculated", "Executed"]
    layers = len(build(load_file(TINY)).nodes)  # the fixture grows with every new kind
    assert f"shapes: {layers} of {layers} layers as calculated" in result.stdout
    assert "running" not in result.output


WRONG_EXPECT = """\
input: [3, 16, 16]
layers:
  - conv: {filters: 8, kernel: 3, stride: 2, padding: 1}
    expect: {shape: [8, 7, 7]}
  - relu
"""


def test_a_wrong_expectation_exits_1_naming_the_layer_and_both_shapes(tmp_path) -> None:
    spec = tmp_path / "wrong.yaml"
    spec.write_text(WRONG_EXPECT)
    result = CliRunner().invoke(main, ["run", str(spec)])
    assert result.exit_code == 1
    # the seed's ceil rule: ceil((16 + 2 - 3) / 2) + 1 = 9
    assert f"{spec}:4:21: conv 'conv1': expected output shape [8, 7, 7], executed " \
           f"[8, 9, 9]" in result.stderr


def test_an_executed_shape_other_than_calculated_exits_1(tmp_path, monkeypatch) -> None:
    spec = tmp_path / "ok.yaml"
    spec.write_text(WRONG_EXPECT.replace("    expect: {shape: [8, 7, 7]}\n", ""))
    true_forward = ops.ActivationOp.forward
    monkeypatch.setattr(ops.ActivationOp, "forward",  # a relu that loses a column
                        lambda self, x, train=True, inplace=False:
                        true_forward(self, x, train, inplace)[..., :-1])
    result = CliRunner().invoke(main, ["run", str(spec), "--no-backward"])
    assert result.exit_code == 1
    assert f"{spec}:4:5: relu 'relu1': calculated output [8, 9, 9], executed [8, 9, 8]" \
        in result.stderr


def test_a_bad_spec_exits_2_with_a_located_message(tmp_path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("input: [3, 8, 8]\nlayers:\n  - conv: {filters: 4}\n")
    result = CliRunner().invoke(main, ["run", str(spec)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{spec}:3:5: conv 'conv1': missing required argument")
    assert "Traceback" not in result.output


def test_the_memory_guard_refuses_resnet50_at_batch_512_fast_without_allocating() -> None:
    tracemalloc.start()
    result = CliRunner().invoke(main, ["run", str(ROOT / "examples" / "resnet50.yaml"),
                                       "--batch", "512", "--max-memory", "8G"])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.exit_code == 2
    assert "would need about" in result.stderr and "GiB" in result.stderr
    assert "--batch" in result.stderr and "--input-size" in result.stderr
    assert peak < 50 * 2 ** 20  # refused before anything the size of the batch was made


def test_the_estimate_bounds_the_measured_peak() -> None:
    spec = load_file(ROOT / "examples" / "resnet18.yaml")
    tracemalloc.start()
    result = run(spec, batch=4, input_size=(64,))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak <= result.memory.total <= 4 * peak
    with pytest.raises(MemoryRefused):
        run(spec, batch=4, input_size=(64,), max_memory=peak // 2)


@pytest.mark.parametrize("text, count", [
    ("512M", 512 * 2 ** 20), ("4G", 4 * 2 ** 30), ("2GiB", 2 * 2 ** 30),
    ("1.5GB", 1_500_000_000), ("1000", 1000),
])
def test_memory_sizes_read_like_free_prints_them(text: str, count: int) -> None:
    assert parse_bytes(text) == count


def test_the_calculator_never_imports_numpy() -> None:
    code = ("import sys, cnncalc, cnncalc.cli, cnncalc.cli.run; "
            "assert 'numpy' not in sys.modules, 'numpy imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("kernel, padding, dilation", [
    (3, 1, 1),   # ResNet's 3x3 'same' conv
    (3, 0, 1),   # valid: dy is padded by the whole kernel extent
    (5, 1, 2),   # dilated, padding smaller than the extent
    (2, 1, 1),   # an even kernel
])
def test_stride_one_conv_backward_by_the_adjoint_conv_equals_col2im(kernel, padding,
                                                                     dilation) -> None:
    spec = parse(f"name: c\ninput: [3, 9, 8]\nlayers:\n  - conv: {{filters: 4, kernel: "
                 f"{kernel}, padding: {padding}, dilation: {dilation}}}\n", "c")
    op = ops.op_for(build(spec).nodes[-1].layer)
    assert op.by_adjoint
    rng = np.random.default_rng(3)
    op.init(rng, np.dtype("float64"))
    x = rng.standard_normal((2, 3, 9, 8))
    dy = rng.standard_normal(op.forward(x).shape)
    fast = op.backward(dy)
    fast_grads = dict(op.grads)
    op.forward(x)
    assert np.allclose(fast, op.backward_by_col2im(dy))
    assert all(np.allclose(fast_grads[name], op.grads[name]) for name in op.grads)


def test_conv_backward_over_a_free_dy_equals_the_plain_one() -> None:
    """With inplace, a stride-1 conv writes dx over a channel-major dy of the same shape."""
    spec = parse("name: c\ninput: [4, 6, 5]\nlayers:\n  - conv: {filters: 4, kernel: 3, "
                 "padding: 1}\n", "c")
    op = ops.op_for(build(spec).nodes[-1].layer)
    rng = np.random.default_rng(5)
    op.init(rng, np.dtype("float64"))
    x = rng.standard_normal((2, 4, 6, 5))
    dy = rng.standard_normal((2, 4, 6, 5))
    op.forward(x)
    want = op.backward(dy.copy())
    free = np.ascontiguousarray(dy.swapaxes(0, 1)).swapaxes(0, 1)  # channel-major
    op.forward(x)
    got = op.backward(free, inplace=True)
    assert np.shares_memory(got, free) and np.allclose(got, want)


def test_ops_split_over_threads_give_the_serial_results(monkeypatch) -> None:
    """Every op of the tiny net, forward and backward, with its passes split over three
    threads however small the arrays, against the same op run serially."""
    from cnncalc.executor import parallel

    def forward_backward(node, split: bool):
        monkeypatch.setattr(parallel, "MIN_ELEMENTS", 0 if split else 1 << 62)
        monkeypatch.setattr(parallel, "thread_count", lambda: 3)
        op = ops.op_for(node.layer)
        rng = np.random.default_rng(11)
        op.init(rng, np.dtype("float64"))
        shapes = getattr(node.layer, "input_shapes", None)
        inputs = [rng.standard_normal((3, *s)) for s in shapes] if shapes else \
            rng.standard_normal((3, *node.layer.input_shape))
        y = op.forward(inputs)
        dx = op.backward(np.random.default_rng(12).standard_normal(y.shape))
        return y, dx, {name: grad.copy() for name, grad in op.grads.items()}

    for node in build(load_file(TINY)).nodes:
        if hasattr(ops.op_class(node.layer), "link"):  # reads its pool's op; serial anyway
            continue
        (y, dx, grads), (y2, dx2, grads2) = (forward_backward(node, s) for s in (False, True))
        assert np.allclose(y, y2) and grads.keys() == grads2.keys(), node.name
        for got, want in zip(dx2 if isinstance(dx2, list) else [dx2],
                             dx if isinstance(dx, list) else [dx]):
            assert np.allclose(got, want), node.name
        assert all(np.allclose(grads2[name], grads[name]) for name in grads), node.name


@settings(max_examples=200, deadline=None)
@given(layer_windows())
def test_padding_only_window_is_the_first_window_with_no_tap_in_the_input(axes) -> None:
    want = None
    for axis, a in enumerate(axes):  # brute force: every tap of every window
        misses = [i for i in range(a.count) if not any(
            a.pad_before <= i * a.stride + t * a.dilation < a.pad_before + a.size
            for t in range(a.kernel))]
        if misses:
            want = (axis, misses[0])
            break
    assert padding_only_window(axes) == want


@pytest.mark.parametrize("entry, size, framework, window", [
    # PyTorch accepts these (padding <= kernel / 2) and outputs -inf (torch 2.14, observed:
    # max_pool1d on length 1 and 2 gives [-inf] for window 0)
    ("maxpool: {kernel: 2, stride: 1, dilation: 2, padding: 1}", 1, "pytorch", 0),
    ("maxpool: {kernel: 2, stride: 1, dilation: 3, padding: 1}", 2, "pytorch", 0),
    # the issue's case under the default ceil rule: taps at -2 and 1 on length 1
    ("maxpool: {kernel: 2, dilation: 3, padding: 2}", 1, None, 0),
    # the plain ceil rule keeps a last window that starts past the input (3 of [0, 3))
    ("maxpool: {kernel: 2, stride: 2, padding: 1}", 3, None, 2),
])
def test_a_max_pool_window_of_padding_only_is_refused_before_running(tmp_path, entry, size,
                                                                      framework, window):
    spec = tmp_path / "pool.yaml"
    spec.write_text(f"input: [1, {size}]\n" + (f"framework: {framework}\n" if framework
                                                else "") + f"layers:\n  - {entry}\n")
    result = CliRunner().invoke(main, ["run", str(spec)])
    assert result.exit_code == 2, result.output
    line = 4 if framework else 3
    assert result.stderr.startswith(f"{spec}:{line}:5: maxpool 'maxpool1': window {window} "
                                    f"reads only padding")
    assert "Traceback" not in result.output and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("size, padding, rounding", [(4, 1, "ceil"), (3, 1, "floor")])
def test_max_pool_windows_that_reach_the_input_run(size, padding, rounding) -> None:
    spec = parse(f"name: p\ninput: [1, {size}, {size}]\nrounding: {rounding}\nlayers:\n"
                 f"  - maxpool: {{kernel: 2, stride: 2, padding: {padding}}}\n", "p")
    result = run(spec)
    assert result.ok and math.isfinite(result.loss)


def test_a_non_finite_output_exits_1_naming_the_first_layer(tmp_path, monkeypatch) -> None:
    spec = tmp_path / "ok.yaml"
    spec.write_text(WRONG_EXPECT.replace("    expect: {shape: [8, 7, 7]}\n", ""))
    true_forward = ops.ActivationOp.forward
    monkeypatch.setattr(ops.ActivationOp, "forward",  # a relu that overflows
                        lambda self, x, train=True, inplace=False:
                        true_forward(self, x, train, inplace) * np.float32(1e38) * 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the check replaces NumPy's warnings
        result = CliRunner().invoke(main, ["run", str(spec), "--no-backward"])
    assert result.exit_code == 1, result.output
    assert f"{spec}:4:5: relu 'relu1': its output holds inf or NaN" in result.stderr
    assert "Warning" not in result.output
    as_json = CliRunner().invoke(main, ["run", str(spec), "--format", "json"])
    report = json.loads(as_json.stdout, parse_constant=lambda word: pytest.fail(word))
    assert as_json.exit_code == 1 and report["loss"]["value"] is None and not report["ok"]


@pytest.mark.parametrize("size, divisors", [
    # framework caffe keeps a window starting at 5, past the input of 5 (no padding, so no
    # drop): Caffe's pool_size would be min(5 + 1, 5) - 5 = 0. It reads nothing: 0.
    (5, 2),
    (6, 2),   # the last window starts at 5 and reads pixel 5
])
def test_caffe_average_pool_window_wholly_outside_the_input_gives_0(size, divisors) -> None:
    spec = parse(f"name: a\ninput: [2, {size}]\nframework: caffe\nlayers:\n"
                 f"  - avgpool: {{kernel: 1, stride: 5}}\n", "a")
    op = ops.op_for(build(spec).nodes[-1].layer)
    x = np.arange(1.0, 2 * size + 1).reshape(1, 2, size)
    with np.errstate(all="raise"):
        y = op.forward(x)
        dx = op.backward(np.ones_like(y))
    assert y.shape == (1, 2, divisors)
    want_last = x[0, :, 5] if size > 5 else [0, 0]
    assert np.array_equal(y[0, :, 0], x[0, :, 0]) and np.array_equal(y[0, :, 1], want_last)
    assert dx.sum() == 2 * (2 if size > 5 else 1)


@pytest.mark.parametrize("spec_text, options, exit_code", [
    ("input: [3, 1, 1]\nlayers:\n  - batchnorm\n", ["--batch", "1"], 2),
    ("input: [3, 1, 1]\nlayers:\n  - batchnorm\n", ["--batch", "2"], 0),
    ("input: [3, 1, 1]\nlayers:\n  - batchnorm\n", ["--batch", "1", "--eval"], 0),
    ("input: [3, 2, 1]\nlayers:\n  - batchnorm\n", ["--batch", "1"], 0),
    # after a global pool, batch 1: the inception-like head that gave a loss of ln 1000
    ("input: [3, 8, 8]\nlayers:\n  - global_avgpool: {keepdims: false}\n  - batchnorm1d\n"
     + "  - dense: {units: 10}\n", ["--batch", "1"], 2),
    # without running statistics even eval mode uses the batch's: PyTorch refuses it too
    ("input: [3, 1, 1]\nlayers:\n  - batchnorm: {track_running_stats: false}\n",
     ["--batch", "1", "--eval"], 2),
])
def test_batch_norm_with_one_value_per_channel_is_refused_like_pytorch(tmp_path, spec_text,
                                                                       options, exit_code):
    spec = tmp_path / "bn.yaml"
    spec.write_text(spec_text)
    result = CliRunner().invoke(main, ["run", str(spec), *options])
    assert result.exit_code == exit_code, result.output
    if exit_code == 2:
        line = spec_text.splitlines().index(next(
            row for row in spec_text.splitlines() if "batchnorm" in row)) + 1
        assert result.stderr.startswith(f"{spec}:{line}:5: batchnorm")
        assert "more than one value per channel" in result.stderr
        assert "--batch 2" in result.stderr and "--eval" in result.stderr


@pytest.mark.parametrize("option, value, says", [
    ("--seed", "-1", "'--seed': -1 is not in the range x>=0"),
    ("--max-memory", "inf", ("--max-memory: expected a whole number of bytes >= 0, or a "
                             "number with B, KB, MB, GB, TB (10^3, 10^6, ...) or KiB, MiB, GiB, "
                             "TiB (2^10, 2^20, ...) like 100MiB; a bare K, M, G, T is binary "
                             "(2G = 2 GiB); found 'inf'")),
    ("--max-memory", "nan", "a bare K, M, G, T is binary (2G = 2 GiB); found 'nan'"),
    ("--max-memory", "-5", "a bare K, M, G, T is binary (2G = 2 GiB); found '-5'"),
    ("--max-memory", "1e400", "found '1e400', above 10^30"),
    ("--max-memory", "0", "--max-memory: expected a size from 1 byte to 1 EiB (2^60)"),
    ("--max-memory", "0.3K", "found '0.3K' = 307.2, not a whole number"),
    ("--input-size", "0", "--input-size: sizes must be between 1 and 16,777,216"),
    ("--input-size", "99999999", "--input-size: sizes must be between 1 and 16,777,216"),
    ("--input-size", "9" * 30, "--input-size: sizes must be between 1 and 16,777,216"),
    ("--input-size", "32,32,32", "--input-size: the input [1, 32, 32] has 2 spatial axes"),
    ("--batch", "0", "'--batch': 0 is not in the range 1<=x<=16777216"),
    ("--batch", str(10 ** 12), "'--batch': 1000000000000 is not in the range"),
])
def test_a_bad_command_line_value_is_one_plain_error_line(option, value, says) -> None:
    result = CliRunner().invoke(main, ["run", str(ROOT / "examples" / "lenet5.yaml"),
                                       option, value])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and says in errors[0], result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("text, count", [("1e9", 10 ** 9), ("1.5E3K", 1500 * 2 ** 10)])
def test_memory_sizes_may_have_an_exponent(text: str, count: int) -> None:
    assert parse_bytes(text) == count


def test_a_huge_input_size_is_refused_by_the_memory_guard_before_any_op_is_made() -> None:
    tracemalloc.start()
    result = CliRunner().invoke(main, ["run", str(ROOT / "examples" / "lenet5.yaml"),
                                       "--input-size", str(2 ** 24)])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # the calculator refuses the absurd shape first (over 2**40 elements in one tensor)
    assert result.exit_code == 2 and "the limit is 1,099,511,627,776" in result.stderr
    assert peak < 64 * 2 ** 20  # refused before the arrays (terabytes) were made


NAN_SPEC = """\
input: [3, 8, 8]
blocks:
  b:
    params: {x: 1}
    layers:
      - conv: {filters: "${int(x * 1e308 * 10 - x * 1e308 * 10)}", kernel: 1}
layers:
  - b: {x: 1}
"""


@pytest.mark.parametrize("options", [[], ["--input-size", "4"]])
def test_a_spec_that_fails_to_build_is_not_blamed_on_the_input_size(tmp_path,
                                                                     options) -> None:
    spec = tmp_path / "nan.yaml"
    spec.write_text(NAN_SPEC)
    result = CliRunner().invoke(main, ["run", str(spec), *options])
    assert result.exit_code == 2, result.output
    assert "Invalid value for --input-size" not in result.output
    assert result.stderr.startswith(f"{spec}:")  # the spec, wherever it failed
    assert "Traceback" not in result.output


def test_run_without_numpy_says_how_to_install_it_in_one_line() -> None:
    code = ("import sys; sys.modules['numpy'] = None\n"
            "from cnncalc.cli import entry_point\n"
            f"sys.argv = ['cnncalc', 'run', {str(ROOT / 'examples' / 'lenet5.yaml')!r}]\n"
            "entry_point()\n")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True,
                          text=True)
    assert done.returncode == 2
    assert done.stderr == "cnncalc run needs numpy: pip install numpy\n" and not done.stdout


def test_numpy_is_a_runtime_dependency() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("numpy") for d in project["dependencies"])


REFUSALS = json.loads(str(np.load(ROOT / "tests" / "reference" /
                                  "executor_reference.npz")["__refusals__"]))


@pytest.mark.parametrize("case", REFUSALS["maxpool"], ids=lambda c: str(c["size"]))
def test_run_refuses_the_max_pool_windows_where_pytorch_gives_minus_inf(tmp_path, case):
    spec = tmp_path / "pool.yaml"
    spec.write_text(f"input: [1, {case['size']}]\nframework: pytorch\nlayers:\n  - maxpool: "
                    f"{{kernel: {case['kernel']}, stride: {case['stride']}, padding: "
                    f"{case['padding']}, dilation: {case['dilation']}}}\n")
    result = CliRunner().invoke(main, ["run", str(spec)])
    first = case["output"].index("-inf")
    assert result.exit_code == 2, result.output
    assert f"maxpool 'maxpool1': window {first} reads only padding" in result.stderr


@pytest.mark.parametrize("case", REFUSALS["batchnorm"], ids=lambda c: str(c))
def test_run_refuses_batch_norm_where_pytorch_does(tmp_path, case) -> None:
    batch, *shape = case["shape"]
    spec = tmp_path / "bn.yaml"
    spec.write_text(f"input: {shape}\nlayers:\n  - batchnorm: {{track_running_stats: "
                    f"{str(case['track_running_stats']).lower()}}}\n")
    options = ["--batch", str(batch)] + ([] if case["train"] else ["--eval"])
    result = CliRunner().invoke(main, ["run", str(spec), *options])
    assert result.exit_code == (2 if case["error"] else 0), result.output
    if case["error"]:
        assert "Expected more than 1 value per channel when training" in result.stderr


def test_a_non_finite_output_hidden_by_a_later_relu_still_exits_1(tmp_path, monkeypatch):
    """-inf from the conv, 0 after the ReLU: the loss is finite, the run is not."""
    spec = tmp_path / "ok.yaml"
    spec.write_text(WRONG_EXPECT.replace("    expect: {shape: [8, 7, 7]}\n", ""))
    true_forward = ops.ConvOp.forward
    monkeypatch.setattr(ops.ConvOp, "forward", lambda self, x, train=True, inplace=False:
                        true_forward(self, x, train, inplace) - np.inf)
    result = CliRunner().invoke(main, ["run", str(spec), "--no-backward"])
    assert result.exit_code == 1, result.output
    assert "loss (sum): 0" in result.stdout
    assert f"{spec}:3:5: conv 'conv1': its output holds inf or NaN" in result.stderr
