"""B: budgets and expectations. A spec's `budget:` caps what the network may cost; its
`expect:` figures must match the arithmetic. Exceeding a cap or missing a figure is a
finding.

    budget:
      params: 25M                  # counts: a number, or with k, M, G, T (decimal); 2.5e7
      macs: 4.1G
      activation_memory: 100 MiB   # bytes per sample: B, KB, MB, GB or KiB, MiB, GiB
      rf: {min: 224, max: 1024}    # the receptive field at the last spatial layer
      output_shape: [1000]

A malformed value (negative, infinite, beyond 10^30, an unknown unit, the wrong type) is a
located error (exit 2), whatever rules are selected.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ...errors import Location, Problem, SpecError
from ...layers import shape_str
from ...report import human, human_bytes
from ...yamlpos import Mapping
from ..diagnostic import Severity
from ..registry import Finding, rule
from ..subject import Subject, axis_names, number

BUDGET_KEYS = ("params", "macs", "activation_memory", "rf", "output_shape")
COUNT_UNITS = {"": 1, "k": 10 ** 3, "K": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12}
BYTE_UNITS = {"": 1, "B": 1, "KB": 10 ** 3, "MB": 10 ** 6, "GB": 10 ** 9, "KiB": 2 ** 10,
              "MiB": 2 ** 20, "GiB": 2 ** 30}
# Past this no network is meant: a cap beyond it is a slip, and refusing it keeps every
# figure in a message printable (Python will not print an integer of 4,300 digits or more).
LARGEST = 10 ** 30
_AMOUNT = re.compile(r"^\s*([0-9]{1,31}(?:\.[0-9]{1,31})?(?:[eE][+-]?[0-9]{1,3})?)\s*"
                     r"([A-Za-z]*)\s*$", re.ASCII)


@dataclass(frozen=True)
class Budget:
    """A parsed `budget:`: each cap with the place it was written (None: no cap)."""

    params: tuple[int, Location] | None = None
    macs: tuple[int, Location] | None = None
    activation_memory: tuple[int, Location] | None = None
    rf_min: tuple[list[float], Location] | None = None
    rf_max: tuple[list[float], Location] | None = None
    output_shape: tuple[tuple[int, ...], Location] | None = None


def shown(value: Any) -> str:
    """A value as the spec's YAML would write it, for messages: null, true, .inf, [1, 2],
    {min: 3}; never a Python type name or an unprintable integer."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < LARGEST else f"a {value.bit_length()}-bit integer"
    if isinstance(value, float):
        return ".nan" if math.isnan(value) else (
            ("-" if value < 0 else "") + ".inf" if math.isinf(value) else repr(value))
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "...")
    if isinstance(value, list):
        return "[" + ", ".join(shown(v) for v in value[:8]) + (", ...]" if len(value) > 8
                                                                else "]")
    if isinstance(value, dict):
        items = list(value.items())
        return "{" + ", ".join(f"{shown(k) if not isinstance(k, str) else k}: {shown(v)}"
                               for k, v in items[:8]) + (", ...}" if len(items) > 8 else "}")
    return repr(value)


def amount(value: Any, units: dict[str, int], where: Location, key: str) -> int:
    """25000000, '25M', '1.5 GiB' -> an integer; anything else is a located SpecError."""
    def refuse(why: str) -> SpecError:
        return SpecError.at(where, f"budget '{key}' must be {why}; found {shown(value)}")
    expected = (f"a whole number >= 0 or a number with a unit "
                f"({', '.join(u for u in units if u)})")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if (isinstance(value, float) and not math.isfinite(value)) or value < 0:
            raise refuse(f"{expected}, finite and not negative")
        counted = round(Fraction(value))
    else:
        match = _AMOUNT.match(value) if isinstance(value, str) else None
        if not match or match.group(2) not in units:
            raise refuse(expected)
        # exact arithmetic: a float would turn '1.1M' into 1,100,000.0000000002 and '1e400'
        # into inf
        counted = round(Fraction(match.group(1)) * units[match.group(2)])
    if counted > LARGEST:
        raise refuse("at most 10^30")
    return counted


def parse_budget(budget: Mapping, ndim: int) -> Budget:
    """Read a spec's `budget:` mapping (for an input of `ndim` spatial axes); malformed
    entries are located SpecErrors."""
    found: dict[str, Any] = {}
    problems: list[Problem] = []  # every malformed entry is told, not only the first
    for key, value in budget.items():
        try:
            found.update(_entry(budget, key, value, ndim))
        except SpecError as error:
            problems += error.problems
    if problems:
        raise SpecError(problems)
    return Budget(**found)


def _entry(budget: Mapping, key: Any, value: Any, ndim: int) -> dict[str, Any]:
    where = budget.where(key)
    if key not in BUDGET_KEYS:
        raise SpecError.at(budget.where_key(key), f"unknown budget {shown(key)}; "
                                                  f"expected {', '.join(BUDGET_KEYS)}")
    if key in ("params", "macs"):
        return {key: (amount(value, COUNT_UNITS, where, key), where)}
    if key == "activation_memory":
        return {key: (amount(value, BYTE_UNITS, where, key), where)}
    if key == "output_shape":
        if not isinstance(value, list) or not value or not all(
                isinstance(n, int) and not isinstance(n, bool) and 0 < n <= LARGEST
                for n in value):
            raise SpecError.at(where, f"budget 'output_shape' must be a list of whole "
                                      f"numbers >= 1 like [1000]; found {shown(value)}")
        return {key: (tuple(value), where)}
    return _rf_limits(value, where, ndim)


def _rf_limits(value: Any, where: Location, ndim: int) -> dict[str, Any]:
    def per_axis(limit: Any, at: Location) -> list[float]:
        values = limit if isinstance(limit, list) else [limit] * ndim
        if len(values) != ndim or not all(isinstance(v, (int, float)) and not isinstance(
                v, bool) and 0 < v <= LARGEST for v in values):
            raise SpecError.at(at, f"budget 'rf' limits must be a positive number or a list "
                                   f"of {ndim} (one per spatial axis); found {shown(limit)}")
        return [float(v) for v in values]
    if not isinstance(value, Mapping) or not value or set(value) - {"min", "max"}:
        raise SpecError.at(where, f"budget 'rf' must be {{min: N, max: N}} (either or both); "
                                  f"found {shown(value)}")
    if ndim == 0:
        raise SpecError.at(where, "budget 'rf' needs an input with spatial axes ([C, H, W]); "
                                  "this input is flat")
    return {f"rf_{part}": (per_axis(value[part], value.where(part)), value.where(part))
            for part in ("min", "max") if part in value}


def spec_budget(subject: Subject) -> Budget:
    spec = subject.analysis.spec
    if spec.budget is None:
        return Budget()
    return parse_budget(spec.budget, len(spec.input_shape) - 1)


@rule("B101", "expectation-mismatch", Severity.ERROR)
def expectation_mismatch(subject: Subject) -> Iterator[Finding]:
    """A figure stated under `expect:` (the network's or a layer's) that the calculation
    contradicts.

    Why: a design document or spec that states 11,689,512 parameters is a promise; when a
    change makes the arithmetic disagree, either the figure or the design is wrong, and CI
    should say which line.

    Example:
        expect: {params: 11689512}        # the network now has 11,700,000

    Fix: correct the design, or update the stated figure.
    """
    for mismatch in subject.analysis.mismatches:
        yield Finding(mismatch.location, mismatch.message)


def _count(n: int) -> str:
    return f"{n:,}" + (f" ({human(n)})" if n >= 1000 else "")


def _over(subject: Subject, cap: tuple[int, Location] | None, actual: int, what: str,
          shown: Any) -> Iterator[Finding]:
    if cap is not None and actual > cap[0]:
        yield Finding(cap[1], f"{what} {shown(actual)} exceed the budget of {shown(cap[0])} "
                              f"(network '{subject.analysis.spec.name}')")


@rule("B102", "params-over-budget", Severity.ERROR)
def params_over_budget(subject: Subject) -> Iterator[Finding]:
    """More parameters than `budget: {params: N}` allows.

    Why: a parameter budget stands for a model size limit: a device's flash, a download, a
    paper's comparison class. Exceeding it is a design error even when every shape is
    right.

    Example:
        budget: {params: 5M}              # ResNet-18 has 11.7M

    Fix: narrow or remove layers, or raise the budget deliberately.
    """
    yield from _over(subject, spec_budget(subject).params, subject.analysis.totals.params,
                     "parameters", _count)


@rule("B103", "macs-over-budget", Severity.ERROR)
def macs_over_budget(subject: Subject) -> Iterator[Finding]:
    """More multiply-accumulates than `budget: {macs: N}` allows.

    Why: MACs stand for latency and energy per image; a budget says what the target
    hardware affords.

    Example:
        budget: {macs: 1G}                # ResNet-18 needs 1.81G

    Fix: downsample earlier, narrow layers, use depthwise-separable convolutions, or raise
    the budget deliberately.
    """
    yield from _over(subject, spec_budget(subject).macs, subject.analysis.totals.macs,
                     "MACs", _count)


@rule("B104", "memory-over-budget", Severity.ERROR)
def memory_over_budget(subject: Subject) -> Iterator[Finding]:
    """More activation memory per sample than `budget: {activation_memory: N}` allows.

    Why: the activations of every layer, kept for the backward pass, bound the batch size a
    device can train with; the budget says what fits.

    Example:
        budget: {activation_memory: 8 MiB}

    Fix: downsample earlier, narrow the early layers, use a smaller dtype, or raise the
    budget deliberately.
    """
    yield from _over(subject, spec_budget(subject).activation_memory,
                     subject.analysis.totals.activation_bytes, "activation bytes per sample",
                     lambda n: f"{n:,} ({human_bytes(n)})")


@rule("B105", "rf-outside-budget", Severity.ERROR)
def rf_outside_budget(subject: Subject) -> Iterator[Finding]:
    """A receptive field (at the last spatial layer) below `budget: {rf: {min}}` or above
    `budget: {rf: {max}}`.

    Why: a detector must see objects of a given size, a classifier the whole image; a field
    far larger than needed wastes depth. The budget states the design's intent.

    Example:
        budget: {rf: {min: 224}}          # VGG-16's field at pool5 is 212

    Fix: add or remove stages, change strides or dilations, or revise the budget.
    """
    budget = spec_budget(subject)
    totals = subject.analysis.totals
    names = axis_names(len(totals.rf))
    for limit, fails, word in ((budget.rf_min, lambda f, v: f < v, "below the minimum"),
                               (budget.rf_max, lambda f, v: f > v, "above the maximum")):
        if limit is None:
            continue
        bad = [(n, f.size, v) for n, f, v in zip(names, totals.rf, limit[0]) if fails(f.size, v)]
        if bad:
            parts = ", ".join(f"{_tidy(size)} on {n} ({word} {_tidy(v)})" for n, size, v in bad)
            yield Finding(limit[1], f"receptive field at '{totals.rf_layer}' is {parts}")


_tidy = number


@rule("B106", "output-shape-budget", Severity.ERROR)
def output_shape_budget(subject: Subject) -> Iterator[Finding]:
    """An output shape other than `budget: {output_shape: [...]}`.

    Why: the head's shape is the contract with the loss and the labels (1000 classes, a
    2-channel mask of the input's size); a design change that alters it breaks training.

    Example:
        budget: {output_shape: [1000]}

    Fix: correct the head, or the stated shape.
    """
    cap = spec_budget(subject).output_shape
    actual = subject.analysis.output_shape
    if cap is not None and tuple(cap[0]) != tuple(actual):
        yield Finding(cap[1], f"output shape {shape_str(actual)} differs from the budget's "
                              f"{shape_str(cap[0])}")

