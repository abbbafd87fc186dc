"""The README's claims are checked: every file it names exists, every command it shows runs
as it says, and every output it quotes is what cnncalc prints."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncalc.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
BLOCKS = [(m.group(1), m.group(2)) for m in FENCE.finditer(README)]
PATH = re.compile(r"(?<![\w/.-])((?:examples|docs|tests|benchmarks|cnncalc)/[\w./-]*\w)")


def _invoke(command: str) -> tuple[int, str, str]:
    args = shlex.split(command)
    assert args[0] == "cnncalc"
    result = CliRunner().invoke(main, args[1:], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def at_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("path", sorted(set(PATH.findall(README))))
def test_every_named_file_exists(path: str) -> None:
    if "*" in path or path.endswith("/"):
        return
    assert (ROOT / path).exists(), f"the README names {path}, which is not in the repository"


def _commands() -> list[tuple[str, str]]:
    """(command, what the README says of it) for every cnncalc line in a shell block that
    names only files that exist."""
    found = []
    for lang, body in BLOCKS:
        if lang not in ("", "sh", "bash", "console"):
            continue
        for line in body.splitlines():
            text = line.removeprefix("$ ").strip()
            if not text.startswith("cnncalc "):
                continue
            command, _, comment = text.partition("  #")
            words = shlex.split(command)
            paths = [w for w in words[1:] if "/" in w or w.endswith((".yaml", ".md"))]
            if any(not (ROOT / p).exists() for p in paths) or re.search(r"\b[A-Z]{3,}\b",
                                                                         command):
                continue  # a placeholder (SPEC, DOC.md, specs/)
            found.append((command.strip(), comment.strip()))
    return found


@pytest.mark.parametrize("command, comment", _commands())
def test_every_shown_command_runs_as_the_readme_says(command: str, comment: str) -> None:
    code, out, err = _invoke(command)
    if "refused" in comment or "broken" in command:  # shown to be refused
        assert code == 2 and err.strip(), err
    else:
        assert code in (0, 1), (code, err)
        assert out.strip()


def _quoted_outputs() -> list[tuple[str, list[str]]]:
    """A block that starts with `$ cnncalc ...`: the lines it shows after that line."""
    quoted = []
    for _, body in BLOCKS:
        lines = body.splitlines()
        if lines and lines[0].startswith("$ cnncalc "):
            quoted.append((lines[0][2:], [line for line in lines[1:] if line.strip()
                                          and line.strip() != "..."]))
    return quoted


@pytest.mark.parametrize("command, shown", _quoted_outputs())
def test_quoted_output_is_what_cnncalc_prints(command: str, shown: list[str]) -> None:
    _, out, err = _invoke(command)
    printed = [line.rstrip() for line in (out + err).splitlines()]
    for line in shown:
        assert line.rstrip() in printed, f"the README shows {line!r}; cnncalc does not print it"


def test_quoted_findings_and_errors_are_what_cnncalc_prints() -> None:
    """`# examples/x.yaml:L:C: ...` lines under a command, and the bad-input block."""
    checked = 0
    for _, body in BLOCKS:
        command = None
        for line in body.splitlines():
            if line.startswith("cnncalc "):
                command = line.partition("  #")[0].strip()
            elif line.startswith("# examples/") and command:
                _, out, err = _invoke(command)
                assert line[2:] in (out + err).splitlines(), (command, line)
                checked += 1
    broken = next(body for _, body in BLOCKS if body.startswith("$ cnncalc shapes tests/fixtures/broken.yaml"))
    _, _, err = _invoke("cnncalc shapes tests/fixtures/broken.yaml")
    for line in broken.splitlines()[1:]:
        assert line in err.splitlines(), f"the README quotes {line!r}; cnncalc says {err!r}"
        checked += 1
    assert checked >= 3
