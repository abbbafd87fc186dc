"""`cnncalc check` on hostile documents, as an attacker in a pull request would try it:
--fix writes atomically or not at all, never out of the repository, never inside code
blocks or comments; paths named in documents stay in the repository; FIFOs never hang."""
from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import run

ROOT = Path(__file__).parent.parent
CLEAN = ROOT / "tests" / "fixtures" / "lint" / "cli_clean.yaml"
STALE = "intro\n\n<!-- cnncalc:shapes net.yaml -->\nold table\n<!-- /cnncalc -->\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository (a folder with .git) holding net.yaml, as the current folder."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    shutil.copy(CLEAN, root / "net.yaml")
    monkeypatch.chdir(root)
    return root


def stale_doc(folder: Path, name: str = "doc.md", text: str = STALE) -> Path:
    doc = folder / name
    doc.write_text(text)
    return doc


def test_fix_writes_through_a_temporary_file_and_keeps_the_mode(repo: Path) -> None:
    doc = stale_doc(repo)
    doc.chmod(0o640)
    inode = doc.stat().st_ino
    result = run("check", "--fix", "doc.md")
    assert result.exit_code == 0, result.stderr
    assert "old table" not in doc.read_text() and "| conv1 " in doc.read_text()
    assert stat.S_IMODE(doc.stat().st_mode) == 0o640
    assert doc.stat().st_ino != inode                  # a new file renamed over the old one
    assert sorted(p.name for p in repo.iterdir()) == [".git", "doc.md", "net.yaml"]


def test_fix_leaves_a_read_only_file_untouched(repo: Path) -> None:
    doc = stale_doc(repo)
    doc.chmod(0o444)
    result = run("check", "--fix", "doc.md")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == ("doc.md:1:1: cannot write the file: it is "
                                             "read-only; it was left as it was")
    assert doc.read_text() == STALE
    assert "D101" in result.stdout                      # still stale, and said so


def test_fix_leaves_a_file_in_a_read_only_folder_untouched(repo: Path) -> None:
    docs = repo / "docs"
    docs.mkdir()
    doc = stale_doc(docs, text=STALE.replace("net.yaml", "../net.yaml"))
    docs.chmod(0o555)
    try:
        result = run("check", "--fix", "docs/doc.md")
    finally:
        docs.chmod(0o755)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"docs/doc.md:1:1: cannot write the file: its folder "
                                    f"{docs} is read-only; it was left as it was\n")
    assert doc.read_text() == STALE.replace("net.yaml", "../net.yaml")
    assert sorted(p.name for p in docs.iterdir()) == ["doc.md"]


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_failing_write_leaves_the_file_byte_for_byte(repo: Path, failing: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk (ENOSPC from fsync) or a failing rename: the old bytes stay."""
    doc = stale_doc(repo, text=STALE.replace("\n", "\r\n"))
    before = doc.read_bytes()

    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, failing, full)
    result = run("check", "--fix", "doc.md")
    assert result.exit_code == 2
    assert result.stderr.startswith("doc.md:1:1: cannot write the file: no space left on "
                                    "device; it was left as it was\n"), result.stderr
    assert doc.read_bytes() == before
    assert sorted(p.name for p in repo.iterdir()) == [".git", "doc.md", "net.yaml"]


def test_nothing_is_written_when_the_document_cannot_be_computed(repo: Path) -> None:
    """One region renders, the next names a broken spec: the first is not written either."""
    (repo / "bad.yaml").write_text("input: [3, 8, 8]\nlayers:\n  - conv: {filters: 4}\n")
    text = STALE + "\n<!-- cnncalc:shapes bad.yaml -->\n<!-- /cnncalc -->\n"
    doc = stale_doc(repo, text=text)
    result = run("check", "--fix", "doc.md")
    assert result.exit_code == 2 and "bad.yaml:3:5:" in result.stderr
    assert doc.read_text() == text


def test_fix_refuses_a_symlink_that_leads_out_of_the_repository(repo: Path,
                                                                tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(STALE)
    (repo / "doc.md").symlink_to(outside)
    result = run("check", "--fix", "doc.md")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"doc.md:1:1: --fix will not write it: it resolves to "
                                    f"{outside}, outside the repository root ({repo}); it was "
                                    f"left as it was\n")
    assert outside.read_text() == STALE and (repo / "doc.md").is_symlink()


def test_fix_writes_a_symlinked_document_at_its_target_inside_the_repository(
        repo: Path) -> None:
    real = stale_doc(repo, "real.md")
    (repo / "link.md").symlink_to("real.md")
    assert run("check", "--fix", "link.md").exit_code == 0
    assert (repo / "link.md").is_symlink() and "| conv1 " in real.read_text()


def test_walking_skips_symlinks_out_of_the_repository(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("<!-- /cnncalc -->\n")            # would be an error if it were read
    (repo / "docs").mkdir()
    (repo / "docs" / "link.md").symlink_to(secret)
    result = run("check", "--fix", "docs")
    assert result.exit_code == 0
    assert result.stderr.startswith(f"docs/link.md: skipped: a symbolic link to {secret}, "
                                    f"outside the repository root ({repo})\n")
    assert secret.read_text() == "<!-- /cnncalc -->\n"


EXAMPLES = {
    "html comment": "<!--\nHow to add a table:\n<!-- cnncalc:shapes net.yaml -->\nold\n"
                    "<!-- /cnncalc -->\n-->\n",
    "backtick fence": "```markdown\n<!-- cnncalc:shapes net.yaml -->\nold\n"
                      "<!-- /cnncalc -->\n```\n",
    "tilde fence": "~~~~\n<!-- cnncalc:shapes net.yaml -->\n~~~\nold\n<!-- /cnncalc -->\n~~~~\n",
    "indented code": "Write this:\n\n    <!-- cnncalc:shapes net.yaml -->\n    old\n\n"
                     "    <!-- /cnncalc -->\n\nDone.\n",
    "tab-indented code": "# Example\n\t<!-- cnncalc:shapes net.yaml -->\n\told\n"
                         "\t<!-- /cnncalc -->\n",
}


@pytest.mark.parametrize("text", EXAMPLES.values(), ids=EXAMPLES.keys())
def test_fix_never_edits_markers_that_are_examples(repo: Path, text: str) -> None:
    doc = stale_doc(repo, text=text + "\n" + STALE)   # and a real region after them
    result = run("check", "--fix", "doc.md")
    assert result.exit_code == 0, result.stderr
    mended = doc.read_text()
    assert mended.startswith(text + "\n") and "| conv1 " in mended[len(text):]


def test_an_unclosed_fence_runs_to_the_end_as_in_commonmark(repo: Path) -> None:
    """A ``` block that is never closed holds the rest of the document (CommonMark): the
    markers after it are shown as code, so they are not regions, and nothing is written."""
    text = "```text\nexample\n\n" + STALE
    doc = stale_doc(repo, text=text)
    result = run("check", "--fix", "doc.md")
    assert result.exit_code == 0 and result.stdout == "" and doc.read_text() == text


def test_a_four_space_line_inside_a_paragraph_is_not_code(repo: Path) -> None:
    """CommonMark: an HTML block starts at most three spaces in, and an indented code block
    cannot interrupt a paragraph; so markers four spaces in after prose are paragraph text,
    not a region, and nothing changes."""
    text = "Prose\n    <!-- cnncalc:shapes net.yaml -->\n    <!-- /cnncalc -->\n"
    doc = stale_doc(repo, text=text)
    assert run("check", "--fix", "doc.md").exit_code == 0 and doc.read_text() == text


def test_an_unclosed_cnncalc_fence_is_an_error_at_the_fence(repo: Path) -> None:
    stale_doc(repo, text="# Net\n\n````cnncalc\ninput: [3, 8, 8]\nlayers: [flatten]\n"
                               "```\n")
    result = run("check", "doc.md")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == ("doc.md:3:1: this ````cnncalc block is never "
                                             "closed by a line of ````")


@pytest.mark.parametrize("target", ["../outside.yaml", "../../etc/x.yaml", "/etc/x.yaml"])
def test_paths_named_in_documents_stay_in_the_repository(repo: Path, target: str) -> None:
    (repo.parent / "outside.yaml").write_text(CLEAN.read_text())
    for text, line in ((f"x\n<!-- cnncalc:summary {target} -->\n<!-- /cnncalc -->\n", 2),
                       (f"```cnncalc\n{target}\n```\n", 2)):
        stale_doc(repo, text=text)
        result = run("check", "doc.md")
        assert result.exit_code == 2
        assert result.stderr.splitlines()[0] == (
            f"doc.md:{line}:1: '{target}' resolves outside the repository root ({repo}); use "
            f"--allow-outside to allow it")


def test_allow_outside_reads_a_spec_beside_the_repository(repo: Path) -> None:
    (repo.parent / "outside.yaml").write_text(CLEAN.read_text())
    doc = stale_doc(repo, text="<!-- cnncalc:shapes ../outside.yaml -->\n<!-- /cnncalc -->\n")
    assert run("check", "--allow-outside", "--fix", "doc.md").exit_code == 0
    assert "| conv1 " in doc.read_text()


def test_a_symlinked_spec_that_leads_out_is_refused(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "away.yaml").write_text(CLEAN.read_text())
    (repo / "net.yaml").unlink()
    (repo / "net.yaml").symlink_to(tmp_path / "away.yaml")
    stale_doc(repo)
    result = run("check", "doc.md")
    assert result.exit_code == 2
    assert "doc.md:3:1: 'net.yaml' resolves outside the repository root" in result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifos_never_hang(repo: Path) -> None:
    os.mkfifo(repo / "pipe.md")
    os.mkfifo(repo / "pipe.yaml")
    walked = run("check", ".")
    assert walked.exit_code == 0
    assert "pipe.md: skipped: not a regular file" in walked.stderr
    named = run("check", "pipe.md", "pipe.yaml")
    assert named.exit_code == 2
    assert named.stderr.splitlines()[:2] == [
        "pipe.md:1:1: cannot read the document: not a regular file; expected a regular file",
        "pipe.yaml:1:1: cannot read the spec: not a regular file; expected a regular file"]
    stale_doc(repo, text="```cnncalc\npipe.yaml\n```\n")
    named = run("check", "doc.md")                      # a doc naming a FIFO: refused too
    assert named.exit_code == 2
    assert named.stderr.startswith("doc.md:2:1: 'pipe.yaml' is not a regular file; expected "
                                   "a spec file\n")


def test_dev_zero_is_refused() -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    for command in ("check", "lint"):
        result = run(command, "/dev/zero")
        assert result.exit_code == 2
        assert "/dev/zero:1:1: cannot read the spec: not a regular file" in result.stderr
