"""Generate the SYNTHETIC comuna survey sample of Antofagasta region behind the small-area section.

No public survey file gives the comuna of residence together with the country of birth, so the
profile's model-based comuna section (and the small-area examples) estimate the share of persons
born in Colombia per comuna of Antofagasta region (CL-AN) from a sample drawn here, labelled
synthetic everywhere it appears. It is drawn from stated figures:

* the population of each comuna in 2022: INE's projections (real,
  ``corridor/datasets/ine_population_projections``);
* the share born in Colombia, and born in another foreign country, per comuna in 2017: the 2017
  census by comuna and place of birth (real, ``corridor/datasets/census2017_comunas``), scaled so
  that the region's 2022 total equals INE/SERMIG's estimate of Colombian (and all foreign)
  residents of Antofagasta region at 31 December 2022 (real,
  ``corridor/datasets/ine_sermig_foreign_residents``: 32,842 Colombians, 109,439 foreigners);
* the comunas' 2022 shares depart from those by a random factor (ASSUMPTIONS), so that the census
  predicts them well but not exactly (the situation a small-area model is for); the true shares
  are written next to the sample, so the model can be checked against them;
* the design (ASSUMPTIONS): a regional sample of about 2,400 persons allocated to comunas in
  proportion to their population (a comuna with fewer than two PSUs gets none), comunas as strata,
  PSUs of 12 persons whose shares vary around the comuna's (clustering), expansion weights that
  add up to each comuna's population.

Run::

    PYTHONPATH=src .venv/bin/python scripts/make_synthetic_comuna_sample.py
"""

from __future__ import annotations

import argparse
import csv
import gzip
from pathlib import Path
from typing import TextIO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "src" / "corridor" / "datasets"
OUT = DATASETS / "synthetic_comuna_sample"
PROJ = DATASETS / "ine_population_projections" / "ine_proyecciones_region_antofagasta_comuna_anio_sexo_edad5.csv"
CENSUS = DATASETS / "census2017_comunas" / "census2017_comunas.csv.gz"
SERMIG = DATASETS / "ine_sermig_foreign_residents" / "ine_sermig_baseregiones_2018_2022.csv.gz"
YEAR = 2022
SERMIG_ANTOFAGASTA = 3  # CODREGEO of Antofagasta in the INE/SERMIG file (geographic order)

# Illustrative assumptions (documented in the dataset's PROVENANCE.md)
ASSUMPTIONS = {
    "seed": 20221231,
    "persons": 2400,  # regional sample size
    "persons_per_psu": 12,
    "min_psus_per_comuna": 2,  # a comuna allocated fewer PSUs is not sampled
    "comuna_departure_log_sd": 0.35,  # sd of a comuna's log-factor away from its scaled census share
    "psu_clustering_log_sd": 0.8,  # sd of a PSU's log-multiplier of the comuna's shares (mean one)
    "weight_lognormal_sd": 0.3,
}


def _open(path: Path) -> TextIO:
    return gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")


def population_2022() -> dict[str, tuple[str, float]]:
    out: dict[str, list] = {}
    with _open(PROJ) as fh:
        for r in csv.DictReader(fh):
            if int(r["year"]) == YEAR:
                entry = out.setdefault(r["cut_comuna"], [r["comuna"], 0.0])
                entry[1] += float(r["population"])
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def census_2017(census: Path) -> dict[str, tuple[float, float, float]]:
    """Persons, born in Colombia, born in another foreign country, per comuna of region 2."""
    foreign = ("Peru", "Argentina", "Bolivia", "Ecuador", "Otro")
    out = {}
    with _open(census) as fh:
        for r in csv.DictReader(fh):
            if r["Codigo_region"] != "2":
                continue
            # empty cells are zeros (see PROVENANCE)
            num = {k: float(v or 0) for k, v in r.items() if k == "PERSONAS" or k.startswith("LugarNacimiento_")}
            out[r["Codigo_comuna"]] = (num["PERSONAS"], num["LugarNacimiento_Colombia"],
                                       sum(num[f"LugarNacimiento_{c}"] for c in foreign))
    return out


def sermig_2022() -> tuple[float, float]:
    """Colombian and all foreign residents of Antofagasta region at 31 December 2022."""
    col = total = 0.0
    with _open(SERMIG) as fh:
        for r in csv.DictReader(fh):
            if int(r["AÑO ESTIMACION"]) == YEAR and int(r["CODREGEO"]) == SERMIG_ANTOFAGASTA:
                v = float(r["ESTIMACION"] or 0)
                total += v
                col += v if r["PAIS"] == "COLOMBIA" else 0.0
    return col, total


def generate(census: Path) -> tuple[pa.Table, pa.Table]:
    a = ASSUMPTIONS
    rng = np.random.default_rng(a["seed"])
    pop = population_2022()
    cen = census_2017(census)
    col_2022, foreign_2022 = sermig_2022()
    codes = list(pop)
    N = np.array([pop[c][1] for c in codes])
    share_col_2017 = np.array([cen[c][1] / cen[c][0] for c in codes])
    share_oth_2017 = np.array([cen[c][2] / cen[c][0] for c in codes])
    # 2022 shares: census shares scaled to the region's INE/SERMIG totals, times a comuna factor
    departure = np.exp(a["comuna_departure_log_sd"] * rng.standard_normal(len(codes)))
    p_col = share_col_2017 * departure
    p_col *= col_2022 / np.sum(N * p_col)
    p_oth = share_oth_2017 * ((foreign_2022 - col_2022) / np.sum(N * share_oth_2017))
    psus = np.round(a["persons"] * N / N.sum() / a["persons_per_psu"]).astype(int)
    psus[psus < a["min_psus_per_comuna"]] = 0
    rows: dict[str, list] = {k: [] for k in ("comuna", "comuna_name", "stratum", "psu", "weight", "country_birth",
                                             "born_colombia")}
    sd = a["psu_clustering_log_sd"]
    for i, code in enumerate(codes):
        n_c = psus[i] * a["persons_per_psu"]
        if n_c == 0:
            continue
        w = np.exp(a["weight_lognormal_sd"] * rng.standard_normal(n_c))
        w *= N[i] / w.sum()
        k = 0
        for j in range(psus[i]):
            mult = np.exp(sd * rng.standard_normal() - sd**2 / 2)
            q_col = min(p_col[i] * mult, 0.9)
            q_oth = min(p_oth[i] * mult, 0.9 - q_col)
            u = rng.uniform(size=a["persons_per_psu"])
            for v in u:
                country = "COL" if v < q_col else ("ZZO" if v < q_col + q_oth else "CHL")
                rows["comuna"].append(code)
                rows["comuna_name"].append(pop[code][0])
                rows["stratum"].append(code)
                rows["psu"].append(f"{code}-{j + 1:03d}")
                rows["weight"].append(float(w[k]))
                rows["country_birth"].append(country)
                rows["born_colombia"].append(int(country == "COL"))
                k += 1
    sample = pa.table({**rows, "synthetic": [True] * len(rows["comuna"])})
    truth = pa.table({"comuna": codes, "comuna_name": [pop[c][0] for c in codes], "population_2022": N,
                      "born_colombia_share_2017_census": share_col_2017, "born_colombia_share_true": p_col,
                      "persons_sampled": psus * a["persons_per_psu"], "synthetic": [True] * len(codes)})
    return sample, truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--census", type=Path, default=CENSUS, help="The 2017 census comuna table (CSV or CSV.gz).")
    parser.add_argument("--out", type=Path, default=OUT, help="Output folder.")
    args = parser.parse_args()
    sample, truth = generate(args.census)
    args.out.mkdir(parents=True, exist_ok=True)
    pq.write_table(sample, args.out / "synthetic_comuna_sample_SYNTHETIC.parquet")
    import pyarrow.csv as pacsv

    pacsv.write_csv(truth, args.out / "synthetic_comuna_truth_SYNTHETIC.csv")
    print(f"{sample.num_rows} persons in {len(set(sample.column('comuna').to_pylist()))} comunas -> {args.out}")


if __name__ == "__main__":
    main()
