"""Names in a spec are hostile: whatever they hold, every output line stays one line with
no control character, Markdown tables keep their columns, CSV stays parseable."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from conftest import run

from cnncalc.text import markdown_cell, one_line

# a newline that would start a GitHub workflow command, an ANSI colour, a pipe, a comma, a
# quote, a right-to-left override, a NUL, DEL and a C1 control, as YAML writes them
HOSTILE_YAML = 'a|b\\n::error::x\\e[31m,\\"q\\"\\u202e\\0\\x7f\\x85'
HOSTILE = 'a|b\n::error::x\x1b[31m,"q"\u202e\x00\x7f\x85'
SHOWN = 'a|b\\n::error::x\\x1b[31m,"q"\\u202e\\x00\\x7f\\x85'
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.mark.parametrize("text,shown", [
    ("plain name_1.conv", "plain name_1.conv"),
    ("tab\there", "tab\\there"),
    ("cr\r\nlf", "cr\\r\\nlf"),
    ("\x1b[2J\x1b]0;title\x07", "\\x1b[2J\\x1b]0;title\\x07"),
    ("line\u2028sep", "line\\u2028sep"),
    ("isolate\u2066x\u2069", "isolate\\u2066x\\u2069"),
    ("Größe 3×3 — ok", "Größe 3×3 — ok"),     # printable text is left alone
])
def test_one_line(text: str, shown: str) -> None:
    assert one_line(text) == shown


def test_markdown_cell_escapes_every_pipe() -> None:
    assert markdown_cell("a|b\n|c") == "a\\|b\\n\\|c"


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "net.yaml").write_text(
        f'name: "net {HOSTILE_YAML}"\ninput: [3, 8, 8]\nlayers:\n'
        f'  - conv: {{filters: 4, kernel: 3}}\n    name: "{HOSTILE_YAML}"\n  - relu\n')
    return "net.yaml"


def clean_lines(text: str) -> list[str]:
    assert not CONTROL.search(text), repr(text)
    return text.splitlines()


def test_table_shows_the_name_escaped(spec: str) -> None:
    lines = clean_lines(run("shapes", spec).stdout)
    assert lines[0] == f"net {SHOWN}"
    assert lines[3].startswith(f"{SHOWN}  conv ")
    assert lines[4].startswith("relu1 ")
    assert not any(line.startswith("::") for line in lines)


def test_markdown_table_keeps_its_columns(spec: str) -> None:
    lines = clean_lines(run("shapes", spec, "--format", "markdown").stdout)
    rows = [line for line in lines if line.startswith("|")]
    unescaped = re.compile(r"(?<!\\)\|")
    assert {len(unescaped.findall(row)) for row in rows} == {6}   # 5 columns everywhere
    assert rows[2].startswith(f"| {SHOWN.replace('|', chr(92) + '|')} | conv ")


def test_csv_is_quoted_and_reads_back(spec: str) -> None:
    out = run("shapes", spec, "--format", "csv").stdout
    clean_lines(out)
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["Layer", "Type", "Config", "Input shape", "Output shape"]
    assert rows[1][:2] == [SHOWN, "conv"] and len(rows) == 3


def test_json_keeps_the_name_losslessly(spec: str) -> None:
    out = run("shapes", spec, "--format", "json").stdout
    clean_lines(out)
    data = json.loads(out)
    assert data["name"] == f"net {HOSTILE}" and data["layers"][0]["name"] == HOSTILE


def test_stale_region_message_stays_on_one_line(spec: str, tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("<!-- cnncalc:shapes net.yaml -->\nold\n<!-- /cnncalc -->\n")
    result = run("check", "doc.md", "--format", "github")
    assert result.exit_code == 1
    assert len(clean_lines(result.stdout)) == 1
