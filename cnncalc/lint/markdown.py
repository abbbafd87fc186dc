"""`cnncalc check` on Markdown: lint the specs a design document holds, and keep the tables
it shows equal to what cnncalc computes now.

Two constructs are recognised:

- a fenced block with the info string `cnncalc`, holding a spec inline or, on one line, the
  path of a spec file (relative to the document). It is linted, expectations and budgets
  included; findings in an inline spec point at the document's lines. A ```cnncalc block
  that is never closed is an error.
- a region between `<!-- cnncalc:VIEW PATH -->` and `<!-- /cnncalc -->`, VIEW one of
  shapes, params, rf, summary (the table of the spec at PATH, relative to the document),
  or `<!-- cnncalc:rules -->` (the rules table) and `<!-- cnncalc:rules-doc -->` (every
  rule's documentation), `<!-- cnncalc:kinds -->` (the layer kinds table) and
  `<!-- cnncalc:kinds-doc -->` (every kind's arguments and equivalents). Its content must
  be a blank line, the rendering, a blank line.

Markers that are examples are not regions and are never rewritten: those inside another
fenced block (``` or ~~~), an indented code block (four columns in, after a blank line, as
CommonMark has it) or an HTML comment that spans lines. As in CommonMark, a fence or a
comment that is never closed runs to the end of the document. Paths named in a document
resolve inside the repository root unless the run allows outside paths (`SpecFiles`).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..errors import Location, SpecError
from ..files import repository_root
from ..report import VIEWS, render
from ..spec import parse
from .diagnostic import Diagnostic
from .docs import all_rules, kinds_doc, kinds_table, rules_markdown, rules_table
from .engine import lint_spec
from .registry import DEFAULT, matches
from .rules.documents import stale_table
from .sources import SpecFiles

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_OPEN = re.compile(r"^ {0,3}<!--\s*cnncalc:([\w-]+)(?:\s+(\S+))?\s*-->\s*$")
_CLOSE = re.compile(r"^ {0,3}<!--\s*/cnncalc\s*-->\s*$")
_COMMENT = re.compile(r"<!--.*?-->")
_COMMENT_START = re.compile(r"^ {0,3}<!--")
_HEADING = re.compile(r"^ {0,3}(#{1,6}(\s|$)|([-*_])(\s*\3){2,}\s*$)")
GENERATED = {"rules": lambda: rules_table(all_rules()),
             "rules-doc": lambda: rules_markdown(all_rules()),
             "kinds": lambda: kinds_table(),
             "kinds-doc": lambda: kinds_doc()}


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


@dataclass(frozen=True)
class _Fence:
    marker: str      # the opening run of backticks or tildes
    line: int        # the fence's own line
    cnncalc: bool


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` with their endings, split at '\n' only (as editors number
    them; str.splitlines would also split at form feeds and Unicode separators)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _indent(line: str) -> int:
    """The columns of leading blanks, a tab advancing to the next multiple of four."""
    columns = 0
    for char in line:
        if char == " ":
            columns += 1
        elif char == "\t":
            columns += 4 - columns % 4
        else:
            break
    return columns


def _closes(fence: _Fence, match: re.Match[str] | None) -> bool:
    """A closing fence: the same character, at least as many, nothing after."""
    if match is None:
        return False
    run, rest = match.group(1), match.group(2)
    return run[0] == fence.marker[0] and len(run) >= len(fence.marker) and not rest.strip()


def scan(text: str, path: str) -> tuple[list[SpecBlock], list[Region]]:
    """Find the cnncalc fenced blocks and generated regions; markers inside code blocks
    and HTML comments are examples, not regions. A malformed marker or an unclosed
    ```cnncalc block is a located SpecError."""
    blocks: list[SpecBlock] = []
    regions: list[Region] = []
    fence: _Fence | None = None
    body: list[str] = []
    comment = False          # inside an HTML comment that opened on an earlier line
    code = False             # inside an indented code block
    may_start_code = True    # an indented line here starts code (not a paragraph's line)
    opened: tuple[re.Match[str], int, int] | None = None
    offset = 0
    for number, line in enumerate(_lines(text), start=1):
        bare = line.rstrip("\r\n")
        blank = not bare.strip()
        here, offset = offset, offset + len(line)
        if fence is not None:
            if _closes(fence, _FENCE.match(bare)):
                if fence.cnncalc:
                    blocks.append(SpecBlock(fence.line + 1, "".join(body)))
                fence, body, may_start_code = None, [], True
            else:
                body.append(line)
            continue
        if comment:
            # an example may hold whole marker comments; what is left closes the outer one
            comment = "-->" not in _COMMENT.sub("", bare)
            may_start_code = not comment
            continue
        if code and (blank or _indent(bare) >= 4):
            continue
        code = False
        if not blank and _indent(bare) >= 4 and may_start_code:
            code = True
            continue
        may_start_code = blank or bool(_HEADING.match(bare))
        match = _FENCE.match(bare)
        if match and not (match.group(1)[0] == "`" and "`" in match.group(2)):
            info = match.group(2).strip().split()
            fence = _Fence(match.group(1), number, bool(info) and info[0] == "cnncalc")
        elif _OPEN.match(bare):
            if opened:
                raise SpecError.at(Location(path, number, 1), f"a cnncalc marker opens "
                                                              f"before the one at line "
                                                              f"{opened[1]} is closed")
            opened = (_OPEN.match(bare), number, offset)  # type: ignore[assignment]
            may_start_code = True
        elif _CLOSE.match(bare):
            if not opened:
                raise SpecError.at(Location(path, number, 1), "<!-- /cnncalc --> closes no "
                                                              "marker")
            regions.append(Region(opened[0].group(1), opened[0].group(2), opened[1],
                                  opened[2], here))
            opened, may_start_code = None, True
        elif _COMMENT_START.match(bare) and "<!--" in _COMMENT.sub("", bare):
            comment = True
    if fence is not None and fence.cnncalc:
        raise SpecError.at(Location(path, fence.line, 1), f"this {fence.marker}cnncalc block "
                                                          f"is never closed by a line of "
                                                          f"{fence.marker}")
    if opened:
        raise SpecError.at(Location(path, opened[1], 1), "this cnncalc marker is never closed "
                                                         "by <!-- /cnncalc -->")
    return blocks, regions


def rendering(region: Region, document: str, specs: SpecFiles) -> str:
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
    path = specs.named(document, region.target, where)
    return render(specs.analysis(path), region.view, "markdown")


def check_document(path: str, text: str, select: Iterable[str] = DEFAULT,
                   ignore: Iterable[str] = (), specs: SpecFiles | None = None
                   ) -> DocumentCheck:
    """Lint the document's specs and compare its regions; `mended` has every region fixed.
    Nothing is written: the caller writes `mended` only when this returns.

    Raises SpecError when a spec or marker cannot be read, or a path leads outside the
    repository root (`specs` says where the root is; the current one by default).
    """
    select, ignore = tuple(select), tuple(ignore)
    if specs is None:
        specs = SpecFiles(repository_root(), select=select, ignore=ignore)
    newline = "\r\n" if "\r\n" in text else "\n"
    blocks, regions = scan(text, path)
    found: list[Diagnostic] = []
    for block in blocks:
        lines = [line for line in block.text.splitlines() if line.strip()]
        if len(lines) == 1 and ":" not in lines[0]:
            where = Location(path, block.line + block.text.splitlines().index(lines[0]), 1)
            found += specs.lint(specs.named(path, lines[0].strip(), where))
        else:
            found += lint_spec(parse(block.text, path, block.line - 1), select, ignore)
    pieces, cursor, stale = [], 0, 0
    for region in regions:
        body = rendering(region, path, specs).replace("\n", newline)
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
