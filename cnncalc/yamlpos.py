"""YAML with positions: containers that remember where each of their values stands.

Scalars stay plain Python values; the mapping or list that holds them knows their location,
so a message about any value can point at its line and column.
"""
from __future__ import annotations

from typing import Any

import yaml

from .errors import Location, SpecError

try:  # the C loader composes several times faster; fall back where libyaml is missing
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

_MAX_DEPTH = 200


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


class Sequence(list):
    """A YAML sequence that knows its own location and that of each item."""

    location: Location
    item_locations: list[Location]

    def where(self, index: int) -> Location:
        return self.item_locations[index] if index < len(self.item_locations) else self.location


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"


def _scalar(constructor: Any, node: Any, file: str) -> Any:
    # fast paths for the two commonest scalars; everything else through PyYAML's rules
    if node.tag == _STR:
        return node.value
    if node.tag == _INT and node.value.isdigit() and node.value[0] != "0":
        return int(node.value)
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.YAMLError as err:
        raise SpecError.at(_where(file, node.start_mark), f"unreadable value: {err}") from None


def _convert(node: Any, file: str, constructor: Any, depth: int = 0) -> Any:
    if depth > _MAX_DEPTH:
        raise SpecError.at(_where(file, node.start_mark), "nesting too deep (recursive alias?)")
    if isinstance(node, yaml.MappingNode):
        result = Mapping()
        result.location = _where(file, node.start_mark)
        result.key_locations, result.value_locations = {}, {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged = _convert(value_node, file, constructor, depth + 1)
                for part in merged if isinstance(merged, list) else [merged]:
                    if not isinstance(part, Mapping):
                        raise SpecError.at(_where(file, value_node.start_mark),
                                           "a merge key '<<' needs a mapping")
                    for key, value in part.items():
                        if key not in result:
                            result[key] = value
                            result.key_locations[key] = part.where_key(key)
                            result.value_locations[key] = part.where(key)
                continue
            key = _scalar(constructor, key_node, file) if isinstance(
                key_node, yaml.ScalarNode) else None
            if not isinstance(key, (str, int, float, bool)) or isinstance(key, bool):
                raise SpecError.at(_where(file, key_node.start_mark),
                                   "a mapping key must be a plain word")
            key = str(key)
            if key in result.key_locations and key in result:
                raise SpecError.at(_where(file, key_node.start_mark),
                                   f"duplicate key '{key}' (first at line "
                                   f"{result.key_locations[key].line})")
            result[key] = _convert(value_node, file, constructor, depth + 1)
            result.key_locations[key] = _where(file, key_node.start_mark)
            result.value_locations[key] = _where(file, value_node.start_mark)
        return result
    if isinstance(node, yaml.SequenceNode):
        seq = Sequence(_convert(item, file, constructor, depth + 1) for item in node.value)
        seq.location = _where(file, node.start_mark)
        seq.item_locations = [_where(file, item.start_mark) for item in node.value]
        return seq
    return _scalar(constructor, node, file)


def load(text: str, file: str) -> Any:
    """Parse YAML text into Mapping/Sequence/scalars; a syntax error becomes a SpecError."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = _where(file, mark) if mark else Location(file, 1, 1)
        what = " ".join(part for part in (err.context, err.problem) if part)
        raise SpecError.at(where, f"YAML syntax error: {what}") from None
    except yaml.YAMLError as err:
        raise SpecError.at(Location(file, 1, 1), f"YAML error: {err}") from None
    if node is None:
        raise SpecError.at(Location(file, 1, 1), "the file is empty; expected a spec mapping")
    return _convert(node, file, yaml.constructor.SafeConstructor())
