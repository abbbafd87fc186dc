"""D: design documents. What `cnncalc check` finds in a Markdown document rather than in a
spec: a generated region that no longer equals what cnncalc renders (markdown.py finds the
regions and calls this)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..diagnostic import Diagnostic, Severity
from ..registry import RULES, document_rule

if TYPE_CHECKING:
    from ..markdown import Region


def stale_table(path: str, region: Region, content: str, wanted: str) -> Diagnostic:
    """A generated region of a design document that no longer equals what cnncalc renders.

    Why: a design document's tables (shapes, parameters, receptive fields, the rules) are
    claims about the arithmetic; when the spec changes and the document does not, readers
    trust figures that are no longer true. `cnncalc check` in CI fails on such a document.

    Example:
        <!-- cnncalc:summary examples/resnet18.yaml -->
        (the table as cnncalc rendered it before the spec changed)
        <!-- /cnncalc -->

    Fix: run `cnncalc check --fix DOC.md`: it rewrites the stale regions in place and
    touches nothing else in the file.
    """
    old, new = content.splitlines(), wanted.splitlines()
    first = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old),
                                                                             len(new)))
    line = region.line + 1 + first
    reads = old[first] if first < len(old) else "(the end of the region)"
    renders = new[first] if first < len(new) else "(the end of the region)"
    what = f"the {region.view} table of '{region.target}'" if region.target else \
        f"the cnncalc:{region.view} region"
    if not content.strip():
        return Diagnostic("D101", "stale-table", RULES["D101"].severity, path, region.line, 1,
                          f"{what} is empty; run `cnncalc check --fix`")
    return Diagnostic("D101", "stale-table", RULES["D101"].severity, path, region.line, 1,
                      f"{what} is stale: line {line} reads {reads[:60]!r}, cnncalc renders "
                      f"{renders[:60]!r}; run `cnncalc check --fix`")


document_rule("D101", "stale-table", Severity.ERROR, stale_table)
