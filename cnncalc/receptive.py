"""Receptive-field algebra, one axis at a time (Araujo, Norris & Sim, Distill 2019).

A field is measured in input pixels, whose centers sit at 0, 1, 2, ...:
- size: how many input pixels one output reads (the largest number, where it varies);
- jump: the distance in input pixels between neighbouring outputs (the effective stride);
- start: the center of the first output's field. Distill's effective padding is
  (size - 1)/2 - start.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


def _tidy(value: float) -> float | int:
    """An integral float as int, so figures print as 195, not 195.0."""
    return int(value) if float(value).is_integer() else value


@dataclass(frozen=True)
class AxisField:
    """The receptive field along one spatial axis of the input."""

    size: float = 1
    jump: float = 1
    start: float = 0

    def through_window(self, kernel: int, stride: float, pad_before: float) -> AxisField:
        """After a window of (dilated) extent `kernel`: conv, pooling, global pooling."""
        return AxisField(self.size + (kernel - 1) * self.jump,
                         self.jump * stride,
                         self.start + ((kernel - 1) / 2 - pad_before) * self.jump)

    def through_transposed(self, kernel: int, stride: int, pad_before: int) -> AxisField:
        """After a transposed conv: each output reads at most ceil(F/s) input positions."""
        taps = math.ceil(kernel / stride)
        return AxisField(self.size + (taps - 1) * self.jump,
                         self.jump / stride,
                         self.start + (pad_before - (kernel - 1) / 2) * self.jump / stride)

    def through_resample(self, taps: int, scale: float, first_center: float) -> AxisField:
        """After upsampling: each output reads `taps` neighbouring inputs (1 nearest,
        2 linear); outputs are 1/scale input pixels apart; output 0 samples at
        `first_center` (in this layer's input pixels)."""
        return AxisField(self.size + (taps - 1) * self.jump,
                         self.jump / scale,
                         self.start + first_center * self.jump)

    @property
    def effective_padding(self) -> float:
        return (self.size - 1) / 2 - self.start

    def as_dict(self) -> dict[str, float | int]:
        return {"size": _tidy(self.size), "jump": _tidy(self.jump), "start": _tidy(self.start)}


Field = tuple[AxisField, ...]


def merge_fields(fields: list[Field], ignore: set[int] = frozenset()) -> tuple[Field, bool]:
    """Where branches meet: the largest field per axis, and whether the branches agree.

    Branches agree ("aligned") when their jumps and centers match on every axis. Branches
    in `ignore` (broadcast global context such as squeeze-and-excitation) take part in the
    size only.
    """
    merged = []
    aligned = True
    compared = [f for i, f in enumerate(fields) if i not in ignore] or fields[:1]
    for axis in range(len(fields[0])):
        widest = max((f[axis] for f in fields), key=lambda a: a.size)
        reference = compared[0][axis]
        for other in compared[1:]:
            if (not math.isclose(other[axis].jump, reference.jump)
                    or not math.isclose(other[axis].start, reference.start)):
                aligned = False
        base = max((f[axis] for f in compared), key=lambda a: a.size)
        merged.append(AxisField(widest.size, base.jump, base.start))
    return tuple(merged), aligned
