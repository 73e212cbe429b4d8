"""Survey inputs: a spec (shipped or file) or a CSV/Parquet file already in canonical columns."""

from __future__ import annotations

import duckdb
import pytest

from corridor import i18n
from corridor.design import Design
from corridor.errors import InputError, SourceError
from corridor.indicators import compute_survey, get, load_survey
from corridor.indicators.survey import DEFAULT_SPEC


def test_shipped_sample_is_synthetic_with_its_design(synthetic) -> None:
    assert synthetic.synthetic is True
    assert synthetic.country == "CHL"
    assert isinstance(synthetic.design, Design)
    assert synthetic.design.weights == "weight"
    assert tuple(synthetic.design.columns) >= ("weight",) and "psu" in synthetic.design.columns


def test_canonical_parquet_file(tmp_path) -> None:
    raw = DEFAULT_SPEC.parent / "synthetic_corridor_sample_SYNTHETIC.parquet"
    path = tmp_path / "part.parquet"
    duckdb.sql(f"COPY (SELECT * FROM '{raw}' WHERE region IN ('CL-AN', 'CL-RM')) TO '{path}'")
    src = load_survey(path)
    assert src.synthetic is True                # the file's `synthetic` column says so
    res = compute_survey(src, "COL", "CHL", indicators=[get("uninsured_share")], disaggregations=())
    rows = {r["population"]: r for r in res.table.to_pylist()}
    assert set(rows) == {"corridor", "migrants", "natives", "gap"}
    assert 0 < rows["natives"]["estimate"] < 100


def test_file_without_weights(tmp_path) -> None:
    path = tmp_path / "noweight.csv"
    path.write_text("sex,age\nmale,30\n", encoding="utf-8")
    with pytest.raises(InputError, match="no 'weight' column"):
        load_survey(path)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(SourceError, match="survey data not found"):
        load_survey(tmp_path / "nothing.parquet")
    with i18n.language("fr"), pytest.raises(SourceError, match="données d'enquête introuvables : .*nothing.parquet") as err:
        load_survey(tmp_path / "nothing.parquet")
    assert (err.value.render("fr")[1] or "").startswith("donnez une spécification d'harmonisation (nom ou .yaml)")
    with i18n.language("es"), pytest.raises(InputError, match="no tiene columna 'weight'"):
        (tmp_path / "noweight.csv").write_text("sex,age\nmale,30\n", encoding="utf-8")
        load_survey(tmp_path / "noweight.csv")
