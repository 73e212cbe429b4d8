"""UN DESA country names and M49 codes to ISO 3166-1 alpha-3.

pycountry resolves most names and numeric codes; the table below covers the UN
names it does not know or would match wrongly (e.g. a fuzzy search maps
"Republic of Korea" to the Democratic People's Republic). The Channel Islands
have no ISO 3166-1 code; they get ``XCI`` from the user-assigned range.
"""

from __future__ import annotations

import pycountry

from corridor.errors import InputError
from corridor.i18n import Message

UN_NAME_TO_ISO3: dict[str, str] = {
    "Bolivia (Plurinational State of)": "BOL",
    "Channel Islands": "XCI",
    "China, Hong Kong SAR": "HKG",
    "China, Macao SAR": "MAC",
    "Dem. People's Republic of Korea": "PRK",
    "Democratic Republic of the Congo": "COD",
    "Holy See": "VAT",
    "Iran (Islamic Republic of)": "IRN",
    "Micronesia (Fed. States of)": "FSM",
    "Republic of Korea": "KOR",
    "Saint Helena": "SHN",
    "State of Palestine": "PSE",
    "Turkey": "TUR",
    "United States Virgin Islands": "VIR",
    "Venezuela (Bolivarian Republic of)": "VEN",
    "Wallis and Futuna Islands": "WLF",
}

M49_TO_ISO3: dict[int, str] = {830: "XCI"}


def iso3_from_un_name(name: str) -> str:
    """ISO 3166-1 alpha-3 code of a UN DESA country or area name (exact match only)."""
    key = name.strip()
    if key in UN_NAME_TO_ISO3:
        return UN_NAME_TO_ISO3[key]
    try:
        return pycountry.countries.lookup(key).alpha_3
    except LookupError:
        raise InputError(
            Message("flows.country_name_iso_alpha", name=name),
            hint=Message("flows.country_name_iso_alpha.hint"),
        ) from None


def iso3_from_m49(code: int | str) -> str | None:
    """ISO alpha-3 code of an M49 country code, or ``None`` for regional aggregates."""
    c = int(code)
    if c in M49_TO_ISO3:
        return M49_TO_ISO3[c]
    hit = pycountry.countries.get(numeric=f"{c:03d}")
    return hit.alpha_3 if hit else None


def normalise_iso3(code: str) -> str:
    """Upper-case and check an alpha-3 code (ISO or corridor's ``XCI``)."""
    c = code.strip().upper()
    if c in M49_TO_ISO3.values() or pycountry.countries.get(alpha_3=c) is not None:
        return c
    try:
        return pycountry.countries.lookup(code.strip()).alpha_3
    except LookupError:
        raise InputError(Message("flows.not_iso_alpha_country", code=code), hint=Message("flows.not_iso_alpha_country.hint")) from None
