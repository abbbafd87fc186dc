"""Diagnostics as text, JSON, GitHub workflow annotations or SARIF 2.1.0. Renders only.

Every format keeps each finding on its own line(s) whatever a spec's names hold: text goes
through `one_line`, GitHub commands escape their data and properties (so no line of output
can begin a workflow command but the finding's own), JSON and SARIF are JSON strings.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..errors import Location
from ..json_location import location_json
from ..text import one_line
from .diagnostic import Diagnostic, Severity
from .docs import rule_markdown
from .registry import RULES, Rule

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {Severity.INFO: "note", Severity.WARNING: "warning", Severity.ERROR: "error"}
GITHUB_COMMAND = {Severity.INFO: "notice", Severity.WARNING: "warning", Severity.ERROR: "error"}


def render(diagnostics: Iterable[Diagnostic], fmt: str, version: str = "",
           root: Path | None = None) -> str:
    """All diagnostics in one format; an empty list renders as an empty document. SARIF
    gives paths relative to `root` (the repository root; the current folder by default)."""
    found = list(diagnostics)
    if fmt == "text":
        return "\n".join(str(d) for d in found)
    if fmt == "json":
        return json.dumps([finding_json(d) for d in found], indent=2)
    if fmt == "github":
        return "\n".join(github_line(d) for d in found)
    if fmt == "sarif":
        return json.dumps(sarif(found, version, root), indent=2)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def finding_json(d: Diagnostic) -> dict[str, Any]:
    """A finding in cnncalc's JSON: its rule, the place (as every JSON output gives one),
    the message."""
    return {"code": d.code, "name": d.name, "severity": d.severity.value,
            "location": location_json(Location(d.path, d.line, d.column)),
            "message": d.message}


def _escape_data(text: str) -> str:
    """GitHub's escaping of a command's data: '%', CR and LF (other controls shown as
    escapes), so the annotation stays on its line."""
    return one_line(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(d: Diagnostic) -> str:
    """A workflow command that GitHub Actions shows as an annotation on the line."""
    props = (f"file={_escape_property(d.path)},line={d.line},col={d.column},"
             f"title={_escape_property(f'{d.code} {d.name}')}")
    return f"::{GITHUB_COMMAND[d.severity]} {props}::{_escape_data(d.message)}"


SRCROOT = "%SRCROOT%"


def _artifact(path: str, root: Path) -> dict[str, str]:
    """An artifactLocation: a percent-encoded URI relative to the repository root (through
    the %SRCROOT% base), or a file URI for a file outside it."""
    absolute = Path(os.path.abspath(path))
    for candidate in (absolute, absolute.resolve()):
        try:
            relative = candidate.relative_to(root)
        except ValueError:
            continue
        return {"uri": quote(relative.as_posix()), "uriBaseId": SRCROOT}
    return {"uri": absolute.resolve().as_uri()}


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    # no helpUri: SARIF wants an absolute URI, and the project has no fixed home to point
    # at; the full documentation travels in help.text and help.markdown instead
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.doc},
        "help": {"text": rule.doc, "markdown": rule_markdown(rule)},
        "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity]},
        "properties": {"family": rule.family},
    }


def sarif(diagnostics: list[Diagnostic], version: str = "",
          root: Path | None = None) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run: the rules that fired, and one result per finding,
    each file named relative to the repository root `root` (given as %SRCROOT%)."""
    base = (root or Path.cwd()).resolve()
    codes = sorted({d.code for d in diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    driver: dict[str, Any] = {"name": "cnncalc",
                              "rules": [_sarif_rule(RULES[c]) for c in codes]}
    if version:
        driver["version"] = version
    results = [{
        "ruleId": d.code,
        "ruleIndex": index[d.code],
        "level": SARIF_LEVEL[d.severity],
        "message": {"text": d.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": _artifact(d.path, base),
            "region": {"startLine": d.line, "startColumn": d.column},
        }}],
    } for d in diagnostics]
    root_uri = base.as_uri().rstrip("/") + "/"   # a base URI must end with '/'
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver},
                      "originalUriBaseIds": {SRCROOT: {"uri": root_uri}},
                      "columnKind": "unicodeCodePoints",
                      "results": results}]}


def summary(diagnostics: list[Diagnostic]) -> str:
    """'3 findings: 1 error, 2 warnings' (for stderr, so stdout stays machine-readable)."""
    if not diagnostics:
        return "no findings"
    counts = [(s, sum(d.severity is s for d in diagnostics)) for s in reversed(Severity)]
    parts = ", ".join(f"{n} {s.value}{'s' * (n != 1 and s.value != 'info')}"
                      for s, n in counts if n)
    return f"{len(diagnostics)} finding{'s' * (len(diagnostics) != 1)}: {parts}"
