"""The lint, rules and check commands; cnncalc/cli.py adds them to the `cnncalc` group.

Exit codes: 0 clean, 1 findings at or above --fail-on (or stale tables), 2 unreadable input
or usage.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path

import click

from ..errors import Location, Problem, SpecError
from ..files import inside, read_text, repository_root, write_atomic
from ..lint.config import load_config
from ..lint.diagnostic import SEVERITIES, Diagnostic, Severity
from ..lint.docs import (
    all_rules,
    rule_markdown,
    rule_text,
    rules_json,
    rules_markdown,
    rules_table,
    rules_text,
)
from ..lint.markdown import DocumentCheck, check_document
from ..lint.output import FORMATS, render, summary
from ..lint.registry import RULES, selected, unknown_patterns
from ..lint.sources import MARKDOWN, SpecFiles, gather
from ..pictures import DrawingError, RendererMissing
from ..text import one_line
from .problems import fail


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


_fail = fail


def _note(text: str) -> None:
    click.echo(one_line(text), err=True)


class _Run:
    """One run's findings and unreadable inputs, each reported once: a document and a
    directory walk may both reach a spec (dedupe by code, file, line, column, message)."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str, int, int, str], Diagnostic] = {}
        self.problems: dict[str, Problem] = {}

    def add(self, diagnostics: Iterable[Diagnostic]) -> None:
        for d in diagnostics:
            key = (d.code, os.path.realpath(d.path), d.line, d.column, d.message)
            self.found.setdefault(key, d)

    def fail(self, error: SpecError) -> None:
        for problem in error.problems:
            line = one_line(str(problem))
            if line not in self.problems:
                self.problems[line] = problem
                click.echo(line, err=True)

    def report(self, fmt: str, fail_on: Severity) -> None:
        found = list(self.found.values())
        try:
            version = metadata.version("cnncalc")
        except metadata.PackageNotFoundError:
            version = ""
        text = render(found, fmt, version, repository_root())
        if text:
            click.echo(text)
        if found or not self.problems:  # "no findings" beside a problem would read as a pass
            click.echo(summary(found), err=True)
        if self.problems:
            sys.exit(2)
        sys.exit(1 if any(d.severity.rank >= fail_on.rank for d in found) else 0)


def _options(command: Callable[..., None]) -> Callable[..., None]:
    for option in reversed((
        click.option("--select", multiple=True, metavar="CODES",
                     help="Only these codes or prefixes, comma-separated: ALL, DEFAULT (every "
                          "rule but the info notes; the default, or [tool.cnncalc] select), "
                          "S, C101, ..."),
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
@click.argument("specs", nargs=-1, required=True, type=click.Path())
@_options
def lint_command(specs: tuple[str, ...], select: tuple[str, ...], ignore: tuple[str, ...],
                 fmt: str, fail_on: str | None) -> None:
    """Find design mistakes in spec files: legal, but wrong.

    Each finding is PATH:LINE:COL: CODE message, at the layer in the YAML. Silence one on a
    layer with `lint: {ignore: [CODE]}`, or for a file with a top-level `lint:`.
    Directories are searched recursively for .yaml/.yml files with a top-level `input:` or
    `layers:`, as `cnncalc check` does.

    \b
    Examples:
      cnncalc lint examples/vgg16.yaml
      cnncalc lint specs/ --ignore C --format github
    """
    chosen, ignored, severity = _settings(select, ignore, fail_on)
    root = repository_root()
    files = SpecFiles(root, select=chosen, ignore=ignored)
    run = _Run()
    for spec in gather(specs, root, markdown=False, note=_note):
        try:
            run.add(files.lint(str(spec)))
        except SpecError as error:
            run.fail(error)
    run.report(fmt, severity)


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


@click.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--fix", is_flag=True,
              help="Rewrite stale generated tables in place and redraw stale pictures "
                   "(nothing else is touched; only files inside the repository root, "
                   "atomically; nothing at all unless every document could be checked).")
@click.option("--allow-outside", is_flag=True,
              help="Let documents name spec files outside the repository root (the git top "
                   "level, else the current folder).")
@_options
def check_command(paths: tuple[str, ...], fix: bool, allow_outside: bool,
                  select: tuple[str, ...], ignore: tuple[str, ...], fmt: str,
                  fail_on: str | None) -> None:
    """For CI: lint spec files and Markdown design docs, and check their generated tables.

    In Markdown, a ```cnncalc fenced block holds a spec (or names a spec file) and is
    linted; a region between <!-- cnncalc:summary PATH [--depth N] --> and
    <!-- /cnncalc --> (views: shapes, params, rf, summary, diagram; also cnncalc:rules)
    must equal what cnncalc renders now; <!-- cnncalc:diagram PATH -o FILE.svg --> embeds
    a picture whose stamp must match what cnncalc draws now.
    Markers inside code blocks and HTML comments are examples and are left alone.
    Directories are searched recursively. A spec found twice is reported once.

    \b
    Examples:
      cnncalc check README.md docs examples
      cnncalc check --fix docs/design.md
    """
    chosen, ignored, severity = _settings(select, ignore, fail_on)
    root = repository_root()
    specs = SpecFiles(root, allow_outside, chosen, ignored)
    run = _Run()
    fixes: list[tuple[Path, str, DocumentCheck]] = []
    for path in gather(paths, root, markdown=True, note=_note):
        try:
            if not path.name.endswith(MARKDOWN):
                run.add(specs.lint(str(path)))
                continue
            text = read_text(path, "document")
            result = check_document(str(path), text, chosen, ignored, specs)
            if fix and (result.mended != text or result.pictures):
                run.add(d for d in result.diagnostics if d.code not in FIXED)
                fixes.append((path, text, result))
            else:
                run.add(result.diagnostics)
        except SpecError as error:
            run.fail(error)
    if fixes and run.problems:  # nothing half-written: every document checked, or none fixed
        click.echo("cnncalc: --fix wrote nothing, as not every document could be checked",
                   err=True)
        for _, _, result in fixes:
            run.add(d for d in result.diagnostics if d.code in FIXED)
        fixes = []
    _fix(fixes, root, run)
    run.report(fmt, severity)


FIXED = ("D101", "D102")  # what --fix mends: stale regions, stale or missing pictures


def _fix(fixes: list[tuple[Path, str, DocumentCheck]], root: Path, run: _Run) -> None:
    """Draw every picture first (a missing renderer: one line, exit 2, nothing written),
    then write the pictures, then the documents that embed them."""
    drawn: dict[str, bytes] = {}
    for _, _, result in fixes:
        for picture in result.pictures:
            try:
                drawn.setdefault(picture.path, picture.draw())
            except RendererMissing as error:
                click.echo(f"cnncalc: {error}", err=True)
                sys.exit(2)
            except DrawingError as error:
                run.fail(SpecError.at(Location(picture.document, picture.line, 1),
                                      f"cannot draw {picture.shown}: {error}"))
    written: set[str] = set()   # two documents may embed one picture: written once
    for path, text, result in fixes:
        unfixed = [d for d in result.diagnostics if d.code in FIXED]
        try:
            wrote = 0
            for picture in result.pictures:
                if picture.path not in drawn:
                    raise SpecError.at(Location(str(path), picture.line, 1),
                                       f"{picture.shown} was not drawn; {path} was left as "
                                       f"it was")
                if picture.path not in written:
                    os.makedirs(os.path.dirname(picture.path) or ".", exist_ok=True)
                    _rewrite(Path(picture.path), drawn[picture.path], root)
                    written.add(picture.path)
                wrote += 1
            if result.mended != text:
                _rewrite(path, result.mended.encode("utf-8"), root)
        except SpecError as error:
            run.fail(error)
            run.add(unfixed)
            continue
        said = [f"rewrote {result.stale} stale region{'s' * (result.stale != 1)}"] \
            if result.mended != text else []
        said += [f"drew {wrote} picture{'s' * (wrote != 1)}"] if wrote else []
        click.echo(f"{one_line(str(path))}: {', '.join(said)}", err=True)


def _rewrite(path: Path, data: bytes, root: Path) -> None:
    """Replace a file atomically, never outside the repository root: a file that is a
    symlink is written at its target, and only when that target lies inside."""
    target = Path(os.path.realpath(path))
    if not inside(target, root):
        raise SpecError.at(Location(str(path), 1, 1), f"--fix will not write it: it resolves "
                                                      f"to {target}, outside the repository "
                                                      f"root ({root}); it was left as it was")
    try:
        write_atomic(target, data)
    except SpecError as error:   # located at the path the user named, not its target
        raise SpecError([Problem(Location(str(path), 1, 1), p.message)
                         for p in error.problems]) from None


__all__ = ["check_command", "lint_command", "rules_command"]
