"""Build the demo notification table (SYNTHETIC) and its real population denominators.

Writes to ``src/corridor/datasets/demo_notifications/``:

* ``population_antofagasta_2018_2022.csv`` (REAL, derived): residents of the Antofagasta region
  by year (2018-2022), sex, five-year age group (0-4 ... 80+) and population group:
  ``colombia`` (foreign residents born in / nationals of Colombia), ``other_foreign`` (all other
  foreign residents) and ``rest`` (the INE projection of the region's population minus all
  foreign residents, i.e. Chileans and residents not counted as foreign). Sources: INE/SERMIG,
  *Estimacion de personas extranjeras residentes habituales en Chile al 31 de diciembre de 2022*
  (file baseregiones, CODREGEO 3 = Antofagasta); INE, population projections base 2017 (comunas
  of region 2 summed). Foreign residents of unknown age are shared out over the age groups in
  proportion to the known ages (within year x sex x country).
* ``notifications_SYNTHETIC.csv`` (SYNTHETIC): case counts drawn from Poisson distributions with
  the ASSUMED rates below times those real populations. They are NOT real notifications and
  must not be read as evidence about any disease or group.

Stated assumptions (illustrative orders of magnitude, not estimates):

* base rates per 100,000 in the ``rest`` group, by age, for three conditions:
  tuberculosis (rising with age from 3 to 30 per 100,000), HIV new diagnoses (peak of 60 at
  25-34 for men, a third of that for women) and syphilis (peak of 80 at 20-29);
* rate ratios for migrant groups: tuberculosis 2.5 (colombia), 2.0 (other_foreign);
  HIV 1.5 and 1.3; syphilis 1.4 and 1.2; the same at every age;
* counts independent Poisson draws, random seed 20240611.

Run: ``python scripts/make_synthetic_notifications.py [--shared-data PATH]``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "corridor" / "datasets" / "demo_notifications"
SEED = 20240611
AGES = [f"{a}-{a + 4}" for a in range(0, 80, 5)] + ["80+"]
MID = np.array([a + 2.5 for a in range(0, 80, 5)] + [85.0])
SYNTHETIC_NOTE = "SYNTHETIC: simulated counts, not real notifications"


def _foreign(shared: Path) -> pd.DataFrame:
    base = pd.read_csv(
        shared / "chile_ine_sermig_foreign_residents" / "ine_sermig_baseregiones_2018_2022.csv"
    )
    base = base[base["CODREGEO"] == 3]
    base = base.rename(columns={"AÑO ESTIMACION": "year", "SEXO": "sex", "EDAD": "edad", "PAIS": "pais"})
    base["group"] = np.where(base["pais"] == "COLOMBIA", "colombia", "other_foreign")
    base["sex"] = base["sex"].map({"H": "male", "M": "female"})
    cells = base.groupby(["year", "sex", "group", "edad"], as_index=False)["ESTIMACION"].sum()
    known = cells[cells["edad"] != "IGNORADA"].copy()
    unknown = cells[cells["edad"] == "IGNORADA"].set_index(["year", "sex", "group"])["ESTIMACION"]
    known["age_group"] = known["edad"].map(
        dict(zip([f"{a:02d} A {a + 4:02d}" for a in range(0, 80, 5)] + ["80 O MÁS"], AGES))
    )
    totals = known.groupby(["year", "sex", "group"])["ESTIMACION"].transform("sum")
    extra = known.set_index(["year", "sex", "group"]).index.map(unknown.to_dict()).fillna(0).to_numpy()
    known["population"] = known["ESTIMACION"] + extra * known["ESTIMACION"] / totals
    return known[["year", "sex", "age_group", "group", "population"]]


def _projection(shared: Path) -> pd.DataFrame:
    proj = pd.read_csv(
        shared
        / "chile_ine_population_projections"
        / "ine_proyecciones_region_antofagasta_comuna_anio_sexo_edad5.csv"
    )
    proj = proj[proj["year"].between(2018, 2022)]
    proj["sex"] = proj["sex"].map({"masculino": "male", "femenino": "female"})
    return proj.groupby(["year", "sex", "age_group"], as_index=False)["population"].sum()


def build_population(shared: Path) -> pd.DataFrame:
    """Real denominators (see module docstring), rounded to whole persons."""
    foreign = _foreign(shared)
    total = _projection(shared)
    all_foreign = foreign.groupby(["year", "sex", "age_group"], as_index=False)["population"].sum()
    rest = total.merge(all_foreign, on=["year", "sex", "age_group"], suffixes=("", "_foreign"))
    rest["population"] = rest["population"] - rest["population_foreign"]
    if (rest["population"] <= 0).any():
        raise SystemExit("projection minus foreign residents is not positive in some cell")
    rest["group"] = "rest"
    pop = pd.concat([foreign, rest[["year", "sex", "age_group", "group", "population"]]])
    pop["population"] = pop["population"].round().astype(int)
    pop.insert(0, "region", "Antofagasta")
    pop = pop.rename(columns={"group": "population_group"})
    pop["age_group"] = pd.Categorical(pop["age_group"], AGES, ordered=True)
    pop = pop.sort_values(["year", "sex", "population_group", "age_group"]).reset_index(drop=True)
    pop["age_group"] = pop["age_group"].astype(str)
    return pop


def assumed_rates() -> dict[str, dict[str, np.ndarray]]:
    """Assumed base rates per 100,000 in the ``rest`` group, by disease, sex and age group."""
    tb = 3 + 27 * (MID / 85) ** 1.5
    hiv_m = 60 * np.exp(-(((MID - 30) / 11) ** 2))
    syph = 80 * np.exp(-(((MID - 25) / 9) ** 2))
    return {
        "tuberculosis": {"male": tb * 1.4, "female": tb * 0.6},
        "hiv": {"male": hiv_m, "female": hiv_m / 3},
        "syphilis": {"male": syph, "female": syph * 0.8},
    }


RATE_RATIOS = {
    "tuberculosis": {"colombia": 2.5, "other_foreign": 2.0, "rest": 1.0},
    "hiv": {"colombia": 1.5, "other_foreign": 1.3, "rest": 1.0},
    "syphilis": {"colombia": 1.4, "other_foreign": 1.2, "rest": 1.0},
}


def build_notifications(pop: pd.DataFrame, seed: int = SEED) -> pd.DataFrame:
    """SYNTHETIC Poisson counts from the assumed rates and the real populations."""
    rng = np.random.default_rng(seed)
    age_index = pop["age_group"].map({a: i for i, a in enumerate(AGES)}).to_numpy()
    frames = []
    for disease, by_sex in assumed_rates().items():
        base = np.where(pop["sex"] == "male", by_sex["male"][age_index], by_sex["female"][age_index])
        rr = pop["population_group"].map(RATE_RATIOS[disease]).to_numpy()
        mean = base * rr * pop["population"].to_numpy() / 1e5
        frame = pop.drop(columns="population").copy()
        frame["disease"] = disease
        frame["cases"] = rng.poisson(mean)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["data_status"] = SYNTHETIC_NOTE
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared-data", type=Path, default=ROOT / ".." / "shared" / "data")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    pop = build_population(args.shared_data)
    pop.to_csv(OUT / "population_antofagasta_2018_2022.csv", index=False)
    build_notifications(pop).to_csv(OUT / "notifications_SYNTHETIC.csv", index=False)
    print(f"wrote {len(pop)} population rows and the SYNTHETIC notifications to {OUT}")


if __name__ == "__main__":
    main()
