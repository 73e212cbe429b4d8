"""The shipped Chile-Colombia demo programme, loaded with its monitoring data and approval history.

The programme file states the published facts and an illustrative results framework; its
evidence is corridor's own profile of the corridor (rows labelled synthetic where they are);
its training records and partner entries are SYNTHETIC (``scripts/make_programme_demo.py``).
The approval history is part of the demo too: 2023 locked, 2024 approved, 2025 submitted,
2026 open (draft), for every partner with data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from corridor.programme import models as m
from corridor.programme import periods as pm
from corridor.programme.activities import import_trainings
from corridor.programme.load import load_programme
from corridor.programme.refresh import refresh_observations
from corridor.programme.values import import_values

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DEMO_DIR = Path(__file__).resolve().parents[1] / "datasets" / "programme_demo"
DEMO_YAML = DEMO_DIR / "programme.yaml"
DEMO_TRAININGS = DEMO_DIR / "trainings_SYNTHETIC.csv"
DEMO_VALUES = DEMO_DIR / "values_SYNTHETIC.csv"
DEMO_PROFILE = DEMO_DIR / "profile_COL_CHL"
DEMO_USER = "demo (synthetic)"
# (period, actions taken for every partner with data, when)
DEMO_HISTORY = (
    ("2023", ("submit", "approve", "lock"), dt.datetime(2024, 3, 15, 12, 0)),
    ("2024", ("submit", "approve"), dt.datetime(2025, 3, 14, 12, 0)),
    ("2025", ("submit",), dt.datetime(2026, 3, 13, 12, 0)),
)


def load_demo(session: Session, *, now: dt.datetime | None = None) -> m.Programme:
    """Load the demo programme, its SYNTHETIC records and entries, and its approval history."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    prog = load_programme(session, DEMO_YAML, now=now, by=DEMO_USER)
    batch, _ = import_trainings(session, prog, DEMO_TRAININGS, today=now.date(), by=DEMO_USER)
    import_values(session, prog, DEMO_VALUES, by=DEMO_USER, now=now)
    refresh_observations(session, prog, now=now, by=DEMO_USER, why=f"training records and entries imported "
                         f"(import {batch.id})", kinds=("activities", "manual"))
    owners = sorted(pm.partners_with_data(prog))
    for period, actions, when in DEMO_HISTORY:
        for org in owners:
            for action in actions:
                pm.transition(session, prog, period, org, action, by=DEMO_USER, now=when)
    session.flush()
    return prog
