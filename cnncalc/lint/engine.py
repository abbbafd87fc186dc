"""Run the selected rules over an analysed network and honour the spec's suppressions."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ..analysis import Analysis, analyze
from ..build import Node, build
from ..errors import SpecError
from ..spec import NetSpec, load_file
from ..yamlpos import Sequence
from .diagnostic import Diagnostic
from .registry import DEFAULT, Finding, Rule, matches, selected
from .rules.budget import parse_budget
from .subject import Subject

SPEC_LINT_KEYS = ("ignore",)


def spec_ignores(spec: NetSpec) -> tuple[str, ...]:
    """The codes a spec's top-level `lint: {ignore: [...]}` silences for the whole file."""
    if spec.lint is None:
        return ()
    for key in spec.lint:
        if key not in SPEC_LINT_KEYS:
            raise SpecError.at(spec.lint.where_key(key), f"unknown lint setting '{key}'; "
                                                         f"expected ignore: [CODE, ...]")
    codes = spec.lint.get("ignore", Sequence())
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise SpecError.at(spec.where("lint"), "'lint' must be {ignore: [CODE, ...]}")
    return tuple(codes)


def lint_analysis(analysis: Analysis, select: Iterable[str] = DEFAULT,
                  ignore: Iterable[str] = ()) -> list[Diagnostic]:
    """Every finding of the selected rules (by default all but the info-level notes), minus
    those the spec suppresses, in file order.

    Raises SpecError for a malformed `budget:` or `lint:` (the spec is unreadable as such).
    """
    spec = analysis.spec
    file_ignores = spec_ignores(spec)
    if spec.budget is not None:
        parse_budget(spec.budget, len(spec.input_shape) - 1)  # refuse it whatever is selected
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
