"""Where a network's cost and receptive field go, as a picture: `plot_data` computes the
figures (no matplotlib, no numpy), `render` draws them with matplotlib, imported only there.

The picture has one bar per layer (or per block instance at a depth) in three panels that
share the x axis: parameters, MACs and activation memory; and a fourth panel with the
receptive field along the main path against the input size, marking the layer where the
field first reaches the input size on each axis.

The main path is the chain the output's receptive field grows along: from the main output
back to the input, at each merge through the input with the largest field (the order that
picks an output's headline field). Layers off it (a residual's shortcut, the narrower
branches of an inception block) have bars but no point on the field's line.

The plot is the picture view `plot` of cnncalc.pictures: `picture(plot_data(...), fmt)` is
the stamped file's bytes, the same as a design-document region `<!-- cnncalc:plot SPEC -o
FILE.svg -->` writes, and `check` tells a committed picture current from its stamp alone.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .analysis import Analysis, Row, field_order
from .layers import shape_str
from .pictures import RendererMissing, ViewOptions
from .subtotals import BlockTotal, at_depth
from .text import one_line
from .units import format_bytes, format_count, prefix_for

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FORMATS = ("svg", "png")
INSTALL_HINT = "pip install 'cnncalc[plot]'"
# bump when the drawing changes, so that a stamped picture drawn the old way reads as stale
STYLE = 1


class PlotUnavailable(RendererMissing):
    """matplotlib is not installed: the message says what to install."""


@dataclass(frozen=True)
class PlotRow:
    """One bar position: a layer, or a block instance at the plot's depth.

    `macs` and `activation_bytes` are per batch; `field` is the receptive-field size per
    input axis where the main path leaves this row, None when the main path does not pass
    through it; `sees_all` per axis: a global path makes every output see the whole input.
    `group` is the outermost block the row sits in ('' outside blocks), for the bands.
    """

    name: str
    kind: str
    is_block: bool
    params: int
    macs: int
    activation_bytes: int
    field: tuple[int, ...] | None
    sees_all: tuple[bool, ...]
    group: str


@dataclass(frozen=True)
class Crossing:
    """The first row on the main path whose field reaches the input size on `axis`
    (index into the plotted rows); `by_global` when only a global path makes it so."""

    axis: int
    row: int
    size: int
    by_global: bool


@dataclass(frozen=True)
class PlotData:
    """Everything the picture shows. `lines` are the field panel's lines, each the spatial
    axes it stands for: axes with the same input size and the same field at every row share
    one line (a square image's 'H = W')."""

    network: str
    input_shape: tuple[int, ...]
    dtype: str
    batch: int
    depth: int | None
    rows: tuple[PlotRow, ...]
    input_size: tuple[int, ...]   # per spatial axis
    lines: tuple[tuple[int, ...], ...]
    axis_names: tuple[str, ...]   # per spatial axis: H, W (D, H, W in 3-D; L in 1-D)
    crossings: tuple[Crossing, ...]

    @property
    def title(self) -> str:
        cut = "every layer" if self.depth is None else f"blocks at depth {self.depth}"
        batch = f", batch {self.batch}" if self.batch > 1 else ""
        return one_line(f"{self.network}: input {shape_str(self.input_shape)}, {self.dtype}"
                        f"{batch}, {cut}")

    def line_label(self, line: tuple[int, ...]) -> str:
        """'H = W' for a line standing for H and W."""
        return " = ".join(self.axis_names[a] for a in line)

    def source(self) -> str:
        """Canonical JSON of everything the picture shows, in any format: the source its
        stamp digests (see cnncalc.pictures), so a picture is current iff this text is."""
        record = {"plot": "cnncalc", "style": STYLE, **asdict(self)}
        return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_source(cls, source: str) -> PlotData:
        """The data `source()` wrote (a picture is drawn from its source alone)."""
        record = json.loads(source)
        if record.get("plot") != "cnncalc" or record.get("style") != STYLE:
            raise ValueError("not the source of a cnncalc plot of this style")
        rows = tuple(PlotRow(**{**r, "field": None if r["field"] is None else
                                tuple(r["field"]), "sees_all": tuple(r["sees_all"])})
                     for r in record["rows"])
        return cls(network=record["network"], input_shape=tuple(record["input_shape"]),
                   dtype=record["dtype"], batch=record["batch"], depth=record["depth"],
                   rows=rows, input_size=tuple(record["input_size"]),
                   lines=tuple(tuple(line) for line in record["lines"]),
                   axis_names=tuple(record["axis_names"]),
                   crossings=tuple(Crossing(**c) for c in record["crossings"]))


def plot_data(analysis: Analysis, depth: int | None = None, batch: int = 1) -> PlotData:
    """The figures of the plot: per layer (depth None) or per block instance at `depth`
    (see subtotals.at_depth), params, MACs and activation memory at the spec's dtype for a
    batch of `batch`; the receptive field along the main path; where it reaches the input
    size."""
    if batch < 1:
        raise ValueError(f"a batch holds at least one sample; found {batch}")
    items: list[Row | BlockTotal] = list(analysis.rows) if depth is None else \
        at_depth(analysis, depth)
    on_path = _main_path(analysis)
    place = _places(analysis, items, depth)
    # where the main path leaves each item: the field of its last row on the path
    leaving: dict[int, Row] = {}
    for row in analysis.rows:
        if row.node.index in on_path:
            leaving[place[row.node.index]] = row
    width = analysis.spec.dtype_bytes
    rows = []
    for at, item in enumerate(items):
        path_row = leaving.get(at)
        rows.append(PlotRow(
            name=item.name, kind=item.kind, is_block=isinstance(item, BlockTotal),
            params=item.weights, macs=item.macs * batch,
            activation_bytes=item.activations * width * batch,
            field=None if path_row is None else tuple(f.size for f in path_row.field),
            sees_all=() if path_row is None else tuple(f.sees_all for f in path_row.field),
            group=_group(analysis, item, depth)))
    input_size = tuple(analysis.input_shape[1:])
    return PlotData(
        network=analysis.spec.name, input_shape=tuple(analysis.input_shape),
        dtype=analysis.spec.dtype, batch=batch, depth=depth, rows=tuple(rows),
        input_size=input_size, lines=_lines(rows, input_size),
        axis_names=_axis_names(len(input_size)),
        crossings=tuple(c for a in range(len(input_size))
                        if (c := _crossing(rows, a, input_size[a])) is not None))


def _main_path(analysis: Analysis) -> set[int]:
    """The nodes from the main output back to the input, through the input with the
    largest field at every merge."""
    network, rows = analysis.network, analysis.rows
    found: set[int] = set()
    at = network.outputs[0]
    while at >= 0 and at not in found:
        found.add(at)
        sources = [r for r in network.nodes[at].inputs if r >= 0]
        if not sources:
            break
        at = max(sources, key=lambda r: field_order(rows[r]))
    return found


def _places(analysis: Analysis, items: list[Row | BlockTotal], depth: int | None
            ) -> dict[int, int]:
    """Per node index, the index of the item (bar) it counts in."""
    if depth is None:
        return {row.node.index: at for at, row in enumerate(analysis.rows)}
    by_key: dict[str | int, int] = {}
    for at, item in enumerate(items):
        by_key[item.name if isinstance(item, BlockTotal) else item.node.index] = at
    if depth == 0:
        return {row.node.index: 0 for row in analysis.rows}
    return {row.node.index: by_key[row.node.blocks[depth - 1] if len(row.node.blocks) >= depth
                                   else row.node.index] for row in analysis.rows}


def _group(analysis: Analysis, item: Row | BlockTotal, depth: int | None) -> str:
    """The outermost block an item sits in, when the plot shows finer rows than that."""
    if depth is not None and depth <= 1:
        return ""
    node = analysis.rows[item.first].node if isinstance(item, BlockTotal) else item.node
    return node.blocks[0] if node.blocks else ""


def _lines(rows: list[PlotRow], input_size: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """The spatial axes grouped by what they show: the same input size, the same fields."""
    def story(axis: int) -> tuple[object, ...]:
        return (input_size[axis], *((r.field[axis], r.sees_all[axis]) if r.field else None
                                    for r in rows))
    groups: dict[tuple[object, ...], list[int]] = {}
    for axis in range(len(input_size)):
        groups.setdefault(story(axis), []).append(axis)
    return tuple(tuple(axes) for axes in groups.values())


def _axis_names(count: int) -> tuple[str, ...]:
    return {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}.get(
        count, tuple(f"axis {k}" for k in range(count)))


def _crossing(rows: list[PlotRow], axis: int, size: int) -> Crossing | None:
    for at, row in enumerate(rows):
        if row.field is None or axis >= len(row.field):
            continue
        if row.field[axis] >= size or row.sees_all[axis]:
            return Crossing(axis, at, row.field[axis], by_global=row.field[axis] < size)
    return None


# --- drawing ---------------------------------------------------------------------------

_PANELS = (("params", "Parameters", "#4c72b0"),
           ("macs", "MACs", "#dd8452"),
           ("activation_bytes", "Activation memory", "#55a868"))
_FIELD_COLOURS = ("#8172b3", "#c44e52", "#937860")
_LABEL_CHARS = 32     # longer names under the bars lose their leading parts
_TITLE_CHARS = 64     # longer names in titles and notes, likewise
_INCH_PER_ROW = 0.16  # width per bar, so that an unthinned label fits beside the next
_MAX_WIDTH = 22.0     # inches; past it the labels are thinned
_DPI = 100
_VALUE_LABELS = 24
_LOG_FIELD = 8        # a field this many times the input size: a log scale    # bars up to this many carry their value


def picture(data: PlotData, fmt: str) -> bytes:
    """The picture's bytes (see `render`), stamped as every cnncalc picture is (see
    cnncalc.pictures), so that `cnncalc check` can tell whether it is current without
    drawing it."""
    from .pictures import draw

    return draw("plot", fmt, data.source())


def view_source(analysis: Analysis, options: ViewOptions) -> str:
    """The picture view's source (cnncalc.pictures): the plot at the options' depth."""
    return plot_data(analysis, options.depth).source()


def draw_source(source: str, fmt: str) -> bytes:
    """The picture view's renderer: the unstamped picture of a `PlotData.source()`."""
    return render(PlotData.from_source(source), fmt)


def render(data: PlotData, fmt: str) -> bytes:
    """The picture as SVG or PNG bytes, the same bytes for the same data and matplotlib.

    Raises PlotUnavailable when matplotlib is missing, ValueError for another format."""
    if fmt not in FORMATS:
        raise ValueError(f"cannot plot to {fmt!r}; expected one of {', '.join(FORMATS)}")
    try:
        import matplotlib
        import matplotlib.style
    except ImportError:
        raise PlotUnavailable(f"plot needs matplotlib: {INSTALL_HINT}") from None
    import io
    import warnings

    settings: Any = {"svg.hashsalt": "cnncalc", "font.family": "DejaVu Sans", "font.size": 9,
                "svg.fonttype": "path", "axes.titlesize": 10, "axes.titlelocation": "left",
                "figure.constrained_layout.h_pad": 0.12,
                "figure.constrained_layout.w_pad": 0.12}
    # matplotlib's defaults, not the user's matplotlibrc: the same data, the same picture
    with matplotlib.style.context("default"), matplotlib.rc_context(settings), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a glyph DejaVu lacks is drawn as a box, not said
        figure = _figure(data)
        out = io.BytesIO()
        metadata = {"Date": None, "Creator": "cnncalc"} if fmt == "svg" else \
            {"Software": None}
        # constrained layout alone can clip the rotated names by a few pixels
        figure.savefig(out, format=fmt, dpi=_DPI, metadata=metadata, bbox_inches="tight",
                       pad_inches=0.15)
    return out.getvalue()


def _figure(data: PlotData) -> Figure:
    from matplotlib.figure import Figure

    count = len(data.rows)
    width = min(max(8.0, 2.0 + _INCH_PER_ROW * count), _MAX_WIDTH)
    panels = len(_PANELS) + (1 if data.lines else 0)
    figure = Figure(figsize=(width, 2.3 * panels + 2.2), layout="constrained")
    axes = figure.subplots(panels, 1, sharex=True)
    figure.suptitle(_tex_safe(data.title), fontsize=12, x=0.01, ha="left")
    positions = list(range(count))
    spans = _group_spans(data)
    named = _named_spans(data, width)
    for ax, (field, title, colour) in zip(axes, _PANELS):
        values = [getattr(row, field) for row in data.rows]
        is_bytes = field == "activation_bytes"
        factor, prefix = prefix_for(max(values, default=0), is_bytes)
        bars = ax.bar(positions, [v / factor for v in values], width=0.8, color=colour)
        for at, bar in enumerate(bars):
            bar.set_gid(f"{field}-bar-{at}")
        ax.set_title(_panel_title(title, data, values, is_bytes))
        ax.yaxis.set_major_formatter(_formatter(prefix))
        top = max(values, default=0) / factor
        headroom = 1.05 if count > _VALUE_LABELS and not spans else 1.4
        ax.set_ylim(0, top * headroom or 1)
        if count <= _VALUE_LABELS:
            pitch = ax.get_position().width * width / count  # inches per bar
            ax.bar_label(bars, labels=[_brief(v, is_bytes) if v else "" for v in values],
                         fontsize=7, padding=2, rotation=0 if pitch > 0.42 else 90)
        _bands(ax, spans)
        _shares(ax, named, values, is_bytes)
    if data.lines:
        _field_panel(axes[-1], data)
        _bands(axes[-1], spans)
    _labels(axes[-1], data, width, {group for group, _, _ in named})
    return figure


def _brief(value: float, is_bytes: bool) -> str:
    """Three significant digits in the value's own unit: '340 k', '3.19 M', '784 KiB'."""
    factor, prefix = prefix_for(value, is_bytes)
    return f"{value / factor:.3g} {prefix}".rstrip()


def _amount(value: float, is_bytes: bool) -> str:
    return format_bytes(value) if is_bytes else format_count(value)


def _panel_title(title: str, data: PlotData, values: list[int], is_bytes: bool) -> str:
    """'MACs (per sample): 1.82 G in all; most in layer1 (25.5%)'."""
    per = "per sample" if data.batch == 1 else f"per batch of {data.batch}"
    what = "" if title == "Parameters" else f" ({data.dtype + ', ' if is_bytes else ''}{per})"
    total = sum(values)
    text = f"{title}{what}: {_amount(total, is_bytes)} in all"
    if total and len(values) > 1:
        most = max(range(len(values)), key=lambda k: values[k])
        text += f"; the most in {_short(data.rows[most].name, _TITLE_CHARS)} " \
                f"({100 * values[most] / total:.1f}%)"
    return _tex_safe(text)


def _formatter(prefix: str) -> object:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _position: f"{value:g} {prefix}".rstrip()
                         if value else "0")


def _bands(ax: Axes, spans: list[tuple[str, int, int]]) -> None:
    """Shade every other outermost block, so a stage reads as one stretch of bars."""
    for k, (_, first, last) in enumerate(spans):
        if k % 2 == 0:
            ax.axvspan(first - 0.5, last + 0.5, color="#000000", alpha=0.05, linewidth=0)


def _shares(ax: Axes, spans: list[tuple[str, int, int]], values: list[int],
            is_bytes: bool) -> None:
    """Each named band's block and its share of the panel's total, atop the band."""
    total = sum(values)
    if not total:
        return
    for group, first, last in spans:
        part = 100 * sum(values[first:last + 1]) / total
        share = "<1%" if 0 < part < 0.5 else f"{part:.0f}%"
        ax.text((first + last) / 2, 0.97, _tex_safe(f"{_short(group)}\n{share}"),
                transform=ax.get_xaxis_transform(), ha="center", va="top", fontsize=8,
                color="#333333")


def _named_spans(data: PlotData, width: float) -> list[tuple[str, int, int]]:
    """The bands wide enough (at `width` inches of figure) to carry their block's name."""
    inches_per_row = (width - 1.3) / max(len(data.rows), 1)
    return [(group, first, last) for group, first, last in _group_spans(data)
            if (last - first + 1) * inches_per_row >= 0.06 * max(len(_short(group)), 4)]


def _group_spans(data: PlotData) -> list[tuple[str, int, int]]:
    """(group, first row, last row) for each run of rows in the same outermost block."""
    spans: list[tuple[str, int, int]] = []
    for at, row in enumerate(data.rows):
        if not row.group:
            continue
        if spans and spans[-1][0] == row.group and spans[-1][2] == at - 1:
            spans[-1] = (row.group, spans[-1][1], at)
        else:
            spans.append((row.group, at, at))
    return spans


def _field_panel(ax: Axes, data: PlotData) -> None:
    """The field's size along the main path, one line per group of axes that agree, the
    input size as a dashed line, and the rows where the field reaches it marked and named."""
    several = len(data.lines) > 1
    top = 0
    for k, line in enumerate(data.lines):
        colour = _FIELD_COLOURS[k % len(_FIELD_COLOURS)]
        axis, name = line[0], data.line_label(line)
        points = [(at, row.field[axis], row.sees_all[axis]) for at, row in
                  enumerate(data.rows) if row.field is not None]
        ax.plot([p[0] for p in points], [p[1] for p in points], color=colour, linewidth=1.6,
                marker="." if len(points) <= 80 else None, markersize=4,
                label=f"field {name}" if several else f"field ({name})")
        seen_all = [p for p in points if p[2]]
        if seen_all:
            ax.plot([p[0] for p in seen_all], [p[1] for p in seen_all], linestyle="none",
                    marker="^", color=colour, markersize=5,
                    label=None if k else "sees the whole input through a global path "
                                         "(local field shown)")
        size = data.input_size[axis]
        ax.axhline(size, color=colour if several else "#333333", linestyle="--",
                   linewidth=1.0, label=f"input {name} = {size}" if several else
                   f"input size {size}")
        top = max([top, size, *(p[1] for p in points)])
    line_of = {axis: line for line in data.lines for axis in line}
    crossed: dict[tuple[int, ...], Crossing] = {}
    for crossing in data.crossings:
        crossed.setdefault(line_of[crossing.axis], crossing)
    notes: dict[tuple[int, int, bool, int], list[tuple[int, ...]]] = {}  # lines alike
    for line, crossing in crossed.items():
        key = (crossing.row, crossing.size, crossing.by_global, data.input_size[line[0]])
        notes.setdefault(key, []).append(line)
    for k, ((at, size, by_global, input_size), lines) in enumerate(notes.items()):
        colour = _FIELD_COLOURS[data.lines.index(lines[0]) % len(_FIELD_COLOURS)]
        ax.plot([at], [size], marker="o", markersize=9, markerfacecolor="none",
                markeredgecolor=colour, markeredgewidth=2, linestyle="none")
        which = f" ({', '.join(map(data.line_label, lines))})" if several else ""
        how = "a global path sees all" if by_global else f"field {size} ≥ {input_size}"
        # the note sits on the side of the point with more room
        left = at > len(data.rows) * 0.6
        name = _short(data.rows[at].name, _TITLE_CHARS)
        ax.annotate(_tex_safe(f"{name}{which}: {how}"), (at, size),
                    xytext=(-12 if left else 12, 10 + 14 * k), textcoords="offset points",
                    ha="right" if left else "left", fontsize=8, color=colour,
                    arrowprops={"arrowstyle": "-", "color": colour, "linewidth": 0.8})
    missed = [data.line_label(line) for line in data.lines if line not in crossed]
    stays = ""
    if missed:
        stays = "; it stays below the input size" + (f" on {', '.join(missed)}"
                                                     if several else "")
    if top > _LOG_FIELD * max(data.input_size):  # far past the input: keep it in sight
        from matplotlib.ticker import FuncFormatter

        ax.set_yscale("log")
        ax.set_ylim(1, top * 3)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    else:
        ax.set_ylim(0, top * 1.3 if top else 1)
    names = ", ".join(data.line_label(line) for line in data.lines)
    ax.set_title(f"Receptive field along the main path, in input pixels ({names}){stays}")
    ax.legend(loc="best", fontsize=8, frameon=False)


def _labels(ax: Axes, data: PlotData, width: float, named: set[str]) -> None:
    """Every row's name under the bars when they fit; else every k-th, so that labels
    never overlap, with the outermost blocks named at their first row."""
    count = len(data.rows)
    fits = max(int((width - 1.5) / 0.13), 1)  # rotated 8-point labels, 0.13 inch apart
    step = 1 if count <= fits else -(-count // fits)
    ticks = list(range(0, count, step))
    ax.set_xticks(ticks)
    ax.set_xticklabels([_tex_safe(_label(data.rows[t], named)) for t in ticks], rotation=90,
                       fontsize=7 if count > 40 else 8)
    ax.set_xlim(-0.6, count - 0.4)
    if step > 1:
        what = "layers" if data.depth is None else "rows"
        ax.set_xlabel(f"{count} {what} in order; one name shown in {step}", fontsize=8)


def _label(row: PlotRow, named: set[str]) -> str:
    """A row's name under its bar: inside a band that shows its name, without it."""
    name = row.name
    if row.group in named and name.startswith(row.group + ".") and \
            len(name) > len(row.group) + 1:
        name = name[len(row.group) + 1:]
    name = _short(name)
    return f"{name} ({_short(row.kind)})" if row.is_block else name


def _short(text: str, limit: int = _LABEL_CHARS) -> str:
    """One line of at most `limit` characters: a longer dotted name keeps its last parts,
    the most particular ('…conv_bn1.conv1'), any other text its end."""
    text = one_line(text)
    if len(text) <= limit:
        return text
    parts = text.split(".")
    while len(parts) > 1 and len(".".join(parts)) > limit - 1:
        parts.pop(0)
    tail = ".".join(parts)
    return "…" + (tail if len(tail) <= limit - 1 else tail[-(limit - 1):])


def _tex_safe(text: str) -> str:
    """Text matplotlib draws literally: a '$' would start math mode."""
    return text.replace("$", r"\$")


__all__ = ["FORMATS", "Crossing", "PlotData", "PlotRow", "PlotUnavailable", "picture",
           "plot_data", "render"]
