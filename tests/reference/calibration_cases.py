"""Run an R `survey` calibration reference case (tests/reference/calibration) through corridor."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import corridor as cr

HERE = Path(__file__).resolve().parent / "calibration"
DATA = Path(__file__).resolve().parents[1] / "data" / "r_survey"
# the 18 shared cases, and further cases made the same way (extra/make_reference.R)
FOLDERS = {p.stem: p.parents[1] for p in [*(HERE / "cases").glob("*.json"), *(HERE / "extra" / "cases").glob("*.json")]}
CASES = sorted(FOLDERS)
RTOL, ATOL = 1e-8, 1e-12  # the cases' README: |a - e| <= 1e-12 + 1e-8 |e|
# R's rake() stopping rule when the call gives no control (survey 4.1-1 defaults)
R_RAKE_DEFAULTS = {"maxit": 10, "epsilon": 1.0}


def load(case: str) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = json.loads((FOLDERS[case] / "cases" / f"{case}.json").read_text())
    expected = json.loads((FOLDERS[case] / "expected" / f"{case}.json").read_text())
    return spec, expected


def data_path(spec: dict[str, Any]) -> Path:
    return DATA / Path(spec["data"]).name


def _levels(path: Path, column: str) -> list[str]:
    with path.open(newline="") as fh:
        values = {row[column] for row in csv.DictReader(fh) if row[column] != ""}
    return sorted(values)


def totals_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """R's population vector (model-matrix names) as a tidy totals table (term, level, total)."""
    cal = spec["calibration"]
    pop = dict(cal["population"])
    factors = set(spec.get("factors", []))
    rows: list[dict[str, Any]] = []
    size = pop.pop("(Intercept)", None)
    if size is not None and not factors:
        rows.append({"term": "(Intercept)", "level": None, "total": size})
    for term in cal["formula"]:
        if term in factors:
            levels = _levels(data_path(spec), term)
            given = {lev: pop.pop(f"{term}{lev}") for lev in levels if f"{term}{lev}" in pop}
            rest = [lev for lev in levels if lev not in given]
            assert len(rest) == 1 and size is not None, "one reference level per factor"
            given[rest[0]] = size - sum(given.values())
            rows += [{"term": term, "level": lev, "total": tot} for lev, tot in given.items()]
        else:
            rows.append({"term": term, "level": None, "total": pop.pop(term)})
    assert not pop, f"population entries not used: {pop}"
    return rows


def margins_of(margins: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [[{**{v: row[v] for v in m["vars"]}, "total": row["Freq"]} for row in m["population"]] for m in margins]


def design_of(spec: dict[str, Any]) -> Any:
    dspec = dict(spec["design"])
    if "ids" in dspec:
        dspec["ids"] = [i for i in dspec["ids"] if i != "1"]
    return cr.design_from_dict(dspec)


def calibrated(spec: dict[str, Any], engine: Any = "duckdb", **options: Any) -> cr.Calibrated:
    """corridor's calibration for a case (``options`` override, e.g. on_nonconvergence)."""
    cal = spec["calibration"]
    design = design_of(spec)
    data = data_path(spec)
    if cal["method"] == "calibrate":
        variance = cal.get("variance")
        kw: dict[str, Any] = {"method": cal.get("calfun", "linear"), "variance": variance}
        for key in ("bounds", "trim", "epsilon", "maxit", "bounds_const", "aggregate_stage"):
            if key in cal:
                kw[key] = cal[key]
        kw.update(options)
        return cr.calibrate(data, design, totals_of(spec), engine=engine, **kw)
    if cal["method"] == "postStratify":
        strata = cal["strata"]
        table = [{**{v: row[v] for v in strata}, "total": row["Freq"]} for row in cal["population"]]
        return cr.poststratify(data, design, [table], engine=engine)
    control = {k: cal[k] for k in ("maxit", "epsilon") if k in cal} or R_RAKE_DEFAULTS
    return cr.rake(data, design, margins_of(cal["margins"]), engine=engine, **{**control, **options})


def estimates(spec: dict[str, Any], design: Any, engine: Any = "duckdb") -> list[dict[str, Any]]:
    """Every estimate of the case as corridor's result rows (with their ``by`` and ``subset``)."""
    factors = set(spec.get("factors", []))
    data = data_path(spec)
    out: list[dict[str, Any]] = []
    for est in spec["estimates"]:
        kind = est["estimand"]
        df: Any = "normal"  # R's confint() of means, totals and ratios
        if kind == "ratio":
            ests: list[Any] = [cr.Ratio(n, d) for n, d in zip(est["numerator"], est["denominator"], strict=True)]
        elif kind == "quantile":
            ests, df = [cr.Quantile(v, probs=tuple(est["probs"])) for v in est["variables"]], None
        elif kind == "proportion":
            ests, df = [cr.Proportion(v, level=est["level"]) for v in est["variables"]], None
        else:
            cls = cr.Total if kind == "total" else cr.Mean
            ests = [cls(v, categorical=True if v in factors else None) for v in est["variables"]]
        where = est.get("subset", "").replace("'", '"') or None
        res = cr.estimate(data, design, ests, by=est.get("by", []), where=where,
                          na="drop" if est.get("na_rm") else "fail", df=df, engine=engine)
        for row in res.table.to_pylist():
            row["_by"], row["_subset"] = est.get("by", []), est.get("subset")
            out.append(row)
    return out


def key_of_expected(row: dict[str, Any]) -> tuple[Any, ...]:
    by = tuple(sorted((k, str(v)) for k, v in row.get("by", {}).items()))
    var = f"{row['numerator']}/{row['denominator']}" if row["estimand"] == "ratio" else row["variable"]
    return (row["estimand"], by, var, row.get("level"), row.get("prob"), row.get("subset"))


def key_of_actual(row: dict[str, Any]) -> tuple[Any, ...]:
    by = tuple(sorted((k, str(row[k])) for k in row["_by"]))
    return (row["estimand"], by, row["variable"], row["level"], row["prob"], row["_subset"])


def close(a: float | None, e: float | None, rtol: float = RTOL, atol: float = ATOL) -> bool:
    if a is None or e is None:
        return a is None and e is None
    if math.isnan(a) or math.isnan(e):
        return math.isnan(a) and math.isnan(e)
    return abs(a - e) <= atol + rtol * abs(e)
