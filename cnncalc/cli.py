"""The command line: load, call one library function, render, exit.

Exit codes: 0 clean, 1 mismatches (or findings), 2 unreadable input or usage, 3 an
internal error (a bug: one line, the traceback with --debug), 130 interrupted (Ctrl-C).
"""
from __future__ import annotations

import dataclasses
import gc
import sys
from collections.abc import Callable
from typing import ClassVar

import click

from . import geometry, limits
from .analysis import Analysis, analyze, no_gc
from .build import build
from .errors import SpecError, show
from .report import FORMATS, notes, render
from .spec import DTYPE_BYTES, load_file


def fail(error: SpecError) -> None:
    """Every problem on its own located line, then exit 2: never a traceback."""
    for problem in error.problems:
        click.echo(str(problem), err=True)
    sys.exit(2)


def _analyze(path: str, framework: str | None, rounding: str | None,
             max_layers: int | None = None, input_size: tuple[int, ...] | None = None,
             dtype: str | None = None) -> Analysis:
    try:
        spec = load_file(path)
    except SpecError as error:
        fail(error)
        raise  # unreachable: fail exits
    if framework or rounding:
        spec = dataclasses.replace(
            spec, framework=("tensorflow" if framework == "keras" else framework)
            or spec.framework, rounding=rounding or spec.rounding)
    if dtype:
        spec = dataclasses.replace(spec, dtype=dtype)
    if input_size:
        try:
            spec = spec.resized(input_size)
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--input-size") from None
    try:
        with no_gc():
            return analyze(build(spec, max_layers))
    except SpecError as error:
        if input_size:  # the spec was written for another size: say at which it failed
            size = ",".join(map(str, input_size))
            error = SpecError([dataclasses.replace(p, message=f"{p.message} (at --input-size "
                                                               f"{size})")
                               for p in error.problems])
        fail(error)
        raise  # unreachable: fail exits


def _report(analysis: Analysis, view: str, fmt: str, depth: int | None = None,
            batch: int = 1, resized: bool = False) -> None:
    with no_gc():
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


def _input_size(ctx: click.Context, param: click.Parameter,
                text: str | None) -> tuple[int, ...] | None:
    """'64' or '64,48' -> (64,) or (64, 48): every spatial axis, or one size per axis."""
    if text is None:
        return None
    sizes = _ints(text, "--input-size")
    if min(sizes) < 1:
        raise click.BadParameter("sizes must be at least 1", param_hint="--input-size")
    return sizes


def _table_command(view: str, summary: str, example: str) -> Callable[..., None]:
    @click.argument("spec", type=click.Path(dir_okay=False, allow_dash=True))
    @click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                  show_default=True, help="Output format; json carries every figure.")
    @click.option("--depth", type=click.IntRange(min=0),
                  help="One row per block instance at this nesting level (1: the blocks "
                       "written in `layers:`), with subtotals; layers outside such blocks "
                       "stay rows; 0: the network as one row [default: every layer].")
    @click.option("--input-size", callback=_input_size, metavar="H[,W]",
                  help="Other spatial input size: one for every axis, or one per axis "
                       "(the spec's expectations are then not reported).")
    @click.option("--batch", type=click.IntRange(min=1, max=limits.MAX_AXIS), default=1,
                  show_default=True,
                  help="Samples per batch: the footer adds per-batch MACs, ops and "
                       "activations, and summary's memory figures count them.")
    @click.option("--dtype", type=click.Choice(tuple(DTYPE_BYTES)),
                  help="Bytes per value for memory figures [default: the spec's dtype, "
                       "else float32].")
    @click.option("--framework", type=click.Choice(geometry.FRAMEWORKS),
                  help="Override the spec's framework preset for output sizes.")
    @click.option("--rounding", type=click.Choice(geometry.ROUNDINGS),
                  help="Override the spec's rounding rule.")
    @click.option("--max-layers", type=click.IntRange(min=1), envvar=limits.LAYERS_ENV,
                  show_envvar=True,
                  help=f"Refuse a spec that expands to more layers [default: "
                       f"{limits.MAX_LAYERS:,}].")
    def command(spec: str, fmt: str, depth: int | None, input_size: tuple[int, ...] | None,
                batch: int, dtype: str | None, framework: str | None, rounding: str | None,
                max_layers: int | None) -> None:
        analysis = _analyze(spec, framework, rounding, max_layers, input_size, dtype)
        _report(analysis, view, fmt, depth, batch, resized=input_size is not None)

    command.__doc__ = (f"{summary}\n\nSPEC is a YAML file, or - for standard input.\n\n"
                       f"\b\nExample:\n  {example}")
    return command


class LazyGroup(click.Group):
    """A group whose heavier subcommands (lint, check, rules, run) are imported only when
    used, so `cnncalc shapes` never pays for the linter or numpy (click's lazy-loading
    pattern)."""

    lazy: ClassVar[dict[str, str]] = {"lint": "cnncalc.lint.cli:lint_command",
                                       "rules": "cnncalc.lint.cli:rules_command",
                                       "check": "cnncalc.lint.cli:check_command",
                                       "run": "cnncalc.executor.cli:run_command"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; whatever escapes it ends in one line, never a traceback
        (unless --debug): the spec's problems exit 2, a bug exits 3, Ctrl-C exits 130."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except SpecError as error:  # a command that let one through: still the user's
            fail(error)
        except KeyboardInterrupt:
            sys.exit(130)
        except BrokenPipeError:
            raise  # click's handler: quiet exit once the reader has gone (`| head`)
        except (RecursionError, MemoryError) as error:
            if ctx.params.get("debug"):
                raise
            what = "nests too deeply" if isinstance(error, RecursionError) else \
                "needs more memory than there is"
            click.echo(f"cnncalc: the spec {what} to analyse; simplify it, or rerun with "
                       f"--debug and report it with the spec", err=True)
            sys.exit(2)
        except Exception as error:  # the last line of defence: a bug, said in one line
            if ctx.params.get("debug"):
                raise
            click.echo(internal_error(error), err=True)
            sys.exit(3)
        return None  # unreachable: every handler above exits

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            import importlib

            module, attr = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


def internal_error(error: BaseException) -> str:
    """One line that says a bug happened and how to report it."""
    text = " ".join(str(error).split())[:200]
    return (f"cnncalc: internal error: {type(error).__name__}: {show(text)[1:-1]}; please "
            f"report it at the project's issue tracker with the spec; rerun with --debug "
            f"for the traceback")


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cnncalc")
@click.option("--debug", is_flag=True, envvar="CNNCALC_DEBUG",
              help="On an internal error, show Python's traceback.")
def main(debug: bool) -> None:
    """cnncalc: shapes, parameters, MACs and receptive fields of a CNN written as YAML.

    \b
    Examples:
      cnncalc shapes examples/resnet18.yaml
      cnncalc summary examples/vgg16.yaml --format markdown
      cnncalc params examples/resnet18.yaml --depth 1
      cnncalc conv --input 224 --kernel 7 --stride 2 --padding 3
    """


main.command("shapes")(_table_command(
    "shapes", "Every layer's input and output shape.",
    "cnncalc shapes examples/resnet18.yaml --framework pytorch"))
main.command("params")(_table_command(
    "params", "Parameters per filter and in total, trainable and not.",
    "cnncalc params examples/vgg16.yaml --format csv"))
main.command("rf")(_table_command(
    "rf", "Receptive field per layer: size, jump (effective stride), start (center of the "
    "first output's field).", "cnncalc rf examples/alexnet.yaml"))
main.command("summary")(_table_command(
    "summary", "All columns: shapes, params, MACs, other ops, memory, receptive field.",
    "cnncalc summary examples/resnet50.yaml --format json"))


def _ints(text: str, name: str) -> tuple[int, ...]:
    """'7' or '7,5' -> (7,) or (7, 5): one to three axes, each from 0 to 2**31."""
    parts = str(text).split(",")
    if len(parts) > 3 or not all(p.strip().isascii() and p.strip().isdigit() and
                                 len(p.strip()) <= 12 for p in parts if
                                 not p.strip().startswith("-")):
        raise click.BadParameter(f"expected an integer or one per axis (at most 3) joined "
                                 f"by commas; found {show(text)}", param_hint=name)
    try:
        values = tuple(int(v) for v in parts)
    except ValueError:
        raise click.BadParameter(f"expected an integer or integers joined by commas; found "
                                 f"{show(text)}", param_hint=name) from None
    if any(v < 0 for v in values):
        raise click.BadParameter("must not be negative", param_hint=name)
    if any(v > limits.MAX_AXIS for v in values):
        raise click.BadParameter(f"must be at most {limits.MAX_AXIS:,}", param_hint=name)
    return values


@main.command("conv")
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
    from .quick import conv_table

    axes = [_ints(v, n) for v, n in ((size, "--input"), (kernel, "--kernel"),
                                     (stride, "--stride"), (padding, "--padding"),
                                     (dilation, "--dilation"))]
    try:
        click.echo(conv_table(*axes, fmt=fmt, rounding=rounding))
    except ValueError as err:
        raise click.UsageError(str(err)) from None


_SIZE = click.IntRange(min=1, max=limits.MAX_AXIS)


@main.command("same")
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
    from .quick import same_text

    click.echo(same_text(kernel, stride, dilation, size))


@main.command("kinds")
def kinds_command() -> None:
    """List the layer kinds a spec may use, with their aliases.

    \b
    Example:
      cnncalc kinds
    """
    from .quick import kinds_text

    click.echo(kinds_text())


def entry_point() -> None:
    """The `cnncalc` command. A short-lived process: cycle collections would only walk the
    thousands of small objects a build makes, and everything is freed at exit."""
    gc.disable()
    main()
