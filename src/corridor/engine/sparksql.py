"""An estimator's aggregates as Spark SQL text, so a wide grouped scan costs a few calls into Spark's JVM.

Narwhals builds a Spark column by calling into the JVM (py4j) for every function, operator and
literal: an estimate's 76 aggregates over a profile's indicators were about 9,000 round trips and
several seconds of plan building before Spark read a row. Spark parses SQL text in one call per
aggregate instead. The text says what Narwhals' Spark backend builds for the same expression (the
same functions in the same order: ``coalesce(sum(x), 0)`` for a sum, ``CASE WHEN ... END`` for
``when/then``), so Spark's optimized plan, and every number, is the one Narwhals' columns give;
``tests/spark/test_sparksql.py`` compares the two plans for every aggregate the estimators build.

Only the operations the estimators' scans use are written here. Any other one (a division, a
string with a backslash or a quote, a type not listed) makes :func:`aggregate_sql` return None, and
the engine builds that scan through Narwhals as before: slower, never different.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import narwhals as nw

_CASTS: dict[Any, str] = {
    nw.Float64: "DOUBLE", nw.Float32: "FLOAT", nw.Int64: "BIGINT", nw.Int32: "INT", nw.Int16: "SMALLINT",
    nw.Int8: "TINYINT", nw.Boolean: "BOOLEAN", nw.String: "STRING",
}
# Narwhals' Spark backend applies these as PySpark's column operators, which are these SQL operators
_BINARY = {"__add__": "+", "__sub__": "-", "__mul__": "*", "__eq__": "=", "__ne__": "!=", "__lt__": "<",
           "__le__": "<=", "__gt__": ">", "__ge__": ">=", "__and__": "AND", "__or__": "OR"}
# aggregations as Narwhals' SQL backends write them (a sum of no rows is 0, not NULL)
_AGGREGATES = {"sum": "coalesce(sum({}), 0)", "count": "count({})", "min": "min({})", "max": "max({})",
               "mean": "mean({})"}
_VARIANCES = {("var", 0): "var_pop({})", ("var", 1): "var_samp({})",
              ("std", 0): "stddev_pop({})", ("std", 1): "stddev_samp({})"}
_INT32 = 2**31
_INT64 = 2**63


class _Unsupported(Exception):
    """An operation this module does not write as SQL: the scan is built through Narwhals."""


def aggregate_sql(aggs: Sequence[nw.Expr]) -> tuple[list[str], set[str]] | None:
    """Each aggregate as ``<Spark SQL> AS `name```, with the columns they read; None if one is not covered."""
    texts: list[str] = []
    columns: set[str] = set()
    try:
        for expr in aggs:
            text, alias = _expression(expr, columns)
            if alias is None:
                raise _Unsupported("an aggregate without a name")
            texts.append(f"{text} AS {identifier(alias)}")
    except _Unsupported:
        return None
    return texts, columns


def identifier(name: str) -> str:
    """A column name as a Spark SQL identifier (backquoted: dots, spaces and keywords are part of the name)."""
    return "`" + name.replace("`", "``") + "`"


def _expression(expr: Any, columns: set[str]) -> tuple[str, str | None]:
    nodes = getattr(expr, "_nodes", None)
    if not nodes:
        raise _Unsupported("no expression nodes")
    text = _leaf(nodes[0], columns)
    alias: str | None = None
    for node in nodes[1:]:
        if alias is not None:
            raise _Unsupported("an operation after a name")
        name = node.name
        if name == "alias":
            alias = str(node.kwargs["name"])
        elif name in _BINARY:
            (other,) = node.exprs
            text = f"({text} {_BINARY[name]} {_operand(other, node.str_as_lit, columns)})"
        elif name == "cast":
            text = f"CAST({text} AS {_cast_type(node.kwargs.get('dtype'))})"
        elif name == "is_null":
            text = f"isnull({text})"
        elif name == "__invert__":
            text = f"(NOT {text})"
        elif name == "fill_null":
            if node.kwargs.get("strategy") is not None or len(node.exprs) != 1:
                raise _Unsupported("fill_null with a strategy")
            text = f"ifnull({text}, {_operand(node.exprs[0], node.str_as_lit, columns)})"
        elif name == "is_in":
            values = [v for v in node.kwargs.get("other", ()) if v is not None]
            matches = f"({text} IN ({', '.join(_literal(v) for v in values)}))" if values else "false"
            text = f"CASE WHEN isnull({text}) THEN NULL ELSE {matches} END"
        elif name in _AGGREGATES and not node.exprs:
            text = _AGGREGATES[name].format(text)
        elif name in ("var", "std") and (name, node.kwargs.get("ddof")) in _VARIANCES:
            text = _VARIANCES[(name, node.kwargs["ddof"])].format(text)
        elif name == "len" and not node.exprs:
            text = "count(1)"
        else:
            raise _Unsupported(name)
    return text, alias


def _leaf(node: Any, columns: set[str]) -> str:
    name = node.name
    if name == "col":
        names = node.kwargs.get("names") or []
        if len(names) != 1 or not isinstance(names[0], str):
            raise _Unsupported("not a single column")
        columns.add(names[0])
        return identifier(names[0])
    if name == "lit":
        dtype = node.kwargs.get("dtype")
        value = _literal(node.kwargs.get("value"))
        return value if dtype is None else f"CAST({value} AS {_cast_type(dtype)})"
    if name == "len" and not node.exprs:
        return "count(1)"  # PySpark's count("*"), which Narwhals' len is
    if name == "when_then":
        parts = [_operand(e, node.str_as_lit, columns) for e in node.exprs]
        if len(parts) == 2:
            return f"CASE WHEN {parts[0]} THEN {parts[1]} END"
        if len(parts) == 3:
            return f"CASE WHEN {parts[0]} THEN {parts[1]} ELSE {parts[2]} END"
        raise _Unsupported("when_then")
    if name in ("all_horizontal", "any_horizontal") and node.kwargs.get("ignore_nulls") is False and node.exprs:
        joiner = " AND " if name == "all_horizontal" else " OR "
        parts = [_operand(e, node.str_as_lit, columns) for e in node.exprs]
        return parts[0] if len(parts) == 1 else "(" + joiner.join(parts) + ")"
    raise _Unsupported(name)


def _operand(value: Any, str_as_lit: bool, columns: set[str]) -> str:
    if isinstance(value, nw.Expr):
        text, alias = _expression(value, columns)
        if alias is not None:
            raise _Unsupported("a named operand")
        return text
    if isinstance(value, str) and not str_as_lit:
        columns.add(value)
        return identifier(value)
    return _literal(value)


def _literal(value: Any) -> str:
    """A Python value as the literal PySpark's ``lit`` makes of it (same type: a float is a DOUBLE, not a DECIMAL)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if -_INT32 <= value < _INT32:
            return str(value)
        if -_INT64 <= value < _INT64:
            return f"{value}L"
        raise _Unsupported("an integer beyond 64 bits")
    if isinstance(value, float):
        if math.isnan(value):
            return "CAST('NaN' AS DOUBLE)"
        if math.isinf(value):
            return "CAST('Infinity' AS DOUBLE)" if value > 0 else "CAST('-Infinity' AS DOUBLE)"
        return repr(value).upper() + "D"
    if isinstance(value, str):
        # a quote or a backslash reads differently under Spark's escapedStringLiterals setting
        if "'" in value or "\\" in value:
            raise _Unsupported("a string with a quote or a backslash")
        return "'" + value + "'"
    raise _Unsupported(type(value).__name__)


def _cast_type(dtype: Any) -> str:
    for known, sql in _CASTS.items():
        if dtype == known:
            return sql
    raise _Unsupported(f"a cast to {dtype}")
