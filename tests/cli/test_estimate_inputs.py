"""Every file a user hands `corridor estimate` (and `cr.estimate`) gives R's answer or an error naming it.

Each case writes a real file to disk and runs it through the command line and through Python,
asserting the message (file, column, line, hint) or the flag a user would see.
"""

from __future__ import annotations

import gzip
import json

import openpyxl
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest
from click.testing import CliRunner

import corridor as cr
from corridor import errors
from corridor.cli import main

W = ["--weights", "w"]


def run(*args: str):
    return CliRunner().invoke(main, ["estimate", *args])


def csv_text(n: int = 50) -> str:
    return "w,y,g\n" + "".join(f"{1 + i % 3},{i},{'ab'[i % 2]}\n" for i in range(n))


# ---- one reading path --------------------------------------------------------------------------
def test_header_only_csv_says_so(tmp_path):
    p = tmp_path / "head.csv"
    p.write_text("w,y,g\n")
    res = run(str(p), *W, "-e", "mean:y")
    assert res.exit_code == 2 and "head.csv' has a header but no data rows" in res.output
    with pytest.raises(errors.InputError, match="has a header but no data rows"):
        cr.estimate(p, cr.Design(weights="w"), cr.Mean("y"))


def test_truncated_gzip_names_the_byte_and_line(tmp_path):
    data = gzip.compress(csv_text(100_000).encode())
    p = tmp_path / "cut.csv.gz"
    p.write_bytes(data[:30_000])
    res = run(str(p), *W, "-e", "mean:y")
    assert res.exit_code == 2
    assert "cut.csv.gz' is a damaged gzip file: it is truncated: the compressed data stop at byte 30,000" in res.output
    assert "the data read end after line" in res.output and "gzip -t" in res.output
    assert "Possible fixes" not in res.output
    with pytest.raises(errors.SourceError, match="stop at byte 30,000"):
        cr.estimate(str(p), cr.Design(weights="w"), cr.Mean("y"))


def test_csv_cut_mid_row_names_its_last_line(tmp_path):
    text = csv_text(60_000)
    p = tmp_path / "cut.csv"
    p.write_text(text[: text.index("\n", len(text) // 2) + 3])  # a line with one field and a half
    res = run(str(p), *W, "-e", "mean:y")
    assert res.exit_code == 2 and "ends in the middle of a row: its last line (line 30,558)" in res.output
    assert "Possible fixes" not in res.output and "(--verbose shows the reader's own message)" in res.output
    verbose = run(str(p), *W, "-e", "mean:y", "--verbose")
    assert "Possible fixes" in verbose.output  # DuckDB's own text, on request


def test_a_workbook_renamed_csv_is_named_as_a_workbook(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["w", "y"])
    wb.active.append([1, 2])
    wb.active.append([1, 4])
    wb.save(tmp_path / "book.xlsx")
    p = tmp_path / "book.csv"
    p.write_bytes((tmp_path / "book.xlsx").read_bytes())
    res = run(str(p), *W, "-e", "mean:y")
    assert res.exit_code == 2 and "book.csv' is to be read as CSV text but is an Excel workbook (.xlsx)" in res.output
    assert "--input-format" in res.output
    ok = run(str(p), *W, "-e", "mean:y", "--input-format", "xlsx", "--format", "json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["rows"][0]["estimate"] == 3


def test_not_parquet_is_explained(tmp_path):
    p = tmp_path / "d.parquet"
    pq.write_table(pa.table({"w": [1.0, 2.0], "y": [3.0, 4.0]}), p)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) - 20])
    res = run(str(p), *W, "-e", "mean:y")
    assert res.exit_code == 2 and "starts like Parquet but does not end with Parquet's footer" in res.output
    assert "magic bytes" not in res.output


@pytest.mark.parametrize("ext, writer", [(".dta", pyreadstat.write_dta), (".sav", pyreadstat.write_sav)])
def test_stata_and_spss_files_are_estimable_with_their_labels(tmp_path, ext, writer):
    df = pd.DataFrame({"w": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 2.0, 3.0, 4.0], "region": [1, 2, 1, 2]})
    p = tmp_path / f"survey{ext}"
    writer(df, str(p), variable_value_labels={"region": {1: "Norte", 2: "Sur"}})
    res = run(str(p), *W, "-e", "mean:y", "--by", "region")
    assert res.exit_code == 0, res.output
    assert "Norte" in res.output and "Sur" in res.output
    raw = run(str(p), *W, "-e", "mean:y", "--by", "region", "--codes")
    assert "Norte" not in raw.output and raw.output.splitlines()[1].split()[0] in ("1", "1.0")
    py = cr.estimate(p, cr.Design(weights="w"), cr.Mean("y"), by="region")
    assert py.meta["value_labels"]["region"] == {1.0: "Norte", 2.0: "Sur"}
    assert py.to_pylist()[0]["estimate"] == pytest.approx((1 + 9) / 4)


def test_xlsx_sheet_and_header_row(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "notes"
    data = wb.create_sheet("Cuadro 2")
    data.append(["Encuesta 2022 (title row)"])
    data.append(["w", "y"])
    for i in range(4):
        data.append([1 + i, 10 * i])
    p = tmp_path / "t.xlsx"
    wb.save(p)
    res = run(str(p), *W, "-e", "total:y", "--sheet", "Cuadro 2", "--header-row", "2", "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["rows"][0]["estimate"] == 0 + 20 + 60 + 120
    py = cr.estimate(p, cr.Design(weights="w"), cr.Total("y"), read={"sheet": "Cuadro 2", "header_row": 2})
    assert py.to_pylist()[0]["estimate"] == 200


def test_latin1_csv_with_encoding(tmp_path):
    p = tmp_path / "l1.csv"
    p.write_bytes("w,y,región\n1,2,Ñuble\n2,3,Ñuble\n".encode("latin-1"))
    bad = run(str(p), *W, "-e", "mean:y")
    assert bad.exit_code == 2 and "is not valid utf-8" in bad.output and "--encoding latin-1" in bad.output
    ok = run(str(p), *W, "-e", "mean:y", "--by", "región", "--encoding", "latin-1")
    assert ok.exit_code == 0 and "Ñuble" in ok.output
    unknown = run(str(p), *W, "-e", "mean:y", "--encoding", "latin-9x")
    assert unknown.exit_code == 2 and "'latin-9x' is not a text encoding corridor knows" in unknown.output
    assert "l1.csv" in unknown.output and "Traceback" not in unknown.output


# ---- columns and types -------------------------------------------------------------------------
def test_duplicate_columns_in_csv_name_both_positions_and_rename_fixes_it(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("w,expr,y,expr\n1,10,1,20\n2,30,2,40\n")
    res = run(str(p), "--weights", "expr", "-e", "mean:y")
    assert res.exit_code == 2 and "dup.csv' has 2 columns named 'expr' (columns 2 and 4)" in res.output
    assert "--rename 4=expr_2" in res.output
    ok = run(str(p), "--weights", "expr_2021", "-e", "total:y", "--rename", "4=expr_2021", "--format", "json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["rows"][0]["estimate"] == 20 + 80
    with pytest.raises(errors.InputError, match="2 columns named 'expr'"):
        cr.estimate(p, cr.Design(weights="w"), cr.Mean("y"))


def test_duplicate_headers_in_a_sheet_give_their_letters(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["region", "2021", "2022", "Diferencias", "2021"])
    ws.append(["CL-AN", 10, 12, 2, 99])
    p = tmp_path / "t.xlsx"
    wb.save(p)
    res = run(str(p), "--weights", "2022", "-e", "mean:2021")
    assert res.exit_code == 2 and "has 2 columns named '2021' (columns B and E)" in res.output


@pytest.mark.parametrize("kind", ["parquet", "arrow", "pandas"])
def test_duplicate_columns_in_parquet_and_frames(tmp_path, kind):
    t = pa.Table.from_arrays([pa.array([1.0, 2.0]), pa.array([3.0, 4.0]), pa.array([5.0, 6.0])], names=["w", "y", "y"])
    data = {"arrow": t, "pandas": t.to_pandas()}.get(kind)
    if kind == "parquet":
        pq.write_table(t, tmp_path / "d.parquet")
        data = tmp_path / "d.parquet"
    with pytest.raises(errors.InputError, match=r"2 columns named 'y' \(columns 2 and 3\)"):
        cr.estimate(data, cr.Design(weights="w"), cr.Mean("y"))


def _stata_with_two_ys(path):
    """A Stata file whose third variable is also named 'y' (pyreadstat would call it 'y_duplicated1')."""
    pyreadstat.write_dta(pd.DataFrame({"w": [1.0, 2.0], "y": [3.0, 4.0], "q": [5.0, 6.0]}), str(path), version=15)
    data = bytearray(path.read_bytes())
    names = data.index(b"<varnames>") + len(b"<varnames>")
    assert data[names + 2 * 129] == ord("q")  # 129 bytes per name
    data[names + 2 * 129] = ord("y")
    path.write_bytes(bytes(data))


def test_a_stata_variable_name_held_twice_is_an_error_and_rename_fixes_it(tmp_path):
    p = tmp_path / "two.dta"
    _stata_with_two_ys(p)
    res = run(str(p), *W, "-e", "mean:y")
    assert res.exit_code == 2 and "two.dta' has 2 columns named 'y' (columns 2 and 3)" in res.output
    assert "--rename 3=y_2" in res.output
    ok = run(str(p), *W, "-e", "mean:y_2", "--rename", "3=y_2", "--format", "json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["rows"][0]["estimate"] == pytest.approx((5 + 12) / 3)
    with pytest.raises(errors.InputError, match="2 columns named 'y'"):
        cr.estimate(p, cr.Design(weights="w"), cr.Mean("y"))
    labelled = tmp_path / "l.dta"
    pyreadstat.write_dta(pd.DataFrame({"w": [1.0, 2.0], "y": [3.0, 4.0], "region": [1, 2]}), str(labelled),
                         variable_value_labels={"region": {1: "Norte", 2: "Sur"}})
    py = cr.estimate(labelled, cr.Design(weights="w"), cr.Mean("y"), by="zona", read={"rename": {3: "zona"}})
    assert py.meta["value_labels"]["zona"] == {1.0: "Norte", 2.0: "Sur"}


def test_names_differing_only_in_capitals_are_duplicates_to_the_engine(tmp_path):
    p = tmp_path / "case.csv"
    p.write_text("w,y,Y\n1,1,10\n2,2,20\n")
    res = run(str(p), *W, "-e", "mean:Y")
    assert res.exit_code == 2
    assert "case.csv' has 2 columns whose names differ only in capitals ('y' and 'Y': columns 2 and 3)" in res.output
    assert "--rename 3=y_2" in res.output
    ok = run(str(p), *W, "-e", "mean:Y2", "--rename", "3=Y2", "--format", "json")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["rows"][0]["estimate"] == pytest.approx(50 / 3)
    frame = pa.table({"w": [1.0, 2.0], "y": [1.0, 2.0], "Y": [10.0, 20.0]})
    for data in (frame, pl.from_arrow(frame), pl.from_arrow(frame).lazy()):
        with pytest.raises(errors.InputError, match="differ only in capitals"):
            cr.estimate(data, cr.Design(weights="w"), cr.Mean("y"))
    # letters beyond ASCII keep their case in the engine's names: 'é' and 'É' are two columns
    accents = pa.table({"w": [1.0, 2.0], "é": [1.0, 2.0], "É": [10.0, 20.0]})
    assert cr.estimate(accents, cr.Design(weights="w"), cr.Mean("É")).to_pylist()[0]["estimate"] == pytest.approx(50 / 3)


def test_a_polars_lazy_frame_is_estimable():
    lazy = pl.DataFrame({"w": [1.0, 2.0], "y": [1.0, 2.0]}).lazy()
    assert cr.estimate(lazy, cr.Design(weights="w"), cr.Mean("y")).to_pylist()[0]["estimate"] == pytest.approx(5 / 3)


def test_numeric_estimand_on_a_text_column_names_values_lines_and_counts(tmp_path):
    lines = ["w,income"] + [f"1,{100 + i}" for i in range(20)]
    lines[5] = "1,NS/NR"
    lines[9] = "1,NS/NR"
    lines[12] = "1,no sabe"
    p = tmp_path / "inc.csv"
    p.write_text("\n".join(lines) + "\n")
    res = run(str(p), *W, "-e", "mean:income")
    assert res.exit_code == 2
    assert "column 'income' in file" in res.output and "holds values that are not numbers" in res.output
    assert "'NS/NR' (2 rows, first at line 6)" in res.output and "'no sabe' (1 row, first at line 13)" in res.output
    assert "--na-values NS/NR --na-values 'no sabe'" in res.output
    ok = run(str(p), *W, "-e", "mean:income", "--na-values", "NS/NR", "--na-values", "no sabe", "--na", "drop",
             "--format", "json")
    assert ok.exit_code == 0, ok.output
    row = json.loads(ok.stdout)["rows"][0]
    assert row["n"] == 17
    with pytest.raises(errors.InputError, match=r"'NS/NR' \(2 rows, first at line 6\)"):
        cr.estimate(p, cr.Design(weights="w"), cr.Mean("income"))
    # a frame: row numbers instead of lines, and declared missing values then read as numbers
    frame = pa.table({"w": [1.0, 1.0, 1.0], "income": ["10", "NS/NR", "30"]})
    with pytest.raises(errors.InputError, match=r"'NS/NR' \(1 row, first at row 2\)"):
        cr.estimate(frame, cr.Design(weights="w"), cr.Mean("income"))
    assert cr.estimate(frame, cr.Design(weights="w"), cr.Mean("income"), na_values=["NS/NR"], na="drop").to_pylist()[0][
        "estimate"] == 20


def test_text_far_down_a_numeric_csv_column(tmp_path):
    p = tmp_path / "late.csv"
    p.write_text(csv_text(30_000) + "1,NS/NR,a\n")
    res = run(str(p), *W, "-e", "mean:y")
    assert res.exit_code == 2 and "'NS/NR' (1 row, first at line 30,002)" in res.output
    ok = run(str(p), *W, "-e", "mean:y", "--na-values", "NS/NR", "--na", "drop")
    assert ok.exit_code == 0


def test_estimands_of_one_variable_do_not_depend_on_their_order():
    t = pa.table({"w": [1.0, 2.0, 3.0, 4.0], "x": [1.0, 2.0, 2.0, 5.0]})
    d = cr.Design(weights="w")
    a = cr.estimate(t, d, [cr.Proportion("x"), cr.Mean("x")]).to_pylist()
    b = cr.estimate(t, d, [cr.Mean("x"), cr.Proportion("x")]).to_pylist()
    key = lambda r: (r["estimand"], r["level"])
    assert sorted(a, key=key) == sorted(b, key=key)
    mean = next(r for r in a if r["estimand"] == "mean")
    assert mean["level"] is None and mean["estimate"] == pytest.approx((1 + 4 + 6 + 20) / 10)
    assert [r["level"] for r in a if r["estimand"] == "proportion"] == ["1", "2", "5"]


# ---- rows never disappear silently -------------------------------------------------------------
SPEC = """name: bad_w
title: a survey with rows the spec rejects
source: {file: bad_w.csv, format: csv}
columns:
  labour_income: inc
  sex: {from: sex, codes: {1: male, 2: female}}
design: {weight: w, strata: h, psu: psu, nest: true}
"""


def _bad_weights(tmp_path, extra: str = ""):
    rows = ["w,h,psu,inc,sex"]
    for i in range(40):
        w = "" if i in (3, 17) else "-2" if i == 9 else str(1 + i % 4)
        rows.append(f"{w},{i % 2},{i % 8},{100 + i},{1 + i % 2}")
    (tmp_path / "bad_w.csv").write_text("\n".join(rows) + "\n")
    spec = tmp_path / "bad_w.yaml"
    spec.write_text(SPEC + extra)
    return spec


def test_rejected_rows_fail_unless_dropped_and_the_ledger_is_printed(tmp_path):
    spec = _bad_weights(tmp_path)
    res = run("--spec", str(spec), "-e", "mean:labour_income")
    assert res.exit_code == 2
    assert "3 of the 40 rows of" in res.output and "were rejected by spec 'bad_w'" in res.output
    assert "weight is missing: 2 rows (e.g. data rows 4, 18)" in res.output and "--drop-rejected" in res.output
    ok = run("--spec", str(spec), "-e", "mean:labour_income", "--drop-rejected", "--format", "json")
    assert ok.exit_code == 0
    assert "rows read                40" in ok.stderr and "rows kept                37" in ok.stderr
    assert "note: 3 rejected rows left out" in ok.stderr
    out = json.loads(ok.stdout)
    assert out["ledger"]["read"] == 40 and out["ledger"]["kept"] == 37 and out["rejected_rows_dropped"] == 3
    assert {r["rule"]: r["count"] for r in out["ledger"]["rejected"]} == {"weight is missing": 2, "weight is negative": 1}
    assert out["rows"][0]["n"] == 37
    from corridor.harmonize import harmonize

    with pytest.raises(errors.InputError, match="were rejected by spec"):
        cr.estimate(harmonize(None, spec), cr.Design(weights="weight"), cr.Mean("labour_income"))
    py = cr.estimate(harmonize(None, spec), cr.Design(weights="weight"), cr.Mean("labour_income"), drop_rejected=True)
    assert py.meta["rejected_rows_dropped"] == 3


def test_missing_and_negative_weights_of_a_plain_file_name_their_lines(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("w,y\n1,1\n,2\n3,3\nNS,4\n2,5\n")
    res = run(str(p), *W, "-e", "mean:y", "--na-values", "NS")
    assert res.exit_code == 2 and "w.csv' has 2 missing values (first at lines 3, 5)" in res.output
    neg = tmp_path / "neg.csv"
    neg.write_text("w,y\n1,1\n2,2\n-2,3\n")
    res = run(str(neg), *W, "-e", "mean:y")
    assert res.exit_code == 2 and "neg.csv' has negative values (minimum -2; first at lines 4)" in res.output
    frame = pa.table({"w": [1.0, None, 3.0, None], "y": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(errors.InputError, match=r"has 2 missing values \(first at rows 2, 4\)"):
        cr.estimate(frame, cr.Design(weights="w"), cr.Mean("y"))


def test_a_spec_may_say_drop_rejected(tmp_path):
    spec = _bad_weights(tmp_path, "drop_rejected: true\n")
    res = run("--spec", str(spec), "-e", "mean:labour_income")
    assert res.exit_code == 0 and "rejected rows left out" in res.stderr


def test_short_ipums_records_are_refused(fixtures, tmp_path):
    ddi = (fixtures / "ipumsi" / "ipumsi_fixture.xml").read_text()
    lines = (fixtures / "ipumsi" / "ipumsi_fixture.dat").read_text().splitlines()
    lines[4] = lines[4][:40]
    (tmp_path / "ipumsi_fixture.xml").write_text(ddi)
    (tmp_path / "ipumsi_fixture.dat").write_text("\n".join(lines) + "\n")
    res = run(str(tmp_path / "ipumsi_fixture.xml"), "--weights", "PERWT", "-e", "mean:AGE")
    assert res.exit_code == 2
    assert "1 record(s) are shorter than the 46 characters" in res.output and "line 5 has 40" in res.output


# ---- degenerate designs and estimands -----------------------------------------------------------
def test_identical_replicate_weights_are_refused(tmp_path):
    p = tmp_path / "rep.csv"
    p.write_text("w,r1,r2,r3,y\n" + "".join(f"{1 + i % 3},{1 + i % 3},{1 + i % 3},{1 + i % 3},{i}\n" for i in range(30)))
    res = run(str(p), "--weights", "w", "--repweights", "^r[0-9]", "--rep-type", "JK1", "-e", "mean:y")
    assert res.exit_code == 2 and "3 replicate weight columns" in res.output
    assert "all equal to the full-sample weight: every standard error would be 0" in res.output
    same = tmp_path / "same.csv"
    same.write_text("w,r1,r2,y\n" + "".join(f"{1 + i % 3},2,2,{i}\n" for i in range(30)))
    with pytest.raises(errors.DesignError, match="all identical to each other"):
        cr.estimate(same, cr.ReplicateDesign("^r[0-9]", weights="w", type="JK1"), cr.Mean("y"))


def test_zero_denominator_is_flagged_in_every_output(tmp_path):
    p = tmp_path / "ratio.csv"
    p.write_text("w,y,x,g\n1,1,0,a\n2,2,0,a\n1,3,1,b\n2,4,2,b\n")
    for fmt in ("json", "csv", "table"):
        res = run(str(p), *W, "-e", "ratio:y/x", "--by", "g", "--format", fmt)
        assert res.exit_code == 0 and "zero_denominator" in res.output
    row = json.loads(run(str(p), *W, "-e", "ratio:y/x", "--by", "g", "--format", "json").stdout)["rows"][0]
    assert row["flag"] == "zero_denominator" and row["estimate"] is None and row["se"] is None
    assert row["ci_low"] is None and row["ci_high"] is None and row["n"] == 2
    table = run(str(p), *W, "-e", "ratio:y/x", "--by", "g").output.splitlines()
    assert table[1].split()[0] == "a" and table[1].split()[-1] == "zero_denominator"


def test_all_missing_and_empty_domains_say_which(tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("w,y,g,k\n1,,a,x\n2,,a,x\n1,3,b,x\n2,4,b,y\n")
    res = run(str(p), *W, "-e", "mean:y", "--by", "g", "--by", "k", "--na", "drop", "--format", "json")
    rows = {(r["g"], r["k"]): r for r in json.loads(res.stdout)["rows"]}
    assert rows[("a", "x")]["flag"] == "all_missing" and rows[("a", "x")]["estimate"] is None
    assert rows[("a", "y")]["flag"] == "empty_domain"
    assert rows[("b", "x")]["flag"] is None and rows[("b", "x")]["estimate"] == 3


# ---- the terminal table ------------------------------------------------------------------------
def test_numbers_for_people_in_the_table_and_exact_in_csv(tmp_path):
    p = tmp_path / "big.csv"
    p.write_text("w,y\n" + "".join(f"{1000.5 + i},{i}\n" for i in range(2000)))
    table = run(str(p), *W, "-e", "total:y")
    assert table.exit_code == 0
    body = table.output.splitlines()[1]
    assert "e+" not in body and "4,000,000" in body  # sum_w: every digit, thousands separators
    csv = run(str(p), *W, "-e", "total:y", "--format", "csv").output.splitlines()
    values = dict(zip(csv[0].replace('"', "").split(","), csv[1].split(","), strict=True))
    assert float(values["sum_w"]) == sum(1000.5 + i for i in range(2000))


def test_code_table_beside_the_data_and_codes_flag(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("w,y,region\n1,1,1\n2,2,2\n1,3,2\n")
    (tmp_path / "c.labels.yaml").write_text("region: {1: Tarapacá, 2: Antofagasta}\n")
    res = run(str(p), *W, "-e", "mean:y", "--by", "region")
    assert "Antofagasta" in res.output and "Tarapacá" in res.output
    assert "Antofagasta" not in run(str(p), *W, "-e", "mean:y", "--by", "region", "--codes").output


def test_misspelled_command_gets_a_suggestion():
    res = CliRunner().invoke(main, ["profle"])
    assert res.exit_code == 2 and "No such command 'profle'. Did you mean 'profile'?" in res.output


# ---- options that would change nothing are refused -------------------------------------------------
def test_reading_option_for_another_format_is_an_error(tmp_path):
    p = tmp_path / "d.parquet"
    pq.write_table(pa.table({"w": [1.0, 2.0, 3.0], "y": [1.0, 2.0, 4.0]}), p)
    for opt in (["--sheet", "2"], ["--delimiter", ";"], ["--header-row", "3"]):
        res = run(str(p), *W, "-e", "mean:y", *opt)
        name = opt[0].removeprefix("--").replace("-", "_")
        assert res.exit_code == 2, res.output
        assert f"the reading option {name} does not apply to a parquet file" in res.output
        assert "d.parquet" in res.output and "a parquet file takes: -" in res.output
    with pytest.raises(errors.SourceError, match="sheet does not apply to a csv file"):
        c = tmp_path / "d.csv"
        c.write_text(csv_text())
        cr.estimate(c, cr.Design(weights="w"), cr.Mean("y"), read={"sheet": 1})
    # the same option on the format that takes it reads the file
    c = tmp_path / "s.csv"
    c.write_text(csv_text().replace(",", ";"))
    res = run(str(c), *W, "-e", "mean:y", "--delimiter", ";", "--format", "json")
    assert res.exit_code == 0, res.output


def test_header_row_zero_is_not_taken_as_the_first_row(tmp_path):
    p = tmp_path / "d.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["w", "y"])
    for i in range(10):
        ws.append([1 + i % 2, i])
    wb.save(p)
    res = run(str(p), *W, "-e", "mean:y", "--header-row", "0")
    assert res.exit_code == 2
    assert "header_row 0 is not a row of" in res.output and "numbered from 1, as in Excel" in res.output
    ok = run(str(p), *W, "-e", "mean:y", "--header-row", "1", "--format", "json")
    assert ok.exit_code == 0 and json.loads(ok.output)["rows"][0]["estimate"] == pytest.approx(
        sum((1 + i % 2) * i for i in range(10)) / sum(1 + i % 2 for i in range(10)))


def test_drop_rejected_without_a_spec_is_refused_not_ignored(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("w,y\n1,2\n,3\n2,4\n")
    res = run(str(p), *W, "-e", "mean:y", "--drop-rejected")
    assert res.exit_code == 2
    assert "read without a spec: nothing would be left out" in res.output and "drop_rejected: true" in res.output
    with pytest.raises(errors.EstimationError, match="read without a spec"):
        cr.estimate(str(p), cr.Design(weights="w"), cr.Mean("y"), drop_rejected=True)
    # drop_rejected=False (the default's meaning) is not an error on plain files
    with pytest.raises(errors.InputError, match="missing"):
        cr.estimate(str(p), cr.Design(weights="w"), cr.Mean("y"), drop_rejected=False)


# ---- numbers written with a decimal comma -------------------------------------------------------
def test_decimal_comma_file_is_named_as_such_and_read_with_decimal(tmp_path):
    dot = tmp_path / "dot.csv"
    dot.write_text("w;y\n" + "".join(f"{1 + i % 3}.5;{i}.25\n" for i in range(40)))
    comma = tmp_path / "comma.csv"
    comma.write_text(dot.read_text().replace(".", ","))
    res = run(str(comma), *W, "-e", "mean:y")
    assert res.exit_code == 2
    assert "holds values that are not numbers: '1,5'" in res.output
    assert "decimal comma" in res.output and "--decimal ," in res.output and "--na-values" not in res.output
    want = json.loads(run(str(dot), *W, "-e", "mean:y", "--format", "json").output)["rows"][0]
    got = run(str(comma), *W, "-e", "mean:y", "--decimal", ",", "--format", "json")
    assert got.exit_code == 0, got.output
    row = json.loads(got.output)["rows"][0]
    assert row["estimate"] == pytest.approx(want["estimate"], rel=1e-15) and row["se"] == pytest.approx(want["se"], rel=1e-12)
    py = cr.estimate(comma, cr.Design(weights="w"), cr.Mean("y"), read={"decimal": ","}).to_pylist()[0]
    assert py["estimate"] == pytest.approx(want["estimate"], rel=1e-15)
    # a comma that is also the delimiter cannot be the decimal mark
    plain = tmp_path / "plain.csv"
    plain.write_text(csv_text())
    bad = run(str(plain), *W, "-e", "mean:y", "--decimal", ",")
    assert bad.exit_code == 2 and "differ from the delimiter ','" in bad.output
    # a text answer in a decimal-comma column is still a missing-value question
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("w;y\n1;2,5\n1;NS/NR\n2;3,5\n")
    res = run(str(mixed), *W, "-e", "mean:y", "--decimal", ",")
    assert res.exit_code == 2 and "'NS/NR'" in res.output and "--na-values NS/NR" in res.output
