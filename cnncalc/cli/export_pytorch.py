"""`cnncalc export SPEC --to pytorch -o net.py`: the spec as a PyTorch module's source.

Writes text only: neither torch nor numpy is imported. `export_command` takes a dict of
targets so that other formats (ONNX) join it as one more entry.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from .problems import fail


def _pytorch(network: Any, output: str, options: dict[str, Any]) -> str | None:
    """Write the module's source to `output` ('-': standard output)."""
    from ..interop.pytorch_export import export_pytorch, render

    if output == "-":
        click.echo(render(network), nl=False)
        return None
    export_pytorch(network, output)
    return f"wrote {output}: a torch.nn.Module from {network.spec.file}"


# target: (what it writes, the function writing it from a network to an output path with
# options and returning what to say on stderr, if anything)
TARGETS: dict[str, tuple[str, Callable[[Any, str, dict[str, Any]], str | None]]] = {
    "pytorch": ("a torch.nn.Module's Python source", _pytorch),
}


@click.command("export")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--to", "target", type=click.Choice(sorted(TARGETS)), required=True,
              help="The format to write: " + "; ".join(f"{name}: {what}" for name, (what, _)
                                                       in sorted(TARGETS.items())) + ".")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The file to write (replaced atomically); '-' for standard output.")
def export_command(spec: str, target: str, output: str) -> None:
    """Write the spec's network in another framework's format.

    \b
    Example:
      cnncalc export examples/resnet18.yaml --to pytorch -o resnet18.py
      cnncalc export examples/lenet5.yaml --to pytorch -o -
    """
    from ..build import build
    from ..errors import SpecError
    from ..spec import load_file

    try:
        network = build(load_file(spec))
        message = TARGETS[target][1](network, output, {})
    except SpecError as error:
        fail(error)
    if message:
        click.echo(message, err=True)
