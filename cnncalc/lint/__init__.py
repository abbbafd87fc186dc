"""cnncalc's linter: rules with codes over an analysed network, budgets, and the document
check. `lint_file(path)` returns diagnostics; it never prints."""
# the rule families register their codes on import; markdown is the document check
from . import markdown, rules  # noqa: F401
from .diagnostic import Diagnostic, Severity
from .engine import lint_analysis, lint_file, lint_spec
from .registry import ALL, DEFAULT, RULES, Rule, selected

__all__ = ["ALL", "DEFAULT", "RULES", "Diagnostic", "Rule", "Severity", "lint_analysis",
           "lint_file", "lint_spec", "selected"]
