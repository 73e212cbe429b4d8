"""CSV reader: types over the whole file, delimiters, encodings, and the errors of damaged files."""

from __future__ import annotations

import gzip

import pytest

from corridor.errors import InputError, SourceError
from corridor.sources import read_source


def test_casen_reads_all_rows_and_infers_double_for_scientific_notation(con, datasets):
    # The CASEN 2020 extract writes some incomes as e.g. 6e+05 deep in the file (SOURCES.md).
    src = read_source(datasets / "casen_2020" / "casen_2020.csv.gz", con=con)
    assert src.ledger.read == 185_437
    assert src.types["ing_aut_hog"] == "DOUBLE"
    assert src.count() == 185_437
    # weights sum to 19,545,799 (SOURCES.md)
    assert src.relation.aggregate("sum(expr)").fetchall()[0][0] == 19_545_799


def test_semicolon_delimiter_is_detected(con, datasets):
    src = read_source(datasets / "fonasa_beneficiaries" / "fonasa_beneficiarios.csv", con=con)
    assert src.options["delimiter"] == ";"
    assert src.columns[-1] == "beneficiarios"
    # national total 16,058,254 (SOURCES.md, FONASA 2023)
    assert src.relation.aggregate("sum(beneficiarios)").fetchall()[0][0] == 16_058_254


def test_latin1_file_is_transcoded(tmp_path, con):
    p = tmp_path / "paises.csv"
    p.write_bytes("PAIS;ESTIMACION\nPERÚ;10\nHAITÍ;5\n".encode("latin-1"))
    src = read_source(p, encoding="latin-1", con=con)
    assert sorted(src.relation.fetchall()) == [("HAITÍ", 5), ("PERÚ", 10)]


def test_wrong_encoding_names_file_line_and_byte(tmp_path, con):
    p = tmp_path / "paises.csv"
    p.write_bytes("PAIS,N\nCOLOMBIA,1\nPERÚ,2\n".encode("latin-1"))
    with pytest.raises(SourceError) as err:
        read_source(p, con=con)
    msg = str(err.value)
    assert "paises.csv" in msg and "line 3" in msg and "\\xda" in msg and "latin-1" in msg


def test_wrong_encoding_beyond_the_sample_is_located(tmp_path, con):
    p = tmp_path / "big.csv"
    body = "".join(f"{i},x\n" for i in range(20_000))
    p.write_bytes(("a,b\n" + body).encode() + "20000,é\n".encode("latin-1"))
    with pytest.raises(SourceError) as err:
        read_source(p, con=con)
    assert "line 20002" in str(err.value)


def test_truncated_last_row(tmp_path, con):
    p = tmp_path / "cut.csv"
    p.write_text("folio,edad,sexo\n1,34,2\n2,4,1\n3,5")
    with pytest.raises(SourceError) as err:
        read_source(p, con=con)
    msg = str(err.value)
    assert "cut.csv" in msg and "truncated" in msg and "ends in the middle of a row: its last line" in msg and "has 2 field(s)" in msg and "'3,5'" in msg


def test_row_with_extra_field(tmp_path, con):
    p = tmp_path / "ragged.csv"
    p.write_text("a,b\n1,x\n2,y,z\n3,w\n")
    with pytest.raises(SourceError, match=r"line 3 has 3 field\(s\) where the header has 2"):
        read_source(p, con=con)


def test_truncated_gzip(tmp_path, con):
    data = gzip.compress(("a,b\n" + "".join(f"{i},{i}\n" for i in range(50_000))).encode())
    p = tmp_path / "cut.csv.gz"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match=r"cut.csv.gz' is a damaged gzip file: it is truncated: the compressed data stop at byte [\d,]+ before the end"):
        read_source(p, con=con)


@pytest.mark.parametrize("content, what", [(b"", "empty"), (b"a,b\n", "no data rows"), (b"\n\n", "empty")])
def test_empty_files(tmp_path, con, content, what):
    p = tmp_path / "empty.csv"
    p.write_bytes(content)
    with pytest.raises(InputError, match=what) as err:
        read_source(p, con=con)
    assert "empty.csv" in str(err.value)


def test_missing_file_and_unknown_extension(tmp_path, con):
    with pytest.raises(SourceError, match="does not exist"):
        read_source(tmp_path / "nope.csv", con=con)
    p = tmp_path / "x.foo"
    p.write_text("a\n1\n")
    with pytest.raises(SourceError, match="cannot tell the format"):
        read_source(p, con=con)


def test_nullstr(tmp_path, con):
    p = tmp_path / "nh.csv"
    p.write_text("SEQN,DMDYRSUS\n1,.\n2,3\n")
    src = read_source(p, nullstr=".", con=con)
    assert src.types["DMDYRSUS"] == "BIGINT"
    assert src.relation.order("SEQN").fetchall() == [(1, None), (2, 3)]


def test_derived_sermig_tables_are_semicolon_separated(shared, con):
    """The repository author's derived national table agrees with INE/SERMIG Tabla 4 (Colombia)."""
    src = read_source(shared / "chile_ine_sermig_foreign_residents" / "derived_estimacion_pais_2018_2022.csv", con=con)
    assert src.options["delimiter"] == ";" and src.ledger.read == 105
    rows = dict(src.relation.filter("pais = 'Colombia'").project('"año", estimacion').fetchall())
    assert rows == {2018: 153_076, 2019: 167_534, 2020: 170_304, 2021: 184_127, 2022: 189_524}
    comunas = read_source(shared / "chile_ine_sermig_foreign_residents" / "derived_estimacion_comuna_pais_2018_2022.csv", con=con)
    assert comunas.ledger.read == 4_410 and comunas.columns[1:4] == ["pais", "año", "estimacion"]
