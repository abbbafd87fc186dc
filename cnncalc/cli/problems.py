"""How every command says what is wrong: a spec's problems as one located line each (exit 2,
through click's own exception handling), and the size options several commands share."""
from __future__ import annotations

from typing import IO, Any, NoReturn

import click

from ..errors import SpecError, show
from ..limits import MAX_AXIS
from ..text import one_line


class SpecProblems(click.ClickException):
    """A spec (or a file) that cannot be read or built: every problem on its own located
    line, then exit 2; never a traceback."""

    exit_code = 2

    def __init__(self, error: SpecError):
        super().__init__(str(error))
        self.problems = error.problems

    def show(self, file: IO[Any] | None = None) -> None:
        for problem in self.problems:
            click.echo(one_line(str(problem)), err=True)


def fail(error: SpecError) -> NoReturn:
    raise SpecProblems(error) from None


def parse_sizes(text: str, name: str, least: int = 0, most: int = MAX_AXIS
                ) -> tuple[int, ...]:
    """'7' or '7,5' -> (7,) or (7, 5): one to three axes, each from `least` to `most`."""
    parts = str(text).split(",")
    if len(parts) > 3 or not all(p.strip().isascii() and p.strip().isdigit() and
                                 len(p.strip()) <= 100 for p in parts if
                                 not p.strip().startswith("-")):
        raise click.BadParameter(f"expected an integer or one per axis (at most 3) joined "
                                 f"by commas; found {show(text)}", param_hint=name)
    try:
        values = tuple(int(v) for v in parts)
    except ValueError:
        raise click.BadParameter(f"expected an integer or integers joined by commas; found "
                                 f"{show(text)}", param_hint=name) from None
    if least > 0 and not all(least <= v <= most for v in values):
        raise click.BadParameter(f"sizes must be between {least} and {most:,}; found "
                                 f"{show(text)}", param_hint=name)
    if any(v < 0 for v in values):
        raise click.BadParameter("must not be negative", param_hint=name)
    if any(v > most for v in values):
        raise click.BadParameter(f"must be at most {most:,}", param_hint=name)
    return values


def input_size_option(ctx: click.Context, param: click.Parameter,
                      text: str | None) -> tuple[int, ...] | None:
    """--input-size '64' or '64,48' -> (64,) or (64, 48): every spatial axis, or one size
    per axis."""
    return None if text is None else parse_sizes(text, "--input-size", least=1)
