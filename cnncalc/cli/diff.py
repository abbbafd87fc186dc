"""`cnncalc diff OLD NEW`: what a change does to the network, for review and CI."""
from __future__ import annotations

import sys

import click

from ..errors import SpecError
from .problems import fail
from .tables import analyze_as_asked, spec_options

FORMATS = ("table", "markdown", "json")


def _thresholds(ctx: click.Context, param: click.Parameter, texts: tuple[str, ...]
                ) -> list[object]:
    from ..diff.thresholds import parse_threshold

    try:
        return [parse_threshold(text) for text in texts]
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--fail-on") from None


@click.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True,
              help="markdown: a summary line and a <details> section, for a pull-request "
                   "comment; json: every figure (docs/diff.schema.json).")
@click.option("--depth", type=click.IntRange(min=0),
              help="Compare block subtotals at this nesting level (1: the blocks written in "
                   "`layers:`; 0: the networks) [default: 1 when the nets have blocks].")
@click.option("--fail-on", "fail_on", multiple=True, callback=_thresholds, metavar="RULE",
              help="Exit 1 when the change passes RULE, each named on a located line: "
                   "params:+5%, macs:+10%, params:+100000, activations:+20%, rf:-1, "
                   "output_shape, input_shape (repeatable).")
@spec_options
def diff_command(old: str, new: str, fmt: str, depth: int | None, fail_on: list[object],
                 input_size: tuple[int, ...] | None, dtype: str | None,
                 framework: str | None, rounding: str | None, max_layers: int | None) -> None:
    """Compare two versions of a network: layers and blocks added, removed and changed
    (which arguments, which shapes), and the change of params, MACs, activation memory and
    receptive field, per block and in total.

    OLD and NEW are each a spec file, REV:PATH for a spec in git (PATH from the
    repository's top, as REV holds it; :PATH for the staged version; nothing is written),
    or an ONNX model (.onnx, with the onnx package). A file that exists is read as a file
    first, so a path with a colon stays a path.

    Exit 0 when computed (whatever changed), 1 when a --fail-on rule is passed, 2 when a
    side cannot be read.

    \b
    Example:
      cnncalc diff examples/resnet18.yaml examples/resnet34.yaml
      cnncalc diff main:models/net.yaml models/net.yaml --format markdown
      cnncalc diff HEAD:models/net.yaml models/net.yaml --fail-on params:+5%
    """
    from ..diff import compare
    from ..diff.sources import load_side
    from ..diff.thresholds import breaches
    from ..report.diff import render_diff

    analyses = []
    for argument in (old, new):
        try:
            spec = load_side(argument)
        except SpecError as error:
            fail(error)
        analyses.append(analyze_as_asked(spec, framework, rounding, max_layers, input_size,
                                         dtype))
    diff = compare(analyses[0], analyses[1], old_source=old, new_source=new)
    found = breaches(diff, fail_on)  # type: ignore[arg-type]
    click.echo(render_diff(diff, fmt, depth, found))
    for breach in found:
        click.echo(str(breach), err=True)
    if found:
        sys.exit(1)
