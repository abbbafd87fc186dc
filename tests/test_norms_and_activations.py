"""PReLU, log-softmax, the new elementwise activations, instance norm, local response norm,
layer norm over trailing axes or without bias, and spatial dropout: what the PyTorch cases of
tests/test_executor_reference.py and test_reference.py do not reach (the random masks of
spatial dropout, the loss of a log-softmax head, refusals, hand-worked figures, the
arguments each kind declares, gradient checks of a whole spec in train and eval mode).

PyTorch's behaviour is read from executor_reference.npz (recorded by
tests/reference/make_executor_reference.py: `spatial_dropout_train/*`,
`__norm_activation_refusals__`); no torch here.
"""
from __future__ import annotations

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
from cnncalc.executor.gradcheck import PASS_BELOW
from cnncalc.executor.runner import run
from cnncalc.layers import LAYERS
from cnncalc.spec import parse

DATA = np.load(Path(__file__).parent / "reference" / "executor_reference.npz")
REFUSED = json.loads(str(DATA["__norm_activation_refusals__"]))
NEW_KINDS = ("prelu", "selu", "celu", "softplus", "mish", "hardtanh", "log_softmax",
             "instancenorm", "local_response_norm", "spatial_dropout")


def layer_of(entry: str, shape: list[int], framework: str = "pytorch"):
    spec = f"input: {shape}\nframework: {framework}\nlayers:\n  - {entry}\n"
    return build(parse(spec, "t.yaml")).nodes[-1].layer


def refused(entry: str, shape: list[int]) -> str:
    with pytest.raises(SpecError) as error:
        layer_of(entry, shape)
    message = str(error.value)
    assert message.startswith("t.yaml:4:"), message  # located at the layer's line
    return message


# --- spatial dropout: whole channels, as PyTorch drops them -----------------------------

def channel_mask(x: np.ndarray, y: np.ndarray, p: float) -> np.ndarray:
    """The kept channels of y = x * keep / (1 - p), asserting that each (sample, channel)
    is either wholly dropped or wholly kept and scaled."""
    ratio = (y / x).reshape(*x.shape[:2], -1)
    kept = np.isclose(ratio, 1 / (1 - p), rtol=1e-12).all(axis=2)
    dropped = (ratio == 0).all(axis=2)
    assert (kept | dropped).all(), "a channel is partly dropped"
    return kept


@pytest.mark.parametrize("axes, kind", [("1d", "dropout1d"), ("2d", "dropout2d"),
                                        ("3d", "dropout3d"), ("2d", "spatial_dropout")])
def test_spatial_dropout_drops_whole_channels_as_pytorch_does(axes: str, kind: str) -> None:
    stored = {key: DATA[f"spatial_dropout_train/{axes}/{key}"]
              for key in ("input", "output", "g", "dinput")}
    x, g = stored["input"], stored["g"]
    torch_kept = channel_mask(x, stored["output"], 0.5)  # PyTorch's own recording
    assert 0 < torch_kept.sum() < torch_kept.size
    assert np.allclose(stored["dinput"], g * stored["output"] / x)
    op = ops.op_for(layer_of(f"{kind}: {{p: 0.5}}", list(x.shape[1:])))
    op.seed = 3
    y = op.forward(x.copy(), train=True)
    kept = channel_mask(x, y, 0.5)
    assert 0 < kept.sum() < kept.size
    dx = op.backward(g.copy())
    assert np.allclose(dx, g * y / x)
    again = ops.op_for(op.layer)
    again.seed = 3
    assert np.array_equal(again.forward(x.copy()), y)  # seeded: the gradient check agrees
    assert again.forward(x, train=False) is x


def test_spatial_dropout_needs_a_spatial_input_and_keeps_plain_dropout_elementwise() -> None:
    assert "needs a spatial input" in refused("spatial_dropout", [16])
    assert "'dropout2d' needs 2 spatial axes" in refused("dropout2d", [4, 9])
    x = np.ones((2, 64, 4, 4))
    y = ops.op_for(layer_of("dropout: {p: 0.5}", [64, 4, 4])).forward(x)
    per_channel = (y == 0).reshape(2, 64, -1).sum(axis=2)
    assert ((per_channel > 0) & (per_channel < 16)).any()  # dropout drops elements


# --- the loss of a log-softmax head ------------------------------------------------------

HEAD = """\
input: [3, 8, 8]
layers:
  - conv: {filters: 4, kernel: 3}
  - global_avgpool: {keepdims: false}
  - dense: {units: 5}
"""


def test_a_log_softmax_head_gets_the_cross_entropy_of_its_logits() -> None:
    """log_softmax then NLL, softmax then log, and logits alone are the same loss."""
    results = {head: run(parse(HEAD + head, "t.yaml"), batch=3, gradient_check=True)
               for head in ("", "  - softmax\n", "  - log_softmax\n")}
    losses = {head: r.loss for head, r in results.items()}
    assert all(r.loss_name == "cross-entropy" and r.ok for r in results.values())
    assert np.allclose(list(losses.values()), losses[""], rtol=1e-6), losses


def test_log_softmax_declares_log_probabilities_not_probabilities() -> None:
    cls = LAYERS["log_softmax"]
    assert cls.makes_log_probabilities and not cls.makes_probabilities
    assert not cls.is_non_negative and not cls.is_activation
    assert not LAYERS["softmax"].makes_log_probabilities


# --- refusals: where PyTorch refuses, cnncalc refuses --------------------------------------

def test_pytorch_refuses_what_cnncalc_refuses() -> None:
    # the recording: each is an error in PyTorch but instance norm in eval with running stats
    assert REFUSED.pop("instancenorm_1_position_eval_tracked") is None
    assert all(REFUSED.values()), REFUSED
    assert "alpha cannot be 0" in REFUSED["celu_alpha_0"]
    assert "must not be 0" in refused("celu: {alpha: 0}", [3, 4])
    assert "must be greater than min_val" in REFUSED["hardtanh_max_equals_min"]
    assert "greater than 'min_val'" in refused("hardtanh: {min_val: 1, max_val: 1}", [3, 4])
    assert "Mismatch of parameter numbers" in REFUSED["prelu_2_slopes_3_channels"]
    assert "1 or the input's channels (3)" in refused("prelu: {num_parameters: 2}",
                                                      [3, 4, 4])
    assert "3D or higher" in REFUSED["lrn_flat"]
    assert "needs a spatial input" in refused("lrn: {size: 3}", [6])
    assert "normalized_shape" in REFUSED["layernorm_wrong_shape"]
    assert "must equal the last axes of the input [3, 4, 5]" in refused(
        "layernorm: {normalized_shape: [4, 4]}", [3, 4, 5])
    assert "more than 1 spatial element" in REFUSED["instancenorm_1_position_train"]
    assert "more than 1 spatial element" in REFUSED["instancenorm_1_position_eval_untracked"]


def test_instance_norm_of_one_position_is_refused_by_the_run_unless_running_stats_serve() -> None:
    spec = "input: [3, 1, 1]\nlayers:\n  - instancenorm%s\n"
    with pytest.raises(SpecError, match="more than one position per channel"):
        run(parse(spec % "", "t.yaml"))
    with pytest.raises(SpecError, match="more than one position per channel"):
        run(parse(spec % "", "t.yaml"), train=False)
    tracked = parse(spec % ": {track_running_stats: true}", "t.yaml")
    assert run(tracked, train=False).ok
    with pytest.raises(SpecError):
        run(tracked, train=True)


@pytest.mark.parametrize("entry, wrong", [
    ("softplus: {beta: 0}", "'beta' must be a number > 0"),
    ("softplus: {threshold: -1}", "'threshold' must be a number"),
    ("layernorm: {over: all, normalized_shape: 5}", "give one"),
    ("layernorm: {normalized_shape: [0]}", "an integer >= 1 or a list"),
    ("layernorm: {normalized_shape: [2, 3, 4, 5]}", "must equal the last axes"),
    ("instancenorm: {affine: 1}", "'affine' must be true or false"),
    ("instancenorm3d", "'instancenorm3d' needs 3 spatial axes"),
    ("lrn", "missing required argument 'size'"),
    ("lrn: {size: 0}", "'size' must be an integer >= 1"),
    ("prelu: {slopes: 3}", "unknown argument 'slopes'"),
])
def test_bad_arguments_are_refused_where_they_are_written(entry: str, wrong: str) -> None:
    assert wrong in refused(entry, [3, 4, 5])


# --- figures worked by hand -------------------------------------------------------------

def test_local_response_norm_divides_alpha_by_size_as_pytorch() -> None:
    """x = 1 everywhere on 3 channels, size 3: channel 0's window is channels -1..1, so its
    sum of squares is 0 + 1 + 1 = 2 and y = 1 / (k + alpha/3 * 2)^beta; channel 1 sums 3."""
    layer = layer_of("lrn: {size: 3, alpha: 0.3, beta: 0.5, k: 2}", [3, 2, 2])
    y = ops.op_for(layer).forward(np.ones((1, 3, 2, 2)))
    want = [1 / (2 + 0.1 * 2) ** 0.5, 1 / (2 + 0.1 * 3) ** 0.5, 1 / (2 + 0.1 * 2) ** 0.5]
    assert np.allclose(y[0, :, 0, 0], want)
    # size 4: channels c - 2 .. c + 1; for channel 0 that is 0 and 1, for 2 all three
    y = ops.op_for(layer_of("lrn: {size: 4, alpha: 0.4, beta: 1, k: 1}",
                            [3, 1])).forward(np.ones((1, 3, 1)))
    assert np.allclose(y[0, :, 0], [1 / (1 + 0.1 * 2), 1 / (1 + 0.1 * 3), 1 / (1 + 0.1 * 3)])


def test_hardtanh_0_6_is_relu6() -> None:
    x = np.linspace(-8, 8, 161).reshape(1, 1, -1)
    relu6 = layer_of("relu6", [1, 161])
    hardtanh = layer_of("hardtanh: {min_val: 0, max_val: 6}", [1, 161])
    assert np.array_equal(hardtanh.forward(np, x), relu6.forward(np, x))
    y = relu6.forward(np, x)
    assert np.array_equal(hardtanh.derivative(np, y), relu6.derivative(np, y))


def test_softplus_returns_x_beyond_its_threshold_and_never_overflows() -> None:
    layer = layer_of("softplus: {beta: 2, threshold: 5}", [1, 4])
    x = np.array([[[-800.0, 0.0, 2.5, 2.6]]])
    y = layer.forward(np, x)
    assert y[0, 0, 0] == 0 and np.isclose(y[0, 0, 1], np.log(2) / 2)
    assert np.isclose(y[0, 0, 2], np.log1p(np.exp(5)) / 2) and y[0, 0, 3] == 2.6
    assert np.isfinite(layer_of("mish", [1, 2]).forward(np, np.array([[[-1e4, 1e4]]]))).all()


def test_prelu_starts_at_init_and_learns_one_slope_per_channel() -> None:
    op = ops.op_for(layer_of("prelu: {num_parameters: 2, init: 0.1}", [2, 3]))
    op.init(np.random.default_rng(0), np.dtype("float64"))
    assert np.array_equal(op.params["weight"], [0.1, 0.1])
    x = np.array([[[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]]])
    assert np.allclose(op.forward(x), [[[-0.1, 2.0, -0.3], [4.0, -0.5, 6.0]]])
    dx = op.backward(np.ones_like(x))
    assert np.allclose(op.grads["weight"], [-4.0, -5.0])  # sum of x where x <= 0
    assert np.allclose(dx, [[[0.1, 1, 0.1], [1, 0.1, 1]]])


def test_params_trainable_and_buffers() -> None:
    rows = analyze_layers(["prelu", {"prelu": {"num_parameters": 8}},
                           {"instancenorm": {"affine": True, "track_running_stats": True}},
                           {"layernorm": {"normalized_shape": [6], "bias": False}},
                           {"lrn": {"size": 5}}, "spatial_dropout", "log_softmax"],
                          [8, 5, 6], framework="pytorch").rows
    assert [(r.weights, r.buffers) for r in rows] == [(1, 0), (8, 0), (16, 16), (6, 0),
                                                     (0, 0), (0, 0), (0, 0)]
    assert [r.macs for r in rows] == [0] * 7
    # LRN: a square, 5 window terms, scale, add k, power, divide per value
    assert rows[4].ops == 10 * 8 * 5 * 6


# --- a small spec of every new kind: the whole run, gradient-checked ---------------------

SMALL = """\
name: new_kinds
input: [4, 6, 6]
framework: pytorch
layers:
  - conv: {filters: 6, kernel: 3, padding: 1}
  - instancenorm: {affine: true, track_running_stats: true}
  - prelu: {num_parameters: 6}
  - lrn: {size: 3, alpha: 0.5, k: 2}
  - selu
  - conv: {filters: 6, kernel: 3, padding: 1}
  - instancenorm2d
  - celu: {alpha: 0.7}
  - dropout2d: {p: 0.3}
  - layernorm: {normalized_shape: [6, 6], bias: false}
  - softplus: {beta: 2, threshold: 5}
  - mish
  - hardtanh: {min_val: -2, max_val: 3}
  - prelu
  - global_avgpool: {keepdims: false}
  - dense: {units: 5}
  - log_softmax
"""


@pytest.mark.parametrize("train", [True, False])
def test_a_spec_of_every_new_kind_runs_and_passes_the_gradient_check(train: bool) -> None:
    result = run(parse(SMALL, "new_kinds.yaml"), batch=3, train=train, gradient_check=True)
    assert result.ok, result.mismatches
    assert {layer.kind for layer in result.layers} >= set(NEW_KINDS)
    assert all(layer.gradient_error < PASS_BELOW for layer in result.layers)


def test_the_cli_gradient_check_passes_on_it(tmp_path: Path) -> None:
    path = tmp_path / "new_kinds.yaml"
    path.write_text(SMALL)
    result = CliRunner().invoke(main, ["run", str(path), "--gradcheck"])
    assert result.exit_code == 0, result.output
    assert "loss (cross-entropy)" in result.output


def test_eval_mode_uses_instance_norms_running_statistics() -> None:
    op = ops.op_for(layer_of("instancenorm: {track_running_stats: true}", [2, 3, 3]))
    op.init(np.random.default_rng(0), np.dtype("float64"))
    op.buffers["running_mean"][:] = [1.0, -2.0]
    op.buffers["running_var"][:] = [4.0, 0.25]
    x = np.random.default_rng(1).standard_normal((2, 2, 3, 3))
    y = op.forward(x, train=False)
    want = (x - np.array([1.0, -2.0])[:, None, None]) / np.sqrt(
        np.array([4.0, 0.25])[:, None, None] + 1e-5)
    assert np.allclose(y, want)
    y = op.forward(x, train=True)  # per sample and channel over the 9 positions
    assert np.allclose(y.mean(axis=(2, 3)), 0) and np.allclose(y.var(axis=(2, 3)), 1,
                                                                rtol=1e-3)


# --- what `cnncalc kinds` and docs/spec.md say of each kind of these two families --------

FAMILY_KINDS = sorted(cls.kind for name, cls in LAYERS.items() if name == cls.kind and
                      cls.__module__ in ("cnncalc.layers.activation", "cnncalc.layers.norm"))
REQUIRED = {"local_response_norm": {"size": 3}, "groupnorm": {"groups": 2}}


def test_the_families_hold_every_new_kind() -> None:
    assert set(NEW_KINDS) <= set(FAMILY_KINDS)


@pytest.mark.parametrize("kind", FAMILY_KINDS)
def test_each_kind_declares_every_argument_it_reads_and_its_equivalents(kind: str) -> None:
    from cnncalc.errors import Location
    from cnncalc.layers.base import Args, BuildContext

    cls = LAYERS[kind]
    args = Args(REQUIRED.get(kind), BuildContext("pytorch", None, kind, kind,
                                                 Location("t.yaml", 1, 1)))
    cls.build(args, (6, 4, 5))
    declared = {argument.name for argument in cls.arguments}
    meanings = " ".join(argument.meaning for argument in cls.arguments)
    aliases = {name for name in args.asked - declared if name in meanings}
    assert args.asked - aliases == declared, (args.asked, declared)
    assert cls.pytorch.startswith("nn.")
    assert cls.keras or kind == "local_response_norm"  # Keras has no LRN layer
    description = cls.__doc__.split("\n\n")[0]
    assert description.rstrip().endswith(".") and len(description) > 40
    assert f"`{kind}`" in (Path(__file__).parent.parent / "docs" / "spec.md").read_text()


# --- lint reads the traits ----------------------------------------------------------------

@pytest.mark.parametrize("layers, code", [
    ("conv: {filters: 4, kernel: 3}\n  - instancenorm", "P101"),      # the bias cancels
    ("spatial_dropout: {p: 0.2}\n  - batchnorm", "O101"),              # variance shift
    ("conv: {filters: 4, kernel: 3}\n  - prelu\n  - selu", "O102"),   # two activations
])
def test_lint_judges_the_new_kinds_by_their_traits(tmp_path: Path, layers: str,
                                                   code: str) -> None:
    from cnncalc.lint.engine import lint_file

    path = tmp_path / "net.yaml"
    path.write_text(f"input: [3, 8, 8]\nlayers:\n  - {layers}\n")
    assert code in {finding.code for finding in lint_file(path)}
