"""ResNet-18, batch 8, 224x224, forward and backward: cnncalc's NumPy executor against PyTorch.

Run from the repository root, with any Python that has numpy (and torch, optional: without
it only the executor runs); it measures this checkout's cnncalc, not an installed one:

    python benchmarks/bench_executor.py [--batch 8] [--size 224] [--repeat 3] [--threads N]

Each side runs in its own subprocess with the same thread count (OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS, torch.set_num_threads), so that its peak memory is its own. The NumPy side
also gets OPENBLAS_THREAD_TIMEOUT=4 (--blas-timeout; 0 leaves OpenBLAS's default): after
each product OpenBLAS's idle threads otherwise busy-wait for 2^28 cycles (about 0.1 s), and
the spinning thread takes a core from NumPy's own passes between the products (measured:
about 80-100 ms of ResNet-18's forward + backward). PyTorch's kernels all run on its thread
pool, so it has no such gap to lose. The peak is
ru_maxrss at the end minus the resident size before the model was built (the libraries
themselves are not counted), plus tracemalloc's peak for the executor, whose arrays NumPy
reports to it. Times are the best of --repeat runs after one warm-up; the loss is
cross-entropy on random labels for both.

It prints the time and memory ratios, the achieved GFLOP/s (3 x 2 x MACs per sample x batch,
forward plus the two backward products) against a NumPy matmul the size of a middle conv's
product in the same process, and the executor's time per layer kind.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "examples" / "resnet18.yaml"
sys.path.insert(0, str(ROOT))  # this checkout's cnncalc, whatever else is installed


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def numpy_worker(batch: int, size: int, repeat: int) -> dict:
    import numpy as np

    from cnncalc.analysis import analyze
    from cnncalc.build import build
    from cnncalc.executor.runner import resized, run
    from cnncalc.spec import load_file

    spec = resized(load_file(SPEC), (size,))
    macs = analyze(build(spec)).totals.macs
    # the matmul reference: layer2's 3x3 conv as one product, (128 x 1152) @ (1152 x 8*28*28)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((128, 1152), dtype=np.float32)
    b = rng.standard_normal((1152, batch * 28 * 28 * (size // 224) ** 2 or 1),
                            dtype=np.float32)
    best_mm = min(_timed(lambda a=a, b=b: a @ b) for _ in range(5))
    matmul_gflops = 2 * a.shape[0] * a.shape[1] * b.shape[1] / best_mm / 1e9
    del a, b
    before = _rss()
    tracemalloc.start()
    runs = []
    for _ in range(repeat + 1):
        tracemalloc.reset_peak()
        result = run(spec, batch=batch, dtype="float32")
        runs.append((result.forward_ms + result.backward_ms, result,
                     tracemalloc.get_traced_memory()[1]))
    tracemalloc.stop()
    total, result, traced = min(runs[1:], key=lambda r: r[0])
    kinds: dict[str, list[float]] = {}
    for layer in result.layers:
        times = kinds.setdefault(layer.kind, [0.0, 0.0])
        times[0] += layer.forward_ms
        times[1] += layer.backward_ms or 0.0
    return {"forward_ms": result.forward_ms, "backward_ms": result.backward_ms,
            "total_ms": total, "peak_bytes": _maxrss() - before, "traced_bytes": traced,
            "estimate_bytes": result.memory.total, "macs": macs, "ok": result.ok,
            "matmul_gflops": matmul_gflops, "kinds": kinds}


def torch_worker(batch: int, size: int, repeat: int, threads: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    before = _rss()
    try:
        import torchvision

        model = torchvision.models.resnet18(weights=None)
        built = "torchvision"
    except ImportError:
        model = _resnet18_by_hand(torch)
        built = "by hand"
    model.train()
    x = torch.randn(batch, 3, size, size)
    labels = torch.randint(0, 1000, (batch,))
    loss_fn = torch.nn.CrossEntropyLoss()
    best = None
    for _ in range(repeat + 1):
        model.zero_grad(set_to_none=True)
        start = time.perf_counter()
        loss = loss_fn(model(x), labels)
        middle = time.perf_counter()
        loss.backward()
        end = time.perf_counter()
        times = (1e3 * (middle - start), 1e3 * (end - middle))
        if best is None or sum(times) < sum(best):
            best = times
    return {"forward_ms": best[0], "backward_ms": best[1], "total_ms": sum(best),
            "peak_bytes": _maxrss() - before, "built": built, "threads": threads,
            "version": torch.__version__}


def _resnet18_by_hand(torch):  # the same net when torchvision is missing
    nn = torch.nn

    class Basic(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int):
            super().__init__()
            self.main = nn.Sequential(
                nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True), nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
                nn.BatchNorm2d(cout))
            self.short = nn.Sequential() if stride == 1 and cin == cout else nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            return torch.relu(self.main(x) + self.short(x))

    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
              nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [Basic(cin, cout, stride), Basic(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000)]
    return nn.Sequential(*layers)


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _spawn(worker: str, args: argparse.Namespace) -> dict | None:
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads),
               OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    if worker == "numpy" and args.blas_timeout:
        env["OPENBLAS_THREAD_TIMEOUT"] = str(args.blas_timeout)
    command = [sys.executable, __file__, "--worker", worker, "--batch", str(args.batch),
               "--size", str(args.size), "--repeat", str(args.repeat),
               "--threads", str(args.threads)]
    done = subprocess.run(command, check=False, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"{worker} worker failed:\n{done.stderr.strip()}", file=sys.stderr)
        return None
    return json.loads(done.stdout)


def _mib(count: float) -> str:
    return f"{count / 2 ** 20:,.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--blas-timeout", type=int, default=4,
                        help="OPENBLAS_THREAD_TIMEOUT for the NumPy side (4-30; 0: default)")
    parser.add_argument("--worker", choices=("numpy", "torch"))
    args = parser.parse_args()
    if args.worker == "numpy":
        print(json.dumps(numpy_worker(args.batch, args.size, args.repeat)))
        return
    if args.worker == "torch":
        print(json.dumps(torch_worker(args.batch, args.size, args.repeat, args.threads)))
        return

    spin = (f"OPENBLAS_THREAD_TIMEOUT={args.blas_timeout}" if args.blas_timeout
            else "OpenBLAS's default thread timeout")
    print(f"ResNet-18, batch {args.batch}, {args.size}x{args.size}, forward + backward, "
          f"float32, {args.threads} thread(s), best of {args.repeat}; NumPy side: {spin}")
    ours = _spawn("numpy", args)
    if ours is None:
        sys.exit(1)
    flops = 3 * 2 * ours["macs"] * args.batch
    gflops = flops / (ours["total_ms"] / 1e3) / 1e9
    print(f"\ncnncalc (NumPy): forward {ours['forward_ms']:,.0f} ms, backward "
          f"{ours['backward_ms']:,.0f} ms, total {ours['total_ms']:,.0f} ms; "
          f"shapes {'all as calculated' if ours['ok'] else 'MISMATCHED'}")
    print(f"  peak memory {_mib(ours['peak_bytes'])} (RSS growth); NumPy arrays at peak "
          f"{_mib(ours['traced_bytes'])}; cnncalc's estimate {_mib(ours['estimate_bytes'])}")
    print(f"  {gflops:.1f} GFLOP/s achieved ({flops / 1e9:.1f} GFLOP) vs "
          f"{ours['matmul_gflops']:.1f} GFLOP/s for one NumPy matmul of a layer2 conv's size")
    theirs = None
    try:
        import torch  # noqa: F401
        theirs = _spawn("torch", args)
    except ImportError:
        print("\nPyTorch is not installed: no comparison.")
    if theirs:
        print(f"\nPyTorch {theirs['version']} CPU ({theirs['built']}): forward "
              f"{theirs['forward_ms']:,.0f} ms, backward {theirs['backward_ms']:,.0f} ms, "
              f"total {theirs['total_ms']:,.0f} ms; peak memory "
              f"{_mib(theirs['peak_bytes'])} (RSS growth)")
        torch_gflops = flops / (theirs["total_ms"] / 1e3) / 1e9
        print(f"  {torch_gflops:.1f} GFLOP/s achieved")
        print(f"\nratio cnncalc / PyTorch: time {ours['total_ms'] / theirs['total_ms']:.2f}x "
              f"(forward {ours['forward_ms'] / theirs['forward_ms']:.2f}x, backward "
              f"{ours['backward_ms'] / theirs['backward_ms']:.2f}x), peak memory "
              f"{ours['peak_bytes'] / theirs['peak_bytes']:.2f}x")
    print("\nwhere the executor's time goes (ms, per layer kind):")
    print(f"  {'kind':<18}{'forward':>10}{'backward':>10}{'share':>8}")
    matmul_ms = 0.0
    for kind, (fwd, bwd) in sorted(ours["kinds"].items(), key=lambda kv: -sum(kv[1])):
        print(f"  {kind:<18}{fwd:>10,.0f}{bwd:>10,.0f}{(fwd + bwd) / ours['total_ms']:>8.0%}")
    matmul_ms = flops / (ours["matmul_gflops"] * 1e9) * 1e3
    print(f"  (the conv and dense products alone, at the matmul's rate, would take about "
          f"{matmul_ms:,.0f} ms: {matmul_ms / ours['total_ms']:.0%} of the total)")


if __name__ == "__main__":
    main()
