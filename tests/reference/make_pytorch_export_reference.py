"""Record what every exported PyTorch module is, as torch builds and runs it.

Run (from the repository root, with a Python that has torch):

    python tests/reference/make_pytorch_export_reference.py   (with torch 2.14.1)

For each spec in examples/ and each of the small `CASES` below (the conventions PyTorch's
modules lack: 'same' and asymmetric padding, ceil-rounded windows, crops of a transposed
conv, -inf padding of a max pool, 1-D and 3-D, odd names), `cnncalc.interop.pytorch_export`
writes the module's source; this script executes that source, instantiates the class, and
records into ``pytorch_export.json`` next to itself:

* ``sha256``: of the source it ran, so a change to the exporter that alters any output fails
  tests/test_pytorch_export.py until this script is run again;
* ``params``: ``sum(p.numel() for p in module.parameters())``;
* ``buffers``: ``sum(b.numel() for b in module.buffers())`` without batch norm's
  ``num_batches_tracked`` counters (one int64 each: bookkeeping, not a statistic; cnncalc
  counts the running mean and variance);
* ``outputs``: the shape (batch excluded) of every value ``forward`` returns, in eval mode,
  from a batch of 2 random inputs at the spec's input size(s);
* ``max_difference``: the module against cnncalc's NumPy executor with the same weights
  (the executor's He initialisation plus noise on every parameter, so that norms' scales
  and shifts are not 1 and 0), both in float64, eval mode, one random batch of 2: the
  largest |torch - numpy| over every output, relative to the output's largest magnitude (at
  least 1). Big examples are compared at the reduced input size in `COMPARE_AT` (the module
  exported at that size); tiny_all_kinds with its fractional max pool, which draws its
  windows at random, replaced by an adaptive one (`DETERMINISTIC`).

The figures are torch's; the tests hold them against cnncalc's own. The script also prints
any disagreement it sees, as a first warning.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from cnncalc.build import build
from cnncalc.executor.ops.base import MergeOp, op_for
from cnncalc.executor.runner import resized
from cnncalc.graph import Network
from cnncalc.interop.pytorch_export import class_name, render_with_paths
from cnncalc.spec import load_file, parse

# tiny_all_kinds' fractional max pool draws its windows at random: its numbers are compared
# with that one line replaced by a deterministic pool of the same output size.
DETERMINISTIC = {"tiny_all_kinds": ("fractional_maxpool: {kernel: 2, output_size: [8, 16]}",
                                    "adaptive_maxpool: {output_size: [8, 16]}")}
# Numeric comparison sizes for the examples too big for NumPy in float64 at full size.
COMPARE_AT = {"alexnet": (127,), "cyclegan_generator": (64,), "googlenet": (64,),
              "mobilenet_v2": (64,), "resnet18": (64,), "resnet34": (64,),
              "resnet50": (64,),
              "segnet": (64,), "unet": (64,), "unet_original": (188,), "vgg16": (64,)}

CASES = {
    "conv_conventions": """\
name: conv_conventions
input: [3, 15, 14]
layers:
  - conv: {filters: 4, kernel: 4, stride: 2, padding: same}   # even kernel: pad 1 | 2
  - conv: {filters: 4, kernel: 3, stride: 2}                  # the ceil rule: one more pad
  - conv: {filters: 6, kernel: 3, padding: same, padding_mode: reflect, groups: 2}
  - conv: {filters: 6, kernel: 2, padding: [[1, 0], [0, 1]], padding_mode: circular}
  - depthwise_conv: {kernel: 3, depth_multiplier: 2, stride: 2, padding: same}
  - separable_conv: {filters: 5, kernel: 2, stride: 1, padding: same}
  - conv_transpose: {filters: 4, kernel: 3, stride: 2, padding: [[1, 2], [0, 1]],
                     output_padding: 1}
  - conv_transpose: {filters: 3, kernel: 4, stride: 2, padding: 1, dilation: 2, bias: false}
  - conv: {filters: 3, kernel: 3, dilation: 2, padding: same}
""",
    "pool_conventions": """\
name: pool_conventions
input: [4, 33, 32]
outputs: [avgpool2, lppool1, global_avgpool1]  # every pixel compared, not just a mean
layers:
  - maxpool: {kernel: 2}                                        # ceil rule: ceil_mode
  - hardtanh: {min_val: -3, max_val: -1}       # all negative: padding with 0 would show
  - maxpool: {kernel: 3, stride: 2, padding: [[0, 1], [1, 1]]}  # -inf padding
  - avgpool: {kernel: 2, stride: 1, padding: [[1, 0], [0, 1]]}  # zero padding, counted
  - avgpool: {kernel: 3, stride: 2, padding: 1, count_include_pad: false}
    rounding: ceil
  - conv: {filters: 4, kernel: 1}
  - maxpool: {kernel: 3, stride: 1, padding: 1, dilation: 2}
  - sigmoid                                    # positive: a cube root of a sum of cubes
  - lppool: {kernel: 2, norm_type: 3}
    rounding: ceil
  - global_avgpool: {keepdims: false}
""",
    "pytorch_ceil": """\
name: pytorch_ceil
input: [2, 9]
framework: pytorch
layers:
  - maxpool: {kernel: 2, ceil_mode: true}
  - avgpool: {kernel: 2, stride: 2, padding: 1, ceil_mode: true}
  - avgpool: {kernel: 2, stride: 1, padding: [[0, 2]], ceil_mode: true}  # 1 pad read
  - conv: {filters: 3, kernel: 3, padding: same}
  - upsample: {scale: 2, mode: linear, align_corners: true}
  - adaptive_avgpool: {output_size: 3}
  - flatten
  - dense: {units: 4, bias: false}
""",
    "keras_average": """\
name: keras_average
input: [3, 9, 10]
framework: tensorflow
layers:
  - avgpool: {kernel: 3, stride: 2, padding: same}   # divides by the pixels inside
  - avgpool: {kernel: 2, stride: 1, padding: [[1, 0], [0, 1]], count_include_pad: true}
  - avgpool: {kernel: 2, stride: 2, padding: [[0, 1], [1, 0]], count_include_pad: true}
    rounding: ceil                                   # a window past the padding
  - avgpool: {kernel: 2, stride: 1, padding: [[0, 1], [1, 0]], divisor_override: 3}
""",
    "three_d": """\
name: three_d
input: [2, 6, 7, 8]
layers:
  - conv: {filters: 4, kernel: 3, stride: 2, padding: same}
  - batchnorm
  - avgpool: {kernel: 2, stride: 1, divisor_override: 3}
  - replication_pad: {padding: [[1, 0], [0, 1], [1, 1]]}
  - zeropad: {padding: 1}
  - maxpool: {kernel: 2, ceil_mode: true}
  - instancenorm: {affine: true}
  - upsample: {size: [5, 6, 7], mode: trilinear}
  - adaptive_maxpool: {output_size: [2, null, 3]}
  - global_maxpool
""",
    "shapes_and_merges": """\
name: shapes and merges!
input: {left-image: [4, 8, 8], class: [4, 8, 8]}
outputs: [head, side]
layers:
  - conv: {filters: 8, kernel: 3, padding: 1}
    name: 1st.conv
    from: left-image
  - conv: {filters: 8, kernel: 1}
    name: forward
    from: class
  - concat: {from: [1st.conv, forward], axis: 2}
  - cropping: {cropping: [[1, 1], [0, 2]]}
  - pixel_unshuffle: {factor: 2}
  - layernorm: {normalized_shape: [3, 7]}
  - permute: {dims: [2, 0, 1]}
  - reshape: {shape: [32, 3, 7]}
  - upsample: {scale: [2, 1.5], mode: bicubic}
  - upsample: {size: [5, 5], mode: area}
  - upsample: {scale: 1.5, mode: nearest-exact, recompute_scale_factor: true}
  - hardtanh: {min_val: -0.5, max_val: 2}
  - elu: {alpha: 0.7}
  - celu: {alpha: 1.5}
  - softplus: {beta: 2, threshold: 5}
  - selu
  - mish
  - softmax: {axis: 1}
    name: side
  - conv: {filters: 32, kernel: 1}
    name: gate
  - multiply: {from: [side, gate]}
  - global_avgpool
  - add: {from: [global_avgpool1, side]}     # broadcast: [32, 1, 1] + [32, 7, 7]
  - flatten
  - dropout: {p: 0.3}
  - dense: {units: 3}
    name: head
""",
}


def instantiate(network: Network) -> tuple[str, dict[int, str], torch.nn.Module]:
    source, paths = render_with_paths(network)
    scope: dict[str, Any] = {}
    exec(compile(source, "<exported>", "exec"), scope)  # noqa: S102  (our own output)
    module = scope[class_name(network.spec.name)]()
    return source, paths, module.eval()


def torch_parameter_names(node_kind: str, path: str, name: str) -> str:
    """The executor's parameter `name` of a node at `path` -> the module's parameter."""
    if node_kind == "separable_conv":
        return {"depthwise_weight": f"{path}.depthwise.weight",
                "pointwise_weight": f"{path}.pointwise.weight",
                "bias": f"{path}.pointwise.bias"}[name]
    return f"{path}.{name}"


def max_difference(network: Network) -> float | None:
    """The exported module against the NumPy executor, same weights, float64, eval mode."""
    if any(node.layer.kind == "fractional_maxpool" for node in network.nodes):
        return None
    _, paths, module = instantiate(network)
    module = module.double()
    rng = np.random.default_rng(0)
    ops = [op_for(node.layer) for node in network.nodes]
    for node, op in zip(network.nodes, ops):
        if hasattr(op, "link"):
            op.link([ops[r] if r >= 0 else None for r in node.inputs])
        op.init(rng, np.dtype("float64"))
        op.params = {k: v + 0.1 * rng.standard_normal(v.shape) for k, v in op.params.items()}
    assigned = set()
    with torch.no_grad():
        for node, op in zip(network.nodes, ops):
            for name, value in op.params.items():
                target = torch_parameter_names(node.layer.kind, paths[node.index], name)
                module.get_parameter(target).copy_(torch.from_numpy(value))
                assigned.add(target)
    missing = {name for name, _ in module.named_parameters()} - assigned
    assert not missing, f"{network.spec.name}: parameters not set: {sorted(missing)}"
    xs = [rng.standard_normal((2, *i.shape)) for i in network.inputs]
    values: dict[int, Any] = {-1 - k: x for k, x in enumerate(xs)}
    with np.errstate(all="ignore"):
        for node, op in zip(network.nodes, ops):
            if isinstance(op, MergeOp):
                values[node.index] = op.forward([values[r] for r in node.inputs], False)
            else:
                values[node.index] = op.forward(values[node.inputs[0]], False)
    with torch.no_grad():
        result = module(*(torch.from_numpy(x) for x in xs))
    outputs = result if isinstance(result, tuple) else (result,)
    worst = 0.0
    for ref, got in zip(network.outputs, outputs):
        expected = values[ref]
        assert got.shape == expected.shape, (network.spec.name, got.shape, expected.shape)
        assert np.isfinite(expected).all() and torch.isfinite(got).all(), network.spec.name
        scale = max(1.0, float(np.abs(expected).max()))
        worst = max(worst, float(np.abs(got.numpy() - expected).max()) / scale)
    return worst


def record(network: Network, compared: Network) -> dict[str, Any]:
    source, _, module = instantiate(network)
    torch.manual_seed(0)
    batch = [torch.randn(2, *i.shape) for i in network.inputs]
    with torch.no_grad():
        result = module(*batch)
    outputs = result if isinstance(result, tuple) else (result,)
    return {
        "sha256": hashlib.sha256(source.encode()).hexdigest(),
        "params": sum(p.numel() for p in module.parameters()),
        "buffers": sum(b.numel() for name, b in module.named_buffers()
                       if not name.endswith("num_batches_tracked")),
        "outputs": [list(o.shape[1:]) for o in outputs],
        "max_difference": max_difference(compared),
    }


def report(name: str, network: Network, found: dict[str, Any]) -> None:
    counts = [node.layer.params() for node in network.nodes]
    expected = {"params": sum(c.weights for c in counts),
                "buffers": sum(c.buffers for c in counts),
                "outputs": [list(network.shape(ref)) for ref in network.outputs]}
    differs = {k: (found[k], v) for k, v in expected.items() if found[k] != v}
    difference = found["max_difference"]
    print(f"{name:20} params {found['params']:>12,} buffers {found['buffers']:>8,} "
          f"outputs {found['outputs']} max difference "
          f"{'--' if difference is None else f'{difference:.1e}'}"
          + (f"  DIFFERS (torch, cnncalc): {differs}" if differs else ""))


def main() -> None:
    examples, cases = {}, {}
    for spec_path in sorted((ROOT / "examples").glob("*.yaml")):
        spec = load_file(str(spec_path.relative_to(ROOT)))
        network = build(spec)
        sizes = COMPARE_AT.get(spec_path.stem)
        compared = build(resized(spec, sizes)) if sizes else network
        if spec_path.stem in DETERMINISTIC:
            text = spec_path.read_text()
            assert DETERMINISTIC[spec_path.stem][0] in text
            compared = build(parse(text.replace(*DETERMINISTIC[spec_path.stem]),
                                   spec_path.name))
        examples[spec_path.stem] = found = record(network, compared)
        report(spec_path.stem, network, found)
    for name, text in CASES.items():
        network = build(parse(text, f"{name}.yaml"))
        cases[name] = found = {"spec": text, **record(network, network)}
        report(name, network, found)
    data = {"torch": torch.__version__, "examples": examples, "cases": cases}
    out = Path(__file__).with_name("pytorch_export.json")
    out.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
