"""`cnncalc plot`: the plotted figures against independent numbers, the pictures opened as a
viewer would open them, determinism, and matplotlib kept optional."""
from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, analyze_layers

from cnncalc.analysis import analyze_file
from cnncalc.cli import main
from cnncalc.pictures import expected_stamp
from cnncalc.plot import PlotData, PlotRow, _crossing, picture, plot_data, render
from cnncalc.stamp import read_stamp

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"

# three 3x3 convs, padding 1, on a 7x7 one-channel input: fields 3, 5, 7 (each adds k - 1 = 2
# at jump 1), so the third is the first whose field reaches the input size 7
THREE_CONVS = [{"conv": {"filters": 4, "kernel": 3, "padding": 1}, "name": "c1"},
               {"conv": {"filters": 4, "kernel": 3, "padding": 1}, "name": "c2"},
               {"conv": {"filters": 2, "kernel": 3, "padding": 1}, "name": "c3"}]


@pytest.fixture(scope="module")
def resnet18():
    return analyze_file(EXAMPLES / "resnet18.yaml")


@pytest.fixture(scope="module")
def small() -> PlotData:
    return plot_data(analyze_layers(THREE_CONVS, [1, 7, 7]))


# --- the figures --------------------------------------------------------------------------

def test_resnet18_stages_hold_torchvisions_parameters(resnet18):
    # torchvision resnet18: sum(p.numel()) over named_children() conv1, bn1, layer1..4, fc
    expected = {"conv1": 9_408, "bn1": 128, "relu": 0, "maxpool": 0, "layer1": 147_968,
                "layer2": 525_568, "layer3": 2_099_712, "layer4": 8_393_728, "avgpool": 0,
                "fc": 513_000}
    rows = {row.name: row for row in plot_data(resnet18, 1).rows}
    assert {name: rows[name].params for name in expected} == expected
    assert rows["layer4"].is_block and rows["layer4"].kind == "stage"


def test_resnet18_layer1_macs_and_memory_by_hand(resnet18):
    # layer1: four 3x3 convs 64 -> 64 at 56x56: 4 * 56*56 * 64 * 64*9 MACs; its 14 layers
    # (conv, bn, relu, conv, bn, add, relu in each of two blocks) each put out 64x56x56
    # float32 values
    rows = {row.name: row for row in plot_data(resnet18, 1, batch=2).rows}
    assert rows["layer1"].macs == 2 * 4 * 56 * 56 * 64 * 64 * 9
    assert rows["layer1"].activation_bytes == 2 * 14 * 64 * 56 * 56 * 4
    assert rows["layer1"].params == 147_968  # parameters do not grow with the batch


def test_three_convs_figures_by_hand(small):
    # params: 4*(1*9)+4, 4*(4*9)+4, 2*(4*9)+2; MACs: 49 outputs each * filters * fan-in;
    # memory: filters * 49 values * 4 bytes (float32)
    assert [r.params for r in small.rows] == [40, 148, 74]
    assert [r.macs for r in small.rows] == [49 * 4 * 9, 49 * 4 * 36, 49 * 2 * 36]
    assert [r.activation_bytes for r in small.rows] == [784, 784, 392]
    assert [r.field for r in small.rows] == [(3, 3), (5, 5), (7, 7)]


def test_the_field_reaches_the_input_at_the_third_conv(small):
    assert small.lines == ((0, 1),) and small.line_label((0, 1)) == "H = W"
    assert [(c.axis, small.rows[c.row].name, c.size, c.by_global) for c in small.crossings] \
        == [(0, "c3", 7, False), (1, "c3", 7, False)]


def test_axes_of_different_sizes_are_drawn_apart():
    # 7 x 11 input: the fields 3, 5, 7 reach H = 7 at c3 and never W = 11
    data = plot_data(analyze_layers(THREE_CONVS, [1, 7, 11]))
    assert data.lines == ((0,), (1,))
    assert [(c.axis, data.rows[c.row].name) for c in data.crossings] == [(0, "c3")]


def test_axes_that_agree_share_a_line():
    # a 3-D net on 8 x 16 x 16: H and W tell the same story (one line, 'H = W'), D its own
    layers = [{"conv": {"filters": 2, "kernel": 3}}, {"conv": {"filters": 2, "kernel": 3}}]
    data = plot_data(analyze_layers(layers, [1, 8, 16, 16]))
    assert data.lines == ((0,), (1, 2))
    assert [data.line_label(line) for line in data.lines] == ["D", "H = W"]


def test_a_field_below_the_input_has_no_crossing():
    data = plot_data(analyze_layers(THREE_CONVS, [1, 9, 9]))
    assert data.crossings == ()


def test_a_global_path_marks_the_layers_after_it():
    # squeeze-and-excitation on a 3x3 conv over 16x16: the gate's global pool reads the
    # fields of all 16 positions, 3 wide and centered at 0..15: -1..16, 18 pixels; the
    # product then sees the whole input through the gate while its local field stays 3
    layers = [{"conv": {"filters": 4, "kernel": 3, "padding": 1}, "name": "c"},
              {"branches": [[], [{"global_avgpool": None, "name": "squeeze"},
                                 {"conv": {"filters": 4, "kernel": 1}, "name": "gate"},
                                 "sigmoid"]],
               "merge": "multiply", "name": "scale"}]
    data = plot_data(analyze_layers(layers, [4, 16, 16]))
    rows = {row.name: row for row in data.rows}
    assert [(data.rows[c.row].name, c.size, c.by_global) for c in data.crossings] == \
        [("squeeze", 18, False)] * 2
    assert rows["scale"].field == (3, 3) and rows["scale"].sees_all == (True, True)


def test_a_crossing_only_a_global_path_makes():
    rows = [PlotRow("a", "conv", False, 0, 0, 0, (3,), (False,), ""),
            PlotRow("b", "add", False, 0, 0, 0, (3,), (True,), "")]
    found = _crossing(rows, 0, 32)
    assert (found.row, found.size, found.by_global) == (1, 3, True)


def test_layers_off_the_main_path_have_no_field_point(resnet18):
    # ResNet-18's downsampling shortcut (conv3, batchnorm3 of layer2.basic1) is off the path
    # the output's field grows along; the body's convs are on it
    rows = {row.name: row for row in plot_data(resnet18).rows}
    assert rows["layer2.basic1.conv3"].field is None
    assert rows["layer2.basic1.conv2"].field == (67, 67)  # Distill: 51 + 2 * 8
    assert rows["fc"].field is not None


def test_depth_0_is_the_network(resnet18):
    (row,) = plot_data(resnet18, 0).rows
    assert row.params == 11_689_512 and row.macs == 1_814_073_344  # torchvision, fvcore


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
@pytest.mark.parametrize("depth", [None, 1])
def test_every_example_plots_its_totals(path, depth):
    analysis = analyze_file(path)
    data = plot_data(analysis, depth)
    totals = analysis.totals
    assert sum(r.params for r in data.rows) == totals.params
    assert sum(r.macs for r in data.rows) == totals.macs
    assert sum(r.activation_bytes for r in data.rows) == totals.activation_bytes
    assert any(r.field is not None for r in data.rows)
    for crossing in data.crossings:
        row = data.rows[crossing.row]
        assert row.field[crossing.axis] >= data.input_size[crossing.axis] or \
            row.sees_all[crossing.axis]


def test_the_source_changes_with_what_is_shown(small):
    base = small.source()
    assert small.source() == base  # canonical
    assert plot_data(analyze_layers(THREE_CONVS, [1, 7, 7]), batch=2).source() != base
    # the stamp tells the formats apart
    assert expected_stamp("plot", "svg", base) != expected_stamp("plot", "png", base)


def test_the_source_alone_gives_the_data_back(small):
    # the picture a document region draws is drawn from the source its stamp digests
    assert PlotData.from_source(small.source()) == small
    wide = plot_data(analyze_file(EXAMPLES / "googlenet.yaml"), 2)
    assert PlotData.from_source(wide.source()) == wide
    with pytest.raises(ValueError):
        PlotData.from_source('{"plot": "cnncalc", "style": -1}')


# --- the pictures -------------------------------------------------------------------------

def _svg_ids(data: bytes) -> list[str]:
    return [element.get("id", "") for element in ET.fromstring(data).iter()]


def test_svg_has_one_bar_per_row_in_each_panel(small):
    pytest.importorskip("matplotlib")
    ids = _svg_ids(render(small, "svg"))
    for panel in ("params", "macs", "activation_bytes"):
        assert sum(i.startswith(f"{panel}-bar-") for i in ids) == 3, panel


def test_png_opens_at_its_size_and_is_not_blank(small, tmp_path):
    image = pytest.importorskip("matplotlib.image")
    data = picture(small, "png")
    assert data.startswith(PNG_SIGNATURE)
    path = tmp_path / "plot.png"
    path.write_bytes(data)
    pixels = image.imread(str(path))
    height, width = pixels.shape[:2]
    assert 600 <= width <= 2400 and 600 <= height <= 1600
    assert pixels[..., :3].std() > 0.05  # bars, lines and text on white
    assert read_stamp(data) == expected_stamp("plot", "png", small.source())


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_the_same_data_draws_the_same_bytes(small, fmt):
    pytest.importorskip("matplotlib")
    assert picture(small, fmt) == picture(small, fmt)


HOSTILE = [{"conv": {"filters": 2, "kernel": 3}, "name": 'a$x$<b>&"q\'\u202eé'},
           {"conv": {"filters": 2, "kernel": 3}, "name": "$"}]


def test_hostile_names_draw_literally_into_valid_svg():
    pytest.importorskip("matplotlib")
    data = plot_data(analyze_layers(HOSTILE, [1, 9, 9]))
    svg = picture(data, "svg")
    ET.fromstring(svg)  # well-formed XML
    assert picture(data, "png").startswith(PNG_SIGNATURE)


# every example, as a reader would get it: SVG at depth 1 for all, every layer for the
# largest and most tangled (hundreds of rows, branches, upsampling); drawing every layer of
# each would double the suite's time for little more (plot_data runs on all of them above)
DRAWN = [(p.stem, 1) for p in sorted(EXAMPLES.glob("*.yaml"))] + [
    (name, None) for name in ("resnet50", "googlenet")]


@pytest.mark.parametrize("name, depth", DRAWN)
def test_every_example_draws(name, depth):
    pytest.importorskip("matplotlib")
    data = plot_data(analyze_file(EXAMPLES / f"{name}.yaml"), depth)
    ids = _svg_ids(picture(data, "svg"))
    assert sum(i.startswith("params-bar-") for i in ids) == len(data.rows)


# --- the command --------------------------------------------------------------------------

def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("suffix", [".svg", ".PNG"])
def test_the_command_writes_a_stamped_picture(tmp_path, suffix):
    pytest.importorskip("matplotlib")
    out = tmp_path / f"cost{suffix}"
    result = run("plot", str(EXAMPLES / "resnet18.yaml"), "--depth", "1", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "11 rows at depth 1" in result.output
    data = plot_data(analyze_file(EXAMPLES / "resnet18.yaml"), 1)
    assert read_stamp(out.read_bytes()) == expected_stamp("plot", suffix[1:].lower(),
                                                         data.source())


def test_the_command_passes_batch_dtype_and_size(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "cost.svg"
    result = run("plot", str(EXAMPLES / "resnet18.yaml"), "-o", str(out), "--batch", "4",
                 "--dtype", "float16", "--input-size", "112", "--depth", "0")
    assert result.exit_code == 0, result.output
    (row,) = plot_data(analyze_file(EXAMPLES / "resnet18.yaml"), 0).rows
    # a quarter of the pixels, four samples, half the bytes per value
    sized = plot_data(_resized(112, "float16"), 0, batch=4)
    assert sized.rows[0].activation_bytes == pytest.approx(row.activation_bytes / 2, rel=0.02)
    assert read_stamp(out.read_bytes()) == expected_stamp("plot", "svg", sized.source())


def _resized(size: int, dtype: str):
    from cnncalc.analysis import analyze
    from cnncalc.build import build
    from cnncalc.spec import load_file

    spec = load_file(EXAMPLES / "resnet18.yaml").replace(dtype=dtype).resized((size,))
    return analyze(build(spec))


@pytest.mark.parametrize("name", ["cost.gif", "cost"])
def test_an_unknown_suffix_is_a_usage_error(tmp_path, name):
    result = run("plot", str(EXAMPLES / "lenet5.yaml"), "-o", str(tmp_path / name))
    assert result.exit_code == 2
    assert ".svg or .png" in result.output
    assert not (tmp_path / name).exists()


def test_a_bad_spec_is_one_located_line(tmp_path, write_spec):
    spec = write_spec("input: [1, 8, 8]\nlayers:\n  - conv: {filters: 0, kernel: 3}\n")
    result = run("plot", spec, "-o", str(tmp_path / "cost.svg"))
    assert result.exit_code == 2
    assert result.output.startswith(f"{spec}:3:")
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "cost.svg").exists()


def test_without_matplotlib_the_command_says_what_to_install(tmp_path, monkeypatch):
    for module in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = tmp_path / "cost.png"
    result = run("plot", str(EXAMPLES / "lenet5.yaml"), "-o", str(out))
    assert result.exit_code == 2
    assert result.output.strip() == \
        "cnncalc: plot needs matplotlib: pip install 'cnncalc[plot]'"
    assert not out.exists()


def test_the_calculator_never_imports_matplotlib():
    code = ("import sys, cnncalc, cnncalc.cli, cnncalc.plot, cnncalc.cli.plot\n"
            "from cnncalc.analysis import analyze_file\n"
            "from cnncalc.plot import plot_data\n"
            f"plot_data(analyze_file({str(EXAMPLES / 'resnet18.yaml')!r}), 1)\n"
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
            "assert 'numpy' not in sys.modules, 'numpy imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120,
                   cwd=Path(__file__).resolve().parent.parent)
