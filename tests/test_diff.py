"""`cnncalc diff`: hand-made pairs of specs with their diffs worked by hand, ResNet-18 against
ResNet-34 (torchvision's counts), sides read from git, the three formats, --fail-on.

The hand-made pairs are tests/fixtures/diff/base.yaml and one change each. Their figures,
worked by hand (PyTorch's floor rounding; conv without bias; batch norm 2 params per
channel): s1 conv 3*9*8 = 216 params, 216 * 32*32 = 221,184 MACs; s1 batch norm 16; s2
conv 8*9*16 = 1,152 params, 1,152 * 16*16 = 294,912 MACs; s2 batch norm 32; head
16*10 + 10 = 170 params, 160 MACs. Totals: 1,586 params, 516,256 MACs. The receptive field
at s2 (the last spatial layer): 3 after s1's 3x3 conv, 3 + 2*1 = 5 after s2's, jump 2.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnncalc.analysis import analyze_file, analyze_text
from cnncalc.cli import main
from cnncalc.diff import Status, compare
from cnncalc.diff.thresholds import Threshold, breaches, parse_threshold, passes

ROOT = Path(__file__).resolve().parent.parent
PAIRS = ROOT / "tests" / "fixtures" / "diff"
EXAMPLES = ROOT / "examples"
GOLDEN = PAIRS / "widened.md"
REGENERATE = os.environ.get("CNNCALC_REGENERATE") == "1"


def _diff(new: str, old: str = "base"):
    return compare(analyze_file(PAIRS / f"{old}.yaml"), analyze_file(PAIRS / f"{new}.yaml"))


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["diff", *args])
    return result.exit_code, result.stdout, result.stderr


def _names(diff, status: Status, blocks: bool = False) -> list[str]:
    return [p.name for p in diff.listed(status, blocks)]


# -- hand-made pairs -----------------------------------------------------------------------

def test_widened_stage() -> None:
    """s2 16 -> 32 channels: its conv 8*9*32 = 2,304 params (+1,152) and 2,304 * 256 =
    589,824 MACs; batch norm 64 (+32); head 32*10 + 10 = 330 (+160), 320 MACs (+160).
    Params +1,344 of 1,586 = +84.7%; MACs +295,072 of 516,256 = +57.2%."""
    diff = _diff("widened")
    assert _names(diff, Status.CHANGED) == ["s2.conv1"]
    conv = diff.listed(Status.CHANGED, False)[0]
    assert [(c.what, c.old, c.new) for c in conv.changes][:2] == [
        ("filters", "16", "32"), ("output_shape", "[16, 16, 16]", "[32, 16, 16]")]
    assert _names(diff, Status.AFFECTED) == ["s2.batchnorm1", "s2.relu1", "global_avgpool1",
                                             "flatten1", "head"]
    head = next(p for p in diff.layers if p.name == "head")
    assert (head.delta("params").old, head.delta("params").new) == (170, 330)
    assert (diff.delta("params").old, diff.delta("params").absolute) == (1586, 1344)
    assert (diff.delta("macs").old, diff.delta("macs").absolute) == (516256, 295072)
    assert [(p.name, p.status) for p in diff.at_depth(1)][:2] == [
        ("s1", Status.SAME), ("s2", Status.CHANGED)]
    assert not diff.identical


def test_changed_stride() -> None:
    """s2's stride 2 -> 1: no params change; its conv reads 32x32 outputs: 1,152 * 1,024 =
    1,179,648 MACs (+884,736, +171.4%); the field stays 5 but its jump falls 2 -> 1."""
    diff = _diff("restrided")
    conv = diff.listed(Status.CHANGED, False)
    assert [p.name for p in conv] == ["s2.conv1"]
    assert ("stride", "2", "1") in [(c.what, c.old, c.new) for c in conv[0].changes]
    assert diff.delta("params").absolute == 0
    assert diff.delta("macs").absolute == 884736
    assert diff.network.old.rf_size == diff.network.new.rf_size == (5, 5)
    assert (diff.network.old.rf_jump, diff.network.new.rf_jump) == ((2, 2), (1, 1))


def test_inserted_block_leaves_the_rest_matched() -> None:
    """A third stage (8 channels) between s1 and s2: 8*9*8 + 16 = 592 params, 576 * 1,024
    = 589,824 MACs; s2 reads the same [8, 32, 32], so nothing else changes; the field
    grows by 2 at each 3x3 stride-1 conv before s2: 5 -> 7."""
    diff = _diff("inserted")
    assert _names(diff, Status.ADDED, blocks=True) == ["stage2"]  # the second 'stage' used
    assert _names(diff, Status.ADDED) == []  # its layers are the block's
    assert all(p.status is Status.SAME for p in diff.pairs if p.within is None and
               p.name != "stage2")
    assert diff.delta("params").absolute == 592
    assert diff.delta("macs").absolute == 589824
    assert diff.network.new.rf_size == (7, 7)


def test_inserted_unnamed_layer_does_not_shift_the_rest() -> None:
    """A 1x1 conv (4*4 + 4 = 20 params, 16 * 16*16 = 4,096 MACs) inserted among unnamed
    layers: every later automatic name shifts (conv2 -> conv3), but only it is added."""
    diff = _diff("flat_inserted", old="flat")
    assert _names(diff, Status.ADDED) == ["conv2"]
    assert [p.status for p in diff.pairs if p.status is not Status.ADDED] == \
        [Status.SAME] * 7
    moved = next(p for p in diff.pairs if p.old_name == "conv2")
    assert moved.new_name == "conv3" and not moved.changes
    assert (diff.delta("params").absolute, diff.delta("macs").absolute) == (20, 4096)


def test_renamed_layer() -> None:
    diff = _diff("renamed")
    assert _names(diff, Status.RENAMED) == ["classifier"]
    renamed = diff.listed(Status.RENAMED, False)[0]
    assert [(c.what, c.old, c.new) for c in renamed.changes] == [
        ("name", "head", "classifier")]
    assert diff.delta("params").absolute == diff.delta("macs").absolute == 0
    assert not diff.identical


def test_changed_input_size() -> None:
    """64x64 input: each conv's MACs x4 ((221,184 + 294,912) * 4 + 160 = 2,064,544), params
    the same; every layer up to the global pool has other shapes, none other arguments."""
    diff = _diff("resized")
    assert diff.delta("macs").new == 2064544
    assert diff.delta("params").absolute == 0
    assert [p.shape_changed for p in diff.inputs] == [True]
    assert [p.shape_changed for p in diff.outputs] == [False]
    assert _names(diff, Status.CHANGED) == []
    assert _names(diff, Status.AFFECTED) == ["s1.conv1", "s1.batchnorm1", "s1.relu1",
                                             "s2.conv1", "s2.batchnorm1", "s2.relu1",
                                             "global_avgpool1"]


def test_identical_specs_say_nothing_changed() -> None:
    diff = _diff("base")
    assert diff.identical
    code, out, err = _run(str(PAIRS / "base.yaml"), str(PAIRS / "base.yaml"))
    assert code == 0 and err == ""
    assert out.strip() == "net -> net: nothing changed (9 layers, the same figures)"


def test_renamed_outer_block_still_matches_inside() -> None:
    text = (PAIRS / "base.yaml").read_text()
    diff = compare(analyze_text(text), analyze_text(text.replace("name: s2", "name: deep")))
    renamed = diff.listed(Status.RENAMED, True)
    assert [(p.old_name, p.new_name) for p in renamed] == [("s2", "deep")]
    assert all(p.status is Status.SAME for p in diff.layers)


# -- ResNet-18 -> ResNet-34 ------------------------------------------------------------------

def test_resnet18_to_resnet34_names_the_added_blocks_and_the_params() -> None:
    """torchvision: resnet18 11,689,512 params, resnet34 21,797,672; stages [2, 2, 2, 2]
    -> [3, 4, 6, 3] BasicBlocks."""
    diff = compare(analyze_file(EXAMPLES / "resnet18.yaml"),
                   analyze_file(EXAMPLES / "resnet34.yaml"))
    assert _names(diff, Status.ADDED, blocks=True) == [
        "layer1.basic3", "layer2.basic3", "layer2.basic4", "layer3.basic3", "layer3.basic4",
        "layer3.basic5", "layer3.basic6", "layer4.basic3"]
    assert _names(diff, Status.REMOVED, blocks=True) == []
    assert [p for p in diff.layers if p.status is not Status.SAME and p.within is None] == []
    assert diff.delta("params").absolute == 21797672 - 11689512 == 10108160
    code, out, _ = _run("examples/resnet18.yaml", "examples/resnet34.yaml")
    assert code == 0
    assert out.startswith("resnet18 -> resnet34: params +10,108,160 (+86.5%)")
    assert "8 blocks added" in out.splitlines()[0]


# -- formats --------------------------------------------------------------------------------

def test_markdown_golden() -> None:
    """The whole Markdown comment for the widened stage (CNNCALC_REGENERATE=1 rewrites it)."""
    code, out, _ = _run(str(PAIRS / "base.yaml"), str(PAIRS / "widened.yaml"), "--format",
                        "markdown")
    assert code == 0
    text = out.replace(str(PAIRS), "tests/fixtures/diff")
    if REGENERATE:
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()
    first, blank, details = text.splitlines()[:3]
    assert first.startswith("**net -> net**: params +1,344 (+84.7%), MACs +295,072 (+57.2%)")
    assert blank == "" and details.startswith("<details><summary>")
    assert text.rstrip().endswith("</details>")


def test_json_follows_its_schema_and_carries_the_figures() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "docs" / "diff.schema.json").read_text())
    code, out, _ = _run(str(PAIRS / "base.yaml"), str(PAIRS / "widened.yaml"), "--format",
                        "json", "--depth", "1")
    assert code == 0
    report = json.loads(out)
    jsonschema.validate(report, schema)
    assert report["totals"]["params"] == {"old": 1586, "new": 2930, "change": 1344,
                                          "relative": round(1344 / 1586, 6)}
    assert [r["new_name"] for r in report["rows"]] == ["s1", "s2", "global_avgpool1",
                                                      "flatten1", "head"]
    changed = [x for x in report["layers"] if x["status"] == "changed"]
    assert changed[0]["location"] == {"file": str(PAIRS / "widened.yaml"), "line": 10,
                                      "column": 9}
    broken = dict(report, version="1")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_table_lists_changes_and_the_depth_view() -> None:
    code, out, _ = _run(str(PAIRS / "base.yaml"), str(PAIRS / "restrided.yaml"), "--depth",
                        "2")
    assert code == 0
    assert "s2.conv1  conv    stride 2 -> 1; output_shape [16, 16, 16] -> [16, 32, 32]" in out
    assert "At depth 2 (5 unchanged rows not shown)" in out


@pytest.mark.parametrize("fmt", ["table", "markdown", "json"])
def test_hostile_names_are_escaped(tmp_path: Path, fmt: str) -> None:
    hostile = "x</details><b>|`y`\n[z](http://e) &amp; *w*"
    old = (PAIRS / "base.yaml").read_text()
    new = old.replace("name: head", "name: " + json.dumps(hostile))
    (tmp_path / "a.yaml").write_text(old)
    (tmp_path / "b.yaml").write_text(new)
    code, out, err = _run(str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--format", fmt,
                          "--fail-on", "params:-0")
    assert code == 0 and err == ""
    if fmt == "json":
        assert json.loads(out)["layers"][0]["new_name"] == hostile
        return
    assert not any(line.startswith("[z]") for line in out.splitlines())  # no forged line
    if fmt == "markdown":
        assert "<b>" not in out
        assert out.count("</details>") == 1 and out.count("<details>") == 1
        row = next(line for line in out.splitlines() if "&lt;/details&gt;" in line)
        assert row.count(" | ") == 2  # three cells: the name's '|' is escaped
        assert "\\`y\\`" in row and "\\[z\\]" in row and "&amp;amp;" in row
        assert "\\*w\\*" in row


# -- --fail-on ------------------------------------------------------------------------------

@pytest.mark.parametrize("rule, code", [
    ("params:+5%", 1),        # +84.7%
    ("params:+84%", 1),
    ("params:+85%", 0),       # +84.7% does not reach 85%
    ("params:-1%", 0),        # a fall only
    ("params:+1344", 1),      # exactly the change
    ("params:+1345", 0),
    ("params:+1k", 1),
    ("macs:+57%", 1),
    ("macs:+58%", 0),
    ("activations:+30%", 1),  # 144.16 KiB -> 192.28 KiB: +33.4%
    ("activations:+1MiB", 0),
    ("rf:-1", 0),
    ("output_shape", 0),
    ("input_shape", 0),
])
def test_fail_on_widened(rule: str, code: int) -> None:
    got, out, err = _run(str(PAIRS / "base.yaml"), str(PAIRS / "widened.yaml"), "--fail-on",
                         rule)
    assert got == code, err
    assert out.startswith("net -> net")
    assert len(err.splitlines()) == code


def test_fail_on_line_with_a_hostile_name_stays_one_line(tmp_path: Path) -> None:
    old = (PAIRS / "base.yaml").read_text()
    (tmp_path / "a.yaml").write_text(old)
    (tmp_path / "b.yaml").write_text(old.replace("name: head", 'name: "h\\n::error::x"')
                                     .replace("units: 10", "units: 20"))
    code, _, err = _run(str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--fail-on",
                        "params:+1")
    assert code == 1
    assert len(err.splitlines()) == 1 and "h\\n::error::x" in err


def test_fail_on_lines_are_located_in_the_new_spec() -> None:
    code, _, err = _run("examples/resnet18.yaml", "examples/resnet34.yaml", "--fail-on",
                        "params:+5%", "--fail-on", "macs:+10%", "--fail-on", "rf:+1")
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == 3
    # most of the params: layer3 grew by four BasicBlocks, written at line 47
    assert lines[0].startswith("examples/resnet34.yaml:47:5: params +10,108,160 (+86.5%) "
                               "passes --fail-on params:+5%")
    assert "layer3" in lines[0]
    assert lines[2].startswith("examples/resnet34.yaml:") and "rf" in lines[2]


def test_fail_on_shapes_and_rf() -> None:
    code, _, err = _run(str(PAIRS / "base.yaml"), str(PAIRS / "resized.yaml"), "--fail-on",
                        "input_shape", "--fail-on", "output_shape")
    assert code == 1
    assert err.splitlines() == [(f"{PAIRS / 'resized.yaml'}:4:8: input 'input': shape "
                                f"[3, 32, 32] -> [3, 64, 64] passes --fail-on input_shape")]
    code, _, err = _run(str(PAIRS / "inserted.yaml"), str(PAIRS / "base.yaml"), "--fail-on",
                        "rf:-1")
    assert code == 1 and "rf -2 (-28.6%) passes --fail-on rf:-1" in err


@pytest.mark.parametrize("rule", ["params", "params:5", "parameters:+5%", "params:+x%",
                                  "macs:+-5%", "rf:", "activations:+5 parsecs", ""])
def test_bad_rule_is_a_usage_error(rule: str) -> None:
    code, _, err = _run(str(PAIRS / "base.yaml"), str(PAIRS / "widened.yaml"), "--fail-on",
                        rule)
    if rule == "params:5":  # no sign: either way; a valid rule
        assert code == 1
        return
    assert code == 2
    assert "--fail-on" in err and "expected FIGURE:[+|-]AMOUNT[%]" in err


def test_threshold_arithmetic() -> None:
    from cnncalc.diff import Delta

    rule = parse_threshold("params:+5%")
    assert isinstance(rule, Threshold)
    assert (rule.figure, rule.direction, rule.amount, rule.relative) == ("params", 1, 5, True)
    assert passes(rule, Delta(100, 105)) and not passes(rule, Delta(100, 104))
    assert passes(rule, Delta(0, 1))  # from nothing, any growth
    assert not passes(parse_threshold("rf:-1"), Delta(7, 7))
    assert passes(parse_threshold("rf:-1"), Delta(7, 6))
    assert passes(parse_threshold("macs:10"), Delta(100, 90))
    assert breaches(_diff("base"), [parse_threshold("params:+0")]) == []


# -- sides ----------------------------------------------------------------------------------

@pytest.fixture
def repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    monkeypatch.chdir(tmp_path)
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", *args],
                       check=True, capture_output=True, timeout=30)
    git("init", "-q")
    shutil.copy(PAIRS / "base.yaml", "net.yaml")
    git("add", "net.yaml")
    git("commit", "-qm", "base")
    shutil.copy(PAIRS / "widened.yaml", "net.yaml")
    return tmp_path


def test_git_revision_against_the_work_tree(repository: Path) -> None:
    before = sorted(p.name for p in repository.iterdir())
    code, out, err = _run("HEAD:net.yaml", "net.yaml")
    assert code == 0, err
    assert out.startswith("net -> net: params +1,344 (+84.7%)")
    code, out, _ = _run(":net.yaml", "net.yaml")  # the index holds the committed version
    assert code == 0 and "+1,344" in out
    code, out, _ = _run("HEAD:net.yaml", "HEAD:net.yaml")
    assert code == 0 and "nothing changed" in out
    assert sorted(p.name for p in repository.iterdir()) == before  # nothing written


def test_spec_read_from_git_is_located_there(repository: Path) -> None:
    shutil.copy(PAIRS / "base.yaml", "old.yaml")
    subprocess.run(["git", "add", "old.yaml"], check=True, timeout=30)
    (repository / "net.yaml").write_text("input: [3, 8, 8]\nlayers: [conv]\n")
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qam",
                    "broken"], check=True, timeout=30)
    code, _, err = _run("HEAD:net.yaml", "old.yaml")
    assert code == 2
    assert err.startswith("HEAD:net.yaml:2:")


@pytest.mark.parametrize("side, message", [
    ("HEAD:missing.yaml", "HEAD:missing.yaml:1:1: no file 'missing.yaml' in revision 'HEAD'"),
    ("nobranch:net.yaml", ("nobranch:net.yaml:1:1: no revision 'nobranch' in this git "
                          "repository")),
    ("HEAD:", "HEAD::1:1: expected REV:PATH, a file path after the ':'"),
    ("HEAD~5:net.yaml", "HEAD~5:net.yaml:1:1: no revision 'HEAD~5' in this git repository"),
    ("missing.yaml", "missing.yaml:1:1: cannot read the spec: no such file or directory"),
])
def test_bad_revisions_and_paths_are_one_line(repository: Path, side: str,
                                              message: str) -> None:
    code, out, err = _run(side, "net.yaml")
    assert (code, out) == (2, "")
    assert err.splitlines() == [message]


def test_revision_may_not_look_like_an_option(repository: Path) -> None:
    code, _, err = _run("--", "-c:net.yaml", "net.yaml")
    assert code == 2
    assert err.splitlines() == [("-c:net.yaml:1:1: a revision may not start with '-'; found "
                                "'-c'")]


def test_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    shutil.copy(PAIRS / "base.yaml", "net.yaml")
    code, _, err = _run("HEAD:net.yaml", "net.yaml")
    assert code == 2 and len(err.splitlines()) == 1
    assert "not in a git repository" in err


def test_existing_file_with_a_colon_is_a_file(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(PAIRS / "base.yaml", "v1:net.yaml")
    code, out, err = _run("v1:net.yaml", str(PAIRS / "widened.yaml"))
    assert code == 0, err
    assert "+1,344" in out


def test_onnx_side_through_the_importer() -> None:
    pytest.importorskip("onnx")
    code, out, err = _run("tests/reference/onnx/resnet18.onnx", "examples/resnet18.yaml",
                          "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    # torchvision's resnet18 exported: the same 11,689,512 params and 1.81 GMACs
    assert report["totals"]["params"]["change"] == 0
    assert report["totals"]["macs"]["change"] == 0


# -- the CI recipe ---------------------------------------------------------------------------

def test_ci_workflow_runs_valid_cnncalc_commands() -> None:
    """docs/ci/cnncalc-diff.yml: a pull_request workflow that may write PR comments, and
    every cnncalc line it runs is a command cnncalc accepts (run here on examples)."""
    workflow = yaml.safe_load((ROOT / "docs" / "ci" / "cnncalc-diff.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    assert "pull_request_target" not in triggers  # a fork's specs never get a writing token
    assert workflow["permissions"]["pull-requests"] == "write"
    scripts = [step["run"] for job in workflow["jobs"].values() for step in job["steps"]
               if "run" in step]
    text = "\n".join(scripts).replace("\\\n", " ")
    commands = [line.strip() for line in text.splitlines() if line.strip().startswith(
        "cnncalc ")]
    assert any(c.startswith("cnncalc diff ") for c in commands)
    for command in commands:
        words = shlex.split(command.split(">>")[0])
        words = [{"$old": "examples/resnet18.yaml", "$path": "examples/resnet34.yaml"}.get(
            w, w) for w in words]
        result = CliRunner().invoke(main, words[1:])
        assert result.exit_code == 0, (command, result.output)


def test_each_output_has_its_own_figures(tmp_path: Path) -> None:
    """GoogLeNet's auxiliary heads narrowed from 1,024 to 512 units: each head's fc1 loses
    2,048*512 + 512 = 1,049,088 params and its fc2 (512*1,000) = 512,000: -1,561,088 per
    head (aux1 had 4,174,312: -37.4%), and the main output reads neither."""
    text = (EXAMPLES / "googlenet.yaml").read_text()
    assert text.count("- dense: {units: 1024}") == 1  # in the inception_aux block
    (tmp_path / "g.yaml").write_text(text.replace("- dense: {units: 1024}",
                                                  "- dense: {units: 512}"))
    diff = compare(analyze_file(EXAMPLES / "googlenet.yaml"),
                   analyze_file(tmp_path / "g.yaml"))
    figures = {p.name: p.new.params - p.old.params for p in diff.outputs}
    assert figures == {"fc": 0, "aux1": -1561088, "aux2": -1561088}
    assert diff.delta("params").absolute == -2 * 1561088
    code, out, _ = _run(str(EXAMPLES / "googlenet.yaml"), str(tmp_path / "g.yaml"))
    assert code == 0
    assert "aux1    [1000]         [1000]         -1,561,088 (-37.4%)" in out


@pytest.mark.parametrize("percent, text", [(86.47, "+86.5%"), (-0.2, "-0.2%"), (0.0, "+0.0%"),
                                           (-0.0248, "-0.02%"), (0.004, "+<0.01%")])
def test_percent_text(percent: float, text: str) -> None:
    from cnncalc.diff.thresholds import percent_text

    assert percent_text(percent) == text


# -- alignment, as a property ---------------------------------------------------------------

_ENTRIES = ["conv: {filters: 4, kernel: 3, padding: 1}",
            "conv: {filters: 8, kernel: 3, padding: 1}", "relu", "batchnorm", "sigmoid"]
_UNIQUE = "conv: {filters: 12, kernel: 1}"  # an entry no generated net holds


def _net(entries: list[str]) -> str:
    return "input: [3, 16, 16]\nlayers:\n" + "".join(f"  - {e}\n" for e in entries)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_ENTRIES), min_size=1, max_size=12), st.data())
def test_one_edit_is_one_change_however_the_names_shift(entries: list[str],
                                                        data: st.DataObject) -> None:
    """Insert, delete or replace one entry of an unnamed net: every later automatic name
    may shift, but the diff names exactly that one entry, and nothing else as added,
    removed or changed."""
    at = data.draw(st.integers(0, len(entries) - 1))
    edit = data.draw(st.sampled_from(["insert", "delete", "replace"]))
    edited = list(entries)
    if edit == "insert":
        edited.insert(at, _UNIQUE)
    elif edit == "delete":
        del edited[at]
    else:
        edited[at] = _UNIQUE
    if not edited:
        return
    diff = compare(analyze_text(_net(entries)), analyze_text(_net(edited)))
    counts = {s: len(diff.listed(s, False)) for s in (Status.ADDED, Status.REMOVED,
                                                       Status.CHANGED, Status.RENAMED)}
    expected = {"insert": Status.ADDED, "delete": Status.REMOVED, "replace": Status.CHANGED}
    if edit == "replace" and not entries[at].startswith("conv"):
        # another kind in its place: matched as changed, or removed and added
        assert counts[Status.ADDED] == counts[Status.REMOVED] <= 1
        assert counts[Status.ADDED] + counts[Status.CHANGED] == 1
    else:
        assert counts == {s: int(s is expected[edit]) for s in counts}
    if edit != "delete":
        touched = [p for p in diff.layers if p.status in (Status.ADDED, Status.CHANGED)]
        names = [p.new_name for p in touched]
        position = [row.name for row in diff.new.rows].index(names[-1])
        assert position == at  # the edited entry, not one of its neighbours
    reverse = compare(diff.new, diff.old)
    assert len(reverse.listed(Status.ADDED, False)) == counts[Status.REMOVED]
    assert len(reverse.listed(Status.REMOVED, False)) == counts[Status.ADDED]


def test_paths_in_a_subfolder(repository: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A path after ':' is from the repository's top; './' makes it from here, and a file
    that is here but not at the top gets that hint."""
    (repository / "sub").mkdir()
    shutil.copy(PAIRS / "base.yaml", repository / "sub" / "deep.yaml")
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "add", "sub"],
                   check=True, timeout=30)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm",
                    "sub"], check=True, timeout=30)
    monkeypatch.chdir(repository / "sub")
    assert _run("HEAD:sub/deep.yaml", "deep.yaml")[0] == 0
    assert _run("HEAD:./deep.yaml", "deep.yaml")[0] == 0
    code, _, err = _run("HEAD:deep.yaml", "deep.yaml")
    assert code == 2
    assert err.splitlines() == [
        ("HEAD:deep.yaml:1:1: no file 'deep.yaml' in revision 'HEAD'; a path after ':' is "
        "from the repository's top: write HEAD:./deep.yaml for one from this folder")]


def test_a_windows_drive_path_is_a_file() -> None:
    code, _, err = _run("C:\\nets\\net.yaml", str(PAIRS / "base.yaml"))
    assert code == 2
    assert err.splitlines() == [("C:\\nets\\net.yaml:1:1: cannot read the spec: no such file "
                                "or directory")]


def test_the_readme_shows_the_workflow_file_whole() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    workflow = (ROOT / "docs" / "ci" / "cnncalc-diff.yml").read_text(encoding="utf-8")
    assert f"<summary>docs/ci/cnncalc-diff.yml</summary>\n\n```yaml\n{workflow}```\n" in readme
