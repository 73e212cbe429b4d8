"""Refreshing from a new profile: changed values become revisions; absent periods are kept; links are rechecked."""

from __future__ import annotations

import shutil

import pytest

from corridor.errors import SpecError
from corridor.programme import db as dbm
from corridor.programme.evidence import read_evidence
from corridor.programme.refresh import period_bounds, refresh_observations

from .conftest import DEMO_PROFILE, programme, snapshot

ROW = '"uninsured_share","corridor","CHL",2022,"total","_T"'


def _profile(tmp_path, edit) -> object:
    folder = tmp_path / "profile"
    shutil.copytree(DEMO_PROFILE, folder)
    path = folder / "indicators.csv"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return read_evidence(folder)


def _replace_estimate(text: str, prefix: str, values: tuple[float, float, float]) -> str:
    lines = text.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith(prefix))
    cells = lines[i].split(",")
    header = lines[0].replace('"', "").split(",")
    for col, v in zip(("estimate", "ci_low", "ci_high"), values):
        cells[header.index(col)] = repr(v)
    lines[i] = ",".join(cells)
    return "\n".join(lines) + "\n"


def test_a_changed_estimate_is_a_revision_and_the_rest_is_untouched(loaded, tmp_path):
    ev = _profile(tmp_path, lambda t: _replace_estimate(t, ROW, (16.5, 12.9, 20.8)))
    with dbm.session_scope(loaded) as s:
        p = programme(s)
        n_before = len(p.revisions)
        summary = refresh_observations(s, p, evidence=ev, by="ana", why="profile on reweighted data")
        assert (summary.revised, summary.added, summary.removed) == (1, 0, 0)
        [rev] = p.revisions[n_before:]
        assert (rev.subject, rev.code, rev.period, rev.dimension, rev.by, rev.why) == \
            ("baseline", "OC1.1", "2022", {}, "ana", "profile on reweighted data")
        assert rev.before["estimate"] == pytest.approx(18.133076207519352) and rev.after["estimate"] == 16.5
        assert (rev.after["ci_low"], rev.after["ci_high"], rev.after["unit"]) == (12.9, 20.8, "percent")
        # the same indicator's other cells, and other indicators, did not change
        base = next(o for i in programme(s).results for x in i.indicators if x.code == "OC1.1"
                    for o in x.observations if o.kind == "baseline" and not o.dimension)
        assert base.estimate == 16.5


def test_a_new_period_is_an_actual_and_missing_periods_are_kept(loaded, tmp_path):
    def add_2024(text: str) -> str:
        row = next(ln for ln in text.splitlines() if ln.startswith(ROW))
        return "\n".join([ln for ln in text.splitlines() if not ln.startswith(ROW)]
                         + [row.replace(",2022,", ",2024,", 1)]) + "\n"

    ev = _profile(tmp_path, add_2024)
    with dbm.session_scope(loaded) as s:
        p = programme(s)
        summary = refresh_observations(s, p, evidence=ev, by="ana")
        ind = next(x for r in p.results for x in r.indicators if x.code == "OC1.1")
        kinds = sorted((o.kind, o.period) for o in ind.observations if not o.dimension)
        assert kinds == [("actual", "2024"), ("baseline", "2022")] and summary.added == 1 and summary.removed == 0


def test_a_profile_that_no_longer_links_is_refused_and_nothing_changes(loaded, tmp_path):
    ev = _profile(tmp_path, lambda t: t.replace('"unmet_health_need"', '"unmet_need"'))
    before = snapshot(loaded)
    with pytest.raises(SpecError) as err, dbm.session_scope(loaded) as s:
        refresh_observations(s, programme(s), evidence=ev, by="ana")
    assert "indicator OC1.2 names evidence indicator 'unmet_health_need', which is not in" in err.value.message
    assert "nothing was written" in err.value.hint
    assert snapshot(loaded) == before


def test_period_bounds():
    import datetime as dt

    assert period_bounds("2024-Q4") == (dt.date(2024, 10, 1), dt.date(2024, 12, 31))
    assert period_bounds("2024-Q1") == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    assert period_bounds("2023-07-01/2024-06-30") == (dt.date(2023, 7, 1), dt.date(2024, 6, 30))
