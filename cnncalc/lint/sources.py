"""Where a run's documents and specs come from, read safely and each read once.

- `gather`: the paths named on the command line, and the documents and specs directories
  hold. Only regular files are taken from a directory (a FIFO or device there is skipped,
  never opened), and a symbolic link that leads out of the repository root is skipped.
- `SpecFiles`: every spec file a run reads, through `files.read_text`, analysed and linted
  once even when a document and a directory walk both name it. A path a document names
  must resolve inside the repository root unless the run allows outside paths.
"""
from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ..analysis import Analysis, analyze_text
from ..errors import Location, SpecError
from ..files import inside, read_text
from .diagnostic import Diagnostic
from .engine import lint_analysis

MARKDOWN = (".md", ".markdown")
YAML = (".yaml", ".yml")
_SPEC_KEY = re.compile(r"^(input|layers)\s*:", re.MULTILINE)
_SKIP_DIRS = {"node_modules", "__pycache__", "site-packages"}
T = TypeVar("T")


def is_spec(path: Path) -> bool:
    """A YAML file is a spec when it has a top-level `input:` or `layers:`; one that cannot
    be read counts as a spec, so that the spec reader says what is wrong with it."""
    try:
        return bool(_SPEC_KEY.search(read_text(path, "spec")))
    except SpecError:
        return True


def _skip_folder(folder: str, name: str) -> bool:
    """Hidden folders, dependency caches, and virtual environments of any name."""
    return (name.startswith(".") or name in _SKIP_DIRS
            or os.path.isfile(os.path.join(folder, name, "pyvenv.cfg")))


def _walk(given: Path, root: Path, suffixes: tuple[str, ...],
          note: Callable[[str], None]) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(given):  # symlinked folders are not followed
        dirs[:] = sorted(d for d in dirs if not _skip_folder(folder, d))
        for name in sorted(files):
            path = Path(folder, name)
            if not name.endswith(suffixes):
                continue
            if path.is_symlink() and not (inside(path, root) or inside(path, given)):
                note(f"{path}: skipped: a symbolic link to {os.path.realpath(path)}, outside "
                     f"the repository root ({root})")
                continue
            try:
                regular = stat.S_ISREG(os.stat(path).st_mode)
            except OSError:
                regular = False
            if not regular:
                note(f"{path}: skipped: not a regular file")
                continue
            found.append(path)
    return found


def gather(paths: Iterable[str], root: Path, markdown: bool,
           note: Callable[[str], None]) -> list[Path]:
    """Documents (if `markdown`) and spec files: each path as given, and under each
    directory the .md/.markdown files and the .yaml/.yml files that are specs."""
    suffixes = (*MARKDOWN, *YAML) if markdown else YAML
    found: list[Path] = []
    for given in map(Path, paths):
        if given.is_dir():
            found += [p for p in _walk(given, root, suffixes, note)
                      if not p.name.endswith(YAML) or is_spec(p)]
        else:
            found.append(given)   # named by the user: read as given, errors reported
    # a file named twice (or named and found under a directory) is checked, and fixed, once
    unique: dict[str, Path] = {}
    for path in found:
        unique.setdefault(os.path.realpath(path), path)
    return list(unique.values())


@dataclass
class SpecFiles:
    """The spec files of one run: where a document's path leads, and each spec's analysis
    and findings, computed once (a failure is remembered and raised again)."""

    root: Path
    allow_outside: bool = False
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    _analyses: dict[str, Analysis | SpecError] = field(default_factory=dict, repr=False)
    _findings: dict[str, list[Diagnostic] | SpecError] = field(default_factory=dict,
                                                                repr=False)

    def named(self, document: str, target: str, where: Location) -> str:
        """The path of the spec a document names (relative to the document), kept inside
        the repository root unless outside paths are allowed."""
        path = os.path.normpath(os.path.join(os.path.dirname(document), target))
        if not self.allow_outside and not inside(path, self.root):
            raise SpecError.at(where, f"'{target}' resolves outside the repository root "
                                      f"({self.root}); use --allow-outside to allow it")
        if not os.path.lexists(path):
            raise SpecError.at(where, f"no spec file '{target}' (looked for {path}, relative "
                                      f"to the document)")
        try:
            regular = stat.S_ISREG(os.stat(path).st_mode)
        except OSError:
            regular = False   # a dangling link: reading it says why
        if not regular and os.path.exists(path):
            raise SpecError.at(where, f"'{target}' is not a regular file; expected a spec "
                                      f"file")
        return path

    def analysis(self, path: str) -> Analysis:
        key = os.path.realpath(path)
        if key not in self._analyses:
            try:
                self._analyses[key] = analyze_text(read_text(path, "spec"), path)
            except SpecError as error:
                self._analyses[key] = error
        return _value(self._analyses[key])

    def lint(self, path: str) -> list[Diagnostic]:
        """The selected rules' findings on one spec file (SpecError if it is unreadable)."""
        key = os.path.realpath(path)
        if key not in self._findings:
            try:
                self._findings[key] = lint_analysis(self.analysis(path), self.select,
                                                    self.ignore)
            except SpecError as error:
                self._findings[key] = error
        return list(_value(self._findings[key]))


def _value(entry: T | SpecError) -> T:
    if isinstance(entry, SpecError):
        raise entry
    return entry
