"""Every lint rule fires on its failing fixture (code, line, column, the figures) and stays
quiet on the fixed one; every rule can be selected away and suppressed in the spec.

Fixtures: tests/fixtures/lint/CODE_fail.yaml and CODE_pass.yaml; each says in its first
line what it shows and where the figure comes from.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cnncalc.errors import SpecError
from cnncalc.layers import LAYERS, Layer
from cnncalc.lint import RULES, lint_file, lint_spec
from cnncalc.lint.docs import rule_markdown
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
    ("R101", "R101_fail", [(6, 5)], "sees 30 of 32 pixels on H"),
    ("R102", "R102_fail", [(4, 5)], "143 on H (4.5x the 32-pixel input)"),
    ("R103", "R103_fail", [(5, 5)], "branch 1 jump 2 centre 0, branch 2 jump 2 centre 0.5"),
    ("P101", "P101_fail", [(4, 5)], "64 wasted parameters"),
    ("P102", "P102_fail", [(6, 5)], "1,310,730 of the 1,311,626 parameters (99.9%)"),
    ("O101", "O101_fail", [(5, 5)], "feeds batchnorm 'batchnorm1'"),
    ("O102", "O102_fail", [(6, 5)], "relu 'relu2' directly follows relu 'relu1'"),
    ("O103", "O103_fail", [(6, 5)], "feeds softmax 'softmax1'"),
    ("O103", "O103_fail_last", [(6, 5)], "is the network's last layer"),
    ("C101", "C101_fail", [(5, 5)], "floor rule gives 111"),
    ("C102", "C102_fail", [(5, 5)], "pads 0 before and 1 after"),
    ("C103", "C103_fail", [(4, 5)], "padding 2 on H is more than half the 3-pixel window"),
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
    ("budget: {output_shape: 1000}", "must be a list of integers"),
    ("lint: {select: [S]}", "unknown lint setting 'select'"),
])
def test_malformed_budget_or_lint_is_unreadable(budget: str, message: str) -> None:
    text = f"input: [3, 8, 8]\n{budget}\nlayers: [relu]\n"
    with pytest.raises(SpecError) as caught:
        lint_spec(parse(text, "net.yaml"), ignore=("B",))  # refused even when B is ignored
    assert message in str(caught.value) and "net.yaml:2:" in str(caught.value)


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_rule_is_documented(code: str) -> None:
    rule = RULES[code]
    for heading in ("Why:", "Example:", "Fix:"):
        assert f"\n\n{heading}" in rule.doc, f"{code} lacks {heading}"
    assert rule.summary.endswith(".")
    assert "```yaml" in rule_markdown(rule)


def test_codes_are_families_and_names_unique() -> None:
    assert len({r.name for r in RULES.values()}) == len(RULES)
    assert {code[0] for code in RULES} <= set("SRPOCBDX")


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
def test_examples_raise_nothing_above_info_but_the_documented(example: Path) -> None:
    findings = [d for d in lint_file(example) if d.severity.rank > 0]
    expected = DOCUMENTED.get(example.name, set())
    if example.name == "tiny_all_kinds.yaml":
        assert {d.code for d in findings} == expected
    else:
        assert {(d.code, d.message) for d in findings} == expected
