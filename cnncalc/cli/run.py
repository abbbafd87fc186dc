"""`cnncalc run`: load, call `executor.runner.run`, render, exit. NumPy is imported only when the
command runs, so the calculator's commands never need it."""
from __future__ import annotations

import sys
from typing import Any

import click

from .problems import fail, parse_sizes

FORMATS = ("table", "markdown", "csv", "json")
# Beyond these a run is not physical on any machine; the memory guard refuses far smaller
# ones, but the checks stay plain command-line errors and never reach NumPy's int64.
MAX_SIZE = 2 ** 24
MAX_BATCH = 2 ** 24


@click.command("run")
@click.argument("spec", type=click.Path(dir_okay=False))
@click.option("--batch", default=2, show_default=True,
              type=click.IntRange(min=1, max=MAX_BATCH),
              help="Samples in the random batch.")
@click.option("--input-size", help="Other spatial input size: H, or H,W (D,H,W in 3-D).")
@click.option("--backward/--no-backward", default=True, show_default=True,
              help="Also run backward from a scalar loss and check the gradients' shapes.")
@click.option("--eval", "eval_mode", is_flag=True,
              help="Eval mode: batch norm uses running statistics, dropout is off.")
@click.option("--dtype", type=click.Choice(("float32", "float64")), default="float32",
              show_default=True)
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
              help="Seed of the random weights and batch (an integer >= 0).")
@click.option("--gradcheck", is_flag=True,
              help="Check every layer's gradients by central differences in float64.")
@click.option("--max-memory", help="Refuse runs estimated above this, e.g. 2G (= 2 GiB: a "
                                   "bare K, M, G is binary), 512MiB, 1.5GB (decimal) "
                                   "[default: half the machine's memory].")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True)
@click.option("--compare", type=click.Choice(("onnxruntime",)),
              help="Also run the network exported to ONNX with the same weights and batch in "
                   "this runtime (eval mode, float32) and report the largest difference per "
                   "output; exit 1 beyond 1e-4 relative.")
def run_command(spec: str, batch: int, input_size: str | None, backward: bool,
                eval_mode: bool, dtype: str, seed: int, gradcheck: bool,
                max_memory: str | None, fmt: str, compare: str | None) -> None:
    """Run the network in NumPy: random weights and batch, forward and backward, and every
    executed shape against the calculated one (exit 1 on a mismatch).

    \b
    Example:
      cnncalc run examples/resnet18.yaml --input-size 64 --batch 4
      cnncalc run examples/tiny_all_kinds.yaml --gradcheck
      cnncalc run examples/unet.yaml --input-size 64 --compare onnxruntime
    """
    try:
        import numpy  # noqa: F401  (a dependency, but an environment may lack it)
    except ImportError:
        click.echo("cnncalc run needs numpy: pip install numpy", err=True)
        sys.exit(2)
    if compare:
        if dtype != "float32":
            raise click.BadParameter("--compare runs in float32; drop --dtype float64",
                                     param_hint="--dtype")
        for module in ("onnx", "onnxruntime"):
            try:
                __import__(module)
            except ImportError:
                click.echo(f"cnncalc run --compare onnxruntime needs {module}: "
                           f"pip install 'cnncalc[onnx]'", err=True)
                sys.exit(2)
        eval_mode = True  # both runtimes in eval mode: no dropout, running statistics
    from ..build import build
    from ..errors import SpecError
    from ..executor.memory import default_limit, parse_memory_limit
    from ..executor.runner import MemoryRefused, resized, run  # imports numpy
    from ..spec import load_file

    sizes = None if input_size is None else parse_sizes(input_size, "--input-size", 1,
                                                         MAX_SIZE)
    try:
        limit = parse_memory_limit(max_memory) if max_memory else default_limit()
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--max-memory") from None
    try:
        base = load_file(spec)
        try:
            sized = resized(base, sizes) if sizes else base
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--input-size") from None
        try:
            network = build(sized)
        except ValueError as err:  # the spec failed, not the option: say so
            at = f" at input size {input_size}" if sizes else ""
            click.echo(f"{spec}: the network could not be built{at}: {err}", err=True)
            sys.exit(2)
        if compare:
            from ..interop.onnx_export import to_onnx

            to_onnx(network, None)  # a layer without an ONNX form: said before running
        steps = len(network.nodes) * (2 if backward else 1)
        options: dict[str, Any] = {"batch": batch, "input_size": sizes, "dtype": dtype, "seed": seed,
                   "backward": backward, "train": not eval_mode,
                   "gradient_check": gradcheck, "max_memory": limit,
                   "keep": bool(compare)}
        if sys.stdout.isatty():
            with click.progressbar(length=steps, label="running", file=sys.stderr) as bar:
                result = run(base, progress=bar.update, **options)
        else:
            result = run(base, **options)
    except SpecError as error:
        fail(error)
    except MemoryRefused as refused:
        click.echo(f"{spec}: {refused}", err=True)
        sys.exit(2)
    from ..executor.render import render

    click.echo(render(result, fmt))
    for mismatch in result.mismatches:
        click.echo(str(mismatch), err=True)
    agree = True
    if compare:
        from ..interop.onnx_compare import compare_onnxruntime

        diffs = compare_onnxruntime(network, result)
        for diff in diffs:  # beside a table; on stderr when stdout is json or csv
            click.echo(str(diff), err=fmt in ("json", "csv"))
        agree = all(diff.ok for diff in diffs)
    if not result.ok or not agree:
        sys.exit(1)
