"""`cnncalc check` on Markdown: lint the specs a design document holds, and keep the tables
it shows equal to what cnncalc computes now.

Two constructs are recognised:

- a fenced block with the info string `cnncalc`, holding a spec inline or, on one line, the
  path of a spec file (relative to the document). It is linted, expectations and budgets
  included; findings in an inline spec point at the document's lines. A ```cnncalc block
  that is never closed is an error.
- a region between `<!-- cnncalc:VIEW PATH [OPTIONS] -->` and `<!-- /cnncalc -->`, VIEW one
  of shapes, params, rf, summary (the table of the spec at PATH, relative to the document),
  a picture view (cnncalc/pictures.py: `diagram`, a ```mermaid block), or
  `<!-- cnncalc:rules -->` (the rules table) and `<!-- cnncalc:rules-doc -->` (every
  rule's documentation), `<!-- cnncalc:kinds -->` (the layer kinds table) and
  `<!-- cnncalc:kinds-doc -->` (every kind's arguments and equivalents). Its content must
  be a blank line, the rendering, a blank line. OPTIONS: `--depth N` (tables and
  pictures: cut at block level N, as the commands' --depth) and, for a picture view,
  `-o FILE.svg|png` (relative to the document, inside the repository): the region then
  holds the image link `![name](FILE)` and the file must carry the stamp of what cnncalc
  draws now (cnncalc/stamp.py); `check` reads the stamp, `check --fix` redraws the file.

Markers that are examples are not regions and are never rewritten: those inside another
fenced block (``` or ~~~), an indented code block (four columns in, after a blank line, as
CommonMark has it) or an HTML comment that spans lines. As in CommonMark, a fence or a
comment that is never closed runs to the end of the document. Paths named in a document
resolve inside the repository root unless the run allows outside paths (`SpecFiles`).
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..analysis import Analysis
from ..errors import Location, SpecError
from ..files import inside, read_bytes, repository_root
from ..pictures import PICTURES, ViewOptions, draw, expected_stamp, inline_of, source_of
from ..report import VIEWS, render
from ..spec import parse
from ..stamp import read_stamp
from ..text import one_line
from .diagnostic import Diagnostic
from .docs import all_rules, kinds_doc, kinds_table, rules_markdown, rules_table
from .engine import lint_spec
from .registry import DEFAULT, is_selected
from .rules.documents import stale_picture, stale_table
from .sources import SpecFiles

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_OPEN = re.compile(r"^( {0,3}<!--\s*cnncalc:)([\w-]+)(\s.*?)?\s*-->\s*$")
_TOKEN = re.compile(r"\S+")
_PICTURE_PATH = re.compile(r"[A-Za-z0-9_.\-/]+")
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
    """A generated region: its view, spec path, marker line and content span, and the
    marker's other words with their columns (options, read by `marker_options`)."""

    view: str
    target: str | None
    line: int
    start: int   # offset of the content (just after the opening marker's line)
    end: int     # offset of the closing marker's line
    words: tuple[tuple[str, int], ...] = ()  # (word, 1-based column) after the path


@dataclass(frozen=True)
class Options:
    """A marker's options: the view's (`--depth N` and any a picture view declares) and a
    picture's `-o FILE` as written, with the path it names (relative to the working
    folder) and its format."""

    view: ViewOptions
    output: str | None = None
    output_path: str | None = None
    fmt: str | None = None


@dataclass(frozen=True)
class PictureFile:
    """A picture a region embeds that is missing or stale: what to draw, and where."""

    view: str
    fmt: str
    source: str
    path: str        # where to write it (relative to the working folder)
    shown: str       # the path as the marker wrote it (relative to the document)
    document: str
    line: int        # the marker's line

    def draw(self) -> bytes:
        """The stamped picture (raises pictures.RendererMissing or DrawingError)."""
        return draw(self.view, self.fmt, self.source)


@dataclass(frozen=True)
class DocumentCheck:
    """What checking one document found, its text with every region mended, and the
    pictures to draw for it (missing or stale); nothing is written here."""

    diagnostics: tuple[Diagnostic, ...]
    stale: int
    mended: str
    pictures: tuple[PictureFile, ...] = ()


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
            regions.append(_region(opened[0], opened[1], opened[2], here))
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


def _region(marker: re.Match[str], line: int, start: int, end: int) -> Region:
    """A region from its opening marker: the first word is the spec path, unless it is an
    option; every other word is kept with its column for `marker_options`."""
    column = len(marker.group(1)) + len(marker.group(2)) + 1
    words = [(m.group(), column + m.start()) for m in _TOKEN.finditer(marker.group(3) or "")]
    target = None
    if words and not words[0][0].startswith("-"):
        target = words.pop(0)[0]
    return Region(marker.group(2), target, line, start, end, tuple(words))


def _option_names(view: str) -> tuple[str, ...]:
    if view in PICTURES:
        return (*PICTURES[view].options, "-o")
    return ("--depth",) if view in VIEWS else ()


def marker_options(region: Region, document: str, root: Path) -> Options:
    """The options a region's marker gives, checked: each known to the view and given
    once, a depth a whole number, a picture file .svg or .png inside `root`. Raises a
    SpecError at the offending word (DOC:LINE:COL)."""
    known = _option_names(region.view)
    given: dict[str, tuple[str, int]] = {}
    words = list(region.words)
    while words:
        name, column = words.pop(0)
        where = Location(document, region.line, column)
        if name not in known:
            expected = f"; expected {', '.join(known)}" if known else ""
            what = "option" if name.startswith("-") else "argument"
            raise SpecError.at(where, f"cnncalc:{region.view} takes no {what} "
                                      f"{one_line(name)!r}{expected}")
        if name in given:
            raise SpecError.at(where, f"{name} is given twice")
        if not words or words[0][0].startswith("-"):
            raise SpecError.at(where, f"{name} needs a value")
        given[name] = words.pop(0)
    depth = None
    if "--depth" in given:
        text, column = given["--depth"]
        if not (text.isascii() and text.isdigit() and len(text) <= 4):
            raise SpecError.at(Location(document, region.line, column),
                               f"--depth takes a nesting level, 0 or more; found "
                               f"{one_line(text)!r}")
        depth = int(text)
    view = ViewOptions(depth, tuple((name, value) for name, (value, _) in given.items()
                                    if name not in ("--depth", "-o")))
    if "-o" not in given:
        return Options(view)
    text, column = given["-o"]
    where = Location(document, region.line, column)
    fmt = os.path.splitext(text)[1].lower().lstrip(".")
    if not _PICTURE_PATH.fullmatch(text) or fmt not in ("svg", "png"):
        raise SpecError.at(where, f"-o takes a picture file ending in .svg or .png, its "
                                  f"name letters, digits and . _ - /; found "
                                  f"{one_line(text)!r}")
    path = os.path.normpath(os.path.join(os.path.dirname(document), text))
    if os.path.isabs(text) or not inside(path, root):
        raise SpecError.at(where, f"-o {one_line(text)!r} resolves outside the repository "
                                  f"root ({root}); a picture stays inside it")
    return Options(view, text, path, fmt)


def _spec(region: Region, document: str, specs: SpecFiles) -> Analysis:
    where = Location(document, region.line, 1)
    if not region.target:
        raise SpecError.at(where, f"cnncalc:{region.view} needs a spec path: "
                                  f"<!-- cnncalc:{region.view} examples/net.yaml -->")
    return specs.analysis(specs.named(document, region.target, where))


def _alt_text(text: str) -> str:
    """A spec's name as an image's alt text: letters, digits, space, '.', '_' and '-'."""
    return re.sub(r"[^\w .-]", "_", one_line(text))


def rendering(region: Region, document: str, specs: SpecFiles
              ) -> tuple[str, PictureFile | None]:
    """What cnncalc renders for a region now, and for a picture region the picture it
    embeds (to be checked against the file's stamp)."""
    where = Location(document, region.line, 1)
    if region.view in GENERATED:
        if region.target or region.words:
            raise SpecError.at(where, f"cnncalc:{region.view} takes no spec path or "
                                      f"options")
        return GENERATED[region.view](), None
    if region.view not in VIEWS and region.view not in PICTURES:
        raise SpecError.at(where, f"unknown cnncalc view '{region.view}'; expected "
                                  f"{', '.join((*VIEWS, *PICTURES, *GENERATED))}")
    options = marker_options(region, document, specs.root)
    analysis = _spec(region, document, specs)
    try:
        if region.view in VIEWS:
            return render(analysis, region.view, "markdown", options.view.depth), None
        if options.output is None:
            return inline_of(region.view, analysis, options.view), None
    except ValueError as err:
        raise SpecError.at(where, str(err)) from None
    assert options.output_path and options.fmt
    picture = PictureFile(region.view, options.fmt,
                          source_of(region.view, analysis, options.view),
                          options.output_path, options.output, document, region.line)
    return f"![{_alt_text(analysis.spec.name)}]({options.output})", picture


def picture_state(picture: PictureFile) -> str | None:
    """None when the file carries the stamp of what cnncalc draws now; else 'missing',
    'unstamped' (not a picture cnncalc made, or unreadable) or 'stale'."""
    try:
        data = read_bytes(picture.path, "picture")
    except SpecError:
        return "missing" if not os.path.lexists(picture.path) else "unstamped"
    found = read_stamp(data)
    if found is None:
        return "unstamped"
    return None if found == expected_stamp(picture.view, picture.fmt, picture.source) \
        else "stale"


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
    pictures: list[PictureFile] = []
    for region in regions:
        body, picture = rendering(region, path, specs)
        body = body.replace("\n", newline)
        wanted = f"{newline}{body}{newline}{newline}"
        content = text[region.start:region.end]
        if content != wanted:
            stale += 1
            if is_selected("D101", select, ignore):
                found.append(stale_table(path, region, content, wanted))
        state = picture_state(picture) if picture else None
        if picture and state:
            pictures.append(picture)
            if is_selected("D102", select, ignore):
                found.append(stale_picture(path, region, picture.shown, state))
        pieces += [text[cursor:region.start], wanted]
        cursor = region.end
    pieces.append(text[cursor:])
    return DocumentCheck(tuple(sorted(found, key=lambda d: d.sort_key)), stale,
                         "".join(pieces), tuple(pictures))
