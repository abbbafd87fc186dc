"""cnncalc's linter: rules with codes over an analysed network, budgets, and the document
check. `lint_file(path)` returns diagnostics; it never prints."""
from . import budget, cost, order, portability, receptive_field, shapes, unsupported  # noqa: F401
from .diagnostic import Diagnostic, Severity
from .engine import lint_analysis, lint_file, lint_spec
from .registry import RULES, Rule, selected
from . import markdown  # noqa: E402,F401  (registers D101)

__all__ = ["Diagnostic", "RULES", "Rule", "Severity", "lint_analysis", "lint_file",
           "lint_spec", "selected"]
