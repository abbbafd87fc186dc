"""The one registry that maps a code to its rule.

Codes are a family letter and three digits (`S101`); a code is never reused, not even after
its rule is retired (list it in RETIRED). A rule is a small function that yields findings
for a network; its docstring is its documentation: what it finds, then paragraphs headed
`Why:`, `Example:`, `Fix:` and `Reference:`. A `Use instead:` section, the rule's passing
test fixture (use_instead.py holds a generated copy), joins it before the reference.

The default selection is what a reviewer should act on: every rule but the info-level
notes, which run only when selected by code, prefix or 'ALL' (ruff's habit of keeping
opinionated rules opt-in). `DEFAULT` names that selection; `--select DEFAULT,C101` adds one
note to it.
"""
from __future__ import annotations

import inspect
import re
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import Location
from .diagnostic import Severity
from .use_instead import USE_INSTEAD

if TYPE_CHECKING:
    from ..build import Node
    from .subject import Subject

FAMILIES = {
    "S": "shapes, sampling and rounding",
    "R": "receptive field",
    "P": "parameters and cost",
    "O": "layer order",
    "C": "portability between frameworks",
    "B": "budgets and expectations",
    "G": "the graph (layers that reach no output)",
    "D": "design documents (cnncalc check)",
    "X": "unknown and unsupported constructs",
}
RETIRED: frozenset[str] = frozenset()  # codes of removed rules: never to be given again
_CODE = re.compile(r"^[A-Z][0-9]{3}$")
USE_INSTEAD_HEADING = "Use instead:"


@dataclass(frozen=True)
class Finding:
    """What a rule reports: where, what, and the layer it is about (for suppression)."""

    location: Location
    message: str
    node: Node | None = None


Check = Callable[["Subject"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A code, a kebab-case name, a default severity and the function that finds."""

    code: str
    name: str
    severity: Severity
    check: Check | None   # None: reported by `cnncalc check` on documents, not on specs
    documented_by: Callable[..., object]
    default: bool = True  # runs without being selected by name (info notes: opt-in)

    @property
    def family(self) -> str:
        return FAMILIES[self.code[0]]

    @property
    def docstring(self) -> str:
        return inspect.getdoc(self.documented_by) or ""

    @property
    def use_instead(self) -> str:
        """The text of the rule's passing fixture: a design it does not flag ('' if none)."""
        return USE_INSTEAD[self.code][1] if self.code in USE_INSTEAD else ""

    @property
    def language(self) -> str:
        """What its examples are written in: a spec rule's YAML, a document rule's Markdown."""
        return "yaml" if self.check is not None else "markdown"

    @property
    def sections(self) -> list[str]:
        """The documentation's paragraphs: the docstring's, with `Use instead:` and the
        passing fixture (indented, blank lines and all, as one section) before the
        `Reference:` paragraph, or last."""
        parts = self.docstring.split("\n\n")
        if not self.use_instead:
            return parts
        at = next((i for i, p in enumerate(parts) if p.startswith("Reference:")), len(parts))
        example = textwrap.indent(self.use_instead.rstrip("\n"), "    ")
        return [*parts[:at], f"{USE_INSTEAD_HEADING}\n{example}", *parts[at:]]

    @property
    def doc(self) -> str:
        """The full documentation as plain text: `cnncalc rules CODE`, JSON and SARIF."""
        return "\n\n".join(self.sections)

    @property
    def summary(self) -> str:
        """The documentation's first paragraph, on one line."""
        return " ".join(self.docstring.split("\n\n", 1)[0].split())


RULES: dict[str, Rule] = {}


def rule(code: str, name: str, severity: Severity,
         default: bool | None = None) -> Callable[[Check], Check]:
    """Register a spec rule under its code; the function's docstring documents it.

    `default`: whether it runs without being selected; unless given, every rule does but
    the info-level notes.
    """
    def register(check: Check) -> Check:
        on = severity is not Severity.INFO if default is None else default
        _add(Rule(code, name, severity, check, check, on))
        return check
    return register


def document_rule(code: str, name: str, severity: Severity,
                  documented_by: Callable[..., object]) -> None:
    """Register a code that `cnncalc check` reports on documents (no spec check)."""
    _add(Rule(code, name, severity, None, documented_by))


def _add(new: Rule) -> None:
    assert _CODE.match(new.code) and new.code[0] in FAMILIES, f"bad rule code {new.code}"
    assert new.code not in RULES and new.code not in RETIRED, f"code {new.code} reused"
    assert re.match(r"^[a-z0-9]+(-[a-z0-9]+)*$", new.name), f"bad rule name {new.name}"
    assert new.name not in {r.name for r in RULES.values()}, f"name {new.name} reused"
    assert new.docstring, f"rule {new.code} has no documentation"
    RULES[new.code] = new


ALL = "ALL"
DEFAULT_PATTERN = "DEFAULT"
DEFAULT: tuple[str, ...] = (DEFAULT_PATTERN,)  # the selection when none is given


def matches(code: str, patterns: Iterable[str]) -> bool:
    """A code matches 'ALL', itself, any prefix of it ('S', 'S1'), and 'DEFAULT' when its
    rule runs by default."""
    wanted = patterns if isinstance(patterns, (set, frozenset)) else set(patterns)
    # a code's prefixes are few (S, S1, S10, S101): look each up rather than scan patterns
    return (ALL in wanted or any(code[:n] in wanted for n in range(1, len(code) + 1))
            or (DEFAULT_PATTERN in wanted and code in RULES and RULES[code].default))


def unknown_patterns(patterns: Iterable[str]) -> list[str]:
    """Patterns that match no rule (a typo in --select, a config or a spec)."""
    return [p for p in patterns if p not in (ALL, DEFAULT_PATTERN)
            and not any(c.startswith(p) for c in RULES)]


def is_selected(code: str, select: Iterable[str], ignore: Iterable[str]) -> bool:
    """Whether `select` picks the rule `code` and `ignore` does not."""
    return matches(code, select) and not matches(code, ignore)


def selected(select: Iterable[str] = DEFAULT, ignore: Iterable[str] = ()) -> list[Rule]:
    """The rules that `select` picks and `ignore` does not, in code order: by default every
    rule but the info-level notes; ("ALL",) every rule."""
    select, ignore = tuple(select), tuple(ignore)
    return [r for r in ordered() if is_selected(r.code, select, ignore)]


def ordered() -> list[Rule]:
    """Every rule, family by family in FAMILIES' order, then by code."""
    families = list(FAMILIES)
    return sorted(RULES.values(), key=lambda r: (families.index(r.code[0]), r.code))
