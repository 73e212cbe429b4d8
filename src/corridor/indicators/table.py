"""The tidy indicator table (SDMX-like columns), its quality labels and its disclosure control."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from corridor.quality import assess
from corridor.quality.disclosure import suppress_indicators

# one row per indicator x population x area x period x disaggregation cell x level
COLUMNS: dict[str, pa.DataType] = {
    "indicator": pa.string(),
    "population": pa.string(),          # corridor, migrants, natives, gap (corridor minus natives)
    "area": pa.string(),                # ISO 3166-1 alpha-3 country or ISO 3166-2 region
    "period": pa.int32(),
    "disaggregation": pa.string(),      # total, sex, age_band, age_group, region
    "disaggregation_value": pa.string(),
    "level": pa.string(),               # category of a distribution
    "estimand": pa.string(),
    "estimate": pa.float64(),
    "se": pa.float64(),
    "ci_low": pa.float64(),
    "ci_high": pa.float64(),
    "ci_level": pa.float64(),
    "cv": pa.float64(),
    "df": pa.float64(),
    "deff": pa.float64(),
    "n": pa.int64(),
    "unweighted": pa.int64(),           # sample cases having the characteristic (proportions; ECLAC schemes)
    "unit": pa.string(),
    "quality": pa.string(),
    "quality_reason": pa.string(),
    "quality_scheme": pa.string(),
    # the criteria behind the label, as corridor.quality.assess(names="corridor") gives them (calidad's strings)
    **{c: pa.string() for c in ("quality_n", "quality_df", "quality_cv", "quality_p_side")},
    "quality_se_bound": pa.float64(),
    **{c: pa.string() for c in ("quality_se", "quality_deff", "quality_ess", "quality_log_cv", "quality_ci")},
    "quality_components": pa.string(),  # gaps: the labels of the cells compared, "corridor=...;natives=..."
    "suppressed": pa.bool_(),
    "suppression_reason": pa.string(),
    "status": pa.string(),              # ok, unavailable, not_applicable
    "note": pa.string(),
    "source": pa.string(),
    "source_kind": pa.string(),         # survey or aggregate
    "synthetic": pa.bool_(),
}
CRITERIA = tuple(c for c in COLUMNS if c.startswith("quality_") and c not in ("quality_reason", "quality_scheme",
                                                                            "quality_components"))


def empty_table() -> pa.Table:
    """A table with the columns and no rows."""
    return pa.Table.from_pylist([], schema=pa.schema(list(COLUMNS.items())))


def to_table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Rows (dicts) to an Arrow table with exactly :data:`COLUMNS`."""
    fixed = [{k: r.get(k) for k in COLUMNS} for r in rows]
    for r in fixed:
        for k in ("n", "unweighted"):
            if r[k] is not None:
                r[k] = int(r[k])
        if r["period"] is not None:
            r["period"] = int(r["period"])
    return pa.Table.from_pylist(fixed, schema=pa.schema(list(COLUMNS.items())))


def finish(rows: list[dict[str, Any]], *, scheme: str = "chile", min_n: int = 30) -> pa.Table:
    """Quality labels (:func:`corridor.quality.assess`) and disclosure control on survey rows.

    Unavailable rows pass through. Disclosure control is
    :func:`corridor.quality.disclosure.suppress_indicators`, the rule every published cell follows
    (primary and secondary suppression per indicator x population x disaggregation, the overall
    cell being a member of every disaggregation's margin group; a gap suppressed when either cell
    it compares is).
    """
    ok = [r for r in rows if r.get("status") == "ok"]
    rest = [r for r in rows if r.get("status") != "ok"]
    if ok:
        labelled = suppress_indicators(_assess(ok, scheme), min_n=min_n)
        ok = [_to_unit(r) for r in labelled]
    return to_table(ok + rest)


def _to_unit(r: dict[str, Any]) -> dict[str, Any]:
    """Proportions are estimated on 0-1 (the quality rules need p); the table states percent."""
    if r.get("unit") == "percent":
        for k in ("estimate", "se", "ci_low", "ci_high"):
            if r.get(k) is not None:
                r[k] = 100.0 * r[k]
    return r


def _assess(rows: list[dict[str, Any]], scheme: str) -> list[dict[str, Any]]:
    keys = ("estimand", "estimate", "se", "cv", "n", "df", "deff", "unweighted", "ci_low", "ci_high", "ci_level")
    t = pa.Table.from_pylist([{k: r.get(k) for k in keys} for r in rows],
                             schema=pa.schema([("estimand", pa.string())] + [(k, pa.float64()) for k in keys[1:]]))
    a = assess(t, scheme, names="corridor").to_pydict()
    out = []
    for i, r in enumerate(rows):
        row = {**r, "quality": a["quality"][i], "quality_reason": a["quality_reason"][i],
               "quality_scheme": a["quality_scheme"][i]}
        row.update({c: a[c][i] if c in a else None for c in CRITERIA})
        out.append(row)
    cells = {_cell_key(r, r["population"]): r["quality"] for r in out if r["population"] in ("corridor", "natives")}
    for r in out:
        if r["population"] == "gap":
            sides = [(p, cells.get(_cell_key(r, p))) for p in ("corridor", "natives")]
            r["quality_components"] = ";".join(f"{p}={q or ''}" for p, q in sides)
    return out


def _cell_key(r: dict[str, Any], population: str) -> tuple:
    return (r["indicator"], population, r.get("area"), r.get("period"), r["disaggregation"],
            r["disaggregation_value"], r["level"])


def gap_rows(table: pa.Table) -> pa.Table:
    """The gap rows of a tidy table."""
    mask = np.array([p == "gap" for p in table.column("population").to_pylist()])
    return table.filter(pa.array(mask))
