"""Issue 9's convolutions, padding and pooling: what PyTorch refuses, the receptive field of
padding, cropping and fractional max pooling, and the window geometry worked by hand.

Shapes, parameters, MACs, outputs and gradients against PyTorch are in layers.json and
executor_reference.npz (tests/test_reference.py, tests/test_executor_reference.py).
"""
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import analyze_layers

from cnncalc import SpecError
from cnncalc.build import build
from cnncalc.cli import main
from cnncalc.executor import ops
from cnncalc.geometry import fractional_alpha, fractional_start, pad_refusal, pad_source
from cnncalc.spec import parse


def spec(entry: str, shape: list[int], framework: str = "pytorch") -> str:
    return f"input: {shape}\nframework: {framework}\nlayers:\n  - {entry}\n"


# --- refusals: a located line, as PyTorch refuses (torch 2.14.1, its message quoted) --------

REFUSED = [
    # F.pad: "Padding size should be less than the corresponding input dimension"
    ("reflection_pad: {padding: [3, 0]}", [1, 3, 3], "reflect padding (3, 3) must be smaller"),
    ("conv: {filters: 1, kernel: 3, padding: 3, padding_mode: reflect}", [1, 3, 8],
     "reflect padding (3, 3) must be smaller than the input size (3)"),
    # "Padding value causes wrapping around more than once."
    ("circular_pad: {padding: 4}", [1, 3, 3], "circular padding (4, 4) must be at most"),
    ("conv: {filters: 1, kernel: 3, padding: [0, 9], padding_mode: circular}", [1, 3, 8],
     "circular padding (9, 9)"),
    ("conv: {filters: 1, kernel: 3, padding_mode: mirror}", [1, 8, 8],
     "'padding_mode' must be one of zeros, reflect, replicate, circular"),
    # _output_padding: "requested an output size of 15, but valid sizes range from 13 to 14"
    ("conv_transpose: {filters: 1, kernel: 3, stride: 2, padding: 1, output_size: 15}",
     [1, 7, 7], ("output_size 15 on spatial axis 1 is out of reach: the valid sizes are 13 "
                 "to 14")),
    ("conv_transpose: {filters: 1, kernel: 3, stride: 2, output_size: 14, output_padding: 1}",
     [1, 7, 7], "give output_size or output_padding, not both"),
    # nn.AvgPool1d has no divisor_override; "divisor must be not zero"
    ("avgpool: {kernel: 2, divisor_override: 2}", [1, 8],
     "PyTorch's AvgPool1d takes no divisor_override"),
    ("avgpool: {kernel: 2, divisor_override: 0}", [1, 8, 8], "must be an integer >= 1"),
    # lp_pool: "norm_type must be a non-zero value"
    ("lppool: {norm_type: 0, kernel: 2}", [1, 8, 8], "'norm_type' must be a number > 0"),
    # "fractional_max_pool2d(): pool height 3 too large relative to input height 5"
    ("fractional_maxpool: {kernel: 3, output_size: 4}", [1, 5, 5],
     "kernel 3 is too large for output size 4 from 5 pixels"),
    # "only one of output_size and output_ratio may be specified"; "requires specifying
    # either an output size, or a pooling ratio"; "output_ratio must be between 0 and 1"
    ("fractional_maxpool: {kernel: 2, output_size: 2, output_ratio: 0.5}", [1, 8, 8],
     "give one of output_size and output_ratio"),
    ("fractional_maxpool: {kernel: 2}", [1, 8, 8], "give one of output_size and output_ratio"),
    ("fractional_maxpool: {kernel: 2, output_ratio: 1.0}", [1, 8, 8],
     "'output_ratio' must be a number between 0 and 1"),
    ("fractional_maxpool: {kernel: 2, output_size: 3}", [1, 8],
     "fractional max pooling takes 2 or 3 spatial axes"),
    ("cropping: {cropping: [[4, 4], 0]}", [1, 8, 8], "the output would be empty"),
    ("cropping: {cropping: [1, 2, 3]}", [1, 8, 8], "'cropping' must be an integer >= 0"),
    ("adaptive_avgpool: {output_size: [null, 0]}", [1, 8, 8], "each an integer >= 1 or null"),
    ("depthwise_conv: {kernel: 3, filters: 4}", [2, 8, 8], "unknown argument 'filters'"),
]


@pytest.mark.parametrize("entry, shape, message", REFUSED)
def test_refused_with_a_located_message(entry: str, shape: list[int], message: str) -> None:
    with pytest.raises(SpecError) as caught:
        build(parse(spec(entry, shape), "net.yaml"))
    text = str(caught.value)
    assert text.startswith("net.yaml:4:") and message in text, text


def test_a_refusal_exits_2_on_one_line(tmp_path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(spec("reflection_pad: {padding: 5}", [1, 4, 4]))
    result = CliRunner().invoke(main, ["shapes", str(path)])
    assert result.exit_code == 2
    assert f"{path}:4:" in result.output and "reflect padding (5, 5)" in result.output


@pytest.mark.parametrize("entry, shape", [
    # the largest padding PyTorch accepts: reflect N - 1, circular N, replicate any
    ("reflection_pad: {padding: 2}", [1, 3, 3]),
    ("circular_pad: {padding: 3}", [1, 3, 3]),
    ("replication_pad: {padding: 9}", [1, 3, 3]),
    ("conv: {filters: 1, kernel: 3, padding: 2, padding_mode: reflect}", [1, 3, 3]),
    # 13 and 14 are the sizes a 3/2/1 transposed conv reaches from 7
    ("conv_transpose: {filters: 1, kernel: 3, stride: 2, padding: 1, output_size: 13}",
     [1, 7, 7]),
])
def test_the_limits_pytorch_accepts_are_accepted(entry: str, shape: list[int]) -> None:
    build(parse(spec(entry, shape)))


# --- geometry by hand ------------------------------------------------------------------------

@pytest.mark.parametrize("mode, sources", [
    # N = 4 padded by 3 before and 3 after; positions -3 .. 6 of the input
    ("reflect", [3, 2, 1, 0, 1, 2, 3, 2, 1, 0]),
    ("replicate", [0, 0, 0, 0, 1, 2, 3, 3, 3, 3]),
    ("circular", [1, 2, 3, 0, 1, 2, 3, 0, 1, 2]),
])
def test_padding_modes_read_these_pixels(mode: str, sources: list[int]) -> None:
    assert [pad_source(i, 4, 3, mode) for i in range(10)] == sources
    assert list(pad_source(np.arange(10), 4, 3, mode)) == sources


def test_pad_refusal_limits() -> None:
    assert pad_refusal(4, 3, 3, "reflect") is None and pad_refusal(4, 0, 4, "reflect")
    assert pad_refusal(4, 4, 4, "circular") is None and pad_refusal(4, 5, 0, "circular")
    assert pad_refusal(4, 99, 99, "replicate") is None


def test_fractional_windows_by_hand() -> None:
    # N 13, K 2, o 5: alpha = 11/4; u = 0.05: trunc((i + .05) 2.75) - trunc(.1375) =
    # 0, 2, 5, 8 and the last at 13 - 2 = 11 (PyTorch gives these, checked with
    # _random_samples in the executor's reference)
    alpha = fractional_alpha(13, 5, 2)
    assert [int(fractional_start(i, 0.05, alpha)) for i in range(4)] == [0, 2, 5, 8]
    assert [int(fractional_start(i, 0.95, alpha)) for i in range(4)] == [0, 3, 6, 8]


# --- receptive fields ------------------------------------------------------------------------

def field_of(entries: list, shape: list[int]):
    return analyze_layers(entries, shape).rows[-1].field[0]


@pytest.mark.parametrize("pad", ["zeropad", "reflection_pad", "replication_pad",
                                 "circular_pad"])
def test_padding_counts_like_pixels_whatever_it_holds(pad: str) -> None:
    # pad 2 then a 3-tap conv: output 0 reads padded positions 0..2 = input -2..0 (Distill)
    field = field_of([{pad: {"padding": 2}}, {"conv": {"filters": 1, "kernel": 3}}], [1, 9])
    assert (field.size, field.jump, field.start) == (3, 1, -1)
    conv = field_of([{"conv": {"filters": 1, "kernel": 3, "padding": 2,
                               "padding_mode": "reflect"}}], [1, 9])
    assert (conv.size, conv.jump, conv.start) == (3, 1, -1)


def test_cropping_shifts_the_field_exactly() -> None:
    # crop 3 before: output i is input i + 3; then a 3-tap conv reads 3..5 for output 0
    field = field_of([{"cropping": {"cropping": [[3, 1]]}},
                      {"conv": {"filters": 1, "kernel": 3}}], [1, 12])
    assert (field.size, field.jump, field.start, field.lo(0), field.hi(0)) == (3, 1, 4, 3, 5)


@pytest.mark.parametrize("size, kernel, out", [(13, 2, 5), (11, 3, 5), (9, 2, 8), (8, 3, 1),
                                               (17, 2, 7)])
def test_fractional_field_bounds_every_draw(size: int, kernel: int, out: int) -> None:
    """The bound holds for the windows the executor draws (PyTorch's, per the reference)."""
    entry = {"fractional_maxpool": {"kernel": kernel, "output_size": [out, out]}}
    field = field_of([entry], [1, size, size])
    layer = build(parse(spec(f"fractional_maxpool: {{kernel: {kernel}, output_size: {out}}}",
                             [1, size, size]))).nodes[-1].layer
    op = ops.op_for(layer)
    samples = np.random.default_rng(3).random((500, 1, 2))
    starts = op._starts(samples)[0][:, 0, :]                     # (draws, o)
    for i in range(out):
        assert field.lo(i) <= starts[:, i].min()
        assert starts[:, i].max() + kernel - 1 <= field.hi(i)
    assert field.size == (kernel if out == 1 else kernel + 1)
    assert field.jump == ((size - kernel) / (out - 1) if out > 1 else 1)


# --- every argument build reads is declared (cnncalc kinds, docs/spec.md) ---------------------

ALIASES = {"out_channels", "kernel_size", "strides", "dilation_rate", "pool_size"}
BUILT = [
    ("conv: {filters: 2, kernel: 3}", [1, 8, 8]),
    ("depthwise_conv: {kernel: 3}", [2, 8, 8]),
    ("separable_conv: {filters: 2, kernel: 3}", [2, 8, 8]),
    ("conv_transpose: {filters: 2, kernel: 3}", [1, 8, 8]),
    ("reflection_pad: {padding: 1}", [1, 8, 8]),
    ("replication_pad: {padding: 1}", [1, 8, 8]),
    ("circular_pad: {padding: 1}", [1, 8, 8]),
    ("cropping: {cropping: 1}", [1, 8, 8]),
    ("maxpool: {kernel: 2}", [1, 8, 8]),
    ("avgpool: {kernel: 2}", [1, 8, 8]),
    ("lppool: {norm_type: 2, kernel: 2}", [1, 8, 8]),
    ("fractional_maxpool: {kernel: 2, output_size: 3}", [1, 8, 8]),
    ("adaptive_avgpool: {output_size: 3}", [1, 8, 8]),
    ("adaptive_maxpool: {output_size: 3}", [1, 8, 8]),
    ("global_avgpool", [1, 8, 8]),
    ("global_maxpool", [1, 8, 8]),
]


@pytest.mark.parametrize("entry, shape", BUILT)
def test_the_declared_arguments_are_those_build_reads(entry, shape, monkeypatch) -> None:
    from cnncalc.layers import base

    asked: set[str] = set()
    finish = base.Args.finish

    def record(self, known=()):
        asked.update(self.asked)
        return finish(self, known)

    monkeypatch.setattr(base.Args, "finish", record)
    layer = build(parse(spec(entry, shape))).nodes[-1].layer
    declared = {a.name for a in layer.arguments}
    assert declared <= asked and asked - declared <= ALIASES, (declared, asked)
    assert layer.pytorch and type(layer).__doc__.split("\n\n")[0].rstrip().endswith(".")


# --- the executor's memory estimate bounds what these ops allocate ----------------------------

@pytest.mark.parametrize("entry", [
    "reflection_pad: {padding: 3}",
    "cropping: {cropping: 4}",
    "conv: {filters: 8, kernel: 7, padding: 3, padding_mode: reflect}",
    "separable_conv: {filters: 8, kernel: 3, padding: 1, depth_multiplier: 4}",
    "lppool: {norm_type: 2, kernel: 3, stride: 1}",
    "fractional_maxpool: {kernel: 3, output_ratio: 0.7}",
])
def test_the_estimate_bounds_the_measured_peak(entry: str) -> None:
    import tracemalloc

    from cnncalc.executor.runner import run

    tracemalloc.start()
    result = run(parse(spec(entry, [8, 64, 64])), batch=4)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert result.ok and peak <= result.memory.total <= 4 * peak


# --- at PyTorch's limits: accepted or refused as PyTorch does (recorded) ----------------------

LIMITS = json.loads(str(np.load(Path(__file__).parent / "reference" /
                                "executor_reference.npz")["__conv_pad_pool_limits__"]))


@pytest.mark.parametrize("case", LIMITS, ids=[json.dumps(c["layer"]) + str(c["input"])
                                              for c in LIMITS])
def test_accepted_or_refused_as_pytorch_does(case: dict) -> None:
    text = spec(json.dumps(case["layer"]), case["input"])  # JSON is YAML
    if case["output_shape"] and 0 not in case["output_shape"]:
        layer = build(parse(text)).nodes[-1].layer
        assert list(layer.output_shape()) == case["output_shape"]
        return
    # PyTorch's error, or (a tiny output_ratio) an empty output, which cnncalc refuses
    with pytest.raises(SpecError):
        build(parse(text))


@pytest.mark.parametrize("framework, want", [
    # [1, 2, 3], kernel 3, 'same' (one pixel each side): PyTorch counts the padding,
    # (0+1+2)/3, 6/3, (2+3+0)/3; TensorFlow divides by the pixels inside: 3/2, 2, 5/2
    ("pytorch", [1.0, 2.0, 5 / 3]),
    ("keras", [1.5, 2.0, 2.5]),
    ("tensorflow", [1.5, 2.0, 2.5]),
])
def test_average_pooling_divides_as_each_framework(framework: str, want: list) -> None:
    entry = "avgpool: {kernel: 3, stride: 1, padding: 1}"
    op = ops.op_for(build(parse(spec(entry, [1, 3], framework))).nodes[-1].layer)
    y = op.forward(np.array([[[1.0, 2.0, 3.0]]]))
    assert np.allclose(y[0, 0], want)
