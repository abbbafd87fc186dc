"""Shape operations: flatten, reshape, permute, pixel shuffle, padding, cropping (a
spatial Slice) and resizing (upsample)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..attributes import (
    all_known,
    as_text,
    from_front,
    has_input,
    padding_form,
    per_axis,
    short_number,
)

if TYPE_CHECKING:
    from ..walk import Importer


def flatten(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    if int(attrs.get("axis", 1)) != 1:
        raise imp.problem(index, node, "only axis=1 (keeping the batch) has a cnncalc kind")
    imp.emit(index, node, "flatten", {}, [node.input[0]])


def reshape(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    before = imp.shapes.get(node.input[0])
    after = imp.shapes.get(node.output[0])
    target = [int(v) for v in imp.values(node.input[1], index, node) or []]
    kept = all_known(before[1:]) if before else None
    rest = all_known(after[1:]) if after else None
    if kept is not None and rest is not None:
        if math.prod(rest) != math.prod(kept):
            raise imp.problem(index, node, "the reshape moves values across the batch")
        if len(rest) == 1:
            imp.emit(index, node, "flatten", {}, [node.input[0]])
        else:
            imp.emit(index, node, "reshape", {"shape": rest}, [node.input[0]])
        return
    if len(target) == 2 and target[1] == -1 and target[0] in (0, 1, -1):
        imp.emit(index, node, "flatten", {}, [node.input[0]])
        return
    raise imp.problem(index, node, "the reshape's shapes are unknown")


def pad(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    mode = as_text(attrs.get("mode", b"constant"))
    pads = attrs.get("pads")
    if has_input(node, 1):
        pads = imp.values(node.input[1], index, node)
    rank = imp.rank(node.input[0])
    if pads is None or rank is None:
        raise imp.problem(index, node, "the pads or the rank are unknown")
    pads = [int(p) for p in pads]
    if has_input(node, 3):
        axes = [from_front(a, rank) for a in imp.values(node.input[3], index, node) or []]
        full = [0] * 2 * rank
        for i, a in enumerate(axes):
            full[a], full[a + rank] = pads[i], pads[i + len(axes)]
        pads = full
    if len(pads) != 2 * rank or any(pads[i] or pads[i + rank] for i in (0, 1)):
        raise imp.problem(index, node, "padding the batch or channel axis has no cnncalc kind")
    if mode == "constant" and attrs.get("value", 0.0) != 0:
        raise imp.problem(index, node, f"padding with {attrs['value']} (not 0) has no "
                          "cnncalc kind")
    if mode == "constant" and has_input(node, 2):
        value = imp.values(node.input[2], index, node)
        if value and value[0] != 0:
            raise imp.problem(index, node, f"padding with {value[0]} (not 0) has no cnncalc kind")
    if any(p < 0 for p in pads):
        raise imp.problem(index, node, "negative pads (cropping) are not read")
    kinds = {"constant": "zeropad", "reflect": "reflection_pad",
             "edge": "replication_pad", "wrap": "circular_pad"}
    if mode not in kinds:
        raise imp.problem(index, node, f"pad mode '{mode}' has no cnncalc kind")
    pairs = [[pads[i], pads[i + rank]] for i in range(2, rank)]
    imp.emit(index, node, kinds[mode], {"padding": padding_form(pairs)}, [node.input[0]])


def resize(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    rank = imp.rank(node.input[0])
    mode = as_text(attrs.get("mode", b"nearest"))
    transform = as_text(attrs.get("coordinate_transformation_mode", b"half_pixel"))
    scales = imp.values(node.input[2], index, node) if len(node.input) > 2 else None
    sizes = imp.values(node.input[3], index, node) if len(node.input) > 3 else None
    if rank is None or rank < 3:
        raise imp.problem(index, node, "the input's rank is unknown")
    args: dict[str, Any] = {}
    if scales:
        if scales[0] != 1 or scales[1] != 1:
            raise imp.problem(index, node, "resizing the batch or channels has no cnncalc kind")
        args["scale"] = per_axis([short_number(s) for s in scales[2:]])
    elif sizes:
        args["size"] = per_axis([int(s) for s in sizes[2:]])
    else:
        raise imp.problem(index, node, "neither scales nor sizes given")
    spatial = rank - 2
    if mode == "nearest":
        nearest = as_text(attrs.get("nearest_mode", b"round_prefer_floor"))
        if transform == "asymmetric" and nearest == "floor":
            pass  # PyTorch's 'nearest'
        elif transform in ("half_pixel", "pytorch_half_pixel"):
            args["mode"] = "nearest-exact"
        else:
            raise imp.problem(index, node, f"nearest resize with {transform}/{nearest} has no "
                              "cnncalc mode")
    elif mode in ("linear", "cubic"):
        args["mode"] = "bicubic" if mode == "cubic" else \
            ("linear", "bilinear", "trilinear")[spatial - 1]
        if transform == "align_corners":
            args["align_corners"] = True
        elif transform not in ("half_pixel", "pytorch_half_pixel"):
            raise imp.problem(index, node, f"coordinate transformation '{transform}' has no "
                              "cnncalc mode")
    else:
        raise imp.problem(index, node, f"resize mode '{mode}' has no cnncalc kind")
    imp.emit(index, node, "upsample", args, [node.input[0]])


def transpose(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    perm = [int(p) for p in attrs.get("perm", [])]
    if not perm or perm[0] != 0:
        raise imp.problem(index, node, "a transpose that moves the batch axis has no cnncalc kind")
    imp.emit(index, node, "permute", {"dims": [p - 1 for p in perm[1:]]},
              [node.input[0]])


def depth_to_space(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    if as_text(attrs.get("mode", b"DCR")) != "CRD":
        raise imp.problem(index, node, "only mode CRD (PyTorch's PixelShuffle) has a cnncalc kind")
    imp.emit(index, node, "pixel_shuffle", {"factor": int(attrs["blocksize"])},
              [node.input[0]])


def crop(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    """A slice of the spatial axes with step 1: cropping."""
    shape = imp.shapes.get(node.input[0])
    if shape is None or None in shape[1:]:
        raise imp.problem(index, node, "the input's sizes are unknown")
    rank = len(shape)
    if len(node.input) > 1:  # opset 10+: inputs; before: attributes
        starts = imp.values(node.input[1], index, node) or []
        ends = imp.values(node.input[2], index, node) or []
        axes = imp.values(node.input[3], index, node) if len(node.input) > 3 else None
        steps = imp.values(node.input[4], index, node) if len(node.input) > 4 else None
    else:
        starts, ends = attrs.get("starts", []), attrs.get("ends", [])
        axes, steps = attrs.get("axes"), None
    sliced = [from_front(a, rank) for a in (axes if axes is not None else range(len(starts)))]
    if steps and any(step != 1 for step in steps):
        raise imp.problem(index, node, "a slice with a step has no cnncalc kind")
    crops = [[0, 0] for _ in range(rank - 2)]
    for axis, start, end in zip(sliced, starts, ends):
        if not 0 <= axis < rank:
            raise imp.problem(index, node, f"a slice of axis {axis} of a rank-{rank} input")
        if axis == 0:  # the batch, whose size may be symbolic: only 'all of it' is kept
            if int(start) == 0 and int(end) >= 2**31 - 1:
                continue
            raise imp.problem(index, node, "a slice of the batch has no cnncalc kind")
        size = int(shape[axis] or 0)  # known: checked above for every axis but the batch
        first = max(0, min(size, from_front(start, size)))
        last = max(0, min(size, from_front(end, size)))
        if (first, last) == (0, size):
            continue
        if axis < 2 or last <= first:
            raise imp.problem(index, node, "a slice of the batch or channels, or an empty one, "
                              "has no cnncalc kind")
        crops[axis - 2] = [first, size - last]
    imp.emit(index, node, "cropping", {"cropping": padding_form(crops)}, [node.input[0]])


def squeeze(imp: Importer, index: int, node: Any, attrs: dict[str, Any]) -> None:
    """[N, C, 1, 1] -> [N, C]: a flatten."""
    before = imp.shapes.get(node.input[0])
    after = imp.shapes.get(node.output[0])
    kept = all_known(before[1:]) if before else None
    if kept is None or not after or len(after) != 2 or math.prod(kept) != after[1]:
        raise imp.problem(index, node, "only a squeeze to [batch, C] (a flatten) has a cnncalc "
                          "kind")
    imp.emit(index, node, "flatten", {}, [node.input[0]])
