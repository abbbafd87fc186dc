"""`cnncalc check`: Markdown design docs (inline and referenced specs, generated tables),
`--fix` byte for byte, directory recursion, and the project's own docs kept current."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import run

from cnncalc.errors import SpecError
from cnncalc.lint.markdown import check_document, scan

ROOT = Path(__file__).parent.parent
CLEAN = ROOT / "tests" / "fixtures" / "lint" / "cli_clean.yaml"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    shutil.copy(CLEAN, tmp_path / "net.yaml")
    return tmp_path


def fresh_doc(folder: Path, newline: str = "\n") -> Path:
    """A document with prose around a region, made current by --fix."""
    doc = folder / "design.md"
    text = ("# Design\r\n\r\nProse stays as it is.  \r\n\r\n<!-- cnncalc:shapes net.yaml -->\r\n"
            "<!-- /cnncalc -->\r\nTrailing prose, no final newline").replace("\r\n", newline)
    doc.write_bytes(text.encode())
    assert run("check", "--fix", str(doc)).exit_code == 0
    return doc


def test_current_doc_passes(folder: Path) -> None:
    doc = fresh_doc(folder)
    result = run("check", str(doc))
    assert result.exit_code == 0 and result.stdout == ""
    assert "| conv1      | conv      | 3x3 p1 nobias | [3, 32, 32]   | [16, 32, 32]   |" in \
        doc.read_text()


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_stale_table_fails_and_fix_mends_it_byte_for_byte(folder: Path, newline: str) -> None:
    doc = fresh_doc(folder, newline)
    current = doc.read_bytes()
    stale = current.replace(b"[16, 32, 32]", b"[16, 30, 30]")
    assert stale != current
    doc.write_bytes(stale)
    result = run("check", str(doc))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{doc}:5:1: D101 the shapes table of 'net.yaml' is "
                                    f"stale: line 9 reads")
    assert run("check", "--fix", str(doc)).exit_code == 0
    assert doc.read_bytes() == current
    assert current.count(b"\r\n") == (current.count(b"\n") if newline == "\r\n" else 0)


def test_fix_touches_nothing_outside_the_regions(folder: Path) -> None:
    doc = fresh_doc(folder)
    text = doc.read_text()
    start = text.index("-->\n") + 4
    end = text.index("<!-- /cnncalc -->")
    doc.write_text(text[:start] + "old table\n" + text[end:])
    run("check", "--fix", str(doc))
    assert doc.read_text() == text


def test_markers_inside_code_blocks_are_examples(folder: Path) -> None:
    doc = folder / "howto.md"
    doc.write_text("```markdown\n<!-- cnncalc:summary missing.yaml -->\n<!-- /cnncalc -->\n"
                   "```\n")
    assert run("check", str(doc)).exit_code == 0


def test_inline_spec_points_at_markdown_lines(folder: Path) -> None:
    doc = folder / "design.md"
    doc.write_text("# A net\n\nSome prose.\n\n```cnncalc\ninput: [3, 32, 32]\nframework: "
                   "pytorch\nlayers:\n  - conv: {filters: 16, kernel: 3, padding: 1}\n"
                   "  - batchnorm\n```\n")
    result = run("check", str(doc))
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{doc}:9:5: P101 conv 'conv1': its bias feeds only")


def test_inline_spec_expectations_and_budgets_are_checked(folder: Path) -> None:
    doc = folder / "design.md"
    doc.write_text("Text.\n\n~~~ cnncalc\ninput: [3, 8, 8]\nexpect: {params: 7}\nbudget:\n"
                   "  params: 100\nlayers:\n  - flatten\n  - dense: {units: 10}\n~~~\n")
    found = run("check", str(doc)).stdout.splitlines()
    assert [line.split(": ")[1][:4] for line in found] == ["B101", "B102"]
    assert found[0].startswith(f"{doc}:5:18:") and found[1].startswith(f"{doc}:7:11:")


def test_unreadable_inline_spec_exits_2_at_the_markdown_line(folder: Path) -> None:
    doc = folder / "design.md"
    doc.write_text("# A net\n\n```cnncalc\ninput: [3, 32, 32]\nlayers:\n  - conv: "
                   "{filters: 16}\n```\n")
    result = run("check", str(doc))
    assert result.exit_code == 2
    assert f"{doc}:6:5: conv 'conv1': missing required argument 'kernel'" in result.stderr
    assert "Traceback" not in result.stderr


def test_fenced_block_naming_a_spec_lints_that_file(folder: Path) -> None:
    (folder / "specs").mkdir()
    (folder / "specs" / "bad.yaml").write_text(
        "input: [3, 31, 31]\nframework: pytorch\nlayers:\n  - conv: {filters: 4, kernel: 1, "
        "stride: 2}\n")
    doc = folder / "docs" / "design.md"
    doc.parent.mkdir()
    doc.write_text("```cnncalc\n../specs/bad.yaml\n```\n")
    result = run("check", str(Path("docs", "design.md")))   # paths relative to the document
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{Path('specs', 'bad.yaml')}:4:5: S103 ")


@pytest.mark.parametrize("text,message", [
    ("<!-- cnncalc:summary -->\n<!-- /cnncalc -->\n", ":1:1: cnncalc:summary needs a spec"),
    ("<!-- cnncalc:table net.yaml -->\n<!-- /cnncalc -->\n", "unknown cnncalc view 'table'"),
    ("<!-- cnncalc:rules net.yaml -->\n<!-- /cnncalc -->\n", "takes no spec path"),
    ("x\n<!-- cnncalc:summary gone.yaml -->\n<!-- /cnncalc -->\n", ":2:1: no spec file"),
    ("<!-- cnncalc:summary net.yaml -->\n", ":1:1: this cnncalc marker is never closed"),
    ("<!-- /cnncalc -->\n", ":1:1: <!-- /cnncalc --> closes no marker"),
    ("```cnncalc\nmissing.yaml\n```\n", ":2:1: no spec file 'missing.yaml'"),
])
def test_bad_markers_exit_2(folder: Path, text: str, message: str) -> None:
    doc = folder / "doc.md"
    doc.write_text(text)
    result = run("check", str(doc))
    assert result.exit_code == 2 and message in result.stderr, result.stderr


def test_directories_are_searched_recursively(folder: Path) -> None:
    deep = folder / "a" / "b"
    deep.mkdir(parents=True)
    (deep / "warn.yaml").write_text("input: [3, 31, 31]\nframework: pytorch\nlayers:\n  - conv:"
                                    " {filters: 4, kernel: 1, stride: 2}\n")
    (deep / "ci.yaml").write_text("on: push\njobs: {}\n")        # not a spec: skipped
    (folder / "a" / "doc.md").write_text("<!-- cnncalc:rules -->\n<!-- /cnncalc -->\n")
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "x.md").write_text("<!-- /cnncalc -->\n")  # never read
    result = run("check", "a")
    assert result.exit_code == 1
    assert [line.split(": ")[1][:4] for line in result.stdout.splitlines()] == ["D101", "S103"]


def test_scan_finds_blocks_and_regions() -> None:
    blocks, regions = scan("````cnncalc\nx: 1\n```\ninside\n````\n<!-- cnncalc:rf n.yaml -->"
                           "\nold\n<!-- /cnncalc -->\n", "d.md")
    assert [(b.line, b.text) for b in blocks] == [(2, "x: 1\n```\ninside\n")]
    assert [(r.view, r.target, r.line) for r in regions] == [("rf", "n.yaml", 6)]


def test_check_document_reports_without_writing(folder: Path) -> None:
    text = "<!-- cnncalc:rules -->\n<!-- /cnncalc -->\n"
    result = check_document("doc.md", text)
    assert result.stale == 1 and result.mended.startswith(text.split("\n")[0] + "\n\n| Code")
    with pytest.raises(SpecError):
        check_document("doc.md", "<!-- cnncalc:rules -->\n")


def test_project_docs_are_current(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules table in README.md and docs/rules.md, and the design example's tables, equal
    what cnncalc renders now; `cnncalc check --fix README.md docs` mends them."""
    monkeypatch.chdir(ROOT)
    result = run("check", "README.md", "docs", "--fail-on", "error")
    assert result.exit_code == 0, result.stdout + result.stderr


def test_a_spec_reached_twice_is_reported_once(folder: Path) -> None:
    """`cnncalc check README.md examples/`: the doc names a spec the walk also finds."""
    (folder / "examples").mkdir()
    (folder / "examples" / "warn.yaml").write_text(
        "input: [3, 31, 31]\nframework: pytorch\nlayers:\n  - conv: {filters: 4, kernel: 1, "
        "stride: 2}\n")
    (folder / "README.md").write_text("```cnncalc\nexamples/warn.yaml\n```\n\n"
                                      "<!-- cnncalc:shapes examples/warn.yaml -->\n"
                                      "<!-- /cnncalc -->\n")
    assert run("check", "--fix", "README.md").exit_code == 1
    result = run("check", "README.md", "examples", str(folder / "examples" / "warn.yaml"))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        (f"{Path('examples', 'warn.yaml')}:4:5: S103 conv 'conv1': stride 2 > 1-pixel kernel "
        f"on H and W: 75.0% of the input's pixels are never read")]
    assert result.stderr == "1 finding: 1 warning\n"


def test_a_broken_spec_reached_twice_is_reported_once(folder: Path) -> None:
    (folder / "bad.yaml").write_text("input: [3, 8, 8]\nlayers:\n  - conv: {filters: 4}\n")
    (folder / "doc.md").write_text("```cnncalc\nbad.yaml\n```\n")
    result = run("check", "doc.md", ".")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "bad.yaml:3:5: conv 'conv1': missing required argument 'kernel'"]


def test_pre_commit_hook_checks_the_whole_repository_when_a_spec_changes() -> None:
    """A doc's table depends on the spec it names: a commit touching only the spec must run
    the hook on the doc too, so the hook takes no file names and checks '.'."""
    import yaml

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["entry"] == "cnncalc check" and hook["args"] == ["."]
    assert hook["pass_filenames"] is False and hook["always_run"] is False
    pattern = re.compile(hook["files"])
    assert [bool(pattern.search(p)) for p in ("net.yaml", "a/b.yml", "README.md",
                                              "x.markdown", "setup.py", "ci.yaml.bak")] == [
        True, True, True, True, False, False]


def test_changing_only_the_spec_fails_check_on_the_doc(folder: Path) -> None:
    doc = fresh_doc(folder)
    spec = folder / "net.yaml"
    spec.write_text(spec.read_text().replace("filters: 16", "filters: 8"))
    result = run("check", ".")                  # what the hook runs
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{doc.name}:5:1: D101 the shapes table of 'net.yaml' "
                                    f"is stale")


def test_a_document_named_twice_is_fixed_once(folder: Path) -> None:
    doc = folder / "doc.md"
    doc.write_text("<!-- cnncalc:shapes net.yaml -->\n<!-- /cnncalc -->\n")
    result = run("check", "--fix", "doc.md", ".", str(doc))
    assert result.exit_code == 0
    assert result.stderr == "doc.md: rewrote 1 stale region\nno findings\n"
