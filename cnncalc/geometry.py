"""Output sizes of sliding windows under each rounding rule, 'same' padding, dilated kernels.

The one place where a rounding rule is written: the calculator, the linter and the executor
all ask here. Sizes are per spatial axis, in pixels.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class Drop(Enum):
    """When a ceil-rounded last window that starts in the trailing padding is dropped."""

    NEVER = "never"          # the plain ceil rule keeps it
    ALWAYS = "always"        # PyTorch's ceil_mode
    IF_PADDED = "if_padded"  # Caffe: only when the layer has padding


@dataclass(frozen=True)
class SizeRule:
    """How a window layer rounds its output size: n = round((N + pb + pa - F)/s) + 1."""

    ceil: bool
    drop: Drop = Drop.NEVER
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or ("ceil" if self.ceil else "floor")


CEIL = SizeRule(True, Drop.NEVER, "ceil")
FLOOR = SizeRule(False, Drop.NEVER, "floor")
PYTORCH_CEIL = SizeRule(True, Drop.ALWAYS, "pytorch-ceil")
CAFFE_CEIL = SizeRule(True, Drop.IF_PADDED, "caffe-ceil")

FRAMEWORKS = ("pytorch", "tensorflow", "keras", "caffe")
ROUNDINGS = ("ceil", "floor")


def rule_for(family: str, framework: str | None, rounding: str | None,
             ceil_mode: bool = False) -> SizeRule:
    """The size rule of a layer of `family` ('conv' or 'pool').

    `rounding` is the layer's (or else the spec's) explicit choice; `ceil_mode` is PyTorch's
    pooling flag, the same as asking for 'ceil' on a pooling layer.
    """
    wants_ceil = rounding == "ceil" or (family == "pool" and ceil_mode)
    if framework is None:
        return FLOOR if rounding == "floor" else CEIL
    if rounding == "floor":
        return FLOOR
    if family == "pool":
        if framework == "caffe":
            return CAFFE_CEIL
        return PYTORCH_CEIL if wants_ceil else FLOOR
    return CEIL if wants_ceil else FLOOR


@dataclass(frozen=True)
class Window:
    """One axis of a sliding-window layer: input size, kernel, stride, padding, dilation,
    and the size rule that counts its windows."""

    size: int
    kernel: int
    stride: int
    pad_before: int
    pad_after: int
    dilation: int
    rule: SizeRule

    @property
    def extent(self) -> int:
        return effective_kernel(self.kernel, self.dilation)

    @property
    def count(self) -> int:
        return window_count(self.size, self.kernel, self.stride, self.pad_before,
                            self.pad_after, self.dilation, self.rule)

    def count_under(self, rule: SizeRule) -> int:
        return window_count(self.size, self.kernel, self.stride, self.pad_before,
                            self.pad_after, self.dilation, rule)

    @property
    def last_in_padding(self) -> bool:
        """The last counted window starts in the trailing padding (or beyond the input)."""
        return last_window_in_padding(self.size, self.kernel, self.stride, self.pad_before,
                                      self.pad_after, self.dilation, self.rule)

    @property
    def unread(self) -> int:
        """Trailing input pixels no window reaches."""
        return pixels_unread(self.size, self.kernel, self.stride, self.pad_before,
                             self.pad_after, self.dilation, self.rule)


def effective_kernel(kernel: int, dilation: int = 1) -> int:
    """The extent a dilated kernel covers: d(K - 1) + 1."""
    return dilation * (kernel - 1) + 1


def window_count(size: int, kernel: int, stride: int, pad_before: int, pad_after: int,
                 dilation: int, rule: SizeRule) -> int:
    """How many windows fit along one axis; 0 when not even one does.

    ceil rule: ceil((N + pb + pa - F)/s + 1); floor rule: floor(...). A dropping rule then
    removes a last window that would start at or beyond the input's end plus `pad_before`
    (it would read padding only), as PyTorch and Caffe do.

    The span N + pb + pa - F may be negative: a kernel wider than the padded input. Floor
    then counts no window, but ceil counts one while -s < span < 0 (PyTorch:
    `AvgPool1d(4, ceil_mode=True)` on length 3 gives 1; the ceil rule on N 2, F 3, s 2
    gives ceil(0.5) = 1). The rounding is of the exact quotient, as PyTorch's div_rtn does.
    """
    span = size + pad_before + pad_after - effective_kernel(kernel, dilation)
    count = (-(-span // stride) if rule.ceil else span // stride) + 1
    if count < 1:
        return 0
    drops = rule.drop is Drop.ALWAYS or (
        rule.drop is Drop.IF_PADDED and (pad_before or pad_after))
    if rule.ceil and drops and (count - 1) * stride >= size + pad_before:
        count -= 1
    return count


def last_window_in_padding(size: int, kernel: int, stride: int, pad_before: int,
                           pad_after: int, dilation: int, rule: SizeRule) -> bool:
    """True when the last window this rule counts starts in the trailing padding or beyond."""
    count = window_count(size, kernel, stride, pad_before, pad_after, dilation, rule)
    return count > 0 and (count - 1) * stride >= size + pad_before


def pixels_unread(size: int, kernel: int, stride: int, pad_before: int, pad_after: int,
                  dilation: int, rule: SizeRule) -> int:
    """Input pixels at the trailing edge that no window reaches (floor rounding drops them)."""
    count = window_count(size, kernel, stride, pad_before, pad_after, dilation, rule)
    if count == 0:
        return 0
    reach = (count - 1) * stride + effective_kernel(kernel, dilation)  # padded coordinates
    return max(0, size + pad_before - reach)


def transposed_size(size: int, kernel: int, stride: int, pad_before: int, pad_after: int,
                    dilation: int, output_padding: int) -> int:
    """Output size of a transposed convolution: (N - 1)s - pb - pa + d(K - 1) + op + 1."""
    return ((size - 1) * stride - pad_before - pad_after
            + effective_kernel(kernel, dilation) + output_padding)


def adaptive_window(index: Any, size: int, out: int) -> tuple[Any, Any]:
    """PyTorch's adaptive pooling: window `index` of `out` over `size` pixels spans
    [floor(index N / o), ceil((index + 1) N / o)). Integer arithmetic only, so `index` may
    be an int or a NumPy integer array."""
    return index * size // out, -(-(index + 1) * size // out)


def same_padding(size: int, kernel: int, stride: int = 1, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding that gives ceil(N/s) outputs, TensorFlow's 'same'.

    At stride 1 with an odd effective kernel this is the symmetric p = (F - 1)/2;
    otherwise the extra pixel goes after (bottom/right).
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + effective_kernel(kernel, dilation) - size, 0)
    return total // 2, total - total // 2


def convention_sizes(size: int, kernel: int, stride: int, padding: int,
                     dilation: int = 1) -> dict[str, int]:
    """The output size one axis gets under each convention, for side-by-side comparison.

    Keys: ceil (cnncalc's default rule), floor, pytorch conv/pool (floor), pytorch pool ceil_mode,
    caffe conv (floor), caffe pool (ceil, dropping a window in padding), tensorflow 'valid'
    (no padding, floor) and 'same' (ceil(N/s)).
    """
    args = (size, kernel, stride, padding, padding, dilation)
    return {
        "ceil": window_count(*args, CEIL),
        "floor": window_count(*args, FLOOR),
        "pytorch": window_count(*args, FLOOR),
        "pytorch ceil_mode": window_count(*args, PYTORCH_CEIL),
        "caffe conv": window_count(*args, FLOOR),
        "caffe pool": window_count(*args, CAFFE_CEIL),
        "tensorflow valid": window_count(size, kernel, stride, 0, 0, dilation, FLOOR),
        "tensorflow same": -(-size // stride),
    }
