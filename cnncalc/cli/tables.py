"""The table commands (shapes, params, rf, summary) and the one-layer helpers (conv, same,
kinds): load, call one library function, render, exit."""
from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from .. import geometry, limits
from ..analysis import Analysis, analyze
from ..build import build
from ..errors import SpecError
from ..report import FORMATS, notes, render
from ..spec import DTYPE_BYTES, NetSpec, load_file
from .problems import fail, input_size_option, parse_sizes


def analyze_path(path: str, framework: str | None, rounding: str | None,
                 max_layers: int | None = None, input_size: tuple[int, ...] | None = None,
                 dtype: str | None = None) -> Analysis:
    """The spec file at `path` (or - for standard input) analysed as `analyze_as_asked`
    does; a spec that cannot be read ends the command (exit 2)."""
    try:
        spec = load_file(path)
    except SpecError as error:
        fail(error)
        raise  # unreachable: fail exits
    return analyze_as_asked(spec, framework, rounding, max_layers, input_size, dtype)


def analyze_as_asked(spec: NetSpec, framework: str | None, rounding: str | None,
                     max_layers: int | None = None,
                     input_size: tuple[int, ...] | None = None,
                     dtype: str | None = None) -> Analysis:
    """A loaded spec analysed with the command line's overrides (framework, rounding,
    dtype, input size); its problems end the command (exit 2)."""
    if framework or rounding:
        spec = spec.replace(
            framework=("tensorflow" if framework == "keras" else framework)
            or spec.framework, rounding=rounding or spec.rounding)
    if dtype:
        spec = spec.replace(dtype=dtype)
    if input_size:
        try:
            spec = spec.resized(input_size)
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--input-size") from None
    try:
        return analyze(build(spec, max_layers))
    except SpecError as error:
        if input_size:  # the spec was written for another size: say at which it failed
            size = ",".join(map(str, input_size))
            error = SpecError([p.replace(message=f"{p.message} (at --input-size "
                                                               f"{size})")
                               for p in error.problems])
        fail(error)
        raise  # unreachable: fail exits


def _report(analysis: Analysis, view: str, fmt: str, depth: int | None = None,
            batch: int = 1, resized: bool = False) -> None:
    text = render(analysis, view, fmt, depth, batch)
    click.echo(text)
    if view in ("shapes", "summary") and fmt != "json":  # JSON carries it in "notes"
        for note in notes(analysis):
            click.echo(note, err=True)
    if resized:  # expectations state the figures at the spec's own input size
        if analysis.mismatches:
            count = len(analysis.mismatches)
            click.echo(f"note: {count} of the spec's expectations {'does' if count == 1 else 'do'}"
                       f" not hold at this --input-size; they describe the spec's own input "
                       f"size, so they are not reported and do not fail the command", err=True)
        return
    for mismatch in analysis.mismatches:
        click.echo(str(mismatch), err=True)
    if analysis.mismatches:
        sys.exit(1)


def spec_options(command: Callable[..., None] | None = None, *, memory: bool = True
                 ) -> Any:
    """The options every command that analyses a spec takes, to analyse it otherwise than
    it says: --input-size, --dtype (with `memory`: only where memory is shown),
    --framework, --rounding, --max-layers (see `analyze_as_asked`). Used as
    `@spec_options` or `@spec_options(memory=False)`."""
    options = [
        click.option("--input-size", callback=input_size_option, metavar="H[,W]",
                     help="Other spatial input size: one for every axis, or one per axis "
                          "(the spec's expectations are then not reported)."),
        click.option("--dtype", type=click.Choice(tuple(DTYPE_BYTES)),
                     help="Bytes per value for memory figures [default: the spec's dtype, "
                          "else float32]."),
        click.option("--framework", type=click.Choice(geometry.FRAMEWORKS),
                     help="Override the spec's framework preset for output sizes."),
        click.option("--rounding", type=click.Choice(geometry.ROUNDINGS),
                     help="Override the spec's rounding rule."),
        click.option("--max-layers", type=click.IntRange(min=1), envvar=limits.LAYERS_ENV,
                     show_envvar=True,
                     help=f"Refuse a spec that expands to more layers [default: "
                          f"{limits.MAX_LAYERS:,}].")]
    if not memory:
        del options[1]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate if command is None else decorate(command)


def _table_command(view: str, summary: str, example: str) -> Callable[..., None]:
    @click.argument("spec", type=click.Path(dir_okay=False, allow_dash=True))
    @click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                  show_default=True, help="Output format; json carries every figure.")
    @click.option("--depth", type=click.IntRange(min=0),
                  help="One row per block instance at this nesting level (1: the blocks "
                       "written in `layers:`), with subtotals; layers outside such blocks "
                       "stay rows; 0: the network as one row [default: every layer].")
    @spec_options
    @click.option("--batch", type=click.IntRange(min=1, max=limits.MAX_AXIS), default=1,
                  show_default=True,
                  help="Samples per batch: the footer adds per-batch MACs, ops and "
                       "activations, and summary's memory figures count them.")
    def command(spec: str, fmt: str, depth: int | None, input_size: tuple[int, ...] | None,
                batch: int, dtype: str | None, framework: str | None, rounding: str | None,
                max_layers: int | None) -> None:
        analysis = analyze_path(spec, framework, rounding, max_layers, input_size, dtype)
        _report(analysis, view, fmt, depth, batch, resized=input_size is not None)

    command.__doc__ = (f"{summary}\n\nSPEC is a YAML file, or - for standard input.\n\n"
                       f"\b\nExample:\n  {example}")
    return command


TABLES = {
    "shapes": _table_command(
        "shapes", "Every layer's input and output shape.",
        "cnncalc shapes examples/resnet18.yaml --framework pytorch"),
    "params": _table_command(
        "params", "Parameters per filter and in total, trainable and not.",
        "cnncalc params examples/vgg16.yaml --format csv"),
    "rf": _table_command(
        "rf", "Receptive field per layer: size, jump (effective stride), start (center of the "
        "first output's field).", "cnncalc rf examples/alexnet.yaml"),
    "summary": _table_command(
        "summary", "All columns: shapes, params, MACs, other ops, memory, receptive field.",
        "cnncalc summary examples/resnet50.yaml --format json"),
}


@click.command("conv")
@click.option("--input", "size", required=True, help="Input size N (or H,W).")
@click.option("--kernel", required=True, help="Kernel size K (or per axis).")
@click.option("--stride", default="1", show_default=True)
@click.option("--padding", default="0", show_default=True, help="Padding p on each side.")
@click.option("--dilation", default="1", show_default=True)
@click.option("--rounding", type=click.Choice(geometry.ROUNDINGS),
              help="Mark the size this rule gives (the ceil rule or floor).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True)
def conv_command(size: str, kernel: str, stride: str, padding: str, dilation: str,
                 rounding: str | None, fmt: str) -> None:
    """Output size of one conv or pooling layer under every convention, side by side.

    n = ceil((N + 2p - F)/s + 1) with F = d(K - 1) + 1 is the ceil rule (cnncalc's default);
    PyTorch and Caffe conv use floor; Caffe pooling uses ceil but drops a last window that
    starts in the padding; PyTorch's ceil_mode always does.

    \b
    Example:
      cnncalc conv --input 224 --kernel 7 --stride 2 --padding 3
    """
    from ..quick import conv_table

    sizes, kernels, strides, paddings, dilations = (
        parse_sizes(v, n) for v, n in ((size, "--input"), (kernel, "--kernel"),
                                       (stride, "--stride"), (padding, "--padding"),
                                       (dilation, "--dilation")))
    try:
        click.echo(conv_table(sizes, kernels, strides, paddings, dilations, fmt=fmt,
                              rounding=rounding))
    except ValueError as err:
        raise click.UsageError(str(err)) from None


_SIZE = click.IntRange(min=1, max=limits.MAX_AXIS)


@click.command("same")
@click.option("--kernel", required=True, type=_SIZE)
@click.option("--stride", default=1, show_default=True, type=_SIZE)
@click.option("--dilation", default=1, show_default=True, type=_SIZE)
@click.option("--input", "size", type=_SIZE,
              help="Input size N; with stride > 1 the padding depends on N mod stride.")
def same_command(kernel: int, stride: int, dilation: int, size: int | None) -> None:
    """The padding that keeps the size (stride 1) or gives ceil(N/s) outputs: 'same'.

    At stride 1 with an odd kernel it is the symmetric p = (F - 1)/2 on both sides; otherwise
    TensorFlow's rule, with the extra pixel after (bottom/right).

    \b
    Example:
      cnncalc same --kernel 5
      cnncalc same --kernel 3 --stride 2 --input 224
    """
    from ..quick import same_text

    click.echo(same_text(kernel, stride, dilation, size))


@click.command("kinds")
@click.argument("kind", required=False)
@click.option("--format", "fmt", type=click.Choice(("table", "markdown", "json")),
              default="table", show_default=True,
              help="json for tools; markdown as docs/spec.md shows it.")
def kinds_command(kind: str | None, fmt: str) -> None:
    """List the layer kinds a spec may use, with their aliases and descriptions; with KIND
    (a kind or an alias), that kind's arguments (type, default, meaning) and its PyTorch and
    Keras equivalents.

    \b
    Example:
      cnncalc kinds
      cnncalc kinds conv
      cnncalc kinds --format json
    """
    from ..quick import kind_text, kinds_text

    if kind is None:
        click.echo(kinds_text(fmt))
        return
    try:
        click.echo(kind_text(kind, fmt))
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="KIND") from None


