"""`cnncalc run` on windows far larger than their input: bounded in time (only the taps
that land on the input are visited) and in memory (the padded copy is in the estimate)."""
from __future__ import annotations

from click.testing import CliRunner
from conftest import WATCHDOG_SECONDS, watchdog

from cnncalc.cli import main


def _run(write_spec, kernel: int, pool: str):
    spec = write_spec(f"input: [2, 9, 9]\nlayers:\n  - {pool}: {{kernel: {kernel}, "
                      f"ceil_mode: true}}\n  - flatten\n")
    with watchdog(WATCHDOG_SECONDS):
        return CliRunner().invoke(main, ["run", spec, "--batch", "1"])


def test_a_kernel_much_larger_than_its_input_runs_by_the_taps_that_read_it(write_spec):
    for pool in ("maxpool", "avgpool"):
        result = _run(write_spec, 2000, pool)
        assert result.exit_code == 0, result.output
        assert "shapes: 2 of 2 layers as calculated" in result.stdout


def test_a_padded_copy_no_machine_holds_is_refused_before_it_is_made(write_spec):
    result = _run(write_spec, 10**6, "maxpool")
    assert result.exit_code == 2
    assert "this run would need about" in result.stderr and "workspace" in result.stderr
