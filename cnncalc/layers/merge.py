"""Merges where branches meet: add, concat (channels), multiply (broadcasting)."""
from __future__ import annotations

from ..errors import Location, SpecError
from ..receptive import Field, merge_fields
from .base import Argument, Layer, Shape, numel, shape_str


class Merge(Layer):
    """Combines the outputs of two or more branches. `input_shapes` holds each branch's."""

    family = "merge"

    input_shape: Shape
    input_shapes: tuple[Shape, ...]

    @classmethod
    def merge(cls, shapes: list[Shape], location: Location, label: str) -> Merge:
        cls.check(shapes, location, label)
        return cls(shapes[0], tuple(shapes))

    @classmethod
    def check(cls, shapes: list[Shape], location: Location, label: str) -> None:
        raise NotImplementedError

    def ops(self) -> int:
        return numel(self.output_shape()) * (len(self.input_shapes) - 1)

    def broadcast_branches(self) -> set[int]:
        """Branches whose values are spread over every position (none but for multiply)."""
        return set()

    def receptive_fields(self, fields: list[Field], input_size: Shape) -> tuple[Field, bool]:
        return merge_fields(fields, self.broadcast_branches(), input_size)


def _listing(shapes: list[Shape]) -> str:
    return ", ".join(f"branch {i + 1} {shape_str(s)}" for i, s in enumerate(shapes))


class Add(Merge):
    """Elementwise sum of the branches; every branch must have the same shape."""

    kind = "add"
    arguments = (
        Argument("from", "name or list of names", "required",
                 "the layers merged, in order; one name merges the previous entry's output "
                 "with it (beside the kind or inside its arguments)"),
    )
    pytorch = "a + b (torch.add)"
    keras = "layers.Add()"
    examples = (("{from: [a, b]}", (4, 5, 5)),)

    @classmethod
    def check(cls, shapes: list[Shape], location: Location, label: str) -> None:
        if any(s != shapes[0] for s in shapes):
            what = "channel" if all(s[1:] == shapes[0][1:] for s in shapes) else "shape"
            raise SpecError.at(location, f"{label}: {what} mismatch at add: {_listing(shapes)};"
                                         " expected equal shapes (add a projection shortcut?)")


class Concat(Merge):
    """Join the branches along the channels; spatial sizes must agree.
    [C1, *S] + [C2, *S] -> [C1 + C2, *S]."""

    kind = "concat"
    arguments = (
        Argument("from", "name or list of names", "required",
                 "the layers merged, in order; one name merges the previous entry's output "
                 "with it (beside the kind or inside its arguments)"),
        Argument("axis", "int", "0",
                 "the axis joined, counted without the batch; only 0 (the channels) is "
                 "accepted"),
    )
    pytorch = "torch.cat([a, b], dim=1)"
    keras = "layers.Concatenate(axis=-1) (channels last)"
    examples = (("{from: [a, b], axis: 0}", (4, 5, 5)),)

    @classmethod
    def check(cls, shapes: list[Shape], location: Location, label: str) -> None:
        if any(len(s) != len(shapes[0]) or s[1:] != shapes[0][1:] for s in shapes):
            raise SpecError.at(location, f"{label}: spatial mismatch at concat: "
                                         f"{_listing(shapes)}; expected the same sizes after "
                                         "the channels")

    def output_shape(self) -> Shape:
        return (sum(s[0] for s in self.input_shapes), *self.input_shape[1:])

    def ops(self) -> int:
        return 0


class Multiply(Merge):
    """Elementwise product of the branches, broadcasting size-1 axes: [C, 1, 1] x [C, H, W]
    (squeeze-and-excitation's gate)."""

    kind = "multiply"
    arguments = (
        Argument("from", "name or list of names", "required",
                 "the layers merged, in order; one name merges the previous entry's output "
                 "with it (beside the kind or inside its arguments)"),
    )
    pytorch = "a * b (torch.mul, broadcasting)"
    keras = "layers.Multiply()"
    examples = (("{from: [a, b]}", (4, 5, 5)),)

    @classmethod
    def check(cls, shapes: list[Shape], location: Location, label: str) -> None:
        out = _broadcast(shapes)
        if out is None:
            raise SpecError.at(location, f"{label}: shapes do not broadcast at multiply: "
                                         f"{_listing(shapes)}; expected equal sizes or 1 on "
                                         "each axis")

    def output_shape(self) -> Shape:
        return _broadcast(list(self.input_shapes)) or self.input_shape

    def broadcast_branches(self) -> set[int]:
        out = self.output_shape()
        return {i for i, s in enumerate(self.input_shapes)
                if s != out and all(n == 1 for n in s[1:])}


def _broadcast(shapes: list[Shape]) -> Shape | None:
    if any(len(s) != len(shapes[0]) for s in shapes):
        return None
    out = []
    for sizes in zip(*shapes):
        wide = {n for n in sizes if n != 1}
        if len(wide) > 1:
            return None
        out.append(wide.pop() if wide else 1)
    return tuple(out)


MERGES: dict[str, type[Merge]] = {cls.kind: cls for cls in (Add, Concat, Multiply)}
