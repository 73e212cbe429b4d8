"""Administrative flow series: counts of permits, entries or exits by group and period.

Files are read through :mod:`corridor.sources` (DuckDB) and aggregated in one
grouped scan; nationalities are mapped to ISO 3166-1 alpha-3 with
:func:`corridor.harmonize.codes.country_to_iso3`. The series are harmonized
tables (read and coded here, below the flow methods of :mod:`corridor.flows`,
which work on arrays and tables and read no file of their own). Changes between consecutive
periods (absolute and per cent) are added when the series has more than one
period.

:func:`sermig_permits` reads the SERMIG residence-permit table (temporary and
permanent residence permits requested ("Acogidas") and granted ("Otorgadas") in
2023, by comuna and nationality; Servicio Nacional de Migraciones, Chile,
open data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from corridor.errors import ColumnNotFoundError, InputError
from corridor.harmonize.codes import country_to_iso3
from corridor.i18n import Message
from corridor.sources.read import read_source
from corridor.sources.source import Source, quote_ident, quote_literal

SERMIG_SOURCE = "SERMIG (Servicio Nacional de Migraciones, Chile), residence permits 2023, open data"
SERMIG_COLUMNS = {
    "nationality": "pais",
    "region": "region",
    "region_code": "cut_region",
    "comuna": "comuna",
    "comuna_code": "cut_comuna",
    "permit": "residencia",
    "status": "estado",
    "period": "año",
    "count": "n",
}


@dataclass
class AdminSeries:
    """Aggregated counts: one dict per group and period (``count``, ``change``, ``pct_change``)."""

    rows: list[dict[str, Any]]
    by: list[str]
    period: str
    source: str
    filters: dict[str, Any] = field(default_factory=dict)

    def total(self, **match: Any) -> float:
        """Sum of ``count`` over the rows whose fields equal ``match``."""
        return float(sum(r["count"] for r in self.rows if all(r.get(k) == v for k, v in match.items())))


def admin_series(
    data: str | Path | Source,
    *,
    count: str,
    period: str,
    by: Sequence[str] = (),
    where: Mapping[str, Any] | None = None,
    source_name: str | None = None,
    nationality_column: str | None = None,
    **read_options: Any,
) -> AdminSeries:
    """Sum ``count`` by ``by`` and ``period`` (filtered by ``where``), with changes between periods.

    ``data`` is a file (any format :func:`corridor.sources.read.read_source` reads)
    or a :class:`~corridor.sources.source.Source`. If ``nationality_column`` is among
    ``by``, an ``iso3`` field is added. ``where`` values may be scalars or lists.
    Empty count cells are zero; any other non-numeric count is an error.
    """
    src = data if isinstance(data, Source) else read_source(data, **read_options)
    cols = src.columns
    needed = [count, period, *by, *(where or {})]
    missing = [c for c in needed if c not in cols]
    if missing:
        raise ColumnNotFoundError.from_names(missing, cols, where=src.where)
    view = src.view()
    conds = []
    for col, value in (where or {}).items():
        values = value if isinstance(value, list | tuple | set) else [value]
        conds.append(f"{quote_ident(col)} IN ({', '.join(quote_literal(v) for v in values)})")
    keys = [*by, period]
    sel = ", ".join(quote_ident(k) for k in keys)
    sql = (
        f"SELECT {sel}, SUM(TRY_CAST({quote_ident(count)} AS DOUBLE)) AS n, "
        f"COUNT(*) FILTER (WHERE {quote_ident(count)} IS NOT NULL "
        f"AND trim(CAST({quote_ident(count)} AS VARCHAR)) <> '' "
        f"AND TRY_CAST({quote_ident(count)} AS DOUBLE) IS NULL) AS bad "
        f"FROM {view} {'WHERE ' + ' AND '.join(conds) if conds else ''} GROUP BY {sel} ORDER BY {sel}"
    )
    result = src.connection.execute(sql).fetchall()
    bad = sum(r[-1] for r in result)
    if bad:
        raise InputError(
            Message("flows.row_non_numeric_missing", bad=bad, where=src.where, count_=count),
            hint=Message("flows.row_non_numeric_missing.hint", count_=count),
        )
    rows: list[dict[str, Any]] = []
    for rec in result:
        row = dict(zip(keys, rec[: len(keys)]))
        row["count"] = float(rec[len(keys)] or 0.0)
        if nationality_column is not None and nationality_column in by:
            row["iso3"] = country_to_iso3(row[nationality_column])
        rows.append(row)
    previous: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[b] for b in by)
        prev = previous.get(key)
        row["change"] = None if prev is None else row["count"] - prev["count"]
        row["pct_change"] = (
            None if prev is None or prev["count"] == 0 else 100 * (row["count"] - prev["count"]) / prev["count"]
        )
        previous[key] = row
    return AdminSeries(rows, list(by), period, source_name or src.where, dict(where or {}))


def sermig_permits(
    path: str | Path,
    *,
    by: Sequence[str] = ("nationality",),
    nationality: str | None = None,
    region: str | None = None,
    permit: str | None = None,
    status: str | None = None,
) -> AdminSeries:
    """Residence permits from the SERMIG comuna x nationality table (semicolon-separated).

    ``by`` uses corridor's names (nationality, region, comuna, permit, status);
    ``nationality`` is an ISO alpha-3 code or a name; ``permit`` ``"Temporal"`` or
    ``"Definitiva"``; ``status`` ``"Otorgadas"`` (granted) or ``"Acogidas"`` (accepted
    for processing).
    """
    unknown = [b for b in by if b not in SERMIG_COLUMNS]
    if unknown:
        raise InputError(
            Message("flows.cannot_group_sermig_permits", unknown=', '.join(unknown)),
            hint=Message("flows.cannot_group_sermig_permits.hint", items=', '.join(k for k in SERMIG_COLUMNS if k not in ('count', 'period'))),
        )
    src = read_source(path, format="csv", delimiter=";")
    where: dict[str, Any] = {}
    if region is not None:
        where[SERMIG_COLUMNS["region"]] = region
    if permit is not None:
        where[SERMIG_COLUMNS["permit"]] = permit
    if status is not None:
        where[SERMIG_COLUMNS["status"]] = status
    group = [SERMIG_COLUMNS[b] for b in by]
    if nationality is not None and SERMIG_COLUMNS["nationality"] not in group:
        group.append(SERMIG_COLUMNS["nationality"])
    series = admin_series(
        src, count="n", period="año", by=group, where=where, source_name=SERMIG_SOURCE,
        nationality_column=SERMIG_COLUMNS["nationality"],
    )
    rename = {v: k for k, v in SERMIG_COLUMNS.items()}
    rows = [{rename.get(k, k): v for k, v in r.items()} for r in series.rows]
    if nationality is not None:
        code = country_to_iso3(nationality) or nationality.upper()
        rows = [r for r in rows if r.get("iso3") == code]
        if not rows:
            raise InputError(
                Message("flows.sermig_permits_nationality", nationality=nationality),
                hint=Message("flows.sermig_permits_nationality.hint"),
            )
        if "nationality" not in by:
            merged: dict[tuple, dict[str, Any]] = {}
            for r in rows:
                key = tuple(r[b] for b in by) + (r["period"],)
                m = merged.setdefault(key, {**{b: r[b] for b in by}, "period": r["period"], "count": 0.0, "iso3": code})
                m["count"] += r["count"]
            rows = list(merged.values())
    return AdminSeries(rows, list(by), "period", SERMIG_SOURCE, {**series.filters, "nationality": nationality})
