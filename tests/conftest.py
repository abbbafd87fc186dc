"""Shared helpers: build a spec from Python values and analyse it as a file would be."""
from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings

# shared, noisy machines: a property is judged by its result, never by how long an example took.
# The default profile draws the same examples on every run, so that CI judges the change and
# not the luck of the draw; `--hypothesis-profile=explore` draws new ones (and more of them)
# to look for bugs, and a bug it finds is then pinned as a test of its own.
settings.register_profile("cnncalc", deadline=None, derandomize=True, database=None)
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile("cnncalc")

from cnncalc import analyze_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
REFERENCE = Path(__file__).resolve().parent / "reference"


def spec_text(layers: list[Any], input_shape: list[int], **top: Any) -> str:
    return yaml.safe_dump({"input": input_shape, **top, "layers": layers}, sort_keys=False)


def analyze_layers(layers: list[Any], input_shape: list[int], **top: Any):
    return analyze_text(spec_text(layers, input_shape, **top), "test.yaml")


@pytest.fixture
def write_spec(tmp_path):
    """Write spec text into tmp_path and return its path as a string."""
    def write(text: str, name: str = "net.yaml") -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)
    return write


# A hang detector for hostile-input tests: a generous limit that only a runaway (a loop
# over 10^9 layers, an unbounded expansion) reaches; never a speed assertion.
class Runaway(Exception):
    pass


@contextmanager
def watchdog(seconds: int) -> Iterator[None]:
    def alarm(signum: int, frame: Any) -> None:
        raise Runaway(f"no answer within {seconds} s")
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


WATCHDOG_SECONDS = 20


def run(*args: str) -> Any:
    """`cnncalc ARGS...` through click's test runner, stdout and stderr kept apart."""
    from click.testing import CliRunner

    from cnncalc.cli import main

    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2 mixes them unless told not to
    except TypeError:
        runner = CliRunner()
    return runner.invoke(main, list(args))


def graph_counts(path: Path) -> tuple[int, int]:
    """Boxes and arrows a full-depth diagram of the spec at `path` should have, from the
    built graph: every layer and every input and output; an arrow per distinct (value,
    reader) pair and one into each output."""
    from cnncalc.analysis import analyze_file

    network = analyze_file(path).network
    pairs = {(ref, node.index) for node in network.nodes for ref in node.inputs}
    return (len(network.nodes) + len(network.inputs) + len(network.outputs),
            len(pairs) + len(network.outputs))
