"""DOT text drawn as SVG or PNG by Graphviz's `dot` program, when it is on PATH.

`dot` runs with an argument list (never a shell), the DOT text on standard input, a
timeout, and its output read whole but refused past a size bound. A missing `dot` is
pictures.RendererMissing, whose message says what to install and what works without it;
any other failure is pictures.DrawingError.
"""
from __future__ import annotations

import shutil
import subprocess

from ..pictures import DrawingError, RendererMissing

FORMATS = ("svg", "png")
TIMEOUT_SECONDS = 120
MAX_OUTPUT_BYTES = 64 * 2**20
INSTALL = ("writing {what} needs Graphviz's dot on PATH (apt-get install graphviz / brew "
           "install graphviz); or use --format mermaid|dot")


def dot_program() -> str | None:
    return shutil.which("dot")


def missing_message(fmt: str) -> str:
    return INSTALL.format(what=fmt.upper())


def draw(dot_text: str, fmt: str) -> bytes:
    """The picture `dot -T<fmt>` draws from `dot_text` (fmt 'svg' or 'png').

    Raises RendererMissing when `dot` is not on PATH, and DrawingError when it fails,
    times out or writes more than the bound."""
    if fmt not in FORMATS:
        raise ValueError(f"Graphviz draws {', '.join(FORMATS)} here; not {fmt!r}")
    program = dot_program()
    if program is None:
        raise RendererMissing(missing_message(fmt))
    try:
        done = subprocess.run([program, f"-T{fmt}"], input=dot_text.encode("utf-8"),
                              capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise DrawingError(f"Graphviz's dot took longer than {TIMEOUT_SECONDS} s and was "
                       f"stopped") from None
    except OSError as err:
        raise DrawingError(f"Graphviz's dot could not run: {err.strerror or err}") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise DrawingError(f"Graphviz's dot failed (exit {done.returncode}): "
                       f"{reason[0][:200] if reason else 'no message'}")
    if len(done.stdout) > MAX_OUTPUT_BYTES:
        raise DrawingError(f"Graphviz's dot wrote {len(done.stdout):,} bytes, more than the "
                       f"{MAX_OUTPUT_BYTES:,} allowed")
    return done.stdout


__all__ = ["FORMATS", "INSTALL", "dot_program", "draw", "missing_message"]
