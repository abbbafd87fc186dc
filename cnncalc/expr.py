"""Block parameters: `$name` and `${expression}` in a block's YAML, evaluated safely."""
from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from .errors import Location, SpecError
from .yamlpos import Mapping, Sequence

_FUNCTIONS: dict[str, Callable[..., Any]] = {"min": min, "max": max, "round": round,
                                             "int": int}


def evaluate(text: str, env: dict[str, Any], location: Location) -> Any:
    """The value of an arithmetic (or comparison) expression over the names in `env`.

    Integral results come back as int, so `${in_channels / 2}` can be a channel count.
    """
    import ast  # only specs with ${...} pay for it

    binary: dict[type, Callable[[Any, Any], Any]] = {
        ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
        ast.Pow: operator.pow}
    unary: dict[type, Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos,
                                               ast.Not: operator.not_}
    compare: dict[type, Callable[[Any, Any], bool]] = {
        ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
        ast.Gt: operator.gt, ast.GtE: operator.ge}

    def fail(message: str) -> SpecError:
        return SpecError.at(location, f"in expression '{text}': {message}")

    def walk(node: Any) -> Any:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and \
                not isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in env:
                known = ", ".join(sorted(env)) or "none"
                raise fail(f"unknown name '{node.id}'; known: {known}")
            return env[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in binary:
            left, right = walk(node.left), walk(node.right)
            try:
                return binary[type(node.op)](left, right)
            except (ZeroDivisionError, TypeError, OverflowError) as err:
                raise fail(str(err)) from None
        if isinstance(node, ast.UnaryOp) and type(node.op) in unary:
            return unary[type(node.op)](walk(node.operand))
        if isinstance(node, ast.Compare) and all(type(op) in compare for op in node.ops):
            left = walk(node.left)
            for op, right_node in zip(node.ops, node.comparators):
                right = walk(right_node)
                if not compare[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.BoolOp):  # and / or, short-circuiting as Python does
            values = (walk(v) for v in node.values)
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.IfExp):
            return walk(node.body) if walk(node.test) else walk(node.orelse)
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            return node.value
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id in _FUNCTIONS and not node.keywords:
            return _FUNCTIONS[node.func.id](*(walk(a) for a in node.args))
        raise fail("only numbers, names, + - * / // % **, comparisons, and, or, not, "
                   "x if c else y, and min, max, round, int are allowed")

    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise fail("not an arithmetic expression") from None
    value = walk(tree)
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
            raise SpecError.at(location, f"unknown block parameter '{value}'; known: {known}")
        return env[name]
    return value
