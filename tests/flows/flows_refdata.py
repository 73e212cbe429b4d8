"""Paths to the reference data next to the repository, and small functions shared by the flows tests."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from shared_data import SHARED

MIGEST_JSON = SHARED / "migest" / "reference_outputs_migest_docs.json"
GINI_JSON = SHARED / "migration_indices" / "migration_indices_reference.json"
KOREA_CSV = SHARED / "migest" / "korea_gravity.csv"
SERMIG_PERMITS = SHARED / "chile_ine_sermig_foreign_residents" / "derived_residencias_comuna_pais_2023.csv"


def migest_cases() -> list[dict]:
    """The 24 documented input/output cases of migest 2.0.5 (see ../shared/data/SOURCES.md, section migest)."""
    return json.loads(MIGEST_JSON.read_text())["cases"]


def case(function: str, startswith: str = "") -> dict:
    hits = [c for c in migest_cases() if c["function"] == function and c["case"].startswith(startswith)]
    assert len(hits) == 1, (function, startswith, len(hits))
    return hits[0]


def significant_tol(printed: float, minimum_digits: int = 3) -> float:
    """Half a unit in the last printed significant digit (R prints at least ``minimum_digits``)."""
    if printed == 0:
        return 5e-7
    text = repr(abs(float(printed))).rstrip("0").rstrip(".")
    digits = len(text.replace(".", "").lstrip("0"))
    sf = max(digits, minimum_digits)
    return 0.5 * 10 ** (np.floor(np.log10(abs(printed))) - (sf - 1))


def korea(year: int) -> list[dict[str, str]]:
    with KOREA_CSV.open(newline="") as fh:
        return [r for r in csv.DictReader(fh) if int(r["year"]) == year]



def write_demography(path: Path, codes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """A made-up demography file for ``corridor flows demo`` (not real figures): populations that
    grow 5% a period around the UN DESA foreign-born stocks of ``codes``, births 8% and deaths 3%.

    Returns the foreign-born stocks by residence and the populations, by year.
    """
    from corridor.flows.undesa import load_bilateral_2019

    data = load_bilateral_2019()
    idx = [data.index(c) for c in codes]
    fb = data.stocks[:, idx][:, :, idx].sum(axis=1)
    pop = np.array([[1e6 * (k + 2) * (1.05**t) + fb[t, k] for k in range(len(codes))] for t in range(len(data.years))])
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["year", "iso3", "population", "births", "deaths"])
        for t, y in enumerate(data.years):
            for k, c in enumerate(codes):
                last = t == len(data.years) - 1
                w.writerow([y, c, pop[t, k], "" if last else 0.08 * pop[t, k], "" if last else 0.03 * pop[t, k]])
    return fb, pop
