"""Generate the inputs of the Chile-Colombia demo programme (``src/corridor/datasets/programme_demo/``).

* ``profile_COL_CHL/indicators.csv`` (+ ``indicators.json``, its run metadata): the rows of
  corridor's own Colombia -> Chile profile (``corridor profile --origin COL --destination CHL``,
  shipped data) that the demo programme links to, unchanged. Its survey rows come from the
  SYNTHETIC household-survey sample and its notification rows from the SYNTHETIC notifications
  (their ``synthetic`` column says so); its stock rows are INE/SERMIG published figures.
* ``trainings_SYNTHETIC.csv``: training sessions 2023-2026 of the courses in the programme's
  catalogue, one row per participant (KoboToolbox/ODK shape). Every value is simulated.
* ``values_SYNTHETIC.csv``: people reached by prevention and promotion activities, entered per
  partner, area and year, in total and by sex, age band and nationality. Every value is simulated.

Stated assumptions behind the SYNTHETIC files (not published figures): about 10 culture
sessions a year (14-26 participants, 8% repeat attendance) in Antofagasta, Tarapacá and Santiago;
3 dengue / tuberculosis sessions a year from 2023 / 2025; professions as in the old demo;
women 66%, men 32%, other 1%, not stated 1%; ages Normal(38, 10) in 21-66; nationality Chilean
85%, Venezuelan 6%, Colombian 5%, Peruvian 2%, Bolivian 2% (3% not stated); migratory status
"migrant" for non-Chilean nationals (a generation rule, not a claim that citizenship shows
birthplace); scores Normal(58, 12) before, gain Normal(9 to 11, 9) after. Reach: 2,700 (2023),
2,850 (2024), 3,200 (2025) and 2,500 up to October 2026, shared by three partners in Antofagasta.

Run: ``python scripts/make_programme_demo.py`` (deterministic, seed 20230101; the profile part
runs ``corridor.report.build_profile`` on the shipped data, a few seconds).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np
import yaml

OUT = Path(__file__).resolve().parents[1] / "src" / "corridor" / "datasets" / "programme_demo"
SEED = 20230101
PROFESSIONS = ["physician", "nurse", "midwife", "nursing_technician", "social_worker", "psychologist",
               "administrative"]
PROFESSION_P = [0.18, 0.24, 0.10, 0.26, 0.08, 0.06, 0.08]
NATIONALITIES = ["CHL", "VEN", "COL", "PER", "BOL", ""]
NATIONALITY_P = [0.82, 0.06, 0.05, 0.02, 0.02, 0.03]
# (region, partner, town, culture sessions per year)
PLACES = [("CL-AN", "REGIONAL-HEALTH-AN", "Antofagasta", 5), ("CL-AN", "LOCAL-HEALTH-AN", "Calama", 2),
          ("CL-TA", "IOM-CHL", "Iquique", 2), ("CL-RM", "IOM-CHL", "Santiago", 1)]
CULTURE = ["CULT-1", "CULT-2", "RIGHTS-1"]
LAST_DAY = dt.date(2026, 10, 15)
REACH = {2023: 2700, 2024: 2850, 2025: 3200, 2026: 2500}
REACH_PARTNERS = {"REGIONAL-HEALTH-AN": 0.5, "LOCAL-HEALTH-AN": 0.3, "CIVIL-SOCIETY": 0.2}


def _day(rng: np.random.Generator, year: int) -> dt.date:
    end = LAST_DAY if year == LAST_DAY.year else dt.date(year, 12, 10)
    start = dt.date(year, 3, 1)
    return start + dt.timedelta(days=int(rng.integers(0, (end - start).days)))


def _person(rng: np.random.Generator, serial: int) -> dict:
    r = rng.random()
    sex = "F" if r < 0.66 else ("M" if r < 0.98 else ("O" if r < 0.99 else "U"))
    nat = str(rng.choice(NATIONALITIES, p=NATIONALITY_P))
    return {"participant_id": f"P{serial:05d}", "profession": str(rng.choice(PROFESSIONS, p=PROFESSION_P)),
            "sex": sex, "age": int(np.clip(np.round(rng.normal(38, 10)), 21, 66)), "nationality": nat,
            "migratory_status": "" if not nat else ("non_migrant" if nat == "CHL" else "migrant")}


def make_trainings(rng: np.random.Generator) -> list[dict]:
    rows: list[dict] = []
    pools: dict[str, list[dict]] = {}
    serial = session_no = 0
    for year in (2023, 2024, 2025, 2026):
        plan = [(reg, org, town, CULTURE[k % 3]) for reg, org, town, n in PLACES for k in range(n)]
        plan += [("CL-AN", "REGIONAL-HEALTH-AN", "Antofagasta", "DENGUE-CM")] * 2
        if year >= 2025:
            plan += [("CL-AN", "REGIONAL-HEALTH-AN", "Antofagasta", "TB-CF")] * 2
        if year == 2026:
            plan = plan[:-3]  # the year is not over
        for region, org, town, course in plan:
            session_no += 1
            pool = pools.setdefault(region, [])
            size = int(rng.integers(14, 27))
            people = [p for p in pool if rng.random() < 0.08][:3]
            while len(people) < size:
                serial += 1
                people.append(_person(rng, serial))
            pool += [p for p in people if p not in pool]
            day = _day(rng, year)
            gain = {2023: 9.0, 2024: 10.0, 2025: 11.0, 2026: 11.0}[year]
            for p in people:
                pre = float(np.clip(np.round(rng.normal(58, 12)), 5, 100))
                post = float(np.clip(np.round(pre + rng.normal(gain, 9)), 0, 100))
                rows.append({
                    "session_id": f"S{session_no:03d}", "date": day.isoformat(), "region": region,
                    "facility": f"{town} health facility {session_no % 3 + 1} (synthetic)", "course": course,
                    "trainers": "Trainer team (synthetic)", "organisation": org, **p,
                    "pre_score": int(pre), "post_score": int(post),
                })
    return rows


def _split(total: int, shares: list[float], rng: np.random.Generator) -> list[int]:
    raw = rng.multinomial(total, shares)
    return [int(x) for x in raw]


def make_values(rng: np.random.Generator) -> list[dict]:
    rows = []
    for year, total in REACH.items():
        parts = _split(total, list(REACH_PARTNERS.values()), rng)
        for (org, _), n in zip(REACH_PARTNERS.items(), parts):
            base = {"indicator": "OP1.1.1", "organisation": org, "period": str(year), "area": "CL-AN"}
            rows.append({**base, "value": n})
            if year == 2023:
                continue  # disaggregated reporting was agreed at the 2024 steering committee
            for dim, cats, shares in (("sex", ["F", "M"], [0.58, 0.42]),
                                      ("age_band", ["0-14", "15-24", "25-44", "45-64", "65+"],
                                       [0.18, 0.22, 0.38, 0.17, 0.05]),
                                      ("nationality", ["COL", "VEN", "PER", "BOL", "CHL"],
                                       [0.62, 0.14, 0.08, 0.06, 0.10])):
                for cat, k in zip(cats, _split(n, shares, rng)):
                    rows.append({**base, dim: cat, "value": k})
    return rows


def _write(path: Path, rows: list[dict], banner: str) -> None:
    fields = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(banner)
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def linked_series(programme_yaml: Path) -> set[tuple[str, str, str]]:
    doc = yaml.safe_load(programme_yaml.read_text(encoding="utf-8"))
    out = set()
    for res in doc["results"]:
        for ind in res["indicators"]:
            ev = (ind.get("source") or {}).get("evidence")
            if ev:
                out.add((ev["indicator"], ev["population"], ev["area"]))
    return out


def make_evidence(out: Path) -> None:
    """The profile's rows of the series the demo links to (their area, or their region cell)."""
    import pyarrow.csv as pacsv

    from corridor.report import build_profile

    profile = build_profile("COL", "CHL", region="CL-AN")
    table = profile.table
    wanted = linked_series(out / "programme.yaml")
    rows = table.to_pylist()
    keep = [i for i, r in enumerate(rows)
            if any(r["indicator"] == ind and r["population"] == pop
                   and (r["area"] == area or (r["disaggregation"] == "region" and r["disaggregation_value"] == area))
                   for ind, pop, area in wanted)]
    folder = out / "profile_COL_CHL"
    folder.mkdir(exist_ok=True)
    pacsv.write_csv(table.take(keep), folder / "indicators.csv")
    meta = {"origin": "COL", "destination": "CHL", "quality_scheme": profile.scheme, "min_n": profile.min_n,
            "synthetic_survey": profile.survey_synthetic,
            "note": "rows of corridor's COL -> CHL profile linked by the demo programme "
                    "(scripts/make_programme_demo.py)"}
    (folder / "indicators.json").write_text(json.dumps({"metadata": meta}, indent=1), encoding="utf-8")


def main(out: Path = OUT) -> None:
    rng = np.random.default_rng(SEED)
    _write(out / "trainings_SYNTHETIC.csv", make_trainings(rng),
           "# SYNTHETIC training records generated by scripts/make_programme_demo.py; not real data\n")
    _write(out / "values_SYNTHETIC.csv", make_values(rng),
           "# SYNTHETIC reach values generated by scripts/make_programme_demo.py; not real data\n")
    make_evidence(out)


if __name__ == "__main__":
    main()
