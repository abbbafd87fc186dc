"""The quick calculators behind `cnncalc conv`, `cnncalc same` and `cnncalc kinds`."""
from __future__ import annotations

import inspect
import json

from . import geometry
from .layers import LAYERS, MERGES


def conv_table(size: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
               padding: tuple[int, ...], dilation: tuple[int, ...], fmt: str = "table",
               rounding: str | None = None) -> str:
    """Output size per convention, one column per axis; `rounding` marks that rule's row.
    Raises ValueError on bad input."""
    axes = max(map(len, (size, kernel, stride, padding, dilation)))
    values = []
    for name, v in (("input", size), ("kernel", kernel), ("stride", stride),
                    ("padding", padding), ("dilation", dilation)):
        if len(v) not in (1, axes):
            raise ValueError(f"--{name} has {len(v)} values; expected 1 or {axes}")
        if name != "padding" and min(v) < 1:
            raise ValueError(f"--{name} must be at least 1")
        values.append(v * axes if len(v) == 1 else v)
    windows = [geometry.Window(n, k, s, p, p, d, geometry.CEIL)
               for n, k, s, p, d in zip(*values)]
    per_axis = [w.sizes_by_convention() for w in windows]
    names = list(per_axis[0])
    if fmt == "json":
        sizes: dict[str, object] = {n: [axis[n] for axis in per_axis] for n in names}
        if rounding:
            sizes["selected"] = {"rounding": rounding, "size": sizes[rounding]}
        return json.dumps(sizes, indent=2)
    rows = [[n, " x ".join(str(axis[n]) for axis in per_axis)] for n in names]
    if rounding and fmt != "csv":
        rows = [[n, size + ("   <- --rounding " + n if n == rounding else "")]
                for n, size in rows]
    lines = []
    for w in windows:
        exact = w.span / w.stride + 1
        lines.append(f"(N + 2p - F)/s + 1 = ({w.size} + {w.pad_before + w.pad_after} - "
                     f"{w.extent})/{w.stride} + 1 = {exact:g}"
                     + ("" if exact == int(exact) else "  (not whole: conventions differ)"))
    if fmt == "csv":
        return "\n".join(["convention,output"] + [f"{a},{b}" for a, b in rows])
    import tabulate

    table = tabulate.tabulate(rows, ["convention", "output size"],
                              tablefmt="github" if fmt == "markdown" else "simple",
                              disable_numparse=True)
    return table + "\n\n" + "\n".join(lines)


def same_text(kernel: int, stride: int, dilation: int, size: int | None) -> str:
    f = geometry.effective_kernel(kernel, dilation)
    if size is not None:
        before, after = geometry.same_padding(size, kernel, stride, dilation)
        out = -(-size // stride)
        kind = "symmetric" if before == after else "asymmetric: the extra pixel after"
        return (f"padding before {before}, after {after} ({kind}); output {out} = "
                f"ceil({size}/{stride})")
    if stride == 1:  # the padding does not depend on N: any N gives it
        before, after = geometry.same_padding(1, kernel, 1, dilation)
        if before == after:
            return f"padding {before} on each side: p = (F - 1)/2 = ({f} - 1)/2"
        return (f"padding before {before}, after {after} (F = {f} is even: no symmetric "
                "padding keeps the size; TensorFlow puts the extra pixel after, PyTorch's "
                "padding='same' too)")
    lines = [(f"stride {stride}: the total padding depends on N mod {stride} "
             f"(TensorFlow's 'same', output ceil(N/{stride})):")]
    for r in range(min(stride, 8)):  # a few rows tell the rule; a huge stride would hang
        # N = r (or s, for r = 0) stands for every N of that remainder: the total is F - r
        before, after = geometry.same_padding(r or stride, kernel, stride, dilation)
        lines.append(f"  N mod {stride} = {r}: total {before + after} -> before {before}, "
                     f"after {after}")
    if stride > 8:
        lines.append(f"  N mod {stride} = r (r >= 1): total max(F - r, 0) = max({f} - r, 0)")
    lines.append("give --input N for one answer")
    return "\n".join(lines)


def kinds_text() -> str:
    by_class: dict[type, list[str]] = {}
    for name, cls in LAYERS.items():
        by_class.setdefault(cls, []).append(name)
    lines = []
    for cls, names in sorted(by_class.items(), key=lambda item: (item[0].family,
                                                                  item[0].kind)):
        aliases = [n for n in names if n != cls.kind]
        doc = (inspect.getdoc(cls) or "").splitlines()[0]
        extra = f" (also {', '.join(aliases)})" if aliases else ""
        lines.append(f"{cls.family:<15}{cls.kind}{extra}: {doc}")
    lines.append(f"{'merge':<15}{', '.join(MERGES)}: as entries, {{from: [a, b]}}, or "
                 f"joining residual / branches")
    return "\n".join(lines)
