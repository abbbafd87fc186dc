"""`cnncalc check` on Markdown: lint the specs a design document holds, and keep the tables
it shows equal to what cnncalc computes now.

Two constructs are recognised (outside other fenced code blocks):

- a fenced block with the info string `cnncalc`, holding a spec inline or, on one line, the
  path of a spec file (relative to the document). It is linted, expectations and budgets
  included; findings in an inline spec point at the document's lines.
- a region between `<!-- cnncalc:VIEW PATH -->` and `<!-- /cnncalc -->`, VIEW one of
  shapes, params, rf, summary (the table of the spec at PATH, relative to the document),
  or `<!-- cnncalc:rules -->` (the rules table) and `<!-- cnncalc:rules-doc -->` (every
  rule's documentation). Its content must be a blank line, the rendering, a blank line.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..analysis import analyze_file
from ..errors import Location, SpecError
from ..report import VIEWS, render
from ..spec import parse
from .diagnostic import Diagnostic, Severity
from .docs import all_rules, rules_markdown, rules_table
from .engine import lint_file, lint_spec
from .registry import RULES, document_rule, matches

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_OPEN = re.compile(r"^\s*<!--\s*cnncalc:([\w-]+)(?:\s+(\S+))?\s*-->\s*$")
_CLOSE = re.compile(r"^\s*<!--\s*/cnncalc\s*-->\s*$")
GENERATED = {"rules": lambda: rules_table(all_rules()),
             "rules-doc": lambda: rules_markdown(all_rules())}


@dataclass(frozen=True)
class SpecBlock:
    """A ```cnncalc fenced block: its first content line (1-based) and its text."""

    line: int
    text: str


@dataclass(frozen=True)
class Region:
    """A generated region: its view, spec path, marker line and content span."""

    view: str
    target: str | None
    line: int
    start: int   # offset of the content (just after the opening marker's line)
    end: int     # offset of the closing marker's line


@dataclass(frozen=True)
class DocumentCheck:
    """What checking one document found, and its text with every region mended."""

    diagnostics: tuple[Diagnostic, ...]
    stale: int
    mended: str


def scan(text: str, path: str) -> tuple[list[SpecBlock], list[Region]]:
    """Find the cnncalc fenced blocks and generated regions (markers inside other fenced
    blocks are examples, not regions). A malformed marker is a located SpecError."""
    blocks: list[SpecBlock] = []
    regions: list[Region] = []
    fence: tuple[str, int, bool] | None = None   # (marker, first body line, is cnncalc)
    body: list[str] = []
    opened: tuple[re.Match[str], int, int] | None = None
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        bare = line.rstrip("\r\n")
        match = _FENCE.match(bare)
        if fence is not None:
            if match and match.group(1)[0] == fence[0][0] and len(match.group(1)) >= len(
                    fence[0]) and not match.group(2).strip():
                if fence[2]:
                    blocks.append(SpecBlock(fence[1], "".join(body)))
                fence, body = None, []
            else:
                body.append(line)
        elif match:
            info = match.group(2).strip().split()
            fence = (match.group(1), number + 1, bool(info) and info[0] == "cnncalc")
        elif _OPEN.match(bare):
            if opened:
                raise SpecError.at(Location(path, number, 1), f"a cnncalc marker opens "
                                                              f"before the one at line "
                                                              f"{opened[1]} is closed")
            opened = (_OPEN.match(bare), number, offset + len(line))  # type: ignore[assignment]
        elif _CLOSE.match(bare):
            if not opened:
                raise SpecError.at(Location(path, number, 1), "<!-- /cnncalc --> closes no "
                                                              "marker")
            regions.append(Region(opened[0].group(1), opened[0].group(2), opened[1],
                                  opened[2], offset))
            opened = None
        offset += len(line)
    if opened:
        raise SpecError.at(Location(path, opened[1], 1), "this cnncalc marker is never closed "
                                                         "by <!-- /cnncalc -->")
    return blocks, regions


def _relative(document: str, target: str) -> str:
    return os.path.normpath(os.path.join(os.path.dirname(document), target))


def _spec_path(document: str, target: str, where: Location) -> str:
    path = _relative(document, target)
    if not Path(path).is_file():
        raise SpecError.at(where, f"no spec file '{target}' (looked for {path}, relative to "
                                  f"the document)")
    return path


def rendering(region: Region, document: str) -> str:
    """What cnncalc renders for a region now."""
    where = Location(document, region.line, 1)
    if region.view in GENERATED:
        if region.target:
            raise SpecError.at(where, f"cnncalc:{region.view} takes no spec path")
        return GENERATED[region.view]()
    if region.view not in VIEWS:
        raise SpecError.at(where, f"unknown cnncalc view '{region.view}'; expected "
                                  f"{', '.join((*VIEWS, *GENERATED))}")
    if not region.target:
        raise SpecError.at(where, f"cnncalc:{region.view} needs a spec path: "
                                  f"<!-- cnncalc:{region.view} examples/net.yaml -->")
    return render(analyze_file(_spec_path(document, region.target, where)), region.view,
                  "markdown")


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


def check_document(path: str, text: str, select: Iterable[str] = ("ALL",),
                   ignore: Iterable[str] = ()) -> DocumentCheck:
    """Lint the document's specs and compare its regions; `mended` has every region fixed.

    Raises SpecError when a spec or marker cannot be read.
    """
    select, ignore = tuple(select), tuple(ignore)
    newline = "\r\n" if "\r\n" in text else "\n"
    blocks, regions = scan(text, path)
    found: list[Diagnostic] = []
    for block in blocks:
        lines = [line for line in block.text.splitlines() if line.strip()]
        if len(lines) == 1 and ":" not in lines[0]:
            spec_file = _spec_path(path, lines[0].strip(), Location(path, block.line, 1))
            found += lint_file(spec_file, select, ignore)
        else:
            found += lint_spec(parse(block.text, path, block.line - 1), select, ignore)
    pieces, cursor, stale = [], 0, 0
    for region in regions:
        body = rendering(region, path).replace("\n", newline)
        wanted = f"{newline}{body}{newline}{newline}"
        content = text[region.start:region.end]
        if content != wanted:
            stale += 1
            if matches("D101", select) and not matches("D101", ignore):
                found.append(stale_table(path, region, content, wanted))
        pieces += [text[cursor:region.start], wanted]
        cursor = region.end
    pieces.append(text[cursor:])
    return DocumentCheck(tuple(sorted(found, key=lambda d: d.sort_key)), stale,
                         "".join(pieces))
