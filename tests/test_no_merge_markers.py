"""No file keeps a merge's conflict markers: a Markdown file would still render, so nothing
else would notice."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^(<{7} |>{7} |={7}$)", re.MULTILINE)


def test_no_conflict_markers_in_text_files() -> None:
    found = []
    for pattern in ("*.md", "*.py", "*.yaml", "*.toml", "*.json"):
        for path in ROOT.rglob(pattern):
            if any(part.startswith(".") for part in path.relative_to(ROOT).parts):
                continue
            text = path.read_text(errors="replace")
            if MARKER.search(text):
                found.append(str(path.relative_to(ROOT)))
    assert not found, f"merge conflict markers in {found}"
