"""The command line: load, call one library function, render, exit.

Exit codes: 0 clean, 1 mismatches (or findings), 2 unreadable input or usage.
"""
from __future__ import annotations

import dataclasses
import gc
import sys
from collections.abc import Callable

import click

from . import geometry
from .analysis import Analysis, analyze, no_gc
from .build import build
from .errors import SpecError
from .report import FORMATS, notes, render
from .spec import load_file


def fail(error: SpecError) -> None:
    """Every problem on its own located line, then exit 2: never a traceback."""
    for problem in error.problems:
        click.echo(str(problem), err=True)
    sys.exit(2)


def _analyze(path: str, framework: str | None, rounding: str | None) -> Analysis:
    try:
        spec = load_file(path)
        if framework or rounding:
            spec = dataclasses.replace(
                spec, framework=("tensorflow" if framework == "keras" else framework)
                or spec.framework, rounding=rounding or spec.rounding)
        with no_gc():
            return analyze(build(spec))
    except SpecError as error:
        fail(error)
        raise  # unreachable: fail exits


def _report(analysis: Analysis, view: str, fmt: str) -> None:
    with no_gc():
        text = render(analysis, view, fmt)
    click.echo(text)
    if view in ("shapes", "summary") and fmt != "json":  # JSON carries it in "notes"
        for note in notes(analysis):
            click.echo(note, err=True)
    for mismatch in analysis.mismatches:
        click.echo(str(mismatch), err=True)
    if analysis.mismatches:
        sys.exit(1)


def _table_command(view: str, summary: str, example: str) -> Callable[..., None]:
    @click.argument("spec", type=click.Path(dir_okay=False))
    @click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
                  show_default=True, help="Output format; json carries every figure.")
    @click.option("--framework", type=click.Choice(geometry.FRAMEWORKS),
                  help="Override the spec's framework preset for output sizes.")
    @click.option("--rounding", type=click.Choice(geometry.ROUNDINGS),
                  help="Override the spec's rounding rule.")
    def command(spec: str, fmt: str, framework: str | None, rounding: str | None) -> None:
        _report(_analyze(spec, framework, rounding), view, fmt)

    command.__doc__ = f"{summary}\n\n\b\nExample:\n  {example}"
    return command


class LazyGroup(click.Group):
    """A group whose heavier subcommands (lint, check, rules, run) are imported only when
    used, so `cnncalc shapes` never pays for the linter or numpy (click's lazy-loading
    pattern)."""

    lazy = {"lint": "cnncalc.lint.cli:lint_command",
            "rules": "cnncalc.lint.cli:rules_command",
            "check": "cnncalc.lint.cli:check_command",
            "run": "cnncalc.executor.cli:run_command"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            import importlib

            module, attr = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cnncalc")
def main() -> None:
    """cnncalc: shapes, parameters, MACs and receptive fields of a CNN written as YAML.

    \b
    Examples:
      cnncalc shapes examples/resnet18.yaml
      cnncalc summary examples/vgg16.yaml --format markdown
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
    try:
        values = tuple(int(v) for v in str(text).split(","))
    except ValueError:
        raise click.BadParameter(f"expected an integer or integers joined by commas; found "
                                 f"{text!r}", param_hint=name) from None
    if any(v < 0 for v in values):
        raise click.BadParameter("must not be negative", param_hint=name)
    return values


@main.command("conv")
@click.option("--input", "size", required=True, help="Input size N (or H,W).")
@click.option("--kernel", required=True, help="Kernel size K (or per axis).")
@click.option("--stride", default="1", show_default=True)
@click.option("--padding", default="0", show_default=True, help="Padding p on each side.")
@click.option("--dilation", default="1", show_default=True)
@click.option("--rounding", type=click.Choice(geometry.ROUNDINGS),
              help="Mark the size this rule gives (the seed's ceil rule or floor).")
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


@main.command("same")
@click.option("--kernel", required=True, type=click.IntRange(min=1))
@click.option("--stride", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--dilation", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--input", "size", type=click.IntRange(min=1),
              help="Input size N; with stride > 1 the padding depends on N mod stride.")
def same_command(kernel: int, stride: int, dilation: int, size: int | None) -> None:
    """The padding that keeps the size (stride 1) or gives ceil(N/s) outputs: 'same'.

    At stride 1 with an odd kernel it is the seed's p = (F - 1)/2 on both sides; otherwise
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
