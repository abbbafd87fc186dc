"""A built network as the source of a `torch.nn.Module`: text only, torch is never imported.

Every layer becomes one attribute named as in the spec (a block instance is a `Block`
submodule holding its layers, so `layer1.basic1.conv2` is `self.layer1.basic1.conv2` and the
state dict's keys are the spec's names); `forward` follows the graph in execution order.
Conventions PyTorch's modules lack are written out: asymmetric, 'same' or ceil-rounded
padding as an explicit `F.pad` before the layer, a transposed conv's asymmetric padding as a
crop after it, Keras' separable conv as two convs, cropping and reshapes as tensor
expressions. What PyTorch cannot compute exactly is refused with the layer's location.

The output is deterministic (no timestamp): the same spec gives the same bytes.
"""
from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..files import write_atomic
from ..geometry import FLOOR, PYTORCH_CEIL, SizeRule, window_count
from ..graph import Network, Node, Ref
from ..values import Value

# nn.Module's own attributes: a layer named like one would shadow it.
_MODULE_NAMES = frozenset((
    "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init",
    "children", "compile", "cpu", "cuda", "double", "dump_patches", "eval", "extra_repr",
    "float", "forward", "get_buffer", "get_extra_state", "get_parameter", "get_submodule",
    "half", "ipu", "load_state_dict", "modules", "mtia", "named_buffers", "named_children",
    "named_modules", "named_parameters", "parameters", "register_backward_hook",
    "register_buffer", "register_forward_hook", "register_forward_pre_hook",
    "register_full_backward_hook", "register_full_backward_pre_hook",
    "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook",
    "register_module", "register_parameter", "register_state_dict_post_hook",
    "register_state_dict_pre_hook", "requires_grad_", "set_extra_state", "set_submodule",
    "share_memory", "state_dict", "to", "to_empty", "train", "type", "xpu", "zero_grad",
    "training",
))
# Names the generated module itself uses.
_TAKEN = frozenset({"self", "torch", "nn", "F", "Block"})

_ACTIVATIONS: dict[str, tuple[str, tuple[tuple[str, str, object], ...]]] = {
    # kind: (module, ((field, PyTorch keyword, PyTorch's default), ...))
    "relu": ("nn.ReLU", ()),
    "relu6": ("nn.ReLU6", ()),
    "sigmoid": ("nn.Sigmoid", ()),
    "tanh": ("nn.Tanh", ()),
    "gelu": ("nn.GELU", ()),
    "silu": ("nn.SiLU", ()),
    "hardswish": ("nn.Hardswish", ()),
    "hardsigmoid": ("nn.Hardsigmoid", ()),
    "mish": ("nn.Mish", ()),
    "selu": ("nn.SELU", ()),
    "leaky_relu": ("nn.LeakyReLU", (("negative_slope", "negative_slope", 0.01),)),
    "elu": ("nn.ELU", (("alpha", "alpha", 1.0),)),
    "celu": ("nn.CELU", (("alpha", "alpha", 1.0),)),
    "softplus": ("nn.Softplus", (("beta", "beta", 1.0), ("threshold", "threshold", 20.0))),
    "hardtanh": ("nn.Hardtanh", (("min_val", "min_val", -1.0), ("max_val", "max_val", 1.0))),
    "prelu": ("nn.PReLU", (("num_parameters", "num_parameters", 1), ("init", "init", 0.25))),
    "dropout": ("nn.Dropout", (("p", "p", 0.5),)),
    "identity": ("nn.Identity", ()),
    "pixel_shuffle": ("nn.PixelShuffle", (("factor", "", None),)),
    "pixel_unshuffle": ("nn.PixelUnshuffle", (("factor", "", None),)),
}
_PADS = {"zeropad": "ZeroPad", "reflection_pad": "ReflectionPad",
         "replication_pad": "ReplicationPad", "circular_pad": "CircularPad"}
_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
              "circular": "circular"}
_LINEAR_MODES = ("linear", "bilinear", "trilinear")

Call = Callable[[list[str]], str]  # the input variables -> the expression of the output


def identifier(name: str) -> str:
    """A valid Python identifier for a spec name, deterministically: other characters
    become '_', a leading digit or underscore gets 'layer_' before it, a keyword or a name
    nn.Module already uses gets '_' after it."""
    text = re.sub(r"\W", "_", name, flags=re.ASCII) or "layer"
    if text[0].isdigit() or text[0] == "_":
        text = "layer_" + text
    if keyword.iskeyword(text) or keyword.issoftkeyword(text) or text in _MODULE_NAMES \
            or text in _TAKEN:
        text += "_"
    return text


def class_name(name: str) -> str:
    """The spec's name as a CamelCase class name ('resnet18' -> 'Resnet18')."""
    parts = re.findall(r"[A-Za-z0-9]+", name)
    text = "".join(p[0].upper() + p[1:] for p in parts) or "Net"
    return "Net" + text if text[0].isdigit() or text in _TAKEN else text


def _plain(text: str) -> str:
    """Text safe inside a comment or docstring: printable, no quotes or backslashes."""
    return "".join(c if c.isprintable() and c not in '"\\' else "?" for c in text)[:200]


def _num(value: object) -> str:
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return f'float("{value}")'
    return repr(value)


def _ints(values: tuple[int, ...]) -> str:
    """One int when every axis agrees, else a tuple."""
    if len(set(values)) == 1:
        return str(values[0])
    return "(" + ", ".join(str(v) for v in values) + ")"


def _tuple(values: tuple[object, ...]) -> str:
    inner = ", ".join(_num(v) for v in values)
    return f"({inner},)" if len(values) == 1 else f"({inner})"


def _pad_order(padding: tuple[tuple[int, int], ...]) -> tuple[int, ...]:
    """((before, after) per axis, first axis first) -> F.pad's order, last axis first."""
    return tuple(n for before, after in reversed(padding) for n in (before, after))


def _call(ctor: str, *args: str, **kwargs: str) -> str:
    return f"{ctor}({', '.join([*args, *(f'{k}={v}' for k, v in kwargs.items())])})"


class Refused(Exception):
    """A layer PyTorch cannot compute as cnncalc does: the reason, located by the caller."""


class Emitted(Value):
    """What one layer becomes: its modules (attribute suffix -> constructor) and how forward
    calls them."""

    modules: dict[str, str]
    call: Call


def _windows_fit(layer: Any, padding: tuple[tuple[int, int], ...], rule: SizeRule) -> bool:
    """Whether PyTorch, with this padding and size rule, counts the layer's windows."""
    return all(window_count(w.size, w.kernel, w.stride, pb, pa, w.dilation, rule) == w.count
               for w, (pb, pa) in zip(layer.windows(), padding))


def _overhang(layer: Any) -> tuple[tuple[int, int], ...]:
    """The padding the counted windows read: the declared padding, plus what a ceil-rounded
    last window reads past it, or less the trailing padding that no window reads (a rule
    that drops a window starting in the padding)."""
    read = []
    for w, (pb, pa) in zip(layer.windows(), layer.padding):
        after = max(0, w.reach - (pb + w.size))
        floor = window_count(w.size, w.kernel, w.stride, pb, pa, w.dilation, FLOOR)
        read.append((pb, after if after > pa or floor > w.count else pa))
    return tuple(read)


def _hangs_past(read: tuple[tuple[int, int], ...],
                padding: tuple[tuple[int, int], ...]) -> bool:
    """Whether a window reads past the declared padding."""
    return any(r > p for (_, r), (_, p) in zip(read, padding))


def _padded(inner: Call, pads: tuple[int, ...], extra: str = "") -> Call:
    """`inner` applied after F.pad(x, pads[, mode or value])."""
    if not any(pads):
        return inner
    return lambda v: inner([f"F.pad({v[0]}, {_tuple(pads)}{extra})", *v[1:]])


def _conv(layer: Any, name: str) -> tuple[str, Call]:
    """A conv (plain, depthwise, or one half of a separable one)."""
    ndim = len(layer.input_shape) - 1
    kwargs: dict[str, str] = {"kernel_size": _ints(layer.kernel)}
    if set(layer.stride) != {1}:
        kwargs["stride"] = _ints(layer.stride)
    padding, mode = layer.padding, layer.padding_mode
    pads: tuple[int, ...] = ()
    extra = ""
    if all(b == a for b, a in padding) and _windows_fit(layer, padding, FLOOR):
        if any(b for b, _ in padding):
            kwargs["padding"] = _ints(tuple(b for b, _ in padding))
            if mode != "zeros":
                kwargs["padding_mode"] = f'"{mode}"'
    else:  # asymmetric ('same' with an even extent) or a ceil-rounded last window
        read = _overhang(layer)
        if _hangs_past(read, padding) and mode != "zeros":
            raise Refused(f"a ceil-rounded last window past {mode} padding has no PyTorch "
                          f"equivalent")
        if not _windows_fit(layer, read, FLOOR):
            raise Refused("PyTorch's conv cannot count these windows")
        pads = _pad_order(read)
        extra = "" if mode == "zeros" else f', mode="{_PAD_MODES[mode]}"'
    if set(layer.dilation) != {1}:
        kwargs["dilation"] = _ints(layer.dilation)
    if layer.groups != 1:
        kwargs["groups"] = str(layer.groups)
    if not layer.bias:
        kwargs["bias"] = "False"
    ctor = _call(f"nn.Conv{ndim}d", str(layer.input_shape[0]),
                 str(layer.output_shape()[0]), **kwargs)
    return ctor, _padded(lambda v: f"{name}({v[0]})", pads, extra)


def _crop(expr: str, crops: tuple[tuple[int, int], ...], shape: tuple[int, ...]) -> str:
    """expr[:, :, b:N - a, ...] for (before, after) per spatial axis of `shape` [C, *S]."""
    if not any(b or a for b, a in crops):
        return expr
    parts = [":", ":"]
    for (b, a), n in zip(crops, shape[1:]):
        parts.append(f"{b or ''}:{n - a if a else ''}")
    while parts[-1] == ":":
        parts.pop()
    return f"{expr}[{', '.join(parts)}]"


def _pool(node: Node, name: str, with_indices: bool) -> tuple[str, Call]:
    layer: Any = node.layer  # a window pool: its kind's fields
    kind = layer.kind
    ndim = len(layer.input_shape) - 1
    padding = layer.padding
    kernel, stride = layer.kernel, layer.stride
    dilation = layer.dilation
    if kind == "lppool":
        if set(dilation) != {1} or any(b or a for b, a in padding):
            raise Refused("PyTorch's LPPool has neither padding nor dilation")
        for ceil in (False, True):
            if _windows_fit(layer, padding, PYTORCH_CEIL if ceil else FLOOR):
                options = {} if stride == kernel else {"stride": _ints(stride)}
                if ceil:
                    options["ceil_mode"] = "True"
                ctor = _call(f"nn.LPPool{ndim}d", _num(layer.norm_type),
                             _ints(kernel), **options)
                return ctor, lambda v: f"{name}({v[0]})"
        raise Refused("PyTorch's LPPool cannot count these windows")
    symmetric = all(b == a for b, a in padding) and all(
        b <= k // 2 for (b, _), k in zip(padding, kernel))
    native = None
    if symmetric:
        for ceil in (False, True):
            if _windows_fit(layer, padding, PYTORCH_CEIL if ceil else FLOOR):
                native = ceil
                break
    kwargs: dict[str, str] = {}
    if stride != kernel:
        kwargs["stride"] = _ints(stride)
    pads: tuple[int, ...] = ()
    extra = ""
    if native is not None:
        if any(b for b, _ in padding):
            kwargs["padding"] = _ints(tuple(b for b, _ in padding))
        if native:
            kwargs["ceil_mode"] = "True"
    else:
        read = _overhang(layer)
        if not _windows_fit(layer, read, FLOOR):
            raise Refused("PyTorch's pooling cannot count these windows")
        if kind == "maxpool":
            if with_indices:
                raise Refused("a max pool whose indices a maxunpool reads needs padding "
                              "PyTorch's MaxPool takes (symmetric, at most half the kernel)")
            extra = ', value=float("-inf")'
        elif layer.divisor_override is None and (
                _hangs_past(read, padding)
                or not layer.count_include_pad and any(b or a for b, a in padding)):
            # Each window's divisor is not the kernel's size: divide the window's mean by
            # the mean of a mask of ones over what it counts (the input, and the declared
            # padding with count_include_pad), zeros elsewhere.
            ones = "torch.ones_like({}[:1, :1])"
            if layer.count_include_pad:
                past = tuple((0, r - p) for (_, r), (_, p) in zip(read, padding))
                ones = f"F.pad(F.pad({ones}, {_tuple(_pad_order(padding))}, value=1.0), " \
                       f"{_tuple(_pad_order(past))})"
            else:
                ones = f"F.pad({ones}, {_tuple(_pad_order(read))})"
            padded, size = _tuple(_pad_order(read)), math.prod(kernel)
            ctor = _call(f"nn.AvgPool{ndim}d", _ints(kernel), **kwargs)
            return ctor, lambda v: (f"{name}(F.pad({v[0]}, {padded})) / "
                                    f"{name}({ones.format(v[0])}).clamp(min=1 / {size})")
        pads = _pad_order(read)
    if kind == "maxpool":
        if set(dilation) != {1}:
            kwargs["dilation"] = _ints(dilation)
        if with_indices:
            kwargs["return_indices"] = "True"
    else:  # avgpool
        if set(dilation) != {1}:
            raise Refused("PyTorch's AvgPool has no dilation")
        if not layer.count_include_pad and "padding" in kwargs:
            kwargs["count_include_pad"] = "False"
        if layer.divisor_override is not None:
            kwargs["divisor_override"] = str(layer.divisor_override)
    module = "MaxPool" if kind == "maxpool" else "AvgPool"
    ctor = _call(f"nn.{module}{ndim}d", _ints(kernel), **kwargs)
    return ctor, _padded(lambda v: f"{name}({v[0]})", pads, extra)


def _emit(node: Node, name: str, indexed: set[int],
          indices: dict[int, str]) -> Emitted:
    """The modules and the forward expression of one node; `name` is its attribute path
    ('self.layer1.conv1')."""
    layer: Any = node.layer  # each branch reads the fields of the kind it tests
    kind = layer.kind
    shape = layer.input_shape
    ndim = len(shape) - 1

    def one(ctor: str) -> Emitted:
        return Emitted({"": ctor}, lambda v: f"{name}({v[0]})")
    if kind in _ACTIVATIONS:
        module, options = _ACTIVATIONS[kind]
        args, kwargs = [], {}
        for field, keyword_, default in options:
            value = getattr(layer, field)
            if not keyword_:
                args.append(_num(value))
            elif value != default:
                kwargs[keyword_] = _num(value)
        return one(_call(module, *args, **kwargs))
    if kind in ("softmax", "log_softmax"):
        module = "nn.Softmax" if kind == "softmax" else "nn.LogSoftmax"
        return one(_call(module, dim=str(layer.axis + 1)))
    if kind == "spatial_dropout":
        return one(_call(f"nn.Dropout{ndim}d", p=_num(layer.p)))
    if kind in ("conv", "depthwise_conv"):
        ctor, call = _conv(layer, name)
        return Emitted({"": ctor}, call)
    if kind == "separable_conv":
        first, first_call = _conv(layer.depthwise, name + ".depthwise")
        second, second_call = _conv(layer.pointwise, name + ".pointwise")
        return Emitted({"": "Block()", "depthwise": first, "pointwise": second},
                       lambda v: second_call([first_call(v)]))
    if kind == "conv_transpose":
        padding = layer.padding
        common = tuple(min(b, a) for b, a in padding)
        crops = tuple((b - p, a - p) for (b, a), p in zip(padding, common))
        kwargs = {"kernel_size": _ints(layer.kernel)}
        for field, default in (("stride", 1), ("padding", 0), ("output_padding", 0)):
            values = common if field == "padding" else getattr(layer, field)
            if set(values) != {default}:
                kwargs[field] = _ints(values)
        if layer.groups != 1:
            kwargs["groups"] = str(layer.groups)
        if not layer.bias:
            kwargs["bias"] = "False"
        if set(layer.dilation) != {1}:
            kwargs["dilation"] = _ints(layer.dilation)
        ctor = _call(f"nn.ConvTranspose{ndim}d", str(shape[0]),
                     str(layer.output_shape()[0]), **kwargs)
        full = (layer.output_shape()[0], *(n + b + a for n, (b, a) in
                                           zip(layer.output_shape()[1:], crops)))
        return Emitted({"": ctor}, lambda v: _crop(f"{name}({v[0]})", crops, full))
    if kind == "dense":
        kwargs = {} if layer.bias else {"bias": "False"}
        return one(_call("nn.Linear", str(shape[-1]), str(layer.units), **kwargs))
    if kind in ("batchnorm", "instancenorm"):
        module = "nn.BatchNorm" if kind == "batchnorm" else "nn.InstanceNorm"
        batch = kind == "batchnorm"
        kwargs = {}
        for field, default in (("eps", 1e-5), ("momentum", 0.1), ("affine", batch),
                               ("track_running_stats", batch)):
            value = getattr(layer, field)
            if value != default:
                kwargs[field] = _num(value)
        return one(_call(f"{module}{max(ndim, 1)}d", str(shape[0]), **kwargs))
    if kind == "layernorm":
        kwargs = {}
        if layer.eps != 1e-5:
            kwargs["eps"] = _num(layer.eps)
        if not layer.affine:
            kwargs["elementwise_affine"] = "False"
        elif not layer.bias:
            kwargs["bias"] = "False"
        normalized = layer.normalized_shape()
        text = str(normalized[0]) if len(normalized) == 1 else \
            "[" + ", ".join(str(n) for n in normalized) + "]"
        ctor = _call("nn.LayerNorm", text, **kwargs)
        if layer.over == "channels" and ndim > 0:
            # ConvNeXt's LayerNorm2d: the channels moved last, normalised, moved back
            return Emitted({"": ctor},
                           lambda v: f"{name}({v[0]}.movedim(1, -1)).movedim(-1, 1)")
        return one(ctor)
    if kind == "groupnorm":
        kwargs = {}
        if layer.eps != 1e-5:
            kwargs["eps"] = _num(layer.eps)
        if not layer.affine:
            kwargs["affine"] = "False"
        return one(_call("nn.GroupNorm", str(layer.groups), str(shape[0]), **kwargs))
    if kind == "local_response_norm":
        kwargs = {}
        for field, default in (("alpha", 1e-4), ("beta", 0.75), ("k", 1.0)):
            if getattr(layer, field) != default:
                kwargs[field] = _num(getattr(layer, field))
        return one(_call("nn.LocalResponseNorm", str(layer.size), **kwargs))
    if kind in ("maxpool", "avgpool", "lppool"):
        ctor, call = _pool(node, name, node.index in indexed)
        return Emitted({"": ctor}, call)
    if kind == "fractional_maxpool":
        if ndim not in (2, 3):
            raise Refused("PyTorch's FractionalMaxPool is 2-D or 3-D only")
        return one(_call(f"nn.FractionalMaxPool{ndim}d", _ints(layer.kernel),
                         output_size=_ints(layer.output_size)))
    if kind in ("global_avgpool", "global_maxpool"):
        module = "Avg" if kind == "global_avgpool" else "Max"
        ctor = _call(f"nn.Adaptive{module}Pool{ndim}d", "1")
        if layer.keepdims:
            return one(ctor)
        return Emitted({"": ctor}, lambda v: f"torch.flatten({name}({v[0]}), 1)")
    if kind in ("adaptive_avgpool", "adaptive_maxpool"):
        module = "Avg" if kind == "adaptive_avgpool" else "Max"
        size = layer.output_size
        text = _ints(size) if None not in size else _tuple(size)
        return one(_call(f"nn.Adaptive{module}Pool{ndim}d", text))
    if kind == "maxunpool":
        kwargs = {"kernel_size": _ints(layer.kernel)}
        if layer.stride != layer.kernel:
            kwargs["stride"] = _ints(layer.stride)
        if any(layer.pad_before):
            kwargs["padding"] = _ints(layer.pad_before)
        ctor = _call(f"nn.MaxUnpool{ndim}d", **kwargs)
        size = _tuple(layer.size)
        pool = node.inputs[1]
        return Emitted({"": ctor}, lambda v: f"{name}({v[0]}, {indices[pool]}, "
                                             f"output_size={size})")
    if kind in _PADS:
        if ndim not in (1, 2, 3):
            raise Refused("PyTorch's padding modules are 1-D, 2-D or 3-D")
        padding = _pad_order(layer.padding)
        return one(_call(f"nn.{_PADS[kind]}{ndim}d", _tuple(padding)))
    if kind == "flatten":
        kwargs = {}
        if layer.start_dim != 1:
            kwargs["start_dim"] = str(layer.start_dim)
        if layer.end_dim not in (-1, len(shape)):  # the last axis, the batch counted
            kwargs["end_dim"] = str(layer.end_dim)
        return one(_call("nn.Flatten", **kwargs))
    if kind == "upsample":
        kwargs = {}
        if layer.scale is not None:
            scale = tuple(float(s) for s in layer.scale)
            kwargs["scale_factor"] = _num(scale[0]) if len(set(scale)) == 1 else _tuple(scale)
        else:
            kwargs["size"] = _ints(layer.size)
        mode = layer.mode
        if mode in _LINEAR_MODES:
            mode = _LINEAR_MODES[ndim - 1]
        if mode != "nearest":
            kwargs["mode"] = f'"{mode}"'
        if layer.align_corners and (mode in _LINEAR_MODES or mode == "bicubic"):
            kwargs["align_corners"] = "True"
        if layer.recompute_scale_factor and layer.scale is not None:
            kwargs["recompute_scale_factor"] = "True"
        return one(_call("nn.Upsample", **kwargs))
    # No module: tensor expressions and merges.
    if kind == "cropping":
        crops = layer.cropping
        return Emitted({}, lambda v: _crop(v[0], crops, shape))
    if kind == "reshape":
        target = ", ".join(str(n) for n in layer.shape)
        return Emitted({}, lambda v: f"{v[0]}.reshape({v[0]}.shape[0], {target})")
    if kind == "permute":
        dims = ", ".join(str(d + 1) for d in layer.dims)
        return Emitted({}, lambda v: f"{v[0]}.permute(0, {dims})")
    if kind in ("add", "multiply"):
        op = "torch.add" if kind == "add" else "torch.mul"

        def merged(v: list[str]) -> str:
            text = v[0]
            for other in v[1:]:
                text = f"{op}({text}, {other})"
            return text
        return Emitted({}, merged)
    if kind == "concat":
        dim = layer.axis + 1
        return Emitted({}, lambda v: f"torch.cat([{', '.join(v)}], dim={dim})")
    raise Refused(f"cnncalc has no PyTorch export for kind '{kind}'")


class _Names:
    """Identifiers handed out once each, so two values never share a name by accident."""

    def __init__(self, taken: set[str]):
        self.used = set(taken)

    def fresh(self, *candidates: str) -> str:
        for candidate in candidates:
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate
        base, n = candidates[-1], 2
        while f"{base}_{n}" in self.used:
            n += 1
        self.used.add(f"{base}_{n}")
        return f"{base}_{n}"


def _wrap(head: str, text: str, indent: int, width: int = 99) -> list[str]:
    """`head + text` as lines under `width`, breaking a call's arguments at its commas."""
    line = " " * indent + head + text
    if len(line) <= width or "(" not in text:
        return [line]
    first = text.index("(")
    if _closing(text, first) != len(text) - 1:  # not one call: leave it whole
        return [line]
    open_at = len(" " * indent + head) + first + 1
    parts = _split_args(text[first + 1:-1])
    if not parts:
        return [line]
    lines, current = [], line[:open_at]
    for i, part in enumerate(parts):
        piece = part + ("," if i < len(parts) - 1 else ")")
        if len(current) + len(piece) + 1 > width and current.strip() and \
                not current.endswith("("):
            lines.append(current.rstrip())
            current = " " * open_at + piece
        else:
            current += ("" if current.endswith("(") else " ") + piece
    lines.append(current)
    return lines


def _closing(text: str, start: int) -> int:
    """Where the bracket opened at `start` closes (-1: never)."""
    depth = 0
    for i in range(start, len(text)):
        depth += text[i] in "([{"
        depth -= text[i] in ")]}"
        if depth == 0:
            return i
    return -1


def _split_args(text: str) -> list[str]:
    """Top-level comma-separated parts of an argument list."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += c in "([{"
        depth -= c in ")]}"
        if c == "," and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def render(network: Network) -> str:
    """The source of a module computing `network`; raises SpecError (located at the layer)
    for a layer PyTorch cannot compute as cnncalc does."""
    return render_with_paths(network)[0]


def render_with_paths(network: Network) -> tuple[str, dict[int, str]]:
    """The source, and per node with a module its dotted path in the module
    ('layer1.basic1.conv2': `get_submodule`'s and the state dict's name)."""
    spec = network.spec
    args = _Names(set(_TAKEN))
    inputs = [args.fresh(identifier(i.name)) for i in network.inputs]
    indexed = {node.inputs[1] for node in network.nodes if node.layer.kind == "maxunpool"}

    # Attribute paths: each dotted name's parts made identifiers, unique per parent.
    paths: dict[str, str] = {"": "self"}
    uses_block = uses_f = False
    children: dict[str, _Names] = {}
    init: list[tuple[str, str]] = []  # (target = , constructor)

    def attribute(dotted: str) -> str:
        if dotted in paths:
            return paths[dotted]
        parent = dotted.rpartition(".")[0]
        while parent in layers:  # a layer's own name with a dot in it, not a block's
            parent = parent.rpartition(".")[0]
        last = dotted[len(parent) + 1:] if parent else dotted
        above = attribute(parent) if parent else "self"
        if parent and parent not in containers:
            containers.add(parent)
            nonlocal uses_block
            uses_block = True
            init.append((f"{above} = ", "Block()"))
        names = children.setdefault(above, _Names(set()))
        paths[dotted] = f"{above}.{names.fresh(identifier(last))}"
        return paths[dotted]

    containers: set[str] = set()
    layers = {node.name for node in network.nodes}
    var: dict[Ref, str] = {-1 - k: name for k, name in enumerate(inputs)}
    born: dict[str, int] = {name: k - len(inputs) for k, name in enumerate(inputs)}
    indices: dict[int, str] = {}
    forward: list[str] = []
    # The last reader of each value, and of each max pool's indices: a maxunpool reads its
    # pool's indices, not its values, so the values may die (and their name go) earlier.
    last_use: dict[Ref, int] = {}
    indices_last_use: dict[Ref, int] = {}
    for node in network.nodes:
        unpool = node.layer.kind == "maxunpool"
        for k, ref in enumerate(node.inputs):
            (indices_last_use if unpool and k == 1 else last_use)[ref] = node.index
    for ref in network.outputs:
        last_use[ref] = len(network.nodes)
    modules: dict[int, str] = {}
    for node in network.nodes:
        path = attribute(node.name) if node.name else attribute(f"layer{node.index}")
        try:
            emitted = _emit(node, path, indexed, indices)
        except Refused as why:
            raise SpecError.at(node.location, f"{node.layer.kind} '{node.name}': cannot be "
                                              f"exported to PyTorch: {why}") from None
        if emitted.modules:
            modules[node.index] = path.removeprefix("self.")
            for suffix, ctor in emitted.modules.items():
                target = f"{path}.{suffix}" if suffix else path
                init.append((f"{target} = ", ctor))
                uses_block |= ctor == "Block()"
        elif paths.get(node.name) == path:  # no module: the name is free again
            del paths[node.name]
        expression = emitted.call([var[ref] for ref in node.inputs])
        uses_f |= "F.pad(" in expression
        if node.index not in last_use and node.index not in indexed:  # nothing reads it
            forward.extend(_wrap("", f"{expression}  # nothing reads this value", 8))
            continue
        # Reuse the oldest variable whose value dies here (the main path keeps `x`).
        dying = [var[ref] for ref in dict.fromkeys(node.inputs)
                 if ref >= 0 and last_use.get(ref) == node.index]
        # A name is free again once its value is dead; network inputs keep theirs.
        live = {name for ref, name in var.items() if last_use.get(ref, -1) > node.index}
        live |= {name for ref, name in indices.items() if indices_last_use[ref] > node.index}
        variables = _Names(live | set(_TAKEN) | set(inputs))
        if dying:
            target = min(dying, key=lambda name: born[name])
        else:
            # Named after the innermost block (a branch's name), else the layer.
            parts = node.name.split(".") if node.name else [f"layer{node.index}"]
            names = [identifier(parts[-1]), identifier("_".join(parts))]
            if len(parts) > 1:
                names[:0] = [identifier(parts[-2]), identifier("_".join(parts[-2:]))]
            target = variables.fresh("x", *names) if len(born) == len(inputs) \
                else variables.fresh(*names)
            born.setdefault(target, node.index)
        var[node.index] = target
        if node.index in indexed:
            variables.used.add(target)
            indices[node.index] = variables.fresh(
                identifier(node.name.replace(".", "_")) + "_indices", target + "_indices")
            forward.extend(_wrap(f"{target}, {indices[node.index]} = ", expression, 8))
        else:
            forward.extend(_wrap(f"{target} = ", expression, 8))
    outputs = [var[ref] for ref in network.outputs]

    source = Path(spec.file).name
    shapes = ", ".join(f"{i.name} {list(i.shape)}" for i in network.inputs)
    out_shapes = ", ".join(f"{network.output_name(k)} {list(network.shape(ref))}"
                           for k, ref in enumerate(network.outputs))
    lines = [f"# Generated by cnncalc from {_plain(source)} (spec '{_plain(spec.name)}').",
             "# Change the spec and export again rather than editing this file.",
             f'"""{_plain(spec.name)} as a torch.nn.Module.',
             "",
             f"Input {_plain(shapes)} (batch first, not shown); output {_plain(out_shapes)}.",
             '"""',
             "import torch",
             "from torch import nn"]
    if uses_f:
        lines.append("from torch.nn import functional as F")
    if uses_block:
        lines += ["", "", "class Block(nn.Module):",
                  '    """A block instance of the spec: it holds its layers as submodules;',
                  '    the network\'s forward runs them."""']
    lines += ["", "", f"class {class_name(spec.name)}(nn.Module):",
              f'    """The spec\'s layers as attributes; built from {_plain(source)} by cnncalc."""',
              "", "    def __init__(self) -> None:", "        super().__init__()"]
    for head, ctor in init:
        lines += _wrap(head, ctor, 8)
    signature = ", ".join(f"{name}: torch.Tensor" for name in inputs)
    returns = "torch.Tensor" if len(outputs) == 1 else \
        f"tuple[{', '.join('torch.Tensor' for _ in outputs)}]"
    lines += ["", f"    def forward(self, {signature}) -> {returns}:"]
    lines += forward
    lines.append(f"        return {', '.join(outputs)}")
    return "\n".join(lines) + "\n", modules


def export_pytorch(network: Network, path: str | Path) -> None:
    """Write `network` as a PyTorch module's source to `path` (atomically)."""
    write_atomic(path, render(network).encode())


__all__ = ["class_name", "export_pytorch", "identifier", "render", "render_with_paths"]


def write_pytorch(network: Network, path: str, seed: int = 0, weights: bool = True,
                  batch: int | str = 1) -> str:
    """`cnncalc export --to pytorch`: the module's source to `path`, or the source itself
    for '-' (to standard output); the ONNX options do not apply to source code."""
    if path == "-":
        return render(network)
    export_pytorch(network, path)
    return f"wrote {path}: a torch.nn.Module from {network.spec.file}"
