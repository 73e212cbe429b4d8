"""The profile's "flows" section: corridor flows estimated from stocks, stock changes and permits.

* UN DESA International Migrant Stock 2019: flows by period by stock differencing
  (``migest``'s ``ffs_diff`` with ``decrease = "zero"``), with a 95% percentile interval from
  parametric (gamma) resampling of the two bilateral stocks with an assumed relative error
  (UN DESA publishes none), :func:`corridor.flows.undesa.corridor_flows`.
* INE/SERMIG estimate of foreign residents: yearly changes of the stock (2018-2022), taken from
  the profile's own stock rows.
* SERMIG residence permits 2023 (administrative series), :func:`corridor.harmonize.admin.sermig_permits`,
  on the region x nationality table shipped in ``corridor/report/data``.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

from corridor.datasets import cache, coverage
from corridor.flows.uncertainty import DEFAULT_REL_ERROR, DEFAULT_RESAMPLES, DEFAULT_SEED
from corridor.flows.undesa import BILATERAL_2019, corridor_flows
from corridor.harmonize.admin import SERMIG_SOURCE, sermig_permits

# the defaults of `corridor flows stocks`: the same flow has the same interval in both
REL_ERROR = DEFAULT_REL_ERROR
RESAMPLES = DEFAULT_RESAMPLES
SEED = DEFAULT_SEED
PERMITS = Path(__file__).resolve().parent / "data" / "sermig_permits_region_country_2023.csv"
UNDESA_METHOD = "stock differencing (decrease = zero), UN DESA stocks resampled (gamma, relative error {rel:.0%}, {n} draws, seed {seed})"


def _row(indicator: str, period: int, estimate: float, source: str, *, low: float | None = None,
         high: float | None = None, se: float | None = None, level: str | None = None, note: str = "",
         dv: str | None = None, area: str, unit: str = "persons", estimand: str = "total") -> dict[str, Any]:
    return {"indicator": indicator, "population": "corridor", "area": area, "period": period,
            "disaggregation": "period" if dv else "total", "disaggregation_value": dv, "level": level,
            "estimand": estimand, "estimate": estimate, "se": se, "ci_low": low, "ci_high": high,
            "ci_level": 0.95 if low is not None else None, "unit": unit, "suppressed": False, "status": "ok",
            "note": note, "source": source, "source_kind": "aggregate", "synthetic": False}


def undesa_rows(origin: str, destination: str) -> list[dict[str, Any]]:
    """Flow estimates by period (``flow_estimate_stock_diff``), one row per UN DESA period."""
    # reading the bilateral table and resampling it is a fixed cost of every profile (0.2 s): the rows
    # are kept on disk under a key of the table they come from (datasets.cache; the seed is fixed)
    extra = (origin, destination, f"{REL_ERROR}:{RESAMPLES}:{SEED}")
    rows: list[dict[str, Any]] = cache.remember("undesa_flows", [BILATERAL_2019], extra,
                                                lambda: _undesa_rows(origin, destination))
    return rows


def _undesa_rows(origin: str, destination: str) -> list[dict[str, Any]]:
    out = []
    for f in corridor_flows(origin, destination, method="diff-zero", rel_error=REL_ERROR, n_resamples=RESAMPLES,
                            random_state=SEED):
        end = int(str(f["period"]).split("-")[1])
        out.append(_row("flow_estimate_stock_diff", end, float(f["flow"]), str(f["source"]), low=float(f["lower"]),
                        high=float(f["upper"]), se=float(f["se"]), dv=str(f["period"]), area=destination,
                        estimand="flow", note=UNDESA_METHOD.format(rel=REL_ERROR, n=RESAMPLES, seed=SEED)
                        + f"; stocks {f['stock_start']:.0f} -> {f['stock_end']:.0f}"))
    return out


def stock_change_rows(stock_rows: list[dict[str, Any]], destination: str) -> list[dict[str, Any]]:
    """Yearly changes of the INE/SERMIG stock (``stock_change``) from the profile's stock rows."""
    series = sorted((r["period"], r["estimate"], r["source"]) for r in stock_rows if not r["source"].startswith("UN DESA"))
    return [_row("stock_change", y1, v1 - v0, src, dv=f"{y0}-{y1}", area=destination, estimand="change",
                 note=f"INE/SERMIG stock 31 December {y0} -> {y1}")
            for (y0, v0, _), (y1, v1, src) in pairwise(series)]


def permit_rows(origin: str, destination: str, path: Path = PERMITS) -> list[dict[str, Any]]:
    """SERMIG 2023 residence permits of the origin's nationals (``residence_permits``) by type and status.

    Empty where the coverage registry says the permit table does not cover the corridor.
    """
    if not coverage.get("sermig_permits").covers(origin, destination) or not path.exists():
        return []
    series = sermig_permits(path, nationality=origin, by=("permit", "status"))
    return [_row("residence_permits", int(r["period"]), float(r["count"]), SERMIG_SOURCE,
                 level=f"{r['permit'].lower()}_{r['status'].lower()}", area=destination, unit="permits",
                 note="administrative count of permits (not persons), all regions")
            for r in sorted(series.rows, key=lambda r: (r["permit"], r["status"]))]
