"""`cnncalc plot SPEC -o cost.png|cost.svg`: analyse, compute the plot's figures, draw them
with matplotlib (imported only here, and only once the spec has been read), write atomically.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import limits
from .problems import fail
from .tables import analyze_path, spec_options


@click.command("plot")
@click.argument("spec", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The picture to write, .svg or .png (replaced atomically; nothing is "
                   "written on an error).")
@click.option("--depth", type=click.IntRange(min=0),
              help="One bar per block instance at this nesting level (1: the blocks written "
                   "in `layers:`) [default: every layer].")
@spec_options
@click.option("--batch", type=click.IntRange(min=1, max=limits.MAX_AXIS), default=1,
              show_default=True, help="Samples per batch: MACs and activation memory count "
                                      "them.")
def plot_command(spec: str, output: str, depth: int | None, input_size: tuple[int, ...] | None,
                 batch: int, dtype: str | None, framework: str | None,
                 rounding: str | None, max_layers: int | None) -> None:
    """Draw where the cost goes: per layer (or per block), parameters, MACs and activation
    memory as bars, and the receptive field along the main path against the input size,
    with the layer where it reaches the input size marked. Needs matplotlib
    (pip install 'cnncalc[plot]').

    SPEC is a YAML file, or - for standard input. The picture carries a stamp of the
    figures it shows, so `cnncalc check` can tell whether it is current.

    \b
    Examples:
      cnncalc plot examples/resnet50.yaml -o resnet50.svg
      cnncalc plot examples/resnet18.yaml --depth 1 -o resnet18-stages.png
    """
    fmt = Path(output).suffix.lower().lstrip(".")
    from ..plot import FORMATS, PlotUnavailable, picture, plot_data

    if fmt not in FORMATS:
        raise click.BadParameter(f"the picture's format comes from its suffix: .svg or .png; "
                                 f"found {Path(output).suffix or 'none'}",
                                 param_hint="-o/--output")
    from ..errors import SpecError
    from ..files import write_atomic

    analysis = analyze_path(spec, framework, rounding, max_layers, input_size, dtype)
    data = plot_data(analysis, depth, batch)
    try:
        image = picture(data, fmt)
    except PlotUnavailable as missing:
        click.echo(f"cnncalc: {missing}", err=True)
        sys.exit(2)
    try:
        write_atomic(output, image)
    except SpecError as error:
        fail(error)
    count = len(data.rows)
    what = ("layer" if depth is None else "row") + ("" if count == 1 else "s")
    at = "" if depth is None else f" at depth {depth}"
    click.echo(f"wrote {click.format_filename(output)}: {count} {what}{at}, "
               f"{len(image):,} bytes")
