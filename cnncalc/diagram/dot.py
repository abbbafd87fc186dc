"""A Diagram as Graphviz DOT, in a layered style: top to bottom, rounded boxes, blocks as
labelled clusters, the main path kept straight (its boxes share a `group` and its arrows
weigh more, so dot lines them up), tensor sizes on the arrows where they change.

Labels are HTML-like (`<...>`), so a name can be bold and the details smaller; every piece
of text is escaped for them: `&`, `<`, `>`, `"` as entities, every character outside
printable ASCII as a numeric entity, control characters first shown as escapes
(text.one_line). The DOT text itself is therefore pure ASCII. Ids are generated.
"""
from __future__ import annotations

import re

from ..text import one_line
from .model import Box, Cluster, Diagram, Role, cluster_label, label_lines, nested

_SPECIAL = re.compile(r'[&<>"\x00-\x1f\x7f-\U0010ffff]')
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_FONT = "Helvetica"
_INDENT = "  "
FILL = {Role.INPUT: "#eeeeee", Role.OUTPUT: "#eeeeee", Role.LAYER: "#ffffff",
        Role.BLOCK: "#e8eefa"}


def escape(text: str) -> str:
    """Raw text as the content of an HTML-like label: one line, ASCII, no markup."""
    return _SPECIAL.sub(lambda m: _ENTITIES.get(m.group(), f"&#{ord(m.group())};"),
                        one_line(text))


def _label(box: Box) -> str:
    first, *rest = (escape(part) for part in label_lines(box))
    parts = [f"<b>{first}</b>"] + [f'<font point-size="9">{p}</font>' for p in rest]
    return "<" + "<br/>".join(parts) + ">"


def _box(box: Box) -> str:
    extra = ', group="main"' if box.main else ""
    peripheries = ", penwidth=1.6" if box.role is Role.BLOCK else ""
    return (f'{box.ident} [label={_label(box)}, fillcolor="{FILL[box.role]}"'
            f'{peripheries}{extra}];')


def _cluster(cluster: Cluster) -> list[str]:
    return [f"subgraph cluster_{cluster.ident[1:]} {{",
            f"label=<<i>{escape(cluster_label(cluster))}</i>>;",
            'style="rounded,dashed"; color="#8090b0"; fontsize=10; labeljust=l;']


def to_dot(diagram: Diagram) -> str:
    """The digraph, deterministic (the same diagram gives the same bytes). Ends with a
    newline."""
    graph = (f'rankdir=TB, fontname="{_FONT}", fontsize=12, labelloc=t, nodesep=0.25, '
             f'ranksep=0.3, newrank=true, label=<<b>{escape(diagram.title)}</b>>')
    node = (f'shape=box, style="rounded,filled", fontname="{_FONT}", fontsize=11, '
            f'color="#505a70", margin="0.12,0.04", height=0.3')
    edge = (f'fontname="{_FONT}", fontsize=9, color="#505a70", fontcolor="#303848", '
            f'arrowsize=0.6')
    out = ["digraph cnncalc {", f"{_INDENT}graph [{graph}];", f"{_INDENT}node [{node}];",
           f"{_INDENT}edge [{edge}];"]
    out += nested(diagram, _box, _cluster, "}", _INDENT)
    for arrow in diagram.arrows:
        attributes = []
        if arrow.label:
            attributes.append(f'label=" {escape(arrow.label)}"')
        attributes.append("weight=8" if arrow.main else "weight=1")
        if not arrow.main:
            attributes.append('color="#8a93a8"')
        out.append(f"{_INDENT}{arrow.source} -> {arrow.target} [{', '.join(attributes)}];")
    out.append("}")
    return "\n".join(out) + "\n"


__all__ = ["escape", "to_dot"]
