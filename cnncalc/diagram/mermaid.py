"""A Diagram as a Mermaid flowchart, which GitHub and GitLab render in Markdown.

Ids are generated (n0, i0, y0, c0), never taken from the spec. Every label is quoted and
holds only letters, digits, spaces and `,.:_+-=*/()!?`; any other character is written as
Mermaid's entity code (`#quot;` for a quote, `#35;` for '#', `#60;` for '<', decimal, as
Mermaid's flowchart documentation has it), so no name can end a label, open a tag or start
a comment. Line breaks between label parts are `<br>`, which Mermaid renders as one.
"""
from __future__ import annotations

import re

from ..text import one_line
from .model import Box, Cluster, Diagram, Role, cluster_label, label_lines, nested

_PLAIN = re.compile(r"[^A-Za-z0-9 ,.:_+\-=*/()!?]")
_INDENT = "    "
# Mermaid's defaults (its config schema: maxEdges, maxTextSize), which GitHub and GitLab keep:
# past either, the page shows an error in place of the diagram
MAX_EDGES = 500
MAX_TEXT = 50_000


def escape(text: str) -> str:
    """Raw text as the inside of a quoted Mermaid label: one line, every character outside
    the plain set as an entity code."""
    return _PLAIN.sub(lambda m: "#quot;" if m.group() == '"' else f"#{ord(m.group())};",
                      one_line(text))


def _box(box: Box) -> str:
    text = "<br>".join(escape(part) for part in label_lines(box))
    if box.role in (Role.INPUT, Role.OUTPUT):
        return f'{box.ident}(["{text}"])'   # a stadium: where tensors enter and leave
    return f'{box.ident}["{text}"]'


def _subgraph(cluster: Cluster) -> list[str]:
    return [f'subgraph {cluster.ident}["{escape(cluster_label(cluster))}"]', "direction TB"]


def to_mermaid(diagram: Diagram) -> str:
    """The flowchart, top to bottom: boxes nested in their blocks' subgraphs, then the
    arrows (thick along the main path, labelled with the tensor size where it changes),
    then the classes that shade blocks and the inputs and outputs. Ends with a newline."""
    out = ["flowchart TB"]
    out += nested(diagram, _box, _subgraph, "end", _INDENT)
    for arrow in diagram.arrows:
        link = "==>" if arrow.main else "-->"
        label = f'|"{escape(arrow.label)}"|' if arrow.label else ""
        out.append(f"{_INDENT}{arrow.source} {link}{label} {arrow.target}")
    styles = {"block": "fill:#eef2fb,stroke:#4a5a85",
              "io": "fill:#f2f2f2,stroke:#777777"}
    for name, style in styles.items():
        out.append(f"{_INDENT}classDef {name} {style}")
    for name, roles in (("block", (Role.BLOCK,)), ("io", (Role.INPUT, Role.OUTPUT))):
        idents = [b.ident for b in diagram.boxes if b.role in roles]
        if idents:
            out.append(f"{_INDENT}class {','.join(idents)} {name}")
    return "\n".join(out) + "\n"


def too_large(text: str) -> str | None:
    """Why Mermaid, at its default limits, would refuse to draw `text`; None when it draws."""
    edges = sum(1 for line in text.splitlines() if " --> " in line or " ==>" in line or
                " -->|" in line)
    if edges <= MAX_EDGES and len(text) <= MAX_TEXT:
        return None
    size = f"{edges:,} arrows" if edges > MAX_EDGES else f"{len(text):,} characters"
    limit = f"{MAX_EDGES} arrows" if edges > MAX_EDGES else f"{MAX_TEXT:,} characters"
    return (f"this Mermaid diagram has {size}; Mermaid (and GitHub and GitLab with it) draws "
            f"at most {limit}: cut it with --depth N, or draw a file with -o FILE.svg")


__all__ = ["MAX_EDGES", "MAX_TEXT", "escape", "to_mermaid", "too_large"]
