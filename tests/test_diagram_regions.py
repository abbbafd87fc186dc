"""Design-document regions for pictures and cut tables: `<!-- cnncalc:diagram SPEC -->` (a
```mermaid block), `-o FILE.svg|png` (an image file verified by its stamp, redrawn by
--fix), `--depth N` on tables and diagrams; bad options are one located line, exit 2; and
--fix writes nothing unless everything could be checked and drawn."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import EXAMPLES, run

from cnncalc.stamp import read_stamp

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository (a folder with .git) holding net.yaml (ResNet-18), as the current
    folder."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    shutil.copy(EXAMPLES / "resnet18.yaml", root / "net.yaml")
    monkeypatch.chdir(root)
    return root


def _doc(root: Path, marker: str, content: str = "old\n", name: str = "doc.md") -> Path:
    doc = root / name
    doc.write_text(f"# Design\n\n<!-- {marker} -->\n{content}<!-- /cnncalc -->\n\nafter\n")
    return doc


def _region(doc: Path) -> str:
    text = doc.read_text()
    return text[text.index("-->\n") + 4:text.index("<!-- /cnncalc -->")]


def test_a_stale_diagram_region_is_found_fixed_and_then_left_alone(repo: Path) -> None:
    doc = _doc(repo, "cnncalc:diagram net.yaml --depth 1")
    result = run("check", "doc.md")
    assert result.exit_code == 1
    assert result.stdout.startswith("doc.md:3:1: D101 the cnncalc:diagram region of "
                                    "'net.yaml' is stale")
    assert run("check", "--fix", "doc.md").exit_code == 0
    mermaid = run("diagram", "net.yaml", "--depth", "1").stdout
    assert _region(doc) == f"\n```mermaid\n{mermaid}```\n\n"
    assert doc.read_text().startswith("# Design\n\n") and doc.read_text().endswith(
        "<!-- /cnncalc -->\n\nafter\n")
    before = doc.read_bytes()
    again = run("check", "--fix", "doc.md")
    assert again.exit_code == 0 and "rewrote" not in again.stderr
    assert doc.read_bytes() == before


def test_a_table_region_takes_depth(repo: Path) -> None:
    doc = _doc(repo, "cnncalc:summary net.yaml --depth 1")
    assert run("check", "--fix", "doc.md").exit_code == 0
    table = run("summary", "net.yaml", "--depth", "1", "--format", "markdown").stdout
    assert _region(doc) == f"\n{table}\n"
    assert "| layer1 " in table and "layer1.basic1" not in table  # cut at the stages


@needs_dot
@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_an_image_region_missing_then_drawn_then_current_then_stale(repo: Path,
                                                                    suffix: str) -> None:
    doc = _doc(repo, f"cnncalc:diagram net.yaml --depth 1 -o img/net.{suffix}",
               f"\n![resnet18](img/net.{suffix})\n\n")
    picture = repo / "img" / f"net.{suffix}"
    result = run("check", "doc.md")
    assert result.exit_code == 1
    assert result.stdout == (f"doc.md:3:1: D102 the diagram picture img/net.{suffix} of "
                             f"'net.yaml' is missing; run `cnncalc check --fix`\n")
    fixed = run("check", "--fix", "doc.md")
    assert fixed.exit_code == 0, fixed.stderr
    assert fixed.stderr == "doc.md: drew 1 picture\nno findings\n"
    assert read_stamp(picture.read_bytes()) is not None
    # the same picture `cnncalc diagram -o` draws, stamp and all
    assert run("diagram", "net.yaml", "--depth", "1", "-o", f"cli.{suffix}").exit_code == 0
    assert picture.read_bytes() == (repo / f"cli.{suffix}").read_bytes()
    assert run("check", "doc.md").exit_code == 0
    before = (doc.read_bytes(), picture.read_bytes())
    assert run("check", "--fix", "doc.md").stderr == "no findings\n"
    assert (doc.read_bytes(), picture.read_bytes()) == before
    # the spec changes: the picture's stamp no longer matches
    spec = repo / "net.yaml"
    spec.write_text(spec.read_text().replace("units: 1000", "units: 10"))
    stale = run("check", "doc.md")
    assert stale.exit_code == 1 and "D102" in stale.stdout and "is stale" in stale.stdout
    assert run("check", "--fix", "doc.md").exit_code == 0
    assert picture.read_bytes() != before[1]
    assert run("check", "doc.md").exit_code == 0


def test_a_picture_cnncalc_did_not_draw_is_unstamped(repo: Path) -> None:
    _doc(repo, "cnncalc:diagram net.yaml -o net.svg", "\n![resnet18](net.svg)\n\n")
    (repo / "net.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    result = run("check", "doc.md")
    assert result.exit_code == 1 and "carries no cnncalc stamp" in result.stdout


def test_check_needs_no_graphviz_and_fix_without_it_writes_nothing(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    other = _doc(repo, "cnncalc:summary net.yaml", name="other.md")   # stale as well
    doc = _doc(repo, "cnncalc:diagram net.yaml -o img/net.svg")
    before = (doc.read_bytes(), other.read_bytes())
    found = run("check", "doc.md", "other.md")
    assert found.exit_code == 1
    assert [line.split()[1] for line in found.stdout.splitlines()] == ["D101", "D102",
                                                                       "D101"]
    fixed = run("check", "--fix", "doc.md", "other.md")
    assert fixed.exit_code == 2
    assert fixed.stderr == ("cnncalc: writing SVG needs Graphviz's dot on PATH (apt-get "
                            "install graphviz / brew install graphviz); or use --format "
                            "mermaid|dot\n")
    assert (doc.read_bytes(), other.read_bytes()) == before
    assert not (repo / "img").exists()


def test_fix_writes_nothing_while_any_document_cannot_be_checked(repo: Path) -> None:
    good = _doc(repo, "cnncalc:summary net.yaml", name="good.md")
    _doc(repo, "cnncalc:summary net.yaml --depth x", name="bad.md")
    before = good.read_bytes()
    result = run("check", "--fix", "good.md", "bad.md")
    assert result.exit_code == 2
    assert "bad.md:3:" in result.stderr and "--fix wrote nothing" in result.stderr
    assert good.read_bytes() == before
    assert "good.md:3:1: D101" in result.stdout


# `<!-- cnncalc:diagram net.yaml ` is 30 characters: the first option is at column 31; a
# bad value is pointed at itself
@pytest.mark.parametrize("marker,message", [
    ("cnncalc:diagram net.yaml --foo 1",
     "31: cnncalc:diagram takes no option '--foo'; expected --depth, -o"),
    ("cnncalc:diagram net.yaml --depth x",
     "39: --depth takes a nesting level, 0 or more; found 'x'"),
    ("cnncalc:diagram net.yaml --depth -1", "31: --depth needs a value"),
    ("cnncalc:diagram net.yaml --depth", "31: --depth needs a value"),
    ("cnncalc:diagram net.yaml --depth 1 --depth 2", "41: --depth is given twice"),
    ("cnncalc:diagram net.yaml -o ../out.svg",
     "34: -o '../out.svg' resolves outside the repository root"),
    ("cnncalc:diagram net.yaml -o /tmp/out.svg",
     "34: -o '/tmp/out.svg' resolves outside the repository root"),
    ("cnncalc:diagram net.yaml -o out.gif",
     "34: -o takes a picture file ending in .svg or .png"),
    ("cnncalc:diagram net.yaml -o a%b.svg",
     "34: -o takes a picture file ending in .svg or .png"),
    ("cnncalc:summary net.yaml -o out.svg",
     "31: cnncalc:summary takes no option '-o'; expected --depth"),
    ("cnncalc:diagram net.yaml other.yaml",
     "31: cnncalc:diagram takes no argument 'other.yaml'; expected --depth, -o"),
    ("cnncalc:rules --depth 1", "1: cnncalc:rules takes no spec path or options"),
    ("cnncalc:diagram --depth 1", "1: cnncalc:diagram needs a spec path"),
])
def test_a_bad_marker_is_one_located_line(repo: Path, marker: str, message: str) -> None:
    doc = _doc(repo, marker)
    before = doc.read_bytes()
    result = run("check", "--fix", "doc.md")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith(f"doc.md:3:{message}")
    assert doc.read_bytes() == before
    assert sorted(p.name for p in repo.iterdir()) == [".git", "doc.md", "net.yaml"]


@needs_dot
def test_two_documents_embedding_one_picture_draw_it_once(repo: Path) -> None:
    for name in ("a.md", "b.md"):
        _doc(repo, "cnncalc:diagram net.yaml --depth 1 -o net.svg",
             "\n![resnet18](net.svg)\n\n", name=name)
    result = run("check", "--fix", "a.md", "b.md")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "a.md: drew 1 picture\nb.md: drew 1 picture\nno findings\n"
    assert run("check", "a.md", "b.md").exit_code == 0


def test_a_picture_view_declares_its_own_options(repo: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # the registry is generic: a view (as `plot` will) declares an option of its own, and
    # its source function receives it as written
    from cnncalc import pictures

    seen: list[pictures.ViewOptions] = []

    def source(analysis: object, options: pictures.ViewOptions) -> str:
        seen.append(options)
        return f"per {options.get('--per')} depth {options.depth}"

    monkeypatch.setitem(pictures.PICTURES, "sketch", pictures.PictureView(
        "test_diagram_regions:_unused", "test_diagram_regions:_unused",
        options=("--depth", "--per")))
    monkeypatch.setattr(pictures, "_function", lambda name: source)
    _doc(repo, "cnncalc:sketch net.yaml --per block --depth 1 -o s.svg",
         "\n![resnet18](s.svg)\n\n")
    result = run("check", "doc.md")
    assert result.exit_code == 1 and "D102 the sketch picture s.svg" in result.stdout
    assert seen == [pictures.ViewOptions(1, (("--per", "block"),))]
    bad = _doc(repo, "cnncalc:sketch net.yaml --size 3", name="bad.md")
    result = run("check", bad.name)
    assert result.exit_code == 2
    assert result.stderr.startswith("bad.md:3:30: cnncalc:sketch takes no option '--size'; "
                                    "expected --depth, --per, -o")


@pytest.mark.parametrize("suffix", ["svg", "png"])
def test_a_plot_region_is_drawn_as_cnncalc_plot_draws_it_and_goes_stale(repo: Path,
                                                                        suffix: str) -> None:
    pytest.importorskip("matplotlib")
    doc = _doc(repo, f"cnncalc:plot net.yaml --depth 1 -o img/cost.{suffix}")
    picture = repo / "img" / f"cost.{suffix}"
    found = run("check", "doc.md")
    assert found.exit_code == 1
    assert f"D102 the plot picture img/cost.{suffix} of 'net.yaml' is missing" in found.stdout
    assert run("check", "--fix", "doc.md").exit_code == 0
    assert _region(doc) == f"\n![resnet18](img/cost.{suffix})\n\n"
    assert run("plot", "net.yaml", "--depth", "1", "-o", f"cli.{suffix}").exit_code == 0
    assert picture.read_bytes() == (repo / f"cli.{suffix}").read_bytes()
    assert run("check", "doc.md").exit_code == 0
    spec = repo / "net.yaml"
    spec.write_text(spec.read_text().replace("units: 1000", "units: 10"))
    stale = run("check", "doc.md")
    assert stale.exit_code == 1 and "is stale" in stale.stdout


def test_a_plot_region_needs_a_file(repo: Path) -> None:
    _doc(repo, "cnncalc:plot net.yaml --depth 1")
    result = run("check", "doc.md")
    assert result.exit_code == 2
    assert result.stderr.startswith("doc.md:3:")
    assert "draws only into a file" in result.stderr and len(result.stderr.splitlines()) == 1
