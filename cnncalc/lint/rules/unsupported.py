"""X: unknown and unsupported constructs. What the linter cannot judge is said, never
skipped in silence."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...errors import Location
from ...spec.yamlpos import Mapping, Sequence
from ..diagnostic import Severity
from ..registry import Finding, rule, unknown_patterns
from ..subject import Subject, label

# The families the rules are written for; a layer of any other family escapes them.
KNOWN_FAMILIES = ("conv", "pool", "dense", "norm", "activation", "regularization", "reshape",
                  "merge")


def lint_settings(value: Any) -> Iterator[tuple[str, Location]]:
    """Every code named in a `lint: {ignore: [...]}` anywhere in a spec, with its place, in
    document order. A stack, not recursion: a deeply nested spec cannot exhaust Python's."""
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            lint = value.get("lint")
            if isinstance(lint, Mapping) and isinstance(lint.get("ignore"), Sequence):
                codes = lint["ignore"]
                for index, code in enumerate(codes):
                    if isinstance(code, str):
                        yield code, codes.where(index)
            stack.extend(reversed([inner for key, inner in value.items() if key != "lint"]))
        elif isinstance(value, Sequence):
            stack.extend(reversed(value))


@rule("X101", "unknown-rule-code", Severity.WARNING)
def unknown_rule_code(subject: Subject) -> Iterator[Finding]:
    """A `lint: {ignore: [...]}` naming a code (or prefix) that no rule has.

    Why: a mistyped code suppresses nothing, so the finding it was meant to silence stays,
    and the reader believes a decision was recorded that was not.

    Example:
        layers:
          - dense: {units: 4096}
            lint: {ignore: [P012]}      # P102 was meant

    Fix: use a code that `cnncalc rules` lists, or a prefix of one ('P', 'P1').
    """
    for code, where in lint_settings(subject.analysis.spec.root):
        if unknown_patterns([code]):
            yield Finding(where, f"'{code}' is no rule code or prefix; see `cnncalc rules`")


@rule("X102", "unknown-layer-family", Severity.ERROR)
def unknown_layer_family(subject: Subject) -> Iterator[Finding]:
    """A layer whose family the lint rules do not know.

    Why: the rules judge layers by their family (conv, pool, dense, norm, activation,
    regularization, reshape, merge). A layer kind of another family, added to the
    calculator without rules for it, would pass every check unexamined; the linter says so
    instead of reporting a clean network.

    Example:
        layers:
          - my_attention: {heads: 8}     # a new layer kind with family 'attention'

    Fix: teach the rules the new family (cnncalc/lint), or give the kind one of the known
    families if it behaves like one.
    """
    for row in subject.rows:
        family = row.node.layer.family
        if family not in KNOWN_FAMILIES:
            yield Finding(row.node.location, f"{label(row.node)}: family '{family or '(none)'}'"
                                             f" is unknown to the lint rules; it is not "
                                             f"checked", row.node)
