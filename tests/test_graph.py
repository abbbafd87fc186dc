"""Networks as graphs: `from:`, merge entries, `outputs:`, named inputs, a conditional
residual; the nested forms are sugar for the same graph. Figures are worked by hand in
the comments (params per conv: K*K*C*F + F)."""
from __future__ import annotations

import numpy as np
import pytest

from cnncalc import SpecError, analyze_text, build, parse
from cnncalc.executor import run
from cnncalc.executor.ops import op_for
from cnncalc.executor.runner import _backward, _Clock, _forward, _Unit

TWO_INPUTS = """\
name: fused
input: {image: [3, 8, 8], mask: [1, 8, 8]}
outputs: [head, aux]
layers:
  - conv: {filters: 4, kernel: 3, padding: 1}   # 3*9*4 + 4 = 112; 3*9*4*64 = 6,912 MACs
    name: stem
  - conv: {filters: 2, kernel: 3, padding: 1}   # 1*9*2 + 2 = 20; 9*2*64 = 1,152 MACs
    name: mstem
    from: mask
  - concat: {from: [stem, mstem]}              # [6, 8, 8]
    name: fuse
  - conv: {filters: 6, kernel: 3, padding: 1}   # 6*9*6 + 6 = 330; 6*9*6*64 = 20,736 MACs
    name: body
  - add: {from: fuse}                          # body + fuse
  - global_avgpool: {}
  - flatten: {}
  - dense: {units: 3}                          # 6*3 + 3 = 21; 18 MACs
    name: head
  - global_avgpool: {}
    from: mstem
  - flatten: {}
  - dense: {units: 2}                          # 2*2 + 2 = 6; 4 MACs
    name: aux
"""


def test_two_inputs_side_output_and_named_skip_are_counted_by_hand():
    analysis = analyze_text(TWO_INPUTS, "fused.yaml")
    network = analysis.network
    assert [i.name for i in network.inputs] == ["image", "mask"]
    assert analysis.totals.params == 112 + 20 + 330 + 21 + 6
    assert analysis.totals.macs == 6912 + 1152 + 20736 + 18 + 4
    head, aux = analysis.outputs
    assert (head.name, head.shape, head.params, head.macs) == (
        "head", (3,), 112 + 20 + 330 + 21, 6912 + 1152 + 20736 + 18)
    assert (aux.name, aux.shape, aux.params, aux.macs) == ("aux", (2,), 20 + 6, 1152 + 4)
    # the main output's field is the add's: the 3x3 body over the 3x3 stems = 5; aux: 3
    assert [f.size for f in head.rf] == [5, 5] and head.rf_layer == "add1"
    assert [f.size for f in aux.rf] == [3, 3] and aux.rf_layer == "mstem"
    assert analysis.totals.rf == head.rf and analysis.output_shape == (3,)
    by_name = {node.name: node for node in network.nodes}
    assert by_name["mstem"].inputs == (-2,)
    assert [network.name(r) for r in by_name["add1"].inputs] == ["body", "fuse"]


RESIDUAL_SUGAR = """\
input: [8, 16, 16]
layers:
  - conv: {filters: 8, kernel: 3, padding: 1}
    name: c0
  - residual:
      main:
        - conv: {filters: 16, kernel: 3, stride: 2, padding: 1}
        - relu
        - conv: {filters: 16, kernel: 3, padding: 1}
      shortcut:
        - conv: {filters: 16, kernel: 1, stride: 2}
  - relu
"""

RESIDUAL_BY_NAME = """\
input: [8, 16, 16]
layers:
  - conv: {filters: 8, kernel: 3, padding: 1}
    name: c0
  - conv: {filters: 16, kernel: 3, stride: 2, padding: 1}
  - relu
  - conv: {filters: 16, kernel: 3, padding: 1}
    name: main_end
  - conv: {filters: 16, kernel: 1, stride: 2}
    from: c0
    name: short
  - add: {from: [main_end, short]}
  - relu
"""

BRANCHES_SUGAR = """\
input: [4, 9, 9]
layers:
  - branches:
      - [{conv: {filters: 3, kernel: 1}}]
      - [{conv: {filters: 5, kernel: 3, padding: 1}}, relu]
      - []
    merge: concat
  - conv: {filters: 2, kernel: 3}
"""

BRANCHES_BY_NAME = """\
input: [4, 9, 9]
layers:
  - conv: {filters: 3, kernel: 1}
    name: a
  - conv: {filters: 5, kernel: 3, padding: 1}
    from: input
  - relu
    # the input itself is the third branch
  - concat: {from: [a, relu1, input]}
  - conv: {filters: 2, kernel: 3}
"""


def _figures(text: str) -> tuple:
    analysis = analyze_text(text, "net.yaml")
    rows = analysis.rows
    fields = [tuple((f.size, f.jump, f.start) for f in r.field) for r in rows]
    return (sorted((r.kind, r.output_shape, r.weights, r.macs, r.ops) for r in rows),
            sorted(fields), analysis.output_shape, analysis.totals.params,
            analysis.totals.macs, analysis.totals.ops, analysis.totals.activations,
            [(f.size, f.jump, f.start) for f in analysis.totals.rf],
            len(analysis.misalignments))


@pytest.mark.parametrize("sugar, by_name", [(RESIDUAL_SUGAR, RESIDUAL_BY_NAME),
                                            (BRANCHES_SUGAR, BRANCHES_BY_NAME)])
def test_nested_forms_are_sugar_for_the_same_graph(sugar, by_name):
    assert _figures(sugar) == _figures(by_name)


CONDITIONAL = """\
input: [16, 8, 8]
blocks:
  inverted:
    params: {out: null, stride: 1, act: relu}
    layers:
      - residual:
          when: ${stride == 1 and in_channels == out}
          main:
            - conv: {filters: "${in_channels * 4}", kernel: 1}
            - relu: {}
              when: ${act == 'relu'}
            - hardswish: {}
              when: ${act != "relu"}
            - conv: {filters: $out, kernel: 3, stride: $stride, padding: 1}
layers:
  - inverted: {out: 16}
  - inverted: {out: 24, stride: 2, act: hs}
  - inverted: {out: 24}
"""


def test_a_residual_shortcut_exists_only_under_its_condition():
    network = build(parse(CONDITIONAL, "ir.yaml"))
    kinds = [(n.name, n.layer.kind) for n in network.nodes]
    assert ("inverted1.residual1", "add") in kinds and ("inverted3.residual1", "add") in kinds
    assert not any(name.startswith("inverted2.residual") for name, _ in kinds)
    # string comparison picks the activation
    assert ("inverted1.relu1", "relu") in kinds
    assert ("inverted2.hardswish1", "hardswish") in kinds
    add = next(n for n in network.nodes if n.name == "inverted3.residual1")
    assert [network.name(r) for r in add.inputs] == ["inverted3.conv2", "inverted2.conv2"]


def test_a_name_is_looked_up_in_its_block_first_and_a_block_name_means_its_output():
    text = """\
input: [4, 8, 8]
blocks:
  unit:
    params: {f: null}
    layers:
      - conv: {filters: $f, kernel: 1}
        name: x
      - relu
      - add: {from: x}
layers:
  - conv: {filters: 4, kernel: 1}
    name: x
  - unit: {f: 4}
    name: u1
  - unit: {f: 4}
    name: u2
  - concat: {from: [u1, u2, x]}
"""
    network = build(parse(text, "net.yaml"))
    names = {n.name: n for n in network.nodes}
    assert [network.name(r) for r in names["u2.add1"].inputs] == ["u2.relu1", "u2.x"]
    assert [network.name(r) for r in names["concat1"].inputs] == ["u1.add1", "u2.add1", "x"]
    assert network.output_shape == (12, 8, 8)


def test_expectations_may_name_an_output(write_spec):
    text = TWO_INPUTS.replace("outputs: [head, aux]\n", """outputs: [head, aux]
expect:
  params: 489
  outputs:
    aux: {shape: [2], params: 26, macs: 1156, rf: 3}
    head: {params: 400}
""")
    analysis = analyze_text(text, "net.yaml")
    assert [m.message for m in analysis.mismatches] == [
        "output 'head': expected params 400, calculated 483"]


BAD = [
    ("  - conv: {filters: 4, kernel: 1}\n    from: nowhere\n", ":6:11:",
     "no layer or input named 'nowhere' before this entry"),
    ("  - conv: {filters: 4, kernel: 1}\n    from: stm\n", ":6:11:",
     "did you mean 'stem'?"),
    ("  - conv: {filters: 4, kernel: 1}\n    from: [stem, image]\n", ":6:11:",
     "'from' names 2 layers, but conv reads one input; merge them first"),
    ("  - add\n", ":5:5:", "add 'add1': needs 'from', the layers it merges"),
    ("  - concat: {from: [stem, stem], axis: -1}\n", ":5:40:", "'axis' must be an integer"),
    ("  - concat: {from: [stem, stem], axis: 3}\n", ":5:5:", "axis 3 is past the last axis"),
    ("  - add: {from: [stem, stem], axis: 1}\n", ":5:37:", "'axis' must be an integer"),
    ("  - add: {from: [stem, image], mode: sum}\n", ":5:32:",
     "add 'add1': unknown argument 'mode'; expected from"),
    ("  - add: {from: [stem, image]}\n", ":5:5:", "channel mismatch at add"),
    ("  - conv: {filters: 4, kernel: 1}\n    from: later\n  - relu: {}\n    name: later\n",
     ":6:11:", "no layer or input named 'later' before this entry"),
    ("  - conv: {filters: 4, kernel: 1}\n    from: 3\n", ":6:11:",
     "'from' must be a layer name or a list of layer names; found 3"),
]


@pytest.mark.parametrize("tail, where, message", BAD)
def test_graph_mistakes_are_one_located_line(tail, where, message):
    text = ("input: {image: [3, 8, 8]}\nlayers:\n  - conv: {filters: 4, kernel: 1}\n"
            "    name: stem\n" + tail)
    with pytest.raises(SpecError) as error:
        build(parse(text, "net.yaml"))
    problems = [str(p) for p in error.value.problems]
    assert len(problems) == 1, problems
    assert problems[0].startswith("net.yaml" + where), problems[0]
    assert message in problems[0], problems[0]


@pytest.mark.parametrize("top, where, message", [
    ("outputs: [stem, nope]\n", ":2:17:", "no layer or input named 'nope'"),
    ("outputs: [stem, stem]\n", ":2:17:", "the output 'stem' is listed twice"),
    ("outputs: {a: 1}\n", ":2:10:", "'outputs' must be a list of layer names"),
    ("expect: {outputs: {nope: {params: 1}}}\n", ":2:20:",
     "expected output 'nope' is not an output of the network"),
])
def test_bad_outputs_are_refused(top, where, message):
    text = "input: [3, 8, 8]\n" + top + "layers:\n  - conv: {filters: 4, kernel: 1}\n" \
        "    name: stem\n"
    with pytest.raises(SpecError) as error:
        analyze_text(text, "net.yaml")
    problems = [str(p) for p in error.value.problems]
    assert len(problems) == 1 and problems[0].startswith("net.yaml" + where), problems
    assert message in problems[0]


@pytest.mark.parametrize("value, message", [
    ("{image: [3, 8, 8], mask: [0, 8]}", "'input 'mask'' must be [C]"),
    ("{a.b: [3, 8, 8]}", "an input's name must be text without dots"),
    ("{}", "'input' must be [C]"),
])
def test_bad_named_inputs_are_refused(value, message):
    with pytest.raises(SpecError) as error:
        parse(f"input: {value}\nlayers: [relu]\n", "net.yaml")
    assert message in str(error.value.problems[0]).replace('"', "'")


def test_an_entry_after_a_failure_recovers_through_from():
    """After a failed entry, `from:` a built layer gives later entries a shape again, so
    their own mistakes are reported too (and nothing cascades from the failure)."""
    text = ("input: [3, 8, 8]\nlayers:\n  - conv: {filters: 4, kernel: 1}\n    name: a\n"
            "  - conv: {filters: 4, kernel: 99}\n  - relu\n"
            "  - conv: {filters: 4, kernel: 1, strid: 2}\n    from: a\n")
    with pytest.raises(SpecError) as error:
        build(parse(text, "net.yaml"))
    problems = [str(p) for p in error.value.problems]
    assert len(problems) == 2, problems
    assert "output would be empty" in problems[0] and "unknown argument 'strid'" in problems[1]


# -- the executor on graphs --------------------------------------------------------------

def _network_gradients(text: str, seed: int = 3):
    """Forward and backward through the whole graph in float64, with the loss
    L = sum over outputs of sum(g_o * y_o); returns (network, inputs, grads, loss)."""
    network = build(parse(text, "net.yaml"))
    rng = np.random.default_rng(seed)
    units = [_Unit(node, op_for(node.layer)) for node in network.nodes]
    for unit in units:
        unit.op.init(rng, np.dtype("float64"))
    xs = [rng.standard_normal((2, *i.shape)) for i in network.inputs]
    ys = _forward(network, units, [x.copy() for x in xs], True, _Clock(None))
    gs = [rng.standard_normal(y.shape) for y in ys]
    clock = _Clock(None)
    _forward(network, units, [x.copy() for x in xs], True, clock)
    dxs = _backward(network, units, [g.copy() for g in gs], clock)

    def loss(inputs: list[np.ndarray]) -> float:
        outs = _forward(network, units, [x.copy() for x in inputs], True, _Clock(None))
        return sum(float(np.sum(g * y)) for g, y in zip(gs, outs))
    return xs, dxs, loss


@pytest.mark.parametrize("text", [TWO_INPUTS.replace("batchnorm", "relu"), RESIDUAL_BY_NAME,
                                  BRANCHES_BY_NAME, CONDITIONAL])
def test_graph_gradients_match_finite_differences(text):
    """Values read by several layers sum their gradients; side outputs add theirs; an
    input read twice gets both. Checked on the whole network, not per op."""
    xs, dxs, loss = _network_gradients(text)
    rng = np.random.default_rng(0)
    h = 1e-6
    for x, dx in zip(xs, dxs):
        assert dx.shape == x.shape
        for index in rng.integers(0, x.size, size=8):
            bumped = [v.copy() for v in xs]
            bumped[[id(v) for v in xs].index(id(x))].flat[index] += h
            lowered = [v.copy() for v in xs]
            lowered[[id(v) for v in xs].index(id(x))].flat[index] -= h
            numeric = (loss(bumped) - loss(lowered)) / (2 * h)
            assert numeric == pytest.approx(float(dx.flat[index]), rel=1e-5, abs=1e-7)


def test_run_executes_a_graph_forward_and_backward_with_every_shape_as_calculated():
    result = run(parse(TWO_INPUTS, "fused.yaml"), batch=2, gradient_check=True)
    assert result.ok, result.mismatches
    assert result.output_shape == (3,)
    assert result.loss_name == "cross-entropy"
    assert len(result.layers) == 11
    assert result.inputs == (("image", (3, 8, 8)), ("mask", (1, 8, 8)))
    assert result.outputs == (("head", (3,)), ("aux", (2,)))


def test_a_long_skip_holds_its_value_until_its_last_reader_and_no_longer():
    layers = "".join("  - conv: {filters: 2, kernel: 1}\n" for _ in range(30))
    text = ("input: [2, 4, 4]\nlayers:\n  - relu\n    # kept for the add at the end\n"
            "  - relu: {}\n    name: keep\n" + layers + "  - add: {from: keep}\n")
    network = build(parse(text, "net.yaml"))
    keep = next(n for n in network.nodes if n.name == "keep")
    assert network.last_use[keep.index] == len(network.nodes) - 1
    assert network.last_use[keep.index + 1] == keep.index + 2  # the next conv: read once
    result = run(parse(text, "net.yaml"), batch=1)
    assert result.ok


# -- bounded on hostile graphs -------------------------------------------------------------

def test_hostile_graphs_stay_bounded():
    from conftest import WATCHDOG_SECONDS, watchdog

    names = [f"  - relu: {{}}\n    name: l{i}\n    from: l{i - 1}\n" for i in range(1, 20000)]
    chain = "input: [1, 2, 2]\nlayers:\n  - relu: {}\n    name: l0\n" + "".join(names)
    typos = "".join(f"  - relu: {{}}\n    from: x{i}\n" for i in range(60))
    outputs = "outputs: [" + ", ".join(f"l{i}" for i in range(0, 20000, 200)) + "]\n"
    with watchdog(WATCHDOG_SECONDS):
        network = build(parse(chain, "net.yaml"))
        assert len(network.nodes) == 20000
        with pytest.raises(SpecError) as error:
            build(parse(chain + typos, "net.yaml"))
        problems = error.value.problems  # MAX_PROBLEMS located lines, then where it stopped
        assert len(problems) == 51 and "stopped after 50 problems" in problems[-1].message
        assert "no layer or input named 'x0'" in problems[0].message
        analysis = analyze_text(chain.replace("layers:", outputs + "layers:"), "net.yaml")
        assert len(analysis.outputs) == 100
    with pytest.raises(SpecError, match="'outputs' lists 101 layers; the limit is 100"):
        parse(chain.replace("layers:", outputs.replace("]", ", l1]") + "layers:"), "x.yaml")
