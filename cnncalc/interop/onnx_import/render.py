"""Writing the spec text: inputs, outputs, block definitions and the layers, in YAML flow
style with every name and string escaped."""
from __future__ import annotations

import json
import re
from typing import Any

from .blocks import SLOT_KEYS, Block, find_blocks, param_values
from .names import sanitise
from .records import Entry, Imported, Ref
from .structure import MERGE_KINDS, Item, Structure, chain_concats

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _yaml_value(value: Any) -> str:
    """A value in YAML flow style; text quoted unless it is a plain name or a known word."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        plain = (_PLAIN_NAME.match(value) and sanitise(value) == value) or \
            re.fullmatch(r"\$[A-Za-z_]\w*", value)
        return value if plain else json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_yaml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))



def render(imported: Imported, title: str, structured: bool = True) -> str:
    """The spec text: the inputs, the outputs where not just the last entry, blocks, and the
    layers, named as in the graph; `from:` where an entry does not read the previous one."""
    if structured:
        chain_concats(imported)
        items = Structure(imported).top()
        blocks = find_blocks(imported, items)
    else:
        items = [Item("layer", e, flat=True) for e in range(len(imported.entries))]
        blocks = {}
    entries = imported.entries
    names = [e.name for e in entries]
    input_names = [sanitise(n) for n, _ in imported.inputs]
    while len(set(input_names)) < len(input_names) or set(input_names) & set(names):
        input_names = [f"{n}_in" for n in input_names]

    named_inputs: set[Ref] = set()

    def label(ref: Ref) -> str:
        if ref < 0:
            named_inputs.add(ref)
        return names[ref] if ref >= 0 else input_names[-1 - ref]

    lines: list[str] = []
    if imported.outputs != [len(entries) - 1]:
        lines.append(f"outputs: {_yaml_value([label(r) for r in imported.outputs])}")
    defined: list[Block] = []
    for block, _, _ in blocks.values():
        if block not in defined:
            defined.append(block)
    if defined:
        lines.append("blocks:")
        for block in defined:
            lines.append(f"  {block.name}:")
            if block.params:
                lines.append("    params: {" + ", ".join(f"{p}: null" for p in block.params)
                             + "}")
            lines.append("    layers:")
            slots = iter(block.slots)
            for item in block.items:
                _render_item(lines, entries, item, 6, None, slots, label, named=False)
    lines.append("layers:")
    previous: Ref = -1
    pos = 0
    while pos < len(items):
        if pos in blocks:
            block, size, copies = blocks[pos]
            calls = [values for start, values in block.calls if pos <= start < pos + size *
                     copies]
            k = 0
            while k < len(calls):
                same = 1
                while k + same < len(calls) and calls[k + same] == calls[k]:
                    same += 1
                args = {p: v for p, v in zip(block.params, param_values(block, calls[k]))}
                lines.append(f"  - {block.name}: {_yaml_value(args)}")
                if same > 1:
                    lines.append(f"    repeat: {same}")
                k += same
            pos += size * copies
            previous = items[pos - 1].entry
            continue
        item = items[pos]
        _render_item(lines, entries, item, 2, previous, None, label)
        previous = item.entry
        pos += 1
    head = [("# imported from ONNX by `cnncalc import`; check the figures with "
             "`cnncalc summary`"), f"name: {title}", "framework: pytorch"]
    if len(imported.inputs) == 1 and not named_inputs:
        head.append(f"input: {_yaml_value(imported.inputs[0][1])}")
    else:  # named: an entry reads one by name
        head.append("input: {" + ", ".join(f"{n}: {_yaml_value(shape)}" for n, (_, shape) in
                                           zip(input_names, imported.inputs)) + "}")
    return "\n".join(head + lines) + "\n"



def _render_item(lines: list[str], entries: list[Entry], item: Item, indent: int,
                 previous: Ref | None, slots: Any, label: Any, named: bool = True) -> None:
    """One item at `indent`, reading `previous` (None: read implicitly, as inside a path);
    `named` false inside a block (its layers take the block's names); `slots` the block's
    slot values to substitute (None outside a block)."""
    pad = " " * indent
    entry = entries[item.entry]
    if item.form == "layer":
        args = dict(entry.args)
        if slots is not None:
            args = {k: next(slots) if k in SLOT_KEYS else v for k, v in args.items()}
        if entry.kind in MERGE_KINDS:
            args = {"from": [label(r) for r in entry.inputs], **args}
        if entry.kind == "maxunpool":
            args = {"indices": label(entry.inputs[1]), **args}
        lines.append(f"{pad}- {entry.kind}: {_yaml_value(args)}" if args or named else
                     f"{pad}- {entry.kind}")
        if previous is not None and entry.kind not in MERGE_KINDS and \
                entry.inputs[0] != previous:
            lines.append(f"{pad}  from: {label(entry.inputs[0])}")
    else:
        lines.append(f"{pad}- {item.form}:")
        if item.form == "residual":
            for key, path in zip(("main", "shortcut"), item.paths):
                if not path:
                    continue
                lines.append(f"{pad}    {key}:")
                for inner in path:
                    _render_item(lines, entries, inner, indent + 6, None, slots, label,
                                 named)
        else:
            for path in item.paths:
                if not path:
                    lines.append(f"{pad}    - []")
                    continue
                first = len(lines)
                for inner in path:
                    _render_item(lines, entries, inner, indent + 6, None, slots, label,
                                 named)
                lines[first] = f"{pad}    - -" + lines[first][indent + 7:]
            lines.append(f"{pad}  merge: {entry.kind}")
    if named:
        lines.append(f"{pad}  name: {entry.name}")
