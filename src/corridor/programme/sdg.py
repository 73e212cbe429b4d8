"""2030 Agenda tags: SDG indicators that corridor's indicators and programme results map to.

Codes and titles follow the UN global indicator framework (A/RES/71/313 and its
annual refinements, as listed by the UN Statistics Division); titles here are
shortened. 17.18.1 marks data disaggregated by migratory status, as the
framework asks of every indicator "where relevant".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from corridor.errors import SpecError

T = TypeVar("T")

SDG_INDICATORS: dict[str, dict[str, str]] = {
    "1.2.1": {"en": "Population below the national poverty line",
              "es": "Población por debajo del umbral nacional de pobreza",
              "fr": "Population vivant au-dessous du seuil national de pauvreté"},
    "3.3.1": {"en": "New HIV infections per 1,000 uninfected population",
              "es": "Nuevas infecciones por el VIH por cada 1.000 habitantes no infectados",
              "fr": "Nouvelles infections à VIH pour 1 000 personnes séronégatives"},
    "3.3.2": {"en": "Tuberculosis incidence per 100,000 population",
              "es": "Incidencia de la tuberculosis por cada 100.000 habitantes",
              "fr": "Incidence de la tuberculose pour 100 000 habitants"},
    "3.8.1": {"en": "Coverage of essential health services",
              "es": "Cobertura de los servicios de salud esenciales",
              "fr": "Couverture des services de santé essentiels"},
    "3.c.1": {"en": "Health worker density and distribution",
              "es": "Densidad y distribución del personal sanitario",
              "fr": "Densité et répartition du personnel de santé"},
    "8.3.1": {"en": "Informal employment in total employment",
              "es": "Empleo informal con respecto al empleo total",
              "fr": "Emploi informel dans l'emploi total"},
    "8.5.2": {"en": "Unemployment rate", "es": "Tasa de desempleo", "fr": "Taux de chômage"},
    "10.7.2": {"en": "Countries with well-managed migration policies",
               "es": "Países con políticas migratorias bien gestionadas",
               "fr": "Pays dotés de politiques migratoires bien gérées"},
    "17.18.1": {"en": "Data disaggregated by migratory status",
                "es": "Datos desglosados por estatus migratorio",
                "fr": "Données ventilées par statut migratoire"},
}

# catalogue indicator name -> SDG indicators it corresponds to
CATALOGUE_TAGS: dict[str, tuple[str, ...]] = {
    "uninsured_share": ("3.8.1",),
    "health_insurance_coverage": ("3.8.1",),
    "usual_source_of_care_share": ("3.8.1",),
    "hiv_notification_rate": ("3.3.1",),
    "tb_notification_rate": ("3.3.2",),
    "unemployment_rate": ("8.5.2",),
    "informal_employment_share": ("8.3.1",),
    "poverty_rate": ("1.2.1",),
}

_CODE = re.compile(r"^(1[0-7]|[1-9])\.([1-9][0-9]?|[a-c])\.[1-9]$")


def check_code(code: str, *, where: str = "") -> str:
    """Validate an SDG indicator code such as ``3.8.1`` or ``3.c.1``; return it."""
    code = str(code).strip()
    if not _CODE.match(code):
        raise SpecError(
            f"{where}{code!r} is not an SDG indicator code",
            hint="SDG indicator codes look like goal.target.indicator, e.g. 3.8.1, 3.c.1 or 17.18.1",
        )
    return code


def title(code: str, lang: str = "en") -> str:
    """A short title of the SDG indicator in ``lang`` (falls back to the code)."""
    entry = SDG_INDICATORS.get(code)
    return entry.get(lang, entry["en"]) if entry else code


def goal(code: str) -> int:
    """The goal number of an SDG indicator code."""
    return int(code.split(".")[0])


def tags_for(indicator: str, population: str | None = None) -> list[str]:
    """SDG tags of a catalogue indicator; 17.18.1 too when the population is defined by migratory status."""
    tags = list(CATALOGUE_TAGS.get(indicator, ()))
    if population and re.match(r"^(born_|citizen_|migrant|recent_migrant|native)", population):
        tags.append("17.18.1")
    return tags


def sort_key(code: str) -> tuple:
    parts = code.split(".")
    return tuple(int(p) if p.isdigit() else 100 + ord(p) for p in parts)


def group_by_sdg(items: Iterable[T], codes: Callable[[T], Iterable[str]]) -> dict[str, list[T]]:
    """Group items by SDG indicator (an item with several tags appears under each); codes in order."""
    groups: dict[str, list[T]] = {}
    for item in items:
        for code in codes(item):
            groups.setdefault(code, []).append(item)
    return {k: groups[k] for k in sorted(groups, key=sort_key)}
