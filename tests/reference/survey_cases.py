"""Run an R `survey` reference case (spec JSON) through corridor and compare with R's answer."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import corridor as cr

HERE = Path(__file__).resolve().parent / "survey"
DATA = Path(__file__).resolve().parents[1] / "data" / "r_survey"
CASES = sorted(p.stem for p in (HERE / "cases").glob("P*.json"))

_OPS = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def load(case: str) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = json.loads((HERE / "cases" / f"{case}.json").read_text())
    expected = json.loads((HERE / "expected" / f"{case}.json").read_text())
    return spec, expected


def _where(subset: list[dict[str, Any]] | None) -> str | None:
    if not subset:
        return None
    parts = []
    for cond in subset:
        col = f"`{cond['var']}`"
        op, val = cond["op"], cond.get("value")
        if op in ("is_na", "not_na"):
            parts.append(f"{'isnull' if op == 'is_na' else 'notnull'}({col})")
        elif op in ("in", "not_in"):
            parts.append(f"{col} {'in' if op == 'in' else 'not in'} {json.dumps(val)}")
        else:
            parts.append(f"{col} {_OPS[op]} {json.dumps(val)}")
    return " and ".join(parts)


def run(spec: dict[str, Any], engine: str = "duckdb") -> cr.Estimates:
    """corridor's answer to a case specification."""
    dspec = dict(spec["design"])
    if dspec.get("type", "taylor") == "taylor":
        dspec["ids"] = [i for i in dspec.get("ids", []) if i != "1"]
    design = cr.design_from_dict(dspec)
    factors = set(spec.get("factors", []))
    kind = spec["estimand"]
    ests: list[Any] = []
    if kind in ("total", "mean"):
        cls = cr.Total if kind == "total" else cr.Mean
        ests = [cls(v, categorical=True if v in factors else None) for v in spec["variables"]]
    elif kind == "ratio":
        ests = [cr.Ratio(n, d) for n, d in zip(spec["numerator"], spec["denominator"], strict=True)]
    elif kind == "proportion":
        ests = [cr.Proportion(spec["variables"][0], level=spec.get("level_value", 1), method=spec.get("method", "logit"))]
    elif kind == "quantile":
        ests = [cr.Quantile(spec["variables"][0], probs=tuple(spec["probs"]), qrule=spec.get("qrule", "math"),
                            interval=spec.get("interval_type", "mean"))]
    return cr.estimate(
        DATA / spec["data"], design, ests, by=spec.get("by", []), where=_where(spec.get("subset")),
        na="drop" if spec.get("na_rm") else "fail", level=spec.get("level", 0.95), df=spec.get("df"), engine=engine,
    )


def _norm(v: Any) -> str:
    if v is None:
        return "None"
    if isinstance(v, float | int) and not isinstance(v, bool):
        return repr(float(v))
    try:
        return repr(float(v))
    except (TypeError, ValueError):
        return str(v)


def key_of_expected(row: dict[str, Any], kind: str) -> tuple[str, ...]:
    by = tuple(f"{k}={_norm(v)}" for k, v in sorted(row.get("by", {}).items()))
    var = f"{row['numerator']}/{row['denominator']}" if kind == "ratio" else row["variable"]
    return (*by, var, _norm(row.get("level")), _norm(row.get("prob")))


def key_of_actual(row: dict[str, Any], by: list[str], kind: str) -> tuple[str, ...]:
    keys = tuple(f"{k}={_norm(row[k])}" for k in sorted(by))
    return (*keys, row["variable"], _norm(row["level"]), _norm(row["prob"]))


def rel_close(a: float | None, b: float | None, rtol: float) -> bool:
    if a is None or b is None:
        return a is None and b is None or (a is not None and math.isnan(a)) or (b is not None and math.isnan(b))
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-300)
