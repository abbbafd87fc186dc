"""Spec names from graph names: sanitised, module paths shortened, made unique in order."""
from __future__ import annotations

import re

from .records import Entry


def sanitise(text: str) -> str:
    """A graph name -> a spec name: letters, digits and underscores, never starting with a
    digit (deterministic; uniqueness is the caller's)."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    if not name or not (name[0].isalpha() or name[0] == "_"):
        name = "n_" + name
    if name.lower() in ("true", "false", "null", "yes", "no", "on", "off", "y", "n"):
        name += "_"
    return name


def graph_name(node_name: str, output: str) -> tuple[str, str]:
    """'/layer1/layer1.0/conv1/Conv' -> ('layer1_0_conv1', 'Conv'): the module path without
    repeated prefixes, and the last part (the op and its counter)."""
    parts = [p for p in (node_name or output).split("/") if p]
    if len(parts) < 2:  # '/Flatten' (a function, not a module): the op's name, lower case
        return sanitise(parts[0].lower() if parts and node_name.startswith("/") else
                        parts[0] if parts else output), ""
    modules: list[str] = []
    for part in parts[:-1]:
        if modules and part.startswith(modules[-1] + "."):
            modules[-1] = part
        else:
            modules.append(part)
    return sanitise(".".join(modules)), sanitise(parts[-1]).lower()


def name_entries(entries: list[Entry]) -> None:
    """Every entry's name: its module path; where several share one, with the op's own
    suffix; then numbered in order. Deterministic: the graph's order decides."""
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.base] = counts.get(entry.base, 0) + 1
    taken: set[str] = set()
    for entry in entries:
        base = entry.base
        if counts[base] > 1 and entry.op_suffix:
            base = sanitise(f"{base}_{entry.op_suffix}") if base else entry.op_suffix
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        entry.name = name

