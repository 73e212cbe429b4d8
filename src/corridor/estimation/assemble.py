"""Assembling the tidy result table from the parts of an estimation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from corridor.engine.columns import arrow_array

# columns of numbers: gathered as arrays, not as lists of Python floats converted back one by one
_NUMBERS = ("prob", "estimate", "se", "ci_low", "ci_high", "ci_level", "df", "cv", "deff", "sum_w", "n_cases")


def assemble(parts: list[dict[str, Any]], by: list[str], *, multiple: bool = False) -> pa.Table:
    cols: dict[str, list[Any]] = {b: [] for b in by}
    names = ["estimand", "variable", "level", "flag"]
    for n in names:
        cols[n] = []
    groupings: list[str] = []
    for part in parts:
        grouping = part["grouping"][0] if part.get("grouping") else tuple(by)
        for b in by:
            if b in grouping:
                i = grouping.index(b)
                cols[b] += [d[i] for d in part["domain"]]
            else:
                cols[b] += [None] * len(part["domain"])
        groupings += [",".join(grouping)] * len(part["domain"])
        for n in names:
            v = part[n]
            cols[n] += v.tolist() if isinstance(v, np.ndarray) else list(v)

    arrays: dict[str, pa.Array] = {}
    if multiple:
        arrays["grouping"] = arrow_array(groupings, pa.string())
    for b in by:
        arrays[b] = _key_array(cols[b])
    arrays["estimand"] = arrow_array(cols["estimand"], pa.string())
    arrays["variable"] = arrow_array(cols["variable"], pa.string())
    arrays["level"] = arrow_array([_level_text(v) for v in cols["level"]], pa.string())
    numbers = {n: _numbers(parts, n) for n in _NUMBERS}  # None and NaN are NaN, then null
    arrays["prob"] = arrow_array(numbers["prob"], pa.float64())
    for n in ("estimate", "se", "ci_low", "ci_high", "ci_level", "df", "cv", "deff", "sum_w"):
        arrays[n] = arrow_array(numbers[n], pa.float64())
    counts = [np.asarray(p["n"]).astype(np.int64) for p in parts]  # whole numbers (as int() of each)
    arrays["n"] = arrow_array(np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64), pa.int64())
    arrays["n_cases"] = arrow_array(numbers["n_cases"], pa.int64())
    arrays["flag"] = arrow_array(cols["flag"], pa.string())
    return pa.Table.from_arrays(list(arrays.values()), names=list(arrays))


def _numbers(parts: list[dict[str, Any]], name: str) -> np.ndarray:
    """Column ``name`` of every part as one float array, None as NaN."""
    return np.concatenate([np.asarray(p[name], dtype=float) for p in parts]) if parts else np.zeros(0)


def _key_array(values: list[Any]) -> pa.Array:
    """A domain column: whole numbers, numbers and text directly; anything else as pyarrow infers it."""
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int}:
        return arrow_array(values, pa.int64())
    if kinds <= {float, int}:
        return arrow_array(values, pa.float64())
    if kinds <= {str}:
        return arrow_array(values, pa.string())
    return pa.array(values)


def _level_text(value: Any) -> str | None:
    """Levels as text; integral numbers without a decimal point (a CSV reader may type codes as floats)."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(f)) if f.is_integer() and str(value).replace(".0", "").lstrip("-").isdigit() else str(value)
