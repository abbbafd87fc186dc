"""`cnncalc export --to pytorch` against torch, through the figures that
tests/reference/make_pytorch_export_reference.py recorded by running every exported module
(tests/reference/pytorch_export.json): for every example and every convention case, torch's
parameter and buffer counts and output shapes equal cnncalc's, the module agrees with the
NumPy executor to float64 rounding on the same weights, and the source exported now is
byte for byte the one torch ran. No torch here: the source must compile and pass ruff.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLES, REFERENCE, ROOT, run

from cnncalc.build import build
from cnncalc.errors import SpecError
from cnncalc.graph import Network
from cnncalc.interop.pytorch_export import class_name, identifier, render
from cnncalc.layers import LAYERS
from cnncalc.spec import load_file, parse

RECORDED: dict[str, Any] = json.loads((REFERENCE / "pytorch_export.json").read_text())
EXAMPLE_FIGURES: dict[str, Any] = RECORDED["examples"]
CASE_FIGURES: dict[str, Any] = RECORDED["cases"]


def example_network(name: str) -> Network:
    return build(load_file(str(EXAMPLES / f"{name}.yaml")))


def case_network(name: str) -> Network:
    return build(parse(CASE_FIGURES[name]["spec"], f"{name}.yaml"))


NETWORKS = [*((name, "example") for name in sorted(EXAMPLE_FIGURES)),
            *((name, "case") for name in sorted(CASE_FIGURES))]


@pytest.fixture(scope="module", params=NETWORKS, ids=[name for name, _ in NETWORKS])
def exported(request: pytest.FixtureRequest) -> tuple[Network, dict[str, Any], str]:
    name, where = request.param
    network = example_network(name) if where == "example" else case_network(name)
    figures = (EXAMPLE_FIGURES if where == "example" else CASE_FIGURES)[name]
    return network, figures, render(network)


def test_every_example_is_recorded() -> None:
    assert sorted(EXAMPLE_FIGURES) == sorted(p.stem for p in EXAMPLES.glob("*.yaml"))


def test_torch_counts_what_cnncalc_counts(exported: tuple[Network, dict[str, Any], str]
                                          ) -> None:
    network, figures, _ = exported
    counts = [node.layer.params() for node in network.nodes]
    assert figures["params"] == sum(c.weights for c in counts)
    assert figures["buffers"] == sum(c.buffers for c in counts)


def test_torch_outputs_have_cnncalc_shapes(exported: tuple[Network, dict[str, Any], str]
                                           ) -> None:
    network, figures, _ = exported
    assert figures["outputs"] == [list(network.shape(ref)) for ref in network.outputs]


def test_module_computes_what_the_executor_computes(
        exported: tuple[Network, dict[str, Any], str]) -> None:
    # float64 on both sides: anything above rounding is a convention carried over wrongly
    assert exported[1]["max_difference"] < 1e-11


def test_source_is_what_torch_ran(exported: tuple[Network, dict[str, Any], str]) -> None:
    """A change to the exporter's output needs the reference script run again."""
    _, figures, source = exported
    assert hashlib.sha256(source.encode()).hexdigest() == figures["sha256"]


def test_source_compiles(exported: tuple[Network, dict[str, Any], str]) -> None:
    network, _, source = exported
    compile(source, "net.py", "exec")
    assert f"class {class_name(network.spec.name)}(nn.Module):" in source
    imports = [line for line in source.splitlines() if line.startswith(("import", "from"))]
    assert all(line.split()[1].split(".")[0] == "torch" for line in imports), imports


def _ruff() -> list[str] | None:
    try:
        import ruff  # noqa: F401
        return [sys.executable, "-m", "ruff"]
    except ImportError:
        found = shutil.which("ruff")
        return [found] if found else None


@pytest.mark.skipif(_ruff() is None, reason="ruff is not installed")
def test_sources_pass_ruff_and_py_compile(tmp_path: Path) -> None:
    """Every exported file, under ruff's default rules (--isolated: not this repo's)."""
    paths = []
    for name, where in NETWORKS:
        network = example_network(name) if where == "example" else case_network(name)
        path = tmp_path / f"{name}.py"
        path.write_text(render(network))
        paths.append(str(path))
    compiled = subprocess.run([sys.executable, "-m", "py_compile", *paths],
                              check=False, capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr
    checked = subprocess.run([*_ruff(), "check", "--isolated", "--no-cache", *paths],
                             check=False, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_kind_is_exported_somewhere() -> None:
    """Every layer kind and merge appears in an example or case torch ran."""
    seen = {node.layer.kind for name in EXAMPLE_FIGURES
            for node in example_network(name).nodes}
    seen |= {node.layer.kind for name in CASE_FIGURES for node in case_network(name).nodes}
    kinds = {cls.kind for cls in LAYERS.values()} | {"add", "concat", "multiply"}
    assert kinds - seen == set()


# What the source says, as a reader would look for it (each row: a case, a line of its
# source, and the convention it carries).
@pytest.mark.parametrize("case, line", [
    ("conv_conventions", "x = self.conv1(F.pad(input, (1, 1, 1, 2)))"),  # 'same', even K
    ("conv_conventions", "x = self.conv2(F.pad(x, (0, 0, 0, 1)))"),  # ceil: one more row
    ("conv_conventions", 'padding=1, padding_mode="reflect", groups=2)'),
    ("conv_conventions", 'x = self.conv4(F.pad(x, (0, 1, 1, 0), mode="circular"))'),
    ("conv_conventions", "x = self.conv_transpose1(x)[:, :, :3, :5]"),  # crop [[1,2],[0,1]]
    ("pool_conventions", "self.maxpool1 = nn.MaxPool2d(2, ceil_mode=True)"),
    ("pool_conventions", 'x = self.maxpool2(F.pad(x, (1, 2, 0, 2), value=float("-inf")))'),
    ("pool_conventions", "nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)"),
    ("pool_conventions", "global_avgpool1 = torch.flatten(self.global_avgpool1(conv1), 1)"),
    ("pool_conventions", "return x, conv1, global_avgpool1"),  # `outputs:` order
    ("pytorch_ceil", 'nn.Upsample(scale_factor=2.0, mode="linear", align_corners=True)'),
    ("pytorch_ceil", "x = self.avgpool2(F.pad(x, (0, 1)))"),  # the padding windows read
    # divided by the pixels each window counts, not by the kernel's size
    ("keras_average", ("x = self.avgpool1(F.pad(input, (0, 1, 1, 1))) / self.avgpool1(F.pad("
                       "torch.ones_like(input[:1, :1]), (0, 1, 1, 1))).clamp(min=1 / 9)")),
    ("three_d", "nn.ReplicationPad3d((1, 1, 0, 1, 1, 0))"),
    ("three_d", "nn.AdaptiveMaxPool3d((2, 6, 3))"),  # None: the size it keeps
    ("shapes_and_merges", "def forward(self, left_image: torch.Tensor, class_: torch.Tensor)"),
    ("shapes_and_merges", "self.layer_1st = Block()"),
    ("shapes_and_merges", "self.forward_ = nn.Conv2d(4, 8, kernel_size=1)"),
    ("shapes_and_merges", "x = torch.cat([x, forward_], dim=3)"),
    ("shapes_and_merges", "return gate, x"),  # head, side: `outputs:` order
])
def test_source_carries_the_convention(case: str, line: str) -> None:
    assert line in render(case_network(case))


@pytest.mark.parametrize("name, expected", [
    ("conv1", "conv1"),
    ("conv-1", "conv_1"),
    ("1x1", "layer_1x1"),
    ("_private", "layer__private"),
    ("class", "class_"),
    ("match", "match_"),         # a soft keyword
    ("forward", "forward_"),     # nn.Module's own
    ("training", "training_"),
    ("self", "self_"),
    ("F", "F_"),
    ("größe", "gr__e"),
    ("", "layer"),
])
def test_identifier(name: str, expected: str) -> None:
    assert identifier(name) == expected


@pytest.mark.parametrize("name, expected", [
    ("resnet18", "Resnet18"), ("ResNet-50 v1.5", "ResNet50V15"), ("3d-unet", "Net3dUnet"),
    ("", "Net"), ("Block", "NetBlock"),
])
def test_class_name(name: str, expected: str) -> None:
    assert class_name(name) == expected


def test_command_writes_the_source(tmp_path: Path) -> None:
    out = tmp_path / "net.py"
    result = run("export", str(EXAMPLES / "resnet18.yaml"), "--to", "pytorch", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text() == render(example_network("resnet18"))
    assert out.read_text().startswith("# Generated by cnncalc from resnet18.yaml (spec ")


def test_command_imports_neither_torch_nor_numpy(tmp_path: Path) -> None:
    code = ("import sys\nfrom cnncalc.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code\n"
            "assert 'torch' not in sys.modules and 'numpy' not in sys.modules, "
            "sorted(m for m in ('torch', 'numpy') if m in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code, "export",
                           str(EXAMPLES / "tiny_all_kinds.yaml"), "--to", "pytorch",
                           "-o", str(tmp_path / "net.py")],
                          check=False, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "net.py").exists()


REFUSED = [
    ("conv: {filters: 2, kernel: 3, stride: 2, padding: 1, padding_mode: reflect}",
     "a ceil-rounded last window past reflect padding"),
    ("lppool: {kernel: 1, stride: 2, norm_type: 2}",  # a last window wholly past the input
     "PyTorch's LPPool cannot count these windows"),
]


@pytest.mark.parametrize("entry, message", REFUSED)
def test_refused_in_one_located_line(entry: str, message: str, write_spec: Any,
                                     tmp_path: Path) -> None:
    spec = write_spec(f"name: refused\ninput: [2, 8, 8]\nlayers:\n  - {entry}\n")
    out = tmp_path / "net.py"
    result = run("export", spec, "--to", "pytorch", "-o", str(out))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{spec}:4:"), lines
    assert "cannot be exported to PyTorch" in lines[0] and message in lines[0]
    assert not out.exists()


def test_maxunpool_of_a_pool_padded_asymmetrically_is_refused(write_spec: Any,
                                                             tmp_path: Path) -> None:
    spec = write_spec("name: unpool\ninput: [2, 8, 8]\nlayers:\n"
                      "  - maxpool: {kernel: 2, padding: [[0, 1], [0, 1]]}\n    name: pool\n"
                      "  - maxunpool: {indices: pool}\n")
    result = run("export", spec, "--to", "pytorch", "-o", str(tmp_path / "net.py"))
    assert result.exit_code == 2
    assert "maxunpool reads needs padding PyTorch's MaxPool takes" in result.stderr


def test_unreadable_spec_exits_2(tmp_path: Path) -> None:
    result = run("export", str(tmp_path / "missing.yaml"), "--to", "pytorch", "-o",
                 str(tmp_path / "net.py"))
    assert result.exit_code == 2
    assert "Traceback" not in result.output + result.stderr


HOSTILE = '''\
name: "a \\"\\"\\" quote \\\\ and a\\nnewline"
input: {for: [2, 6, 6], x: [2, 6, 6]}
layers:
  - conv: {filters: 2, kernel: 3, padding: 1}
    name: while
    from: for
  - relu:
    name: relu-1
  - global_avgpool:
    name: unused
    from: while
  - add: {from: [relu-1, x]}
    name: self
'''


@pytest.mark.skipif(_ruff() is None, reason="ruff is not installed")
def test_hostile_names_and_an_unread_layer_give_valid_source(tmp_path: Path) -> None:
    """Keywords, dashes, quotes in the spec's name, and a layer nothing reads (called, its
    value not kept: no unused variable)."""
    source = render(build(parse(HOSTILE, "hostile.yaml")))
    path = tmp_path / "hostile.py"
    path.write_text(source)
    checked = subprocess.run([*_ruff(), "check", "--isolated", "--no-cache", str(path)],
                             check=False, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + source
    assert "def forward(self, for_: torch.Tensor, x: torch.Tensor)" in source
    assert "        self.unused(while_)  # nothing reads this value\n" in source
    assert "self.while_ = nn.Conv2d(2, 2, kernel_size=3, padding=1)" in source


def _random_window_spec(rng: Any, index: int) -> str:
    """A small spec of windowed layers with random conventions (as the reference script's
    cases, but many): kernel, stride, padding (int, 'same', 'valid', asymmetric),
    dilation, padding modes, ceil_mode, count_include_pad, rounding, framework."""
    def padding() -> Any:
        return rng.choice([rng.randint(0, 2), "same", "valid",
                           [[rng.randint(0, 2), rng.randint(0, 2)] for _ in range(2)]])
    entries = []
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["conv", "maxpool", "avgpool", "lppool", "conv_transpose",
                           "depthwise_conv", "separable_conv"])
        args: dict[str, Any] = {"kernel": rng.randint(1, 4), "stride": rng.randint(1, 3)}
        if kind in ("conv", "separable_conv", "conv_transpose"):
            args["filters"] = rng.randint(1, 4)
        if kind in ("conv", "depthwise_conv", "separable_conv"):
            args["padding"] = padding()
            args["dilation"] = rng.randint(1, 2)
            if kind == "conv":
                args["padding_mode"] = rng.choice(["zeros", "reflect", "replicate",
                                                   "circular"])
        elif kind == "conv_transpose":
            args["padding"] = [[rng.randint(0, 2), rng.randint(0, 2)] for _ in range(2)]
            args["output_padding"] = rng.randint(0, args["stride"] - 1)
        elif kind in ("maxpool", "avgpool"):
            args["padding"] = padding()
            args["ceil_mode"] = rng.random() < 0.4
            if kind == "avgpool":
                args["count_include_pad"] = rng.random() < 0.6
        entry = f"  - {kind}: {json.dumps(args)}\n"
        if rng.random() < 0.2:
            entry += f"    rounding: {rng.choice(['ceil', 'floor'])}\n"
        entries.append(entry)
    framework = rng.choice(["", "framework: pytorch\n", "framework: caffe\n",
                            "framework: tensorflow\n"])
    return (f"name: random{index}\ninput: [2, {rng.randint(5, 20)}, {rng.randint(5, 20)}]\n"
            f"{framework}layers:\n" + "".join(entries))


def test_random_conventions_export_or_are_refused() -> None:
    """Whatever builds either exports to source that compiles, with an attribute per
    module-backed layer, or is refused with a located line; never another exception.
    (tests/reference runs such specs in torch against the executor: see its CASES.)"""
    import random

    rng = random.Random(10)
    exported = refused = 0
    for index in range(300):
        text = _random_window_spec(rng, index)
        try:
            network = build(parse(text, "random.yaml"))
        except SpecError:
            continue
        try:
            source = render(network)
        except SpecError as error:
            assert "cannot be exported to PyTorch" in str(error), text
            assert str(error).startswith("random.yaml:"), str(error)
            refused += 1
            continue
        compile(source, "random.py", "exec")
        for node in network.nodes:
            assert f"self.{identifier(node.name)} = " in source, (node.name, source)
        exported += 1
    assert exported > 150 and refused > 0, (exported, refused)


def test_a_dotted_layer_name_under_a_layer_is_flattened() -> None:
    """'a.b' beside a layer 'a' cannot be a submodule of that conv: it becomes a_b (a
    dotted name with no layer above it, as '1st.conv' in the cases, is a Block's child)."""
    text = "name: dots\ninput: [2, 6, 6]\nlayers:\n" + "".join(
        f"  - conv: {{filters: 2, kernel: 1}}\n    name: {name}\n"
        for name in ("a.b", "a", "a.c", "a.b.c"))
    source = render(build(parse(text, "dots.yaml")))
    compile(source, "dots.py", "exec")
    for attribute in ("a_b", "a", "a_c", "a_b_c"):
        assert f"        self.{attribute} = nn.Conv2d(2, 2, kernel_size=1)\n" in source
    assert "Block" not in source
