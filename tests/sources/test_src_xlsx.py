"""XLSX tables: the published INE/SERMIG Tabla 4 read with openpyxl into DuckDB."""

from __future__ import annotations

import pytest

from corridor.errors import SourceError
from corridor.sources import read_source


def test_published_table4(shared, con):
    """Tabla 4 ("Regiones-País") of INE/SERMIG, Estimación de personas extranjeras 2022."""
    book = shared / "chile_ine_sermig_foreign_residents" / "ine_sermig_estimacion_extranjeros_2022_cuadros_estadisticos.xlsx"
    src = read_source(book, sheet="Regiones-País", header_row=2, con=con)
    row = src.relation.filter("trim(\"Región\") = 'Total País'").project('"Colombia 2022", "Total 2022"').fetchall()
    assert row == [(189_524, 1_625_074)]
    anto = src.relation.filter("trim(\"Región\") = 'Antofagasta'").project('"Colombia 2022"').fetchall()
    assert anto == [(32_842,)]


def test_unknown_sheet(shared, con):
    book = shared / "chile_ine_sermig_foreign_residents" / "ine_sermig_estimacion_extranjeros_2022_cuadros_estadisticos.xlsx"
    with pytest.raises(SourceError, match="sheet 'Tabla 99' not found") as err:
        read_source(book, sheet="Tabla 99", con=con)
    assert "Regiones-País" in err.value.hint
