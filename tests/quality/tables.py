"""Build small estimate tables in the engine's tidy layout for the tests."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

COLUMNS = (
    "estimand",
    "variable",
    "level",
    "estimate",
    "se",
    "cv",
    "n",
    "df",
    "deff",
    "unweighted",
    "log_cv",
    "sum_w",
)
_TEXT = {"estimand", "variable", "level"}


def table(*rows: dict[str, Any], **common: Any) -> pa.Table:
    """One row per dict; ``common`` fills keys a row leaves out; cv defaults to se / estimate.

    Columns other than the engine's (e.g. ``region``) come first, as the
    engine puts its by-columns before ``estimand``.
    """
    full = []
    for row in rows:
        r = {"estimand": "mean", "variable": "y", "level": None, **common, **row}
        if "cv" not in r and r.get("se") is not None and r.get("estimate"):
            r["cv"] = r["se"] / r["estimate"]
        full.append(r)
    present = {k for r in full for k in r}
    names = [k for k in dict.fromkeys(k for r in full for k in r) if k not in COLUMNS]
    names += [c for c in COLUMNS if c in present]
    return pa.table(
        {
            c: pa.array(
                [r.get(c) for r in full],
                pa.string() if c in _TEXT else pa.float64() if c in COLUMNS else None,
            )
            for c in names
        }
    )
