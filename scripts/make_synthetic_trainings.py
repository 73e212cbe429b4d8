"""Generate the SYNTHETIC demo inputs of the Chile-Colombia programme.

Writes two files into ``src/corridor/datasets/programme_demo/``:

* ``trainings_SYNTHETIC.csv``: training sessions for Chilean health professionals
  in 2016 (line of work 3), one row per participant, shaped like a
  KoboToolbox/ODK export (session columns repeated on each participant row).
  Every value is simulated; no real session or person is described.
* ``evidence_demo_SYNTHETIC.csv``: a small evidence table with corridor's tidy
  indicator columns. The rows whose ``source`` starts with ``SYNTHETIC`` are
  simulated from the figures stated below; the rows of
  ``foreign_residents_born_COL`` are the published INE/SERMIG estimates
  (Estimación de personas extranjeras residentes habituales en Chile al 31 de
  diciembre de 2022, Tabla 4) and are real.

Stated figures behind the SYNTHETIC rows (illustrative assumptions, not
published estimates): share of Colombian-born residents of Antofagasta region
without health insurance 0.21 (SE 0.030) in 2015 and 0.15 (SE 0.028) in 2017;
share with a usual source of care 0.55 (SE 0.032) in 2015 and 0.70 (SE 0.030) in
2017; n = 420 and 450 respondents, 60 design degrees of freedom. Intervals are
Wald 95% (estimate +/- 1.959964 SE); quality labels follow INE Chile's 2020
standard for proportions (n >= 60, df >= 9, SE <= min(p, 1-p)^(2/3) / 9 ->
reliable).

Run: ``python scripts/make_synthetic_trainings.py`` (deterministic, seed 20151009).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "corridor" / "datasets" / "programme_demo"
SEED = 20151009
Z95 = 1.959963984540054

PROFESSIONS = ["physician", "nurse", "midwife", "nursing_technician", "social_worker", "psychologist",
               "administrative"]
PROFESSION_P = [0.18, 0.24, 0.10, 0.26, 0.08, 0.06, 0.08]
TOPICS = ["Colombian migrants' culture and health beliefs", "Access rights of migrants to public health care",
          "Intercultural communication in primary care"]
# (region ISO 3166-2, number of sessions, facility prefix)
SESSIONS = [("CL-AN", 9, "Antofagasta"), ("CL-TA", 3, "Iquique"), ("CL-RM", 2, "Santiago")]


def _quality(p: float, se: float, n: int, df: int) -> str:
    if n < 60 or df < 9:
        return "non-reliable"
    return "reliable" if se <= min(p, 1 - p) ** (2 / 3) / 9 else "weakly reliable"


def make_trainings(rng: np.random.Generator) -> list[dict]:
    rows: list[dict] = []
    pool: list[tuple[str, str, str]] = []  # (participant_id, profession, sex) per region, for repeat attendance
    serial = 0
    session_no = 0
    for region, n_sessions, town in SESSIONS:
        pool = []
        for k in range(n_sessions):
            session_no += 1
            day = dt.date(2016, 3, 1) + dt.timedelta(days=int(rng.integers(0, 270)))
            facility = f"{town} health facility {k % 3 + 1} (synthetic)"
            topic = TOPICS[k % len(TOPICS)]
            size = int(rng.integers(14, 27))
            repeaters = [p for p in pool if rng.random() < 0.08][:3]
            people = list(repeaters)
            while len(people) < size:
                serial += 1
                prof = str(rng.choice(PROFESSIONS, p=PROFESSION_P))
                sex = "F" if rng.random() < 0.68 else "M"
                people.append((f"P{serial:04d}", prof, sex))
            pool += people
            for pid, prof, sex in people:
                pre = float(np.clip(np.round(rng.normal(58, 12)), 5, 100))
                post = float(np.clip(np.round(pre + rng.normal(11, 9)), 0, 100))
                rows.append({
                    "session_id": f"S{session_no:03d}", "date": day.isoformat(), "region": region,
                    "facility": facility, "topic": topic, "trainers": "Trainer team A (synthetic)",
                    "line_of_work": "LW3", "participant_id": pid, "profession": prof, "sex": sex,
                    "pre_score": int(pre), "post_score": int(post),
                })
    return rows


def make_evidence() -> list[dict]:
    rows = []
    stated = [
        ("uninsured_share", "2015", 0.21, 0.030, 420), ("uninsured_share", "2017", 0.15, 0.028, 450),
        ("usual_source_of_care_share", "2015", 0.55, 0.032, 420),
        ("usual_source_of_care_share", "2017", 0.70, 0.030, 450),
    ]
    for ind, period, p, se, n in stated:
        rows.append({
            "indicator": ind, "population": "born_COL", "area": "CL-AN", "period": period,
            "disaggregation": "total", "estimate": p, "se": se,
            "ci_low": round(p - Z95 * se, 6), "ci_high": round(p + Z95 * se, 6), "ci_level": 0.95,
            "quality": _quality(p, se, n, 60), "suppressed": False,
            "source": f"SYNTHETIC: simulated survey estimate (n={n}, df=60) from figures stated in "
                      "scripts/make_synthetic_trainings.py; not a published figure",
        })
    published = {"2018": 26472, "2019": 28718, "2020": 29664, "2021": 30696, "2022": 32842}
    for period, value in published.items():
        rows.append({
            "indicator": "foreign_residents_born_COL", "population": "born_COL", "area": "CL-AN",
            "period": period, "disaggregation": "total", "estimate": value, "se": "", "ci_low": "",
            "ci_high": "", "ci_level": "", "quality": "official estimate", "suppressed": False,
            "source": "INE and SERMIG, Estimación de personas extranjeras residentes habituales en Chile "
                      "al 31 de diciembre de 2022, Tabla 4 (published)",
        })
    return rows


def _write(path: Path, rows: list[dict], banner: str) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        fh.write(banner)
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main(out: Path = OUT) -> None:
    rng = np.random.default_rng(SEED)
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "trainings_SYNTHETIC.csv", make_trainings(rng),
           "# SYNTHETIC training records generated by scripts/make_synthetic_trainings.py; not real data\n")
    _write(out / "evidence_demo_SYNTHETIC.csv", make_evidence(),
           "# Evidence table for the demo: rows whose source starts with SYNTHETIC are simulated "
           "(scripts/make_synthetic_trainings.py); foreign_residents_born_COL rows are published INE/SERMIG figures\n")


if __name__ == "__main__":
    main()
