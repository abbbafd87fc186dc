"""The lint, rules and check commands; cnncalc/cli.py adds them to the `cnncalc` group.

Exit codes: 0 clean, 1 findings at or above --fail-on (or stale tables), 2 unreadable input
or usage.
"""
from __future__ import annotations

import os
import re
import sys
from importlib import metadata
from pathlib import Path

import click

from ..errors import Location, SpecError
from .config import load_config
from .diagnostic import SEVERITIES, Diagnostic, Severity
from .docs import (
    all_rules,
    rule_markdown,
    rule_text,
    rules_json,
    rules_markdown,
    rules_table,
    rules_text,
)
from .engine import lint_file
from .markdown import check_document
from .output import FORMATS, render, summary
from .registry import RULES, selected, unknown_patterns

MARKDOWN = (".md", ".markdown")
YAML = (".yaml", ".yml")
_SPEC_KEY = re.compile(r"^(input|layers)\s*:", re.MULTILINE)
_SKIP_DIRS = {"node_modules", "__pycache__"}


def _codes(values: tuple[str, ...], option: str) -> tuple[str, ...]:
    """'S,R101' given once or more -> ('S', 'R101'); a pattern naming no rule is refused."""
    codes = tuple(c.strip() for v in values for c in v.split(",") if c.strip())
    unknown = unknown_patterns(codes)
    if unknown:
        raise click.BadParameter(f"no rule has the code or prefix {', '.join(unknown)}; see "
                                 f"`cnncalc rules`", param_hint=option)
    return codes


def _settings(select: tuple[str, ...], ignore: tuple[str, ...], fail_on: str | None
              ) -> tuple[tuple[str, ...], tuple[str, ...], Severity]:
    """Command-line options over [tool.cnncalc]: --select replaces, --ignore adds."""
    try:
        config = load_config()
    except SpecError as error:
        _fail(error)
        raise  # unreachable: _fail exits
    if config.note:
        click.echo(config.note, err=True)
    chosen = _codes(select, "--select") or config.select
    return chosen, config.ignore + _codes(ignore, "--ignore"), \
        Severity(fail_on) if fail_on else config.fail_on


def _fail(error: SpecError) -> None:
    for problem in error.problems:
        click.echo(str(problem), err=True)
    sys.exit(2)


def _report(found: list[Diagnostic], fmt: str, fail_on: Severity, unreadable: bool) -> None:
    try:
        version = metadata.version("cnncalc")
    except metadata.PackageNotFoundError:
        version = ""
    text = render(found, fmt, version)
    if text:
        click.echo(text)
    click.echo(summary(found), err=True)
    if unreadable:
        sys.exit(2)
    sys.exit(1 if any(d.severity.rank >= fail_on.rank for d in found) else 0)


def _options(command: click.Command) -> click.Command:
    for option in reversed((
        click.option("--select", multiple=True, metavar="CODES",
                     help="Only these codes or prefixes, comma-separated (default: all, or "
                          "[tool.cnncalc] select)."),
        click.option("--ignore", multiple=True, metavar="CODES",
                     help="Skip these codes or prefixes, comma-separated (added to "
                          "[tool.cnncalc] ignore)."),
        click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
                     show_default=True,
                     help="text: PATH:LINE:COL: CODE message; github: workflow annotations; "
                          "sarif: SARIF 2.1.0 for code scanning."),
        click.option("--fail-on", type=click.Choice(SEVERITIES), default=None,
                     help="Lowest severity that makes the exit code 1 (default: warning, or "
                          "[tool.cnncalc] fail-on)."),
    )):
        command = option(command)
    return command


@click.command("lint")
@click.argument("specs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_options
def lint_command(specs: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...],
                 fmt: str, fail_on: str | None) -> None:
    """Find design mistakes in spec files: legal, but wrong.

    Each finding is PATH:LINE:COL: CODE message, at the layer in the YAML. Silence one on a
    layer with `lint: {ignore: [CODE]}`, or for a file with a top-level `lint:`.

    \b
    Examples:
      cnncalc lint examples/vgg16.yaml
      cnncalc lint specs/*.yaml --ignore C --format github
    """
    chosen, ignored, severity = _settings(select, ignore, fail_on)
    found: list[Diagnostic] = []
    unreadable = False
    for spec in specs:
        try:
            found += lint_file(spec, chosen, ignored)
        except SpecError as error:
            unreadable = True
            for problem in error.problems:
                click.echo(str(problem), err=True)
    _report(found, fmt, severity, unreadable)


@click.command("rules")
@click.argument("code", required=False)
@click.option("--format", "fmt", type=click.Choice(("text", "markdown", "json")),
              default="text", show_default=True)
@click.option("--all", "full", is_flag=True,
              help="Every rule's full documentation, not the one-line list.")
def rules_command(code: str | None, fmt: str, full: bool) -> None:
    """List the lint rules, or document one (`cnncalc rules S101`) or a family (`S`).

    \b
    Examples:
      cnncalc rules
      cnncalc rules P102
      cnncalc rules --format markdown     # the table in the README
    """
    if code and code in RULES and not full:
        rule = RULES[code]
        click.echo(rule_markdown(rule) if fmt == "markdown" else
                   rules_json([rule]) if fmt == "json" else rule_text(rule))
        return
    rules = selected((code,)) if code else all_rules()
    if not rules:
        raise click.BadParameter(f"no rule has the code or prefix {code!r}", param_hint="CODE")
    if fmt == "json":
        click.echo(rules_json(rules))
    elif fmt == "markdown":
        click.echo(rules_markdown(rules) if full else rules_table(rules))
    else:
        click.echo("\n\n".join(rule_text(r) for r in rules) if full else rules_text(rules))


def _is_spec(path: Path) -> bool:
    """A YAML file is a spec when it has a top-level `input:` or `layers:`."""
    try:
        return bool(_SPEC_KEY.search(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return True  # let the spec reader say what is wrong


def _gather(paths: tuple[str, ...]) -> list[Path]:
    """Markdown documents and spec files: as given, and found under directories."""
    found: list[Path] = []
    for given in map(Path, paths):
        if given.is_dir():
            for folder, dirs, files in os.walk(given):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in
                                 _SKIP_DIRS)
                found += [Path(folder, f) for f in sorted(files)
                          if f.endswith(MARKDOWN) or f.endswith(YAML)]
        else:
            found.append(given)
    return [p for p in found if not p.name.endswith(YAML) or _is_spec(p)]


@click.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--fix", is_flag=True,
              help="Rewrite stale generated tables in place (nothing else is touched).")
@_options
def check_command(paths: tuple[str, ...], fix: bool, select: tuple[str, ...],
                  ignore: tuple[str, ...], fmt: str, fail_on: str | None) -> None:
    """For CI: lint spec files and Markdown design docs, and check their generated tables.

    In Markdown, a ```cnncalc fenced block holds a spec (or names a spec file) and is
    linted; a region between <!-- cnncalc:summary PATH --> and <!-- /cnncalc --> (views:
    shapes, params, rf, summary; also cnncalc:rules) must equal what cnncalc renders now.
    Directories are searched recursively.

    \b
    Examples:
      cnncalc check README.md docs examples
      cnncalc check --fix docs/design.md
    """
    chosen, ignored, severity = _settings(select, ignore, fail_on)
    found: list[Diagnostic] = []
    unreadable = False
    for path in _gather(paths):
        try:
            if path.name.endswith(MARKDOWN):
                found += _check_markdown(path, chosen, ignored, fix)
            else:
                found += lint_file(str(path), chosen, ignored)
        except SpecError as error:
            unreadable = True
            for problem in error.problems:
                click.echo(str(problem), err=True)
    _report(found, fmt, severity, unreadable)


def _check_markdown(path: Path, select: tuple[str, ...], ignore: tuple[str, ...],
                    fix: bool) -> list[Diagnostic]:
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError.at(Location(str(path), 1, 1), f"cannot read the document: {err}"
                           ) from None
    result = check_document(str(path), text, select, ignore)
    if fix and result.mended != text:
        path.write_bytes(result.mended.encode("utf-8"))
        click.echo(f"{path}: rewrote {result.stale} stale region"
                   f"{'s' * (result.stale != 1)}", err=True)
        return [d for d in result.diagnostics if d.code != "D101"]
    return list(result.diagnostics)


__all__ = ["check_command", "lint_command", "rules_command"]
