"""Each lint rule's passing fixture, the "Use instead" example of its documentation.

Generated from tests/fixtures/lint/CODE_pass.yaml (CODE_pass.md for a document rule) by
tests/make_use_instead.py: edit the fixture and run that, never this file.
"""
from __future__ import annotations

# code: (the fixture's file name, its text)
USE_INSTEAD: dict[str, tuple[str, str]] = {
    "B101": ("B101_pass.yaml", """\
# B101 fixed: the stated figure is the calculated one
input: [3, 32, 32]
expect:
  params: 448
layers:
  - conv: {filters: 16, kernel: 3, padding: 1}
"""),
    "B102": ("B102_pass.yaml", """\
# B102 fixed: within 1k
input: [3, 32, 32]
budget:
  params: 1k
layers:
  - conv: {filters: 16, kernel: 3, padding: 1}
"""),
    "B103": ("B103_pass.yaml", """\
# B103 fixed: within 0.5M
input: [3, 32, 32]
budget:
  macs: 0.5M
layers:
  - conv: {filters: 16, kernel: 3, padding: 1}
"""),
    "B104": ("B104_pass.yaml", """\
# B104 fixed: exactly 64 KiB is within the budget
input: [3, 32, 32]
budget:
  activation_memory: 64 KiB
layers:
  - conv: {filters: 16, kernel: 3, padding: 1}
"""),
    "B105": ("B105_pass.yaml", """\
# B105 fixed: a 5x5 kernel gives the field of 5 the budget asks for
input: [3, 32, 32]
budget:
  rf: {min: 5, max: 5}
layers:
  - conv: {filters: 16, kernel: 5, padding: 2}
"""),
    "B106": ("B106_pass.yaml", """\
# B106 fixed: the shape the budget states
input: [3, 32, 32]
budget:
  output_shape: [16, 32, 32]
layers:
  - conv: {filters: 16, kernel: 3, padding: 1}
"""),
    "C101": ("C101_pass.yaml", """\
# C101 fixed: (224 - 2)/2 is whole, every convention gives 112
input: [3, 224, 224]
framework: pytorch
layers:
  - maxpool: {kernel: 2, stride: 2}
"""),
    "C102": ("C102_pass.yaml", """\
# C102 fixed: 'same' at stride 1 with an odd kernel is symmetric
input: [3, 224, 224]
framework: tensorflow
layers:
  - conv: {filters: 32, kernel: 3, padding: same}
"""),
    "C103": ("C103_pass.yaml", """\
# C103 fixed: padding 1 = 3 // 2; and padding 1 = 2 // 2 on a dilated pool, which torch
# 2.14.1 accepts (nn.MaxPool2d(2, dilation=3, padding=1) on 12x12 gives 6x6)
input: [3, 32, 32]
layers:
  - maxpool: {kernel: 3, stride: 2, padding: 1}
  - maxpool: {kernel: 2, dilation: 3, padding: 1}
"""),
    "C104": ("C104_pass.yaml", """\
# C104 fixed: at stride 1 torch 2.14.1's Conv2d takes padding='same' (odd, even and dilated
# kernels); the pool's padding is written out; TensorFlow's pools do have 'same'
input: [3, 32, 32]
framework: pytorch
layers:
  - conv: {filters: 16, kernel: 3, padding: same}
  - conv: {filters: 4, kernel: 3, dilation: 2, padding: same}
  - maxpool: {kernel: 3, stride: 1, padding: 1}
"""),
    "D101": ("D101_pass.md", """\
D101 fixed: the table between the markers is what cnncalc renders for the spec now
(`cnncalc check --fix` wrote it).

<!-- cnncalc:shapes D101_net.yaml -->

| Layer    | Type    | Config   | Input shape   | Output shape   |
|----------|---------|----------|---------------|----------------|
| conv1    | conv    | 3x3 p1   | [3, 32, 32]   | [16, 32, 32]   |
| maxpool1 | maxpool | 2x2 s2   | [16, 32, 32]  | [16, 16, 16]   |

- Input [3, 32, 32] -> output [16, 16, 16]   rounding: ceil
- Params: 448 (448; PyTorch's parameters() and Keras' total)   trainable 448   non-trainable 0
- MACs: 442,368 (442.37 kMACs, conv + dense, bias excluded)   other ops: 32,768 (32.77 k)
- Activations: 20,480 values = 80.00 KiB per sample at float32   params: 1.75 KiB
- Receptive field: 4, jump 2, start 0.5 (at 'maxpool1')

<!-- /cnncalc -->
"""),
    "D102": ("D102_pass.md", """\
D102 fixed: the picture carries the stamp of what cnncalc draws for the spec now
(`cnncalc check --fix` drew it with Graphviz's dot).

<!-- cnncalc:diagram D101_net.yaml -o D102_net.svg -->

![D101_net](D102_net.svg)

<!-- /cnncalc -->
"""),
    "G101": ("G101_pass.yaml", """\
# G101 fixed: the side head is declared as a second output.
input: [3, 32, 32]
outputs: [head, aux]
layers:
  - conv: {filters: 32, kernel: 3, padding: 1}
    name: trunk
  - global_avgpool: {}
  - flatten
  - dense: {units: 10}
    name: aux
  - conv: {filters: 8, kernel: 1}
    from: trunk
  - global_avgpool: {}
  - flatten
  - dense: {units: 10}
    name: head
"""),
    "O101": ("O101_pass.yaml", """\
# O101 fixed: dropout after batch norm and the activation
input: [3, 32, 32]
layers:
  - conv: {filters: 16, kernel: 3, padding: 1, bias: false}
  - batchnorm
  - relu
  - dropout: {p: 0.2}
"""),
    "O102": ("O102_pass.yaml", """\
# O102 fixed: one activation
input: [3, 32, 32]
layers:
  - conv: {filters: 16, kernel: 3, padding: 1}
  - relu
"""),
    "O103": ("O103_pass.yaml", """\
# O103 fixed: the logits go straight into the softmax
input: [3, 8, 8]
layers:
  - flatten
  - dense: {units: 10}
  - softmax
"""),
    "P101": ("P101_pass.yaml", """\
# P101 fixed: bias: false before batch norm
input: [3, 32, 32]
layers:
  - conv: {filters: 64, kernel: 3, padding: 1, bias: false}
  - batchnorm
"""),
    "P102": ("P102_pass.yaml", """\
# P102 fixed: global pooling before the classifier; no layer holds half
input: [3, 64, 64]
layers:
  - conv: {filters: 16, kernel: 3, padding: 1}
  - conv: {filters: 16, kernel: 3, padding: 1}
  - conv: {filters: 16, kernel: 3, padding: 1}
  - global_avgpool: {keepdims: false}
  - dense: {units: 10}
"""),
    "R101": ("R101_pass.yaml", """\
# R101 fixed: a 30-pixel input, all of it seen
input: [3, 30, 30]
rounding: floor
layers:
  - conv: {filters: 8, kernel: 5, stride: 5}
  - conv: {filters: 10, kernel: 6}
"""),
    "R102": ("R102_pass.yaml", """\
# R102 fixed: 10 3x3 convs: field 21
input: [3, 32, 32]
layers:
  - conv: {filters: 4, kernel: 3, padding: 1}
    repeat: 10
"""),
    "R103": ("R103_pass.yaml", """\
# R103 fixed: both branches centred at 0 with jump 2
input: [3, 32, 32]
framework: pytorch
layers:
  - branches:
      - [conv: {filters: 8, kernel: 3, stride: 2, padding: 1}]
      - [maxpool: {kernel: 3, stride: 2, padding: 1}]
    merge: concat
"""),
    "S101": ("S101_pass.yaml", """\
# S101 fixed: the spec names its framework; ceil_mode keeps the window that reads the last
# pixel (112), where PyTorch's default floor would leave it unread (S105)
input: [3, 224, 224]
framework: pytorch
layers:
  - maxpool: {kernel: 3, stride: 2, ceil_mode: true}
"""),
    "S102": ("S102_pass.yaml", """\
# S102 fixed: no padding, the last window starts at 4, inside the input
input: [3, 5, 5]
rounding: ceil
layers:
  - maxpool: {kernel: 2, stride: 2}
"""),
    "S103": ("S103_pass.yaml", """\
# S103 fixed: the kernel covers the stride
input: [3, 32, 32]
framework: pytorch
layers:
  - conv: {filters: 16, kernel: 3, stride: 2, padding: 1}
"""),
    "S104": ("S104_pass.yaml", """\
# S104 fixed: the shortcut average-pools before its 1x1 conv (ResNet-D's idea), with a 3x3
# window centred like the main path's, so the branches stay aligned (R103)
input: [8, 32, 32]
framework: pytorch
layers:
  - residual:
      main:
        - conv: {filters: 16, kernel: 3, stride: 2, padding: 1}
      shortcut:
        - avgpool: {kernel: 3, stride: 2, padding: 1}
        - conv: {filters: 16, kernel: 1}
"""),
    "S105": ("S105_pass.yaml", """\
# S105 fixed: padding 1 lets the last window reach the end
input: [3, 224, 224]
framework: pytorch
layers:
  - conv: {filters: 64, kernel: 3, stride: 2, padding: 1}
"""),
    "S106": ("S106_pass.yaml", """\
# S106 fixed: no padding for a 1x1 kernel
input: [3, 32, 32]
layers:
  - conv: {filters: 16, kernel: 1}
"""),
    "S107": ("S107_pass.yaml", """\
# S107 fixed: a kernel smaller than the input
input: [3, 5, 5]
layers:
  - conv: {filters: 8, kernel: 3, padding: 1}
"""),
    "S108": ("S108_pass.yaml", """\
# S108 fixed: a 1x1 conv after the collapse
input: [3, 32, 32]
framework: pytorch
layers:
  - conv: {filters: 16, kernel: 3, stride: 2, padding: 1}
  - maxpool: {kernel: 16}
  - conv: {filters: 32, kernel: 1}
"""),
    "S109": ("S109_pass.yaml", """\
# S109 fixed: kernel 4 at stride 2
input: [16, 8, 8]
layers:
  - conv_transpose: {filters: 8, kernel: 4, stride: 2, padding: 1}
"""),
    "S110": ("S110_pass.yaml", """\
# S110 fixed: flatten before the dense layer, as torchvision's nets call torch.flatten(x, 1)
input: [3, 32, 32]
layers:
  - conv: {filters: 8, kernel: 3, padding: 1}
  - global_avgpool
  - flatten
  - dense: {units: 10}
"""),
    "X101": ("X101_pass.yaml", """\
# X101 fixed: every code names a rule
input: [3, 8, 8]
layers:
  - flatten
  - dense: {units: 10}
    lint: {ignore: [P102]}
"""),
    "X102": ("X102_pass.yaml", """\
# X102 fixed: a kind of a known family
input: [8, 4, 4]
layers:
  - identity
"""),
}
