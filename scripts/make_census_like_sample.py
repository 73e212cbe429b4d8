"""Generate a SYNTHETIC census-like file: one row per person of Chile's 2017 census, counts only.

A census has no sample design and few variables; a profile of it reads every person once. This
file has the size and the marginal totals of the real census, for timing the profile at census
scale (``benchmarks/bench_profile.py --census``):

* one row per person enumerated in each comuna (345 comunas, 17,562,400 persons): the 2017
  census by comuna (real, ``corridor/datasets/census2017_comunas``);
* country of birth from the same table's place-of-birth counts of the comuna (Chile, Peru,
  Argentina, Bolivia, Ecuador, Colombia, another country as ``ZZO``; missing as no value);
* sex from the comuna's census counts of men and women (scaled to its persons: the two do not
  always add up to them), and single year of age (0 to 80, 80 meaning 80 or more) drawn from
  INE's 2017 projection of the comuna's population by sex and age (real, the
  ``chile_ine_population_projections`` extract of the shared data folder);
* labour status of persons aged 15 or more (employed, unemployed, outside the labour force; no
  value when not answered, and below 15) from the same table's counts of the comuna's activity in
  the week before the census (question P17: worked for pay, without pay, or had a job but was on
  leave = employed; looking for work = unemployed; studying, housework, retired, other = outside);
* assumptions: sex, age and labour status are independent of the place of birth within a comuna
  (the census table does not cross them), and every person's weight is 1 (a census).

Every row carries ``synthetic = true``. Run::

    PYTHONPATH=src .venv/bin/python scripts/make_census_like_sample.py --out census_like.parquet \
        [--projections PATH] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
CENSUS = ROOT / "src" / "corridor" / "datasets" / "census2017_comunas" / "census2017_comunas.csv.gz"
PROJECTIONS = (Path(os.environ.get("CORRIDOR_SHARED", ROOT.parent / "shared")) / "data" / "chile_ine_population_projections"
               / "ine_proyecciones_comuna_anio_edad_sexo_2002_2035.parquet")
# census region number -> ISO 3166-2 (INE CUT numbering)
REGION_ISO = {1: "CL-TA", 2: "CL-AN", 3: "CL-AT", 4: "CL-CO", 5: "CL-VS", 6: "CL-LI", 7: "CL-ML", 8: "CL-BI",
              9: "CL-AR", 10: "CL-LL", 11: "CL-AI", 12: "CL-MA", 13: "CL-RM", 14: "CL-LR", 15: "CL-AP", 16: "CL-NB"}
# place-of-birth columns of the census table and the country code written (None: not answered)
BIRTH = [("Enestacomuna", "CHL"), ("Enotracomuna", "CHL"), ("Peru", "PER"), ("Argentina", "ARG"), ("Bolivia", "BOL"),
         ("Ecuador", "ECU"), ("Colombia", "COL"), ("Otro", "ZZO"), ("Missing", None)]
COUNTRIES = ["CHL", "PER", "ARG", "BOL", "ECU", "COL", "ZZO"]
# activity in the week before the census (P17) -> labour status (None: not answered)
ACTIVITY = [("PorPago", "employed"), ("SinPago", "employed"), ("Empleado_VacacionesLicenciaDescanso", "employed"),
            ("BuscandoEmpleo", "unemployed"), ("Estudiando", "outside"), ("QuehaceresHogar", "outside"),
            ("Jubilado_Pensionado_Rentista", "outside"), ("OtraSituacion", "outside"), ("Missing", None)]
STATUS = ["employed", "unemployed", "outside"]
AGES = 81  # 0 to 80 (80: 80 or more, as the projections have it)


def _census(con: duckdb.DuckDBPyConnection) -> list[dict]:
    cols = ", ".join([*(f'coalesce("LugarNacimiento_{c}", 0)::BIGINT AS "{c}"' for c, _ in BIRTH),
                      *(f'coalesce("TrabajoSemanaAnterior_{c}", 0)::BIGINT AS "p17_{c}"' for c, _ in ACTIVITY)])
    rel = con.sql(f"SELECT Codigo_region::INT AS region, Codigo_comuna::INT AS comuna, PERSONAS::BIGINT AS persons, "
                  f"HOMBRES::BIGINT AS men, MUJERES::BIGINT AS women, {cols} "
                  f"FROM read_csv('{CENSUS}', header=true) ORDER BY comuna")
    return [dict(zip(rel.columns, row, strict=True)) for row in rel.fetchall()]


def _ages(con: duckdb.DuckDBPyConnection, projections: Path) -> dict[tuple[int, str], np.ndarray]:
    """The 2017 projected population of each (comuna, sex) by single year of age 0-80."""
    rows = con.sql(f"SELECT cut_comuna::INT, \"género\", edad::INT, \"población\" FROM read_parquet('{projections}') "
                   f"WHERE \"año\" = 2017").fetchall()
    out: dict[tuple[int, str], np.ndarray] = {}
    for comuna, genero, edad, pop in rows:
        sex = "male" if genero.startswith("mascul") else "female"
        out.setdefault((comuna, sex), np.zeros(AGES))[edad] += pop
    return out


def _split(total: int, parts: np.ndarray) -> np.ndarray:
    """``total`` in whole numbers in proportion to ``parts`` (largest remainders)."""
    share = parts / parts.sum() * total
    whole = np.floor(share).astype(np.int64)
    whole[np.argsort(-(share - whole), kind="stable")[: total - int(whole.sum())]] += 1
    return whole


def write(out: Path, projections: Path = PROJECTIONS, seed: int = 7) -> int:
    """Write the file; returns its number of rows."""
    rng = np.random.default_rng(seed)
    con = duckdb.connect()
    census = _census(con)
    ages = _ages(con, projections)
    schema = pa.schema([("weight", pa.float64()), ("region", pa.string()), ("comuna", pa.string()), ("sex", pa.string()),
                        ("age", pa.int32()), ("country_birth", pa.string()), ("migrant_status", pa.string()),
                        ("labour_status", pa.string()), ("synthetic", pa.bool_())])
    n_rows = 0
    with pq.ParquetWriter(out, schema, compression="zstd") as writer:
        for region in sorted({c["region"] for c in census}):
            cols: dict[str, list[np.ndarray]] = {k: [] for k in ("comuna", "sex", "age", "birth", "labour")}
            for c in (c for c in census if c["region"] == region):
                n = int(c["persons"])
                # place of birth: the census counts of the comuna (they add up to its persons)
                birth_counts = np.array([c[name] for name, _ in BIRTH], dtype=np.int64)
                birth_counts = _split(n, birth_counts.astype(float)) if birth_counts.sum() != n else birth_counts
                code = {None: -1, **{k: i for i, k in enumerate(COUNTRIES)}}
                birth = np.repeat(np.array([code[iso] for _, iso in BIRTH], dtype=np.int8), birth_counts)
                rng.shuffle(birth)
                men = _split(n, np.array([c["men"], c["women"]], dtype=float))[0]
                sex = np.zeros(n, dtype=np.int8)
                sex[men:] = 1  # 0 male, 1 female
                age = np.empty(n, dtype=np.int32)
                for s, name, lo, hi in ((0, "male", 0, men), (1, "female", men, n)):
                    dist = ages[(c["comuna"], name)]
                    age[lo:hi] = np.repeat(np.arange(AGES, dtype=np.int32), rng.multinomial(hi - lo, dist / dist.sum()))
                order = rng.permutation(n)  # persons in no particular order within the comuna
                sex, age = sex[order], age[order]
                # labour status of persons aged 15 or more, in proportion to the comuna's P17 answers
                adult = np.flatnonzero(age >= 15)
                code = {None: -1, **{k: i for i, k in enumerate(STATUS)}}
                counts = _split(len(adult), np.array([c[f"p17_{name}"] for name, _ in ACTIVITY], dtype=float))
                status = np.repeat(np.array([code[v] for _, v in ACTIVITY], dtype=np.int8), counts)
                rng.shuffle(status)
                labour = np.full(n, -1, dtype=np.int8)
                labour[adult] = status
                cols["comuna"].append(np.full(n, c["comuna"], dtype=np.int32))
                cols["sex"].append(sex)
                cols["age"].append(age)
                cols["birth"].append(birth)
                cols["labour"].append(labour)
            birth = np.concatenate(cols["birth"])
            sex = np.concatenate(cols["sex"])
            labour = np.concatenate(cols["labour"])
            n = len(birth)
            countries = pa.array(COUNTRIES + [None])
            status = np.where(birth < 0, 2, np.where(birth == 0, 0, 1)).astype(np.int8)  # native, migrant, unknown
            batch = pa.table({
                "weight": np.ones(n),
                "region": pa.DictionaryArray.from_arrays(np.zeros(n, dtype=np.int8), pa.array([REGION_ISO[region]])).cast(pa.string()),
                "comuna": pa.array(np.concatenate(cols["comuna"])).cast(pa.string()),
                "sex": pa.DictionaryArray.from_arrays(sex, pa.array(["male", "female"])).cast(pa.string()),
                "age": np.concatenate(cols["age"]),
                "country_birth": pa.DictionaryArray.from_arrays(np.where(birth < 0, len(COUNTRIES), birth).astype(np.int8),
                                                                countries).cast(pa.string()),
                "migrant_status": pa.DictionaryArray.from_arrays(status, pa.array(["native", "migrant", None])).cast(pa.string()),
                "labour_status": pa.DictionaryArray.from_arrays(
                    np.where(labour < 0, len(STATUS), labour).astype(np.int8), pa.array([*STATUS, None])).cast(pa.string()),
                "synthetic": np.ones(n, dtype=bool),
            }, schema=schema)
            writer.write_table(batch, row_group_size=1 << 20)
            n_rows += n
    return n_rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--projections", type=Path, default=PROJECTIONS, help="INE's projections by comuna, sex and age")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    print(f"{write(a.out, a.projections, a.seed):,} rows written to {a.out}")


if __name__ == "__main__":
    main()
