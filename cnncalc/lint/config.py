"""Project defaults from `[tool.cnncalc]` in pyproject.toml: select, ignore, fail-on.

    [tool.cnncalc]
    select = ["DEFAULT"]      # codes or prefixes; DEFAULT: all but the info notes
    ignore = ["C101"]
    fail-on = "warning"       # info | warning | error

The nearest pyproject.toml at or above the starting folder is read, up to the git top level
when there is one: a pyproject.toml above the repository is never read. Python 3.11+ reads it
with tomllib; on 3.10, `tomli` is used if installed, else the defaults apply and
`Config.note` says why.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Location, SpecError
from ..files import git_top_level, read_text
from .diagnostic import SEVERITIES, Severity
from .registry import DEFAULT, unknown_patterns

if sys.version_info >= (3, 11):
    import tomllib as _toml
else:  # pragma: no cover - exercised on 3.10 only
    try:
        import tomli as _toml
    except ImportError:
        _toml = None

KEYS = ("select", "ignore", "fail-on")


@dataclass(frozen=True)
class Config:
    """The lint settings in force, and where they came from."""

    select: tuple[str, ...] = DEFAULT
    ignore: tuple[str, ...] = ()
    fail_on: Severity = Severity.WARNING
    source: str | None = None   # the pyproject.toml read, if any
    note: str | None = None     # why a present [tool.cnncalc] could not be read


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml from `start` up to the git top level (or the file system's
    root outside a repository), if any. Anything by that name counts (a directory too), so
    that reading it says what is wrong."""
    here, top = start.resolve(), git_top_level(start)
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if os.path.lexists(candidate):
            return candidate
        if folder == top:
            break
    return None


_TOML_PLACE = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_config(start: Path | None = None) -> Config:
    """The `[tool.cnncalc]` settings of the nearest pyproject.toml (defaults if none).

    An unreadable file or a malformed setting is a SpecError located in pyproject.toml
    (exit 2).
    """
    path = find_pyproject(start or Path.cwd())
    if path is None:
        return Config()
    text = read_text(path, "project file")
    if _toml is None:
        note = None if "[tool.cnncalc]" not in text else (
            f"{path}: [tool.cnncalc] ignored: reading TOML on Python 3.10 needs 'tomli'")
        return Config(note=note)
    try:
        data = _toml.loads(text)
    except _toml.TOMLDecodeError as err:
        place = _TOML_PLACE.search(str(err))
        line, column = (int(place.group(1)), int(place.group(2))) if place else (1, 1)
        reason = _TOML_PLACE.sub("", str(err)).strip()
        raise SpecError.at(Location(str(path), line, column), f"unreadable TOML: {reason}"
                           ) from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise SpecError.at(_where(str(path), text, "tool"), f"'tool' must be a table; found "
                                                            f"{_kind(tool)}")
    table = tool.get("cnncalc")
    if table is None:
        return Config()
    if not isinstance(table, dict):
        raise SpecError.at(_where(str(path), text, "cnncalc"), f"[tool.cnncalc] must be a "
                                                               f"table; found {_kind(table)}")
    return parse_table(table, str(path), text)


def _kind(value: object) -> str:
    """A TOML value's kind in TOML's words, never a Python type name."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        odd = next((v for v in value if not isinstance(v, str)), None)
        return "an array" if odd is None else f"an array holding {_kind(odd)}"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


def _where(path: str, text: str, key: str) -> Location:
    """The line of `key = ...` (or of a `[...key]` header) in the file; line 1 if unseen."""
    match = re.search(rf"^\s*(\[[^\]\n]*\b{re.escape(key)}\b|{re.escape(key)}\s*=)", text,
                      re.MULTILINE)
    line = text.count("\n", 0, match.start()) + 1 if match else 1
    return Location(path, line, 1)


def parse_table(table: dict[str, Any], path: str, text: str) -> Config:
    def where(key: str) -> Location:
        return _where(path, text, key)

    for key in table:
        if key not in KEYS:
            raise SpecError.at(where(key), f"[tool.cnncalc]: unknown setting '{key}'; "
                                           f"expected {', '.join(KEYS)}")
    codes = {}
    for key in ("select", "ignore"):
        value = table.get(key, list(DEFAULT) if key == "select" else [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SpecError.at(where(key), f"[tool.cnncalc]: '{key}' must be a list of "
                                           f"codes or prefixes; found {_kind(value)}")
        unknown = unknown_patterns(value)
        if unknown:
            raise SpecError.at(where(key), f"[tool.cnncalc]: '{key}' names no rule: "
                                           f"{', '.join(unknown)}; see `cnncalc rules`")
        codes[key] = tuple(value)
    fail_on = table.get("fail-on", "warning")
    if not isinstance(fail_on, str) or fail_on not in SEVERITIES:
        raise SpecError.at(where("fail-on"), f"[tool.cnncalc]: 'fail-on' must be one of "
                                             f"{', '.join(SEVERITIES)}; found {_kind(fail_on)}")
    return Config(codes["select"], codes["ignore"], Severity(fail_on), path)
