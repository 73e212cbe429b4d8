"""Subpopulation conditions written as text, turned into engine-neutral expressions.

The language is a safe subset of Python expressions: comparisons
(``== != < <= > >=``), ``and``/``or``/``not``, ``in [...]``/``not in [...]``,
``isnull(col)``/``notnull(col)``, numbers, strings and column names (quote a
name with backticks when it is not an identifier: ```api.stu` > 0``).
Nothing is evaluated by Python itself.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

import narwhals as nw

from corridor.errors import InputError
from corridor.i18n import Message

_OPS: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}
_BACKTICK = re.compile(r"`([^`]+)`")


def parse_where(text: str) -> tuple[nw.Expr, set[str]]:
    """Parse a condition; return the expression and the columns it reads."""
    names: dict[str, str] = {}

    def protect(match: re.Match[str]) -> str:
        key = f"__col{len(names)}"
        names[key] = match.group(1)
        return key

    source = _BACKTICK.sub(protect, text)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise InputError(
            Message("estimation.cannot_read_condition", text=text),
            hint=Message("estimation.cannot_read_condition.hint"),
        ) from exc
    columns: set[str] = set()

    def column(name: str) -> nw.Expr:
        real = names.get(name, name)
        columns.add(real)
        return nw.col(real)

    def value(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
                and isinstance(node.operand.value, int | float) and not isinstance(node.operand.value, bool)):
            return -node.operand.value
        raise InputError(Message("estimation.expected_number_quoted_string", text=text, unparse=ast.unparse(node)))

    def build(node: ast.AST) -> Any:
        if isinstance(node, ast.BoolOp):
            parts = [build(v) for v in node.values]
            out = parts[0]
            for p in parts[1:]:
                out = (out & p) if isinstance(node.op, ast.And) else (out | p)
            return out
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ~build(node.operand)
        if isinstance(node, ast.Compare):
            left = build(node.left)
            out = None
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn):
                    if not isinstance(right_node, ast.List | ast.Tuple | ast.Set):
                        raise InputError(Message("estimation.needs_list_region", text=text))
                    expr = left.is_in([value(v) for v in right_node.elts])
                    expr = ~expr if isinstance(op, ast.NotIn) else expr
                elif type(op) in _OPS:
                    expr = _OPS[type(op)](left, build(right_node))
                else:
                    raise InputError(Message("estimation.unsupported_comparison", text=text, name=type(op).__name__))
                out = expr if out is None else out & expr
                left = build(right_node)
            return out
        if isinstance(node, ast.Name):
            return column(node.id)
        if isinstance(node, ast.Constant) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)):
            return nw.lit(value(node))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and len(node.args) == 1:
            arg = node.args[0]
            if isinstance(arg, ast.Name) and node.func.id in ("isnull", "notnull"):
                col = column(arg.id)
                return col.is_null() if node.func.id == "isnull" else ~col.is_null()
        raise InputError(
            Message("estimation.cannot_use", text=text, unparse=ast.unparse(node)),
            hint=Message("estimation.cannot_use.hint"),
        )

    return build(tree.body), columns
