"""Merges where branches meet: add and multiply (broadcasting size-1 axes), concat (along
the channels or any other axis)."""
from __future__ import annotations

from ..errors import Location, SpecError
from ..receptive import Field, merge_fields
from .base import Argument, Layer, Shape, numel, shape_str

_FROM = Argument("from", "layer name or list of names", "required",
                 "the values merged; one name merges the previous entry's output with it")


class Merge(Layer):
    """Combines the outputs of two or more branches. `input_shapes` holds each branch's."""

    family = "merge"

    input_shape: Shape
    input_shapes: tuple[Shape, ...]
    axis: int = 0  # concat's axis, without the batch (0: the channels)

    @classmethod
    def merge(cls, shapes: list[Shape], location: Location, label: str,
              axis: int = 0) -> Merge:
        cls.check(shapes, location, label, axis)
        return cls(shapes[0], tuple(shapes), axis)

    @classmethod
    def check(cls, shapes: list[Shape], location: Location, label: str,
              axis: int = 0) -> None:
        raise NotImplementedError

    def ops(self) -> int:
        return numel(self.output_shape()) * (len(self.input_shapes) - 1)

    def broadcast_branches(self) -> set[int]:
        """Branches whose values are spread over every position (a [C, 1, 1] branch of add
        or multiply)."""
        return set()

    def receptive_fields(self, fields: list[Field], input_size: Shape) -> tuple[Field, bool]:
        return merge_fields(fields, self.broadcast_branches(), input_size)


def _listing(shapes: list[Shape]) -> str:
    return ", ".join(f"branch {i + 1} {shape_str(s)}" for i, s in enumerate(shapes))


class Add(Merge):
    """Elementwise sum of the branches, broadcasting size-1 axes as NumPy and PyTorch do
    (a [C, 1, 1] branch is added at every position of a [C, H, W] one); the shapes must
    otherwise be equal."""

    kind = "add"
    examples = (("{from: [a, b]}", (4, 5, 5)),)
    arguments = (_FROM,)
    pytorch = "a + b (broadcasting)"
    keras = "layers.Add()"

    @classmethod
    def check(cls, shapes: list[Shape], location: Location, label: str,
              axis: int = 0) -> None:
        if _broadcast(shapes) is None:
            what = "channel" if all(s[1:] == shapes[0][1:] for s in shapes) else "shape"
            raise SpecError.at(location, f"{label}: {what} mismatch at add: {_listing(shapes)};"
                                         " expected equal shapes, or 1 on the axes that "
                                         "differ (add a projection shortcut?)")

    def output_shape(self) -> Shape:
        return _broadcast(list(self.input_shapes)) or self.input_shape

    def broadcast_branches(self) -> set[int]:
        return _spread(self)


class Concat(Merge):
    """Join along `axis` (0, the channels, unless said): [C1, *S] + [C2, *S] ->
    [C1 + C2, *S]; every other size must agree. Along a spatial axis the branches' positions
    follow one another, and the receptive field along that axis is bounded (see
    `receptive_fields`)."""

    kind = "concat"
    examples = (("{from: [a, b], axis: 0}", (4, 5, 5)),)
    arguments = (_FROM, Argument("axis", "int", "0", "the axis joined, without the batch: "
                                                     "0 the channels, 1 the height, ..."))
    pytorch = "torch.cat([a, b], dim=axis + 1)"
    keras = "layers.Concatenate(axis=-1) (channels last there: Keras' axis differs)"

    @classmethod
    def check(cls, shapes: list[Shape], location: Location, label: str,
              axis: int = 0) -> None:
        rank = len(shapes[0])
        if axis >= rank:
            raise SpecError.at(location, f"{label}: axis {axis} is past the last axis of "
                                         f"{shape_str(shapes[0])} (axes count from 0, the "
                                         "channels, without the batch)")
        if any(len(s) != rank or s[:axis] + s[axis + 1:] != shapes[0][:axis] +
               shapes[0][axis + 1:] for s in shapes):
            where = "spatial" if axis == 0 else "shape"
            raise SpecError.at(location, f"{label}: {where} mismatch at concat: "
                                         f"{_listing(shapes)}; expected the same sizes on "
                                         f"every axis but {axis}")

    def output_shape(self) -> Shape:
        a = self.axis
        return (*self.input_shape[:a], sum(s[a] for s in self.input_shapes),
                *self.input_shape[a + 1:])

    def ops(self) -> int:
        return 0

    def receptive_fields(self, fields: list[Field], input_size: Shape) -> tuple[Field, bool]:
        """Along the channels: the union of the branches' fields, as for every merge. Along
        spatial axis a, output positions 0 ... n1 - 1 come from the first branch, the next
        n2 from the second, and so on, each reading its own branch's field shifted back by
        the positions before it: no periodic field holds that exactly. Along that axis the
        field is bounded by the widest branch's (its size is the largest any output reads;
        its positions are that branch's); the other axes merge exactly, and alignment is
        judged on them only."""
        a = self.axis - 1
        if a < 0 or a >= len(fields[0]):
            return merge_fields(fields, set(), input_size)
        rest = [f[:a] + f[a + 1:] for f in fields]
        merged, aligned = merge_fields(rest, set(), input_size[:a] + input_size[a + 1:])
        widest = max((f[a] for f in fields), key=lambda f: f.size)
        if any(f[a].sees_all for f in fields):
            widest = widest.seeing_all()
        return merged[:a] + (widest,) + merged[a:], aligned

    def describe(self) -> str:
        return f"axis {self.axis}" if self.axis else ""


class Multiply(Merge):
    """Elementwise product with broadcasting of size-1 axes: [C, 1, 1] x [C, H, W]."""

    kind = "multiply"
    examples = (("{from: [a, b]}", (4, 5, 5)),)
    arguments = (_FROM,)
    pytorch = "a * b (broadcasting)"
    keras = "layers.Multiply()"

    @classmethod
    def check(cls, shapes: list[Shape], location: Location, label: str,
              axis: int = 0) -> None:
        out = _broadcast(shapes)
        if out is None:
            raise SpecError.at(location, f"{label}: shapes do not broadcast at multiply: "
                                         f"{_listing(shapes)}; expected equal sizes or 1 on "
                                         "each axis")

    def output_shape(self) -> Shape:
        return _broadcast(list(self.input_shapes)) or self.input_shape

    def broadcast_branches(self) -> set[int]:
        return _spread(self)


def _spread(merge: Merge) -> set[int]:
    """The branches that reach every spatial position from one ([C, 1, 1])."""
    out = merge.output_shape()
    return {i for i, s in enumerate(merge.input_shapes)
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
