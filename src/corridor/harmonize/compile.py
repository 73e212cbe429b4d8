"""Compile a spec's column rules into DuckDB SQL: value expressions and unknown-code conditions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from corridor.errors import SpecError
from corridor.harmonize.codes import region_from_table
from corridor.harmonize.concepts import CONCEPTS
from corridor.harmonize.spec import ColumnRule, Spec
from corridor.i18n import Message
from corridor.sources.source import Source, quote_ident, quote_literal

_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
            "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL")
_TYPE_NAMES = {"integer": "INTEGER", "int": "INTEGER", "bigint": "BIGINT", "double": "DOUBLE", "float": "DOUBLE",
               "number": "DOUBLE", "string": "VARCHAR", "varchar": "VARCHAR", "text": "VARCHAR", "boolean": "BOOLEAN"}
_PASS_THROUGH = {"strata", "psu", "household_id"}


def is_numeric(sql_type: str) -> bool:
    return sql_type.upper().startswith(_NUMERIC)


@dataclass
class Compiled:
    """SQL for one canonical column."""

    target: str
    expr: str
    unknown_cond: str | None = None  # rows whose source value is neither mapped nor declared missing
    source: str | None = None  # name shown in messages (a column, or the rule's expression)
    value_sql: str | None = None  # SQL giving the source value (to list unknown values)
    action: str = "error"
    what: str = "code"  # "code" or "number"


def target_type(rule: ColumnRule) -> str | None:
    if rule.dtype:
        t = _TYPE_NAMES.get(str(rule.dtype).lower())
        if not t:
            raise SpecError(Message("harmonize.unknown_type", target=rule.target, type=repr(rule.dtype)),
                            hint=Message("harmonize.unknown_type.hint", types=", ".join(_TYPE_NAMES)))
        return t
    if rule.target in _PASS_THROUGH:
        return None
    c = CONCEPTS.get(rule.target)
    return c.dtype if c else "DOUBLE"


def _key_sql(key: Any, numeric: bool, rule: ColumnRule, spec: Spec, label: Message) -> str:
    if numeric:
        try:
            num = float(key)
        except (TypeError, ValueError):
            raise SpecError(
                Message("harmonize.code_not_numeric", where=spec.where(), target=rule.target, code=repr(key), label=label),
                hint=Message("harmonize.code_not_numeric.hint"),
            ) from None
        return repr(int(num)) if num.is_integer() else repr(num)
    if isinstance(key, float) and key.is_integer():
        key = int(key)
    return quote_literal(str(key))


def _table_codes(rule: ColumnRule, src: Source, base: str, value_sql: str) -> dict[Any, Any]:
    values = [r[0] for r in src.connection.sql(f"SELECT DISTINCT {value_sql} FROM {base} WHERE {value_sql} IS NOT NULL").fetchall()]
    labels = src.value_labels.get(rule.source or "", {}) if rule.via_labels else {}
    out: dict[Any, Any] = {}
    for v in values:
        probe = v
        if rule.via_labels:
            probe = labels.get(v)
            if probe is None and isinstance(v, int | float) and float(v).is_integer():
                probe = labels.get(float(v), labels.get(int(v)))
            if probe is None:
                continue
        iso = region_from_table(rule.table, probe)
        if iso is not None:
            out[v] = iso
    return out


def compile_rule(rule: ColumnRule, spec: Spec, src: Source, base: str, types: dict[str, str], unknown: str) -> Compiled:
    """SQL expression (and unknown condition) for one rule, on the view ``base``."""
    ttype = target_type(rule)
    action = rule.unknown or unknown
    if rule.constant:
        return Compiled(rule.target, f"CAST({quote_literal(rule.value)} AS {ttype or 'VARCHAR'})")
    if rule.expr is not None:
        col, label = f"({rule.expr})", Message("harmonize.label_expression", expr=repr(rule.expr))
        if not (rule.is_coded or rule.ranges):
            return Compiled(rule.target, f"CAST({col} AS {ttype})" if ttype else col)
        try:
            col_type = str(src.connection.sql(f"SELECT {col} FROM {base} LIMIT 0").types[0])
        except Exception as exc:  # DuckDB binder/parser errors
            raise SpecError(Message("harmonize.expr_not_valid_sql", where=spec.where(), target=rule.target,
                                    error=str(exc).splitlines()[0]),
                            hint=Message("harmonize.expr_not_valid_sql.hint")) from exc
    else:
        col, label, col_type = (quote_ident(rule.source), Message("harmonize.label_column", column=repr(rule.source)),
                                types[rule.source])
    shown = rule.source or rule.expr
    numeric = is_numeric(col_type)
    ref = col if numeric else f"trim(CAST({col} AS VARCHAR))"
    missing = [_key_sql(k, numeric, rule, spec, label) for k in rule.missing]
    missing_cond = f"{ref} IN ({', '.join(missing)})" if missing else "FALSE"
    if rule.codes or rule.ranges or rule.table:
        codes = dict(rule.codes)
        if rule.table:
            table = _table_codes(rule, src, base, col)
            table.update(codes)
            codes = table
        whens = [f"WHEN {ref} IS NULL OR {missing_cond} THEN NULL"]
        known = [f"{ref} IS NULL", missing_cond]
        if codes:
            keys = {_key_sql(k, numeric, rule, spec, label): v for k, v in codes.items()}
            if len(keys) > 8:  # a hash lookup beats a long CASE chain (country tables have 200+ entries)
                key = f"CAST({ref} AS DOUBLE)" if numeric else ref
                lit = ", ".join(f"{f'CAST({k} AS DOUBLE)' if numeric else k}: {quote_literal(v)}" for k, v in keys.items())
                whens.append(f"WHEN map_contains(MAP {{{lit}}}, {key}) THEN (MAP {{{lit}}})[{key}]")
                known.append(f"map_contains(MAP {{{lit}}}, {key})")
            else:
                whens += [f"WHEN {ref} = {k} THEN {quote_literal(v)}" for k, v in keys.items()]
                known.append(f"{ref} IN ({', '.join(keys)})")
        for lo, hi, v in rule.ranges:
            num = col if numeric else f"TRY_CAST({ref} AS DOUBLE)"
            cond = f"{num} BETWEEN {lo!r} AND {hi!r}"
            whens.append(f"WHEN {cond} THEN {quote_literal(v)}")
            known.append(cond)
        other = quote_literal(rule.other) if rule.has_other else "NULL"
        expr = f"CASE {' '.join(whens)} ELSE {other} END"
        if ttype and ttype != "VARCHAR":
            expr = f"CAST({expr} AS {ttype})"
        cond = None if rule.has_other else f"NOT coalesce({' OR '.join(known)}, FALSE)"
        return Compiled(rule.target, expr, cond, shown, col, action, "code")
    # a typed column (with optional declared missing values)
    if ttype is None:
        return Compiled(rule.target, f"CASE WHEN {missing_cond} THEN NULL ELSE {col} END" if missing else col)
    if numeric or ttype == "VARCHAR":
        inner = f"CAST({col} AS {ttype})"
        if ttype == "VARCHAR" and col_type.upper().startswith(("DOUBLE", "FLOAT", "REAL", "DECIMAL")):
            # Stata/SPSS store codes such as folio or comuna as doubles: write 2101, not 2101.0
            inner = f"CASE WHEN {col} = trunc({col}) THEN CAST(CAST({col} AS HUGEINT) AS VARCHAR) ELSE {inner} END"
        return Compiled(rule.target, f"CASE WHEN {missing_cond} THEN NULL ELSE {inner} END" if missing else inner)
    conv = f"TRY_CAST({ref} AS {ttype})"
    expr = f"CASE WHEN {missing_cond} OR {ref} = '' THEN NULL ELSE {conv} END"
    cond = f"({ref} IS NOT NULL AND {ref} <> '' AND NOT coalesce({missing_cond}, FALSE) AND {conv} IS NULL)"
    if rule.target == "weight":
        action = "error"
    return Compiled(rule.target, expr, cond, shown, col, action, "number")
