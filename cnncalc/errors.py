"""Locations in a spec file and the errors that point at them."""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .text import one_line
from .values import Compared

if TYPE_CHECKING:  # typing.Self is Python 3.11+; the type checker has typing_extensions
    from typing_extensions import Self


class Location(Compared):
    """A place in a file: 1-based line and column, as editors count them."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Problem(Compared):
    """One thing wrong with a spec, at one place."""

    location: Location
    message: str

    def __str__(self) -> str:
        return one_line(f"{self.location}: {self.message}")  # names in a spec may be hostile


class SpecError(Exception):
    """The spec cannot be computed: one or more located problems (exit code 2)."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = problems if isinstance(problems, list) else [problems]
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, location: Location, message: str) -> Self:
        return cls(Problem(location, message))


class Problems:
    """Problems gathered while reading a spec, so one run reports them all (up to `limit`).

    `check(...)` runs a step and records its SpecError instead of stopping; `raise_if_any`
    ends the run with every problem found. Past `limit` problems the run stops at once.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.found: list[Problem] = []

    def add(self, error: SpecError) -> None:
        for problem in error.problems:
            if problem not in self.found:
                self.found.append(problem)
        if len(self.found) >= self.limit:
            shown = self.found[:self.limit]
            last = shown[-1].location
            shown.append(Problem(last, f"stopped after {self.limit} problems; fix these "
                                       f"and run again for the rest"))
            raise SpecError(shown)

    def raise_if_any(self) -> None:
        """Every problem found, in the order of the file."""
        if self.found:
            raise SpecError(sorted(self.found, key=lambda p: (p.location.file,
                                                               p.location.line,
                                                               p.location.column)))


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(text: str) -> str:
    """No control character reaches a one-line message: newlines, escapes, bidi marks."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _ESCAPES.get(ch, f"\\u{ord(ch):04x}")
                   for ch in text)


def yaml_form(value: Any, depth: int = 0) -> str:
    """A value as YAML's flow style writes it: null, true, 'text', [1, 2], {a: 1}.

    Containers show at most 20 items and 4 levels, so a hostile value costs little."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + _escape(value[:300]).replace("'", "''") + "'"
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        return repr(value) if math.isfinite(value) else ("-.inf" if value < 0 else ".inf")
    if isinstance(value, int):
        return str(value) if abs(value) < 10**30 else "a number too large to show"
    if isinstance(value, (dict, list, tuple)):
        if depth >= 4:
            return "{...}" if isinstance(value, dict) else "[...]"
        items = list(value.items())[:21] if isinstance(value, dict) else list(value[:21])
        more = [", ..."] if len(items) > 20 else [""]
        if isinstance(value, dict):
            inner = [f"{_escape(str(k)[:100])}: {yaml_form(v, depth + 1)}"
                     for k, v in items[:20]]
            return "{" + ", ".join(inner) + more[0] + "}"
        return "[" + ", ".join(yaml_form(v, depth + 1) for v in items[:20]) + more[0] + "]"
    return _escape(str(value)[:300])


def show(value: Any, width: int = 60) -> str:
    """A value for a one-line message: its YAML form, escaped, cut to about `width`."""
    text = yaml_form(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def close_matches(word: str, candidates: Iterable[str]) -> list[str]:
    """The best guess at what a misspelt word meant (difflib is loaded only on errors)."""
    import difflib

    return difflib.get_close_matches(str(word), sorted(candidates), n=1)
