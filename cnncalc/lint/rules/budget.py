"""B: budgets and expectations. A spec's `budget:` caps what the network may cost; its
`expect:` figures must match the arithmetic. Exceeding a cap or missing a figure is a
finding.

    budget:
      params: 25M                  # counts: a number, or with k, M, G, T (decimal); 2.5e7
      macs: 4.1G
      activation_memory: 100 MiB   # bytes per sample: KB, MB, GB decimal; KiB, MiB, GiB or
                                   # a bare K, M, G binary (see cnncalc/units.py)
      rf: {min: 224, max: 1024}    # the receptive field at the last spatial layer
      output_shape: [1000]

The spec's parser checks and reads `budget:` (a malformed value is a located error, exit 2,
for every command, whatever rules are selected); the rules here only compare its caps.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...errors import Location
from ...layers import shape_str
from ...spec.budget import Budget
from ...units import format_bytes, format_count
from ..diagnostic import Severity
from ..registry import Finding, rule
from ..subject import Subject, axis_names, number


def spec_budget(subject: Subject) -> Budget:
    """The analysed spec's checked budget."""
    return subject.analysis.spec.budget or Budget()


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
    return f"{n:,}" + (f" ({format_count(n)})" if n >= 1000 else "")


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
                     lambda n: f"{n:,} ({format_bytes(n)})")


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

