"""Grouped sums and tidy output assembly shared by the rate functions.

Groups are found once by factorising each key column and combining the codes; sums are then
``numpy.bincount`` calls, which is several times faster than repeated pandas groupbys on
tables of millions of cells and propagates missing values (a NaN makes its group's sum NaN).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

KeyCodes = dict[str, tuple[np.ndarray, int]]


def key_codes(df: pd.DataFrame, keys: Sequence[str]) -> KeyCodes:
    """Sorted integer codes of each key column (missing values form their own group)."""
    out: KeyCodes = {}
    for k in keys:
        codes, uniques = pd.factorize(df[k], sort=True, use_na_sentinel=False)
        dtype = np.int32 if len(uniques) < 2**31 else np.int64
        out[k] = (np.asarray(codes, dtype=dtype), len(uniques))
    return out


@dataclass
class Grouping:
    """Group membership of each row: ``ids`` in ``0..n-1`` (sorted by the keys), ``first`` row of each."""

    ids: np.ndarray
    n: int
    first: np.ndarray

    @classmethod
    def of(cls, codes: Sequence[tuple[np.ndarray, int]], rows: int) -> Grouping:
        combined = np.zeros(rows, dtype=np.int64)
        span = 1
        for c, size in codes:
            if span * max(size, 1) >= 2**62:
                combined, uniques = pd.factorize(combined, sort=True)
                span = len(uniques)
            combined = combined * max(size, 1) + c
            span *= max(size, 1)
        if span <= max(4 * rows, 1 << 20):  # dense codes: a lookup table beats hashing
            present = np.bincount(combined, minlength=span) > 0
            lookup = np.cumsum(present) - 1
            ids = lookup[combined]
            n = int(present.sum())
        else:
            ids, uniques = pd.factorize(combined, sort=True)
            ids = np.asarray(ids, dtype=np.int64)
            n = len(uniques)
        first = np.empty(n, dtype=np.int64)
        first[ids[::-1]] = np.arange(rows - 1, -1, -1)
        return cls(ids, n, first)

    def sum(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.ids, weights=values, minlength=self.n)

    def sizes(self) -> np.ndarray:
        return np.bincount(self.ids, minlength=self.n)


def group_sums(
    df: pd.DataFrame,
    by: Sequence[str],
    values: Mapping[str, np.ndarray],
    *,
    propagate_nan: bool = True,
    codes: KeyCodes | None = None,
    grouping: Grouping | None = None,
    with_rows: bool = False,
) -> pd.DataFrame:
    """Sum ``values`` within the groups of ``by`` (sorted by the keys); one row, the total, if no ``by``.

    ``codes`` may hold precomputed :func:`key_codes` of ``df`` and ``grouping`` the precomputed
    groups of ``by``; ``with_rows`` adds ``_rows``, the number of rows summed.
    """
    if not propagate_nan:
        values = {k: np.nan_to_num(np.asarray(v, dtype=float)) for k, v in values.items()}
    if not by:
        out = pd.DataFrame({k: [float(np.sum(v))] for k, v in values.items()})
        if with_rows:
            out["_rows"] = len(df)
        return out
    if grouping is None:
        codes = codes or key_codes(df, by)
        grouping = Grouping.of([codes[k] for k in by], len(df))
    out = df[list(by)].iloc[grouping.first].reset_index(drop=True)
    for k, v in values.items():
        out[k] = grouping.sum(np.asarray(v, dtype=float))
    if with_rows:
        out["_rows"] = grouping.sizes()
    return out


LAYOUTS = ("long", "wide")


def level_tag(level: float) -> str:
    """``0.95`` -> ``"95_0"``, ``0.998`` -> ``"99_8"``: the level in PHE's wide column names."""
    text = f"{level * 100:.10g}"
    return (text if "." in text else text + ".0").replace(".", "_")


def long_by_confidence(
    base: pd.DataFrame,
    per_level: Sequence[tuple[float, np.ndarray, np.ndarray]],
    tail: Mapping[str, object],
    layout: str = "long",
) -> pd.DataFrame:
    """Stack one copy of ``base`` per confidence level with its ``lowercl``/``uppercl``.

    ``tail`` holds the trailing columns (``method``, ``statistic``...), scalars or arrays.
    ``layout="wide"`` gives one row per group instead, with ``lower95_0cl``, ``upper95_0cl``,
    ``lower99_8cl``... per level (PHEindicatormethods' names) and ``confidence`` as text
    (``"95%, 99.8%"``).
    """
    if layout not in LAYOUTS:
        from corridor.errors import InputError
        from corridor.i18n import Message

        raise InputError(Message("epi.layout", layout=layout), hint=Message("epi.layout.hint"))
    frames = []
    if layout == "wide":
        out = base.copy()
        for level, lower, upper in per_level:
            out[f"lower{level_tag(level)}cl"] = lower
            out[f"upper{level_tag(level)}cl"] = upper
        out["confidence"] = ", ".join(f"{level * 100:.10g}%" for level, _, _ in per_level)
        for k, v in tail.items():
            out[k] = v
        frames.append(out)
    for level, lower, upper in per_level if layout == "long" else ():
        out = base.copy()
        out["lowercl"] = lower
        out["uppercl"] = upper
        out["confidence"] = level
        for k, v in tail.items():
            out[k] = v
        frames.append(out)
    out = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    for col in ("count", "reference_count", "population", "denominator"):
        if col in out.columns and pd.api.types.is_float_dtype(out[col]):
            values = out[col].to_numpy()
            finite = values[np.isfinite(values)]
            if np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 2**53):
                out[col] = out[col].astype("Int64")
    return out
