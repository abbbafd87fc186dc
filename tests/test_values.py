"""`values.Value`: the immutable records that replace generated dataclasses."""
from __future__ import annotations

import pytest

from cnncalc.values import Compared, Value


class Point(Compared):
    x: int
    y: int = 0


class Labelled(Point):
    label: str = ""


def test_fields_defaults_and_keywords() -> None:
    assert Point.fields == ("x", "y") and Labelled.fields == ("x", "y", "label")
    assert (Point(1).x, Point(1).y, Point(1, 2).y, Point(y=3, x=1).y) == (1, 0, 2, 3)
    assert Labelled(1, label="a").astuple() == (1, 0, "a")


@pytest.mark.parametrize("make, message", [
    (lambda: Point(), "needs the field 'x'"),
    (lambda: Point(1, 2, 3), "takes 2 fields"),
    (lambda: Point(1, z=2), "unexpected or repeated field 'z'"),
    (lambda: Point(1, x=2), "unexpected or repeated field 'x'"),
])
def test_wrong_construction_is_a_type_error(make, message) -> None:
    with pytest.raises(TypeError, match=message):
        make()


def test_immutable_and_replace_copies() -> None:
    p = Point(1, 2)
    with pytest.raises(AttributeError, match="immutable"):
        p.x = 5  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del p.x
    q = p.replace(y=7)
    assert (p.y, q.y, q.x) == (2, 7, 1)


def test_compared_values_are_equal_and_hash_by_fields_plain_ones_by_identity() -> None:
    assert Point(1, 2) == Point(1, 2) and hash(Point(1, 2)) == hash(Point(1, 2))
    assert Point(1, 2) != Point(2, 1) and Point(1, 2) != Labelled(1, 2)
    assert len({Point(1, 2), Point(1, 2)}) == 1

    class Plain(Value):
        x: int
    assert Plain(1) != Plain(1)


def test_a_field_may_not_shadow_the_record_machinery() -> None:
    with pytest.raises(TypeError, match="may not be named 'fields'"):
        class Bad(Value):
            fields: tuple[int, ...]
