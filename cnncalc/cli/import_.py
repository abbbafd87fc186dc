"""`cnncalc import MODEL.onnx`: an ONNX model as a spec. The `onnx` package is imported only
when the command runs."""
from __future__ import annotations

import sys

import click

INSTALL = "cnncalc import needs the onnx package: pip install 'cnncalc[onnx]'"


@click.command("import")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the spec here (atomically) instead of to standard output.")
@click.option("--flat", is_flag=True,
              help="One entry per node: no residual/branches forms, no blocks.")
def import_command(model: str, output: str | None, flat: bool) -> None:
    """Write the spec of an ONNX model: a layer per node, names from the graph, parameters
    from the initializers' shapes, repeated structures as blocks. A node with no cnncalc
    kind is named in one line (exit 2) and nothing is written.

    \b
    Example:
      cnncalc import resnet18.onnx -o resnet18.yaml && cnncalc lint resnet18.yaml
    """
    try:
        import onnx  # noqa: F401
    except ImportError:
        click.echo(INSTALL, err=True)
        sys.exit(2)
    from ..errors import SpecError
    from ..files import write_atomic
    from ..interop.onnx_import import ImportProblem, import_model
    from .problems import fail

    try:
        text, notes = import_model(model, structured=not flat)
    except ImportProblem as problem:
        click.echo(" ".join(str(problem).split()), err=True)
        sys.exit(2)
    for note in notes:
        click.echo(note, err=True)
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        write_atomic(output, text.encode())
    except SpecError as error:
        fail(error)
