"""Hostile input is normal input: mutated examples and hostile values never end in a
traceback, always exit 0, 1 or 2, and stay bounded in time.

Each example is mutated (a value swapped for a hostile one, a line dropped, doubled or cut)
and run through the commands CI runs. A watchdog fails any case that runs away: it is a
hang detector with a generous limit, not a speed assertion.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT, WATCHDOG_SECONDS, watchdog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnncalc.cli import main

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))
TEXTS = {path.name: path.read_text() for path in EXAMPLES}

HOSTILE_VALUES: list[Any] = [
    0, -1, 1, 2**31, 2**63, 10**400, 1e400, -1e400, float("nan"), 0.5, 1e-300,
    True, False, None, "", "x", "same", "valid", "ceil", "$", "$x", "${", "${}",
    "${9**9**9}", "${10**10**10}", "${'a' * 10**9}", "${[1] * 10**9}", "${min()}",
    "${round(1.5, 1.5)}", "${int('x')}", "${max([])}", "${-[1]}", "${x < 1}",
    "${((((((((((((((((((((((((((((((1))))))))))))))))))))))))))))))}",
    "${" + "+".join(["1"] * 5000) + "}", "${in_channels ** in_channels}",
    "a|b\n::error::pwned", "\x1b[31mred\x1b[0m", "\u202e", "é" * 3,
    [], [1], [0, 0], [[1, 2], [3, 4]], [None], ["a"], [10**12, 10**12],
    {}, {"a": 1}, {"size": None}, {"kernel": 3},
]
COMMANDS = [("shapes",), ("summary", "--format", "json"), ("params", "--format", "csv"),
            ("rf", "--format", "markdown"), ("lint",), ("lint", "--format", "github"),
            ("diagram",), ("diagram", "--format", "dot", "--depth", "1"),
            ("diff", "--format", "markdown", str(ROOT / "examples" / "lenet5.yaml"))]


def run_all(tmp_path: Path, text: str) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text(text, encoding="utf-8")
    runner = CliRunner()
    for command in COMMANDS:
        with watchdog(WATCHDOG_SECONDS):
            result = runner.invoke(main, [*command, str(spec)])
        assert result.exit_code in (0, 1, 2), (command, text, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            command, text, repr(result.exception))
        assert "Traceback" not in result.output
        if result.exit_code == 2:
            errors = [line for line in result.stderr.splitlines() if line.strip()]
            assert errors, (command, text)
            for line in errors:
                if "finding" in line:  # the lint summary line
                    continue
                assert line.startswith((str(spec), "Error:")), (command, line)


def _replace_value(tree: Any, path: list[int], value: Any) -> Any:
    """Walk the YAML tree by `path` (indices into each container's items) and replace
    the value reached."""
    if not path or not isinstance(tree, (dict, list)) or not tree:
        return value
    index = path[0] % len(tree)
    if isinstance(tree, dict):
        key = list(tree)[index]
        tree[key] = _replace_value(tree[key], path[1:], value)
    else:
        tree[index] = _replace_value(tree[index], path[1:], value)
    return tree


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(TEXTS)),
       path=st.lists(st.integers(0, 40), min_size=1, max_size=6),
       value=st.sampled_from(HOSTILE_VALUES))
def test_hostile_value_in_an_example(tmp_path: Path, name: str, path: list[int],
                                     value: Any) -> None:
    tree = yaml.safe_load(TEXTS[name])
    mutated = _replace_value(tree, path, value)
    run_all(tmp_path, yaml.safe_dump(mutated, sort_keys=False, allow_unicode=True))


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(sorted(TEXTS)), data=st.data())
def test_mangled_lines_of_an_example(tmp_path: Path, name: str, data: st.DataObject) -> None:
    lines = TEXTS[name].splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    action = data.draw(st.sampled_from(["drop", "double", "cut", "indent", "dedent", "char"]))
    if action == "drop":
        del lines[index]
    elif action == "double":
        lines.insert(index, lines[index])
    elif action == "cut":
        lines = lines[:index] + [lines[index][: len(lines[index]) // 2]]
    elif action == "indent":
        lines[index] = "  " + lines[index]
    elif action == "dedent":
        lines[index] = lines[index].lstrip()
    else:
        char = data.draw(st.sampled_from(list(":-[]{}&*!|>'\"%@`#,?\t\x00\x1b")))
        line = lines[index]
        at = data.draw(st.integers(0, len(line)))
        lines[index] = line[:at] + char + line[at:]
    run_all(tmp_path, "\n".join(lines) + "\n")


BOMBS = {
    "alias bomb": "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9)) + "input: [3, 8, 8]\n"
    "layers: [relu]\n",
    "huge repeat": "input: [3, 8, 8]\nlayers:\n  - relu:\n    repeat: 1000000000\n",
    "nested blocks": "input: [3, 8, 8]\nblocks:\n  a: {layers: [{relu: {}, repeat: 1000}]}\n"
                     "  b: {layers: [{a: {}, repeat: 1000}]}\n  c: {layers: [{b: {}, repeat: "
                     "1000}]}\nlayers: [c]\n",
    "power tower": "input: [3, 8, 8]\nblocks:\n  b: {params: {n: 9}, layers: [{conv: "
                   "{filters: '${n**n**n}', kernel: 1}}]}\nlayers: [b]\n",
    "huge upsample": "input: [3, 8, 8]\nlayers:\n  - upsample: {scale: 1000000000}\n",
    "huge adaptive pool": "input: [3, 8, 8]\nlayers:\n  - adaptive_avgpool: "
                          "{output_size: 1000000}\n",
    "huge transposed stride": "input: [3, 8, 8]\nlayers:\n  - conv_transpose: {filters: 2, "
                              "kernel: 1, stride: 100000000}\n  - conv: {filters: 2, "
                              "kernel: 3}\n",
    "deep lint": "input: [3, 1, 1]\nlayers:\n  - conv: {filters: 3, kernel: 1}\n"
                 "    repeat: 3000\n",
    "huge integer": "input: [3, " + "9" * 5000 + ", 8]\nlayers: [relu]\n",
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_bomb(tmp_path: Path, name: str) -> None:
    run_all(tmp_path, BOMBS[name])
