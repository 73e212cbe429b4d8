"""Built-in derived concepts (migrant status, age groups, country of origin) as SQL on canonical columns."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from corridor.errors import SpecError
from corridor.i18n import Message
from corridor.sources.source import quote_literal


def migrant_status_sql(columns: set[str], host: str | None, where: Message | str) -> dict[str, str]:
    """``migrant_status`` and ``migrant_basis``: foreign-born, else foreign citizen (UN recommendations).

    A person born in ``host`` (or, where birthplace is missing, a citizen of
    ``host``) is ``native``; any other known country is ``migrant``.
    """
    if not host:
        raise SpecError(Message("harmonize.migrant_status_host", where=where), hint=Message("harmonize.migrant_status_host.hint"))
    have_b, have_c = "country_birth" in columns, "country_citizenship" in columns
    if not (have_b or have_c):
        raise SpecError(Message("harmonize.migrant_status_countries", where=where),
                        hint=Message("harmonize.derive_countries.hint"))
    h = quote_literal(host)
    b = "country_birth" if have_b else "CAST(NULL AS VARCHAR)"
    c = "country_citizenship" if have_c else "CAST(NULL AS VARCHAR)"
    status = (
        f"CASE WHEN {b} IS NOT NULL THEN (CASE WHEN {b} = {h} THEN 'native' ELSE 'migrant' END) "
        f"WHEN {c} IS NOT NULL THEN (CASE WHEN {c} = {h} THEN 'native' ELSE 'migrant' END) END"
    )
    basis = f"CASE WHEN {b} IS NOT NULL THEN 'birth' WHEN {c} IS NOT NULL THEN 'citizenship' END"
    return {"migrant_status": status, "migrant_basis": basis}


def country_origin_sql(columns: set[str]) -> str:
    parts = [c for c in ("country_birth", "country_citizenship") if c in columns]
    if not parts:
        raise SpecError(Message("harmonize.country_origin_countries"), hint=Message("harmonize.derive_countries.hint"))
    return f"coalesce({', '.join(parts)})" if len(parts) > 1 else parts[0]


def age_group_sql(options: dict[str, Any] | None) -> str:
    """Age groups from ``breaks`` (default 0, 5, ..., 80): labels '0-4', ..., '80+'."""
    breaks = list((options or {}).get("breaks") or range(0, 85, 5))
    if sorted(breaks) != breaks or len(breaks) < 2:
        raise SpecError(Message("harmonize.age_group_breaks", breaks=str(breaks)),
                        hint=Message("harmonize.spec.example", example="breaks: [0, 15, 65]"))
    whens = [f"WHEN age >= {lo} AND age < {hi} THEN '{lo}-{hi - 1}'" for lo, hi in pairwise(breaks)]
    whens.append(f"WHEN age >= {breaks[-1]} THEN '{breaks[-1]}+'")
    return f"CASE {' '.join(whens)} END"
