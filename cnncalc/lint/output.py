"""Diagnostics as text, JSON, GitHub workflow annotations or SARIF 2.1.0. Renders only."""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import Any

from .diagnostic import Diagnostic, Severity
from .registry import RULES, Rule

FORMATS = ("text", "json", "github", "sarif")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL = {Severity.INFO: "note", Severity.WARNING: "warning", Severity.ERROR: "error"}
GITHUB_COMMAND = {Severity.INFO: "notice", Severity.WARNING: "warning", Severity.ERROR: "error"}


def render(diagnostics: Iterable[Diagnostic], fmt: str, version: str = "") -> str:
    """All diagnostics in one format; an empty list renders as an empty document."""
    found = list(diagnostics)
    if fmt == "text":
        return "\n".join(str(d) for d in found)
    if fmt == "json":
        return json.dumps([d.as_dict() for d in found], indent=2)
    if fmt == "github":
        return "\n".join(github_line(d) for d in found)
    if fmt == "sarif":
        return json.dumps(sarif(found, version), indent=2)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_line(d: Diagnostic) -> str:
    """A workflow command that GitHub Actions shows as an annotation on the line."""
    props = (f"file={_escape_property(d.path)},line={d.line},col={d.column},"
             f"title={_escape_property(f'{d.code} {d.name}')}")
    return f"::{GITHUB_COMMAND[d.severity]} {props}::{_escape_data(d.message)}"


def _uri(path: str) -> str:
    """A relative path as a forward-slash URI reference; absolute paths as file URIs."""
    pure = PurePath(path)
    return Path(path).resolve().as_uri() if pure.is_absolute() else pure.as_posix()


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.doc},
        "help": {"text": rule.doc},
        "defaultConfiguration": {"level": SARIF_LEVEL[rule.severity]},
        "properties": {"family": rule.family},
    }


def sarif(diagnostics: list[Diagnostic], version: str = "") -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run: the rules that fired, and one result per finding."""
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
            "artifactLocation": {"uri": _uri(d.path)},
            "region": {"startLine": d.line, "startColumn": d.column},
        }}],
    } for d in diagnostics]
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "columnKind": "unicodeCodePoints",
                      "results": results}]}


def summary(diagnostics: list[Diagnostic]) -> str:
    """'3 findings: 1 error, 2 warning' (for stderr, so stdout stays machine-readable)."""
    if not diagnostics:
        return "no findings"
    counts = [(s, sum(d.severity is s for d in diagnostics)) for s in reversed(Severity)]
    parts = ", ".join(f"{n} {s.value}" for s, n in counts if n)
    return f"{len(diagnostics)} finding{'s' * (len(diagnostics) != 1)}: {parts}"
