"""How fast the calculator answers, against references measured in the same run.

1. `cnncalc shapes examples/resnet50.yaml` as a whole process, against
   `python -c "import click, yaml, tabulate"` (the floor any tool on these libraries pays).
   Target: at most 1.3x. Also checks that numpy is never imported on this path. The package
   is byte-compiled first, as `pip install` does. `cnncalc diff` of ResNet-18 and ResNet-34
   (two networks analysed, matched and rendered) against the same floor.
2. A generated N-layer spec (conv/bn/relu repeated, plus residual blocks), computed in-process
   for N = 1,250 ... 10,000: time per layer must stay flat (linear growth), and 10,000 layers
   under one second.

Run: python benchmarks/bench_calculator.py [--runs 21]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "resnet50.yaml"


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def process_ratio(runs: int) -> None:
    # pip byte-compiles an installed package; a source checkout (or PYTHONDONTWRITEBYTECODE)
    # would recompile every module on every run, which no installed user pays
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "cnncalc")], check=True)
    reference = [sys.executable, "-c", "import click, yaml, tabulate"]
    ours = [sys.executable, "-m", "cnncalc", "shapes", str(EXAMPLE)]
    diff = [sys.executable, "-m", "cnncalc", "diff", str(ROOT / "examples" / "resnet18.yaml"),
            str(ROOT / "examples" / "resnet34.yaml")]
    for argv in (reference, ours, diff):  # warm the file cache and .pyc files
        wall(argv)
    ref_times, our_times, diff_times = [], [], []
    for _ in range(runs):  # interleaved, so machine load hits all alike
        ref_times.append(wall(reference))
        our_times.append(wall(ours))
        diff_times.append(wall(diff))
    ref, us = statistics.median(ref_times), statistics.median(our_times)
    print(f"import click, yaml, tabulate      median {ref * 1000:7.1f} ms, best "
          f"{min(ref_times) * 1000:6.1f} ms  ({runs} runs)")
    print(f"cnncalc shapes resnet50.yaml      median {us * 1000:7.1f} ms, best "
          f"{min(our_times) * 1000:6.1f} ms")
    print(f"ratio                             median {us / ref:.2f}x, best "
          f"{min(our_times) / min(ref_times):.2f}x  (target <= 1.30x)")
    print(f"cnncalc diff resnet18 resnet34    median {statistics.median(diff_times) * 1000:7.1f}"
          f" ms: {statistics.median(diff_times) / ref:.2f}x the import floor")
    probe = (f"import sys, runpy; sys.argv = ['cnncalc', 'shapes', {str(EXAMPLE)!r}]\n"
             "try:\n    runpy.run_module('cnncalc', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print('numpy imported' if 'numpy' in sys.modules else 'numpy not imported',"
             " file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    print(f"numpy on the shapes path:         {result.stderr.strip().splitlines()[-1]}")


def generated_spec(layers: int) -> str:
    """conv-bn-relu triples, every fourth one wrapped in a residual: `layers` rows in all."""
    lines = ["input: [16, 64, 64]", "layers:"]
    count = 0
    while count < layers:
        if count % 12 == 0 and count + 4 <= layers:
            lines += ["  - residual:", "      main:",
                      "        - conv: {filters: 16, kernel: 3, padding: 1, bias: false}",
                      "        - batchnorm", "        - relu"]
            count += 4  # three layers and the add
        else:
            kind = ("  - conv: {filters: 16, kernel: 3, padding: 1}", "  - batchnorm",
                    "  - relu")[count % 3]
            lines.append(kind)
            count += 1
    return "\n".join(lines) + "\n"


def scaling() -> None:
    from cnncalc import analyze_text
    from cnncalc.report import render

    print("\nlayers   compute+render   per layer  (in-process, best of 3)")
    per_layer = []
    for n in (1250, 2500, 5000, 10000):
        text = generated_spec(n)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            analysis = analyze_text(text, "generated.yaml")
            render(analysis, "shapes", "table")
            best = min(best, time.perf_counter() - start)
        assert len(analysis.rows) == n, (len(analysis.rows), n)
        per_layer.append(best / n)
        print(f"{n:6d}   {best * 1000:10.1f} ms   {best / n * 1e6:7.1f} us")
    print(f"per-layer cost at 10,000 vs 1,250 layers: {per_layer[-1] / per_layer[0]:.2f}x "
          "(1.00x = linear)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    process_ratio(args.runs)
    scaling()


if __name__ == "__main__":
    main()
