"""Stata/SPSS/SAS files: read in chunks into DuckDB, labels kept."""

from __future__ import annotations

import pandas as pd
import pyreadstat
import pytest

from corridor.errors import SourceError
from corridor.sources import read_source


def _frame(n: int = 2500) -> pd.DataFrame:
    return pd.DataFrame({"sexo": [1 + i % 2 for i in range(n)], "edad": [i % 90 for i in range(n)],
                         "expr": [10.0 + i % 7 for i in range(n)]})


@pytest.mark.parametrize("ext, writer", [(".dta", pyreadstat.write_dta), (".sav", pyreadstat.write_sav)])
def test_labelled_file_in_chunks(tmp_path, con, ext, writer):
    df = _frame()
    p = tmp_path / f"casen{ext}"
    writer(df, str(p), column_labels=["Sexo", "Edad", "Factor de expansión regional"],
           variable_value_labels={"sexo": {1: "Hombre", 2: "Mujer"}})
    src = read_source(p, chunksize=1000, con=con)  # three chunks
    assert src.ledger.read == 2500 and src.count() == 2500
    assert src.variable_labels["expr"] == "Factor de expansión regional"
    assert src.value_labels["sexo"] == {1: "Hombre", 2: "Mujer"}
    assert src.relation.aggregate("sum(edad), sum(expr)").fetchall()[0] == (df.edad.sum(), df.expr.sum())


def test_sas_transport(tmp_path, con):
    p = tmp_path / "demo.xpt"
    pyreadstat.write_xport(_frame(300), str(p))
    src = read_source(p, con=con)
    assert src.format == "sas" and src.ledger.read == 300


def test_truncated_stata_file(tmp_path, con):
    p = tmp_path / "cut.dta"
    pyreadstat.write_dta(_frame(), str(p))
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match="cut.dta.*stata"):
        read_source(p, con=con)
