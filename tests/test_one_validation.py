"""Every spec key is checked once, when the spec is parsed: every command refuses the same
malformed spec with the same located message and exit 2 (before, `budget: {flops: 1}` passed
`cnncalc shapes` and failed `cnncalc lint`)."""
from __future__ import annotations

import pytest
from conftest import run

from cnncalc import SpecError, analyze_text, parse

COMMANDS = ("shapes", "params", "rf", "summary", "lint", "run", "check", "diagram", "diff")
COUNTS = "a whole number >= 0, or a number with k, M, G or T (10^3, 10^6, 10^9, 10^12) like 25M"
BYTES = ("a whole number of bytes >= 0, or a number with B, KB, MB, GB, TB (10^3, 10^6, ...) "
         "or KiB, MiB, GiB, TiB (2^10, 2^20, ...) like 100MiB; a bare K, M, G, T is binary "
         "(2G = 2 GiB)")


@pytest.mark.parametrize("section, message", [
    ("budget: {flops: 1}",
     "2:10: unknown budget 'flops'; expected params, macs, activation_memory, rf, output_shape"),
    ("budget: {params: 1.5}",
     f"2:18: budget 'params' must be {COUNTS} or 1.5e9; found 1.5, not a whole number"),
    ("budget: {activation_memory: 5 apples}",
     f"2:29: budget 'activation_memory' must be {BYTES}; found '5 apples', an unknown unit"),
    ("budget: {rf: {min: [3]}}",
     ("2:20: budget 'rf' limits must be a positive number or a list of 2 (one per spatial "
     "axis); found [3]")),
    ("budget: 3",
     ("2:9: 'budget' must be a mapping of params, macs, activation_memory, rf, output_shape; "
     "found 3")),
    ("lint: {select: [S]}", "2:8: unknown lint setting 'select'; expected ignore: [CODE, ...]"),
    ("lint: {ignore: P102}",
     "2:16: 'lint: ignore' must be a list of rule codes or prefixes like [P102]; found 'P102'"),
    ("expect: {flops: 3}",
     ("2:10: unknown expectation 'flops'; expected shape, output_shape, params, "
     "trainable_params, macs, rf, outputs")),
    ("expect: {params: many}", "2:18: expected 'params' must be a whole number; found 'many'"),
    ("expect: [1]",
     ("2:9: 'expect' must be a mapping of shape, output_shape, params, trainable_params, macs, "
     "rf, outputs; found a list")),
])
def test_every_command_refuses_a_malformed_section_alike(write_spec, section: str,
                                                         message: str) -> None:
    path = write_spec(f"input: [3, 8, 8]\n{section}\nlayers: [relu]\n")
    for command in COMMANDS:
        result = run(command, path, path) if command == "diff" else run(command, path)
        assert result.exit_code == 2, (command, result.output)
        located = [line for line in result.stderr.splitlines() if line.startswith(path)]
        assert located == [f"{path}:{message}"], (command, result.stderr)
        assert "Traceback" not in result.stderr


def test_every_problem_in_every_section_is_told_at_once() -> None:
    text = ("input: [3, 0]\n"
            "expect: {params: -1, shape: 3}\n"
            "budget: {macs: 2 G, rf: {max: [1, 2, 3]}, flops: 1}\n"
            "lint: {ignore: [1]}\n"
            "layers: [relu]\n")
    with pytest.raises(SpecError) as caught:
        parse(text, "net.yaml")
    # the rf limits cannot be counted against a malformed input: they are not refused
    assert [str(p).split(": ")[0] for p in caught.value.problems] == [
        "net.yaml:1:8", "net.yaml:2:18", "net.yaml:2:29", "net.yaml:3:43", "net.yaml:4:16"]


def test_a_parsed_spec_carries_its_budget_and_ignores_read() -> None:
    spec = parse("input: [3, 8, 8]\n"
                 "budget: {params: 25M, macs: 4.1G, activation_memory: 2M, rf: {min: 5}}\n"
                 "lint: {ignore: [P102, S1]}\n"
                 "layers: [relu]\n", "net.yaml")
    budget = spec.budget
    assert (budget.params[0], budget.macs[0]) == (25_000_000, 4_100_000_000)
    assert budget.activation_memory[0] == 2 * 1_048_576       # a bare M on bytes: MiB
    assert budget.rf_min[0] == [5.0, 5.0] and budget.rf_max is None
    assert str(budget.params[1]) == "net.yaml:2:18"
    assert spec.lint_ignore == ("P102", "S1")


def test_a_layer_expectation_is_checked_by_the_same_function() -> None:
    # columns: '{' is the 13th character of the line, 'flops' the 14th, 'x' the 32nd
    text = "input: [3, 8, 8]\nlayers:\n  - relu:\n    expect: {flops: 3, params: x}\n"
    with pytest.raises(SpecError) as caught:
        analyze_text(text, "net.yaml")
    assert [str(p) for p in caught.value.problems] == [
        ("net.yaml:4:14: unknown expectation 'flops'; expected shape, output_shape, params, "
        "macs, rf"),
        "net.yaml:4:32: expected 'params' must be a whole number; found 'x'"]
