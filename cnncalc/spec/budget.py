"""A spec's `budget:`: caps on what the network may cost, checked when the spec is parsed
(sizes through `cnncalc.units`), compared by the lint rules in `lint/rules/budget.py`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import Location, Problems, SpecError, show
from ..units import LARGEST, UnitError, parse_bytes, parse_count
from .schema import describe
from .yamlpos import Mapping


@dataclass(frozen=True)
class Budget:
    """A checked `budget:`: each cap with the place it was written (None: no cap)."""

    params: tuple[int, Location] | None = None
    macs: tuple[int, Location] | None = None
    activation_memory: tuple[int, Location] | None = None     # bytes per sample
    rf_min: tuple[list[float], Location] | None = None        # one limit per spatial axis
    rf_max: tuple[list[float], Location] | None = None
    output_shape: tuple[tuple[int, ...], Location] | None = None



BUDGET_KEYS = ("params", "macs", "activation_memory", "rf", "output_shape")


def parse_budget(root: Mapping, spatial: int | None, problems: Problems) -> Budget:
    """The spec's `budget:` (an empty Budget if none); every malformed entry is added to
    `problems`. `spatial` is the input's number of spatial axes (None: unknown)."""
    budget = root.get("budget")
    if budget is None:
        return Budget()
    if not isinstance(budget, Mapping):
        problems.add(SpecError.at(root.where("budget"), f"'budget' must be a mapping of "
                                                        f"{', '.join(BUDGET_KEYS)}; found "
                                                        f"{describe(budget)}"))
        return Budget()
    found: dict[str, Any] = {}
    for key, value in budget.items():
        try:
            found.update(_budget_entry(budget, key, value, spatial))
        except SpecError as error:
            problems.add(error)
    return Budget(**found)


def _budget_entry(budget: Mapping, key: Any, value: Any, spatial: int | None
                  ) -> dict[str, Any]:
    where = budget.where(key)
    if key not in BUDGET_KEYS:
        raise SpecError.at(budget.where_key(key), f"unknown budget {show(key)}; "
                                                  f"expected {', '.join(BUDGET_KEYS)}")
    if key in ("params", "macs", "activation_memory"):
        read = parse_bytes if key == "activation_memory" else parse_count
        try:
            return {key: (read(value), where)}
        except UnitError as error:
            raise SpecError.at(where, f"budget '{key}' must be {error.expected}; found "
                                      f"{error.found}") from None
    if key == "output_shape":
        if not isinstance(value, list) or not value or not all(
                isinstance(n, int) and not isinstance(n, bool) and 0 < n <= LARGEST
                for n in value):
            raise SpecError.at(where, f"budget 'output_shape' must be a list of whole "
                                      f"numbers >= 1 like [1000]; found {show(value)}")
        return {key: (tuple(value), where)}
    return _rf_limits(value, where, spatial)


def _rf_limits(value: Any, where: Location, spatial: int | None) -> dict[str, Any]:
    def per_axis(limit: Any, at: Location) -> list[float]:
        axes = spatial or 1
        values = limit if isinstance(limit, list) else [limit] * axes
        count = f"{spatial}" if spatial is not None else "one"
        if (spatial is not None and len(values) != spatial) or not values or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= LARGEST
                for v in values):
            raise SpecError.at(at, f"budget 'rf' limits must be a positive number or a list "
                                   f"of {count} (one per spatial axis); found {show(limit)}")
        return [float(v) for v in values]
    if not isinstance(value, Mapping) or not value or set(value) - {"min", "max"}:
        raise SpecError.at(where, f"budget 'rf' must be {{min: N, max: N}} (either or both); "
                                  f"found {show(value)}")
    if spatial == 0:
        raise SpecError.at(where, "budget 'rf' needs an input with spatial axes ([C, H, W]); "
                                  "this input is flat")
    return {f"rf_{part}": (per_axis(value[part], value.where(part)), value.where(part))
            for part in ("min", "max") if part in value}
