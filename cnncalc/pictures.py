"""Pictures cnncalc draws into files, and how a design document embeds them: one registry.

A picture view is a name (`diagram`, `plot`) and two functions:

- `source(analysis, options) -> str`: text that fully determines the picture, apart from
  its format (a diagram's DOT text; a plot's canonical JSON of numbers, labels and
  options); `options` is a ViewOptions (the depth, and any other option the view declares);
- `render(source, fmt) -> bytes`: the picture in `fmt` ('svg' or 'png'), drawn by an
  optional program or library, which raises RendererMissing when it is not installed.

Every picture written is stamped (cnncalc/stamp.py) with the digest of
`picture_source(view, fmt, source)`, so `cnncalc check` tells a current picture from a
stale one by reading the stamp, with nothing installed to draw it. A view may also have an
`inline` function, the Markdown a document region shows when it names no file (a diagram's
```mermaid block). Functions are named 'module:function' and imported only when used, so
the calculator never loads a drawing library.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .stamp import digest, stamp

if TYPE_CHECKING:
    from .analysis import Analysis

IMAGE_FORMATS = ("svg", "png")


class DrawingError(Exception):
    """A picture could not be drawn; str() is one line to show."""


class RendererMissing(DrawingError):
    """The program or library that draws a view is not installed; str() says what to
    install and what works without it."""


@dataclass(frozen=True)
class ViewOptions:
    """What a command line or a document marker asked of a view: `depth` (--depth N, a
    block level; None for every layer) and any other option the view declares, as written
    (`('--per', 'block')`, say)."""

    depth: int | None = None
    other: tuple[tuple[str, str], ...] = ()

    def get(self, name: str, default: str | None = None) -> str | None:
        return dict(self.other).get(name, default)


@dataclass(frozen=True)
class PictureView:
    source: str                 # 'module:function' (analysis, ViewOptions) -> str
    render: str                 # 'module:function' (source, fmt) -> bytes
    inline: str | None = None   # 'module:function' (analysis, ViewOptions) -> Markdown
    options: tuple[str, ...] = ("--depth",)  # the options a document marker may give


PICTURES: dict[str, PictureView] = {
    "diagram": PictureView("cnncalc.diagram.views:dot_source",
                           "cnncalc.diagram.graphviz:draw",
                           "cnncalc.diagram.views:mermaid_block"),
    "plot": PictureView("cnncalc.plot:view_source", "cnncalc.plot:draw_source"),
}


def _function(name: str) -> Callable[..., Any]:
    module, attribute = name.split(":")
    function: Callable[..., Any] = getattr(importlib.import_module(module), attribute)
    return function


def source_of(view: str, analysis: Analysis, options: ViewOptions) -> str:
    """The view's source text for `analysis` with `options`."""
    return str(_function(PICTURES[view].source)(analysis, options))


def inline_of(view: str, analysis: Analysis, options: ViewOptions) -> str:
    """The Markdown a region of `view` shows without a file (ValueError if it has none)."""
    inline = PICTURES[view].inline
    if inline is None:
        raise ValueError(f"cnncalc:{view} draws only into a file; give -o FILE.svg")
    return str(_function(inline)(analysis, options))


def picture_source(view: str, fmt: str, source: str) -> str:
    """What a picture's stamp is the digest of: the view, the format and the source."""
    return f"cnncalc {view} {fmt}\n{source}"


def expected_stamp(view: str, fmt: str, source: str) -> str:
    return digest(picture_source(view, fmt, source))


def draw(view: str, fmt: str, source: str) -> bytes:
    """The stamped picture. Raises RendererMissing or DrawingError."""
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"pictures are {', '.join(IMAGE_FORMATS)}; not {fmt!r}")
    data = _function(PICTURES[view].render)(source, fmt)
    return stamp(data, fmt, picture_source(view, fmt, source))


__all__ = ["IMAGE_FORMATS", "PICTURES", "DrawingError", "PictureView", "RendererMissing",
           "ViewOptions", "draw", "expected_stamp", "inline_of", "picture_source",
           "source_of"]
