"""`cnncalc lint` and `cnncalc rules` through click's CliRunner: formats, selection,
suppression, [tool.cnncalc] defaults, exit codes."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc.cli import main
from cnncalc.lint.diagnostic import Diagnostic, Severity
from cnncalc.lint.output import github_line
from cnncalc.lint.registry import RULES

FIXTURES = Path(__file__).parent / "fixtures" / "lint"
WARNS = str(FIXTURES / "cli_warning.yaml")   # one warning: S103 at 5:5
INFO = str(FIXTURES / "cli_info.yaml")       # one info: C101 at 5:5
CLEAN = str(FIXTURES / "cli_clean.yaml")
TEXT_LINE = re.compile(r"^(?P<path>.+):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]\d{3}) .+$")


def run(*args: str):
    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2 mixes stderr in by default
    except TypeError:
        runner = CliRunner()
    return runner.invoke(main, list(args))


@pytest.fixture(autouse=True)
def no_project_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in an empty folder so the repository's own pyproject.toml plays no part."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("args,exit_code", [
    ((CLEAN,), 0),
    ((WARNS,), 1),                       # warning >= the default fail-on (warning)
    ((INFO,), 0),                        # info < warning
    ((INFO, "--fail-on", "info"), 0),    # info notes are opt-in: not selected by default
    ((INFO, "--select", "ALL", "--fail-on", "info"), 1),
    ((INFO, "--select", "DEFAULT,C101", "--fail-on", "info"), 1),
    ((WARNS, "--fail-on", "error"), 0),
    ((WARNS, "--ignore", "S103"), 0),
    ((WARNS, "--select", "R,P"), 0),
    ((WARNS, "--select", "S1", "--ignore", "S104"), 1),
])
def test_exit_codes(args: tuple[str, ...], exit_code: int) -> None:
    assert run("lint", *args).exit_code == exit_code


def test_text_format_is_path_line_col_code_message() -> None:
    result = run("lint", WARNS, INFO, "--select", "ALL")
    lines = result.stdout.splitlines()
    parsed = [TEXT_LINE.match(line).groupdict() for line in lines]
    assert [(p["line"], p["col"], p["code"]) for p in parsed] == [("5", "5", "S103"),
                                                                  ("5", "5", "C101")]
    assert "2 findings: 1 warning, 1 info" in result.stderr


def test_json_carries_the_record_fields() -> None:
    found = json.loads(run("lint", WARNS, "--format", "json").stdout)
    # the message written out, not taken from the output it is checked against: a 1x1
    # kernel at stride 2 reads one pixel in every 2x2, so 3/4 = 75.0% are never read
    assert found == [{"code": "S103", "name": "skipped-pixels", "severity": "warning",
                      "location": {"file": WARNS, "line": 5, "column": 5},
                      "message": "conv 'conv1': stride 2 > 1-pixel kernel on H and W: 75.0% "
                                 "of the input's pixels are never read"}]
    assert json.loads(run("lint", CLEAN, "--format", "json").stdout) == []


def test_github_format_is_workflow_annotations() -> None:
    lines = run("lint", WARNS, INFO, "--select", "ALL", "--format", "github").stdout.splitlines()
    assert lines[0].startswith(f"::warning file={WARNS},line=5,col=5,title=S103 "
                               f"skipped-pixels::conv 'conv1': stride 2")
    assert lines[1].startswith("::notice ") and ",line=5,col=5,title=C101 " in lines[1]


def test_github_format_escapes_what_would_end_a_command() -> None:
    d = Diagnostic("S101", "rounding-matters", Severity.ERROR, "a,b:c.yaml", 1, 2,
                   "50% off\nnext")
    assert github_line(d) == ("::error file=a%2Cb%3Ac.yaml,line=1,col=2,"
                              "title=S101 rounding-matters::50%25 off%0Anext")


# The SARIF 2.1.0 fields a consumer needs, written from the OASIS standard (sections 3.13
# sarifLog, 3.14 run, 3.18 tool, 3.19 toolComponent, 3.27 result, 3.11 message,
# 3.28 location, 3.29 physicalLocation, 3.4 artifactLocation, 3.30 region,
# 3.49 reportingDescriptor). The official schema text is not vendored here.
SARIF_REQUIRED = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string"},
        "runs": {"type": "array", "items": {
            "type": "object", "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {
                    "driver": {"type": "object", "required": ["name"], "properties": {
                        "name": {"type": "string"},
                        "rules": {"type": "array", "items": {
                            "type": "object", "required": ["id"],
                            "properties": {
                                "helpUri": {"type": "string", "format": "uri"},
                                "help": {"type": "object", "required": ["text"]},
                                "defaultConfiguration": {"properties": {
                                "level": {"enum": ["none", "note", "warning", "error"]}}}}}},
                    }}}},
                # 3.14.14: each base is an artifactLocation whose uri is absolute and ends
                # with '/'
                "originalUriBaseIds": {"type": "object", "additionalProperties": {
                    "type": "object", "required": ["uri"], "properties": {
                        "uri": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9+.-]*:.*/$"}}}},
                "results": {"type": "array", "items": {
                    "type": "object", "required": ["message"],
                    "properties": {
                        "ruleId": {"type": "string"},
                        "ruleIndex": {"type": "integer", "minimum": 0},
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": {"type": "object", "anyOf": [{"required": ["text"]},
                                                                {"required": ["id"]}]},
                        "locations": {"type": "array", "items": {"properties": {
                            "physicalLocation": {
                                "type": "object", "required": ["artifactLocation"],
                                "properties": {
                                    "artifactLocation": {"required": ["uri"], "properties": {
                                        "uri": {"type": "string"},
                                        "uriBaseId": {"type": "string"}}},
                                    "region": {"properties": {
                                        "startLine": {"type": "integer", "minimum": 1},
                                        "startColumn": {"type": "integer",
                                                        "minimum": 1}}}}}}}}}}},
            }}},
    },
}


def test_sarif_has_the_required_fields_and_points_at_the_layer() -> None:
    log = json.loads(run("lint", WARNS, INFO, "--select", "ALL", "--format", "sarif").stdout)
    try:
        import jsonschema
    except ImportError:
        jsonschema = None
    if jsonschema is not None:
        jsonschema.validate(log, SARIF_REQUIRED)
    run_ = log["runs"][0]
    assert log["version"] == "2.1.0" and run_["tool"]["driver"]["name"] == "cnncalc"
    rules = run_["tool"]["driver"]["rules"]
    results = run_["results"]
    assert [r["id"] for r in rules] == ["C101", "S103"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    s103 = next(r for r in results if r["ruleId"] == "S103")
    assert s103["level"] == "warning" and s103["message"]["text"].startswith("conv 'conv1'")
    where = s103["locations"][0]["physicalLocation"]
    assert where["region"] == {"startLine": 5, "startColumn": 5}
    assert where["artifactLocation"]["uri"].endswith("tests/fixtures/lint/cli_warning.yaml")
    assert next(r for r in results if r["ruleId"] == "C101")["level"] == "note"


def test_sarif_rejects_what_the_required_fields_forbid() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    log = json.loads(run("lint", WARNS, "--format", "sarif").stdout)
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"][
        "startLine"] = 0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(log, SARIF_REQUIRED)


def test_layer_suppression_in_the_spec(tmp_path: Path) -> None:
    spec = tmp_path / "net.yaml"
    spec.write_text("input: [3, 31, 31]\nframework: pytorch\nlayers:\n  - conv: {filters: 16, "
                    "kernel: 1, stride: 2}\n    lint: {ignore: [S103]}\n")
    result = run("lint", str(spec))
    assert result.exit_code == 0 and result.stdout == ""


def test_unreadable_spec_exits_2_with_located_message(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("input: [3, 32, 32]\nlayers:\n  - conv: {filters: 16}\n")
    result = run("lint", WARNS, str(spec))
    assert result.exit_code == 2
    assert f"{spec}:3:5: conv 'conv1': missing required argument 'kernel'" in result.stderr
    assert "Traceback" not in result.stderr and "S103" in result.stdout


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_unknown_code_is_a_usage_error(option: str) -> None:
    result = run("lint", WARNS, option, "Z9")
    assert result.exit_code == 2 and "no rule has the code or prefix Z9" in result.stderr


def test_pyproject_sets_the_defaults(no_project_config: Path) -> None:
    (no_project_config / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.cnncalc]\nselect = ["ALL"]\nignore = ["C"]\n'
        'fail-on = "info"\n')
    assert run("lint", INFO).exit_code == 0                   # C101 ignored
    assert run("lint", WARNS).exit_code == 1
    assert run("lint", INFO, "--select", "C").exit_code == 0  # --ignore adds to the config's
    assert run("lint", str(FIXTURES / "R102_fail.yaml")).exit_code == 1  # fail-on info


def test_pyproject_is_found_from_a_subfolder(no_project_config: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (no_project_config / "pyproject.toml").write_text('[tool.cnncalc]\nselect = ["P"]\n')
    (no_project_config / "sub").mkdir()
    monkeypatch.chdir(no_project_config / "sub")
    assert run("lint", WARNS).exit_code == 0


@pytest.mark.parametrize("table,message", [
    ('fail_on = "error"', "pyproject.toml:2:1: [tool.cnncalc]: unknown setting 'fail_on'"),
    ('fail-on = "fatal"', "pyproject.toml:2:1: [tool.cnncalc]: 'fail-on' must be one of"),
    ('ignore = ["Q1"]', "pyproject.toml:2:1: [tool.cnncalc]: 'ignore' names no rule: Q1"),
    ('select = "S"', "pyproject.toml:2:1: [tool.cnncalc]: 'select' must be a list"),
])
def test_bad_pyproject_exits_2(no_project_config: Path, table: str, message: str) -> None:
    (no_project_config / "pyproject.toml").write_text(f"[tool.cnncalc]\n{table}\n")
    result = run("lint", WARNS)
    assert result.exit_code == 2 and message in result.stderr


def test_rules_lists_every_rule_by_family() -> None:
    out = run("rules").stdout
    assert out.startswith("S: shapes, sampling and rounding\n  S101  rounding-matters")
    assert "P102  dominant-layer" in out and "X102  unknown-layer-family" in out


def test_rules_code_prints_its_documentation() -> None:
    out = run("rules", "S109").stdout
    assert out.startswith("S109 transposed-conv-checkerboard (warning; shapes")
    assert "Odena, Dumoulin & Olah" in out and "\nFix: " in out
    # the passing fixture, indented under its heading, between the fix and the reference
    assert ("\n\nUse instead:\n    # S109 fixed: kernel 4 at stride 2\n    input: [16, 8, 8]\n"
            "    layers:\n      - conv_transpose: {filters: 8, kernel: 4, stride: 2, "
            "padding: 1}\n\nReference: Odena") in out
    assert (FIXTURES / "S109_pass.yaml").read_text().startswith("# S109 fixed: kernel 4 at")


def test_rules_prefix_and_formats() -> None:
    table = run("rules", "--format", "markdown").stdout
    assert table.startswith("| Code | Name | Severity | What it finds |\n|---|---|---|---|\n"
                            "| S101 | `rounding-matters` | warning |")
    family = json.loads(run("rules", "O", "--format", "json").stdout)
    assert [r["code"] for r in family] == ["O101", "O102", "O103"]
    doc = run("rules", "P101", "--format", "markdown").stdout
    assert doc.startswith("### P101 `bias-before-batchnorm` (warning)") and "```yaml" in doc
    assert ("**Use instead:**\n\n```yaml\n# P101 fixed: bias: false before batch norm\n"
            in doc)
    [p101] = json.loads(run("rules", "P101", "--format", "json").stdout)
    assert p101["use_instead"] == (FIXTURES / "P101_pass.yaml").read_text()
    assert "\nUse instead:\n    # P101 fixed" in p101["doc"]


def test_rules_unknown_code_exits_2() -> None:
    assert run("rules", "Q123").exit_code == 2


def test_without_a_toml_reader_the_defaults_apply_and_say_why(
        no_project_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Python 3.10 without tomli: [tool.cnncalc] is skipped with a note, not a crash."""
    from cnncalc.lint import config

    monkeypatch.setattr(config, "_toml", None)
    (no_project_config / "pyproject.toml").write_text('[tool.cnncalc]\nignore = ["S"]\n')
    result = run("lint", WARNS)
    assert result.exit_code == 1   # S103 not ignored: the settings were not read
    assert "[tool.cnncalc] ignored: reading TOML on Python 3.10 needs 'tomli'" in result.stderr


@pytest.mark.parametrize("content,message", [
    (b"tool = 3\n", "pyproject.toml:1:1: 'tool' must be a table; found the number 3"),
    (b'[tool]\ncnncalc = "x"\n',
     "pyproject.toml:2:1: [tool.cnncalc] must be a table; found the string 'x'"),
    (b'[tool.cnncalc]\nselect = [1]\n',
     ("pyproject.toml:2:1: [tool.cnncalc]: 'select' must be a list of codes or prefixes; "
      "found an array holding the number 1")),
    (b'[tool.cnncalc]\nfail-on = 3\n', ("pyproject.toml:2:1: [tool.cnncalc]: 'fail-on' "
                                        "must be one of info, warning, error; found the "
                                        "number 3")),
    (b"[tool.cnncalc]\nselect = [\n  ,\n]\n", "pyproject.toml:3:3: unreadable TOML: "),
    (b"[tool.cnncalc]\nselect = ['S\xff']\n",
     "pyproject.toml:2:13: cannot read the project file: byte 0xff is not UTF-8 text"),
])
def test_malformed_pyproject_is_one_located_line(no_project_config: Path, content: bytes,
                                                 message: str) -> None:
    (no_project_config / "pyproject.toml").write_bytes(content)
    result = run("lint", WARNS)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "NoneType" not in result.stderr


def test_a_directory_named_pyproject_toml_is_refused(no_project_config: Path) -> None:
    (no_project_config / "pyproject.toml").mkdir()
    result = run("lint", WARNS)
    assert result.exit_code == 2
    assert result.stderr == (f"{no_project_config / 'pyproject.toml'}:1:1: cannot read the "
                             f"project file: a directory; expected a regular file\n")


def test_pyproject_above_the_git_top_level_is_not_read(no_project_config: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (no_project_config / "pyproject.toml").write_text('[tool.cnncalc]\nignore = ["S"]\n')
    repo = no_project_config / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "sub").mkdir()
    monkeypatch.chdir(repo / "sub")
    assert run("lint", WARNS).exit_code == 1   # S103 still reported: the outer file unread
    (repo / "pyproject.toml").write_text('[tool.cnncalc]\nignore = ["S"]\n')
    assert run("lint", WARNS).exit_code == 0   # the repository's own file is read


def test_lint_accepts_directories_as_check_does(no_project_config: Path) -> None:
    specs = no_project_config / "specs" / "deep"
    specs.mkdir(parents=True)
    (specs / "warn.yml").write_text(Path(WARNS).read_text())
    (specs / "ci.yaml").write_text("on: push\njobs: {}\n")               # not a spec: skipped
    (specs / "doc.md").write_text("<!-- /cnncalc -->\n")                 # lint reads no docs
    result = run("lint", "specs", "--format", "json")
    assert result.exit_code == 1
    assert [(f["location"]["file"], f["code"]) for f in json.loads(result.stdout)] == [
        (str(Path("specs", "deep", "warn.yml")), "S103")]
    assert run("lint", "specs", WARNS, WARNS).stderr == "2 findings: 2 warnings\n"


def test_sarif_paths_are_relative_to_the_repository_root(no_project_config: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """Run from a subfolder: the URI is relative to the git top level through %SRCROOT%,
    percent-encoded; the base is the root as a file URI ending in '/'."""
    root = no_project_config
    (root / ".git").mkdir()
    folder = root / "my specs" / "50%#"
    folder.mkdir(parents=True)
    (folder / "net ä.yaml").write_text(Path(WARNS).read_text())
    monkeypatch.chdir(root / "my specs")
    log = json.loads(run("lint", "50%#", "--format", "sarif").stdout)
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(log, SARIF_REQUIRED)
    run_ = log["runs"][0]
    assert run_["originalUriBaseIds"] == {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}}
    where = run_["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert where == {"uri": "my%20specs/50%25%23/net%20%C3%A4.yaml", "uriBaseId": "%SRCROOT%"}


def test_sarif_rules_carry_their_full_documentation() -> None:
    rule = json.loads(run("lint", WARNS, "--format", "sarif").stdout)["runs"][0]["tool"][
        "driver"]["rules"][0]
    assert rule["id"] == "S103" and "helpUri" not in rule   # no absolute home to link to
    assert rule["help"]["text"] == RULES["S103"].doc     # the docstring, whole
    assert "\nWhy: " in rule["help"]["text"] and "\nFix: " in rule["help"]["text"]
    assert rule["help"]["markdown"].startswith("### S103 `skipped-pixels` (warning)")
    assert "\n**Fix.** " in rule["help"]["markdown"]
    # and the passing fixture as "Use instead", in the text and in the Markdown
    assert "\n\nUse instead:\n    # S103 fixed: the kernel covers the stride\n" \
        in rule["help"]["text"]
    assert "\n      - conv: {filters: 16, kernel: 3, stride: 2, padding: 1}\n" \
        in rule["help"]["text"]
    assert "**Use instead:**\n\n```yaml\n# S103 fixed" in rule["help"]["markdown"]


HOSTILE = 'a|b\\n::error::x\\e[31m,y:%z\\u202e'   # as YAML writes it in double quotes


@pytest.fixture
def hostile(no_project_config: Path) -> str:
    """A spec whose layer name holds a newline, a workflow command, an ANSI escape, '|',
    ',', ':', '%' and a right-to-left override; one S103 finding on that layer."""
    spec = no_project_config / "net.yaml"
    spec.write_text(Path(WARNS).read_text().replace(
        "stride: 2}", f'stride: 2}}\n    name: "{HOSTILE}"'))
    return "net.yaml"


SAFE_NAME = "a|b\\n::error::x\\x1b[31m,y:%z\\u202e"   # the name as one_line shows it


@pytest.mark.parametrize("fmt,expected", [
    ("text", (f"net.yaml:5:5: S103 conv '{SAFE_NAME}': stride 2 > 1-pixel kernel on H and W: "
             f"75.0% of the input's pixels are never read")),
    ("github", ("::warning file=net.yaml,line=5,col=5,title=S103 skipped-pixels::conv "
               "'a|b%0A::error::x\\x1b[31m,y:%25z\\u202e': stride 2 > 1-pixel kernel on H and "
               "W: 75.0%25 of the input's pixels are never read")),
])
def test_hostile_names_stay_on_their_line(hostile: str, fmt: str, expected: str) -> None:
    result = run("lint", hostile, "--format", fmt)
    assert result.stdout == expected + "\n"
    assert not any(line.startswith("::") for line in result.stdout.splitlines()[1:])


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_hostile_names_in_json_are_escaped_strings(hostile: str, fmt: str) -> None:
    result = run("lint", hostile, "--format", fmt)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", result.stdout)
    text = json.dumps(json.loads(result.stdout))
    assert "conv 'a|b\\n::error::x\\u001b[31m,y:%z\\u202e'" in text   # the name, losslessly


def test_hostile_names_in_errors_stay_on_one_line(no_project_config: Path) -> None:
    (no_project_config / "bad.yaml").write_text(
        f'input: [3, 8, 8]\nlayers:\n  - conv: {{filters: 4}}\n    name: "{HOSTILE}"\n')
    result = run("lint", "bad.yaml")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (f"bad.yaml:3:5: conv '{SAFE_NAME}': missing "
                                             f"required argument 'kernel'")
