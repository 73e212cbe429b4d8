"""Survey indicators for corridor migrants, all migrants and natives, with gaps, quality and disclosure control.

Method. Every survey indicator becomes one column of a projection of the harmonized data: a
0/1 value inside the indicator's universe (shares and rates: the engine's ``Proportion`` with
``na="drop"``, so the universe is the denominator), the variable inside the universe (means,
medians) or a category (distributions). All indicators that share the design are then estimated
together in one grouped scan (:func:`corridor.estimate`) for every disaggregation and both
population splits: ``by = [corridor / other migrant / native, disaggregation]`` with covariances,
whose :meth:`~corridor.Estimates.compare` gives the corridor-minus-native gap and its standard
error (as R ``svycontrast`` on ``svyby(..., covmat=TRUE)``), and ``by = [migrant_status,
disaggregation]`` for all migrants (the second split is a function of the first, so grouping by
both adds no groups). Medians need one read of their rows (sorted values) and have no
covariance, so gaps of medians carry no standard error.

Quality labels come from :func:`corridor.quality.assess` (INE Chile 2020 or ECLAC 2023, as
``calidad``), disclosure control from :func:`corridor.quality.suppress`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import narwhals as nw
import numpy as np
import pyarrow as pa

from corridor.engine import Engine, get_engine
from corridor.errors import InputError
from corridor.estimands import Mean, Proportion, Quantile
from corridor.estimation import estimate
from corridor.i18n import Message
from corridor.indicators.catalogue import Indicator, load
from corridor.indicators.survey import SurveySource
from corridor.indicators.table import COLUMNS, empty_table, finish

AGE_BANDS = ("0-14", "15-24", "25-44", "45-64", "65+")
_AGE_BAND_SQL = ("CASE WHEN age < 15 THEN '0-14' WHEN age < 25 THEN '15-24' WHEN age < 45 THEN '25-44' "
                 "WHEN age < 65 THEN '45-64' ELSE '65+' END")
_POP = "corridor_pop"
_SPLIT_LABEL = {"corridor": "corridor", "native": "natives"}


@dataclass
class SurveyResult:
    """The tidy table of survey indicators and the number of scans it took."""

    table: pa.Table
    scans: int
    unavailable: dict[str, list[str]]


def compute_survey(
    source: SurveySource,
    origin: str,
    destination: str,
    *,
    indicators: Sequence[Indicator] | None = None,
    disaggregations: Sequence[str] = ("sex", "age_band", "region"),
    region: str | None = None,
    scheme: str = "chile",
    min_n: int = 30,
    engine: str | Engine | None = None,
    period: int | None = None,
) -> SurveyResult:
    """Estimate the survey indicators of the catalogue for the three populations, overall and by disaggregation.

    Args:
        source: harmonized microdata and design (:func:`corridor.indicators.survey.load_survey`).
        origin, destination: ISO 3166-1 alpha-3 codes; corridor migrants are persons born in
            ``origin`` (citizenship where birthplace is missing) living in ``destination``.
        indicators: the definitions to compute (default: the shipped catalogue's survey indicators).
        disaggregations: among ``sex``, ``age_band``, ``region``.
        region: an ISO 3166-2 code restricting the whole computation to one region (a subpopulation).
        scheme: quality scheme, ``chile`` (INE 2020) or ``eclac_2023``.
        min_n: cells with fewer sample rows are suppressed (and the cells that would reveal them).
        engine: an engine instance (its ``scans`` counter is reported) or name.
        period: reference year written in the table (default: the source's).

    Returns:
        :class:`SurveyResult` with a table in :data:`corridor.indicators.table.COLUMNS`.
    """
    eng = get_engine(engine)
    start = eng.scans
    inds = [i for i in (indicators or load().values()) if i.source == "survey"]
    cols = set(source.columns)
    rows: list[dict[str, Any]] = []
    unavailable: dict[str, list[str]] = {}
    base = _base(source, region.upper() if region else destination, period)
    lacking_pop = [c for c in ("migrant_status",) if c not in cols]
    if "country_origin" not in cols and "country_birth" not in cols:
        lacking_pop.append("country_origin")
    usable: list[Indicator] = []
    for ind in inds:
        missing = lacking_pop + ind.missing_concepts(cols, source_min_age=source.min_age)
        if missing:
            unavailable[ind.id] = missing
            rows += _unavailable_rows(ind, base, missing, source)
        else:
            usable.append(ind)
    dis = [d for d in disaggregations if (d == "age_band" and "age" in cols) or d in cols]
    if region:
        dis = [d for d in dis if d != "region"]
    if usable:
        with np.errstate(invalid="ignore", divide="ignore"):  # empty domains give NaN, flagged by the engine
            rows += _estimate_all(source, origin, usable, region, dis, eng, base, counts=scheme.startswith("eclac"))
    table = finish(rows, scheme=scheme, min_n=min_n) if rows else empty_table()
    return SurveyResult(table=table, scans=eng.scans - start, unavailable=unavailable)


def _estimate_all(source: SurveySource, origin: str, usable: list[Indicator], region: str | None, dis: list[str],
                  eng: Engine, base: dict[str, Any], *, counts: bool = False) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    frame = _frame(source, origin, usable, region, dis, eng)
    linear = [_estimand(i) for i in usable if i.type != "median"]
    medians = [_estimand(i) for i in usable if i.type == "median"]
    by_id = {i.id: i for i in usable}
    groups = [[], *([d] for d in dis)]
    # every disaggregation of a population split comes from one grouped scan
    if linear:
        rows += _linear(frame, source, linear, groups, by_id, base, eng)
    if medians:
        rows += _medians(frame, source, medians, groups, by_id, base, eng)
    if counts:
        for dims in groups:
            _attach_counts(rows, _case_counts(frame, usable, dims, eng), dims)
    return rows


def _dims(r: dict[str, Any]) -> list[str]:
    """The disaggregation variables of a result row (its grouping without the population split)."""
    grouping = r.get("grouping")
    return grouping.split(",")[1:] if grouping else []


def _case_counts(frame: nw.LazyFrame, inds: list[Indicator], dims: list[str], eng: Engine) -> dict[tuple, int]:
    """Unweighted sample cases having each characteristic (ECLAC's count for proportions), one grouped scan.

    Keys: (population, disaggregation value or '_T', indicator id, level or None).
    """
    aggs, names = [], {}
    for ind in inds:
        v = nw.col(f"v_{ind.id}")
        if ind.type in ("share", "rate"):
            names[f"c{len(names)}"] = (ind.id, None)
            aggs.append((v == 1).cast(nw.Int64).sum().alias(f"c{len(names) - 1}"))
        elif ind.type == "distribution":
            for lv in ind.levels:
                names[f"c{len(names)}"] = (ind.id, lv)
                aggs.append((v == lv).cast(nw.Int64).sum().alias(f"c{len(names) - 1}"))
    if not aggs:
        return {}
    out: dict[tuple, int] = {}
    for r in eng.aggregate(frame, [_POP, "migrant_split", *dims], aggs).to_pylist():
        cell = r[dims[0]] if dims else "_T"
        pops = [p for p in (_SPLIT_LABEL.get(r[_POP]), "migrants" if r["migrant_split"] == "migrant" else None) if p]
        for col, (ind_id, lv) in names.items():
            for p in pops:
                key = (p, cell, ind_id, lv)
                out[key] = out.get(key, 0) + int(r[col] or 0)
    return out


def _attach_counts(rows: list[dict[str, Any]], counts: dict[tuple, int], dims: list[str]) -> None:
    dis = dims[0] if dims else "total"
    for r in rows:
        if r["disaggregation"] != dis or "unweighted" in r:
            continue
        if r["estimand"] == "proportion":
            r["unweighted"] = counts.get((r["population"], r["disaggregation_value"], r["indicator"], r["level"]))
        else:
            r["unweighted"] = r.get("n")


def _base(source: SurveySource, destination: str, period: int | None) -> dict[str, Any]:
    return {"area": destination, "period": period or source.year, "source": source.title,
            "source_kind": "survey", "synthetic": source.synthetic}


def _frame(source: SurveySource, origin: str, inds: list[Indicator], region: str | None, dis: list[str], eng: Engine) -> nw.LazyFrame:
    origin_col = "country_origin" if "country_origin" in source.columns else "country_birth"
    exprs = [
        (f"CASE WHEN migrant_status = 'migrant' AND {origin_col} = '{_code(origin)}' THEN 'corridor' "
        f"WHEN migrant_status = 'migrant' THEN 'other_migrant' WHEN migrant_status = 'native' THEN 'native' "
        f"ELSE 'unknown' END AS {_POP}"),
        "coalesce(migrant_status, 'unknown') AS migrant_split",
    ]
    for d in dis:
        exprs.append(f"coalesce(CAST({_AGE_BAND_SQL if d == 'age_band' else d} AS VARCHAR), 'unknown') AS {d}")
    for ind in inds:
        u = ind.universe_sql(source.columns)
        if ind.type in ("share", "rate"):
            exprs.append(f"CASE WHEN {u} THEN CASE WHEN {ind.numerator} THEN 1 ELSE 0 END END AS v_{ind.id}")
        elif ind.type in ("mean", "median"):
            exprs.append(f"CASE WHEN {u} THEN CAST({ind.variable} AS DOUBLE) END AS v_{ind.id}")
        else:
            exprs.append(f"CASE WHEN {u} THEN CAST({ind.categories['expr']} AS VARCHAR) END AS v_{ind.id}")
    # a design's columns that a disaggregation redefines come with it (calibration variables may be both)
    design_cols = [c for c in source.design.columns if c and c not in dis]
    rel = source.relation
    if region:
        if "region" not in source.columns:
            raise InputError(Message("indicators.region_without_region", region=region, source=source.name),
                             hint=Message("indicators.region_without_region.hint"))
        # keep every row (the full design), mark the region as the subpopulation: rows outside get null values
        exprs = [e if " AS v_" not in e else f"CASE WHEN region = '{_code(region)}' THEN ({e.rsplit(' AS ', 1)[0]}) END AS {e.rsplit(' AS ', 1)[1]}"
                 for e in exprs]
    try:
        projected = rel.project(", ".join([*map(_quote, dict.fromkeys(design_cols)), *exprs]))
    except duckdb.Error as exc:  # a definition's SQL does not fit the source
        raise InputError(Message("indicators.does_not_apply", source=source.name, error=str(exc)),
                         hint=Message("indicators.does_not_apply.hint")) from None
    return eng.open(projected)


def _quote(c: str) -> str:
    return '"' + c.replace('"', '""') + '"'


def _code(text: str) -> str:
    if not text.replace("-", "").isalnum():
        raise InputError(Message("indicators.bad_code", text=text), hint=Message("indicators.bad_code.hint"))
    return text.upper()


def _estimand(ind: Indicator) -> Any:
    v = f"v_{ind.id}"
    if ind.type in ("share", "rate"):
        return Proportion(v, level=1)
    if ind.type == "mean":
        return Mean(v)
    if ind.type == "median":
        return Quantile(v, probs=(0.5,))
    return Proportion(v, levels=ind.levels)


def _ind_of(variable: str, by_id: dict[str, Indicator]) -> Indicator:
    return by_id[variable[2:]]


def _cell(dims: list[str], r: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    d = dims[0] if dims else None
    value = r[d] if d else "_T"
    area = value if d == "region" else base["area"]
    return {"disaggregation": d or "total", "disaggregation_value": value, "area": area}


def _row(ind: Indicator, population: str, r: dict[str, Any], dims: list[str], base: dict[str, Any]) -> dict[str, Any]:
    level = r.get("level")
    out = {
        **base, **_cell(dims, r, base), "indicator": ind.id, "population": population, "unit": ind.unit,
        "level": None if ind.type in ("share", "rate", "mean", "median") else (None if level is None else str(level)),
        "estimand": "difference" if population == "gap" else r["estimand"].split(":")[-1],
        "status": "ok", "note": None,
    }
    for k in ("estimate", "se", "ci_low", "ci_high", "ci_level", "cv", "df", "deff", "n"):
        v = r.get(k)
        out[k] = None if v is None or (isinstance(v, float) and np.isnan(v)) else v
    return out


def _linear(frame: nw.LazyFrame, source: SurveySource, ests: list[Any], groups: list[list[str]],
            by_id: dict[str, Indicator], base: dict[str, Any], eng: Engine) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    # one grouped scan for both population splits (corridor / other migrant / native, and all migrants):
    # the migrant split is a function of the first, so grouping by both adds no groups
    res = estimate(frame, source.design, ests, by=[*([_POP, *g] for g in groups), *(["migrant_split", *g] for g in groups)],
                   na="drop", covariance=_POP, deff=True, engine=eng)
    for r in res.table.to_pylist():
        ind = _ind_of(r["variable"], by_id)
        dims = _dims(r)
        if r["grouping"].startswith("migrant_split"):
            if r["migrant_split"] == "migrant" and not _skip(ind, "migrants", dims, r):
                rows.append(_row(ind, "migrants", r, dims, base))
            continue
        pop = _SPLIT_LABEL.get(r[_POP])
        if pop is None or _skip(ind, pop, dims, r):
            continue
        rows.append(_row(ind, pop, r, dims, base))
    gaps = res.compare(_POP, "corridor", "native")
    for r in gaps.table.to_pylist():
        ind = _ind_of(r["variable"], by_id)
        dims = _dims(r)
        if "natives" in ind.populations and not _skip(ind, "gap", dims, r):
            rows.append(_row(ind, "gap", r, dims, base))
    return rows


def _medians(frame: nw.LazyFrame, source: SurveySource, ests: list[Any], groups: list[list[str]],
             by_id: dict[str, Indicator], base: dict[str, Any], eng: Engine) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    # one read of the rows for both population splits and every disaggregation
    res = estimate(frame, source.design, ests, by=[*([_POP, *g] for g in groups), *(["migrant_split", *g] for g in groups)],
                   na="drop", engine=eng)
    cells: dict[tuple, dict[str, dict[str, Any]]] = {}
    for r in res.table.to_pylist():
        ind = _ind_of(r["variable"], by_id)
        dims = _dims(r)
        if r["grouping"].startswith("migrant_split"):
            if r["migrant_split"] == "migrant" and not _skip(ind, "migrants", dims, r):
                rows.append(_row(ind, "migrants", r, dims, base))
            continue
        pop = _SPLIT_LABEL.get(r[_POP])
        if pop is None or _skip(ind, pop, dims, r):
            continue
        rows.append(_row(ind, pop, r, dims, base))
        cells.setdefault((r["variable"], tuple(dims), *(r[d] for d in dims)), {})[pop] = r
    for key, pair in cells.items():
        if "corridor" in pair and "natives" in pair:
            a, b = pair["corridor"], pair["natives"]
            ind = _ind_of(key[0], by_id)
            dims = list(key[1])
            est = None if a["estimate"] is None or b["estimate"] is None else a["estimate"] - b["estimate"]
            g = {**a, "estimand": "difference", "estimate": est, "se": None, "ci_low": None, "ci_high": None,
                 "cv": None, "df": None, "deff": None, "n": (a["n"] or 0) + (b["n"] or 0)}
            row = _row(ind, "gap", g, dims, base)
            row["note"] = "difference of medians; no standard error (quantiles have no covariance in the engine)"
            rows.append(row)
    return rows


def _skip(ind: Indicator, population: str, dims: list[str], r: dict[str, Any]) -> bool:
    """Rows outside the indicator's populations, unknown categories, and age bands outside its universe."""
    if population != "gap" and population not in ind.populations:
        return True
    if population == "gap" and "natives" not in ind.populations:
        return True
    if dims and r.get(dims[0]) in ("unknown", None):
        return True
    return bool(dims and dims[0] == "age_band" and ind.min_age and _band_top(r.get("age_band")) < ind.min_age)


def _band_top(band: Any) -> float:
    """The oldest age of an age band ('15-24' -> 24; '65+' has none)."""
    text = str(band)
    return float("inf") if text.endswith("+") or "-" not in text else float(text.split("-")[1])


def _unavailable_rows(ind: Indicator, base: dict[str, Any], missing: list[str], source: SurveySource) -> list[dict[str, Any]]:
    pops = [*ind.populations, *(["gap"] if "natives" in ind.populations else [])]
    note = f"unavailable from {source.title}: the source lacks {', '.join(missing)}"
    return [{**base, "indicator": ind.id, "population": p, "area": base["area"], "disaggregation": "total",
             "disaggregation_value": "_T", "level": None, "estimand": None, "unit": ind.unit, "status": "unavailable",
             "suppressed": False, "note": note} for p in pops]  # nothing to withhold: no value was computed


__all__ = ["AGE_BANDS", "COLUMNS", "SurveyResult", "compute_survey"]
