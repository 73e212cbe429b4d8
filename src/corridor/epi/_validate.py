"""Input checks shared by the rate functions: each failure names the offending row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from corridor.errors import ColumnNotFoundError, InputError, Text, UnsupportedError
from corridor.i18n import Message

MISSING_POLICIES = ("error", "zero", "keep")
# where a value was read, named in messages in the reader's language
THE_DATA = Message("error.the_data")
COUNT_TABLE = Message("epi.where.count_table")
POPULATION_TABLE = Message("epi.where.population_table")
OBSERVED_TOTALS = Message("epi.where.observed_totals")
REFERENCE_TABLE = Message("epi.where.reference_table")


def as_frame(data: Any, *, where: Text = THE_DATA) -> pd.DataFrame:
    """Return ``data`` (pandas, pyarrow or polars table, or a dict of columns) as a pandas DataFrame."""
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "to_pandas"):  # pyarrow.Table, polars.DataFrame
        return data.to_pandas()
    if isinstance(data, dict):
        return pd.DataFrame(data)
    raise UnsupportedError(Message("epi.not_a_table", where=where, kind=type(data).__name__),
                           hint=Message("epi.not_a_table.hint"))


def as_list(columns: Sequence[str] | str | None) -> list[str]:
    """Group columns as a list (``None`` -> no columns, a string -> one)."""
    if columns is None:
        return []
    return [columns] if isinstance(columns, str) else list(columns)


def require_columns(df: pd.DataFrame, columns: Sequence[str], *, where: Text = THE_DATA) -> None:
    """Raise :class:`ColumnNotFoundError` naming any of ``columns`` not in ``df``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ColumnNotFoundError.from_names(missing, [str(c) for c in df.columns], where=where)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (for readable messages)."""
    return value.item() if isinstance(value, np.generic) else value


def describe_keys(df: pd.DataFrame, position: int, keys: Sequence[str]) -> str:
    """``area='A', age='25-29'``: the row's key values as code (empty without keys)."""
    return ", ".join(f"{k}={_plain(df[k].iloc[position])!r}" for k in keys if k in df.columns)


def describe_row(df: pd.DataFrame, position: int, keys: Sequence[str]) -> Message:
    """``row 7 (area='A', age='25-29')``: 1-based position plus the row's key values."""
    values = describe_keys(df, position, keys)
    if values:
        return Message("epi.row_keys", row=position + 1, values=values)
    return Message("epi.row", row=position + 1)


def numeric_column(df: pd.DataFrame, column: str, *, keys: Sequence[str], where: Text) -> np.ndarray:
    """The column as float64; raise naming the first value that is not a number."""
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
    original_missing = df[column].isna().to_numpy()
    bad = np.flatnonzero(np.isnan(values) & ~original_missing)
    if bad.size:
        pos = int(bad[0])
        raise InputError(Message("epi.not_a_number", column=column, where=where, value=_plain(df[column].iloc[pos]),
                                 row=describe_row(df, pos, keys)), hint=Message("epi.not_a_number.hint"))
    return values


def check_counts(
    df: pd.DataFrame,
    column: str,
    *,
    keys: Sequence[str],
    missing: str = "error",
    where: Text = THE_DATA,
    integer: bool = True,
) -> np.ndarray:
    """Validate a count column: non-negative whole numbers; missing values per ``missing``.

    ``missing``: ``"error"`` (default), ``"zero"`` (a missing count is 0, as PHE's DSR and ISR
    functions treat it) or ``"keep"`` (the result for that row or group is missing).
    """
    if missing not in MISSING_POLICIES:
        raise InputError(Message("epi.missing_policy", missing=missing), hint=Message("epi.missing_policy.hint"))
    x = numeric_column(df, column, keys=keys, where=where)
    na = np.isnan(x)
    if na.any():
        if missing == "error":
            pos = int(np.flatnonzero(na)[0])
            raise InputError(Message("epi.value_missing", column=column, where=where, row=describe_row(df, pos, keys)),
                             hint=Message("epi.count_missing.hint"))
        if missing == "zero":
            x = np.where(na, 0.0, x)
    negative = np.flatnonzero(x < 0)
    if negative.size:
        pos = int(negative[0])
        raise InputError(Message("epi.count_negative", column=column, where=where, value=float(x[pos]),
                                 row=describe_row(df, pos, keys)), hint=Message("epi.count_negative.hint"))
    if integer:
        fractional = np.flatnonzero(np.isfinite(x) & (x != np.round(x)))
        if fractional.size:
            pos = int(fractional[0])
            raise InputError(Message("epi.count_fractional", column=column, where=where, value=float(x[pos]),
                                     row=describe_row(df, pos, keys)), hint=Message("epi.count_fractional.hint"))
    infinite = np.flatnonzero(np.isinf(x))
    if infinite.size:
        pos = int(infinite[0])
        raise InputError(Message("epi.count_infinite", column=column, where=where, row=describe_row(df, pos, keys)),
                         hint=Message("epi.count_infinite.hint"))
    return x


def check_population(
    df: pd.DataFrame,
    column: str,
    *,
    keys: Sequence[str],
    missing: str = "error",
    where: Text = THE_DATA,
    allow_zero: bool = False,
    noun: str = "population",
) -> np.ndarray:
    """Validate a denominator column: finite and positive (or >= 0 with ``allow_zero``).

    ``noun`` names the column in messages: ``"population"`` (rates) or ``"denominator"``
    (proportions).
    """
    n = numeric_column(df, column, keys=keys, where=where)
    na = np.isnan(n)
    if na.any() and missing != "keep":
        pos = int(np.flatnonzero(na)[0])
        raise InputError(Message("epi.value_missing", column=column, where=where, row=describe_row(df, pos, keys)),
                         hint=Message(f"epi.{noun}_missing.hint"))
    bad = (n < 0) | np.isinf(n) if allow_zero else (n <= 0) | np.isinf(n)
    bad_pos = np.flatnonzero(bad)
    if bad_pos.size:
        pos = int(bad_pos[0])
        what = "negative" if n[pos] < 0 else ("zero" if n[pos] == 0 else "infinite")
        raise InputError(Message(f"epi.{noun}_{what}", column=column, where=where, value=float(n[pos]),
                                 row=describe_row(df, pos, keys)), hint=Message(f"epi.{noun}_not_positive.hint"))
    return n


def check_not_above(
    x: np.ndarray,
    n: np.ndarray,
    df: pd.DataFrame,
    *,
    count: str,
    population: str,
    keys: Sequence[str],
    where: Text = THE_DATA,
    hint: Text | None = None,
) -> None:
    """Raise if a count exceeds its population."""
    above = np.flatnonzero(np.nan_to_num(x) > np.nan_to_num(n, nan=np.inf))
    if above.size:
        pos = int(above[0])
        raise InputError(Message("epi.count_above_population", where=where, value=float(x[pos]), column=count,
                                 population=float(n[pos]), population_column=population, row=describe_row(df, pos, keys)),
                         hint=hint or Message("epi.count_above_population.hint"))


def check_se(df: pd.DataFrame, column: str, *, keys: Sequence[str], where: Text = THE_DATA) -> np.ndarray:
    """Validate a standard-error column: finite and non-negative."""
    se = numeric_column(df, column, keys=keys, where=where)
    bad = np.flatnonzero(~np.isfinite(se) | (se < 0))
    if bad.size:
        pos = int(bad[0])
        raise InputError(Message("epi.se_invalid", column=column, where=where, value=float(se[pos]),
                                 row=describe_row(df, pos, keys)), hint=Message("epi.se_invalid.hint"))
    return se


def confidence_levels(confidence: float | Sequence[float]) -> list[float]:
    """One or more confidence levels as fractions."""
    from corridor.epi.intervals import normalise_confidence

    levels = [confidence] if np.isscalar(confidence) else list(confidence)  # type: ignore[arg-type]
    if not levels:
        raise InputError(Message("epi.no_confidence"), hint=Message("epi.no_confidence.hint"))
    return [normalise_confidence(c) for c in levels]


def format_multiplier(multiplier: float) -> str:
    """``100000`` -> ``"100000"``; ``1.0`` -> ``"1"`` (as in PHE's statistic labels)."""
    return f"{multiplier:.15g}" if multiplier < 1e15 else f"{multiplier:.0f}"
