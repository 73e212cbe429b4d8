"""Bad inputs get errors that name the file, the column and the value."""

from __future__ import annotations

import json

import pytest

from corridor.design import design_from_dict
from corridor.errors import ColumnNotFoundError, InputError, SpecError
from corridor.harmonize import UnknownCodeError, harmonize, load_spec
from corridor.sources.ledger import note_text

SPEC = {
    "name": "test_spec",
    "country": "CHL",
    "columns": {"sex": {"from": "sexo", "codes": {1: "male", 2: "female"}}, "age": "edad"},
    "design": {"weight": "expr"},
}


def _csv(tmp_path, text: str, name: str = "casen.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_spec_names_a_missing_column(tmp_path):
    p = _csv(tmp_path, "sexo,edad,expr\n1,30,10\n")
    spec = {**SPEC, "columns": {**SPEC["columns"], "region": {"from": "regoin", "table": "cl_region"}}}
    with pytest.raises(ColumnNotFoundError) as err:
        harmonize(p, spec)
    msg = str(err.value)
    assert "'regoin'" in msg and "casen.csv" in msg and "test_spec" in msg


def test_unknown_code_names_file_column_value_and_rows(tmp_path):
    p = _csv(tmp_path, "sexo,edad,expr\n1,30,10\n3,40,10\n2,50,10\n3,20,10\n")
    with pytest.raises(UnknownCodeError) as err:
        harmonize(p, SPEC)
    msg = str(err.value)
    assert "casen.csv" in msg and "'sexo'" in msg and "3 (2 rows)" in msg and "row(s) 2, 4" in msg
    assert "columns.sex.codes" in err.value.hint


def test_unknown_code_mapped_to_missing_with_a_ledger_line(tmp_path):
    p = _csv(tmp_path, "sexo,edad,expr\n1,30,10\n3,40,10\n2,50,10\n3,20,10\n")
    h = harmonize(p, SPEC, unknown="missing")
    assert h.ledger.kept == 4
    assert [(u.column, u.value, u.count, u.action) for u in h.ledger.unknown] == [("sexo", 3, 2, "missing")]
    assert "sexo -> sex = 3: 2 rows (missing)" in h.ledger.to_text()
    assert h.relation.filter("sex IS NULL").count("*").fetchall()[0][0] == 2


def test_unknown_code_rejected_with_examples(tmp_path):
    p = _csv(tmp_path, "sexo,edad,expr\n1,30,10\n3,40,10\n2,50,10\n3,20,10\n")
    h = harmonize(p, {**SPEC, "unknown": "reject"})
    line = next(r for r in h.ledger.rejected if r.count)
    assert (line.text("en"), line.count, line.examples) == ("unknown code in column 'sexo'", 2, [2, 4])
    assert h.ledger.kept == 2 and h.count() == 2
    # the reason is kept as a catalogue message: each reader gets it in their language, also once stored
    assert line.text("es") == "código desconocido en la columna 'sexo'"
    stored = json.loads(h.ledger.to_json())["rejected"]
    assert note_text(next(r for r in stored if r["count"])["rule"], "fr") == "code inconnu dans la colonne 'sexo'"
    assert "código desconocido en la columna 'sexo'" in h.ledger.to_text("es")


def test_weight_with_text(tmp_path):
    p = _csv(tmp_path, "sexo,edad,expr\n1,30,10.5\n2,40,n/a\n")
    with pytest.raises(UnknownCodeError) as err:
        harmonize(p, SPEC)
    msg = str(err.value)
    assert "casen.csv" in msg and "'expr' (-> weight)" in msg and "'n/a'" in msg and "row(s) 2" in msg
    assert isinstance(err.value, InputError)


def test_weight_with_text_is_an_error_even_when_unknown_codes_are_tolerated(tmp_path):
    p = _csv(tmp_path, "sexo,edad,expr\n1,30,10.5\n2,40,n/a\n")
    with pytest.raises(UnknownCodeError, match="n/a"):
        harmonize(p, SPEC, unknown="missing")


def test_missing_and_negative_weights_are_rejected_with_rows(tmp_path):
    p = _csv(tmp_path, "sexo,edad,expr\n1,30,10\n2,40,\n1,50,-1\n")
    h = harmonize(p, SPEC)
    lines = {r.rule: (r.count, r.examples) for r in h.ledger.rejected}
    assert lines == {"weight is missing": (1, [2]), "weight is negative": (1, [3])}
    assert h.ledger.kept == 1


def test_wrong_encoding_through_a_spec(tmp_path):
    p = tmp_path / "sermig.csv"
    p.write_bytes("PAIS,N\nPERÚ,1\n".encode("latin-1"))
    spec = {"name": "s", "columns": {"country_citizenship": {"from": "PAIS", "table": "country"}}}
    with pytest.raises(Exception) as err:
        harmonize(p, spec)
    assert "sermig.csv" in str(err.value) and "utf-8" in str(err.value)
    h = harmonize(p, {**spec, "source": {"options": {"encoding": "latin-1"}}})
    assert h.relation.fetchall() == [("PER",)]


def test_bad_specs():
    with pytest.raises(SpecError, match="'sexx' is not a canonical concept"):
        load_spec({"name": "x", "columns": {"sexx": "sexo"}})
    with pytest.raises(SpecError, match="maps to 'hombre', which is not a value of sex"):
        load_spec({"name": "x", "columns": {"sex": {"from": "sexo", "codes": {1: "hombre"}}}})
    with pytest.raises(SpecError, match="unknown key"):
        load_spec({"name": "x", "colums": {}})
    with pytest.raises(SpecError, match="no spec called 'casen_1990'"):
        load_spec("casen_1990")
    with pytest.raises(SpecError, match="population must be a mapping"):
        load_spec({"name": "x", "population": {"min_years": 15}})
    with pytest.raises(SpecError, match="population.min_age must be a whole number"):
        load_spec({"name": "x", "population": {"min_age": "15+"}})
    with pytest.raises(SpecError, match="maps to '2015', which is not a value of arrival_period"):
        load_spec({"name": "x", "columns": {"arrival_period": {"from": "p", "codes": {1: "2015"}}}})
    assert load_spec({"name": "x", "population": {"min_age": 15}}).min_age == 15


def test_bad_sql_in_a_filter(tmp_path):
    p = _csv(tmp_path, "sexo,edad,expr\n1,30,10\n")
    with pytest.raises(SpecError, match="not valid SQL"):
        harmonize(p, {**SPEC, "filters": [{"where": "edadd > 3", "rule": "x"}]})


def test_replicate_design(tmp_path):
    p = _csv(tmp_path, "sexo,edad,expr,rw1,rw2,rw3\n1,30,10,20,0,10\n2,40,10,0,20,10\n")
    spec = {**SPEC, "design": {"weight": "expr", "replicate": {"columns": "rw*", "type": "JK1", "scale": 2 / 3, "mse": True}}}
    h = harmonize(p, spec)
    assert h.design["type"] == "replicate" and h.design["rep_type"] == "JK1"
    assert h.design["repweights"] == ["repw_1", "repw_2", "repw_3"] and h.design["mse"] is True
    assert h.relation.project("repw_1, repw_2, repw_3").order("repw_1").fetchall() == [(0.0, 20.0, 10.0), (20.0, 0.0, 10.0)]
    design = design_from_dict(h.design)  # the estimation engine takes the mapping as it is
    assert design.repweights == ("repw_1", "repw_2", "repw_3") and design.type == "JK1" and design.mse
    with pytest.raises(SpecError, match="design.replicate needs"):
        load_spec({**spec, "design": {"weight": "expr", "replicate": {"columns": "rw*", "type": "jackknife"}}})


def test_materialize(tmp_path):
    p = _csv(tmp_path, "sexo,edad,expr\n1,30,10\n2,40,12\n")
    h = harmonize(p, SPEC, materialize=True)
    p.unlink()  # the data now live in DuckDB
    assert h.relation.order("age").fetchall() == [("male", 30, 10.0), ("female", 40, 12.0)]


def test_misspelt_or_misplaced_reader_option_is_an_error(tmp_path):
    """A reader option the readers do not know would be ignored (the file read with ',' when the spec
    meant ';'); one the file's format does not use is an error too."""
    p = _csv(tmp_path, "sexo;edad;expr\n1;30;10,5\n2;40;9,5\n")
    with pytest.raises(SpecError) as err:
        harmonize(p, {**SPEC, "source": {"options": {"delimeter": ";"}}})
    assert "delimeter" in str(err.value) and "test_spec" in str(err.value) and "delimiter" in err.value.hint
    with pytest.raises(Exception, match="sheet does not apply to a csv file"):
        harmonize(p, {**SPEC, "source": {"options": {"sheet": 2}}})
    h = harmonize(p, {**SPEC, "source": {"options": {"delimiter": ";", "decimal": ","}}})
    assert sorted(h.relation.aggregate("sum(weight)").fetchall()[0]) == [20.0]
