"""Every lint rule fires on its failing fixture (code, line, column, the figures) and stays
quiet on the fixed one; every rule can be selected away and suppressed in the spec.

Fixtures: tests/fixtures/lint/CODE_fail.yaml and CODE_pass.yaml (CODE_fail.md and
CODE_pass.md for a document rule); each says in its first line what it shows and where the
figure comes from. A passing fixture is also its rule's "Use instead" documentation.
"""
from __future__ import annotations

import ast
import dataclasses
import importlib.util
import json
import math
import re
import textwrap
from pathlib import Path

import pytest
from activation_table import ACTIVATIONS as ACTIVATION_TABLE
from activation_table import kind as kind_of
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncalc.errors import SpecError
from cnncalc.layers import LAYERS, Layer
from cnncalc.layers.merge import MERGES
from cnncalc.lint import ALL, DEFAULT, RULES, lint_file, lint_spec, selected
from cnncalc.lint.docs import rule_markdown, rule_text
from cnncalc.lint.markdown import check_document
from cnncalc.lint.sources import SpecFiles
from cnncalc.lint.use_instead import USE_INSTEAD
from cnncalc.spec import parse

FIXTURES = Path(__file__).parent / "fixtures" / "lint"

# code, failing fixture, expected (line, column) of each finding, a figure the message names
FAILING = [
    ("S101", "S101_fail", [(4, 5)], "ceil 112, floor (PyTorch, TensorFlow) 111"),
    ("S102", "S102_fail", [(5, 5)], "plain ceil keeps it (4), PyTorch ceil_mode drops it (3)"),
    ("S103", "S103_fail", [(4, 5)], "75.0% of the input's pixels"),
    ("S104", "S104_fail", [(9, 11)], "stride 2 > 1-pixel kernel"),
    ("S105", "S105_fail", [(5, 5)], "the last 1 of 224 pixels"),
    ("S106", "S106_fail", [(4, 5)], "padding 1 on H and W"),
    ("S107", "S107_fail", [(4, 5)], "7-pixel kernel on H and W is larger than its 5-pixel"),
    ("S108", "S108_fail", [(7, 5)], "collapsed at maxpool 'maxpool1'"),
    ("S109", "S109_fail", [(4, 5)], "kernel 3 is not divisible by stride 2"),
    ("S110", "S110_fail", [(7, 5)], ("its input [8, 1, 1] has spatial axes, and a dense layer "
                                    "mixes the last axis only (1 feature): the output is "
                                    "[8, 1, 10]; add flatten before it (or keepdims: false on "
                                    "global_avgpool 'global_avgpool1')")),
    ("G101", "G101_fail", [(8, 5)], ("the 3 layers leading only here hold 330 params and "
                                    "320 MACs")),
    ("R101", "R101_fail", [(6, 5)], "sees 30 of 32 pixels on H"),
    ("R102", "R102_fail", [(4, 5)], "143 on H (4.5x the 32-pixel input)"),
    ("R103", "R103_fail", [(5, 5)], "branch 1 jump 2 centre 0, branch 2 jump 2 centre 0.5"),
    ("P101", "P101_fail", [(4, 5)], "64 wasted parameters"),
    ("P102", "P102_fail", [(6, 5)], "1,310,730 of the 1,311,626 parameters (99.9%)"),
    ("O101", "O101_fail", [(5, 5)], "feeds batchnorm 'batchnorm1'"),
    ("O102", "O102_fail", [(6, 5)], "relu 'relu2' directly follows relu 'relu1'"),
    ("O103", "O103_fail", [(6, 5)], "feeds softmax 'softmax1'"),
    ("O103", "O103_fail_last", [(6, 5)], "is the network's last layer"),
    ("O103", "O103_fail_pooled", [(8, 5)], ("relu 'relu1' bends the logits of conv 'conv1' "
                                           "before adaptive_avgpool 'adaptive_avgpool1' and "
                                           "the network's output: they can never be negative")),
    ("O103", "O103_fail_pooled_softmax", [(5, 5)], ("bends the logits before global_avgpool "
                                                   "'global_avgpool1' and softmax 'softmax1'")),
    ("C101", "C101_fail", [(5, 5)], "floor rule gives 111"),
    ("C102", "C102_fail", [(5, 5)], "pads 0 before and 1 after"),
    ("C103", "C103_fail", [(4, 5)], "padding 2 on H is more than half the 3-pixel kernel"),
    ("C103", "C103_fail_dilated", [(7, 5)], ("padding 2 on H is more than half the 2-pixel "
                                            "kernel (dilation 3 does not raise the limit)")),
    ("C104", "C104_fail", [(6, 5)], ("PyTorch's pooling layers take no padding='same'; write "
                                    "it explicitly: padding [[1, 1], [1, 1]]")),
    ("C104", "C104_fail_stride", [(6, 5)], "PyTorch refuses padding='same' at stride 2"),
    ("X101", "X101_fail", [(6, 27)], "'P012' is no rule code"),
    ("X102", "X102_fail", [(4, 5)], "family 'attention'"),
    ("B101", "B101_fail", [(4, 11)], "expected params 500, calculated 448"),
    ("B102", "B102_fail", [(4, 11)], "parameters 448 exceed the budget of 400"),
    ("B103", "B103_fail", [(4, 9)], "MACs 442,368 (442.37 k) exceed the budget of 400,000"),
    ("B104", "B104_fail", [(4, 22)], "65,536 (64.00 KiB) exceed the budget of 61,440"),
    ("B105", "B105_fail", [(4, 13)], "3 on H (below the minimum 5)"),
    ("B106", "B106_fail", [(4, 17)], "[16, 32, 32] differs from the budget's [16, 30, 30]"),
]
SPEC_RULES = sorted(code for code, rule in RULES.items() if rule.check is not None)


@dataclasses.dataclass(frozen=True, eq=False)
class _Attention(Layer):
    """A layer kind of a family the rules do not know, for X102."""

    kind = "test_attention"
    family = "attention"
    input_shape: tuple[int, ...]


@pytest.fixture(autouse=True)
def attention_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(LAYERS, "test_attention", _Attention)


def _found(fixture: str, select: tuple[str, ...]) -> list[tuple[str, int, int, str]]:
    return [(d.code, d.line, d.column, d.message)
            for d in lint_file(FIXTURES / f"{fixture}.yaml", select)]


@pytest.mark.parametrize("code,fixture,places,figure", FAILING)
def test_rule_fires_on_failing_fixture(code: str, fixture: str,
                                       places: list[tuple[int, int]], figure: str) -> None:
    found = _found(fixture, (code,))
    assert [(c, line, col) for c, line, col, _ in found] == [(code, *p) for p in places]
    assert all(figure in message for *_, message in found), found


@pytest.mark.parametrize("code", SPEC_RULES)
def test_rule_is_quiet_on_passing_fixture(code: str) -> None:
    assert _found(f"{code}_pass", (code,)) == []


def test_every_spec_rule_has_a_failing_fixture() -> None:
    assert sorted({code for code, *_ in FAILING}) == SPEC_RULES


@pytest.mark.parametrize("code,fixture", sorted({(c, f) for c, f, *_ in FAILING}))
def test_rule_can_be_ignored_and_suppressed(code: str, fixture: str) -> None:
    path = FIXTURES / f"{fixture}.yaml"
    assert not [d for d in lint_file(path, ignore=(code,)) if d.code == code]
    assert not [d for d in lint_file(path, ignore=(code[0],)) if d.code == code]
    text = path.read_text() + f"lint: {{ignore: [{code}]}}\n"   # the whole file
    assert not [d for d in lint_spec(parse(text, str(path))) if d.code == code]


def test_layer_suppression_reaches_into_blocks() -> None:
    text = """
input: [3, 32, 32]
blocks:
  stem:
    layers:
      - conv: {filters: 64, kernel: 3, padding: 1}
      - batchnorm
layers:
  - stem:
    lint: {ignore: [P1]}
  - stem
"""
    found = [(d.code, d.message) for d in lint_spec(parse(text, "net.yaml"), ("P101",))]
    assert len(found) == 1 and "stem2.conv1" in found[0][1]


@pytest.mark.parametrize("budget,message", [
    ("budget: {flops: 1}", "unknown budget 'flops'"),
    ("budget: {params: 5 apples}", "budget 'params' must be a whole number"),
    ("budget: {rf: {least: 3}}", "budget 'rf' must be {min: N, max: N}"),
    ("budget: {rf: {min: [3]}}", "list of 2 (one per spatial axis)"),
    ("budget: {output_shape: 1000}", "must be a list of whole numbers >= 1 like [1000]"),
    ("lint: {select: [S]}", "unknown lint setting 'select'"),
])
def test_malformed_budget_or_lint_is_unreadable(budget: str, message: str) -> None:
    text = f"input: [3, 8, 8]\n{budget}\nlayers: [relu]\n"
    with pytest.raises(SpecError) as caught:
        lint_spec(parse(text, "net.yaml"), ignore=("B",))  # refused even when B is ignored
    assert message in str(caught.value) and "net.yaml:2:" in str(caught.value)


@pytest.mark.parametrize("budget,message", [
    ("params: -1", ("budget 'params' must be a whole number >= 0, or a number with k, M, G or "
                   "T (10^3, 10^6, 10^9, 10^12) like 25M or 1.5e9; found -1, below 0")),
    ("macs: 1e400", ("budget 'macs' must be a whole number >= 0, or a number with k, M, G or T "
                    "(10^3, 10^6, 10^9, 10^12) like 25M or 1.5e9; found '1e400', above 10^30")),
    ("macs: 1.0e+400", "'1.0e+400' is not a finite number"),  # refused as read
    ("macs: .nan", "'.nan' is not a finite number"),
    ("params: 1" + "0" * 31, "this number is too large: no spec value reaches 2**63"),
    ("params: '1" + "0" * 400 + "T'", "found '1" + "0" * 39),
    ("rf: {min: null}", ("budget 'rf' limits must be a positive number or a list of 2 (one per "
                        "spatial axis); found null")),
    ("rf: {max: .inf}", "'.inf' is not a finite number"),
    ("rf: {min: [3, true]}", "found [3, true]"),
    ("rf: [1, 2]", "budget 'rf' must be {min: N, max: N} (either or both); found [1, 2]"),
    ("activation_memory: 10 XB", ("budget 'activation_memory' must be a whole number of bytes "
                                  ">= 0, or a number with B, KB, MB, GB, TB (10^3, 10^6, ...) "
                                  "or KiB, MiB, GiB, TiB (2^10, 2^20, ...) like 100MiB; a bare "
                                  "K, M, G, T is binary (2G = 2 GiB); found '10 XB', an unknown "
                                  "unit")),
    ("activation_memory: 0.3 KiB", "found '0.3 KiB' = 307.2, not a whole number"),
    ("activation_memory: {a: null}", "found {a: null}"),
    ("output_shape: 3", "found 3"),
    ("output_shape: [0]", "must be a list of whole numbers >= 1 like [1000]; found [0]"),
    ("output_shape: []", "found []"),
    ("params: true", "found true"),
])
def test_hostile_budget_values_are_located_errors(budget: str, message: str) -> None:
    text = f"input: [3, 8, 8]\nbudget:\n  {budget}\nlayers: [relu]\n"
    with pytest.raises(SpecError) as caught:
        lint_spec(parse(text, "net.yaml"))
    assert str(caught.value).startswith("net.yaml:3:") and message in str(caught.value)


@pytest.mark.parametrize("budget,params", [
    ("25M", 25_000_000), ("1.1M", 1_100_000), ("2.5e7", 25_000_000), ("25000000.0", 25_000_000),
    ("0", 0), ("1.5k", 1500)])
def test_budget_amounts_are_exact(budget: str, params: int) -> None:
    spec = parse(f"input: [3, 8, 8]\nbudget: {{params: {budget}}}\nlayers: [relu]\n", "n.yaml")
    assert spec.budget.params[0] == params


def test_every_malformed_budget_entry_is_told() -> None:
    text = "input: [3, 8, 8]\nbudget:\n  params: -1\n  macs: 1e400\n  flops: 3\nlayers: [relu]\n"
    with pytest.raises(SpecError) as caught:
        lint_spec(parse(text, "net.yaml"))
    assert [str(p).split(" budget")[0] for p in caught.value.problems] == [
        "net.yaml:3:11:", "net.yaml:4:9:", "net.yaml:5:3: unknown"]


def test_an_rf_budget_needs_a_spatial_input() -> None:
    text = "input: [16]\nbudget: {rf: {min: 3}}\nlayers: [relu]\n"
    with pytest.raises(SpecError, match="needs an input with spatial axes"):
        lint_spec(parse(text, "net.yaml"))


_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10 ** 40, 10 ** 40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12),  # YAML-safe
    st.sampled_from([".inf", "-.inf", ".nan", "1e400", "10 XB", "-1", "1.5 GiB", "25M", "~"]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["min", "max", "a", "1"]), inner, max_size=3)),
    max_leaves=8)


def _yaml(value: object) -> str:
    """Flow-style YAML for a generated value; special tokens stay plain scalars."""
    if isinstance(value, str) and value in (".inf", "-.inf", ".nan", "~"):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        return repr(value) if math.isfinite(value) else ".inf" if value > 0 else "-.inf"
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


@settings(max_examples=300)
@given(key=st.sampled_from(["params", "macs", "activation_memory", "rf", "output_shape"]),
       value=_VALUES)
def test_fuzzed_budgets_lint_or_give_a_located_error(key: str, value: object) -> None:
    text = f"input: [3, 8, 8]\nbudget:\n  {key}: {_yaml(value)}\nlayers: [relu]\n"
    try:
        found = lint_spec(parse(text, "net.yaml"))
    except SpecError as error:
        assert str(error).startswith("net.yaml:3:"), str(error)
        assert "NoneType" not in str(error) and "Mapping" not in str(error)
    else:
        assert all(isinstance(d.message, str) for d in found)


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_is_documented(code: str) -> None:
    rule = RULES[code]
    for heading in ("Why:", "Example:", "Fix:"):
        assert f"\n\n{heading}" in rule.doc, f"{code} lacks {heading}"
    assert rule.summary.endswith(".")
    assert f"**Example:**\n\n```{rule.language}\n" in rule_markdown(rule)


def test_codes_are_families_and_names_unique() -> None:
    assert len({r.name for r in RULES.values()}) == len(RULES)
    assert {code[0] for code in RULES} <= set("SRPOCBGDX")


# Examples whose findings above info are true and explained in the README.
DOCUMENTED = {
    "vgg16.yaml": {("P102", ("dense 'dense1' holds 102,764,544 of the 138,357,544 "
                             "parameters (74.3%)"))},
    "alexnet.yaml": {("P102", ("dense 'dense1' holds 37,752,832 of the 61,100,840 "
                               "parameters (61.8%)"))},
    "lenet5.yaml": {("P102", "dense 'dense1' holds 48,120 of the 61,706 parameters (78.0%)")},
    # a fixture that uses every kind once, for the executor; its two warnings are deliberate
    "tiny_all_kinds.yaml": {"P101", "S109"},
}
EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.yaml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_examples_raise_nothing_by_default_but_the_documented(example: Path) -> None:
    # the default selection: what a reviewer should act on, info-level notes left out
    findings = lint_file(example)
    expected = DOCUMENTED.get(example.name, set())
    if example.name == "tiny_all_kinds.yaml":
        assert {d.code for d in findings} == expected
    else:
        assert {(d.code, d.message) for d in findings} == expected


# --- the default selection: info-level notes only on request ---------------------------

INFO_RULES = sorted(code for code, rule in RULES.items()
                    if rule.severity.value == "info")


def test_info_rules_are_opt_in_and_the_rest_run_by_default() -> None:
    assert INFO_RULES == ["C101", "R102", "S104"]
    assert {r.code for r in selected()} == set(RULES) - set(INFO_RULES)
    assert {r.code for r in selected(DEFAULT)} == {r.code for r in selected()}
    assert {r.code for r in selected((ALL,))} == set(RULES)
    assert [r.code for r in selected(("C101",))] == ["C101"]
    assert [r.code for r in selected(("DEFAULT", "C101")) if r.severity.value == "info"] \
        == ["C101"]


@pytest.mark.parametrize("code,fixture,where", [
    ("C101", "C101_fail", (5, 5)), ("R102", "R102_fail", (4, 5)),
    ("S104", "S104_fail", (9, 11))])
def test_an_info_note_shows_when_selected_not_by_default(
        code: str, fixture: str, where: tuple[int, int]) -> None:
    path = FIXTURES / f"{fixture}.yaml"
    assert code not in {d.code for d in lint_file(path)}
    for select in ((ALL,), (code,), (code[0],), ("DEFAULT", code)):
        assert [(d.line, d.column) for d in lint_file(path, select) if d.code == code] \
            == [where]


def test_squeezenet_head_is_reported_once_and_nothing_else_but_its_stem() -> None:
    # conv 3x3 stride 2 unpadded on 224 reads up to pixel 222 only (S105); the ReLU before
    # the adaptive pool makes every logit >= 0 (O103); the parameters match torchvision's
    found = [(d.code, d.line) for d in lint_file(FIXTURES / "squeezenet1_1.yaml")]
    assert found == [("S105", 18), ("O103", 33)]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_info_notes_on_the_examples_are_only_the_opt_in_rules(example: Path) -> None:
    every = {d.code for d in lint_file(example, (ALL,))}
    default = {d.code for d in lint_file(example)}
    assert every - default <= set(INFO_RULES)


# --- no false positives where a design is right -----------------------------------------

@pytest.mark.parametrize("text", [
    # a backbone ending in batch norm, ReLU and global pooling gives features, not logits
    """input: [3, 32, 32]
layers:
  - conv: {filters: 64, kernel: 3, padding: 1, bias: false}
  - batchnorm
  - relu
  - global_avgpool
  - flatten
""",
    # a residual block's ReLU after the add, then pooling: ResNet without its classifier
    """input: [16, 8, 8]
layers:
  - residual:
      main: [conv: {filters: 16, kernel: 3, padding: 1}]
  - relu
  - global_avgpool
""",
    # the ReLU before the classifier's dense layer is no activation on the logits
    """input: [16, 8, 8]
layers:
  - relu
  - global_avgpool
  - flatten
  - dense: {units: 10}
  - softmax
""",
])
def test_o103_is_quiet_on_features_and_hidden_activations(text: str) -> None:
    assert [d for d in lint_spec(parse(text, "net.yaml"), ("O103",))] == []


def test_c104_needs_framework_pytorch() -> None:
    text = ("input: [3, 32, 32]\nframework: tensorflow\nlayers:\n"
            "  - maxpool: {kernel: 3, stride: 1, padding: same}\n"
            "  - conv: {filters: 8, kernel: 3, stride: 2, padding: same}\n")
    assert lint_spec(parse(text, "net.yaml"), ("C104",)) == []
    # where C104 reports it, C102 stays quiet: one finding for one problem
    pytorch = text.replace("tensorflow", "pytorch")
    assert {d.code for d in lint_spec(parse(pytorch, "net.yaml"), ("C",))} == {"C104"}


# --- lint in bounded time: every rule linear in the number of layers ---------------------

def test_a_5000_layer_net_lints_with_the_right_findings() -> None:
    # an 8x8 map collapses to 1x1 at the first conv; 2,500 (3x3 conv, relu) pairs follow,
    # each conv meeting data at 1 tap of 9 (S108): the walk back to where the map collapsed
    # was once repeated for every layer (20 s at 10,000 layers)
    text = ("input: [3, 8, 8]\nframework: pytorch\nlayers:\n"
            "  - conv: {filters: 3, kernel: 8, bias: false}\n"
            + "  - conv: {filters: 3, kernel: 3, padding: 1, bias: false}\n  - relu\n" * 2500
            + "  - global_avgpool\n  - flatten\n  - dropout\n  - identity\n")
    found = lint_spec(parse(text, "deep.yaml"))
    collapsed = [d for d in found if d.code == "S108"]
    assert len(collapsed) == 2500 and (collapsed[0].line, collapsed[-1].line) == (5, 5003)
    assert collapsed[-1].message == ("conv 'conv2501': slides a 3x3 window over a 1x1 input "
                                     "(collapsed at conv 'conv1'): only 1 of its 9 taps "
                                     "meets data")
    # and the last conv -> relu -> four sign-keeping layers is an activation on the logits
    assert [(d.line, d.message) for d in found if d.code != "S108"] == [
        (5004, ("relu 'relu2500' bends the logits of conv 'conv2501' before global_avgpool "
               "'global_avgpool1' and the network's output: they can never be negative, and a "
               "class scored below 0 everywhere gets no gradient"))]


# --- traits, not names: the rules ask a layer what it is ---------------------------------

TRAITS = ("is_activation", "is_rectifier", "is_non_negative", "makes_probabilities",
          "normalises_channels", "drops_in_training", "is_pool", "is_global", "is_affine_map",
          "is_transposed", "acts_on_last_axis", "keeps_sign", "makes_log_probabilities")
# kind: its traits (every other trait False). relu(x) >= 0, sigmoid in (0, 1); gelu, silu
# and hardswish dip below 0 (minima about -0.17, -0.28, -0.375); batch norm subtracts each
# channel's batch mean, group and layer norm do not (a per-channel bias survives them).
KIND_TRAITS = {
    **{kind_of(entry): traits for entry, _, traits in ACTIVATION_TABLE},  # one row each
    "softmax": {"makes_probabilities", "is_non_negative"},
    "batchnorm": {"normalises_channels"},
    "layernorm": set(), "groupnorm": set(),
    "dropout": {"drops_in_training", "keeps_sign"},
    "maxpool": {"is_pool", "keeps_sign"}, "avgpool": {"is_pool", "keeps_sign"},
    "adaptive_avgpool": {"is_pool", "keeps_sign"}, "adaptive_maxpool": {"is_pool", "keeps_sign"},
    "global_avgpool": {"is_pool", "is_global", "keeps_sign"},
    "global_maxpool": {"is_pool", "is_global", "keeps_sign"},
    "conv": {"is_affine_map"}, "conv_transpose": {"is_affine_map", "is_transposed"},
    "dense": {"is_affine_map", "acts_on_last_axis"},
    "flatten": {"keeps_sign"}, "identity": {"keeps_sign"}, "zeropad": {"keeps_sign"},
    "upsample": {"keeps_sign"},
    # PReLU's learned slopes bend the negative half (nothing bounds them to keep it >= 0);
    # log_softmax gives log-probabilities (<= 0), not probabilities; instance norm subtracts
    # each channel's mean per sample, so a bias before it cancels as before batch norm; LRN
    # keeps the sign only for k > 0 and alpha >= 0, which it does not require
    "prelu": {"is_activation", "is_rectifier"},
    "log_softmax": {"makes_log_probabilities"},
    "instancenorm": {"normalises_channels"},
    "local_response_norm": set(),
    "spatial_dropout": {"drops_in_training", "keeps_sign"},
    "pixel_shuffle": {"keeps_sign"}, "pixel_unshuffle": {"keeps_sign"},
    "reshape": {"keeps_sign"}, "permute": {"keeps_sign"}, "maxunpool": {"keeps_sign"},
}
KIND_TRAITS |= {  # issue 9's conv, padding and pooling kinds
    "reflection_pad": {"keeps_sign"}, "replication_pad": {"keeps_sign"},
    "circular_pad": {"keeps_sign"}, "cropping": {"keeps_sign"},
    "depthwise_conv": {"is_affine_map"}, "separable_conv": {"is_affine_map"},
    "lppool": {"is_pool", "keeps_sign"}, "fractional_maxpool": {"is_pool", "keeps_sign"},
}


@pytest.mark.parametrize("kind", sorted(KIND_TRAITS))
def test_each_kind_declares_its_traits(kind: str) -> None:
    layer = LAYERS[kind]
    assert {t for t in TRAITS if getattr(layer, t)} == KIND_TRAITS[kind]


def test_every_kind_has_a_traits_row() -> None:
    kinds = {cls.kind for name, cls in LAYERS.items() if name == cls.kind}
    assert kinds - {"test_attention"} == set(KIND_TRAITS)


LINT = Path(__file__).parent.parent / "cnncalc" / "lint"
LINT_FILES = sorted(LINT.rglob("*.py"))   # the rules live in a package below it


def test_no_rule_compares_a_kind_or_family_name() -> None:
    pattern = re.compile(r"\.(kind|family)\s*(==|!=|in\b|not in\b)|RECTIFIERS")
    assert LINT / "rules" / "order.py" in LINT_FILES
    offenders = [f"{path.relative_to(LINT)}:{number}" for path in LINT_FILES
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == []


def _code_strings(tree: ast.AST) -> list[ast.Constant]:
    """The string constants of a module that are code, not documentation: docstrings and
    X102's list of the families the rules know (that rule is about family names) left out."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and \
                isinstance(body[0].value, ast.Constant):
            skip.add(id(body[0].value))
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "KNOWN_FAMILIES" for t in node.targets):
            skip.update(id(c) for c in ast.walk(node.value))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Constant)
            and isinstance(node.value, str) and id(node) not in skip]


def test_no_lint_code_names_a_layer_kind() -> None:
    # 'batchnorm', 'relu', 'softmax', 'dropout' (and every alias) as a string in lint code
    # would be a rule keyed on a kind's name; messages name kinds through label() instead
    kinds = set(LAYERS) | set(MERGES)
    assert {"batchnorm", "relu", "softmax", "dropout", "bn", "linear"} <= kinds
    offenders = [f"{path.relative_to(LINT)}:{node.lineno} {node.value!r}"
                 for path in LINT_FILES for node in _code_strings(ast.parse(path.read_text()))
                 if node.value.strip().lower() in kinds]
    assert offenders == []


def test_the_kind_name_check_sees_code_strings() -> None:
    # the checker above can fail: a comparison with a kind's name is a code string to it
    tree = ast.parse('"""Doc: relu."""\nKNOWN_FAMILIES = ("conv",)\n'
                     'def f(layer):\n    """relu."""\n    return layer.kind == "relu"\n')
    assert [node.value for node in _code_strings(tree)] == ["relu"]


# --- "Use instead": each rule's passing fixture, shown in its documentation ---------------

ROOT = Path(__file__).resolve().parent.parent


def _passing(code: str) -> Path:
    return FIXTURES / f"{code}_pass.{'yaml' if RULES[code].check else 'md'}"


def _generator():  # tests/make_use_instead.py, which copies the fixtures into the package
    spec = importlib.util.spec_from_file_location("make_use_instead",
                                                  ROOT / "tests" / "make_use_instead.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _codes_found(path: Path, select: tuple[str, ...]) -> set[str]:
    """The codes a fixture raises: a spec's lint, or a document's check."""
    if path.suffix == ".md":
        checked = check_document(str(path), path.read_text(), select, (), SpecFiles(ROOT))
        return {d.code for d in checked.diagnostics}
    return {d.code for d in lint_file(path, select)}


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_uses_its_passing_fixture_as_use_instead(code: str) -> None:
    # the package's copy is the fixture's text, byte for byte (else: python
    # tests/make_use_instead.py), and the fixture is the one named after the rule
    fixture = _passing(code)
    assert USE_INSTEAD[code] == (fixture.name, fixture.read_text(encoding="utf-8"))
    rule = RULES[code]
    assert rule.use_instead == fixture.read_text(encoding="utf-8") != ""
    # every rendering shows it: the text (`cnncalc rules CODE`, JSON, SARIF) indented under
    # its heading before the reference, the Markdown (docs/rules.md) as a fenced block
    indented = textwrap.indent(fixture.read_text(encoding="utf-8").rstrip("\n"), "    ")
    assert f"\n\nUse instead:\n{indented}\n\n" in rule_text(rule) + "\n\n"
    assert rule.doc.index("Use instead:") < rule.doc.find("Reference:") or \
        "Reference:" not in rule.doc
    fence = f"**Use instead:**\n\n```{rule.language}\n{fixture.read_text().rstrip()}\n```"
    assert fence in rule_markdown(rule)


@pytest.mark.parametrize("code", sorted(RULES))
def test_use_instead_passes_its_rule_and_raises_nothing_new(code: str) -> None:
    # a fix that trades one finding for another would be poor advice: the passing fixture
    # raises nothing, by default, that the rule's failing fixtures do not raise already
    passing = _passing(code)
    assert code not in _codes_found(passing, (code,)), (
        f"{passing.name} fails {code}" + ("; if cnncalc's tables changed on purpose: cnncalc "
                                          f"check --fix {passing.relative_to(ROOT)}, then "
                                          f"python tests/make_use_instead.py"
                                          if passing.suffix == ".md" else ""))
    failing = sorted(FIXTURES.glob(f"{code}_fail*{passing.suffix}"))
    assert failing, f"{code} has no failing fixture beside {passing.name}"
    select = (*DEFAULT, code)   # an info note is opt-in: asked for by its code
    before = set().union(*(_codes_found(path, select) for path in failing))
    assert code in before
    assert _codes_found(passing, select) - before == set()


def test_the_use_instead_module_is_what_the_generator_writes() -> None:
    # no hand edits: the module is the generator's output from the fixtures as they are now
    generator = _generator()
    assert (ROOT / "cnncalc" / "lint" / "use_instead.py").read_text(encoding="utf-8") == \
        generator.render(), "run python tests/make_use_instead.py"
    assert set(USE_INSTEAD) == set(RULES)


@pytest.mark.parametrize("text,literal", [
    ("a: 1\n", '"""\\\na: 1\n"""'),
    ('a: "x"\n', '"""\\\na: "x"\n"""'),
    ('a: \'"""\'\n', repr('a: \'"""\'\n')),   # would close the literal
    ("a: '\\n'\n", repr("a: '\\n'\n")),          # a backslash would be an escape
    ("a: 1\r\n", repr("a: 1\r\n")),                # Python reads a CR in source as a newline
])
def test_the_generator_writes_literals_that_read_back_as_the_text(text: str,
                                                                  literal: str) -> None:
    written = _generator().literal(text)
    assert written == literal and eval(written) == text
