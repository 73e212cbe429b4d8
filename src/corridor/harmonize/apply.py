"""Apply a harmonization spec to a source: canonical columns, design and a complete row ledger.

All work is SQL on DuckDB: one aggregate scan counts filtered, rejected and
unknown-coded rows; further scans run only to describe problems found
(unknown values, example row numbers). The result is a lazy relation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from corridor.errors import ColumnNotFoundError, InputError, SpecError
from corridor.harmonize.compile import Compiled, compile_rule
from corridor.harmonize.concepts import CONCEPTS
from corridor.harmonize.derive import age_group_sql, country_origin_sql, migrant_status_sql
from corridor.harmonize.spec import Spec, load_spec
from corridor.i18n import Message
from corridor.sources.ledger import LedgerLine, Note, RowLedger, UnknownCode
from corridor.sources.read import read_source
from corridor.sources.source import Source, quote_ident, unique_name


class UnknownCodeError(InputError):
    """A source column holds codes the spec does not map (and ``unknown`` is ``error``)."""


def _sql(con: duckdb.DuckDBPyConnection, query: str, spec: Spec, what: Message | str) -> duckdb.DuckDBPyRelation:
    try:
        return con.sql(query)
    except (duckdb.BinderException, duckdb.ParserException, duckdb.CatalogException) as exc:
        first = str(exc).strip().splitlines()[0]
        raise SpecError(Message("harmonize.not_valid_sql", where=spec.where(), what=what, error=first),
                        hint=Message("harmonize.not_valid_sql.hint")) from exc


def _open(source_or_path: Source | str | Path | None, spec: Spec, con: duckdb.DuckDBPyConnection | None) -> Source:
    if isinstance(source_or_path, Source):
        return source_or_path
    path = source_or_path if source_or_path is not None else spec.resolve_file()
    if path is None:
        raise SpecError(Message("harmonize.no_data_file", where=spec.where()), hint=Message("harmonize.no_data_file.hint"))
    return read_source(path, spec.format, con=con, **spec.reader_options)


def _reshape(src: Source, spec: Spec, base: str) -> tuple[str, str]:
    unpivot = spec.reshape.get("unpivot")
    if not unpivot:
        raise SpecError(Message("harmonize.reshape_unpivot", where=spec.where()),
                        hint=Message("harmonize.spec.example", example="reshape: {unpivot: {exclude: [...], names_to: ..., values_to: ...}}"))
    keep = [quote_ident(c) for c in unpivot.get("exclude", [])]
    missing = [c for c in unpivot.get("exclude", []) if c not in src.columns]
    if missing:
        raise ColumnNotFoundError.from_names(missing, src.columns,
                                             where=Message("harmonize.where_reshape", source=src.where, spec=spec.where()))
    names, values = quote_ident(unpivot["names_to"]), quote_ident(unpivot["values_to"])
    excl = ", ".join(keep)
    q = (
        f"SELECT * FROM (SELECT {excl}, COLUMNS(* EXCLUDE ({excl}))::VARCHAR FROM {base}) "
        f"UNPIVOT INCLUDE NULLS ({values} FOR {names} IN (COLUMNS(* EXCLUDE ({excl}))))"
    )
    view = unique_name("unpivot")
    _sql(src.connection, q, spec, "reshape")  # binds the query: reports a bad reshape as a SpecError
    src.connection.execute(f"CREATE TEMP TABLE {view} AS {q}")  # aggregate tables are small; scan once
    width = len(src.columns) - len(keep)
    return view, Message("harmonize.note.unpivoted", count=width, names=repr(unpivot["names_to"]),
                         values=repr(unpivot["values_to"]))


def _examples(con: duckdb.DuckDBPyConnection, base: str, cond: str, limit: int = 5) -> list[int]:
    q = f"SELECT _rn FROM (SELECT row_number() OVER () AS _rn, * FROM {base}) WHERE {cond} ORDER BY _rn LIMIT {limit}"
    return [int(r[0]) for r in con.sql(q).fetchall()]


def harmonize(
    source_or_path: Source | str | Path | None,
    spec: Spec | str | Path | dict[str, Any],
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    unknown: str | None = None,
    materialize: bool = False,
) -> Source:
    """Map a source onto corridor's canonical concepts with a spec.

    ``source_or_path`` is a :class:`Source`, a file path, or ``None`` for the
    file the spec names. ``unknown`` overrides the spec's action for unknown
    codes: ``"error"`` (raise, naming file, column, value and rows),
    ``"missing"`` (map to missing, with a ledger line) or ``"reject"`` (drop
    the rows, with a ledger line). Returns a :class:`Source` whose relation
    holds the canonical columns and whose ``design`` holds the sample design.
    The relation is lazy (each query scans the file again); ``materialize=True``
    stores it once in a DuckDB temporary table, for sources queried many times.
    """
    spec = load_spec(spec)
    action = unknown or spec.unknown
    src = _open(source_or_path, spec, con)
    con = src.connection
    base = src.view()
    notes: list[Note] = []
    if spec.reshape:
        base, note = _reshape(src, spec, base)
        notes.append(note)
    rel0 = con.sql(f"SELECT * FROM {base}")
    types = {c: str(t) for c, t in zip(rel0.columns, rel0.types)}
    where = Message("harmonize.where_source", source=src.where, spec=spec.where())
    missing = [c for c in spec.source_columns() if c not in types]
    if missing:
        raise ColumnNotFoundError.from_names(missing, types, where=where)
    compiled = [compile_rule(r, spec, src, base, types, action) for r in spec.columns.values()]
    compiled += _replicate_columns(spec, types, where)

    filters = [f"coalesce(({f['where']}), FALSE)" for f in spec.filters]
    passed = " AND ".join(f"({f})" for f in filters) or "TRUE"
    rejects: list[tuple[Note, str]] = [(r["reason"], f"coalesce(({r['where']}), FALSE)") for r in spec.reject]
    weight = next((c for c in compiled if c.target == "weight"), None)
    if weight is not None:
        not_text = f"NOT coalesce({weight.unknown_cond}, FALSE)" if weight.unknown_cond else "TRUE"
        rejects += [
            ("weight is missing", f"({weight.expr}) IS NULL AND {not_text}"),
            ("weight is negative", f"coalesce(({weight.expr}) < 0, FALSE)"),
        ]
    prior = " OR ".join(f"({cond})" for _, cond in rejects) or "FALSE"
    screened = f"({passed}) AND NOT ({prior})"  # rows on which codes are checked
    rejects += [
        (Message(f"harmonize.ledger.unknown_{'number' if c.what == 'number' else 'code'}_in_column", column=c.source),
         c.unknown_cond)
        for c in compiled
        if c.unknown_cond and c.action == "reject"
    ]
    aggs = ["count(*)"]
    prev = "TRUE"
    for f in filters:
        aggs.append(f"count_if(({prev}) AND NOT {f})")
        prev = f"({prev}) AND {f}"
    done = "FALSE"
    sequential = []  # each reason counts only rows no earlier reason took
    for _, cond in rejects:
        sequential.append(f"({passed}) AND NOT ({done}) AND ({cond})")
        aggs.append(f"count_if({sequential[-1]})")
        done = f"({done}) OR ({cond})"
    checks = [c for c in compiled if c.unknown_cond]
    aggs += [f"count_if(({screened}) AND {c.unknown_cond})" for c in checks]
    counts = _sql(con, f"SELECT {', '.join(aggs)} FROM {base}", spec,
                  Message("harmonize.sql_what.filter_rule")).fetchall()[0]
    ledger = RowLedger(source=str(src.where), read=int(counts[0]), notes=notes + list(src.ledger.notes))
    k = 1
    for f in spec.filters:
        ledger.filtered.append(LedgerLine(f["rule"], int(counts[k])))
        k += 1
    for (reason, _), cond in zip(rejects, sequential):
        n = int(counts[k])
        k += 1
        ledger.rejected.append(LedgerLine(reason, n, _examples(con, base, cond) if n else []))
    _unknowns(con, base, screened, checks, counts[k:], ledger, where, spec)

    keep = f"({passed}) AND NOT ({done})"
    select = ", ".join(f"{c.expr} AS {quote_ident(c.target)}" for c in compiled)
    rel = _sql(con, f"SELECT {select} FROM {base} WHERE {keep}", spec, Message("harmonize.sql_what.column_rule"))
    rel, derived_notes = _derive(con, rel, spec, where)
    ledger.notes += derived_notes
    if materialize:
        view, table = unique_name("h"), unique_name("harmonized")
        rel.create_view(view, replace=True)
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {view}")
        rel = con.sql(f"SELECT * FROM {table}")
    return Source(
        relation=rel,
        path=src.path,
        format=src.format,
        connection=con,
        variable_labels={c: CONCEPTS[c].description for c in rel.columns if c in CONCEPTS},
        value_labels={c: dict(t) for c, t in spec.labels.items()},
        ledger=ledger,
        design=_design(spec, [c.target for c in compiled]),
        spec=spec.name,
        options={
            "unit": spec.design.get("unit", "person"),
            "drop_rejected": spec.drop_rejected,
            "source_columns": {r.target: r.source for r in spec.columns.values() if r.source},
        },
    )


def _unknowns(con, base, passed, checks, counts, ledger, where, spec) -> None:
    errors = []
    for c, n in zip(checks, counts):
        if not n:
            continue
        cond = f"({passed}) AND {c.unknown_cond}"
        col = c.value_sql
        rows = con.sql(f"SELECT {col}, count(*) FROM {base} WHERE {cond} GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20").fetchall()
        rows = [(int(v) if isinstance(v, float) and v.is_integer() else v, n) for v, n in rows]
        for value, count in rows:
            ledger.unknown.append(UnknownCode(c.source, value, int(count), c.action, c.target))
        if c.action == "error":
            errors.append((c, rows, _examples(con, base, cond)))
    if errors:
        c, rows, ex = errors[0]
        # counts without a thousands separator: '1,234' reads as a decimal in Spanish and French
        shown = [Message("harmonize.value_rows", count=int(n), value=repr(v)) for v, n in rows[:5]]
        more = (Message("harmonize.unknown_values.more", columns=", ".join(repr(e[0].source) for e in errors[1:]))
                if len(errors) > 1 else "")
        kind = "number" if c.what == "number" else "code"
        if c.target == "weight":
            hint = Message("harmonize.unknown_values.weight.hint")
        elif kind == "number":
            hint = Message("harmonize.unknown_values.number.hint", target=c.target)
        else:
            hint = Message("harmonize.unknown_values.code.hint", target=c.target)
        raise UnknownCodeError(
            Message(f"harmonize.unknown_values.{kind}", where=where, column=repr(c.source), target=c.target,
                    shown=shown, rows=", ".join(map(str, ex)), more=more),
            hint=hint,
        )


def _replicate_columns(spec: Spec, types: dict[str, str], where: Message) -> list[Compiled]:
    rep = spec.design.get("replicate")
    if not rep:
        return []
    cols = rep["columns"]
    if isinstance(cols, str) and cols.endswith("*"):
        cols = [c for c in types if c.startswith(cols[:-1])]
    missing = [c for c in cols if c not in types]
    if missing or not cols:
        raise ColumnNotFoundError.from_names(missing or [str(rep["columns"])], types, where=where)
    return [Compiled(f"repw_{i}", f"CAST({quote_ident(c)} AS DOUBLE)") for i, c in enumerate(cols, 1)]


def _derive(con, rel, spec: Spec, where: Message):
    # notes are kept as ids with parameters: a harmonized source (and its ledger) is stored and read
    # again in other languages (the service's registered sources), and each reader sees its own
    notes: list[Note] = []
    items: list[tuple[str, str]] = []
    cols = set(rel.columns)
    for target, rule in spec.derive.items():
        opts = rule if isinstance(rule, dict) else {}
        if target == "migrant_status" and (rule is None or isinstance(rule, dict)):
            host = opts.get("host") or spec.country
            items += list(migrant_status_sql(cols, host, where).items())
            notes.append(Message("harmonize.note.migrant_status", host=host))
        elif target == "age_group" and (rule is None or isinstance(rule, dict)):
            items.append(("age_group", age_group_sql(opts)))
        elif target == "country_origin" and (rule is None or isinstance(rule, dict)):
            items.append(("country_origin", country_origin_sql(cols)))
        else:
            items.append((target, f"({rule})"))
    for name, expr in items:
        view = unique_name("h")
        rel.create_view(view, replace=True)
        if name in rel.columns:
            q = f"SELECT * REPLACE ({expr} AS {quote_ident(name)}) FROM {view}"
        else:
            q = f"SELECT *, {expr} AS {quote_ident(name)} FROM {view}"
        rel = _sql(con, q, spec, f"derive.{name}")
    return rel, notes


def _design(spec: Spec, targets: list[str]) -> dict[str, Any]:
    """The design as the plain mapping ``corridor.design.design_from_dict`` takes, on canonical names."""
    d = spec.design
    rep = d.get("replicate")
    weights = "weight" if "weight" in targets else None
    if rep:
        out: dict[str, Any] = {
            "type": "replicate",
            "weights": weights,
            "repweights": [t for t in targets if t.startswith("repw_")],
            "rep_type": rep["type"],
            "mse": bool(rep.get("mse", False)),
        }
        out.update({k: rep[k] for k in ("scale", "rscales", "rho", "combined_weights") if rep.get(k) is not None})
        return out
    return {
        "type": "taylor",
        "weights": weights,
        "strata": "strata" if "strata" in targets else None,
        "ids": "psu" if "psu" in targets else None,
        "fpc": "fpc" if "fpc" in targets else None,
        "nest": bool(d.get("nest", False)),
        "lonely_psu": d.get("lonely_psu", "certainty"),
    }


__all__ = ["UnknownCodeError", "harmonize"]
