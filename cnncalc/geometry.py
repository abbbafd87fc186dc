"""Output sizes of sliding windows under each rounding rule, 'same' padding, dilated kernels.

The one place where a rounding rule is written: the calculator, the linter and the executor
all ask here. Sizes are per spatial axis, in pixels.
"""
from __future__ import annotations

from enum import Enum
from functools import cached_property
from typing import Any

from .values import Compared


class Drop(Enum):
    """When a ceil-rounded last window that starts in the trailing padding is dropped."""

    NEVER = "never"          # the plain ceil rule keeps it
    ALWAYS = "always"        # PyTorch's ceil_mode
    IF_PADDED = "if_padded"  # Caffe: only when the layer has padding


class SizeRule(Compared):
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


class Window(Compared):
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

    @cached_property  # asked per kernel tap by the executor: computed once
    def count(self) -> int:
        """How many windows this axis counts (`window_count` under its rule)."""
        return window_count(self.size, self.kernel, self.stride, self.pad_before,
                            self.pad_after, self.dilation, self.rule)

    def count_under(self, rule: SizeRule) -> int:
        return window_count(self.size, self.kernel, self.stride, self.pad_before,
                            self.pad_after, self.dilation, rule)

    @property
    def last_start(self) -> int:
        """Padded position where the last counted window starts."""
        return (self.count - 1) * self.stride

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

    @property
    def span(self) -> int:
        """N + pb + pa - F: what the stride must divide for every rounding rule to agree."""
        return self.size + self.pad_before + self.pad_after - self.extent

    @property
    def reach(self) -> int:
        """Padded length the counted windows read, to the end of the last one (padded
        coordinates). Shorter than pb + N when floor rounding leaves a tail unread, longer
        than pb + N + pa when a ceil-rounded last window hangs past the declared padding."""
        return window_reach(self.count, self.stride, self.kernel, self.dilation)

    def sizes_by_framework(self, pool: bool) -> dict[str, int]:
        """The size this axis gets under each framework's rule for a pool or a conv."""
        if pool:
            return {"ceil": self.count_under(CEIL),
                    "floor (PyTorch, TensorFlow)": self.count_under(FLOOR),
                    "PyTorch ceil_mode": self.count_under(PYTORCH_CEIL),
                    "Caffe": self.count_under(CAFFE_CEIL)}
        return {"ceil": self.count_under(CEIL),
                "floor (PyTorch, TensorFlow, Caffe)": self.count_under(FLOOR)}

    def sizes_by_convention(self) -> dict[str, int]:
        """The size this axis gets under each convention, side by side. Keys: ceil
        (cnncalc's default rule), floor, pytorch conv/pool (floor), pytorch pool ceil_mode,
        caffe conv (floor), caffe pool (ceil, dropping a window in padding), tensorflow
        'valid' (no padding, floor) and 'same' (ceil(N/s))."""
        valid = Window(self.size, self.kernel, self.stride, 0, 0, self.dilation, FLOOR)
        return {
            "ceil": self.count_under(CEIL),
            "floor": self.count_under(FLOOR),
            "pytorch": self.count_under(FLOOR),
            "pytorch ceil_mode": self.count_under(PYTORCH_CEIL),
            "caffe conv": self.count_under(FLOOR),
            "caffe pool": self.count_under(CAFFE_CEIL),
            "tensorflow valid": valid.count,
            "tensorflow same": -(-self.size // self.stride),
        }

    def taps(self, offset: int) -> slice:
        """The padded positions that kernel tap `offset` reads, one per counted window."""
        start = offset * self.dilation
        return slice(start, start + self.last_start + 1, self.stride)

    def tap_inside(self, offset: int) -> tuple[slice, slice]:
        """(which windows, which input pixels) kernel tap `offset` reads inside the input:
        window i reads pixel i s + offset d - pb; both slices have the same length."""
        shift = offset * self.dilation - self.pad_before
        first = min(self.count, max(0, -(shift // self.stride) if shift < 0 else 0))
        last = min(self.count, max(first, (self.size - 1 - shift) // self.stride + 1))
        if last == first:
            return slice(first, last), slice(0, 0)
        start = first * self.stride + shift
        return (slice(first, last),
                slice(start, start + (last - first - 1) * self.stride + 1, self.stride))

    def adjoint(self) -> Window:
        """At stride 1, the windows of the conv that takes this conv's output gradient back
        to its input: over the counted outputs, one window per input pixel (dx[h] = sum_k
        dy[h + pb - k d] W[k], the kernel flipped), padded d(K - 1) - pb before and
        d(K - 1) - pa' after, pa' the trailing padding the windows read (pa unless a rule
        dropped a last window); either may be negative: a crop."""
        assert self.stride == 1, "the adjoint of a strided conv is not a conv"
        read_after = self.reach - self.pad_before - self.size
        before, after = self.extent - 1 - self.pad_before, self.extent - 1 - read_after
        return Window(self.count, self.kernel, 1, before, after, self.dilation, FLOOR)

    # Per-window questions. `index` is an int or a NumPy integer array of window indices:
    # integer arithmetic only (min and max written with abs), so numpy is never imported.

    def reads_input(self, index: Any) -> Any:
        """Whether window `index` has a tap inside the input: tap t sits at padded position
        i s + t d, and the input spans [pb, pb + N)."""
        start = index * self.stride
        first = _larger(-(-(self.pad_before - start) // self.dilation), 0)  # first tap >= pb
        return (first < self.kernel) & (start + first * self.dilation
                                        < self.pad_before + self.size)

    def inside(self, index: Any, with_padding: bool) -> Any:
        """How many pixels of window `index` (its extent) lie inside the input, or inside the
        input and its declared padding; at least 1: a window wholly past them, which the
        ceil rule can keep, averages its empty sum, 0, over 1 (Caffe would divide by zero or
        a negative size). Average pooling's divisor per axis."""
        start = index * self.stride
        end = start + self.extent
        if with_padding:  # Caffe's pool_size: clipped to the padded input
            return _larger(_smaller(end, self.pad_before + self.size + self.pad_after)
                           - start, 1)
        return _larger(_smaller(end, self.pad_before + self.size)
                       - _larger(start, self.pad_before), 1)


def _larger(a: Any, b: Any) -> Any:
    """max for ints and NumPy integer arrays alike."""
    return (a + b + abs(a - b)) // 2


def _smaller(a: Any, b: Any) -> Any:
    """min for ints and NumPy integer arrays alike."""
    return (a + b - abs(a - b)) // 2


def window_reach(count: int, stride: int, kernel: int, dilation: int = 1) -> int:
    """Padded length `count` windows read, to the end of the last: (n - 1)s + d(K - 1) + 1."""
    return (count - 1) * stride + effective_kernel(kernel, dilation)


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
    reach = window_reach(count, stride, kernel, dilation)  # padded coordinates
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
    """The output size one axis (padding p on each side) gets under each convention, for
    side-by-side comparison: `Window.sizes_by_convention`."""
    return Window(size, kernel, stride, padding, padding, dilation, CEIL).sizes_by_convention()


# Padding that reads real pixels: PyTorch's padding_mode (conv) and its padding layers.
PAD_MODES = ("zeros", "reflect", "replicate", "circular")


def pad_source(index: Any, size: int, before: int, mode: str) -> Any:
    """The input pixel that padded position `index` reads along one axis of `size` pixels
    padded by `before` in front, under a padding mode other than 'zeros': reflect (mirror
    about the edge pixel, which is not repeated: ...2 1 | 0 1 2 ... N-1 | N-2 ...),
    replicate (the edge pixel repeated) or circular (wrapped around). Integer arithmetic
    only, so `index` may be an int or a NumPy integer array; valid where `pad_refusal` finds
    nothing wrong (reflect reflects once)."""
    j = index - before
    if mode == "reflect":
        return (size - 1) - abs((size - 1) - abs(j))
    if mode == "replicate":
        return _smaller(_larger(j, 0), size - 1)
    assert mode == "circular", mode
    return j % size


def pad_refusal(size: int, before: int, after: int, mode: str) -> str | None:
    """Why PyTorch refuses this padding of one axis of `size` pixels (F.pad), or None:
    reflect needs each side's padding below the size (it reflects once, about the edge
    pixel); circular needs it at most the size (it wraps around once)."""
    if mode == "reflect" and max(before, after) >= size:
        return (f"reflect padding ({before}, {after}) must be smaller than the input size "
                f"({size}) on each side")
    if mode == "circular" and max(before, after) > size:
        return (f"circular padding ({before}, {after}) must be at most the input size "
                f"({size}) on each side (it would wrap around more than once)")
    return None


def fractional_alpha(size: int, out: int, kernel: int, real: Any = float) -> Any:
    """The mean step of fractional max pooling's windows, (N - K)/(o - 1), computed in the
    precision `real` (PyTorch's scalar_t: float or a NumPy float type); o > 1."""
    return real(size - kernel) / real(out - 1)


def fractional_start(index: Any, sample: Any, alpha: Any) -> Any:
    """Where window `index` (< o - 1) of fractional max pooling starts, for the random
    sample u in [0, 1): trunc((index + u) alpha) - trunc(u alpha) (ATen's
    generate_intervals), in the precision of `index`, `sample` and `alpha` (floats or NumPy
    arrays of one float type); as a float, for the caller to make an integer. The last
    window starts at N - K. Mathematically the start is floor(index alpha) or one more."""
    return ((index + sample) * alpha) // 1 - (sample * alpha) // 1


def fractional_first(index: Any, size: int, out: int, kernel: int) -> Any:
    """The first pixel window `index` of fractional max pooling can start at, whatever the
    random sample: floor(index (N - K)/(o - 1)) (the start is that or one more; o > 1)."""
    return index * (size - kernel) // (out - 1)
