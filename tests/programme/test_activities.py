"""Training records: import with a row ledger; bad rows are located and nothing is half-imported."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from corridor.errors import ColumnNotFoundError, InputError
from corridor.programme import db as dbm
from corridor.programme import models as m
from corridor.programme.activities import import_trainings

from .conftest import DEMO_TRAININGS, programme, snapshot

TODAY = dt.date(2026, 12, 1)


def _rows() -> tuple[list[str], list[dict]]:
    lines = [ln for ln in DEMO_TRAININGS.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    reader = csv.DictReader(lines)
    return list(reader.fieldnames), list(reader)


def _write(path: Path, header: list[str], rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    return path


def test_demo_import_ledger_balances(loaded):
    _, rows = _rows()
    with dbm.session_scope(loaded) as s:
        batch, ledger = import_trainings(s, programme(s), DEMO_TRAININGS, today=TODAY, by="ana")
        assert batch.recorded_by == "ana"
    assert ledger.rows_read == len(rows) == ledger.rows_imported + ledger.rows_blank
    assert ledger.sessions == len({r["session_id"] for r in rows})
    assert batch.synthetic  # the file is labelled SYNTHETIC
    with dbm.session_scope(loaded) as s:
        assert s.scalar(select(func.count()).select_from(m.TrainingParticipant)) == len(rows)
        regions = set(s.scalars(select(m.TrainingSession.region)))
        bands = set(s.scalars(select(m.TrainingParticipant.age_band)))
        nat = set(s.scalars(select(m.TrainingParticipant.nationality)))
        sexes = set(s.scalars(select(m.TrainingParticipant.sex)))
    assert regions == {"CL-AN", "CL-TA", "CL-RM"}
    assert bands <= {"15-24", "25-44", "45-64", "65+"} and "25-44" in bands
    assert {"CHL", "COL", "VEN", None} <= nat and sexes <= {"F", "M", "O", "U"}


def test_blank_rows_are_counted_and_region_names_accepted(loaded, tmp_path):
    header, rows = _rows()
    rows = rows[:20]
    for r in rows:
        if r["region"] == "CL-AN":
            r["region"] = "antofagasta"
    blank = dict.fromkeys(header, "")
    path = _write(tmp_path / "t.csv", header, [*rows[:5], blank, *rows[5:], blank])
    with dbm.session_scope(loaded) as s:
        _, ledger = import_trainings(s, programme(s), path, today=TODAY)
    assert (ledger.rows_read, ledger.rows_imported, ledger.rows_blank) == (22, 20, 2)
    with dbm.session_scope(loaded) as s:
        assert set(s.scalars(select(m.TrainingSession.region))) == {"CL-AN"}


def test_xlsx_export_imports_like_csv(loaded, tmp_path):
    openpyxl = pytest.importorskip("openpyxl", reason="XLSX support is the 'xlsx' extra")
    header, rows = _rows()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows[:30]:
        ws.append([int(r[h]) if h.endswith("_score") else r[h] for h in header])
    wb.save(tmp_path / "export.xlsx")
    with dbm.session_scope(loaded) as s:
        _, ledger = import_trainings(s, programme(s), tmp_path / "export.xlsx", today=TODAY)
    assert ledger.rows_imported == 30


def _edit(rows: list[dict], index: int, **changes: str) -> list[dict]:
    rows = [dict(r) for r in rows]
    rows[index].update(changes)
    return rows


@pytest.mark.parametrize(("change", "column", "why"), [
    ({"region": "CL-XX"}, "region", "is not a region"),
    ({"region": "Atlantis"}, "region", "is not a region"),
    ({"pre_score": "-5"}, "pre_score", "is negative"),
    ({"post_score": "104"}, "post_score", "is above 100"),
    ({"profession": "astronaut"}, "profession", "is not one of"),
    ({"course": "COOKING-1"}, "course", "is not a course of the programme's catalogue"),
    ({"organisation": "NOBODY"}, "organisation", "is not a partner"),
    ({"sex": "X"}, "sex", "is not F, M, O (other) or U (not stated)"),
    ({"age": "230"}, "age", "is not an age in whole years"),
    ({"nationality": "Atlantis"}, "nationality", "is not a country"),
    ({"migratory_status": "tourist"}, "migratory_status", "is not migrant or non_migrant"),
])
def test_bad_value_is_located_and_nothing_is_imported(loaded, tmp_path, change, column, why):
    header, rows = _rows()
    path = _write(tmp_path / "bad.csv", header, _edit(rows, 7, **change))
    before = snapshot(loaded)
    with pytest.raises(InputError) as err, dbm.session_scope(loaded) as s:
        import_trainings(s, programme(s), path, today=TODAY)
    msg = err.value.message
    # data row 8 is file row 9 (row 1 is the header)
    assert f"{path}, row 9, column {column!r}, value {next(iter(change.values()))!r}: {why}" in msg
    assert "nothing was imported" in msg
    assert snapshot(loaded) == before


def test_future_date_and_date_before_the_programme_are_refused(loaded, tmp_path):
    header, rows = _rows()
    rows = [dict(r) for r in rows if r["session_id"] == "S001"]
    for r in rows:
        r["date"] = "2026-12-20"
    path = _write(tmp_path / "future.csv", header, rows)
    before = snapshot(loaded)
    with pytest.raises(InputError, match=r"row 2, column 'date', value '2026-12-20': is in the future "
                                         r"\(today is 2026-12-01\)"), dbm.session_scope(loaded) as s:
        import_trainings(s, programme(s), path, today=TODAY)
    for r in rows:
        r["date"] = "2014-06-10"
    path = _write(tmp_path / "old.csv", header, rows)
    with pytest.raises(InputError, match=r"row 2, column 'date', value '2014-06-10': is outside the programme's "
                                         r"reporting periods \(2023-01-01 to 2026-12-31\)"), \
            dbm.session_scope(loaded) as s:
        import_trainings(s, programme(s), path, today=TODAY)
    assert snapshot(loaded) == before


def test_course_of_another_line_of_work_is_refused(loaded, tmp_path):
    header, rows = _rows()
    rows = [dict(r, line_of_work="LW3") for r in rows if r["course"] == "DENGUE-CM"][:3]
    path = _write(tmp_path / "lw.csv", header + ["line_of_work"], rows)
    with pytest.raises(InputError, match=r"value 'LW3': course DENGUE-CM belongs to line of work LW2"), \
            dbm.session_scope(loaded) as s:
        import_trainings(s, programme(s), path, today=TODAY)


def test_partner_comes_from_the_column_or_the_option(loaded, tmp_path):
    header, rows = _rows()
    one = [{k: v for k, v in r.items() if k != "organisation"} for r in rows if r["session_id"] == "S001"]
    path = _write(tmp_path / "noorg.csv", [h for h in header if h != "organisation"], one)
    with pytest.raises(InputError, match="do not say which partner ran the sessions"), dbm.session_scope(loaded) as s:
        import_trainings(s, programme(s), path, today=TODAY)
    with dbm.session_scope(loaded) as s:
        batch, _ = import_trainings(s, programme(s), path, today=TODAY, organisation="LOCAL-HEALTH-AN")
        assert batch.organisation.code == "LOCAL-HEALTH-AN"
        assert {x.organisation.code for x in programme(s).sessions} == {"LOCAL-HEALTH-AN"}


def test_session_imported_twice_is_a_duplicate(loaded):
    with dbm.session_scope(loaded) as s:
        import_trainings(s, programme(s), DEMO_TRAININGS, today=TODAY)
    before = snapshot(loaded)
    lookups: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:
        if "FROM training_session" in statement:
            lookups.append(statement)

    event.listen(loaded, "before_cursor_execute", seen)
    try:
        with pytest.raises(InputError, match=r"row 3, column 'session_id', value 'S001': duplicate session: already "
                                             r"imported on 2023-") as err, dbm.session_scope(loaded) as s:
            import_trainings(s, programme(s), DEMO_TRAININGS, today=TODAY)
    finally:
        event.remove(loaded, "before_cursor_execute", seen)
    # every row is found, past the first block of rows too, and only the file's sessions were looked up
    assert err.value.message.startswith(f"{len(_rows()[1]):,} problems")
    assert len(lookups) >= 2 and all("session_code IN" in q for q in lookups)
    assert snapshot(loaded) == before


def test_same_session_under_two_ids_is_a_duplicate(loaded, tmp_path):
    header, rows = _rows()
    s1 = [r for r in rows if r["session_id"] == "S001"]
    copy = [dict(r, session_id="S999") for r in s1[:3]]
    path = _write(tmp_path / "dup.csv", header, [*s1, *copy])
    with pytest.raises(InputError, match=r"value 'S999': duplicate session: same date, region, facility and course "
                                         r"as session 'S001' \(row 2\)"), dbm.session_scope(loaded) as s:
        import_trainings(s, programme(s), path, today=TODAY)


def test_inconsistent_session_and_repeated_participant(loaded, tmp_path):
    header, rows = _rows()
    s1 = [dict(r) for r in rows if r["session_id"] == "S001"]
    s1[1]["facility"] = "Somewhere else"
    s1[2]["participant_id"] = s1[0]["participant_id"]
    path = _write(tmp_path / "incons.csv", header, s1)
    with pytest.raises(InputError) as err, dbm.session_scope(loaded) as s:
        import_trainings(s, programme(s), path, today=TODAY)
    assert "row 3, column 'facility', value 'Somewhere else': session 'S001' has" in err.value.message
    assert "appears twice in session 'S001' (rows 2 and 4)" in err.value.message


def test_missing_column(loaded, tmp_path):
    header, rows = _rows()
    header2 = [h for h in header if h != "pre_score"]
    path = _write(tmp_path / "nocol.csv", header2, [{k: r[k] for k in header2} for r in rows[:3]])
    with pytest.raises(ColumnNotFoundError, match=r"column 'pre_score' not found in training records"), \
            dbm.session_scope(loaded) as s:
        import_trainings(s, programme(s), path, today=TODAY)
