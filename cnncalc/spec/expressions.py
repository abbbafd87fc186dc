"""Block parameters: `$name` and `${expression}` in a block's YAML, evaluated safely.

An expression is bounded: at most `MAX_EXPRESSION_CHARS` characters and
`MAX_EXPRESSION_DEPTH` levels, integers below `MAX_EXPRESSION_INT` in size before and after
every operation (so `9**9**9` is refused before it is computed), no NaN or infinity.
Arithmetic and ordering take numbers; == and != also compare text (`act == 'relu'`).
"""
from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from ..errors import Location, SpecError, show
from ..limits import MAX_EXPRESSION_CHARS, MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_INT
from .yamlpos import Mapping, Sequence

ALLOWED = ("only numbers, names, 'text', + - * / // % **, comparisons, and, or, not, "
           "x if c else y, and min, max, round, int are allowed")


class _Refused(Exception):
    """An expression that cannot be evaluated; the message says why."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _checked(value: Any) -> Any:
    """Every intermediate value stays finite and of bounded size."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) >= MAX_EXPRESSION_INT:
            raise _Refused("a number beyond 2**64: no spec value is that large")
    elif isinstance(value, float) and not math.isfinite(value):
        raise _Refused("the result is not a finite number")
    return value


def _numbers(op: str, *values: Any) -> None:
    for value in values:
        if not _is_number(value):
            raise _Refused(f"'{op}' needs numbers; found {show(value)}")


def _power(base: Any, exponent: Any) -> Any:
    _numbers("**", base, exponent)
    if isinstance(exponent, int) and abs(base) > 1 and \
            abs(exponent) * math.log2(abs(base)) > 64:
        raise _Refused(f"{show(base)} ** {show(exponent)} is beyond 2**64")
    if base < 0 and not float(exponent).is_integer():
        raise _Refused("a negative number to a fractional power is not a real number")
    try:
        return base ** exponent
    except OverflowError:
        raise _Refused(f"{show(base)} ** {show(exponent)} is too large") from None
    except ZeroDivisionError:
        raise _Refused("zero to a negative power is a division by zero") from None


def _arithmetic(name: str, function: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(left: Any, right: Any) -> Any:
        _numbers(name, left, right)
        try:
            return function(left, right)
        except ZeroDivisionError:
            raise _Refused(f"'{name}' by zero") from None
        except OverflowError:
            raise _Refused(f"the result of '{name}' is too large") from None
    return apply


def _ordering(name: str, function: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def apply(left: Any, right: Any) -> bool:
        if not (_is_number(left) and _is_number(right)) and not (
                isinstance(left, str) and isinstance(right, str)):
            raise _Refused(f"'{name}' compares two numbers or two texts; found "
                           f"{show(left)} and {show(right)}")
        return function(left, right)
    return apply


def _min_max(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        values = list(args[0]) if len(args) == 1 and isinstance(args[0], list) else list(args)
        if not values:
            raise _Refused(f"{name}() needs at least one number")
        _numbers(f"{name}()", *values)
        return function(values)
    return apply


def _round(*args: Any) -> Any:
    if not 1 <= len(args) <= 2:
        raise _Refused("round() takes a number and optionally a number of digits")
    _numbers("round()", args[0])
    if len(args) == 2:
        if not isinstance(args[1], int) or isinstance(args[1], bool) or abs(args[1]) > 20:
            raise _Refused(f"round()'s digits must be an integer from -20 to 20; found "
                           f"{show(args[1])}")
        return round(args[0], args[1])
    return round(args[0])


def _int(*args: Any) -> int:
    if len(args) != 1:
        raise _Refused("int() takes one number")
    _numbers("int()", args[0])
    return int(args[0])


_FUNCTIONS: dict[str, Callable[..., Any]] = {"min": _min_max("min", min),
                                             "max": _min_max("max", max),
                                             "round": _round, "int": _int}


def _negate(value: Any) -> Any:
    _numbers("-", value)
    return -value


def _plus(value: Any) -> Any:
    _numbers("+", value)
    return value


_TABLES: list[Any] = []  # the operator tables, made on the first expression
_TREES: dict[str, Any] = {}  # text -> parsed tree: a block's expressions recur per instance


def _tables() -> Any:
    if not _TABLES:
        import ast

        binary: dict[type, Callable[[Any, Any], Any]] = {
            ast.Add: _arithmetic("+", operator.add), ast.Sub: _arithmetic("-", operator.sub),
            ast.Mult: _arithmetic("*", operator.mul),
            ast.Div: _arithmetic("/", operator.truediv),
            ast.FloorDiv: _arithmetic("//", operator.floordiv),
            ast.Mod: _arithmetic("%", operator.mod), ast.Pow: _power}
        unary: dict[type, Callable[[Any], Any]] = {ast.USub: _negate, ast.UAdd: _plus,
                                                   ast.Not: operator.not_}
        compare: dict[type, Callable[[Any, Any], bool]] = {
            ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: _ordering("<", operator.lt),
            ast.LtE: _ordering("<=", operator.le), ast.Gt: _ordering(">", operator.gt),
            ast.GtE: _ordering(">=", operator.ge)}
        _TABLES.extend((ast, binary, unary, compare))
    return _TABLES


def evaluate(text: str, env: dict[str, Any], location: Location) -> Any:
    """The value of an arithmetic (or comparison) expression over the names in `env`.

    Integral results come back as int, so `${in_channels / 2}` can be a channel count.
    """
    ast, binary, unary, compare = _tables()  # only specs with ${...} import ast

    def fail(message: str) -> SpecError:
        return SpecError.at(location, f"in expression {show(text)}: {message}")

    def walk(node: Any, depth: int) -> Any:
        if depth > MAX_EXPRESSION_DEPTH:
            raise _Refused(f"nested deeper than {MAX_EXPRESSION_DEPTH} levels")
        depth += 1
        if isinstance(node, ast.Expression):
            return walk(node.body, depth)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)):
            return _checked(node.value)
        if isinstance(node, ast.Name):
            if node.id not in env:
                known = ", ".join(sorted(env)) or "none"
                raise _Refused(f"unknown name '{node.id}'; known: {known}")
            return _checked(env[node.id])
        if isinstance(node, ast.BinOp) and type(node.op) in binary:
            left, right = walk(node.left, depth), walk(node.right, depth)
            return _checked(binary[type(node.op)](left, right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in unary:
            return _checked(unary[type(node.op)](walk(node.operand, depth)))
        if isinstance(node, ast.Compare) and all(type(op) in compare for op in node.ops):
            left = walk(node.left, depth)
            for op, right_node in zip(node.ops, node.comparators):
                right = walk(right_node, depth)
                if not compare[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.BoolOp):  # and / or, short-circuiting as Python does
            values = (walk(v, depth) for v in node.values)
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.IfExp):
            return walk(node.body, depth) if walk(node.test, depth) else \
                walk(node.orelse, depth)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in _FUNCTIONS and not node.keywords:
            args = [walk(a, depth) for a in node.args]
            return _checked(_FUNCTIONS[node.func.id](*args))
        raise _Refused(ALLOWED)

    if len(text) > MAX_EXPRESSION_CHARS:
        raise fail(f"longer than {MAX_EXPRESSION_CHARS} characters")
    tree = _TREES.get(text)
    if tree is None:
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            raise fail("not an arithmetic expression") from None
        if len(_TREES) < 10_000:
            _TREES[text] = tree
    try:
        value = walk(tree, 0)
    except _Refused as err:
        raise fail(str(err)) from None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def substitute(value: Any, env: dict[str, Any], location: Location) -> Any:
    """A copy of `value` with every `$name` and `${expr}` string replaced, locations kept."""
    if isinstance(value, Mapping):
        out = Mapping()
        out.location, out.key_locations = value.location, value.key_locations
        out.value_locations = value.value_locations
        for key, item in value.items():
            out[key] = substitute(item, env, value.where(key))
        return out
    if isinstance(value, Sequence):
        seq = Sequence(substitute(item, env, value.where(i)) for i, item in enumerate(value))
        seq.location, seq.item_locations = value.location, value.item_locations
        return seq
    if isinstance(value, str) and value.startswith("$"):
        if value.startswith("${") and value.endswith("}"):
            return evaluate(value[2:-1], env, location)
        name = value[1:]
        if name not in env:
            known = ", ".join(sorted(env)) or "none"
            raise SpecError.at(location, f"unknown block parameter {show(value)}; known: "
                                         f"{known}")
        return env[name]
    return value
