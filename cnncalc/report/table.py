"""Rows as a text table, a GitHub Markdown table or CSV: the one writer every command's
table goes through, with every cell escaped for its format."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from ..text import markdown_cell, one_line

FORMATS = ("table", "markdown", "csv", "json")
EMPTY = "--"


def _cell(value: Any, fmt: str) -> Any:
    """A cell as the format can carry it: names come from the spec and may hold newlines,
    terminal escapes or '|' (Markdown); numbers pass as they are."""
    if not isinstance(value, str):
        return value
    return markdown_cell(value) if fmt == "markdown" else one_line(value)


def table(title: str, rows: list[list[Any]], headers: list[str], fmt: str, align: list[str],
          footer_lines: Callable[[], list[str]]) -> str:
    """Rows as CSV (nothing else), a GitHub Markdown table with the footer as a list, or a
    titled text table with the footer under it. tabulate loads only for the text formats;
    cells keep their leading spaces, which show nesting. Every cell, the title and the
    footer are escaped for the format (`_cell`); CSV is quoted by the csv module."""
    rows = [[_cell(value, fmt) for value in row] for row in rows]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(rows)
        return out.getvalue().rstrip("\n")
    import tabulate

    text = tabulate.tabulate(rows, headers, tablefmt="github" if fmt == "markdown" else "simple",
                             disable_numparse=True, colalign=align, preserve_whitespace=True)
    footer = [one_line(line) for line in footer_lines()]
    if fmt == "markdown":
        return f"{text}\n\n" + "\n".join(f"- {line}" for line in footer)
    return f"{one_line(title)}\n{text}\n\n" + "\n".join(footer)
