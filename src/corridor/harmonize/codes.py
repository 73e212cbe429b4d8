"""Country and region codes: names and national codes to ISO 3166.

Countries go to ISO 3166-1 alpha-3 through :mod:`pycountry` (alpha-2,
alpha-3, numeric codes and English names) plus explicit tables for what it
does not know: Spanish names as national offices write them ("PERÚ",
"HAITÍ", "R. DOMINICANA"), UN DESA's names ("Bolivia (Plurinational State
of)") and the catch-all categories of published tables. Two user-assigned
ISO 3166-1 alpha-3 code elements (ZZA-ZZZ range) stand for the latter:

- ``ZZO``: another country that the source does not identify separately
  ("OTRO PAÍS", "Other", regional remainders such as UN DESA's "South America").
- ``ZZU``: a foreign country that is not known ("PAÍS IGNORADO").

Chilean regions go to ISO 3166-2 (``CL-AN`` ...) from the official region
number (CUT, 1-16, Ñuble = 16 since 2018) or from INE's geographic order
(north to south, used as ``CODREGEO`` in the INE/SERMIG estimates); a
comuna's region is its CUT code divided by 1000. Colombian departments go to
ISO 3166-2 (``CO-ANT`` ...) from DANE's DIVIPOLA department code.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from typing import Any

import pycountry

OTHER_COUNTRY = "ZZO"
UNKNOWN_FOREIGN_COUNTRY = "ZZU"
RESERVED = {OTHER_COUNTRY: "other country, not identified separately", UNKNOWN_FOREIGN_COUNTRY: "foreign country not known"}

# Normalised (upper case, no accents, single spaces) -> alpha-3.
_NAMES: dict[str, str] = {
    # Spanish names used by INE Chile, SERMIG, DANE, CASEN
    "ALEMANIA": "DEU", "ARGENTINA": "ARG", "BOLIVIA": "BOL", "BRASIL": "BRA", "CANADA": "CAN",
    "CHILE": "CHL", "CHINA": "CHN", "COLOMBIA": "COL", "COREA": "KOR", "COREA DEL SUR": "KOR",
    "COSTA RICA": "CRI", "CUBA": "CUB", "ECUADOR": "ECU", "EL SALVADOR": "SLV", "ESPANA": "ESP",
    "ESTADOS UNIDOS": "USA", "ESTADOS UNIDOS DE AMERICA": "USA", "EE.UU.": "USA", "EEUU": "USA",
    "FRANCIA": "FRA", "GUATEMALA": "GTM", "HAITI": "HTI", "HONDURAS": "HND", "INGLATERRA": "GBR",
    "REINO UNIDO": "GBR", "ITALIA": "ITA", "JAPON": "JPN", "MEXICO": "MEX", "NICARAGUA": "NIC",
    "PANAMA": "PAN", "PARAGUAY": "PRY", "PERU": "PER", "PORTUGAL": "PRT", "R. DOMINICANA": "DOM",
    "REP. DOMINICANA": "DOM", "REPUBLICA DOMINICANA": "DOM", "RUSIA": "RUS", "SUECIA": "SWE",
    "SUIZA": "CHE", "URUGUAY": "URY", "VENEZUELA": "VEN", "INDIA": "IND", "PAISES BAJOS": "NLD",
    "HOLANDA": "NLD", "BELGICA": "BEL", "AUSTRALIA": "AUS", "ISRAEL": "ISR", "SIRIA": "SYR",
    "LIBANO": "LBN", "PALESTINA": "PSE", "TAIWAN": "TWN", "FILIPINAS": "PHL", "UCRANIA": "UKR",
    "POLONIA": "POL", "RUMANIA": "ROU", "GRECIA": "GRC", "TURQUIA": "TUR", "AUSTRIA": "AUT",
    "DINAMARCA": "DNK", "NORUEGA": "NOR", "FINLANDIA": "FIN", "IRLANDA": "IRL", "MARRUECOS": "MAR",
    "SUDAFRICA": "ZAF", "EGIPTO": "EGY", "NUEVA ZELANDA": "NZL", "JAMAICA": "JAM",
    "TRINIDAD Y TOBAGO": "TTO", "BELICE": "BLZ", "GUYANA": "GUY", "SURINAM": "SUR", "PUERTO RICO": "PRI",
    "ARGELIA": "DZA", "CAMERUN": "CMR", "CROACIA": "HRV", "ESLOVAQUIA": "SVK", "ESLOVENIA": "SVN",
    "HUNGRIA": "HUN", "JORDANIA": "JOR", "REPUBLICA CHECA": "CZE", "REPUBLICA DE BIELORRUSIA": "BLR",
    "REPUBLICA DE SERBIA": "SRB", "REPUBLICA DEL CONGO": "COG", "SINGAPUR": "SGP", "TAILANDIA": "THA",
    # catch-all categories of published tables
    "OTRO PAIS": OTHER_COUNTRY, "OTROS PAISES": OTHER_COUNTRY, "OTRO": OTHER_COUNTRY, "OTROS": OTHER_COUNTRY,
    "OTHER": OTHER_COUNTRY, "OTHER COUNTRIES": OTHER_COUNTRY,
    "PAIS IGNORADO": UNKNOWN_FOREIGN_COUNTRY, "IGNORADO": UNKNOWN_FOREIGN_COUNTRY,
    # UN DESA International Migrant Stock names that pycountry does not resolve
    "BOLIVIA (PLURINATIONAL STATE OF)": "BOL", "CHINA, HONG KONG SAR": "HKG", "CHINA, MACAO SAR": "MAC",
    "DEM. PEOPLE'S REPUBLIC OF KOREA": "PRK", "DEMOCRATIC REPUBLIC OF THE CONGO": "COD",
    "HOLY SEE": "VAT", "IRAN (ISLAMIC REPUBLIC OF)": "IRN", "MICRONESIA (FED. STATES OF)": "FSM",
    "REPUBLIC OF KOREA": "KOR", "SAINT HELENA": "SHN", "STATE OF PALESTINE": "PSE", "TURKEY": "TUR",
    "UNITED STATES VIRGIN ISLANDS": "VIR", "VENEZUELA (BOLIVARIAN REPUBLIC OF)": "VEN",
    "WALLIS AND FUTUNA ISLANDS": "WLF",
}

# Chile: official region number (CUT) -> ISO 3166-2.
CL_REGION = {
    1: "CL-TA", 2: "CL-AN", 3: "CL-AT", 4: "CL-CO", 5: "CL-VS", 6: "CL-LI", 7: "CL-ML", 8: "CL-BI",
    9: "CL-AR", 10: "CL-LL", 11: "CL-AI", 12: "CL-MA", 13: "CL-RM", 14: "CL-LR", 15: "CL-AP", 16: "CL-NB",
}
# Chile: INE geographic order, north to south (CODREGEO in the INE/SERMIG estimates) -> ISO 3166-2.
CL_REGION_GEO = {
    1: "CL-AP", 2: "CL-TA", 3: "CL-AN", 4: "CL-AT", 5: "CL-CO", 6: "CL-VS", 7: "CL-RM", 8: "CL-LI",
    9: "CL-ML", 10: "CL-NB", 11: "CL-BI", 12: "CL-AR", 13: "CL-LR", 14: "CL-LL", 15: "CL-AI", 16: "CL-MA",
}

# Colombia: DANE department code (DIVIPOLA) -> ISO 3166-2.
CO_DEPARTMENT = {
    5: "CO-ANT", 8: "CO-ATL", 11: "CO-DC", 13: "CO-BOL", 15: "CO-BOY", 17: "CO-CAL", 18: "CO-CAQ",
    19: "CO-CAU", 20: "CO-CES", 23: "CO-COR", 25: "CO-CUN", 27: "CO-CHO", 41: "CO-HUI", 44: "CO-LAG",
    47: "CO-MAG", 50: "CO-MET", 52: "CO-NAR", 54: "CO-NSA", 63: "CO-QUI", 66: "CO-RIS", 68: "CO-SAN",
    70: "CO-SUC", 73: "CO-TOL", 76: "CO-VAC", 81: "CO-ARA", 85: "CO-CAS", 86: "CO-PUT", 88: "CO-SAP",
    91: "CO-AMA", 94: "CO-GUA", 95: "CO-GUV", 97: "CO-VAU", 99: "CO-VID",
}


def normalise_name(value: str) -> str:
    """Upper case, accents removed, runs of spaces collapsed."""
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).strip().upper()


@lru_cache(maxsize=4096)
def _lookup(text: str) -> str | None:
    norm = normalise_name(text)
    if norm in _NAMES:
        return _NAMES[norm]
    if norm.isdigit():
        c = pycountry.countries.get(numeric=norm.zfill(3))
        return c.alpha_3 if c else None
    if norm in RESERVED:
        return norm
    try:
        return pycountry.countries.lookup(text.strip()).alpha_3
    except LookupError:
        pass
    try:
        return pycountry.countries.lookup(norm.title()).alpha_3
    except LookupError:
        return None


def country_to_iso3(value: Any) -> str | None:
    """ISO 3166-1 alpha-3 code for a country name (es/en), alpha-2/3 or numeric code; None if unknown.

    >>> country_to_iso3("PERÚ"), country_to_iso3("Colombia"), country_to_iso3(862), country_to_iso3("OTRO PAÍS")
    ('PER', 'COL', 'VEN', 'ZZO')
    """
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value) or not value.is_integer():
            return None
        value = int(value)
    return _lookup(str(value))


def chile_region_to_iso(code: Any, *, geographic_order: bool = False) -> str | None:
    """ISO 3166-2 code of a Chilean region from its official number (or INE geographic order)."""
    try:
        number = int(code)
    except (TypeError, ValueError):
        return None
    return (CL_REGION_GEO if geographic_order else CL_REGION).get(number)


def colombia_department_to_iso(code: Any) -> str | None:
    """ISO 3166-2 code of a Colombian department from its DANE (DIVIPOLA) code, e.g. 5 -> CO-ANT."""
    try:
        return CO_DEPARTMENT.get(int(code))
    except (TypeError, ValueError):
        return None


def region_from_table(table: str, value: Any) -> str | None:
    """Apply a named code table (see ``TABLES`` in the spec module) to one value."""
    if table == "country":
        return country_to_iso3(value)
    if table == "co_department":
        return colombia_department_to_iso(value)
    if table == "cl_comuna":
        try:
            return chile_region_to_iso(int(float(value)) // 1000)
        except (TypeError, ValueError):
            return None
    return chile_region_to_iso(value, geographic_order=table == "cl_region_geo")


def iso3166_2_name(code: str) -> str | None:
    """Name of an ISO 3166-2 subdivision (e.g. ``CL-AN`` -> Antofagasta)."""
    sub = pycountry.subdivisions.get(code=code)
    return sub.name if sub else None
