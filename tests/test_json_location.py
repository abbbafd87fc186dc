"""A place in a spec has one form in every JSON output: {"file", "line", "column"}."""
from __future__ import annotations

import json

from conftest import run

# conv1 is the entry at line 3, column 5; its wrong shape, [2, 5, 5], at line 4, column 21
# (a 3x3 kernel over 8x8 gives 6x6)
SPEC = ("input: [1, 8, 8]\n"
        "layers:\n"
        "  - conv: {filters: 2, kernel: 3}\n"
        "    expect: {shape: [2, 5, 5]}\n"
        "  - relu\n")


def test_summary_run_and_lint_give_the_same_location_object(write_spec) -> None:
    path = write_spec(SPEC)
    wrong_shape = {"file": path, "line": 4, "column": 21}
    summary = json.loads(run("summary", path, "--format", "json").stdout)
    assert summary["layers"][0]["location"] == {"file": path, "line": 3, "column": 5}
    assert [m["location"] for m in summary["mismatches"]] == [wrong_shape]
    executed = run("run", path, "--format", "json")
    assert executed.exit_code == 1
    assert [m["location"] for m in json.loads(executed.stdout)["mismatches"]] == [wrong_shape]
    linted = json.loads(run("lint", path, "--format", "json").stdout)
    assert [(f["code"], f["location"]) for f in linted] == [("B101", wrong_shape)]
