"""`cnncalc diagram`: Mermaid checked against its grammar for the constructs cnncalc writes,
DOT drawn by Graphviz (node and edge counts read back from `dot -Tplain`), pictures opened
and looked at as files (PNG header, size, pixels that differ), a golden SVG, determinism,
hostile names, and Graphviz missing.

Expected counts come from the networks as the papers and torchvision draw them (LeNet-5's
12 layers, ResNet-18's stem + four stages + head, GoogLeNet's 9 Inception modules and two
auxiliary heads), or from the built graph (its layers and inputs), never from the diagram.
"""
from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, graph_counts, run, spec_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnncalc import analyze_text
from cnncalc.analysis import analyze_file
from cnncalc.diagram.dot import to_dot
from cnncalc.diagram.mermaid import to_mermaid
from cnncalc.diagram.model import build_diagram
from cnncalc.pictures import draw, expected_stamp
from cnncalc.stamp import PNG_SIGNATURE, read_stamp
from cnncalc.text import one_line

DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz's dot is not installed")
GOLDEN = ROOT / "tests" / "fixtures" / "diagram"
ALL_EXAMPLES = sorted(EXAMPLES.glob("*.yaml"))

# --- a strict reader of the Mermaid flowchart subset cnncalc writes -------------------------

_ID = r"[A-Za-z][A-Za-z0-9_]*"
_LABEL = r'"([^"]*)"'
_NODE = re.compile(rf"^({_ID})(?:\[{_LABEL}\]|\(\[{_LABEL}\]\))$")
_EDGE = re.compile(rf"^({_ID}) (-->|==>)(?:\|{_LABEL}\|)? ({_ID})$")
_SUBGRAPH = re.compile(rf"^subgraph ({_ID})\[{_LABEL}\]$")
_CLASSDEF = re.compile(rf"^classDef ({_ID}) [a-z-]+:#[0-9a-f]{{6}}(,[a-z-]+:#[0-9a-f]{{6}})*$")
_CLASS = re.compile(rf"^class ({_ID}(?:,{_ID})*) ({_ID})$")
_ENTITY = re.compile(r"#(quot|\d+);")
_RESERVED = {"end", "graph", "subgraph", "flowchart", "direction", "class", "classDef",
             "style", "click", "linkStyle"}


def _label_text(label: str) -> str:
    """A label as Mermaid shows it: entity codes decoded, <br> a line break. Refuses any
    character Mermaid or the browser would read as syntax."""
    bare = _ENTITY.sub("", label.replace("<br>", ""))
    assert re.fullmatch(r"[A-Za-z0-9 ,.:_+\-=*/()!?]*", bare), f"unescaped text in {label!r}"
    decoded = _ENTITY.sub(lambda m: '"' if m.group(1) == "quot" else chr(int(m.group(1))),
                          label)
    return decoded.replace("<br>", "\n")


def read_mermaid(text: str) -> tuple[dict[str, str], list[tuple[str, str, str]],
                                     dict[str, str]]:
    """Nodes (id -> shown label), edges (source, target, shown label) and subgraphs (id ->
    shown label) of a flowchart; AssertionError at the first line outside the grammar."""
    lines = text.split("\n")
    assert lines[0] == "flowchart TB" and lines[-1] == "", "header, and a final newline"
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str, str]] = []
    subgraphs: dict[str, str] = {}
    open_subgraphs: list[str] = []
    expect_direction = False
    for line in lines[1:-1]:
        bare = line.strip()
        level = len(open_subgraphs) + (bare != "end")  # `end` sits at its subgraph's level
        assert line == "    " * level + bare, f"indent of {line!r}"
        if expect_direction:
            assert bare == "direction TB", line
            expect_direction = False
        elif match := _SUBGRAPH.match(bare):
            assert match.group(1) not in subgraphs and match.group(1) not in nodes
            subgraphs[match.group(1)] = _label_text(match.group(2))
            open_subgraphs.append(match.group(1))
            expect_direction = True
        elif bare == "end":
            assert open_subgraphs, "an end closes no subgraph"
            open_subgraphs.pop()
        elif match := _NODE.match(bare):
            ident = match.group(1)
            assert ident not in nodes and ident not in _RESERVED, ident
            nodes[ident] = _label_text(match.group(2) or match.group(3))
        elif match := _EDGE.match(bare):
            assert match.group(1) in nodes and match.group(4) in nodes, f"edge before nodes: {line}"
            edges.append((match.group(1), match.group(4),
                          _label_text(match.group(3)) if match.group(3) else ""))
        elif match := _CLASS.match(bare):
            assert all(i in nodes for i in match.group(1).split(",")), line
        else:
            assert _CLASSDEF.match(bare), f"not in the grammar: {line!r}"
    assert not open_subgraphs, "a subgraph is never closed"
    return nodes, edges, subgraphs


def _plain(dot_text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Graphviz's own reading of the DOT text: its node names and edges (`dot -Tplain`)."""
    done = subprocess.run([DOT, "-Tplain"], input=dot_text.encode(), capture_output=True,
                          timeout=120, check=True)
    nodes, edges = [], []
    for line in done.stdout.decode().splitlines():
        words = line.split()
        if words[0] == "node":
            nodes.append(words[1])
        elif words[0] == "edge":
            edges.append((words[1], words[2]))
    return nodes, edges


# --- counts against the networks' published structure ---------------------------------------

@pytest.mark.parametrize("example,depth,boxes,arrows", [
    # LeNet-5 as examples/lenet5.yaml writes it: 2 x (conv, relu, pool), flatten, 3 dense with
    # 2 relus between = 12 layers, a chain: 12 + input + output boxes, 13 arrows
    ("lenet5", None, 14, 13),
    # ResNet-18 (He et al. 2016, torchvision): conv1 bn1 relu maxpool, layer1..4, avgpool,
    # flatten, fc = 11 boxes at depth 1, a chain
    ("resnet18", 1, 13, 12),
    # GoogLeNet (Szegedy et al. 2015) at depth 1: 3 stem convs, 4 max pools, 9 Inception
    # modules, 2 aux heads, avgpool, flatten, dropout, fc = 22 boxes; input + 3 outputs;
    # arrows: the input and the 20 main boxes in a chain (20), 2 into the aux heads, 3 out
    ("googlenet", 1, 26, 25),
    # depth 0: the network as one box between its input and its three outputs
    ("googlenet", 0, 5, 4),
])
def test_boxes_and_arrows_match_the_published_structure(example: str, depth: int | None,
                                                        boxes: int, arrows: int) -> None:
    diagram = build_diagram(analyze_file(EXAMPLES / f"{example}.yaml"), depth)
    nodes, edges, _ = read_mermaid(to_mermaid(diagram))
    assert (len(nodes), len(edges)) == (boxes, arrows)
    if DOT:
        dot_nodes, dot_edges = _plain(to_dot(diagram))
        assert (len(dot_nodes), len(dot_edges)) == (boxes, arrows)


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=lambda p: p.stem)
def test_full_depth_draws_every_layer_and_every_edge_of_the_graph(example: Path) -> None:
    diagram = build_diagram(analyze_file(example))
    nodes, edges, _ = read_mermaid(to_mermaid(diagram))
    assert (len(nodes), len(edges)) == graph_counts(example)
    if DOT:
        dot_nodes, dot_edges = _plain(to_dot(diagram))
        assert (len(dot_nodes), len(dot_edges)) == graph_counts(example)


def test_blocks_are_subgraphs_named_by_instance_and_definition() -> None:
    # ResNet-18 at full depth: 4 stages of 2 basic blocks each, nested (torchvision's
    # layer1..layer4, each two BasicBlocks)
    _, _, subgraphs = read_mermaid(to_mermaid(build_diagram(
        analyze_file(EXAMPLES / "resnet18.yaml"))))
    assert sorted(subgraphs.values()) == sorted(
        [f"layer{i} (stage)" for i in range(1, 5)] +
        [f"basic{j} (basic)" for i in range(1, 5) for j in (1, 2)])


def test_the_residual_shortcut_is_an_arrow_into_the_add() -> None:
    # ResNet-18's first basic block: maxpool's output feeds both conv1 and the add
    nodes, edges, _ = read_mermaid(to_mermaid(build_diagram(
        analyze_file(EXAMPLES / "resnet18.yaml"))))
    by_label = {label.split("\n")[0]: ident for ident, label in nodes.items()}
    pool = by_label["maxpool 3x3 s2 p1"]
    targets = [nodes[t].split("\n")[:2] for s, t, _ in edges if s == pool]
    assert targets == [["conv1", "conv 3x3 p1 nobias"], ["residual1", "add"]]


def test_arrows_carry_the_size_where_the_shape_changes() -> None:
    # LeNet-5: 1x32x32 -> conv 5x5 -> 6x28x28 -> pool -> 6x14x14 -> conv -> 16x10x10 ->
    # pool -> 16x5x5 -> flatten 400 -> 120 -> 84 -> 10 (LeCun et al. 1998); relus keep it
    _, edges, _ = read_mermaid(to_mermaid(build_diagram(
        analyze_file(EXAMPLES / "lenet5.yaml"))))
    assert [label for _, _, label in edges if label] == [
        "1x32x32", "6x28x28", "6x14x14", "16x10x10", "16x5x5", "400", "120", "84", "10"]


def test_a_block_box_shows_definition_layers_params_and_shape() -> None:
    # torchvision resnet18: layer1 = 2 BasicBlocks of 2 x (conv 3x3 64->64, bn 64) =
    # 2 * 2 * (36,864 + 128) = 147,968 params; layer4 out 512x7x7
    nodes, _, _ = read_mermaid(to_mermaid(build_diagram(
        analyze_file(EXAMPLES / "resnet18.yaml"), 1)))
    assert "layer1\nstage: 14 layers, 148.0k params\n64x56x56" in nodes.values()
    assert any(v.startswith("layer4\n") and v.endswith("\n512x7x7") for v in nodes.values())


# --- hostile names ----------------------------------------------------------------------------

_NAMES = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)


def _hostile_analysis(layer: str, block: str, title: str):
    text = spec_text([{"b": {}, "name": block},
                      {"conv": {"filters": 2, "kernel": 1}, "name": layer}],
                     [3, 4, 4], name=title,
                     blocks={"b": {"layers": [{"relu": None, "name": "r"}]}})
    return analyze_text(text, "hostile.yaml")


@settings(max_examples=60, suppress_health_check=[HealthCheck.filter_too_much])
@given(layer=_NAMES, block=_NAMES, title=_NAMES)
def test_hostile_names_give_valid_mermaid_that_shows_them(layer: str, block: str,
                                                          title: str) -> None:
    from cnncalc.errors import SpecError

    try:
        analysis = _hostile_analysis(layer, block, title)
    except SpecError:
        return  # a name the spec refuses (empty, a duplicate) is not drawn at all
    nodes, _, subgraphs = read_mermaid(to_mermaid(build_diagram(analysis)))
    shown = analysis.network.nodes[-1].name
    assert one_line(shown) in [label.split("\n")[0] for label in nodes.values()]
    assert f"{one_line(block)} (b)" in subgraphs.values()


@needs_dot
@pytest.mark.parametrize("name", ['a"b\\c', "<script>alert(1)</script>", "x&amp;#35;",
                                  "l1\nl2\r\u202e", "]]>--></b>", "名前 ✓ 😀", "{a|b}"])
def test_hostile_names_reach_the_svg_as_text(name: str) -> None:
    analysis = _hostile_analysis(name, f"blk {name}", f"net {name}")
    svg = draw("diagram", "svg", to_dot(build_diagram(analysis)))
    root = ET.fromstring(svg)   # well-formed XML: nothing escaped into markup
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert one_line(name) in texts                  # the layer's box, its first line
    assert f"net {one_line(name)}" in texts         # the title
    assert f"blk {one_line(name)} (b)" in texts     # the block's cluster
    assert not root.findall(".//{http://www.w3.org/2000/svg}script")


# --- pictures as files --------------------------------------------------------------------------

def _png_facts(data: bytes) -> tuple[int, int, bool]:
    """Width, height, and whether the pixels differ, read as the PNG spec lays it out
    (IHDR, zlib-compressed IDAT rows each led by a filter byte); 8-bit RGB or RGBA."""
    assert data.startswith(PNG_SIGNATURE)
    at, idat, header = 8, b"", b""
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        at += 12 + length
    width, height, bits, colour = struct.unpack(">IIBB", header[:10])
    assert bits == 8 and colour in (2, 6)
    raw = zlib.decompress(idat)
    stride = width * (3 if colour == 2 else 4) + 1
    assert len(raw) == stride * height
    # filter type 0 (None) rows are raw pixels; the first row is never 'Up'. Rows differ
    # from each other, or a row's bytes differ, in any drawing with a line on white
    rows = {raw[i * stride + 1:(i + 1) * stride] for i in range(height)}
    return width, height, len(rows) > 1


@needs_dot
def test_png_opens_with_a_reasonable_size_and_is_not_blank(tmp_path: Path) -> None:
    out = tmp_path / "net.png"
    result = run("diagram", str(EXAMPLES / "lenet5.yaml"), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    width, height, varied = _png_facts(out.read_bytes())
    assert 60 <= width <= 2000 and 300 <= height <= 5000   # a tall chain of 14 boxes
    assert height > 3 * width
    assert varied
    pyplot_image = pytest.importorskip("matplotlib.image")
    pixels = pyplot_image.imread(str(out))
    assert pixels.shape[:2] == (height, width) and pixels.std() > 0.05


@needs_dot
@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("depth", [None, 1])
def test_every_example_renders_in_all_four_formats(example: Path, depth: int | None,
                                                   tmp_path: Path) -> None:
    extra = [] if depth is None else ["--depth", str(depth)]
    for suffix in ("mmd", "dot", "svg", "png"):
        out = tmp_path / f"net.{suffix}"
        result = run("diagram", str(example), "-o", str(out), *extra)
        assert result.exit_code == 0, result.stderr
        data = out.read_bytes()
        if suffix == "mmd":
            read_mermaid(data.decode())
        elif suffix == "dot":
            _plain(data.decode())
        elif suffix == "svg":
            ET.fromstring(data)
            assert read_stamp(data) == expected_stamp("diagram", "svg",
                                                      (tmp_path / "net.dot").read_text())
        else:
            assert _png_facts(data)[2]
            assert read_stamp(data) == expected_stamp("diagram", "png",
                                                      (tmp_path / "net.dot").read_text())


@needs_dot
@pytest.mark.parametrize("fmt", ["mermaid", "dot", "svg", "png"])
def test_two_runs_write_the_same_bytes(fmt: str, tmp_path: Path) -> None:
    outs = [tmp_path / f"{k}.{fmt}" for k in (1, 2)]
    for out in outs:
        assert run("diagram", str(EXAMPLES / "googlenet.yaml"), "--depth", "1",
                   "--format", fmt, "-o", str(out)).exit_code == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()


def _graphviz_version() -> str:
    done = subprocess.run([DOT, "-V"], capture_output=True, timeout=30, check=True)
    return done.stderr.decode().strip()


def _normalised_svg(data: bytes) -> tuple[list[str], int, int]:
    """What a reader sees, apart from coordinates: the texts in order, nodes and edges."""
    root = ET.fromstring(data)
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    groups = [g.get("class") for g in root.iter("{http://www.w3.org/2000/svg}g")]
    return texts, groups.count("node"), groups.count("edge")


@needs_dot
def test_golden_svg_of_lenet5(tmp_path: Path) -> None:
    """tests/fixtures/diagram/lenet5.svg, drawn by the Graphviz in lenet5.graphviz-version;
    byte for byte under that version, else compared in its normalised form. Regenerate
    with `CNNCALC_REGENERATE_GOLDEN=1 pytest tests/test_diagram.py` after a deliberate
    change (and look at the picture)."""
    out = tmp_path / "lenet5.svg"
    assert run("diagram", str(EXAMPLES / "lenet5.yaml"), "-o", str(out)).exit_code == 0
    golden, version_file = GOLDEN / "lenet5.svg", GOLDEN / "lenet5.graphviz-version"
    if os.environ.get("CNNCALC_REGENERATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_bytes(out.read_bytes())
        version_file.write_text(_graphviz_version() + "\n")
    if version_file.read_text().strip() == _graphviz_version():
        assert out.read_bytes() == golden.read_bytes()
    else:
        assert _normalised_svg(out.read_bytes()) == _normalised_svg(golden.read_bytes())
    # what the golden shows, by hand: 14 boxes, 13 arrows, LeNet's sizes in order
    texts, boxes, arrows = _normalised_svg(golden.read_bytes())
    assert (boxes, arrows) == (14, 13)
    assert texts[:4] == ["lenet5", "input", "1x32x32", "conv1"]


# --- the command line ----------------------------------------------------------------------------

def test_without_dot_a_picture_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    for suffix in ("svg", "png"):
        out = tmp_path / f"net.{suffix}"
        result = run("diagram", str(EXAMPLES / "lenet5.yaml"), "-o", str(out))
        assert result.exit_code == 2
        assert result.stderr == (f"cnncalc: writing {suffix.upper()} needs Graphviz's dot on "
                                 f"PATH (apt-get install graphviz / brew install graphviz); "
                                 f"or use --format mermaid|dot\n")
        assert not out.exists()
    # the text formats need nothing installed
    assert run("diagram", str(EXAMPLES / "lenet5.yaml"), "--format", "dot").exit_code == 0
    assert run("diagram", str(EXAMPLES / "lenet5.yaml")).stdout.startswith("flowchart TB\n")


@pytest.mark.parametrize("args,message", [
    (["-o", "net.txt"], "cannot tell the format from the suffix .txt"),
    (["--format", "png"], "a PNG is written to a file: give -o FILE.png"),
    (["--depth", "-1"], "-1 is not in the range x>=0"),
])
def test_usage_errors(args: list[str], message: str, tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("diagram", str(EXAMPLES / "lenet5.yaml"), *args)
    assert result.exit_code == 2 and message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_bad_spec_is_one_located_line(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("input: [3, 8, 8]\nlayers:\n  - conv: {filters: 0, kernel: 3}\n")
    result = run("diagram", str(spec))
    assert result.exit_code == 2
    assert re.fullmatch(rf"{re.escape(str(spec))}:3:\d+: .+\n", result.stderr)


def test_diagram_is_loaded_only_when_used() -> None:
    code = ("import sys; from cnncalc.cli import main; "
            "sys.exit(any(m.startswith(('cnncalc.diagram', 'cnncalc.pictures', "
            "'cnncalc.cli.diagram')) for m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60, check=False)
    assert done.returncode == 0


@needs_dot
def test_graphviz_is_stopped_past_its_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    from cnncalc.diagram import graphviz
    from cnncalc.pictures import DrawingError

    monkeypatch.setattr(graphviz, "MAX_OUTPUT_BYTES", 1000)
    with pytest.raises(DrawingError, match="more than the 1,000 bytes allowed"):
        graphviz.draw("digraph { a -> b }", "svg")
    monkeypatch.setattr(graphviz, "MAX_OUTPUT_BYTES", 10**8)
    with pytest.raises(DrawingError, match=r"failed \(exit 1\): Error: <stdin>: syntax"):
        graphviz.draw("digraph { a -> ", "svg")


# --- Mermaid's default limits (maxEdges 500, maxTextSize 50,000: mermaid.js.org config schema)

def _chain(convs: int) -> str:
    return "input: [8, 32, 32]\nlayers:\n" + \
        "  - conv: {filters: 8, kernel: 3, padding: 1}\n" * convs


def test_a_mermaid_diagram_past_500_arrows_is_written_with_a_warning(tmp_path: Path) -> None:
    spec = tmp_path / "long.yaml"
    spec.write_text(_chain(499))    # input -> 499 convs -> output: 500 arrows, drawn
    fits = run("diagram", str(spec))
    assert fits.exit_code == 0 and fits.stderr == ""
    spec.write_text(_chain(500))    # 501 arrows
    over = run("diagram", str(spec))
    assert over.exit_code == 0 and over.stdout.startswith("flowchart TB\n")
    assert over.stderr == ("cnncalc: warning: this Mermaid diagram has 501 arrows; Mermaid "
                           "(and GitHub and GitLab with it) draws at most 500 arrows: cut it "
                           "with --depth N, or draw a file with -o FILE.svg\n")
    assert run("diagram", str(spec), "--depth", "0").stderr == ""


def test_a_document_region_mermaid_would_refuse_is_one_located_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "long.yaml").write_text(_chain(500))
    (tmp_path / "doc.md").write_text("# Net\n\n<!-- cnncalc:diagram long.yaml -->\n"
                                     "<!-- /cnncalc -->\n")
    monkeypatch.chdir(tmp_path)
    result = run("check", "--fix", "doc.md")
    assert result.exit_code == 2
    assert result.stderr.startswith("doc.md:3:1: this Mermaid diagram has 501 arrows")
    assert (tmp_path / "doc.md").read_text().count("\n") == 4  # untouched


def test_every_example_fits_mermaid_at_full_depth() -> None:
    from cnncalc.diagram.mermaid import too_large
    for path in sorted(EXAMPLES.glob("*.yaml")):
        assert too_large(to_mermaid(build_diagram(analyze_file(path), None))) is None, path
