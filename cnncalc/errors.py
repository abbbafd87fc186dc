"""Locations in a spec file and the errors that point at them."""
from __future__ import annotations

from dataclasses import dataclass

from .text import one_line


@dataclass(frozen=True)
class Location:
    """A place in a file: 1-based line and column, as editors count them."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
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
    def at(cls, location: Location, message: str) -> SpecError:
        return cls(Problem(location, message))


def close_matches(word: str, candidates: list[str] | set[str]) -> list[str]:
    """The best guess at what a misspelt word meant (difflib is loaded only on errors)."""
    import difflib

    return difflib.get_close_matches(str(word), sorted(candidates), n=1)
