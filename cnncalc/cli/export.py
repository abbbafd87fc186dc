"""`cnncalc export SPEC --to TARGET -o FILE`: build the spec and hand it to one target's
writer. A target is one entry in `TARGETS`; its module (and the framework it needs) is
imported only when that target is asked for."""
from __future__ import annotations

import importlib
import re
import sys
from dataclasses import dataclass

import click

from .problems import fail, parse_sizes


@dataclass(frozen=True)
class Target:
    """Where a target's writer lives ('module:function'), and what to install for it.

    The writer is called as `writer(network, path, seed=, weights=, batch=)` and returns
    a one-line summary; it raises SpecError for a network it cannot express."""

    writer: str
    needs: tuple[str, ...]  # modules imported before the writer's own: their absence is
    install: str            # said in one line with this install hint


TARGETS: dict[str, Target] = {
    "onnx": Target("cnncalc.interop.onnx_export:write_onnx", ("onnx",),
                   "pip install 'cnncalc[onnx]'"),
    "pytorch": Target("cnncalc.interop.pytorch_export:write_pytorch", (), ""),
}

_SYMBOL = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,31}")


def _batch(ctx: click.Context, param: click.Parameter, text: str) -> int | str:
    """An integer >= 1, or a symbolic dimension's name (N, batch)."""
    text = str(text).strip()
    if text.isascii() and text.isdigit() and len(text) <= 9 and int(text) >= 1:
        return int(text)
    if _SYMBOL.fullmatch(text):
        return text
    raise click.BadParameter("expected an integer >= 1 or a name for a symbolic batch "
                             "(e.g. N)", param_hint="--batch")


@click.command("export")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--to", "target", required=True, type=click.Choice(sorted(TARGETS)),
              help="The format to write.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The file to write (replaced atomically; nothing is written on an "
                   "error); '-' prints a PyTorch module's source.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="ONNX: seed of the random weights, the ones `cnncalc run --seed` uses.")
@click.option("--no-weights", is_flag=True,
              help="ONNX: structure only, every learned tensor a graph input with its shape "
                   "and no data.")
@click.option("--batch", default="1", show_default=True, callback=_batch,
              help="ONNX: the batch dimension, an integer or a name (e.g. N) for a "
                   "symbolic one.")
@click.option("--input-size", help="Other spatial input size: H, or H,W (D,H,W in 3-D).")
def export_command(spec: str, target: str, output: str, seed: int, no_weights: bool,
                   batch: int | str, input_size: str | None) -> None:
    """Write the network in another format: ONNX (opset 20, eval mode), names and shapes
    from the spec; or a PyTorch module's source.

    \b
    Examples:
      cnncalc export examples/resnet18.yaml --to onnx -o resnet18.onnx
      cnncalc export examples/unet.yaml --to onnx -o unet.onnx --no-weights --batch N
      cnncalc export examples/resnet18.yaml --to pytorch -o resnet18.py
    """
    chosen = TARGETS[target]
    for module in chosen.needs:
        try:
            importlib.import_module(module)
        except ImportError:
            click.echo(f"cnncalc export --to {target} needs {module}: {chosen.install}",
                       err=True)
            sys.exit(2)
    from ..build import build
    from ..errors import SpecError
    from ..spec import load_file

    sizes = None if input_size is None else parse_sizes(input_size, "--input-size", 1)
    module, name = chosen.writer.split(":")
    writer = getattr(importlib.import_module(module), name)
    try:
        base = load_file(spec)
        try:
            sized = base.resized(sizes) if sizes else base
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--input-size") from None
        try:
            network = build(sized)
        except ValueError as err:
            at = f" at input size {input_size}" if sizes else ""
            click.echo(f"{spec}: the network could not be built{at}: {err}", err=True)
            sys.exit(2)
        summary = writer(network, output, seed=seed, weights=not no_weights, batch=batch)
    except SpecError as error:
        fail(error)
    click.echo(summary, nl=not summary.endswith("\n"))
