"""Dense (fully connected) layers."""
from __future__ import annotations

from ..receptive import Field
from .base import Args, Argument, Layer, ParamCount, Shape, numel, register


@register
class Dense(Layer):
    """Fully connected layer: a learned linear map on the last axis, [..., F] -> [..., units]
    (PyTorch's and Keras' rule), plus a bias."""

    kind = "dense"
    aliases = ("linear", "fc")
    arguments = (
        Argument("units", "int", "required",
                 "output features (PyTorch's out_features, also accepted)"),
        Argument("bias", "bool", "true", "add a learned bias per unit (Keras' use_bias)"),
    )
    pytorch = "nn.Linear(in_features, out_features, bias=True)"
    keras = "layers.Dense(units, use_bias=True)"
    examples = (("{units: 5}", (7,)), ("{units: 3, bias: false}", (2, 4, 6)))
    family = "dense"
    is_affine_map = True
    acts_on_last_axis = True  # PyTorch's nn.Linear and Keras' Dense

    input_shape: Shape
    units: int
    bias: bool

    @classmethod
    def build(cls, args: Args, input_shape: Shape) -> Layer:
        units = args.integer("units", aliases=("out_features",))
        bias = args.boolean("bias", True)
        args.finish(())
        return cls(input_shape, units, bias)

    def output_shape(self) -> Shape:
        return (*self.input_shape[:-1], self.units)

    def params(self) -> ParamCount:
        per_unit = self.input_shape[-1] + self.bias
        return ParamCount(per_unit * self.units, 0, per_unit, self.units)

    def param_shapes(self) -> dict[str, Shape]:
        weight = (self.units, self.input_shape[-1])
        return {"weight": weight} | ({"bias": (self.units,)} if self.bias else {})

    def macs(self) -> int:
        return numel(self.input_shape) * self.units

    def ops(self) -> int:
        return numel(self.output_shape()) if self.bias else 0

    def describe(self) -> str:
        return f"{self.input_shape[-1]}->{self.units}" + ("" if self.bias else " nobias")

    def receptive_field(self, field: Field) -> Field:
        if len(self.input_shape) < 2:
            return field
        # on a spatial input it mixes the whole last axis
        last = len(field) - 1
        n = self.input_shape[-1]
        return tuple(f.through_window(n, n, 0) if i == last else f for i, f in enumerate(field))
