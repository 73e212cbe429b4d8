"""The CASEN 2022 spec against the official codebook (reads $CORRIDOR_SHARED/data/casen2022_comunas).

The codebook (Libro de códigos Base de datos Casen 2022, v20oct23, Ministerio de Desarrollo
Social y Familia) lists per sheet: variable name, label, value, value label, frequency. Every
variable the spec reads must be in it; every code the spec maps or declares missing must be one
of the variable's codes; every code of a mapped variable must be mapped or declared missing; and
each canonical value must carry the codebook label stated below.
"""

from __future__ import annotations

import pytest
from shared_data import shared_file

from corridor.harmonize.spec import load_spec

# canonical value -> words its codebook label must contain (lower case)
MEANING = {
    "sexo": {"male": "hombre", "female": "mujer"},
    "area": {"urban": "urbano", "rural": "rural"},
    "r1a": {"CHL": "chile", "ZZO": "otro país"},
    "activ": {"employed": "ocupados", "unemployed": "desocupados", "outside": "inactivos"},
    "s13": {"public": "fonasa", "private": "isapre", "none": "ninguno", "other": ("ff.aa.", "otro sistema")},
    "pobreza": {"extreme": "pobreza extrema", "non_extreme": "pobreza no extrema", "not_poor": "no pobreza"},
}


@pytest.fixture(scope="module")
def codebook() -> dict[str, dict]:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(shared_file("casen2022_comunas", "Libro_de_Codigos_Base_Casen_2022_v20oct23.xlsx"),
                                read_only=True)
    out: dict[str, dict] = {}
    for sheet in wb.sheetnames[3:]:               # after Índice, Ficha técnica, Cuestionario
        current = None
        for row in wb[sheet].iter_rows(values_only=True):
            if len(row) < 5:
                continue
            name, label, value, value_label = row[1:5]
            if isinstance(name, str) and name != "Nombre variable":
                current = out.setdefault(name.strip(), {"sheet": sheet, "label": label, "codes": {}, "range": None})
            if current is None or value is None:
                continue
            if isinstance(value, int | float):
                current["codes"][int(value)] = str(value_label)
            elif str(value).startswith("rango"):
                current["range"] = str(value)
    return out


def test_codebook_read(codebook):
    assert codebook["r1a"]["label"].startswith("r1a. ¿Cuál es el país de nacionalidad?")
    assert len(codebook) > 500


def test_every_variable_is_in_the_codebook(codebook):
    spec = load_spec("casen_2022")
    used = {r.source for r in spec.columns.values() if r.source}
    assert used - set(codebook) == set()
    assert {spec.design[k] for k in ("weight", "strata", "psu")} <= set(codebook)


@pytest.mark.parametrize("variable", sorted(MEANING))
def test_codes_match_the_codebook(codebook, variable):
    spec = load_spec("casen_2022")
    rule = next(r for r in spec.columns.values() if r.source == variable)
    book = codebook[variable]["codes"]
    mapped = {int(k): v for k, v in rule.codes.items()}
    declared = {int(k) for k in rule.missing}
    assert set(mapped) | declared == set(book), f"{variable}: spec codes {sorted(set(mapped) | declared)}, codebook {sorted(book)}"
    for code, value in mapped.items():
        words = MEANING[variable][value]
        words = (words,) if isinstance(words, str) else words
        assert any(w in book[code].lower() for w in words), f"{variable} {code} -> {value}, codebook: {book[code]!r}"
    for code in declared:
        assert "no sabe" in book[code].lower()


def test_region_codes_are_the_official_numbering(codebook):
    from corridor.harmonize.codes import CL_REGION, region_from_table

    book = codebook["region"]["codes"]
    assert set(book) == set(CL_REGION)
    assert "antofagasta" in book[2].lower() and region_from_table("cl_region", 2) == "CL-AN"
    assert "arica" in book[15].lower() and "ñuble" in book[16].lower()


def test_numeric_variables(codebook):
    assert codebook["edad"]["range"] == "rango: 0-120"
    assert codebook["r1c"]["codes"] == {-88: "No sabe o No recuerda"} and codebook["r1c"]["range"].startswith("rango: 1928")
    assert "comuna" not in codebook and "expc" not in codebook      # why the spec maps no comuna
