"""The two sides of `cnncalc diff`: a spec file, a spec in git (`REV:PATH`), or an ONNX model.

How an argument is read, in this order:

1. a file that exists under that name is read as a file (so `C:\\nets\\a.yaml` or a file
   whose name holds a colon is never taken for `REV:PATH`); `.onnx` through the importer;
2. a Windows drive path (`C:\\...`, `C:/...`) is a file, even when it does not exist;
3. `REV:PATH` is the file PATH as revision REV (a branch, tag, commit, `HEAD~1`) holds it,
   read from the git repository around the current folder; PATH is from the repository's
   top (`REV:./PATH` from the current folder, as git reads it); `:PATH` is the version
   staged in the index. Nothing is written: git's plumbing `cat-file` reads the blob (as
   `git show REV:PATH` shows it, but without textconv filters, pager or colour);
4. anything else is a file (and its absence is reported as for every command).

Problems are SpecErrors at `ARGUMENT:1:1` (a revision or path not found, git missing);
a spec read from git is parsed with `REV:PATH` as its file name, so every location points
there.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from ..errors import Location, SpecError, show
from ..files import MAX_FILE_BYTES, decode_text
from ..spec import NetSpec, load_file, parse

GIT_TIMEOUT = 30  # seconds for each git command
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def load_side(argument: str, cwd: Path | None = None) -> NetSpec:
    """The spec an argument of `cnncalc diff` names (see the module docstring)."""
    if argument == "-" or os.path.lexists(argument) or _DRIVE.match(argument) \
            or ":" not in argument:
        if argument.lower().endswith(".onnx") and os.path.lexists(argument):
            return _from_onnx(argument)
        return load_file(argument)
    revision, _, path = argument.partition(":")
    return parse(read_from_git(revision, path, argument, cwd), argument)


def read_from_git(revision: str, path: str, argument: str, cwd: Path | None = None) -> str:
    """The text of `path` at `revision` in the repository around `cwd` (default: here)."""
    def problem(message: str) -> SpecError:
        return SpecError.at(Location(argument, 1, 1), message)

    if revision.startswith("-"):
        raise problem(f"a revision may not start with '-'; found {show(revision)}")
    if not path:
        raise problem("expected REV:PATH, a file path after the ':'")
    if path.lower().endswith(".onnx"):
        raise problem("an ONNX model is read from a file, not from git (check it out first)")
    folder = cwd or Path.cwd()
    if _git(["rev-parse", "--git-dir"], folder, argument).returncode != 0:
        raise problem(f"not in a git repository (at {show(str(folder), 200)}), so "
                      f"{show(revision)} cannot be read")
    if revision and _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{tree}}"],
                         folder, argument).returncode != 0:
        raise problem(f"no revision {show(revision)} in this git repository")
    blob = f"{revision}:{path}"
    kind = _git(["cat-file", "-t", blob], folder, argument)
    if kind.returncode != 0:
        where = f"revision {show(revision)}" if revision else "the index (staged files)"
        hint = ("; a path after ':' is from the repository's top: write "
                f"{revision}:./{path} for one from this folder"
                if not path.startswith("./") and (folder / path).is_file() else "")
        raise problem(f"no file {show(path)} in {where}{hint}")
    if kind.stdout.strip() != b"blob":
        raise problem(f"{show(path)} is a {kind.stdout.decode(errors='replace').strip()} "
                      f"in {show(revision)}, not a file")
    size = _git(["cat-file", "-s", blob], folder, argument)
    if size.returncode != 0 or int(size.stdout.strip() or 0) > MAX_FILE_BYTES:
        raise problem(f"the spec is larger than the limit of {MAX_FILE_BYTES:,} bytes")
    content = _git(["cat-file", "blob", blob], folder, argument)
    if content.returncode != 0:
        raise problem(f"git could not read {show(path)}: "
                      f"{_first_line(content.stderr)}")
    return decode_text(content.stdout[:MAX_FILE_BYTES + 1], argument, "spec")


def _git(args: list[str], cwd: Path, argument: str) -> subprocess.CompletedProcess[bytes]:
    """git with an argument list (no shell), a timeout, no prompt; output is bounded by the
    size check before the one command that prints a file."""
    git = shutil.which("git")
    if git is None:
        raise SpecError.at(Location(argument, 1, 1), "reading REV:PATH needs git, which is "
                                                     "not installed (or not on PATH)")
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0",
           "LC_ALL": "C"}
    try:
        return subprocess.run([git, *args], cwd=cwd, capture_output=True, env=env,
                              timeout=GIT_TIMEOUT, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise SpecError.at(Location(argument, 1, 1), f"git did not answer within "
                                                     f"{GIT_TIMEOUT} s") from None
    except OSError as err:
        raise SpecError.at(Location(argument, 1, 1), f"cannot run git: "
                                                     f"{err.strerror or err}") from None


def _first_line(data: bytes) -> str:
    lines = data.decode(errors="replace").strip().splitlines()
    return show(lines[0] if lines else "no message", 200)


def _from_onnx(path: str) -> NetSpec:
    """An ONNX model as the importer writes its spec (locations point into that text)."""
    where = Location(path, 1, 1)
    if not os.path.isfile(path):  # a FIFO or a folder would hang or confuse onnx
        raise SpecError.at(where, "cannot read the model: not a regular file")
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise SpecError.at(where, "reading an ONNX model needs the onnx package: pip "
                                  "install 'cnncalc[onnx]'") from None
    from ..interop.onnx_import import ImportProblem, import_model

    try:
        text, _notes = import_model(path, structured=True)
    except ImportProblem as problem:
        raise SpecError.at(where, " ".join(str(problem).split())) from None
    return parse(text, path)
