"""D: design documents. What `cnncalc check` finds in a Markdown document rather than in a
spec: a generated region that no longer equals what cnncalc renders (markdown.py finds the
regions and calls this)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...report import VIEWS
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
    what = f"the cnncalc:{region.view} region"
    if region.target:
        what = f"the {region.view} table of '{region.target}'" if region.view in VIEWS else \
            f"{what} of '{region.target}'"
    if not content.strip():
        return Diagnostic("D101", "stale-table", RULES["D101"].severity, path, region.line, 1,
                          f"{what} is empty; run `cnncalc check --fix`")
    return Diagnostic("D101", "stale-table", RULES["D101"].severity, path, region.line, 1,
                      f"{what} is stale: line {line} reads {reads[:60]!r}, cnncalc renders "
                      f"{renders[:60]!r}; run `cnncalc check --fix`")


document_rule("D101", "stale-table", Severity.ERROR, stale_table)


def stale_picture(path: str, region: Region, picture: str, state: str) -> Diagnostic:
    """A picture a design document embeds is missing, or is not what cnncalc draws now.

    Why: a diagram or plot in a design document is a claim about the network, as its
    tables are; when the spec changes and the picture does not, readers see a network
    that no longer exists. Every picture cnncalc writes carries the digest of what it was
    drawn from (its stamp), so `cnncalc check` tells a stale picture from a current one by
    reading the file, without Graphviz or matplotlib installed.

    Example:
        <!-- cnncalc:diagram examples/resnet18.yaml --depth 1 -o img/resnet18.svg -->
        (the image link, while img/resnet18.svg was drawn before the spec changed, or was
        never drawn, or was edited by hand)
        <!-- /cnncalc -->

    Fix: run `cnncalc check --fix DOC.md` where the renderer is installed (Graphviz's dot
    for a diagram): it redraws the picture and stamps it; commit the file with the spec.
    """
    said = {"missing": "is missing",
            "unstamped": "carries no cnncalc stamp (not drawn by cnncalc, or edited)",
            "stale": "is stale: it was drawn from another spec or other options"}[state]
    return Diagnostic("D102", "stale-picture", RULES["D102"].severity, path, region.line, 1,
                      f"the {region.view} picture {picture} of '{region.target}' {said}; "
                      f"run `cnncalc check --fix`")


document_rule("D102", "stale-picture", Severity.ERROR, stale_picture)
