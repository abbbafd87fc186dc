"""The command line: load, call one library function, render, exit.

Exit codes: 0 clean, 1 mismatches (or findings), 2 unreadable input or usage, 3 an
internal error (a bug: one line, the traceback with --debug), 130 interrupted (Ctrl-C).
"""
from __future__ import annotations

import gc
import sys
from typing import ClassVar

import click

from ..errors import SpecError, show
from .problems import fail
from .tables import TABLES, conv_command, kinds_command, same_command


class LazyGroup(click.Group):
    """A group whose heavier subcommands (lint, check, rules, run) are imported only when
    used, so `cnncalc shapes` never pays for the linter or numpy (click's lazy-loading
    pattern)."""

    lazy: ClassVar[dict[str, str]] = {"lint": "cnncalc.cli.lint:lint_command",
                                       "rules": "cnncalc.cli.lint:rules_command",
                                       "check": "cnncalc.cli.lint:check_command",
                                       "run": "cnncalc.cli.run:run_command",
                                       "import": "cnncalc.cli.import_:import_command",
                                       "export": "cnncalc.cli.export:export_command",
                                       "plot": "cnncalc.cli.plot:plot_command",
                                       "diff": "cnncalc.cli.diff:diff_command",
                                       "diagram": "cnncalc.cli.diagram:diagram_command"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; whatever escapes it ends in one line, never a traceback
        (unless --debug): the spec's problems exit 2, a bug exits 3, Ctrl-C exits 130."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except SpecError as error:  # a command that let one through: still the user's
            fail(error)
        except KeyboardInterrupt:
            sys.exit(130)
        except BrokenPipeError:
            raise  # click's handler: quiet exit once the reader has gone (`| head`)
        except (RecursionError, MemoryError) as error:
            if ctx.params.get("debug"):
                raise
            what = "nests too deeply" if isinstance(error, RecursionError) else \
                "needs more memory than there is"
            click.echo(f"cnncalc: the spec {what} to analyse; simplify it, or rerun with "
                       f"--debug and report it with the spec", err=True)
            sys.exit(2)
        except Exception as error:  # the last line of defence: a bug, said in one line
            if ctx.params.get("debug"):
                raise
            click.echo(internal_error(error), err=True)
            sys.exit(3)
        return None  # unreachable: every handler above exits

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            import importlib

            module, attr = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


def internal_error(error: BaseException) -> str:
    """One line that says a bug happened and how to report it."""
    text = " ".join(str(error).split())[:200]
    return (f"cnncalc: internal error: {type(error).__name__}: {show(text)[1:-1]}; please "
            f"report it at the project's issue tracker with the spec; rerun with --debug "
            f"for the traceback")


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cnncalc")
@click.option("--debug", is_flag=True, envvar="CNNCALC_DEBUG",
              help="On an internal error, show Python's traceback.")
def main(debug: bool) -> None:
    """cnncalc: shapes, parameters, MACs and receptive fields of a CNN written as YAML.

    \b
    Examples:
      cnncalc shapes examples/resnet18.yaml
      cnncalc summary examples/vgg16.yaml --format markdown
      cnncalc params examples/resnet18.yaml --depth 1
      cnncalc conv --input 224 --kernel 7 --stride 2 --padding 3
    """


for _name, _command in TABLES.items():
    main.command(_name)(_command)
for _command in (conv_command, same_command, kinds_command):
    main.add_command(_command)


def entry_point() -> None:
    """The `cnncalc` command. A short-lived process: cycle collections would only walk the
    thousands of small objects a build makes, and everything is freed at exit."""
    gc.disable()
    main()
