"""Numbers as people write them in a spec: `1e-5` is a float (YAML 1.2, JSON and every
framework's docs write it so), though PyYAML's YAML 1.1 rules read it as text."""
from __future__ import annotations

import pytest

from cnncalc.spec import yamlpos


@pytest.mark.parametrize("text, value", [("1e-5", 1e-5), ("2E3", 2000.0), ("-3e+2", -300.0),
                                         ("1.0e-5", 1e-5), ("0.001", 0.001), ("12", 12)])
def test_plain_numbers_are_numbers(text: str, value: float) -> None:
    read = yamlpos.load(f"x: {text}\n", "n.yaml")["x"]
    assert read == value and type(read) is type(value)


@pytest.mark.parametrize("text", ["'1e-5'", '"2E3"', "1e", "e5", "1e5x", "1e5.0"])
def test_quoted_or_other_text_stays_text(text: str) -> None:
    assert isinstance(yamlpos.load(f"x: {text}\n", "n.yaml")["x"], str)
