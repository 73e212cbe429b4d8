"""Generate the SYNTHETIC household-survey sample behind the survey-based sections of the profile.

No public microdata file holds nationality, labour, health and poverty variables for Chile
together, so the profile's labour, health and poverty sections run, by default, on a sample
drawn here from stated figures:

* the population it represents: INE/SERMIG foreign residents at 31 December 2022 by region,
  country, sex and five-year age group (real, ``corridor/datasets/ine_sermig_foreign_residents``)
  and INE's 2022 population projections by region, sex and age group (real,
  ``corridor/datasets/ine_population_projections_regions``); natives are the projected population
  minus the foreign residents of each cell;
* the design: the CASEN en Pandemia 2020 extract (real, ``corridor/datasets/casen_2020``): its
  sample size, number of strata and PSUs per region (scaled to the sample size asked for) and
  the spread of its expansion weights;
* labour-force status of natives by sex and age band, and income poverty by region, as the
  CASEN 2020 extract estimates them;
* everything else (migrants' labour, informality, occupation, income, health and education
  differences; arrival years; clustering) from the ASSUMPTIONS table below, which are
  illustrative values, not estimates of the real situation.

Every row carries ``synthetic = true``. Run::

    PYTHONPATH=src .venv/bin/python scripts/make_synthetic_profile_sample.py            # 50,000 persons
    PYTHONPATH=src .venv/bin/python scripts/make_synthetic_profile_sample.py --persons 1000000 --out big.parquet
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "src" / "corridor" / "datasets"
OUT = DATASETS / "synthetic_corridor_sample" / "synthetic_corridor_sample_SYNTHETIC.parquet"
SERMIG = DATASETS / "ine_sermig_foreign_residents" / "ine_sermig_baseregiones_2018_2022.csv.gz"
PROJ = DATASETS / "ine_population_projections_regions" / "ine_proyecciones_region_anio_sexo_edad5_2015_2025.csv"
CASEN = DATASETS / "casen_2020" / "casen_2020.csv.gz"
YEAR = 2022
ORIGIN = "COL"

AGE_GROUPS = ["0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49",
              "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80+"]
# official region number -> ISO 3166-2 (INE CUT numbering)
REGION_ISO = {1: "CL-TA", 2: "CL-AN", 3: "CL-AT", 4: "CL-CO", 5: "CL-VS", 6: "CL-LI", 7: "CL-ML", 8: "CL-BI",
              9: "CL-AR", 10: "CL-LL", 11: "CL-AI", 12: "CL-MA", 13: "CL-RM", 14: "CL-LR", 15: "CL-AP", 16: "CL-NB"}
# INE/SERMIG CODREGEO (geographic order north to south) -> official number
GEO_TO_CUT = {1: 15, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 13, 8: 6, 9: 7, 10: 16, 11: 8, 12: 9, 13: 14, 14: 10, 15: 11, 16: 12}
SERMIG_ISO = {"COLOMBIA": "COL", "VENEZUELA": "VEN", "PERÚ": "PER", "HAITÍ": "HTI", "BOLIVIA": "BOL",
              "ARGENTINA": "ARG", "ECUADOR": "ECU", "CHINA": "CHN", "ESPAÑA": "ESP", "BRASIL": "BRA",
              "ESTADOS UNIDOS": "USA", "REPÚBLICA DOMINICANA": "DOM", "CUBA": "CUB", "MÉXICO": "MEX",
              "PARAGUAY": "PRY", "URUGUAY": "URY", "ALEMANIA": "DEU", "FRANCIA": "FRA", "ITALIA": "ITA"}

# Illustrative assumptions (documented in the dataset's PROVENANCE.md). Groups: 0 native, 1 corridor
# migrant (born in Colombia), 2 other migrant.
ASSUMPTIONS = {
    "persons_per_household": 3,
    "psu_migrant_clustering_sd": 0.8,       # sd of a PSU's log-multiplier of the migrant share
    "weight_lognormal_sd": 0.55,            # spread of expansion weights (CASEN 2020 CV ~0.6-0.9)
    "participation_odds_ratio": (1.0, 2.2, 1.8),
    "unemployment_odds_ratio": (1.0, 1.1, 1.15),
    "informal_share": (0.27, 0.36, 0.33),
    "psu_informal_sd": 0.4,
    "median_labour_income_clp": (600_000, 540_000, 520_000),
    "labour_income_log_sd": 0.7,
    "poverty_odds_ratio": (1.0, 1.5, 1.6),
    "psu_poverty_sd": 0.5,
    "extreme_share_of_poor": 0.4,
    "insurance_public_private_other_none": ((0.78, 0.15, 0.03, 0.04), (0.72, 0.08, 0.01, 0.19), (0.74, 0.07, 0.01, 0.18)),
    "unmet_need": (0.06, 0.11, 0.10),
    "used_care": (0.22, 0.16, 0.17),
    "self_rated_good_or_very_good": (0.62, 0.70, 0.69),
    "recent_arrival_share": (None, 0.55, 0.50),   # share with fewer than 5 years since arrival
    "isced_adults": ((0.04, 0.14, 0.22, 0.37, 0.23), (0.02, 0.08, 0.16, 0.44, 0.30), (0.03, 0.10, 0.18, 0.43, 0.26)),
    "isco_major_low_skill_share": (0.45, 0.70, 0.68),   # share of workers in ISCO-08 major groups 5-9
}
ISCED_LEVELS = (1, 2, 3, 4, 6)     # primary, lower secondary, upper secondary, post-secondary/short, tertiary


@dataclass
class Inputs:
    """Population composition and design structure read from the real files."""

    cells: np.ndarray          # (region 16, group 3, sex 2, age 17) population counts
    countries: list[str]       # other migrants' countries
    country_p: np.ndarray      # their shares
    sample_share: np.ndarray   # CASEN sample size share per region
    strata: np.ndarray         # CASEN strata per region
    psus: np.ndarray           # CASEN PSUs per region
    labour: np.ndarray         # (sex 2, band 4, status 3) natives' labour status, CASEN 2020
    poverty: np.ndarray        # (region 16) CASEN 2020 income poverty rate


def read_inputs(con: duckdb.DuckDBPyConnection | None = None) -> Inputs:
    """Read the stated figures from the shipped real files."""
    con = con or duckdb.connect()
    s = con.sql(f"""select CODREGEO r, PAIS p, SEXO s, EDAD a, sum(coalesce(ESTIMACION, 0)) n
                   from read_csv('{SERMIG}', sample_size=-1) where "AÑO ESTIMACION" = {YEAR} and CODREGEO <> 17
                   and EDAD <> 'IGNORADA' group by all""").fetchall()
    p = con.sql(f"select cut_region, sex, age_group, population from read_csv('{PROJ}') where year = {YEAR}").fetchall()
    cells = np.zeros((16, 3, 2, 17))
    foreign = np.zeros((16, 2, 17))
    other: dict[str, float] = {}
    for geo, pais, sexo, edad, n in s:
        r, x, a = GEO_TO_CUT[int(geo)] - 1, 0 if sexo == "H" else 1, _sermig_age(edad)
        g = 1 if pais == "COLOMBIA" else 2
        cells[r, g, x, a] += n
        foreign[r, x, a] += n
        if g == 2:
            code = SERMIG_ISO.get(pais, "ZZO")
            other[code] = other.get(code, 0.0) + n
    for cut, sex, ag, pop in p:
        cells[int(cut) - 1, 0, 0 if sex == "masculino" else 1, AGE_GROUPS.index(ag)] += pop
    cells[:, 0] = np.maximum(cells[:, 0] - foreign, 0.0)
    con.execute(f"CREATE OR REPLACE TEMP VIEW c AS SELECT * FROM read_csv('{CASEN}', sample_size=-1)")
    reg = con.sql("select region, count(*), count(distinct estrato), count(distinct cod_upm) from c group by 1 order by 1").fetchall()
    lab = con.sql("""select sexo, case when edad < 25 then 0 when edad < 45 then 1 when edad < 65 then 2 else 3 end b, activ,
                     sum(expr) from c where edad >= 15 and activ is not null group by all""").fetchall()
    pov = con.sql("select region, sum(expr * (pobreza < 3)::int) / sum(expr) from c group by 1 order by 1").fetchall()
    labour = np.zeros((2, 4, 3))
    for sexo, b, activ, w in lab:
        labour[int(sexo) - 1, int(b), int(activ) - 1] += w
    labour /= labour.sum(axis=2, keepdims=True)
    n = np.array([r[1] for r in reg], float)
    codes = sorted(other)
    return Inputs(cells=cells, countries=codes, country_p=np.array([other[k] for k in codes]) / sum(other.values()),
                  sample_share=n / n.sum(), strata=np.array([r[2] for r in reg]), psus=np.array([r[3] for r in reg]),
                  labour=labour, poverty=np.array([r[1] for r in pov]))


def _sermig_age(edad: str) -> int:
    return 16 if edad.startswith("80") else int(edad[:2]) // 5


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of ``probs`` (rows sum to 1)."""
    u = rng.random(probs.shape[0])[:, None]
    return (u > np.cumsum(probs, axis=1)).sum(axis=1).clip(0, probs.shape[1] - 1)


def generate(persons: int = 50_000, seed: int = 20221231, chunk: int = 1_000_000, inputs: Inputs | None = None,
             psus: str = "scaled") -> Iterator[pa.Table]:
    """Yield the sample as Arrow tables of at most ``chunk`` persons (whole PSUs per chunk).

    ``psus="scaled"``: about 16 persons per PSU (a survey of the size asked for);
    ``psus="casen"``: CASEN 2020's own strata and PSU counts per region, the persons shared among them
    (for large benchmark files: a census-like sample on the survey's design structure).
    """
    inp = inputs or read_inputs()
    rng = np.random.default_rng(seed)
    A = ASSUMPTIONS
    per_psu = 16
    n_region = np.maximum(np.round(inp.sample_share * persons), per_psu * 4).astype(int)
    if psus == "casen":
        psu_region = np.minimum(inp.psus, n_region // 2).astype(int)
        strata_region = np.minimum(inp.strata, psu_region // 2).astype(int)
    else:
        psu_region = np.maximum(n_region // per_psu, 4)
        strata_region = np.minimum(inp.strata, psu_region // 2).astype(int)
    plan = []  # (region, stratum, psu, size)
    for r in range(16):
        sizes = np.full(psu_region[r], n_region[r] // psu_region[r])
        sizes[: n_region[r] - sizes.sum()] += 1
        for k, size in enumerate(sizes):
            plan.append((r, k % strata_region[r], k, int(size)))
    batch: list[tuple[int, int, int, int]] = []
    count = 0
    for item in plan:
        batch.append(item)
        count += item[3]
        if count >= chunk:
            yield _persons(batch, inp, rng, n_region, A)
            batch, count = [], 0
    if batch:
        yield _persons(batch, inp, rng, n_region, A)


def _persons(plan: list[tuple[int, int, int, int]], inp: Inputs, rng: np.random.Generator, n_region: np.ndarray, A: dict) -> pa.Table:
    region = np.concatenate([np.full(s, r) for r, _, _, s in plan])
    stratum = np.concatenate([np.full(s, h) for _, h, _, s in plan])
    psu = np.concatenate([np.full(s, k) for _, _, k, s in plan])
    psu_key = region * 100_000 + psu
    _, psu_idx = np.unique(psu_key, return_inverse=True)
    n_psu = psu_idx.max() + 1
    n = region.size
    # group x sex x age from the region's composition, migrants clustered in some PSUs
    comp = inp.cells[region].reshape(n, 3, 34)
    lift = np.exp(rng.normal(0, A["psu_migrant_clustering_sd"], n_psu))[psu_idx]
    comp[:, 1:] *= lift[:, None, None]
    flat = comp.reshape(n, -1)
    cell = _choice(rng, flat / flat.sum(axis=1, keepdims=True))
    group, rest = cell // 34, cell % 34
    sex, ag = rest // 17, rest % 17
    age = np.where(ag == 16, 80 + rng.integers(0, 16, n), ag * 5 + rng.integers(0, 5, n))
    # weights: base = regional population / regional sample size, lognormal spread, calibrated per region
    pop = inp.cells.sum(axis=(1, 2, 3))
    w = pop[region] / n_region[region] * np.exp(rng.normal(0, A["weight_lognormal_sd"], n) - A["weight_lognormal_sd"] ** 2 / 2)
    adult = age >= 15
    # labour-force status (ILO): natives as CASEN 2020; migrants' odds of participating scaled
    band = np.select([age < 25, age < 45, age < 65], [0, 1, 2], 3)
    lab = inp.labour[sex, band]
    part = lab[:, 0] + lab[:, 1]
    unemp = lab[:, 1] / part
    part = _expit(_logit(part) + np.log(np.array(A["participation_odds_ratio"]))[group])
    unemp = _expit(_logit(unemp) + np.log(np.array(A["unemployment_odds_ratio"]))[group])
    active = rng.random(n) < part
    unemployed = active & (rng.random(n) < unemp)
    status_s = np.where(~active, "outside", np.where(unemployed, "unemployed", "employed"))
    employed = adult & (status_s == "employed")
    inf_p = _expit(_logit(np.array(A["informal_share"]))[group] + rng.normal(0, A["psu_informal_sd"], n_psu)[psu_idx])
    inf_b = rng.random(n) < inf_p
    # education (ISCED 2011 level), adults 25+; younger persons not assessed
    isced = np.array(ISCED_LEVELS)[_choice(rng, np.array(A["isced_adults"])[group])]
    low = rng.random(n) < np.array(A["isco_major_low_skill_share"])[group]
    major = np.where(low, rng.integers(5, 10, n), rng.integers(1, 5, n))
    isco_s = np.char.add(major.astype(str), "000")
    med = np.array(A["median_labour_income_clp"], float)[group]
    income_f = np.round(med * np.exp(rng.normal(0, A["labour_income_log_sd"], n)), -3)
    # income poverty: CASEN 2020 rate of the region, migrants' odds scaled, PSU effect
    pov_p = _expit(_logit(inp.poverty[region]) + np.log(np.array(A["poverty_odds_ratio"]))[group]
                   + rng.normal(0, A["psu_poverty_sd"], n_psu)[psu_idx])
    poor = rng.random(n) < pov_p
    extreme = poor & (rng.random(n) < A["extreme_share_of_poor"])
    poverty = np.where(extreme, "extreme", np.where(poor, "non_extreme", "not_poor"))
    ins = np.array(["public", "private", "other", "none"])[_choice(rng, np.array(A["insurance_public_private_other_none"])[group])]
    unmet = rng.random(n) < np.array(A["unmet_need"])[group]
    used = rng.random(n) < np.array(A["used_care"])[group]
    good = rng.random(n) < np.array(A["self_rated_good_or_very_good"])[group]
    srh = np.where(good, np.where(rng.random(n) < 0.3, "very_good", "good"),
                   np.array(["fair", "bad", "very_bad"])[_choice(rng, np.tile([0.75, 0.2, 0.05], (n, 1)))])
    # arrival: recent share as assumed, otherwise 5-24 years ago
    recent_p = np.array([0.0, A["recent_arrival_share"][1], A["recent_arrival_share"][2]])[group]
    years = np.where(rng.random(n) < recent_p, rng.integers(0, 5, n), rng.integers(5, 25, n))
    years = np.minimum(years, age)
    migrant = group > 0
    other_country = np.array(inp.countries)[_choice(rng, np.tile(inp.country_p, (n, 1)))]
    birth = np.where(group == 0, "CHL", np.where(group == 1, ORIGIN, other_country))
    region_iso = np.array([REGION_ISO[i + 1] for i in range(16)])[region]
    psu_id = np.char.add(np.char.add(region_iso, "-"), psu.astype(str))
    hh = np.char.add(np.char.add(psu_id, "-"), (np.arange(n) // A["persons_per_household"]).astype(str))
    age_group = np.array(AGE_GROUPS)[ag]
    return pa.table({
        "household_id": hh,
        "weight": np.round(w, 2),
        "strata": np.char.add(np.char.add(region_iso, "-h"), stratum.astype(str)),
        "psu": psu_id,
        "region": region_iso,
        "sex": np.where(sex == 0, "male", "female"),
        "age": age.astype(np.int32),
        "age_group": age_group,
        "country_birth": birth,
        "country_citizenship": birth,
        "migrant_status": np.where(migrant, "migrant", "native"),
        "year_arrival": pa.array((YEAR - years).astype(np.int32), mask=~migrant),
        "years_since_arrival": pa.array(years.astype(float), mask=~migrant),
        "education": pa.array(isced.astype(np.int32), mask=age < 25),
        "labour_status": pa.array(status_s, mask=~adult),
        "informal": pa.array(inf_b, mask=~employed),
        "isco08": pa.array(isco_s, mask=~employed),
        "labour_income": pa.array(income_f, mask=~employed),
        "poverty": poverty,
        "health_insurance": ins,
        "unmet_need": unmet,
        "used_care": used,
        "self_rated_health": pa.array(srh, mask=~adult),
        "synthetic": np.ones(n, bool),
    })


def write(path: Path, persons: int, seed: int, psus: str = "scaled") -> int:
    """Write the sample to Parquet; return the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    writer: pq.ParquetWriter | None = None
    for tbl in generate(persons, seed, psus=psus):
        if writer is None:
            writer = pq.ParquetWriter(path, tbl.schema, compression="zstd")
        writer.write_table(tbl)
        rows += tbl.num_rows
    if writer is not None:
        writer.close()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=20221231)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--psus", choices=["scaled", "casen"], default="scaled",
                    help="scaled: ~16 persons per PSU; casen: CASEN 2020's strata and PSU counts (large files)")
    a = ap.parse_args()
    rows = write(a.out, a.persons, a.seed, a.psus)
    print(f"wrote {rows:,} SYNTHETIC persons to {a.out}")


if __name__ == "__main__":
    main()
