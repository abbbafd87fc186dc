"""The elementwise activations, one row each in tests/activation_table.py: every registered
activation that carries its own math has a row, every row has a PyTorch recording made from
that row (which test_executor_reference.py compares outputs and gradients against, and
test_executor.py gradient-checks), and the math is right where it is hard (GELU's erf, the
in-place path)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from activation_table import ACTIVATIONS, kind

from cnncalc.build import build
from cnncalc.executor import ops
from cnncalc.layers import LAYERS, Layer
from cnncalc.layers.activation import normal_cdf
from cnncalc.spec import parse

DATA = np.load(Path(__file__).parent / "reference" / "executor_reference.npz")
CASES = {c["name"]: c for c in json.loads(str(DATA["__cases__"]))}


def test_every_activation_with_its_own_math_has_a_row_and_every_row_is_one() -> None:
    elementwise = {cls.kind for cls in LAYERS.values() if getattr(cls, "elementwise", False)}
    rows = [kind(entry) for entry, *_ in ACTIVATIONS]
    assert len(rows) == len(set(rows)), "a kind has two rows"
    assert elementwise == set(rows), (f"no row for {sorted(elementwise - set(rows))}; "
                                      f"not an elementwise activation: "
                                      f"{sorted(set(rows) - elementwise)}")


IDS = [kind(entry) for entry, *_ in ACTIVATIONS]


@pytest.mark.parametrize("entry, module, traits", ACTIVATIONS, ids=IDS)
def test_the_row_has_a_pytorch_recording_of_itself(entry: str, module: str,
                                                   traits: set[str]) -> None:
    case = CASES.get(f"act_{kind(entry)}")
    assert case is not None, "not recorded: run tests/reference/make_executor_reference.py"
    # a row changed since the recording would be compared with the wrong PyTorch module
    assert case.get("torch") == module and case["spec"].endswith(f"  - {entry}\n")
    layer = build(parse(case["spec"], case["name"])).nodes[-1].layer
    assert ops.op_class(layer) is ops.ActivationOp


@pytest.mark.parametrize("entry, module, traits", ACTIVATIONS, ids=IDS)
def test_the_class_declares_the_rows_traits(entry: str, module: str,
                                            traits: set[str]) -> None:
    cls = LAYERS[kind(entry)]
    names = [name for name, value in vars(Layer).items() if isinstance(value, bool)]
    assert {name for name in names if getattr(cls, name)} == traits


@pytest.mark.parametrize("entry", [entry for entry, *_ in ACTIVATIONS], ids=IDS)
def test_in_place_and_float32_give_the_out_of_place_float64_result(entry: str) -> None:
    """The runner may let an activation write over its input (`inplace`); in float32 the
    result is float64's rounded, and backward's dtype is dy's."""
    case = CASES[f"act_{kind(entry)}"]
    x64 = DATA[f"{case['name']}/input0"]
    g64 = DATA[f"{case['name']}/g"]
    layer = build(parse(case["spec"], case["name"])).nodes[-1].layer
    want = ops.op_for(layer)
    y64, dx64 = want.forward(x64.copy()), want.backward(g64.copy())
    op = ops.op_for(layer)
    x32 = x64.astype(np.float32)
    y32 = op.forward(x32, inplace=True)
    dx32 = op.backward(g64.astype(np.float32), inplace=True)
    assert y32.dtype == dx32.dtype == np.float32
    assert np.allclose(y32, y64, rtol=1e-5, atol=1e-5 * np.abs(y64).max())
    assert np.allclose(dx32, dx64, rtol=1e-5, atol=1e-5 * np.abs(dx64).max())
    assert (y32 is x32) == op.keeps_output  # only an output-reading one overwrites x


def test_normal_cdf_is_accurate_across_the_line() -> None:
    xs = np.concatenate([np.linspace(-30, 30, 6001), [-8.5, -4.25, 4.25]])
    want = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in xs])
    got = normal_cdf(np, xs)
    inside = want > 1e-300
    # exp(-z^2) of a large z loses ~z^2 ulps
    assert np.max(np.abs(got[inside] - want[inside]) / want[inside]) < 1e-10
