"""Hostile and careless specs: each ends in located lines and exit 2, in bounded time and
memory, never a traceback (issue 7). Every case is run through the command line."""
import os
import re

import pytest
from click.testing import CliRunner
from conftest import WATCHDOG_SECONDS, watchdog

from cnncalc.cli import main

HEAD = "input: [3, 8, 8]\n"
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): (?P<message>.+)$")


def run(args, stdin=None):
    with watchdog(WATCHDOG_SECONDS):  # bounded work: a runaway fails, a slow machine not
        result = CliRunner().invoke(main, args, input=stdin)
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), result.exception
    return result


def problems(path, args=("shapes",)):
    """Run a command on a spec; its located problem lines (exit 2, nothing on stdout)."""
    result = run([*args, path])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    for line in lines:
        assert LOCATED.match(line), line
        assert line.startswith(path + ":"), line
    return lines


def one_problem(write_spec, text):
    path = write_spec(text)
    lines = problems(path)
    assert len(lines) == 1, lines
    return lines[0][len(path):]  # ':LINE:COL: message'


def alias_bomb():
    lines = [HEAD.strip(), "x0: &x0 [relu, relu, relu, relu, relu, relu, relu, relu, relu]"]
    for i in range(1, 10):
        lines.append(f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\nlayers: *x9\n"


BOUNDED = [  # (spec, where, message): 'where' is ':LINE:COL:' or ':LINE:'
    pytest.param(alias_bomb(), ":", "expands (through aliases) to more than 1,000,000 values",
                 id="alias-bomb"),
    pytest.param(HEAD + "layers:\n  - relu:\n    repeat: 1000000000\n", ":3:5:",
                 "expands to more than 100,000 layers", id="huge-repeat"),
    pytest.param(HEAD + "blocks:\n  a: {layers: [{relu: {}, repeat: 1000}]}\n"
                 "  b: {layers: [{a: {}, repeat: 1000}]}\n"
                 "  c: {layers: [{b: {}, repeat: 1000}]}\nlayers:\n  - c\n", ":7:5:",
                 "expands to more than 100,000 layers", id="nested-blocks-multiply"),
    pytest.param(HEAD + "blocks:\n  a: {params: {n: 1}, layers: [{relu: {}, repeat: $n}]}\n"
                 "layers:\n  - a: {n: 1000000000}\n", ":3:", "more than 100,000 layers",
                 id="repeat-from-a-parameter"),
    pytest.param(HEAD + "blocks:\n  z: {layers: [{relu: {}, when: false}]}\n"
                 "layers:\n  - z:\n    repeat: 1000000000\n", ":5:5:",
                 "more than 400,000 entries", id="repeat-of-nothing"),
    pytest.param(HEAD + "blocks:\n  a: {layers: [{conv: {filters: 8, kernel: 40}, "
                 "when: true}]}\nlayers:\n  - a:\n    repeat: 300000\n", ":3:",
                 "the output would be empty", id="repeat-of-a-failing-copy"),
    pytest.param(HEAD + "layers: " + "[" * 100000 + "]" * 100000 + "\n", ":2:",
                 # PyYAML 6.0.4's parser stops it first, with its own located message
                 "nesting deeper than 200 levels|exceeded maximum nesting depth",
                 id="deep-flow-nesting"),
    pytest.param(HEAD + "layers:\n" + "- " * 100000 + "relu\n", ":3:",
                 "nesting deeper than 200 levels", id="deep-block-nesting"),
    pytest.param(HEAD + "layers: &a [relu, *a]\n", ":2:19:", "cannot contain itself",
                 id="recursive-alias"),
    pytest.param(HEAD + "blocks:\n  b: {layers: [{conv: {filters: '${9**9**9}', kernel: 1}}]}"
                 "\nlayers: [b]\n", ":3:", "9 ** 387420489 is beyond 2**64", id="power-bomb"),
    pytest.param(HEAD + "blocks:\n  b: {layers: [{conv: {filters: '${" + "(" * 240 + "1"
                 + ")" * 240 + "}', kernel: 1}}]}\nlayers: [b]\n", ":3:",
                 "not an arithmetic expression", id="deep-expression"),
    pytest.param(HEAD + "blocks:\n  b: {layers: [{conv: {filters: '${" + "-" * 400 + "1}', "
                 "kernel: 1}}]}\nlayers: [b]\n", ":3:", "nested deeper than 50 levels",
                 id="deep-unary-expression"),
    pytest.param(HEAD + "blocks:\n  b: {layers: [{conv: {filters: '${" + "+".join("1" * 300)
                 + "}', kernel: 1}}]}\nlayers: [b]\n", ":3:", "longer than 500 characters",
                 id="long-expression"),
    pytest.param(HEAD + "blocks:\n" + "".join(f"  b{i}: {{layers: [b{i + 1}]}}\n"
                                              for i in range(300))
                 + "  b300: {layers: [relu]}\nlayers: [b0]\n", ":",
                 "nest deeper than 100 levels", id="block-chain"),
    pytest.param(HEAD + "layers:\n  - upsample: {scale: 1.0e+300}\n", ":3:5:",
                 "the limit per axis is 2,147,483,648", id="huge-upsample-scale"),
    pytest.param(HEAD + "layers:\n  - upsample: {size: 1000000}\n", ":3:5:",
                 "3,000,000,000,000 elements; the limit is 1,099,511,627,776",
                 id="huge-upsample-size"),
    pytest.param(HEAD + "layers:\n  - adaptive_avgpool: {output_size: 1000000}\n", ":3:5:",
                 "the limit is 1,099,511,627,776", id="huge-adaptive-pool"),
    pytest.param(HEAD + "layers:\n  - conv_transpose: {filters: 2, kernel: 2, "
                 "stride: 2000000000}\n", ":3:5:", "the limit per axis",
                 id="huge-transposed-stride"),
    pytest.param(HEAD + "layers:\n  - conv: {filters: 100000000000, kernel: 3}\n", ":3:21:",
                 "'filters' is 100,000,000,000; the limit is 2,147,483,648", id="huge-filters"),
    pytest.param(HEAD + "layers:\n  - conv: {filters: " + "9" * 5000 + ", kernel: 3}\n",
                 ":3:21:", "this number is too long", id="beyond-python-digit-limit"),
    pytest.param(HEAD + "layers:\n  - conv: {filters: 99999999999999999999, kernel: 3}\n",
                 ":3:21:", "too large", id="beyond-2-63"),
    pytest.param("input: [3, 100000000000, 8]\nlayers: [relu]\n", ":1:8:",
                 "the limit per axis is 2,147,483,648", id="huge-input-axis"),
    pytest.param("input: [3, 2000000, 2000000]\nlayers: [relu]\n", ":1:8:",
                 "12,000,000,000,000 elements", id="huge-input-elements"),
    pytest.param(HEAD + "layers:\n  - dropout: {p: 1.0e+400}\n", ":3:18:",
                 "not a finite number", id="float-overflow"),
]


@pytest.mark.parametrize("text,where,message", BOUNDED)
def test_hostile_spec_is_refused_quickly_with_one_located_line(write_spec, text, where,
                                                               message):
    line = one_problem(write_spec, text)
    assert line.startswith(where), line
    assert any(part in line for part in message.split("|")), line  # | joins alternatives


NO_TRACEBACK = [
    ("name: !!int abc", ":3:7:", "'abc' is not a valid !!int value"),
    ("name: !!int ''", ":3:7:", "'' is not a valid !!int value"),
    ("name: !!bool abc", ":3:7:", "'abc' is not a valid !!bool value"),
    ("name: !!timestamp abc", ":3:7:", "'abc' is not a valid !!timestamp value"),
    ("name: !!int ²", ":3:7:", "'²' is not a valid !!int value"),
    ("name: !!float x", ":3:7:", "'x' is not a valid !!float value"),
    ("name: !!binary x", ":3:7:", "'x' is not a valid !!binary value"),
    ("name: !!binary aGVsbG8=", ":3:7:", "binary data is not a value a spec takes"),
    ("name: !!set {a, b}", ":3:7:", "the YAML tag '!!set' is not supported"),
    ("name: !!omap [a: 1]", ":3:7:", "the YAML tag '!!omap' is not supported"),
    ("name: 2001-01-01", ":3:7:", "a date is not a value a spec takes; quote it"),
    ("name: 2001-01-01 10:00:00", ":3:7:", "a date and time is not a value"),
    ("name: !!python/object:os.system x", ":3:7:", "unknown YAML tag"),
    ("name: !custom 3", ":3:7:", "unknown YAML tag '!custom'"),
    ("name: .nan", ":3:7:", "'.nan' is not a finite number"),
    ("name: *nowhere", ":3:7:", "unknown alias '*nowhere'"),
    ("blocks: {b: {params: [[a]], layers: [relu]}}", ":3:", "'params' must be a mapping"),
    ("expect: {rf: {size: null}}", ":3:14:", "found {size: null}"),
    ("expect: {rf: [1, '2']}", ":3:14:", "expected 'rf' must be a size"),
    ("expect: {params: [1]}", ":3:18:", "must be a whole number; found [1]"),
    ("expect: {shape: [null]}", ":3:17:", "found [null]"),
    ("expect: 3", ":3:9:", ("'expect' must be a mapping of shape, output_shape, params, "
                           "trainable_params, macs, rf, outputs; found 3")),
]


@pytest.mark.parametrize("extra,where,message", NO_TRACEBACK)
def test_malformed_value_is_located_not_a_traceback(write_spec, extra, where, message):
    line = one_problem(write_spec, HEAD + "layers: [relu]\n" + extra + "\n")
    assert line.startswith(where), line
    assert message in line


LAYER_MISTAKES = [
    ("  - branches: [[relu], [relu]]\n    merge: [add]\n", ":4:12:",
     "'merge' must be one of add, concat, multiply; found ['add']"),
    ("  - branches: [[relu], [relu]]\n    merge: {a: 1}\n", ":4:12:", "found {a: 1}"),
    ("  - relu:\n    expect: {rf: {size: null}}\n", ":4:18:", "found {size: null}"),
    ("  - relu:\n    expect: {rf: {start: .inf}}\n", ":4:", "not a finite number"),
    ("  - relu:\n    when: null\n", ":4:11:", "found null"),
    ("  - relu:\n    name: [a]\n", ":4:11:", "'name' must be text; found ['a']"),
]


@pytest.mark.parametrize("text,where,message", LAYER_MISTAKES)
def test_wrong_typed_entry_keys_are_located(write_spec, text, where, message):
    line = one_problem(write_spec, HEAD + "layers:\n" + text)
    assert line.startswith(where), line
    assert message in line


@pytest.mark.parametrize("expression,message", [
    ("min()", "min() needs at least one number"),
    ("round(1.5, 1.5)", "round()'s digits must be an integer"),
    ("int(w)", "'int()' needs numbers; found 'hs'"),
    ("max(e)", "max() needs at least one number"),
    ("-l", "'-' needs numbers; found [1, 2]"),
    ("w < 1", "'<' compares two numbers or two texts"),
    ("-w", "'-' needs numbers; found 'hs'"),
    ("round(w)", "'round()' needs numbers"),
    ("int(1e308 * 10)", "not a finite number"),
    ("w * 1000000000", "'*' needs numbers"),
    ("(-8) ** 0.5", "not a real number"),
    ("1 / 0", "'/' by zero"),
    ("10 ** 400.0", "too large"),
])
def test_expression_errors_are_located(write_spec, expression, message):
    text = (HEAD + "blocks:\n  b:\n    params: {w: hs, l: [1, 2], e: []}\n    layers:\n"
            f"      - conv: {{filters: '${{{expression}}}', kernel: 1}}\nlayers: [b]\n")
    line = one_problem(write_spec, text)
    assert line.startswith(":6:25:"), line
    assert message in line


def test_text_compares_with_equals_in_expressions(write_spec):
    text = (HEAD + "blocks:\n  b:\n    params: {act: hs}\n    layers:\n"
            "      - relu:\n        when: \"${act == 'hs'}\"\n"
            "      - tanh:\n        when: \"${act != 'hs'}\"\nlayers: [b]\n")
    result = run(["shapes", "--format", "csv", write_spec(text)])
    assert result.exit_code == 0, result.output
    assert "relu" in result.stdout and "tanh" not in result.stdout


@pytest.mark.parametrize("value", ["'a\\nb\\x1b[31m'", "\"x\\u202ey\""])
def test_hostile_text_cannot_break_the_line(write_spec, value):
    line = one_problem(write_spec, HEAD + f"layers:\n  - conv: {{filters: {value}, kernel: 3}}\n")
    assert "\x1b" not in line and "\u202e" not in line


@pytest.mark.parametrize("text,message", [
    ("- conv\n", "found a list"),
    ("3\n", "found 3"),
    ("input: [3, 8, 8]\nlayers: {relu: {}}\n", "found {relu: {}}"),
    ("input: [3, 8, 8]\nlayers: null\n", "found null"),
    ("input: [3, 8, 8]\nlayers: [relu]\nexpect: [1]\n", "found a list"),
    ("input: [3, 8, 8]\nlayers: [relu]\nname: true\n", "found true"),
])
def test_messages_speak_yaml_not_python(write_spec, text, message):
    line = one_problem(write_spec, text)
    assert message in line
    for python in ("NoneType", "Sequence", "Mapping", "dict", "True", "None", "list'"):
        assert python not in line, line


# -- every problem, not only the first ---------------------------------------------------

def test_three_independent_mistakes_give_three_lines(write_spec):
    path = write_spec(HEAD + "layers:\n"
                      "  - convv: {filters: 8, kernel: 3}\n"     # unknown kind
                      "  - relu:\n    repeat: 0\n"               # bad repeat
                      "  - conv: {filters: 8, kernel: 3}\n"
                      "    name: [x]\n")                         # bad name
    lines = problems(path)
    assert [line[len(path):].split(":")[1] for line in lines] == ["3", "5", "7"], lines
    assert "did you mean 'conv'" in lines[0]
    assert "'repeat' must be an integer >= 1" in lines[1]
    assert "'name' must be text" in lines[2]


def test_every_unknown_argument_of_a_layer_is_reported(write_spec):
    path = write_spec(HEAD + "layers:\n  - conv: {filters: 8, kernel: 3, strid: 2, pading: 1}\n")
    lines = [line[len(path):] for line in problems(path)]
    assert len(lines) == 2, lines
    assert lines[0].startswith(":3:35:") and "did you mean 'stride'" in lines[0]
    assert lines[1].startswith(":3:45:") and "did you mean 'padding'" in lines[1]


def test_a_failed_shape_does_not_cascade(write_spec):
    # the conv fails; the layers after it would all be wrong against a guessed shape
    path = write_spec(HEAD + "layers:\n  - conv: {filters: 8, kernel: 40}\n"
                      "  - conv: {filters: 8, kernel: 3}\n  - maxpool: {kernel: 2}\n")
    lines = problems(path)
    assert len(lines) == 1 and "the output would be empty" in lines[0]


def test_top_level_and_block_problems_are_all_reported(write_spec):
    path = write_spec("input: [3, x]\nframwork: pytorch\nlayers: 3\n"
                      "blocks: {a: 1, b: {layers: []}}\n")
    lines = [line[len(path):] for line in problems(path)]
    assert len(lines) == 5, lines
    assert lines[0].startswith(":1:8:") and "'input' must be" in lines[0]
    assert lines[1].startswith(":2:1:") and "did you mean 'framework'" in lines[1]
    assert lines[2].startswith(":3:9:") and "'layers' must be" in lines[2]
    assert lines[3].startswith(":4:13:") and "block 'a'" in lines[3]
    assert lines[4].startswith(":4:28:")


def test_problems_stop_at_fifty(write_spec):
    path = write_spec(HEAD + "layers:\n" + "  - relux\n" * 80)
    lines = problems(path)
    assert len(lines) == 51 and "stopped after 50 problems" in lines[-1]


# -- hints for common mistakes ------------------------------------------------------------

@pytest.mark.parametrize("text,where,hint", [
    (HEAD + "layers:\n  - batchnorm\n    name: bn1\n", ":4:9:",
     "write '- batchnorm: {}' with 'name:' under it"),
    (HEAD + "layers:\n  - batchnorm\n  name: bn1\n", ":4:3:",
     "write '- batchnorm: {}' with 'name:' under it"),
    (HEAD + "blocks:\n  b:\n    params: {c: 2}\n    layers:\n"
     "      - conv: {filters: ${c * 2}, kernel: 1}\nlayers: [b]\n", ":6:",
     "an expression must be quoted: '${...}'"),
    (HEAD + "layers:\n  - conv: {filters: 8}\n    kernel: 3\n", ":4:5:",
     ("'kernel' is not a layer kind or an entry key (name, from, repeat, expect, rounding, "
     "trainable, lint, when); an argument of conv goes inside it: "
     "conv: {filters: 8, kernel: 3}")),
])
def test_common_mistakes_get_a_hint(write_spec, text, where, hint):
    line = one_problem(write_spec, text)
    assert line.startswith(where), line
    assert hint in line


# -- inputs that are not regular files ----------------------------------------------------

def test_dev_zero_is_refused():
    lines = problems("/dev/zero")
    assert len(lines) == 1 and "not a regular file" in lines[0]


def test_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    lines = problems(str(fifo))
    assert len(lines) == 1 and "not a regular file" in lines[0]


def test_symlink_to_dev_zero_is_refused(tmp_path):
    link = tmp_path / "spec.yaml"
    link.symlink_to("/dev/zero")
    lines = problems(str(link))
    assert len(lines) == 1 and "not a regular file" in lines[0]


@pytest.mark.parametrize("command", ["shapes", "params", "rf", "summary"])
def test_dash_reads_standard_input(command):
    result = run([command, "--format", "csv", "-"], stdin="input: [3, 8, 8]\nlayers: [relu]\n")
    assert result.exit_code == 0, result.output
    assert "relu1" in result.stdout


def test_problems_on_standard_input_are_located_there():
    result = run(["shapes", "-"], stdin="input: [3, 8, 8]\nlayers: [relux]\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("<stdin>:2:10: unknown layer kind 'relux'")


def test_max_layers_option_and_environment(write_spec, monkeypatch):
    path = write_spec(HEAD + "layers:\n  - relu:\n    repeat: 20\n")
    assert run(["shapes", path]).exit_code == 0
    result = run(["shapes", "--max-layers", "10", path])
    assert result.exit_code == 2 and "the limit is 10 " in result.stderr
    monkeypatch.setenv("CNNCALC_MAX_LAYERS", "19")
    assert "the limit is 19 " in run(["shapes", path]).stderr


# -- command-line values ------------------------------------------------------------------

@pytest.mark.parametrize("args,message", [
    (["conv", "--input", "1e400", "--kernel", "3"], "--input"),
    (["conv", "--input", "9" * 5000, "--kernel", "3"], "--input"),
    (["conv", "--input", "-5", "--kernel", "3"], "must not be negative"),
    (["conv", "--input", "5", "--kernel", "99999999999"], "at most 2,147,483,648"),
    (["conv", "--input", ",".join(["5"] * 1000), "--kernel", "3"], "at most 3"),
    (["same", "--kernel", "1e400"], "--kernel"),
    (["same", "--kernel", "3", "--stride", "99999999999"], "--stride"),
    (["same", "--kernel", "-1"], "--kernel"),
])
def test_hostile_command_line_values_are_click_errors(args, message):
    result = run(args)
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output) < 600  # the value is not echoed whole


def test_same_with_a_huge_stride_is_quick():
    result = run(["same", "--kernel", "3", "--stride", "2000000000"])
    assert result.exit_code == 0 and len(result.stdout.splitlines()) < 20


# -- internal errors ----------------------------------------------------------------------

def test_an_internal_error_is_one_line_and_exit_3(write_spec, monkeypatch):
    def broken(network):
        raise ZeroDivisionError("a bug\nspanning lines")
    monkeypatch.setattr("cnncalc.cli.tables.analyze", broken)
    result = CliRunner().invoke(main, ["shapes", write_spec(HEAD + "layers: [relu]\n")])
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        ("cnncalc: internal error: ZeroDivisionError: a bug spanning lines; please report it "
        "at the project's issue tracker with the spec; rerun with --debug for the "
        "traceback")]


def test_debug_lets_the_traceback_through(write_spec, monkeypatch):
    def broken(network):
        raise ZeroDivisionError("a bug")
    monkeypatch.setattr("cnncalc.cli.tables.analyze", broken)
    result = CliRunner().invoke(main, ["--debug", "shapes",
                                       write_spec(HEAD + "layers: [relu]\n")])
    assert isinstance(result.exception, ZeroDivisionError)


def test_ctrl_c_exits_130_quietly(write_spec, monkeypatch):
    def interrupted(network):
        raise KeyboardInterrupt
    monkeypatch.setattr("cnncalc.cli.tables.analyze", interrupted)
    result = CliRunner().invoke(main, ["shapes", write_spec(HEAD + "layers: [relu]\n")])
    assert result.exit_code == 130 and result.output == ""


def test_recursion_error_is_a_clear_line(write_spec, monkeypatch):
    def deep(network):
        raise RecursionError("maximum recursion depth exceeded")
    monkeypatch.setattr("cnncalc.cli.tables.analyze", deep)
    result = CliRunner().invoke(main, ["shapes", write_spec(HEAD + "layers: [relu]\n")])
    assert result.exit_code == 2
    assert result.stderr.startswith("cnncalc: the spec nests too deeply to analyse")


def test_aliases_share_one_value_and_merge_keys_yield_to_written_ones(write_spec):
    # YAML's rule: keys written beside '<<' win over the merged ones
    text = ("input: [3, 8, 8]\nblocks:\n  base: {layers: [{conv: &c {filters: 8, kernel: 3}}]}"
            "\nlayers:\n  - conv: *c\n  - conv: {<<: *c, kernel: 1}\n")
    result = run(["shapes", "--format", "csv", write_spec(text)])
    assert result.exit_code == 0, result.output
    assert "[8, 6, 6]" in result.stdout  # 3x3 then 1x1: 8 -> 6 -> 6
    assert "[8, 4, 4]" not in result.stdout  # not 3x3 twice
