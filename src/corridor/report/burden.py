"""The profile's "disease burden" section: notification rates of corridor migrants and natives.

Counts are the shipped demo notifications of the Antofagasta region (SYNTHETIC, simulated by
``scripts/make_synthetic_notifications.py``) on real denominators (INE/SERMIG foreign residents,
INE projections minus foreign residents for natives). Methods are those of :mod:`corridor.epi`
(PHE ``PHEindicatormethods`` semantics): crude rates with exact (Garwood) limits below 10 events
and Byar's from 10; directly standardised rates against the European Standard Population 2013
with Dobson et al. (1991) limits; rate ratios migrants vs natives, crude (exact, conditional on
the total) and standardised (log-normal from the Dobson variances).
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

import pandas as pd

from corridor.datasets import coverage
from corridor.epi import crude_rate, dsr, rate_ratio
from corridor.epi.inputs import join_denominators
from corridor.quality.disclosure import MIN_COUNT, suppress_indicators

SOURCE_ID = "demo_notifications"
REGION = coverage.get(SOURCE_ID).areas[0]   # the region the demo notifications cover (CL-AN)
STANDARD = "esp2013"
# Disclosure: a non-zero count under MIN_COUNT is not published, nor are the rates and ratios that
# would reveal it (their populations are published); the rule is corridor.quality.disclosure's.
GROUPS = {"colombia": "corridor", "rest": "natives"}
# Not "aggregate" (official aggregates, all real) nor "survey": simulated notification counts.
SOURCE_KIND = "notifications"
SOURCE = ("SYNTHETIC notification counts (corridor demo, scripts/make_synthetic_notifications.py); "
          "denominators: INE/SERMIG foreign residents 2018-2022 and INE population projections (real)")


def demo_data() -> pd.DataFrame:
    """The demo counts joined to their denominators (region, year, sex, age_group, population_group, disease)."""
    demo = files("corridor.datasets") / "demo_notifications"
    counts = pd.read_csv(demo / "notifications_SYNTHETIC.csv").drop(columns=["data_status"])
    population = pd.read_csv(demo / "population_antofagasta_2018_2022.csv")
    return join_denominators(counts, population, "cases", "population")


def applies(origin: str, destination: str, region: str | None) -> bool:
    """Whether the demo notifications cover this corridor and region (the coverage registry says: COL -> CHL, CL-AN)."""
    return region is not None and coverage.get(SOURCE_ID).covers(origin, destination, area=region)


def _row(ind: str, pop: str, year: int, disease: str, *, estimate: float | None, low: float | None, high: float | None,
         n: int | None, unit: str, estimand: str, note: str) -> dict[str, Any]:
    return {"indicator": f"{ind}_{disease}", "population": pop, "area": REGION, "period": year, "disaggregation": "total",
            "disaggregation_value": None, "level": None, "estimand": estimand, "estimate": estimate, "ci_low": low,
            "ci_high": high, "ci_level": 0.95, "n": n, "unit": unit, "suppressed": False, "suppression_reason": None,
            "status": "ok", "note": note, "source": SOURCE, "source_kind": SOURCE_KIND, "synthetic": True}


def _num(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def burden_rows(data: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """Tidy rows of the section for the latest year: per disease, counts, crude rates and DSRs of
    corridor migrants and natives, and the crude and standardised rate ratios (corridor / natives)."""
    df = demo_data() if data is None else data
    year = int(df["year"].max())
    df = df[(df["year"] == year) & df["population_group"].isin(list(GROUPS))]
    crude = crude_rate(df, "cases", "population", by=["disease", "population_group"])
    std = dsr(df, "cases", "population", "age_group", by=["disease", "population_group"], standard=STANDARD)
    rr_c = rate_ratio(df, "cases", "population", compare="population_group", reference="rest", numerator="colombia",
                      by=["disease"])
    rr_s = rate_ratio(df, "cases", "population", compare="population_group", reference="rest", numerator="colombia",
                      by=["disease"], age="age_group", standard=STANDARD)
    counts = {(r.disease, r.population_group): int(r.count) for r in crude.itertuples()}
    rows: list[dict[str, Any]] = []
    compares: dict[str, str] = {}
    for disease in sorted(df["disease"].unique()):
        for group, pop in GROUPS.items():
            key = (disease, group)
            c = crude[(crude.disease == disease) & (crude.population_group == group)].iloc[0]
            s = std[(std.disease == disease) & (std.population_group == group)].iloc[0]
            rows.append(_row("notification_count", pop, year, disease, estimate=float(counts[key]), low=None, high=None,
                             n=counts[key], unit="cases", estimand="total", note=""))
            rows.append(_row("notification_rate", pop, year, disease, estimate=_num(c.value), low=_num(c.lowercl),
                             high=_num(c.uppercl), n=counts[key], unit="per_100000", estimand="crude_rate",
                             note=f"{c.method} interval; population {int(c.population)}"))
            rows.append(_row("notification_dsr", pop, year, disease, estimate=_num(s.value), low=_num(s.lowercl),
                             high=_num(s.uppercl), n=counts[key], unit="per_100000", estimand="dsr",
                             note=f"{s.method}; {s.statistic}; standard ESP2013"))
        for ind, cell, tab, note in (
                ("notification_rate_ratio", "notification_rate", rr_c, "crude rate ratio, exact conditional interval"),
                ("notification_dsr_ratio", "notification_dsr", rr_s, "ratio of DSRs (ESP2013), log-normal interval")):
            r = tab[tab.disease == disease].iloc[0]
            rows.append(_row(ind, "gap", year, disease, estimate=_num(r.value), low=_num(r.lowercl), high=_num(r.uppercl),
                             n=None, unit="ratio", estimand="rate_ratio", note=note + " (corridor migrants / natives)"))
            compares[f"{ind}_{disease}"] = f"{cell}_{disease}"
    # survey min_n does not apply to counts of events: min_n=0
    return suppress_indicators(rows, min_n=0, min_count=MIN_COUNT, compares=compares)
