"""IATI 2.03 codelists and org-id.guide identifier prefixes (``reference/``, see PROVENANCE.md there)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

REFERENCE = Path(__file__).resolve().parent / "reference"
ACTIVITY_STATUS = {"pipeline": "1", "implementation": "2", "finalisation": "3", "completion": "3", "closed": "4",
                   "post-completion": "4", "cancelled": "5", "suspended": "6"}
TRANSACTION_TYPE = {"incoming_funds": "1", "outgoing_commitment": "2", "disbursement": "3", "expenditure": "4"}


@cache
def codelists() -> dict[str, dict[str, dict[str, str]]]:
    """``{list: {code: {"en": name, "fr": name}}}``."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    with (REFERENCE / "iati_codelists.csv").open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            out.setdefault(r["list"], {})[r["code"]] = {k: r[f"name_{k}"] for k in ("en", "fr") if r[f"name_{k}"]}
    return out


def known(codelist: str, code: str) -> bool:
    return code in codelists().get(codelist, {})


def name(codelist: str, code: str, lang: str = "en") -> str:
    names = codelists().get(codelist, {}).get(code, {})
    return names.get(lang) or names.get("en") or code


@cache
def org_id_prefixes() -> frozenset[str]:
    """The list codes of org-id.guide (``XM-DAC``, ``CL-RUT``, ...), deprecated ones included."""
    with (REFERENCE / "org_id_prefixes.csv").open(encoding="utf-8", newline="") as fh:
        return frozenset(r["code"] for r in csv.DictReader(fh))


def org_id_prefix(identifier: str) -> str | None:
    """The org-id.guide list code an organisation identifier starts with (None if none does)."""
    parts = identifier.split("-")
    for n in range(len(parts) - 1, 0, -1):
        prefix = "-".join(parts[:n])
        if prefix in org_id_prefixes():
            return prefix
    return None
