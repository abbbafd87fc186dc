"""R: receptive field. What the head can see, and whether branches agree where they meet."""
from __future__ import annotations

import math
from collections.abc import Iterator

from ...receptive import Field1
from ..diagnostic import Severity
from ..registry import Finding, rule
from ..subject import Subject, axis_names, is_point, label, number, ratio

MUCH_LARGER = 4  # a field this many times the input is mostly padding


@rule("R101", "rf-smaller-than-input", Severity.WARNING)
def rf_smaller_than_input(subject: Subject) -> Iterator[Finding]:
    """A classifier whose output's receptive field is smaller than the input.

    Why: an output with no spatial extent left (a class score vector) should depend on the
    whole image; if its receptive field is smaller, pixels at the border (or beyond what
    the windows reach) can never influence the decision.

    Example:
        input: [3, 32, 32]
        rounding: floor
        layers:
          - conv: {filters: 8, kernel: 5, stride: 5}    # 6 x 6, the last 2 pixels unread
          - conv: {filters: 10, kernel: 6}              # 1 x 1, field 30 < 32

    Fix: end with global pooling (or flatten and dense), or pad so the windows cover the
    whole input.

    Reference: Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural
    Networks", Distill, 2019.
    """
    spatial = subject.analysis.input_shape[1:]
    for node in subject.outputs:
        row = subject.row(node)
        if not spatial or not is_point(row.output_shape):
            continue
        short = [(name, f, n) for name, f, n in zip(axis_names(len(spatial)), row.field,
                                                     spatial) if f.size < n]
        if short:
            seen = ", ".join(f"{number(f.size)} of {n} pixels on {name}"
                             for name, f, n in short)
            yield Finding(node.location, f"the output of {label(node)} sees {seen}: the "
                                         f"classifier never sees the whole input", node)


@rule("R102", "rf-much-larger-than-input", Severity.INFO)
def rf_much_larger_than_input(subject: Subject) -> Iterator[Finding]:
    """A receptive field at the last spatial layer many times larger than the input.

    Why: past the input's size, further growth covers only padding; the layers that grow it
    cost parameters and time without widening what the network sees. It can also mean the
    input is smaller than the network was designed for.

    Example:
        input: [3, 32, 32]
        layers:                                      # field 143 on a 32-pixel input
          - conv: {filters: 16, kernel: 3, padding: 1}
            repeat: 71

    Fix: use fewer or smaller layers for this input size, or a larger input.

    Reference: Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural
    Networks", Distill, 2019.
    """
    totals = subject.analysis.totals
    spatial = subject.analysis.input_shape[1:]
    row = next((r for r in subject.rows if r.name == totals.rf_layer), None)
    if row is None:
        return
    big = [(name, f, n) for name, f, n in zip(axis_names(len(spatial)), totals.rf, spatial)
           if f.size > MUCH_LARGER * n]
    if big:
        parts = ", ".join(f"{number(f.size)} on {name} ({ratio(f.size, n)}x the {n}-pixel "
                          f"input)" for name, f, n in big)
        yield Finding(row.node.location, f"receptive field at {label(row.node)} is {parts}: "
                                         f"most of it lies in padding", row.node)


def _axis_text(fields: tuple[Field1, ...]) -> str:
    return (", ".join(f"branch {i + 1} jump {number(f.jump)} centre {number(f.start)}"
                      for i, f in enumerate(fields)))


@rule("R103", "misaligned-branches", Severity.WARNING)
def misaligned_branches(subject: Subject) -> Iterator[Finding]:
    """Branches that meet with different jumps or centres.

    Why: an add or concat combines, at each output position, features from each branch at
    the same index. If the branches' receptive fields are centred on different input pixels
    (or step by different distances), those features describe different places of the
    image: the merge mixes misaligned information.

    Example:
        branches:
          - [conv: {filters: 8, kernel: 3, stride: 2, padding: 1}]   # centre 0
          - [conv: {filters: 8, kernel: 2, stride: 2}]               # centre 0.5
        merge: concat

    Fix: pad each branch so its window is centred the same way ((F - 1)/2 for odd F), and
    give every branch the same total stride.

    Reference: Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural
    Networks", Distill, 2019 ("aligned" graphs); Google's receptive_field library.
    """
    for misalignment in subject.analysis.misalignments:
        node = misalignment.node
        names = axis_names(len(misalignment.branch_fields[0]))
        parts = []
        for axis, name in enumerate(names):
            per_branch = tuple(f[axis] for f in misalignment.branch_fields)
            if any(not math.isclose(f.jump, per_branch[0].jump) or
                   not math.isclose(f.start, per_branch[0].start) for f in per_branch):
                parts.append(f"on {name}: {_axis_text(per_branch)}")
        yield Finding(node.location, f"{label(node)}: branches meet misaligned "
                                     f"{'; '.join(parts)}", node)
