"""The quick calculators behind `cnncalc conv`, `cnncalc same` and `cnncalc kinds`."""
from __future__ import annotations

import inspect
import json
from typing import Any

from . import geometry
from .layers import LAYERS, MERGES, Argument, Layer


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


# `cnncalc kinds`, and docs/spec.md's kinds table and reference (`<!-- cnncalc:kinds -->`,
# `<!-- cnncalc:kinds-doc -->`): all from the classes' declarations, so they cannot drift.

def kind_classes() -> list[tuple[type[Layer], list[str]]]:
    """Every kind once, with its aliases: layers by family and kind, then the merges."""
    aliases: dict[type[Layer], list[str]] = {}
    for name, cls in LAYERS.items():
        aliases.setdefault(cls, [])
        if name != cls.kind:
            aliases[cls].append(name)
    ordered = sorted(aliases.items(), key=lambda item: (item[0].family, item[0].kind))
    return ordered + [(cls, list(cls.aliases)) for cls in MERGES.values()]


def find_kind(name: str) -> tuple[type[Layer], list[str]]:
    """The kind written `name` (its own name or an alias); ValueError naming the likely one
    when there is none."""
    for cls, aliases in kind_classes():
        if name == cls.kind or name in aliases:
            return cls, aliases
    from .errors import close_matches

    names = [n for cls, aliases in kind_classes() for n in (cls.kind, *aliases)]
    close = close_matches(name, names)
    hint = f"did you mean '{close[0]}'?" if close else "`cnncalc kinds` lists them"
    raise ValueError(f"unknown layer kind '{name}'; {hint}")


def description(cls: type[Layer]) -> str:
    """The first paragraph of the class's own docstring, on one line."""
    doc = inspect.cleandoc(cls.__dict__.get("__doc__") or "")
    return " ".join(doc.split("\n\n")[0].split())


def is_merge(cls: type[Layer]) -> bool:
    return cls.kind in MERGES and MERGES[cls.kind] is cls


def kind_record(cls: type[Layer], aliases: list[str]) -> dict[str, Any]:
    """One kind as plain data: what `cnncalc kinds --format json` gives."""
    return {"kind": cls.kind, "aliases": aliases, "family": cls.family,
            "merge": is_merge(cls), "description": description(cls),
            "arguments": [{"name": a.name, "type": a.type, "default": a.default,
                           "meaning": a.meaning} for a in cls.arguments],
            "pytorch": cls.pytorch, "keras": cls.keras}


def _also(aliases: list[str]) -> str:
    return f" (also {', '.join(aliases)})" if aliases else ""


def kinds_text(fmt: str = "table") -> str:
    """Every kind: one line each with its family, aliases and description; or JSON, or the
    Markdown table of docs/spec.md."""
    kinds = kind_classes()
    if fmt == "json":
        return json.dumps([kind_record(cls, aliases) for cls, aliases in kinds], indent=2)
    if fmt == "markdown":
        return kinds_markdown()
    return "\n".join(f"{cls.family:<15}{cls.kind}{_also(aliases)}: {description(cls)}"
                     for cls, aliases in kinds)


def _default(argument: Argument) -> str:
    return "required" if argument.default == "required" else f"default {argument.default}"


def kind_text(name: str, fmt: str = "table") -> str:
    """One kind: its description, every argument with type, default and meaning, and the
    PyTorch and Keras equivalents. ValueError for an unknown name."""
    import textwrap

    cls, aliases = find_kind(name)
    if fmt == "json":
        return json.dumps(kind_record(cls, aliases), indent=2)
    if fmt == "markdown":
        return kind_markdown(cls, aliases)
    also = f"; also {', '.join(aliases)}" if aliases else ""
    lines = [f"{cls.kind} ({cls.family}{also})", ""]
    lines += textwrap.wrap(description(cls), 88)
    if is_merge(cls):
        lines += ["", f"Written as an entry, - {cls.kind}: {{from: [a, b]}}, or as the merge",
                  "of residual / branches."]
    lines += ["", "Arguments:" if cls.arguments else "Arguments: none"]
    for argument in cls.arguments:
        lines.append(f"  {argument.name}: {argument.type}, {_default(argument)}")
        lines += textwrap.wrap(argument.meaning, 88, initial_indent=" " * 6,
                               subsequent_indent=" " * 6)
    lines += [""]
    for framework, call in (("PyTorch", cls.pytorch), ("Keras", cls.keras)):
        lines += textwrap.wrap(f"{framework + ':':<9}{call or 'none'}", 88,
                               subsequent_indent=" " * 9)
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Prose for a Markdown table cell: pipes and asterisks escaped."""
    return text.replace("|", "\\|").replace("*", "\\*")


def _code(text: str) -> str:
    """An equivalent call as code in a table cell ("none" where there is none)."""
    escaped = text.replace("|", "\\|")
    return f"`{escaped}`" if text else "none"


def kinds_markdown() -> str:
    """The kinds table of docs/spec.md: kind, aliases, arguments with type and default,
    PyTorch and Keras equivalents."""
    lines = ["| kind | aliases | arguments: type, default | PyTorch | Keras |",
             "|---|---|---|---|---|"]
    for cls, aliases in kind_classes():
        arguments = "<br>".join(f"`{a.name}`: {_cell(a.type)}, {_cell(_default(a))}"
                                for a in cls.arguments) or "none"
        lines.append(f"| [`{cls.kind}`](#{_anchor(cls.kind)}) | "
                     f"{', '.join(f'`{a}`' for a in aliases) or '—'} | {arguments} | "
                     f"{_code(cls.pytorch)} | {_code(cls.keras)} |")
    return "\n".join(lines)


def _anchor(kind: str) -> str:
    """GitHub's anchor for the heading '### `kind`': lower case, underscores kept."""
    return kind.lower()


def kind_markdown(cls: type[Layer], aliases: list[str], level: int = 3) -> str:
    """One kind's reference section: description, arguments with their meaning,
    equivalents."""
    parts = [f"{'#' * level} `{cls.kind}`", _cell(description(cls))]
    facts = [f"Family: {cls.family}."]
    if aliases:
        facts.insert(0, f"Also written {', '.join(f'`{a}`' for a in aliases)}.")
    if is_merge(cls):
        facts.append(f"Written as an entry, `- {cls.kind}: {{from: [a, b]}}`, or as the "
                     f"merge of `residual` / `branches`.")
    parts.append(" ".join(facts))
    if cls.arguments:
        rows = ["| argument | type | default | meaning |", "|---|---|---|---|"]
        rows += [f"| `{a.name}` | {_cell(a.type)} | {_cell(a.default)} | {_cell(a.meaning)} |"
                 for a in cls.arguments]
        parts.append("\n".join(rows))
    else:
        parts.append("No arguments.")
    parts.append(f"PyTorch: {_code(cls.pytorch)}. Keras: {_code(cls.keras)}.")
    return "\n\n".join(parts)


def kinds_reference() -> str:
    """Every kind's section, in the table's order: docs/spec.md's kinds reference."""
    return "\n\n".join(kind_markdown(cls, aliases) for cls, aliases in kind_classes())
