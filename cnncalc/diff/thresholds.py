"""`--fail-on` rules for `cnncalc diff`: when a change is large enough to fail a CI job.

A rule is `FIGURE:AMOUNT` or a name alone:

- `params:+5%`, `macs:+10%`, `trainable_params:+5%`, `activations:+20%`: the figure grew
  by at least that share of its old value; `params:+100000` (or `+100k`, `+1.5M`) by at least
  that many; `activations:+1MiB` by at least that many bytes of activation memory; a `-`
  instead of `+` says the same of a fall, no sign either way;
- `rf:-1`: the receptive field (its size along any axis of the input) shrank by at least 1
  pixel; `rf:+10%` grew by at least 10%;
- `output_shape`, `input_shape`: any output's (input's) shape changed, or one was added or
  removed.

A rule is passed only by a change in its direction: `params:+0%` fails on any growth, never
on a fall. Each rule passed gives one Breach, located in the new spec at the entry that
made most of the change (see `Breach`).
"""
from __future__ import annotations

import re
from fractions import Fraction

from ..errors import Location
from ..text import one_line
from ..units import UnitError, format_bytes, parse_bytes, parse_count
from ..values import Value
from . import Delta, Diff, Pair, Status

# figure in the rule -> (Figures field, how an absolute amount is read and shown)
FIGURES = {"params": "params", "trainable_params": "trainable_params", "macs": "macs",
           "activations": "activation_bytes", "rf": "rf_size"}
SHAPES = ("output_shape", "input_shape")
FORMS = ("FIGURE:[+|-]AMOUNT[%] with FIGURE one of " + ", ".join(FIGURES) +
         " (params:+5%, macs:+10%, params:+100000, activations:+1MiB, rf:-1), or "
         + " or ".join(SHAPES))

_RULE = re.compile(r"^([a-z_]+):([+-]?)([^%]*)(%?)$")


class Threshold(Value):
    """One parsed --fail-on rule: `direction` +1 (growth), -1 (fall) or 0 (either way);
    `amount` a percentage when `relative`, else a count (bytes for activations)."""

    text: str
    figure: str
    direction: int = 0
    amount: Fraction = Fraction(0)
    relative: bool = False


class Breach(Value):
    """A rule the change passes, at the new spec's entry that made most of it."""

    threshold: Threshold
    location: Location
    message: str

    def __str__(self) -> str:
        return one_line(f"{self.location}: {self.message}")  # names may be hostile


def parse_threshold(text: str) -> Threshold:
    """'params:+5%' -> Threshold('params:+5%', 'params', +1, 5, relative=True); ValueError
    saying the accepted forms otherwise."""
    rule = text.strip()
    if rule in SHAPES:
        return Threshold(rule, rule)
    match = _RULE.match(rule)
    if not match or match.group(1) not in FIGURES:
        raise ValueError(f"expected {FORMS}; found {rule!r}")
    figure, sign, amount, percent = match.groups()
    try:
        if percent:
            value = Fraction(amount.strip())
            if value < 0:
                raise ValueError
        elif figure == "activations":
            value = Fraction(parse_bytes(amount))
        else:
            value = Fraction(parse_count(amount))
    except (UnitError, ValueError, ZeroDivisionError):
        raise ValueError(f"expected {FORMS}; found {rule!r}, whose amount {amount!r} is not "
                         f"a number >= 0" + ("" if percent else " (units: k, M, G; bytes for "
                                                                "activations: KiB, MiB)")
                         ) from None
    direction = {"+": 1, "-": -1, "": 0}[sign]
    return Threshold(rule, figure, direction, value, bool(percent))


def breaches(diff: Diff, thresholds: list[Threshold]) -> list[Breach]:
    """Every rule the change passes, in the order given (a shape rule: once per port)."""
    found: list[Breach] = []
    for threshold in thresholds:
        if threshold.figure in SHAPES:
            ports = diff.outputs if threshold.figure == "output_shape" else diff.inputs
            for port in ports:
                if port.shape_changed:
                    found.append(Breach(threshold, port.location,
                                        f"{_port_kind(threshold)} '{port.name}': shape "
                                        f"{_shape(port.old)} -> {_shape(port.new)} "
                                        f"passes --fail-on {threshold.text}"))
            continue
        deltas = _deltas(diff, threshold.figure)
        same = all((d.old, d.new) == (deltas[0].old, deltas[0].new) for d in deltas)
        for axis, delta in enumerate(deltas):
            if passes(threshold, delta):
                what = threshold.figure if same else f"{threshold.figure}[{axis}]"
                found.append(Breach(threshold, _where(diff, threshold),
                                    f"{what} {change_text(delta, FIGURES[threshold.figure])} passes "
                                    f"--fail-on {threshold.text}{_most(diff, threshold)}"))
                break  # one line per rule: the first axis that passes it
    return found


def passes(threshold: Threshold, delta: Delta) -> bool:
    """Whether the change reaches the rule's amount in the rule's direction."""
    change = Fraction(delta.new) - Fraction(delta.old)
    if change == 0 or change * threshold.direction < 0:
        return False
    if not threshold.relative:
        return abs(change) >= threshold.amount
    if delta.old == 0:
        return True  # from nothing: any growth is more than any share
    return abs(change) * 100 >= threshold.amount * abs(Fraction(delta.old))


def change_text(delta: Delta, figure: str, joined: str = " ({})") -> str:
    """'+10,108,160 (+86.5%)': the signed change of a Figures field and its share of the
    old figure (`joined` places the share)."""
    change = delta.absolute
    if figure == "activation_bytes":
        text = ("+" if change >= 0 else "-") + format_bytes(abs(change))
    elif isinstance(change, float) and not change.is_integer():
        text = f"{change:+,g}"
    else:
        text = f"{int(change):+,}"
    relative = delta.relative
    return text if relative is None else text + joined.format(percent_text(relative * 100))


def percent_text(percent: float) -> str:
    """'+86.5%'; a change too small for one decimal keeps two, or says '<0.01%', so that
    no change reads as '-0.0%'."""
    if percent == 0 or abs(percent) >= 0.1:
        return f"{percent:+.1f}%"
    if abs(percent) >= 0.01:
        return f"{percent:+.2f}%"
    return ("+" if percent > 0 else "-") + "<0.01%"


def _deltas(diff: Diff, figure: str) -> list[Delta]:
    field = FIGURES[figure]
    if field != "rf_size":
        return [diff.delta(field)]
    old, new = diff.network.old, diff.network.new
    assert old is not None and new is not None
    return [Delta(o, n) for o, n in zip(old.rf_size, new.rf_size)]


def _where(diff: Diff, threshold: Threshold) -> Location:
    pair = _largest(diff, threshold)
    return _entry(diff, pair) if pair is not None else diff.network.location


def _most(diff: Diff, threshold: Threshold) -> str:
    pair = _largest(diff, threshold)
    if pair is None or threshold.figure == "rf":
        return "" if pair is None else f" (at {pair.type} '{pair.name}')"
    delta = pair.delta(FIGURES[threshold.figure])
    return (f" (most of it: {pair.status.value} {'block' if pair.is_block else pair.type} "
            f"'{pair.name}', {change_text(delta, FIGURES[threshold.figure])})")


def _largest(diff: Diff, threshold: Threshold) -> Pair | None:
    """The top-level layer or block instance whose change goes furthest in the rule's
    direction (the headline field's layer for rf)."""
    if threshold.figure == "rf":
        layer = diff.new.totals.rf_layer
        return next((p for p in diff.layers if p.new_name == layer), None)
    field = FIGURES[threshold.figure]
    top = [p for p in diff.pairs if p.level == (1 if p.is_block else 0)
           and p.status is not Status.SAME]
    sign = threshold.direction or 1
    best = max(top, key=lambda p: sign * p.delta(field).absolute, default=None)
    if best is None or sign * best.delta(field).absolute <= 0:
        return None
    return best


def _entry(diff: Diff, pair: Pair) -> Location:
    """Where a change was made: a layer whose own arguments changed, where it is written;
    anything else inside blocks, at the entry in `layers:` that uses its outermost block."""
    if pair.status is Status.CHANGED and not pair.is_block or pair.level <= 1:
        return pair.location
    node = next((n for n in diff.new.network.nodes if n.name == pair.new_name), None)
    if node is not None and node.block_sites:
        return node.block_sites[0]
    return pair.location


def _port_kind(threshold: Threshold) -> str:
    return "output" if threshold.figure == "output_shape" else "input"


def _shape(figures: object) -> str:
    shape = getattr(figures, "output_shape", None)
    return "none" if shape is None else "[" + ", ".join(str(n) for n in shape) + "]"
