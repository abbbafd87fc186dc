"""A Diff as a text report, a Markdown pull-request comment or JSON. Renders; never computes.

Table and Markdown say the same in the same order: a one-line summary; the totals side by
side with signed absolute and relative changes; inputs and outputs whose shapes changed;
blocks and layers added, removed, changed (their own arguments) and renamed; layers whose
shapes or figures changed only because of what feeds them; the view at `--depth` (changed
rows only). Markdown puts all but the summary in a collapsible <details> section.
"""
from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from ..diff import Change, Delta, Diff, Figures, Pair, Port, Status
from ..diff.thresholds import Breach, change_text
from ..json_location import location_json
from ..layers import shape_str
from ..text import one_line
from ..units import format_bytes
from .table import EMPTY, table

DIFF_FORMATS = ("table", "markdown", "json")
LISTED = 50  # rows a table or Markdown section shows before pointing at --format json
JSON_FORMAT = "cnncalc-diff"
JSON_VERSION = 1

# (label, Figures field) of the totals, in the order shown
TOTALS = (("Params", "params"), ("Trainable params", "trainable_params"), ("MACs", "macs"),
          ("Activations (values)", "activations"), ("Activation memory", "activation_bytes"))


def markdown_text(text: str) -> str:
    """Text from a spec for Markdown outside a table cell: one line, and nothing a name
    holds can open HTML (a `</details>`), a link, emphasis or a code span. Inside a table
    cell, `table` also escapes '|'."""
    text = html.escape(one_line(text), quote=False)
    for char in "\\`*[]~":  # not '_': GitHub never reads one inside a word as emphasis
        text = text.replace(char, "\\" + char)
    return text


def render_diff(diff: Diff, fmt: str, depth: int | None = None,
                found: list[Breach] | None = None) -> str:
    """The diff as `fmt` ('table' or 'markdown'; JSON: `diff_json`)."""
    if fmt == "json":
        import json

        return json.dumps(diff_json(diff, depth, found or []), indent=2)
    name: Callable[[str], str] = markdown_text if fmt == "markdown" else one_line
    summary = summary_line(diff, name)
    if diff.identical:
        return f"**{summary}**" if fmt == "markdown" else summary
    sections = [s for s in _sections(diff, fmt, depth, name) if s]
    if fmt == "markdown":
        title, _, rest = summary.partition(": ")
        head = f"**{title}**: {rest}"
        # an HTML block: Markdown escapes would show, so HTML's own
        detail = html.escape(one_line(f"Details: {diff.old_source} -> {diff.new_source}"))
        return (f"{head}\n\n<details><summary>{detail}</summary>\n\n" +
                "\n\n".join(sections) + "\n\n</details>")
    return summary + "\n\n" + "\n\n".join(sections)


def summary_line(diff: Diff, name: Callable[[str], str] = one_line) -> str:
    """'resnet18 -> resnet34: params +10,108,160 (+86.5%), MACs ...; 8 blocks added'."""
    old, new = diff.old.spec.name, diff.new.spec.name
    title = f"{name(old)} -> {name(new)}"
    if diff.identical:
        return f"{title}: nothing changed ({len(diff.layers)} layers, the same figures)"
    parts = []
    for label, field in (("params", "params"), ("MACs", "macs"),
                         ("activation memory", "activation_bytes")):
        delta = diff.delta(field)
        if delta.absolute:
            parts.append(f"{label} {change_text(delta, field)}")
    assert diff.network.old is not None and diff.network.new is not None
    if diff.network.old.rf_size != diff.network.new.rf_size:
        parts.append(f"receptive field {_axes(diff.network.old.rf_size)} -> "
                     f"{_axes(diff.network.new.rf_size)}")
    for kind, ports in (("input", diff.inputs), ("output", diff.outputs)):
        changed = [p for p in ports if p.shape_changed]
        if changed:
            parts.append(f"{_count(len(changed), kind + ' shape')} changed")
    counts = [_count(len(diff.listed(status, blocks)), what) + f" {status.value}"
              for blocks, what in ((True, "block"), (False, "layer"))
              for status in (Status.ADDED, Status.REMOVED, Status.CHANGED, Status.RENAMED)
              if diff.listed(status, blocks) and not (blocks and status is Status.CHANGED)]
    figures = ", ".join(parts) or "the same figures"
    return f"{title}: {figures}" + (f"; {', '.join(counts)}" if counts else "")


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _axes(values: tuple[float, ...]) -> str:
    shown = [f"{v:g}" for v in values]
    return EMPTY if not shown else shown[0] if len(set(shown)) == 1 else \
        "[" + ", ".join(shown) + "]"


def _sections(diff: Diff, fmt: str, depth: int | None,
              name: Callable[[str], str]) -> list[str]:
    def titled(title: str, text: str) -> str:
        heading = f"**{title}**" if fmt == "markdown" else title
        return f"{heading}\n\n{text}" if fmt == "markdown" else f"{heading}\n{text}"

    def grid(headers: list[str], rows: list[list[Any]], align: list[str]) -> str:
        shown = rows[:LISTED]
        text = table("", shown, headers, fmt, align, list)
        text = text.split("\n", 1)[1] if fmt == "table" else text  # no title line
        text = text.rstrip()  # no empty footer
        if len(rows) > LISTED:
            text += f"\n\n... and {len(rows) - LISTED} more (--format json lists every one)"
        return text

    sections = [titled("Totals", grid(["", "old", "new", "change"], _total_rows(diff),
                                      ["left", "right", "right", "right"]))]
    several = len(diff.outputs) > 1 or len(diff.inputs) > 1
    ports = [p for p in (*diff.inputs, *diff.outputs) if p.shape_changed or p.old is None
             or p.new is None or several and (p.old.params, p.old.macs, p.old.rf_size) !=
             (p.new.params, p.new.macs, p.new.rf_size)]
    if ports:
        sections.append(titled("Inputs and outputs", grid(
            ["Name", "Shape (old)", "Shape (new)", "Params", "MACs"],
            [[name(p.name), _shape(p.old), _shape(p.new), _port_change(p, "params"),
              _port_change(p, "macs")] for p in ports],
            ["left", "left", "left", "right", "right"])))
    for blocks, what in ((True, "Blocks"), (False, "Layers")):
        for status in (Status.ADDED, Status.REMOVED):
            listed = diff.listed(status, blocks)
            if listed:
                sections.append(titled(f"{what} {status.value} ({len(listed)})", grid(
                    ["Name", "Type", "Output shape", "Params", "MACs"],
                    [[name(p.name), name(p.type), _shape(p.new or p.old),
                      _figure(p, "params"),
                      _figure(p, "macs")] for p in listed],
                    ["left", "left", "left", "right", "right"])))
        for status in (Status.CHANGED, Status.RENAMED):
            listed = diff.listed(status, blocks)
            if blocks and status is Status.CHANGED:
                continue  # a changed block is the sum of its layers' changes: see depth
            if listed:
                sections.append(titled(f"{what} {status.value} ({len(listed)})", grid(
                    ["Name", "Type", "What changed"],
                    [[name(p.name), name(p.type), _changes(p.changes, name)]
                     for p in listed],
                    ["left", "left", "left"])))
    affected = diff.listed(Status.AFFECTED, False)
    if affected:
        sections.append(titled(
            f"Layers with other shapes or figures from upstream ({len(affected)})", grid(
                ["Name", "Type", "What changed"],
                [[name(p.name), name(p.type), _changes(p.changes, name)]
                 for p in affected],
                ["left", "left", "left"])))
    shown_depth = depth if depth is not None else (1 if diff.blocks else None)
    if shown_depth is not None:
        rows = [p for p in diff.at_depth(shown_depth) if p.status is not Status.SAME]
        same = len(diff.at_depth(shown_depth)) - len(rows)
        if rows:
            sections.append(titled(
                f"At depth {shown_depth} ({_count(same, 'unchanged row')} not shown)",
                grid(["Name", "Type", "Status", "Output shape", "Params", "MACs",
                      "Act. memory", "RF"],
                     [[name(p.name), name(p.type), p.status.value, _shape_change(p),
                       _figure(p, "params"), _figure(p, "macs"),
                       _figure(p, "activation_bytes"), _rf_change(p)] for p in rows],
                     ["left", "left", "left", "left", "right", "right", "right", "right"])))
    return sections


def _total_rows(diff: Diff) -> list[list[Any]]:
    old, new = diff.network.old, diff.network.new
    assert old is not None and new is not None
    rows: list[list[Any]] = []
    for label, field in TOTALS:
        delta = diff.delta(field)
        rows.append([label, _value(delta.old, field), _value(delta.new, field),
                     change_text(delta, field) if delta.absolute else EMPTY])
    for label, values in (("Receptive field", (old.rf_size, new.rf_size)),
                          ("RF jump", (old.rf_jump, new.rf_jump))):
        was, now = values
        change = EMPTY
        if was != now and len(was) == len(now):
            change = _axes(tuple(n - o for o, n in zip(was, now)))
            change = change if change.startswith(("-", "[")) else "+" + change
        rows.append([label, _axes(was), _axes(now), change])
    rows.append(["Input shape", shape_str(diff.old.input_shape),
                 shape_str(diff.new.input_shape),
                 "changed" if diff.old.input_shape != diff.new.input_shape else EMPTY])
    rows.append(["Output shape", shape_str(diff.old.output_shape),
                 shape_str(diff.new.output_shape),
                 "changed" if diff.old.output_shape != diff.new.output_shape else EMPTY])
    return rows


def _value(value: float, field: str) -> str:
    return format_bytes(value) if field == "activation_bytes" else f"{int(value):,}"


def _figure(pair: Pair, field: str) -> str:
    """A figure of a row: its value, and its change where both sides have it."""
    delta = pair.delta(field)
    if pair.old is None or pair.new is None or not delta.absolute:
        side = pair.new if pair.new is not None else pair.old
        value = getattr(side, field)
        return _value(value, field) if value else EMPTY
    return f"{_value(delta.new, field)} ({change_text(delta, field, ', {}')})"


def _port_change(port: Port, field: str) -> str:
    if port.old is None or port.new is None:
        side = port.old or port.new
        return _value(getattr(side, field), field) if side else EMPTY
    delta = Delta(getattr(port.old, field), getattr(port.new, field))
    return change_text(delta, field) if delta.absolute else EMPTY


def _shape(figures: Figures | None) -> str:
    return EMPTY if figures is None else shape_str(figures.output_shape)


def _shape_change(pair: Pair) -> str:
    if pair.old is None or pair.new is None or pair.old.output_shape == pair.new.output_shape:
        return _shape(pair.new or pair.old)
    return f"{_shape(pair.old)} -> {_shape(pair.new)}"


def _rf_change(pair: Pair) -> str:
    side = pair.new or pair.old
    assert side is not None
    if pair.old is None or pair.new is None or pair.old.rf_size == pair.new.rf_size:
        return _axes(side.rf_size)
    return f"{_axes(pair.old.rf_size)} -> {_axes(pair.new.rf_size)}"


# changes whose values come from the spec as written (names, block definitions, a layer's
# account of itself): escaped for Markdown; the rest are numbers, shapes and fixed words
_WRITTEN = ("name", "type", "config")


def _changes(changes: tuple[Change, ...], name: Callable[[str], str]) -> str:
    def shown(text: str, what: str) -> str:
        return name(text) if what in _WRITTEN else one_line(text)
    return "; ".join(f"{c.what} {shown(c.old, c.what)} -> {shown(c.new, c.what)}"
                     for c in changes)


# -- JSON -----------------------------------------------------------------------------------

def diff_json(diff: Diff, depth: int | None = None, found: list[Breach] | None = None
              ) -> dict[str, Any]:
    """The JSON contract (docs/diff.schema.json): keys are only ever added. Figures are per
    sample; `layers` and `blocks` hold what is not the same; `rows` the view at `depth`
    (every row, the same ones too), null without --depth."""
    old, new = diff.network.old, diff.network.new
    assert old is not None and new is not None
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "old": _side_json(diff, "old"),
        "new": _side_json(diff, "new"),
        "identical": diff.identical,
        "summary": summary_line(diff),
        "totals": {
            **{field: _delta_json(diff.delta(field)) for _, field in TOTALS},
            "rf_size": [_delta_json(Delta(o, n)) for o, n in zip(old.rf_size, new.rf_size)],
            "rf_jump": [_delta_json(Delta(o, n)) for o, n in zip(old.rf_jump, new.rf_jump)],
        },
        "inputs": [_port_json(p) for p in diff.inputs],
        "outputs": [_port_json(p) for p in diff.outputs],
        "blocks": [_pair_json(p) for p in diff.blocks if p.status is not Status.SAME],
        "layers": [_pair_json(p) for p in diff.layers if p.status is not Status.SAME],
        "depth": depth,
        "rows": None if depth is None else [_pair_json(p) for p in diff.at_depth(depth)],
        "failures": [{"threshold": b.threshold.text, "message": b.message,
                      "location": location_json(b.location)} for b in found or []],
    }


def _side_json(diff: Diff, side: str) -> dict[str, Any]:
    analysis = diff.old if side == "old" else diff.new
    return {"source": diff.old_source if side == "old" else diff.new_source,
            "name": analysis.spec.name, "file": analysis.spec.file,
            "layers": len(analysis.rows), "dtype": analysis.spec.dtype}


def _delta_json(delta: Delta) -> dict[str, Any]:
    relative = delta.relative
    return {"old": delta.old, "new": delta.new, "change": delta.absolute,
            "relative": None if relative is None else round(relative, 6)}


def _figures_json(figures: Figures | None) -> dict[str, Any] | None:
    if figures is None:
        return None
    return {"params": figures.params, "trainable_params": figures.trainable_params,
            "macs": figures.macs, "activations": figures.activations,
            "activation_bytes": figures.activation_bytes,
            "input_shapes": [list(s) for s in figures.input_shapes],
            "output_shape": list(figures.output_shape),
            "rf_size": list(figures.rf_size), "rf_jump": list(figures.rf_jump)}


def _pair_json(pair: Pair) -> dict[str, Any]:
    return {"status": pair.status.value, "block": pair.is_block, "type": pair.type,
            "level": pair.level, "old_name": pair.old_name, "new_name": pair.new_name,
            "within": pair.within, "location": location_json(pair.location),
            "changes": [{"what": c.what, "old": c.old, "new": c.new} for c in pair.changes],
            "old": _figures_json(pair.old), "new": _figures_json(pair.new)}


def _port_json(port: Port) -> dict[str, Any]:
    def side(figures: Figures | None) -> dict[str, Any] | None:
        if figures is None:
            return None
        return {"shape": list(figures.output_shape), "params": figures.params,
                "macs": figures.macs, "rf_size": list(figures.rf_size)}
    return {"name": port.name, "shape_changed": port.shape_changed,
            "location": location_json(port.location), "old": side(port.old),
            "new": side(port.new)}
