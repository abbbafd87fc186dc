"""Blocks with parameters, expressions, conditional entries and the names they give."""
import pytest

from cnncalc import SpecError, analyze_text

BASIC = """\
input: [64, 56, 56]
framework: pytorch
blocks:
  basic:
    params: {channels: null, stride: 1}
    layers:
      - residual:
          main:
            - conv: {filters: $channels, kernel: 3, stride: $stride, padding: 1, bias: false}
            - batchnorm
            - relu
            - conv: {filters: $channels, kernel: 3, padding: 1, bias: false}
            - batchnorm
          shortcut:
            - conv: {filters: $channels, kernel: 1, stride: $stride, bias: false}
              when: ${stride != 1 or in_channels != channels}
            - batchnorm:
              when: ${stride != 1 or in_channels != channels}
      - relu
layers:
  - basic: {channels: 64}
    name: layer1
    repeat: 2
  - basic: {channels: 128, stride: 2}
"""


def test_when_keeps_the_projection_only_where_shapes_change():
    rows = analyze_text(BASIC).rows
    names = [r.name for r in rows]
    # ResNet's first stage: identity shortcuts; the strided block: a 1x1 projection
    assert "layer1.0.conv3" not in names and "layer1.1.conv3" not in names
    assert "basic3.conv3" in names  # the third basic block, named or not
    shortcut = rows[names.index("basic3.conv3")]
    assert shortcut.output_shape == (128, 28, 28) and shortcut.weights == 64 * 128


def test_repeated_named_block_gets_torch_like_names():
    names = [r.name for r in analyze_text(BASIC).rows]
    assert names[:3] == ["layer1.0.conv1", "layer1.0.batchnorm1", "layer1.0.relu1"]
    assert "layer1.1.residual1" in names


@pytest.mark.parametrize("expression,value", [
    ("${in_channels * 2}", 6), ("${in_channels // 2 + 1}", 2), ("${max(in_channels, 8)}", 8),
    ("${16 if in_channels > 2 else 4}", 16), ("${round(in_channels * 1.5)}", 4),
])
def test_expressions(expression, value):
    spec = ("input: [3, 8, 8]\nblocks:\n  b:\n    layers:\n      - conv: {filters: "
            f"'{expression}', kernel: 1}}\nlayers: [b]\n")
    assert analyze_text(spec).rows[0].output_shape[0] == value


@pytest.mark.parametrize("text,message", [
    ("when: maybe", "'when' must be true or false"),
    ("when: '${in_channels + 1}'", "'when' must be true or false"),
    ("when: '${in_channels.real}'", "only numbers, names"),
    ("when: '${1 +}'", "not an arithmetic expression"),
])
def test_bad_conditions_are_located(text, message):
    spec = f"input: [3, 8, 8]\nblocks:\n  b:\n    layers:\n      - relu:\n        {text}\n" \
           "layers: [b]\n"
    with pytest.raises(SpecError, match=message) as error:
        analyze_text(spec, "net.yaml")
    assert error.value.problems[0].location.line == 6


def test_when_outside_blocks_takes_plain_booleans():
    rows = analyze_text("input: [3, 8, 8]\nlayers:\n  - relu:\n    when: false\n  - tanh\n").rows
    assert [r.kind for r in rows] == ["tanh"]
