"""One reading of counts and byte sizes (cnncalc/units.py), and one way to print them.

Expected figures are written out by hand: 2^20 = 1,048,576, 10^6 = 1,000,000.
"""
from __future__ import annotations

import pytest

from cnncalc.units import UnitError, format_bytes, format_count, parse_bytes, parse_count


@pytest.mark.parametrize("text, count", [
    ("25M", 25_000_000), ("1.1M", 1_100_000),          # exact: no 1,100,000.0000000002
    ("2.5e7", 25_000_000), ("25000000.0", 25_000_000), ("1.5k", 1_500), ("1.5K", 1_500),
    ("4.1G", 4_100_000_000), ("2T", 2_000_000_000_000), (".5k", 500), ("0", 0),
    (61706, 61706), (2.5e7, 25_000_000), ("  7 M ", 7_000_000),
])
def test_counts_use_decimal_prefixes(text: object, count: int) -> None:
    assert parse_count(text) == count


@pytest.mark.parametrize("text, size", [
    ("512M", 512 * 1_048_576), ("512m", 512 * 1_048_576),   # bare M: binary, any case
    ("512MiB", 512 * 1_048_576), ("512 mib", 512 * 1_048_576),
    ("512MB", 512_000_000), ("512mb", 512_000_000),
    ("4G", 4 * 1_073_741_824), ("1.5GB", 1_500_000_000), ("2KiB", 2_048), ("2K", 2_048),
    ("2KB", 2_000), ("1T", 1_099_511_627_776), ("1TB", 10 ** 12), ("100 B", 100),
    ("1e9", 10 ** 9), ("1.5E3K", 1_536_000), (4096, 4096),
])
def test_byte_sizes_are_decimal_with_kb_and_binary_with_kib_or_a_bare_prefix(
        text: object, size: int) -> None:
    assert parse_bytes(text) == size


@pytest.mark.parametrize("value, found", [
    ("5 apples", "found '5 apples', an unknown unit"),
    ("25m", "found '25m', an unknown unit"),                 # m would be milli: refused
    ("25MB", "found '25MB', an unknown unit"),               # a count has no bytes
    (-1, "found -1, below 0"),
    ("1e400", "found '1e400', above 10^30"),
    (float("inf"), "found .inf, not finite"),
    (1.5, "found 1.5, not a whole number"),
    ("1e-4k", "found '1e-4k' = 0.1, not a whole number"),
    (True, "found true"), (None, "found null"), ([1], "found [1]"),
])
def test_a_bad_count_says_what_was_found_and_the_accepted_forms(value: object,
                                                                found: str) -> None:
    with pytest.raises(UnitError) as caught:
        parse_count(value)
    assert str(caught.value).startswith("expected a whole number >= 0, or a number with k, M, "
                                        "G or T (10^3, 10^6, 10^9, 10^12) like 25M or 1.5e9; ")
    assert str(caught.value).endswith(found)


@pytest.mark.parametrize("value, found", [
    ("10 XB", "found '10 XB', an unknown unit"),
    ("0.3KiB", "found '0.3KiB' = 307.2, not a whole number"),
    ("-5", "found '-5'"), ("inf", "found 'inf'"), ("", "found ''"),
])
def test_a_bad_byte_size_states_the_bare_prefix_rule(value: object, found: str) -> None:
    with pytest.raises(UnitError) as caught:
        parse_bytes(value)
    message = str(caught.value)
    assert "KB, MB, GB, TB (10^3, 10^6, ...) or KiB, MiB, GiB, TiB (2^10, 2^20, ...)" in message
    assert "a bare K, M, G, T is binary (2G = 2 GiB)" in message and message.endswith(found)


@pytest.mark.parametrize("count, unit, text", [
    (1_814_073_344, "MACs", "1.81 GMACs"), (61_706, "", "61.71 k"), (999, "", "999"),
    (25_557_032, "", "25.56 M"), (2 * 10 ** 12, "", "2.00 T"), (0, "", "0"),
])
def test_counts_print_with_decimal_prefixes(count: int, unit: str, text: str) -> None:
    assert format_count(count, unit) == text


@pytest.mark.parametrize("size, text", [
    (18_816, "18.38 KiB"),          # LeNet-5's conv1: 6 * 28 * 28 * 4 bytes / 1024
    (1023, "1023 B"), (1024, "1.00 KiB"), (3 * 1_048_576, "3.00 MiB"),
    (5 * 1_073_741_824, "5.00 GiB"),
])
def test_byte_sizes_print_with_binary_prefixes(size: int, text: str) -> None:
    assert format_bytes(size) == text


def test_max_memory_and_a_memory_budget_read_a_size_alike() -> None:
    from cnncalc.executor.memory import parse_memory_limit
    from cnncalc.spec import parse

    spec = parse("input: [3, 8, 8]\nbudget: {activation_memory: 2G}\nlayers: [relu]\n")
    assert parse_memory_limit("2G") == spec.budget.activation_memory[0] == 2 * 1_073_741_824


@pytest.mark.parametrize("cap, over", [
    ("2M", False), ("2MiB", False), ("2097152", False),    # exactly the activations
    ("2097151 B", True), ("2MB", True), ("2000K", True),   # 2,000,000 and 2,048,000 bytes
])
def test_a_memory_budget_is_compared_to_the_byte(cap: str, over: bool) -> None:
    from cnncalc.lint.engine import lint_spec
    from cnncalc.spec import parse

    # one relu on [1, 512, 1024]: 524,288 float32 values = 2,097,152 bytes = 2 MiB exactly
    spec = parse(f"input: [1, 512, 1024]\nbudget: {{activation_memory: {cap}}}\n"
                 "layers: [relu]\n", "net.yaml")
    assert [d.code for d in lint_spec(spec, ("B104",))] == (["B104"] if over else [])
