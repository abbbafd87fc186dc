"""The diagnostic record: one finding at one place, as flake8 and ruff print it."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..text import one_line


class Severity(Enum):
    """How much a finding matters; `--fail-on` picks the lowest that fails a run."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return ("info", "warning", "error").index(self.value)

    def __str__(self) -> str:
        return self.value


SEVERITIES = tuple(s.value for s in Severity)


@dataclass(frozen=True)
class Diagnostic:
    """A plain record: the rule's code, name and severity, the place, the message."""

    code: str
    name: str
    severity: Severity
    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        """PATH:LINE:COL: CODE message, on one line whatever the spec's names hold."""
        return one_line(f"{self.path}:{self.line}:{self.column}: {self.code} {self.message}")

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "severity": self.severity.value,
                "path": self.path, "line": self.line, "column": self.column,
                "message": self.message}

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)
