"""The rules' documentation as text, Markdown or JSON: `cnncalc rules`, docs/rules.md and
the README's rules table all come from here, so they cannot drift from the code. The layer
kinds' table and reference in docs/spec.md come from the kinds' declarations the same way
(cnncalc/quick.py renders them)."""
from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterable

from .registry import FAMILIES, USE_INSTEAD_HEADING, Rule, ordered

HEADINGS = ("Why:", "Example:", USE_INSTEAD_HEADING, "Fix:", "Reference:")
CODE_HEADINGS = ("Example:", USE_INSTEAD_HEADING)  # their paragraphs are code blocks


def severity_text(rule: Rule) -> str:
    """'warning', or 'info, opt-in' for a rule the default selection leaves out."""
    return rule.severity.value + ("" if rule.default else ", opt-in")


def opt_in_text(rule: Rule) -> str:
    return (f"Off by default, like every info-level note: run it with `--select {rule.code}` "
            f"(or a prefix of it, `ALL`, or `DEFAULT,{rule.code}`), or name it in `select` "
            f"under `[tool.cnncalc]`.")


def rules_table(rules: Iterable[Rule]) -> str:
    """A Markdown table: code, name, severity, what the rule finds."""
    lines = ["| Code | Name | Severity | What it finds |", "|---|---|---|---|"]
    lines += [f"| {r.code} | `{r.name}` | {severity_text(r)} | {r.summary} |" for r in rules]
    return "\n".join(lines)


def by_family(rules: Iterable[Rule]) -> list[tuple[str, list[Rule]]]:
    """Consecutive rules of one family together: [('S', [S101, ...]), ...]."""
    groups: list[tuple[str, list[Rule]]] = []
    for r in rules:
        if not groups or groups[-1][0] != r.code[0]:
            groups.append((r.code[0], []))
        groups[-1][1].append(r)
    return groups


def rules_text(rules: Iterable[Rule]) -> str:
    """One line per rule, grouped by family, for the terminal."""
    return "\n\n".join(
        f"{family}: {FAMILIES[family]}\n" + "\n".join(
            f"  {r.code}  {r.name:<32} {severity_text(r):<13} {r.summary}" for r in group)
        for family, group in by_family(rules))


def rule_text(rule: Rule) -> str:
    text = f"{rule.code} {rule.name} ({severity_text(rule)}; {rule.family})\n\n{rule.doc}"
    return text if rule.default else f"{text}\n\n{textwrap.fill(opt_in_text(rule), 88)}"


def fenced(code: str, language: str) -> str:
    """A fenced code block whose fence is longer than any run of backticks in the code."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{code}\n{fence}"


def rule_markdown(rule: Rule, level: int = 3) -> str:
    """One rule's documentation as a Markdown section; the example and the passing fixture
    ("Use instead") become code blocks."""
    parts = [f"{'#' * level} {rule.code} `{rule.name}` ({severity_text(rule)})"]
    for paragraph in rule.sections:
        head = next((h for h in HEADINGS if paragraph.startswith(h)), None)
        if head in CODE_HEADINGS:
            code = textwrap.dedent(paragraph[len(head):].strip("\n"))
            parts.append(f"**{head}**\n\n{fenced(code, rule.language)}")
        elif head:
            words = " ".join(paragraph[len(head):].split())
            parts.append(f"**{head[:-1]}.** {words[:1].upper()}{words[1:]}")
        else:
            parts.append(" ".join(paragraph.split()))
    if not rule.default:
        parts.insert(2, f"*{opt_in_text(rule)}*")
    return "\n\n".join(parts)


def rules_markdown(rules: Iterable[Rule]) -> str:
    """Every rule's full documentation, by family."""
    return "\n\n".join(f"## {family}: {FAMILIES[family]}\n\n" + "\n\n".join(
        rule_markdown(r) for r in group) for family, group in by_family(rules))


def rules_json(rules: Iterable[Rule]) -> str:
    return json.dumps([{"code": r.code, "name": r.name, "severity": r.severity.value,
                        "default": r.default, "family": r.family, "summary": r.summary,
                        "doc": r.doc, "use_instead": r.use_instead}
                       for r in rules], indent=2)


def all_rules() -> list[Rule]:
    return ordered()


def kinds_table() -> str:
    """`<!-- cnncalc:kinds -->`: every kind with aliases, arguments, PyTorch and Keras."""
    from ..quick import kinds_markdown

    return kinds_markdown()


def kinds_doc() -> str:
    """`<!-- cnncalc:kinds-doc -->`: every kind's description and arguments' meanings."""
    from ..quick import kinds_reference

    return kinds_reference()
