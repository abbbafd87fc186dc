"""DOT text drawn as SVG or PNG by Graphviz's `dot` program, when it is on PATH.

`dot` runs with an argument list (never a shell), the DOT text on standard input, a
timeout, and its output read whole but refused past a size bound. A missing `dot` is
pictures.RendererMissing, whose message says what to install and what works without it;
any other failure is pictures.DrawingError.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading

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
    runs past the timeout or writes more than MAX_OUTPUT_BYTES (it is stopped then)."""
    if fmt not in FORMATS:
        raise ValueError(f"Graphviz draws {', '.join(FORMATS)} here; not {fmt!r}")
    program = dot_program()
    if program is None:
        raise RendererMissing(missing_message(fmt))
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen([program, f"-T{fmt}"], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=errors)
        except OSError as err:
            raise DrawingError(f"Graphviz's dot could not run: {err.strerror or err}"
                               ) from None
        data, stopped = _collect(process, dot_text.encode("utf-8"))
        if stopped:
            raise DrawingError(stopped)
        if process.returncode != 0:
            errors.seek(0)
            reason = errors.read(4096).decode("utf-8", "replace").strip().splitlines()
            raise DrawingError(f"Graphviz's dot failed (exit {process.returncode}): "
                               f"{reason[0][:200] if reason else 'no message'}")
    return data


def _collect(process: subprocess.Popen[bytes], text: bytes) -> tuple[bytes, str]:
    """Feed `text` to the process and read its output, stopping it past the timeout or
    the size bound: (output, why it was stopped, or '')."""
    stopped: list[str] = []

    def stop(why: str) -> None:
        stopped.append(why)
        process.kill()

    stdin, stdout = process.stdin, process.stdout
    if stdin is None or stdout is None:
        raise ValueError("the process needs piped standard input and output")

    def feed() -> None:
        try:
            stdin.write(text)
            stdin.close()
        except OSError:
            pass  # it stopped reading: its exit status says why

    late = f"Graphviz's dot took longer than {TIMEOUT_SECONDS} s and was stopped"
    timer = threading.Timer(TIMEOUT_SECONDS, stop, (late,))
    feeder = threading.Thread(target=feed, daemon=True)
    timer.start()
    feeder.start()
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := stdout.read(1 << 16):
            size += len(chunk)
            if size > MAX_OUTPUT_BYTES:
                stop(f"Graphviz's dot wrote more than the {MAX_OUTPUT_BYTES:,} bytes "
                     f"allowed and was stopped")
                break
            chunks.append(chunk)
        process.wait()
    finally:
        timer.cancel()
        feeder.join(timeout=5)
        stdout.close()
    return b"".join(chunks), stopped[0] if stopped else ""


__all__ = ["FORMATS", "INSTALL", "dot_program", "draw", "missing_message"]
