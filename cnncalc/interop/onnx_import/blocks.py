"""Repeated structures as blocks: runs of copies equal up to their channel counts, with the
counts that differ as the block's parameters."""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from .records import Entry, Imported
from .structure import Item

SLOT_KEYS = ("filters", "units", "groups")  # what differs between a block's copies
MAX_BLOCK_ITEMS = 12  # the longest run of items tried as one block


def _signature(entries: list[Entry], item: Item) -> Any:
    """What an item is, with its channel counts left out (SLOT_KEYS)."""
    entry = entries[item.entry]
    if item.form == "layer":
        if entry.paired:  # a pool and its unpool name each other: never inside a block
            return ("paired", item.entry)
        return ("layer", entry.kind, tuple((k, "#" if k in SLOT_KEYS else json.dumps(v))
                                           for k, v in entry.args.items()))
    return (item.form, entry.kind,
            tuple(tuple(_signature(entries, i) for i in path) for path in item.paths))


def _slot_values(entries: list[Entry], item: Item) -> list[int]:
    entry = entries[item.entry]
    if item.form == "layer":
        return [v for k, v in entry.args.items() if k in SLOT_KEYS]
    return [v for path in item.paths for i in path for v in _slot_values(entries, i)]


@dataclass
class Block:
    name: str
    items: list[Item]                     # the first copy's
    params: list[str]
    slots: list[Any]                      # per slot: a literal, "$p" or "${p * r}"
    calls: list[tuple[int, list[int]]] = field(default_factory=list)  # (start, values)


def find_blocks(imported: Imported, items: list[Item]) -> dict[int, tuple[Block, int, int]]:
    """Runs of consecutive copies of the same items (up to channel counts): position ->
    (block, items per copy, copies). Greedy from the start, the run that saves most first."""
    entries = imported.entries
    outputs = set(imported.outputs)
    last = len(entries) - 1
    owner = {e: n for n, item in enumerate(items) for e in item.entries()}
    sigs = [_signature(entries, item) if not item.flat else None for item in items]

    readers: dict[int, list[int]] = {}
    for c, entry in enumerate(entries):
        for r in entry.inputs:
            readers.setdefault(r, []).append(c)

    def eligible_fast(at: int, size: int) -> bool:
        span = items[at:at + size]
        if len(span) < size or any(i.flat for i in span):
            return False
        ends = span[-1].entry
        for item in span:
            for e in item.entries():
                if e in outputs and not (e == ends == last and outputs == {last}):
                    return False
                for c in readers.get(e, []):
                    where = owner[c]
                    if at <= where < at + size:
                        continue
                    if e != ends or where != at + size or items[where].flat:
                        return False
        return True

    runs: list[tuple[int, int, int]] = []
    pos = 0
    while pos < len(items):
        best: tuple[int, int, int] | None = None
        for size in range(1, MAX_BLOCK_ITEMS + 1):
            if pos + 2 * size > len(items) or not eligible_fast(pos, size):
                continue
            pattern = sigs[pos:pos + size]
            copies = 1
            while pos + (copies + 1) * size <= len(items) and \
                    sigs[pos + copies * size:pos + (copies + 1) * size] == pattern and \
                    eligible_fast(pos + copies * size, size):
                copies += 1
            layers = sum(len(i.entries()) for i in items[pos:pos + size])
            values = [[v for i in items[pos + k * size:pos + (k + 1) * size]
                       for v in _slot_values(entries, i)] for k in range(copies)]
            calls = 1 + sum(a != b for a, b in itertools.pairwise(values))  # `repeat`
            saved = layers * copies - layers - calls  # the entries a reader no longer reads
            if copies > 1 and saved >= 3 and (best is None or saved > best[0]):
                best = (saved, size, copies)
        if best is None:
            pos += 1
            continue
        runs.append((pos, best[1], best[2]))
        pos += best[1] * best[2]

    by_sig: dict[Any, list[tuple[int, int, int]]] = {}
    for run in runs:
        by_sig.setdefault(tuple(sigs[run[0]:run[0] + run[1]]), []).append(run)
    found: dict[int, tuple[Block, int, int]] = {}
    for number, (_, group) in enumerate(sorted(by_sig.items(), key=lambda kv: kv[1][0][0])):
        starts = [run[0] + k * run[1] for run in group for k in range(run[2])]
        size = group[0][1]
        vectors = [[v for i in items[s:s + size] for v in _slot_values(entries, i)] for s in starts]
        block = _make_block(_block_name(number), items[group[0][0]:group[0][0] + size], vectors)
        for run in group:
            found[run[0]] = (block, size, run[2])
            block.calls += [(run[0] + k * size, vectors[starts.index(run[0] + k * size)])
                            for k in range(run[2])]
    return found


def _block_name(number: int) -> str:
    text = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        text = chr(ord("a") + rest) + text
    return f"block_{text}"


def _make_block(name: str, items: list[Item], vectors: list[list[int]]) -> Block:
    """A block whose parameters are the slots that differ between copies: equal columns share
    a parameter, a column that is an integer multiple of one is written as an expression."""
    params: list[str] = []
    columns: list[list[int]] = []
    slots: list[Any] = []
    for index in range(len(vectors[0])):
        column = [v[index] for v in vectors]
        if len(set(column)) == 1:
            slots.append(column[0])
            continue
        for p, base in zip(params, columns):
            if column == base:
                slots.append(f"${p}")
                break
            if all(b and c % b == 0 for b, c in zip(base, column)) and \
                    len({c // b for b, c in zip(base, column)}) == 1:
                slots.append(f"${{{p} * {column[0] // base[0]}}}")
                break
        else:
            name_ = "filters" if not params else f"filters{len(params) + 1}"
            params.append(name_)
            columns.append(column)
            slots.append(f"${name_}")
    return Block(name, items, params, slots)



def param_values(block: Block, values: list[int]) -> list[int]:
    """The call's arguments: the value of each parameter's first slot."""
    found: dict[str, int] = {}
    for slot, value in zip(block.slots, values):
        if isinstance(slot, str) and slot.startswith("$") and not slot.startswith("${"):
            found.setdefault(slot[1:], value)
    return [found[p] for p in block.params]

