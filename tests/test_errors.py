"""Bad specs: one located line per problem, exit code 2, never a traceback."""
import pytest
from click.testing import CliRunner

from cnncalc.cli import main

HEAD = "input: [3, 32, 32]\nlayers:\n"

# spec text, expected FILE:LINE:COL suffix, message fragment
CASES = [
    ("input: [3, 32\nlayers: []\n", ":2:7:", "YAML syntax error"),
    ("", ":1:1:", "the file is empty"),
    ("- conv\n", ":1:1:", "a spec must be a mapping"),
    ("layers:\n  - relu\n", ":1:1:", "no 'input'"),
    ("input: [3, 0, 32]\nlayers: [relu]\n", ":1:8:", "'input' must be"),
    ("input: [3, 32, 32]\nlayer: [relu]\nlayers: [relu]\n", ":2:1:", "unknown top-level key"),
    (HEAD + "  - convv: {filters: 8, kernel: 3}\n", ":3:5:", "did you mean 'conv'"),
    (HEAD + "  - conv: {filters: 8, kernal: 3}\n", ":3:24:", "unknown argument 'kernal'; did you mean 'kernel'"),
    (HEAD + "  - conv: {filters: 8}\n", ":3:5:", "missing required argument 'kernel'"),
    (HEAD + "  - conv: {filters: eight, kernel: 3}\n", ":3:21:",
     "'filters' must be an integer >= 1; found 'eight'"),
    (HEAD + "  - conv: {filters: 8, kernel: [3, 3, 3]}\n", ":3:32:",
     "a list of 2 such integers"),
    (HEAD + "  - conv: {filters: 8, kernel: 3, padding: lots}\n", ":3:44:", "padding must be"),
    (HEAD + "  - conv: {filters: 8, kernel: 3, bias: maybe}\n", ":3:41:",
     "'bias' must be true or false"),
    (HEAD + "  - conv: {filters: 8, kernel: 40}\n", ":3:5:", "the output would be empty"),
    (HEAD + "  - conv: {filters: 8, kernel: 3, groups: 2}\n", ":3:43:",
     "groups (2) must divide the input channels (3)"),
    (HEAD + "  - residual:\n      main:\n        - conv: {filters: 8, kernel: 3, padding: 1}\n",
     ":3:5:", "channel mismatch at add: branch 1 [8, 32, 32], branch 2 [3, 32, 32]"),
    (HEAD + "  - branches:\n      - [{conv: {filters: 8, kernel: 3}}]\n      - []\n", ":3:5:",
     "spatial mismatch at concat: branch 1 [8, 30, 30], branch 2 [3, 32, 32]"),
    (HEAD + "  - relu:\n    expect: {shape: 3}\n", ":4:21:", "must be a list of integers"),
    (HEAD + "  - relu:\n    expect: {flops: 3}\n", ":4:14:", "unknown expectation 'flops'"),
    (HEAD + "  - relu:\n    name: a\n  - relu:\n    name: a\n", ":5:5:", "already used"),
    (HEAD + "  - flatten\n  - maxpool: {kernel: 2}\n", ":4:5:", "needs a spatial input"),
    (HEAD + "  - conv1d: {filters: 2, kernel: 3}\n", ":3:5:", "'conv1d' needs 1 spatial axes"),
    (HEAD + "  - relu: 3\n", ":3:5:", "arguments must be a mapping"),
    (HEAD + "  - relu:\n    repeat: 0\n", ":4:13:", "'repeat' must be an integer >= 1"),
    (HEAD + "  - {relu: {}, tanh: {}}\n", ":3:5:", "exactly one kind key"),
    (("input: [3, 8, 8]\nblocks:\n  b: {params: {c: null}, layers: [{conv: {filters: $c, "
     "kernel: 1}}]}\nlayers:\n  - b: {}\n"), ":5:5:", "missing parameter 'c'"),
    (("input: [3, 8, 8]\nblocks:\n  b: {params: {c: 2}, layers: [{conv: {filters: '${c * d}', "
     "kernel: 1}}]}\nlayers:\n  - b\n"), ":3:", "unknown name 'd'"),
    ("input: [3, 8, 8]\nblocks:\n  b: {layers: [b]}\nlayers:\n  - b\n", ":3:", "uses itself"),
    ("input: [3, 8, 8]\nexpect: {params: -1}\nlayers: [relu]\n", ":2:18:",
     "must be a whole number"),
    ("input: [3, 8, 8]\nlayers:\n  - upsample: {scale: 2, size: 4}\n", ":3:", "exactly one of"),
    ("input: [3, 8, 8]\nlayers:\n  - dropout: {p: 1.0}\n", ":3:", "'p' must be below 1"),
    (("input: [3, 8, 8]\nlayers:\n  - conv_transpose: {filters: 2, kernel: 2, stride: 2, "
     "output_padding: 2}\n"), ":3:", "output_padding (2) must be smaller"),
    ("input: [3, 8, 8]\nframework: torch\nlayers: [relu]\n", ":2:12:",
     "'framework' must be one of pytorch"),
]


@pytest.mark.parametrize("text,where,message", CASES)
def test_bad_spec_gives_one_located_line_and_exit_2(write_spec, text, where, message):
    path = write_spec(text)
    result = CliRunner().invoke(main, ["shapes", path])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(path + where), lines[0]
    assert message in lines[0]
    assert result.stdout == ""          # nothing half-written


def test_missing_file(tmp_path):
    result = CliRunner().invoke(main, ["params", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "cannot read the spec" in result.stderr


def test_bad_option_is_usage_error_exit_2():
    result = CliRunner().invoke(main, ["conv", "--input", "x", "--kernel", "3"])
    assert result.exit_code == 2 and "--input" in result.output
