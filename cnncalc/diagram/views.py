"""The diagram as the picture registry (cnncalc/pictures.py) calls it: its source is the
DOT text, its inline form a ```mermaid block for a Markdown document."""
from __future__ import annotations

from ..analysis import Analysis
from ..pictures import ViewOptions
from .dot import to_dot
from .mermaid import to_mermaid, too_large
from .model import build_diagram


def dot_source(analysis: Analysis, options: ViewOptions) -> str:
    return to_dot(build_diagram(analysis, options.depth))


def mermaid_block(analysis: Analysis, options: ViewOptions) -> str:
    """A fenced ```mermaid block, which GitHub and GitLab draw in place (no final newline).
    ValueError when Mermaid would refuse to draw it (a document would show an error)."""
    text = to_mermaid(build_diagram(analysis, options.depth))
    problem = too_large(text)
    if problem:
        raise ValueError(problem)
    return f"```mermaid\n{text}```"


__all__ = ["dot_source", "mermaid_block"]
