"""The per-window questions `geometry.Window` answers for the executor and lint, against
brute force over every pixel and tap; an int index and a NumPy index array agree."""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from cnncalc.geometry import CAFFE_CEIL, CEIL, FLOOR, PYTORCH_CEIL, Window


@st.composite
def windows(draw: st.DrawFn) -> Window:
    kernel, dilation = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    extent = dilation * (kernel - 1) + 1
    window = Window(draw(st.integers(1, 9)), kernel, draw(st.integers(1, 4)),
                    draw(st.integers(0, 3)), draw(st.integers(0, 3)), dilation,
                    draw(st.sampled_from((CEIL, FLOOR, PYTORCH_CEIL, CAFFE_CEIL))))
    if window.count < 1:
        window = Window(window.size, kernel, 1, extent, extent, dilation, window.rule)
    return window


@given(windows())
def test_reads_input_is_whether_some_tap_lands_in_the_input(w: Window) -> None:
    for i in range(w.count):
        want = any(w.pad_before <= i * w.stride + t * w.dilation < w.pad_before + w.size
                   for t in range(w.kernel))
        assert bool(w.reads_input(i)) == want
    assert list(w.reads_input(np.arange(w.count))) == [w.reads_input(i)
                                                        for i in range(w.count)]


@given(windows(), st.booleans())
def test_inside_counts_the_window_pixels_in_the_input_or_its_padding(w: Window,
                                                                     with_padding: bool):
    low, high = (0, w.pad_before + w.size + w.pad_after) if with_padding else \
        (w.pad_before, w.pad_before + w.size)
    for i in range(w.count):
        pixels = range(i * w.stride, i * w.stride + w.extent)
        assert w.inside(i, with_padding) == max(1, sum(low <= p < high for p in pixels))
    assert list(w.inside(np.arange(w.count), with_padding)) == [
        w.inside(i, with_padding) for i in range(w.count)]


@given(windows())
def test_reach_last_start_and_span(w: Window) -> None:
    starts = [i * w.stride for i in range(w.count)]
    assert w.last_start == starts[-1]
    assert w.reach == starts[-1] + w.extent  # the last window's end
    assert w.span == w.size + w.pad_before + w.pad_after - w.dilation * (w.kernel - 1) - 1


@given(windows())
def test_the_adjoint_of_a_stride_1_window_has_one_window_per_input_pixel(w: Window) -> None:
    w = Window(w.size, w.kernel, 1, w.pad_before, w.pad_after, w.dilation, w.rule)
    adjoint = w.adjoint()
    assert (adjoint.size, adjoint.count, adjoint.stride) == (w.count, w.size, 1)
    # tap t of adjoint window h reads dy[h + pb - (K - 1 - t) d]: the flipped kernel
    for h in range(w.size):
        for t in range(w.kernel):
            o = h - adjoint.pad_before + t * w.dilation
            assert o == h + w.pad_before - (w.kernel - 1 - t) * w.dilation


@given(windows())
def test_tap_inside_names_the_windows_and_pixels_a_tap_reads_in_the_input(w: Window) -> None:
    for t in range(w.kernel):
        want = [(i, i * w.stride + t * w.dilation - w.pad_before) for i in range(w.count)]
        want = [(i, p) for i, p in want if 0 <= p < w.size]
        inside, read = w.tap_inside(t)
        assert list(zip(range(w.count)[inside], range(w.size)[read])) == want
        assert len(range(w.count)[inside]) == len(range(w.size)[read])
