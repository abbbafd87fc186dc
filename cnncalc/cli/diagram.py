"""`cnncalc diagram SPEC`: the network drawn as Mermaid or DOT text, or as an SVG or PNG
picture through Graphviz's `dot` (stamped with its source, as `cnncalc check` verifies)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .tables import analyze_path, spec_options

TEXT_FORMATS = ("mermaid", "dot")
SUFFIXES = {".mmd": "mermaid", ".mermaid": "mermaid", ".dot": "dot", ".gv": "dot",
            ".svg": "svg", ".png": "png"}


def _format(fmt: str | None, output: str | None) -> str:
    """--format if given, else the output file's suffix, else mermaid."""
    if fmt:
        return fmt
    if output is None or output == "-":
        return "mermaid"
    suffix = Path(output).suffix.lower()
    if suffix not in SUFFIXES:
        raise click.BadParameter(f"cannot tell the format from the suffix {suffix or '(none)'}"
                                 f"; use {', '.join(SUFFIXES)} or --format", param_hint="-o")
    return SUFFIXES[suffix]


@click.command("diagram")
@click.argument("spec", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice((*TEXT_FORMATS, "svg", "png")),
              help="mermaid (GitHub and GitLab draw it in Markdown), dot (Graphviz), or svg "
                   "and png drawn by Graphviz's dot [default: from -o's suffix, else "
                   "mermaid].")
@click.option("--depth", type=click.IntRange(min=0),
              help="One box per block instance at this nesting level (1: the blocks written "
                   "in `layers:`); 0: the network as one box [default: every layer].")
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="The file to write (replaced atomically; nothing is written on an "
                   "error); its suffix (.mmd, .dot, .svg, .png) picks the format.")
@spec_options(memory=False)
def diagram_command(spec: str, fmt: str | None, depth: int | None, output: str | None,
                    input_size: tuple[int, ...] | None, framework: str | None,
                    rounding: str | None, max_layers: int | None) -> None:
    """Draw the network: one box per layer (or per block with --depth), labelled with its
    kind, key arguments and output shape; blocks as clusters, tensor sizes on the arrows
    where they change, branches and side outputs as the graph they are.

    \b
    Examples:
      cnncalc diagram examples/lenet5.yaml
      cnncalc diagram examples/resnet50.yaml --depth 1 -o resnet50.svg
      cnncalc diagram examples/googlenet.yaml --format dot | dot -Tpdf -o googlenet.pdf
    """
    from ..diagram.dot import to_dot
    from ..diagram.mermaid import to_mermaid, too_large
    from ..diagram.model import build_diagram
    from ..errors import SpecError
    from ..files import write_atomic
    from ..pictures import DrawingError, draw
    from .problems import fail

    chosen = _format(fmt, output)
    target = None if output is None or output == "-" else output
    to_stdout = target is None
    if chosen == "png" and to_stdout:
        raise click.BadParameter("a PNG is written to a file: give -o FILE.png",
                                 param_hint="--format")
    analysis = analyze_path(spec, framework, rounding, max_layers, input_size)
    diagram = build_diagram(analysis, depth)
    if chosen == "mermaid":
        text = to_mermaid(diagram)
        problem = too_large(text)
        if problem:  # still written: a viewer with raised limits draws it
            click.echo(f"cnncalc: warning: {problem}", err=True)
        data = text.encode("utf-8")
    else:
        text = to_dot(diagram)
        try:
            data = text.encode("utf-8") if chosen == "dot" else draw("diagram", chosen, text)
        except DrawingError as error:
            click.echo(f"cnncalc: {error}", err=True)
            sys.exit(2)
    if target is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        write_atomic(target, data)
    except SpecError as error:
        fail(error)
