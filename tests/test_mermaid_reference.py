"""What Mermaid itself reads from cnncalc's diagrams (recorded by
tests/reference/make_mermaid_reference.py, Mermaid 12.3.0's parser under Node): every
example at full depth and at --depth 1 parses as a flowchart with one vertex per layer,
input and output and one edge per arrow of the built graph, and hostile layer names come
back as the names written. The tests need no Node: they hold the record against the text
cnncalc writes now, by its SHA-256."""
from __future__ import annotations

import hashlib
import json

import pytest
import yaml
from conftest import ROOT, graph_counts

from cnncalc.diagram.mermaid import to_mermaid
from cnncalc.diagram.model import build_diagram

RECORD = json.loads((ROOT / "tests" / "reference" / "mermaid.json").read_text("utf-8"))
CASES = RECORD["cases"]
RERUN = "the Mermaid cnncalc writes changed: rerun tests/reference/make_mermaid_reference.py"


def _text(arguments: list[str], tmp_path) -> str:
    from make_mermaid_reference import HOSTILE

    from cnncalc.analysis import analyze_file

    if arguments[0] == "SPEC":
        spec = tmp_path / "hostile.yaml"
        spec.write_text(HOSTILE, encoding="utf-8")
    else:
        spec = ROOT / arguments[0]
    depth = int(arguments[arguments.index("--depth") + 1]) if "--depth" in arguments else None
    return to_mermaid(build_diagram(analyze_file(spec), depth))


@pytest.fixture(autouse=True)
def _reference_scripts_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "tests" / "reference"))


def test_every_example_is_recorded_at_both_depths() -> None:
    stems = sorted(p.stem for p in (ROOT / "examples").glob("*.yaml"))
    assert sorted(CASES) == sorted([*stems, *(f"{s} --depth 1" for s in stems),
                                    "hostile names"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_mermaid_parsed_what_cnncalc_writes_now(name: str, tmp_path) -> None:
    case = CASES[name]
    text = _text(case["arguments"], tmp_path)
    assert hashlib.sha256(text.encode()).hexdigest() == case["sha256"], RERUN
    assert "error" not in case, case.get("error")
    assert case["type"] == "flowchart-v2"


@pytest.mark.parametrize("name", sorted(n for n in CASES if "--depth" not in n and
                                        n != "hostile names"))
def test_mermaid_reads_one_vertex_per_layer_and_one_edge_per_arrow(name: str) -> None:
    assert (CASES[name]["vertices"], CASES[name]["edges"]) == graph_counts(
        ROOT / "examples" / f"{name}.yaml")


def test_hostile_names_come_back_as_written() -> None:
    from make_mermaid_reference import HOSTILE

    written = [entry["name"] for entry in yaml.safe_load(HOSTILE)["layers"]]
    labels = CASES["hostile names"]["labels"]
    assert [label[0] for label in labels[1:-1]] == written
    assert labels[0][0] == "input" and labels[-1][0] == f"output {written[-1]}"
