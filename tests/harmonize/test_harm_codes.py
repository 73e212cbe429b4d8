"""Country and region code tables."""

from __future__ import annotations

import pycountry
import pytest

from corridor.harmonize.codes import (
    _NAMES,
    CL_REGION,
    CL_REGION_GEO,
    CO_DEPARTMENT,
    RESERVED,
    chile_region_to_iso,
    country_to_iso3,
)


@pytest.mark.parametrize(
    "value, iso",
    [("PERÚ", "PER"), ("HAITÍ", "HTI"), ("OTRO PAÍS", "ZZO"), ("PAÍS IGNORADO", "ZZU"), ("R. DOMINICANA", "DOM"),
     ("ESTADOS UNIDOS", "USA"), ("Colombia", "COL"), ("CO", "COL"), ("COL", "COL"), (170, "COL"), ("862", "VEN"),
     (862.0, "VEN"), ("Bolivia (Plurinational State of)", "BOL"), ("Venezuela (Bolivarian Republic of)", "VEN"),
     ("  méxico ", "MEX"), ("Atlantis", None), (None, None)],
)
def test_country_to_iso3(value, iso):
    assert country_to_iso3(value) == iso


def test_every_table_entry_is_a_real_code():
    for iso in _NAMES.values():
        assert iso in RESERVED or pycountry.countries.get(alpha_3=iso) is not None, iso
    for code in [*CL_REGION.values(), *CO_DEPARTMENT.values()]:
        assert pycountry.subdivisions.get(code=code) is not None, code
    assert sorted(CL_REGION.values()) == sorted(CL_REGION_GEO.values())  # same 16 regions, two orders


def test_antofagasta_in_both_orders():
    assert chile_region_to_iso(2) == "CL-AN"
    assert chile_region_to_iso(3, geographic_order=True) == "CL-AN"
    assert chile_region_to_iso(17, geographic_order=True) is None
