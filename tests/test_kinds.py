"""The kinds' declarations (`arguments`, `pytorch`, `keras`, the docstring's description) are
held to the code, so `cnncalc kinds KIND` and docs/spec.md's generated kinds table cannot
drift from what `build` accepts.

For every registered kind and every merge:
- its own docstring's first paragraph is a description of one to three sentences ending in a
  full stop; `pytorch` and `keras` are strings, not both empty ("" = no equivalent);
- each of its `examples` (the arguments as YAML flow text and an input shape; without any,
  no arguments on a [3, 6, 6] input) builds through the real pipeline; the arguments that
  `build` asked for over all the examples (`Args.asked`, aliases included) are exactly the
  declared names plus aliases, which must be named in the meaning of a declared argument:
  nothing read goes undocumented and nothing documented goes unread;
- a default written `required` is required (an example without it fails), and a default
  that is one YAML word (`1`, `false`, `1.0e-5`, `nearest`) is what `build` uses: the
  layer built without the argument equals the one built with it set to that word.
  Descriptive defaults ("the kernel", "none (give size or scale)") are not checked.
docs/spec.md's regions are compared with the rendering by test_check (`cnncalc check
README.md docs`); here, that they exist and name every kind and alias.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from cnncalc import SpecError
from cnncalc.build import build
from cnncalc.cli import main
from cnncalc.layers import LAYERS, MERGES, Args, Argument, Layer
from cnncalc.quick import description, kind_classes
from cnncalc.spec import parse
from cnncalc.spec.yamlpos import load
from cnncalc.values import Value

ROOT = Path(__file__).resolve().parent.parent
KINDS = kind_classes()
IDS = [cls.kind for cls, _ in KINDS]
DEFAULT_EXAMPLE = ("", (3, 6, 6))
UNKNOWN_KEY = "qqzzxq"


def _is_merge(cls: type[Layer]) -> bool:
    return MERGES.get(cls.kind) is cls


def _entry(args_text: str, drop: str | None = None, add: dict[str, Any] | None = None
           ) -> str:
    args = yaml.safe_load(args_text) if args_text else {}
    args = dict(args or {})
    if drop:
        args.pop(drop, None)
    args.update(add or {})
    return yaml.safe_dump(args, default_flow_style=True, width=10_000).strip()


def _plain(value: object) -> object:
    """A layer as comparable data: its fields, a layer inside it (separable_conv's two
    convs) by its own fields in turn."""
    if isinstance(value, Value):
        return type(value).__name__, tuple(_plain(v) for v in value.astuple())
    return value


def _spec(cls: type[Layer], entry: str, shape: tuple[int, ...]) -> str:
    head = f"input: {list(shape)}\nlayers:\n"
    if _is_merge(cls):  # two named branches to merge
        head += "  - identity: {}\n    name: a\n  - identity: {}\n    name: b\n"
    if any(a.name == "indices" for a in cls.arguments):  # maxunpool: the pool it undoes
        head += "  - maxpool: {kernel: 2}\n    name: pool1\n"
    return head + f"  - {cls.kind}: {entry}\n"


def _build(cls: type[Layer], entry: str, shape: tuple[int, ...]) -> Layer:
    return build(parse(_spec(cls, entry, shape), "example.yaml")).nodes[-1].layer


def _examples(cls: type[Layer]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    return cls.examples or (DEFAULT_EXAMPLE,)


def _asked(cls: type[Layer], monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Every argument the kind's build reads over its examples, aliases included."""
    asked: set[str] = set()
    if _is_merge(cls):  # merges are read by the builder: ask it what it accepts
        for args_text, shape in _examples(cls):
            entry = _entry(args_text, add={UNKNOWN_KEY: 1})
            with pytest.raises(SpecError) as error:
                _build(cls, entry, shape)
            found = re.search(rf"unknown argument '{UNKNOWN_KEY}'; expected (.+)$",
                              str(error.value), re.MULTILINE)
            assert found, f"{cls.kind}: {error.value}"
            asked.update(found.group(1).split(", "))
        return asked
    finish = Args.finish
    last: list[set[str]] = []  # per layer built; the example's own layer is the last

    def recording(self: Args, known: tuple[str, ...]) -> None:
        last.append({*self.asked, *known})
        finish(self, known)
    monkeypatch.setattr(Args, "finish", recording)
    for args_text, shape in _examples(cls):
        try:
            last.clear()
            _build(cls, _entry(args_text), shape)
            asked.update(last[-1] if last else set())
        except SpecError as error:
            pytest.fail(f"{cls.__name__}: the example {args_text or '(no arguments)'} on "
                        f"{list(shape)} does not build ({error}); give the class "
                        f"`examples` that build")
    return asked


def test_every_kind_is_listed_once():
    listed = [cls for cls, _ in KINDS]
    assert len(listed) == len(set(listed))
    assert set(listed) == set(LAYERS.values()) | set(MERGES.values())
    names = [n for cls, aliases in KINDS for n in (cls.kind, *aliases)]
    assert sorted(names) == sorted([*LAYERS, *MERGES])


@pytest.mark.parametrize("cls", [cls for cls, _ in KINDS], ids=IDS)
def test_description_and_equivalents(cls):
    assert cls.__dict__.get("__doc__"), f"{cls.__name__} needs its own docstring"
    text = description(cls)
    assert text.endswith("."), f"{cls.kind}: the description must end in a full stop: {text!r}"
    sentences = len(re.findall(r"[.!?](?:\s|$)", text))
    assert 1 <= sentences <= 3, f"{cls.kind}: {sentences} sentences: {text!r}"
    assert isinstance(cls.pytorch, str) and isinstance(cls.keras, str)
    assert cls.pytorch or cls.keras, f"{cls.kind}: no PyTorch nor Keras equivalent declared"
    for call in (cls.pytorch, cls.keras):
        assert call == call.strip() and "\n" not in call


@pytest.mark.parametrize("cls", [cls for cls, _ in KINDS], ids=IDS)
def test_arguments_are_well_formed(cls):
    assert isinstance(cls.arguments, tuple)
    names = [a.name for a in cls.arguments]
    assert len(names) == len(set(names)), f"{cls.kind}: an argument is declared twice"
    for argument in cls.arguments:
        assert isinstance(argument, Argument)
        assert argument.name and argument.type and argument.default and argument.meaning, \
            f"{cls.kind}: {argument}"
        assert "|" not in argument.type + argument.default, "a pipe breaks the docs table"


@pytest.mark.parametrize("cls", [cls for cls, _ in KINDS], ids=IDS)
def test_declared_arguments_are_what_build_reads(cls, monkeypatch):
    asked = _asked(cls, monkeypatch)
    declared = {a.name for a in cls.arguments}
    unread = declared - asked
    assert not unread, f"{cls.kind}: declared but never read by build (or by no example): " \
                       f"{sorted(unread)}"
    meanings = " ".join(a.meaning for a in cls.arguments)
    undocumented = {key for key in asked - declared
                    if not re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", meanings)}
    assert not undocumented, f"{cls.kind}: build reads {sorted(undocumented)}, which no " \
                             f"Argument declares (an alias must be named in its meaning)"


def _checkable(default: str) -> bool:
    return default != "required" and not re.search(r"\s", default)


@pytest.mark.parametrize("cls", [cls for cls, _ in KINDS], ids=IDS)
def test_documented_defaults_are_the_ones_build_uses(cls):
    examples = _examples(cls)
    for argument in cls.arguments:
        name = argument.name
        giving = [(t, s) for t, s in examples if name in (yaml.safe_load(t) or {})]
        if argument.default == "required":
            assert giving, f"{cls.kind}: no example gives the required argument '{name}'"
            args_text, shape = giving[0]
            with pytest.raises(SpecError):
                _build(cls, _entry(args_text, drop=name), shape)
            continue
        if not _checkable(argument.default):
            continue
        value = load(f"x: {argument.default}", "default")["x"]  # as a spec reads it
        args_text, shape = next(((t, s) for t, s in examples if (t, s) not in giving),
                                giving[0] if giving else examples[0])
        without = _build(cls, _entry(args_text, drop=name), shape)
        given = _build(cls, _entry(args_text, drop=name, add={name: value}), shape)
        assert _plain(without) == _plain(given), \
            f"{cls.kind}: '{name}' documented default {argument.default} is not build's: " \
            f"{without!r} without it, {given!r} with it"


def test_spec_yaml_reads_the_documented_number_defaults():
    """A default is written as a spec's YAML reads it: `1.0e-5`, never `1e-5` (text)."""
    for cls, _ in KINDS:
        for argument in cls.arguments:
            if argument.type == "number" and _checkable(argument.default):
                value = load(f"x: {argument.default}", "default")["x"]
                assert isinstance(value, (int, float)) and not isinstance(value, bool), \
                    f"{cls.kind}.{argument.name}: {argument.default!r} reads as {value!r}"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_kinds_prints_every_description_in_full():
    out = run("kinds").output
    for cls, aliases in KINDS:
        line = next(line for line in out.splitlines() if re.match(
            rf"{cls.family}\s+{re.escape(cls.kind)}[ :]", line))
        assert line.endswith(description(cls)), line
        for alias in aliases:
            assert alias in line


@pytest.mark.parametrize("name", sorted([*LAYERS, *MERGES]))
def test_kinds_kind_shows_arguments_and_equivalents(name):
    result = run("kinds", name)
    assert result.exit_code == 0, result.output
    cls = LAYERS.get(name) or MERGES[name]
    out = result.output
    assert out.startswith(cls.kind)
    flat = " ".join(out.split())
    assert " ".join(description(cls).split()) in flat
    for argument in cls.arguments:
        assert f"  {argument.name}: {argument.type}, " in out
        assert " ".join(argument.meaning.split()) in flat
    assert f"PyTorch: {' '.join(cls.pytorch.split()) or 'none'}" in flat
    assert f"Keras: {' '.join(cls.keras.split()) or 'none'}" in flat


def test_kinds_json_for_tools():
    records = json.loads(run("kinds", "--format", "json").output)
    assert [r["kind"] for r in records] == IDS
    conv = next(r for r in records if r["kind"] == "conv")
    assert conv["aliases"] == ["conv1d", "conv2d", "conv3d"]
    assert {"name": "stride", "type": "int or list per axis", "default": "1"}.items() <= \
        next(a for a in conv["arguments"] if a["name"] == "stride").items()
    assert conv["pytorch"].startswith("nn.Conv2d(") and conv["keras"].startswith("layers.Conv2D(")
    one = json.loads(run("kinds", "linear", "--format", "json").output)
    assert one["kind"] == "dense" and one["arguments"][0]["name"] == "units"
    assert json.loads(run("kinds", "concat", "--format", "json").output)["merge"] is True


def test_kinds_unknown_kind_is_a_usage_error():
    result = CliRunner().invoke(main, ["kinds", "convv"])
    assert result.exit_code == 2
    assert "unknown layer kind 'convv'; did you mean 'conv'?" in result.output


def test_spec_md_holds_the_generated_kinds_table_and_reference():
    text = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
    table = text.split("<!-- cnncalc:kinds -->", 1)[1].split("<!-- /cnncalc -->", 1)[0]
    reference = text.split("<!-- cnncalc:kinds-doc -->", 1)[1].split("<!-- /cnncalc -->")[0]
    for cls, aliases in KINDS:
        assert f"| [`{cls.kind}`](#{cls.kind}) |" in table
        assert f"### `{cls.kind}`" in reference
        for alias in aliases:
            assert f"`{alias}`" in table
