"""The first run tells the truth (issue 7): with no framework, shapes and summary add one
note when PyTorch would size a layer otherwise. Expected sizes are hand-worked."""
import json

from click.testing import CliRunner
from conftest import EXAMPLES, analyze_layers

from cnncalc.analysis import convention_note
from cnncalc.cli import main

# ResNet-18's stem with no framework: (224 + 6 - 7)/2 + 1 = 112.5 -> 113 by the ceil rule,
# 112 by PyTorch's floor. The pool after it, on 113: (113 + 2 - 3)/2 + 1 = 57 either way.
STEM = [{"conv": {"filters": 8, "kernel": 7, "stride": 2, "padding": 3}},
        {"maxpool": {"kernel": 3, "stride": 2, "padding": 1}}]


def stem_spec(write_spec, extra=""):
    import yaml

    return write_spec(f"input: [3, 224, 224]\n{extra}"
                      + yaml.safe_dump({"layers": STEM}, sort_keys=False))


def test_note_names_the_layer_and_the_way_to_choose():
    note = convention_note(analyze_layers(STEM, [3, 224, 224]))
    assert note == ("note: sizes differ from PyTorch's at 1 layer (and what follows): conv1 "
                    "113x113 here, 112x112 in PyTorch. cnncalc rounds up by default (the ceil "
                    "rule); to follow PyTorch, write 'framework: pytorch' in the spec or pass "
                    "--framework pytorch.")


def test_note_counts_past_the_first_three():
    # 2x2 convs of stride 2: ceil(N/2) here, floor(N/2) in PyTorch, different when N is odd.
    # 63 -> 32 -> 16 ... : only the first input is odd
    layers = [{"conv": {"filters": 1, "kernel": 2, "stride": 2}} for _ in range(5)]
    note = convention_note(analyze_layers(layers, [1, 63]))
    assert "at 1 layer" in note and "conv1 32 here, 31 in PyTorch" in note
    # 33 -> 17 -> 9 -> 5 -> 3 -> 2: every input odd, every layer differs
    note = convention_note(analyze_layers(layers, [1, 33]))
    assert "at 5 layers" in note and "conv3 5 here, 4 in PyTorch; and 2 more." in note


def test_pytorch_ceil_mode_pool_is_compared_under_its_own_rule():
    # maxpool 2/2 ceil_mode on 5 with padding 1: ceil (5+2-2)/2+1 = 3.5 -> 4, PyTorch
    # drops the window starting at 6 >= 5 + 1: 3
    layers = [{"maxpool": {"kernel": 2, "padding": 1, "ceil_mode": True}}]
    assert "maxpool1 4 here, 3 in PyTorch" in convention_note(analyze_layers(layers, [1, 5]))


def test_shapes_prints_the_note_after_the_table_on_stderr(write_spec):
    result = CliRunner().invoke(main, ["shapes", stem_spec(write_spec)])
    assert result.exit_code == 0
    assert "conv1 113x113 here, 112x112 in PyTorch" in result.stderr
    assert "note:" not in result.stdout
    assert result.stderr.count("note:") == 1


def test_json_carries_the_note_and_stdout_stays_json(write_spec):
    result = CliRunner().invoke(main, ["summary", stem_spec(write_spec), "--format", "json"])
    data = json.loads(result.stdout)
    assert len(data["notes"]) == 1 and "conv1" in data["notes"][0]
    assert result.stderr == ""


def test_no_note_once_a_framework_is_chosen(write_spec):
    result = CliRunner().invoke(main, ["shapes", stem_spec(write_spec), "--framework",
                                       "pytorch"])
    assert result.exit_code == 0 and result.stderr == ""
    result = CliRunner().invoke(main, ["summary", str(EXAMPLES / "resnet18.yaml")])
    assert result.exit_code == 0 and result.stderr == ""
    data = json.loads(CliRunner().invoke(main, ["summary", str(EXAMPLES / "resnet18.yaml"),
                                                "--format", "json"]).stdout)
    assert data["notes"] == []
