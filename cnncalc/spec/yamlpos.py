"""YAML with positions: containers that remember where each of their values stands.

Scalars stay plain Python values; the mapping or list that holds them knows their location,
so a message about any value can point at its line and column.

The values are built straight from the parser's events, without recursion and without
PyYAML's composer (whose C version overflows the stack on deep nesting): an anchor is
built once and every alias shares it, the expanded size of every value is counted so an
alias bomb stops at `MAX_YAML_VALUES`, and nesting stops at `MAX_YAML_DEPTH`.
"""
from __future__ import annotations

import math
import re
from typing import Any

import yaml

from ..errors import Location, SpecError, show, yaml_form
from ..limits import MAX_YAML_DEPTH, MAX_YAML_VALUES

try:  # the C parser is several times faster; fall back where libyaml is missing
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


def _where(file: str, mark: Any) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


class Mapping(dict):
    """A YAML mapping that knows its own location and that of each key and value."""

    location: Location
    key_locations: dict[str, Location]
    value_locations: dict[str, Location]

    def where(self, key: str) -> Location:
        """The location of the value under `key`, else of the key, else of the mapping."""
        return self.value_locations.get(key) or self.key_locations.get(key) or self.location

    def where_key(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)

    def __repr__(self) -> str:  # as YAML writes it: a message never shows Python's forms
        return yaml_form(self)


class Sequence(list):
    """A YAML sequence that knows its own location and that of each item."""

    location: Location
    item_locations: list[Location]

    def where(self, index: int) -> Location:
        return self.item_locations[index] if index < len(self.item_locations) else self.location

    def __repr__(self) -> str:
        return yaml_form(self)


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_MERGE = "tag:yaml.org,2002:merge"
_FLOAT = "tag:yaml.org,2002:float"
_PLAIN_TAGS = (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_VALUE_TYPES = (str, int, float, bool, type(None))
_LARGEST_INT = 2**63
# YAML 1.1 (PyYAML) reads 1e-5 as text, as its floats need a dot; YAML 1.2, JSON and every
# framework's docs write it so: an unquoted plain scalar of this form is a float
_EXPONENT = re.compile(r"[-+]?[0-9]+[eE][-+]?[0-9]+")


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _scalar(loader: Any, event: Any, file: str) -> Any:
    """A scalar event -> str, int, float, bool or None; anything else is a located error."""
    tag = event.tag
    if tag is None or tag == "!":
        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    value = event.value
    # fast paths for the two commonest scalars; everything else through PyYAML's rules
    if tag == _STR:
        if event.implicit[0] and _EXPONENT.fullmatch(value):  # 1e-5: YAML 1.2's float
            number = float(value)
            return number if math.isfinite(number) else value  # 1e400: the reader says why
        return value
    if tag == _INT and value.isascii() and value.isdigit() and value[0] != "0" and \
            len(value) < 19:
        return int(value)
    if tag == _MERGE:
        return _MERGE_KEY
    where = _where(file, event.start_mark)
    construct = loader.yaml_constructors.get(tag)
    if construct is None:
        raise SpecError.at(where, f"unknown YAML tag '{_short_tag(tag)}'")
    if tag in (_INT, _FLOAT) and len(value) > 100:  # past Python's digit limit, too
        raise SpecError.at(where, "this number is too long: no spec value has 100 digits")
    node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, event.style)
    try:
        result = construct(loader, node)
    except Exception:  # noqa: BLE001 - PyYAML's constructors raise ValueError, KeyError...
        raise SpecError.at(where, f"{show(value)} is not a valid "
                                  f"{_short_tag(tag)} value") from None
    if not isinstance(result, _VALUE_TYPES):
        what = {"bytes": "binary data", "date": "a date", "datetime": "a date and time"}.get(
            type(result).__name__, "this kind of value")
        raise SpecError.at(where, f"{what} is not a value a spec takes; quote it if you "
                                  f"mean text")
    if isinstance(result, int) and not isinstance(result, bool) and \
            abs(result) >= _LARGEST_INT:
        raise SpecError.at(where, "this number is too large: no spec value reaches 2**63")
    if isinstance(result, float) and not math.isfinite(result):
        raise SpecError.at(where, f"{show(value)} is not a finite number")
    return result


class _Frame:
    """A mapping or list under construction: its value, expanded size, pending key."""

    __slots__ = ("anchor", "key", "key_where", "merges", "size", "value")

    def __init__(self, value: Mapping | Sequence, anchor: str | None):
        self.value = value
        self.size = 1
        self.key: Any = _NO_KEY
        self.key_where: Location | None = None
        self.merges: list[tuple[Any, Location]] = []
        self.anchor = anchor


_NO_KEY: Any = object()
_MERGE_KEY: Any = object()
_BUILDING: Any = object()


def _add(frame: _Frame, value: Any, size: int, where: Location) -> None:
    """Put a finished value into the container being built."""
    frame.size += size
    if frame.size > MAX_YAML_VALUES:
        raise SpecError.at(where, f"this value expands (through aliases) to more than "
                                  f"{MAX_YAML_VALUES:,} values; the limit is "
                                  f"{MAX_YAML_VALUES:,}")
    container = frame.value
    if isinstance(container, Sequence):
        if value is _MERGE_KEY:
            raise SpecError.at(where, "'<<' is YAML's merge key; it cannot be a list item")
        container.append(value)
        container.item_locations.append(where)
        return
    if frame.key is _NO_KEY:  # this value is a key
        if value is _MERGE_KEY:
            frame.key = _MERGE_KEY
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            frame.key = str(value)
        else:
            raise SpecError.at(where, "a mapping key must be a plain word")
        frame.key_where = where
        return
    if value is _MERGE_KEY:
        raise SpecError.at(where, "'<<' is YAML's merge key; it cannot be a value")
    key, frame.key = frame.key, _NO_KEY
    if key is _MERGE_KEY:
        frame.merges.append((value, where))
        return
    if key in container:
        first = container.key_locations[key]
        raise SpecError.at(frame.key_where or where, f"duplicate key '{key}' (first at line "
                                                     f"{first.line})")
    container[key] = value
    container.key_locations[key] = frame.key_where or where
    container.value_locations[key] = where


def _merge(frame: _Frame) -> None:
    """YAML's merge key '<<': keys written in the mapping win, then earlier merges."""
    result = frame.value
    assert isinstance(result, Mapping)  # merges are collected for mappings only
    for merged, where in frame.merges:
        for part in merged if isinstance(merged, list) else [merged]:
            if not isinstance(part, Mapping):
                raise SpecError.at(where, "a merge key '<<' needs a mapping or a list of "
                                          "mappings")
            for key, value in part.items():
                if key not in result:
                    result[key] = value
                    result.key_locations[key] = part.where_key(key)
                    result.value_locations[key] = part.where(key)


def _compose(loader: Any, file: str) -> Any:
    """The parser's events -> one document's value; None if the stream has no document."""
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, int]] = {}
    root: Any = _NO_KEY
    documents = 0
    while True:
        event = loader.get_event()
        kind = type(event)
        if kind is yaml.ScalarEvent or kind is yaml.AliasEvent:
            where = _where(file, event.start_mark)
            if kind is yaml.AliasEvent:
                found = anchors.get(event.anchor)
                if found is None:
                    raise SpecError.at(where, f"unknown alias '*{event.anchor}'")
                if found[0] is _BUILDING:
                    raise SpecError.at(where, f"the alias '*{event.anchor}' stands inside "
                                              f"its own anchor: a value cannot contain "
                                              f"itself")
                value, size = found
            else:
                value, size = _scalar(loader, event, file), 1
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1)
            if stack:
                _add(stack[-1], value, size, where)
            elif value is _MERGE_KEY:
                raise SpecError.at(where, "'<<' is YAML's merge key; it cannot stand alone")
            else:
                root = value
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            where = _where(file, event.start_mark)
            if len(stack) >= MAX_YAML_DEPTH:
                raise SpecError.at(where, f"nesting deeper than {MAX_YAML_DEPTH} levels")
            if event.tag not in _PLAIN_TAGS:
                raise SpecError.at(where, f"the YAML tag '{_short_tag(event.tag)}' is not "
                                          f"supported; write a plain mapping or list")
            if kind is yaml.MappingStartEvent:
                mapping = Mapping()
                mapping.key_locations, mapping.value_locations = {}, {}
                container: Mapping | Sequence = mapping
            else:
                container = Sequence()
                container.item_locations = []
            container.location = where
            if event.anchor is not None:
                anchors[event.anchor] = (_BUILDING, 0)
            stack.append(_Frame(container, event.anchor))
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            frame = stack.pop()
            if frame.merges:
                _merge(frame)
            if frame.anchor is not None:
                anchors[frame.anchor] = (frame.value, frame.size)
            if stack:
                _add(stack[-1], frame.value, frame.size, frame.value.location)
            else:
                root = frame.value
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise SpecError.at(_where(file, event.start_mark),
                                   "a second YAML document ('---'); a spec is one document")
        elif kind is yaml.StreamEndEvent:
            return None if root is _NO_KEY else root


def load(text: str, file: str) -> Any:
    """Parse YAML text into Mapping/Sequence/scalars; a syntax error becomes a SpecError."""
    loader = _Loader(text)
    try:
        root = _compose(loader, file)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = _where(file, mark) if mark else Location(file, 1, 1)
        what = " ".join(part for part in (err.context, err.problem) if part)
        raise SpecError.at(where, f"YAML syntax error: {what}{_hint(text, err)}") from None
    except yaml.YAMLError as err:
        text_of = " ".join(str(err).split())[:200]
        raise SpecError.at(Location(file, 1, 1), f"YAML error: {text_of}") from None
    finally:
        loader.dispose()
    if root is None:
        raise SpecError.at(Location(file, 1, 1), "the file is empty; expected a spec mapping")
    return root


def _hint(text: str, err: Any) -> str:
    """A likely cause of a syntax error, for the mistakes people make most."""
    import re  # only a spec with a syntax error pays for the patterns

    item_pattern = re.compile(r"^(\s*)-\s+([A-Za-z_][\w.]*)\s*(#.*)?$")
    key_pattern = re.compile(r"^(\s*)([A-Za-z_]\w*):(\s|$)")
    unquoted_expression = re.compile(r"(^|[\s\[{,:])\$\{")
    lines = text.splitlines()
    marks = [m for m in (err.problem_mark, err.context_mark) if m is not None]
    for mark in marks:
        line = lines[mark.line] if mark.line < len(lines) else ""
        if unquoted_expression.search(line):
            return ("; hint: inside [...] or {...} an expression must be quoted: "
                    "'${...}' (in quotes)")
    for mark in marks:
        number = mark.line
        key = key_pattern.match(lines[number]) if number < len(lines) else None
        previous = next((lines[i] for i in range(number - 1, -1, -1) if lines[i].strip()),
                        "")
        item = item_pattern.match(previous)
        if key and item:
            kind, name = item.group(2), key.group(2)
            return (f"; hint: '- {kind}' is a list item of plain text, so '{name}:' below "
                    f"it cannot belong to it; write '- {kind}: {{}}' with '{name}:' under "
                    f"it (indented like '{kind}'), or '- {{{kind}: {{}}, {name}: ...}}'")
    return ""
