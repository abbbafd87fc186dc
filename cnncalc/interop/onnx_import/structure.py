"""Flat entries -> items: forks that close at one merge become `residual` or `branches`."""
from __future__ import annotations

from dataclasses import dataclass, field

from ... import limits
from .records import Imported, Ref

MERGE_KINDS = ("add", "multiply", "concat")
MAX_FORK_ENTRIES = 2000  # a fork must close within this many entries to become a form
MAX_FORK_MERGES = 64     # and at one of the first this many merges after it


@dataclass
class Item:
    """One entry of the rendered spec: a layer, or a residual/branches form closed by the
    merge entry `entry`; `flat` layers name what they read with `from:`."""

    form: str  # "layer", "residual" or "branches"
    entry: int
    paths: list[list[Item]] = field(default_factory=list)
    flat: bool = False

    def entries(self) -> list[int]:
        return [self.entry] + [e for path in self.paths for item in path
                               for e in item.entries()]


class Structure:
    """Flat entries -> items: a fork that closes at one merge becomes `residual` (an add of
    two paths) or `branches` (concat, multiply, or an add of more); what does not fit stays
    a flat entry with `from:`."""

    def __init__(self, imported: Imported):
        self.entries = imported.entries
        self.outputs = set(imported.outputs)
        self.consumers: dict[Ref, list[int]] = {}
        for index, entry in enumerate(self.entries):
            for ref in entry.inputs:
                self.consumers.setdefault(ref, []).append(index)

    def top(self) -> list[Item]:
        """The whole network's items; what fits no form stays a flat layer."""
        items = self.walk(list(range(len(self.entries))), -1, strict=False, depth=0)
        assert items is not None  # not strict: never given up
        return items

    def walk(self, members: list[int], start: Ref, strict: bool, depth: int
             ) -> list[Item] | None:
        """Items for `members`, the first reading `start`. Strict (inside a path): every
        member must read the one before it alone or open a fork that closes, else None;
        otherwise such a member becomes a flat layer with `from:`."""
        every = set(members)
        items: list[Item] = []
        cursor, pos = start, 0
        while pos < len(members):
            step = self.step(members, every, pos, cursor, strict=strict, depth=depth)
            if step is None:
                if strict:
                    return None
                e = members[pos]
                items.append(Item("layer", e, flat=True))
                cursor, pos = e, pos + 1
            else:
                item, pos = step
                items.append(item)
                cursor = item.entry
        return items

    def step(self, members: list[int], every: set[int], pos: int, cursor: Ref, strict: bool,
             depth: int) -> tuple[Item, int] | None:
        """The item at members[pos], reading `cursor`; None if it does not read it alone."""
        e = members[pos]
        local = [c for c in self.consumers.get(cursor, []) if c >= e and c in every]
        if len(local) > 1:
            return self.fork(members, every, pos, cursor, strict, depth)
        entry = self.entries[e]
        if local == [e] and entry.inputs == [cursor] and entry.kind not in MERGE_KINDS:
            return Item("layer", e), pos + 1
        return None

    def region(self, members: list[int], start: Ref, depth: int) -> list[Item] | None:
        """Items for `members` read from `start` alone, or None."""
        if depth > limits.MAX_BLOCK_DEPTH:
            return None
        return self.walk(members, start, strict=True, depth=depth)

    def fork(self, members: list[int], every: set[int], pos: int, cursor: Ref, strict: bool,
             depth: int) -> tuple[Item, int] | None:
        """The merge that closes the paths leaving `cursor` (the first few tried, within a
        window: a hostile graph must not make this quadratic)."""
        tried = 0
        for q in range(pos, min(len(members), pos + MAX_FORK_ENTRIES)):
            j = members[q]
            merge = self.entries[j]
            if merge.kind not in MERGE_KINDS or merge.args:
                continue
            tried += 1
            if tried > MAX_FORK_MERGES:
                break
            found = self.close(members[pos:q], j, cursor, every, strict, depth)
            if found is not None:
                return found, q + 1
        return None

    def close(self, inside: list[int], j: int, cursor: Ref, every: set[int], strict: bool,
              depth: int) -> Item | None:
        reads = self.entries[j].inputs
        members = set(inside)
        if reads.count(cursor) > 1 or any(r != cursor and r not in members for r in reads):
            return None
        if strict and any(c > j and c in every for c in self.consumers.get(cursor, [])):
            return None
        for e in inside:
            if e in self.outputs or any(c not in members and c != j
                                        for c in self.consumers.get(e, [])):
                return None
        paths: list[list[Item]] = []
        claimed: set[int] = set()
        for r in reads:
            if r == cursor:
                paths.append([])
                continue
            branch, todo = set(), [r]
            while todo:
                e = todo.pop()
                if e in branch:
                    continue
                branch.add(e)
                todo += [x for x in self.entries[e].inputs if x in members]
            if branch & claimed:
                return None
            claimed |= branch
            items = self.region(sorted(branch), cursor, depth + 1)
            if items is None or items[-1].entry != r:
                return None
            paths.append(items)
        if claimed != members:
            return None
        kind = self.entries[j].kind
        if kind == "add" and len(paths) == 2:
            if not paths[0] and not paths[1]:
                return None
            main, shortcut = (paths[1], paths[0]) if not paths[0] or (
                paths[1] and len(paths[1]) > len(paths[0])) else (paths[0], paths[1])
            return Item("residual", j, [main, shortcut])
        return Item("branches", j, paths)


def chain_concats(imported: Imported) -> None:
    """concat(a, b, c) where concat(a, b) exists -> concat(concat(a, b), c): the same values
    (DenseNet's layers each concatenate every earlier output), and the fork closes."""
    seen: dict[tuple[Ref, ...], int] = {}
    for index, entry in enumerate(imported.entries):
        if entry.kind != "concat" or entry.args:
            continue
        refs = tuple(entry.inputs)
        for cut in range(len(refs) - 1, 1, -1):
            if refs[:cut] in seen:
                entry.inputs = [seen[refs[:cut]], *refs[cut:]]
                break
        seen.setdefault(refs, index)

