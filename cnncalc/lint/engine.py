"""Run the selected rules over an analysed network and honour the spec's suppressions."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..analysis import Analysis, analyze
from ..build import Node, build
from ..spec import NetSpec, load_file
from .diagnostic import Diagnostic
from .registry import DEFAULT, Finding, Rule, matches, selected
from .subject import Subject


def lint_analysis(analysis: Analysis, select: Iterable[str] = DEFAULT,
                  ignore: Iterable[str] = ()) -> list[Diagnostic]:
    """Every finding of the selected rules (by default all but the info-level notes), minus
    those the spec suppresses, in file order. The spec's `budget:` and `lint:` were checked
    when it was parsed: nothing here refuses a spec that another command accepts.
    """
    file_ignores = analysis.spec.lint_ignore
    subject = Subject.of(analysis)
    # every copy of a repeated block carries its entry's `lint: {ignore}`: each distinct
    # list becomes a set once, so a long list on a repeated block costs no product of sizes
    as_sets: dict[tuple[str, ...], frozenset[str]] = {}

    def silenced(code: str, node: Node | None) -> bool:
        if node is None or not node.lint_ignore:
            return False
        wanted = as_sets.get(node.lint_ignore)
        if wanted is None:
            wanted = as_sets[node.lint_ignore] = frozenset(node.lint_ignore)
        return matches(code, wanted)

    rules = [r for r in selected(select, ignore)
             if r.check is not None and not matches(r.code, file_ignores)]
    found = [_diagnostic(r, f) for r in rules for f in r.check(subject)  # type: ignore[misc]
             if not silenced(r.code, f.node)]
    # a block's layers share their entry's line: keep execution order among equals
    return sorted(dict.fromkeys(found), key=lambda d: d.sort_key)


def lint_spec(spec: NetSpec, select: Iterable[str] = DEFAULT,
              ignore: Iterable[str] = ()) -> list[Diagnostic]:
    return lint_analysis(analyze(build(spec)), select, ignore)


def lint_file(path: str | Path, select: Iterable[str] = DEFAULT,
              ignore: Iterable[str] = ()) -> list[Diagnostic]:
    """Load, build, analyse and lint one spec file (SpecError if it cannot be read)."""
    return lint_spec(load_file(path), select, ignore)


def _diagnostic(rule: Rule, finding: Finding) -> Diagnostic:
    where = finding.location
    return Diagnostic(rule.code, rule.name, rule.severity, where.file, where.line, where.column,
                      finding.message)
