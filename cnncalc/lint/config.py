"""Project defaults from `[tool.cnncalc]` in pyproject.toml: select, ignore, fail-on.

    [tool.cnncalc]
    select = ["ALL"]          # codes or prefixes
    ignore = ["C101"]
    fail-on = "warning"       # info | warning | error

The nearest pyproject.toml at or above the starting folder is read. Python 3.11+ reads it
with tomllib; on 3.10, `tomli` is used if installed, else the defaults apply and
`Config.note` says why.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import Location, SpecError
from .diagnostic import SEVERITIES, Severity
from .registry import unknown_patterns

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

    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    fail_on: Severity = Severity.WARNING
    source: str | None = None   # the pyproject.toml read, if any
    note: str | None = None     # why a present [tool.cnncalc] could not be read


def find_pyproject(start: Path) -> Path | None:
    for folder in (start.resolve(), *start.resolve().parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path | None = None) -> Config:
    """The `[tool.cnncalc]` settings of the nearest pyproject.toml (defaults if none).

    A malformed setting is a SpecError located in pyproject.toml (exit 2).
    """
    path = find_pyproject(start or Path.cwd())
    if path is None:
        return Config()
    text = path.read_text(encoding="utf-8")
    if _toml is None:
        note = None if "[tool.cnncalc]" not in text else (
            f"{path}: [tool.cnncalc] ignored: reading TOML on Python 3.10 needs 'tomli'")
        return Config(note=note)
    try:
        data = _toml.loads(text)
    except _toml.TOMLDecodeError as err:
        raise SpecError.at(Location(str(path), 1, 1), f"unreadable TOML: {err}") from None
    table = data.get("tool", {}).get("cnncalc")
    if table is None:
        return Config()
    return parse_table(table, str(path), text)


def parse_table(table: dict[str, Any], path: str, text: str) -> Config:
    def where(key: str) -> Location:
        match = re.search(rf"^\s*{re.escape(key)}\s*=", text, re.MULTILINE)
        line = text.count("\n", 0, match.start()) + 1 if match else 1
        return Location(path, line, 1)

    for key in table:
        if key not in KEYS:
            raise SpecError.at(where(key), f"[tool.cnncalc]: unknown setting '{key}'; "
                                           f"expected {', '.join(KEYS)}")
    codes = {}
    for key in ("select", "ignore"):
        value = table.get(key, ["ALL"] if key == "select" else [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SpecError.at(where(key), f"[tool.cnncalc]: '{key}' must be a list of "
                                           f"codes or prefixes; found {value!r}")
        unknown = unknown_patterns(value)
        if unknown:
            raise SpecError.at(where(key), f"[tool.cnncalc]: '{key}' names no rule: "
                                           f"{', '.join(unknown)}; see `cnncalc rules`")
        codes[key] = tuple(value)
    fail_on = table.get("fail-on", "warning")
    if fail_on not in SEVERITIES:
        raise SpecError.at(where("fail-on"), f"[tool.cnncalc]: 'fail-on' must be one of "
                                             f"{', '.join(SEVERITIES)}; found {fail_on!r}")
    return Config(codes["select"], codes["ignore"], Severity(fail_on), path)
