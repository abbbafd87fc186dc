"""Counts and byte sizes: read and written one way, wherever cnncalc meets them.

Counts (parameters, MACs) take decimal prefixes, as papers state them: k or K = 10^3,
M = 10^6, G = 10^9, T = 10^12 (`25M`, `1.5e9`, `4.1G`), written as shown (`m` would be milli).

Byte sizes (a budget's `activation_memory`, `--max-memory`): KB, MB, GB, TB are decimal
(10^3 ...); KiB, MiB, GiB, TiB are binary (2^10 ...); a bare K, M, G or T is binary too,
as `free -h`, `docker --memory` and Java's `-Xmx` read it, and as cnncalc prints memory
(18.38 KiB). Byte units may be written in any letter case (`512m`, `2gib`).

Every figure is exact (no float rounding: '1.1M' is 1,100,000), a whole number (0.3 KiB is
307.2 bytes: refused), not negative, and at most 10^30.
"""
from __future__ import annotations

import math
import re
from typing import Any

from .errors import show

# Past this no network or machine is meant: a larger figure is a slip, and refusing it keeps
# every figure printable (Python will not print an integer of 4,300 digits or more).
LARGEST = 10 ** 30

COUNT_UNITS = {"": 1, "k": 10 ** 3, "K": 10 ** 3, "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12}
BYTE_UNITS = {"": 1, "B": 1,
              "KB": 10 ** 3, "MB": 10 ** 6, "GB": 10 ** 9, "TB": 10 ** 12,
              "KIB": 2 ** 10, "MIB": 2 ** 20, "GIB": 2 ** 30, "TIB": 2 ** 40,
              "K": 2 ** 10, "M": 2 ** 20, "G": 2 ** 30, "T": 2 ** 40}

COUNT_FORMS = ("a whole number >= 0, or a number with k, M, G or T (10^3, 10^6, 10^9, "
               "10^12) like 25M or 1.5e9")
BYTE_FORMS = ("a whole number of bytes >= 0, or a number with B, KB, MB, GB, TB (10^3, "
              "10^6, ...) or KiB, MiB, GiB, TiB (2^10, 2^20, ...) like 100MiB; a bare K, M, "
              "G, T is binary (2G = 2 GiB)")

_AMOUNT = re.compile(r"^\s*([0-9]{1,31}(?:\.[0-9]{0,31})?|\.[0-9]{1,31})([eE][+-]?[0-9]{1,3})?"
                     r"\s*([A-Za-z]*)\s*$", re.ASCII)


class UnitError(ValueError):
    """A value that is not a count or size: `expected` says the accepted forms, `found`
    the value as written (and why it fails, where the form alone does not say)."""

    def __init__(self, expected: str, found: str):
        self.expected = expected
        self.found = found
        super().__init__(f"expected {expected}; found {found}")


def parse_count(value: Any) -> int:
    """25000000, '25M', '2.5e7', '1.5k' -> an exact integer count; UnitError otherwise."""
    return _parse(value, COUNT_UNITS, COUNT_FORMS, fold_case=False)


def parse_bytes(value: Any) -> int:
    """'100 MiB', '1.5GB', '512M' (= 512 MiB), 4096 -> an exact number of bytes; UnitError
    otherwise."""
    return _parse(value, BYTE_UNITS, BYTE_FORMS, fold_case=True)


def _parse(value: Any, units: dict[str, int], forms: str, fold_case: bool) -> int:
    from fractions import Fraction  # loaded only where a size is read (budgets, options)

    found = show(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise UnitError(forms, f"{found}, not finite")
        exact = Fraction(value)
    elif isinstance(value, str) and (match := _AMOUNT.match(value)):
        unit = match.group(3).upper() if fold_case else match.group(3)
        if unit not in units:
            raise UnitError(forms, f"{found}, an unknown unit")
        # exact arithmetic: a float would make '1.1M' 1,100,000.0000000002, '1e400' inf
        exponent = int(match.group(2)[1:]) if match.group(2) else 0
        exact = Fraction(match.group(1)) * Fraction(10) ** exponent * units[unit]
    else:
        raise UnitError(forms, found)
    if exact < 0:
        raise UnitError(forms, f"{found}, below 0")
    if exact > LARGEST:
        raise UnitError(forms, f"{found}, above 10^30")
    if exact.denominator != 1:
        value_is = f"{found} = {float(exact):,g}" if isinstance(value, str) else found
        raise UnitError(forms, f"{value_is}, not a whole number")
    return int(exact)


_DECIMAL = ((10 ** 12, "T"), (10 ** 9, "G"), (10 ** 6, "M"), (10 ** 3, "k"))
_BINARY = ((2 ** 30, "GiB"), (2 ** 20, "MiB"), (2 ** 10, "KiB"))


def prefix_for(value: float, binary: bool = False) -> tuple[int, str]:
    """The factor and prefix that show `value` best: the largest prefix not above it
    (decimal k ... T for counts, binary KiB ... GiB for bytes); (1, '') or (1, 'B') below
    the smallest."""
    for factor, prefix in _BINARY if binary else _DECIMAL:
        if value >= factor:
            return factor, prefix
    return 1, "B" if binary else ""


def format_count(count: float, unit: str = "") -> str:
    """1814073344 -> '1.81 G' (decimal prefixes, as papers state MACs and params)."""
    factor, prefix = prefix_for(count)
    if factor == 1:
        return f"{count:g} {unit}".rstrip()
    return f"{count / factor:.2f} {prefix}{unit}"


def format_bytes(count: float) -> str:
    """32923552 -> '31.40 MiB' (binary prefixes, as memory is counted)."""
    factor, prefix = prefix_for(count, binary=True)
    if factor == 1:
        return f"{int(count)} B"
    return f"{count / factor:.2f} {prefix}"
