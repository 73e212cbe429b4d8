"""Input checks shared by the rate functions: each failure names the offending row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from corridor.errors import ColumnNotFoundError, InputError, UnsupportedError

MISSING_POLICIES = ("error", "zero", "keep")


def as_frame(data: Any, *, where: str = "the data") -> pd.DataFrame:
    """Return ``data`` (pandas, pyarrow or polars table, or a dict of columns) as a pandas DataFrame."""
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "to_pandas"):  # pyarrow.Table, polars.DataFrame
        return data.to_pandas()
    if isinstance(data, dict):
        return pd.DataFrame(data)
    raise UnsupportedError(
        f"{where} is a {type(data).__name__}, not a table",
        hint="pass a pandas DataFrame, a pyarrow Table, a polars DataFrame or a dict of columns",
    )


def as_list(columns: Sequence[str] | str | None) -> list[str]:
    """Group columns as a list (``None`` -> no columns, a string -> one)."""
    if columns is None:
        return []
    return [columns] if isinstance(columns, str) else list(columns)


def require_columns(df: pd.DataFrame, columns: Sequence[str], *, where: str = "the data") -> None:
    """Raise :class:`ColumnNotFoundError` naming any of ``columns`` not in ``df``."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ColumnNotFoundError.from_names(missing, [str(c) for c in df.columns], where=where)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (for readable messages)."""
    return value.item() if isinstance(value, np.generic) else value


def describe_row(df: pd.DataFrame, position: int, keys: Sequence[str]) -> str:
    """``row 7 (area='A', age='25-29')``: 1-based position plus the row's key values."""
    label = f"row {position + 1}"
    shown = [k for k in keys if k in df.columns]
    if shown:
        values = ", ".join(f"{k}={_plain(df[k].iloc[position])!r}" for k in shown)
        label += f" ({values})"
    return label


def numeric_column(df: pd.DataFrame, column: str, *, keys: Sequence[str], where: str) -> np.ndarray:
    """The column as float64; raise naming the first value that is not a number."""
    values = pd.to_numeric(df[column], errors="coerce").to_numpy(dtype=float)
    original_missing = df[column].isna().to_numpy()
    bad = np.flatnonzero(np.isnan(values) & ~original_missing)
    if bad.size:
        pos = int(bad[0])
        raise InputError(
            f"column {column!r} of {where} has a value that is not a number, "
            f"{_plain(df[column].iloc[pos])!r}, at {describe_row(df, pos, keys)}",
            hint="counts and populations must be numbers; remove footnote marks and thousands separators",
        )
    return values


def check_counts(
    df: pd.DataFrame,
    column: str,
    *,
    keys: Sequence[str],
    missing: str = "error",
    where: str = "the data",
    integer: bool = True,
) -> np.ndarray:
    """Validate a count column: non-negative whole numbers; missing values per ``missing``.

    ``missing``: ``"error"`` (default), ``"zero"`` (a missing count is 0, as PHE's DSR and ISR
    functions treat it) or ``"keep"`` (the result for that row or group is missing).
    """
    if missing not in MISSING_POLICIES:
        raise InputError(f"unknown missing-value policy {missing!r}", hint="use 'error', 'zero' or 'keep'")
    x = numeric_column(df, column, keys=keys, where=where)
    na = np.isnan(x)
    if na.any():
        if missing == "error":
            pos = int(np.flatnonzero(na)[0])
            raise InputError(
                f"column {column!r} of {where} is missing at {describe_row(df, pos, keys)}",
                hint="fill the count (0 if there were no cases), or pass missing='zero' or 'keep'",
            )
        if missing == "zero":
            x = np.where(na, 0.0, x)
    negative = np.flatnonzero(x < 0)
    if negative.size:
        pos = int(negative[0])
        raise InputError(
            f"column {column!r} of {where} has a negative count {x[pos]:g} at {describe_row(df, pos, keys)}",
            hint="counts must be whole numbers of 0 or more",
        )
    if integer:
        fractional = np.flatnonzero(np.isfinite(x) & (x != np.round(x)))
        if fractional.size:
            pos = int(fractional[0])
            raise InputError(
                f"column {column!r} of {where} has a non-integer count {x[pos]:g} at "
                f"{describe_row(df, pos, keys)}",
                hint="counts must be whole numbers; weighted or estimated counts are not Poisson counts",
            )
    infinite = np.flatnonzero(np.isinf(x))
    if infinite.size:
        pos = int(infinite[0])
        raise InputError(
            f"column {column!r} of {where} is infinite at {describe_row(df, pos, keys)}",
            hint="counts must be finite whole numbers",
        )
    return x


def check_population(
    df: pd.DataFrame,
    column: str,
    *,
    keys: Sequence[str],
    missing: str = "error",
    where: str = "the data",
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
        raise InputError(
            f"column {column!r} of {where} is missing at {describe_row(df, pos, keys)}",
            hint=f"every count needs its {noun}; drop the row or fill the {noun}",
        )
    bad = (n < 0) | np.isinf(n) if allow_zero else (n <= 0) | np.isinf(n)
    bad_pos = np.flatnonzero(bad)
    if bad_pos.size:
        pos = int(bad_pos[0])
        what = "negative" if n[pos] < 0 else ("zero" if n[pos] == 0 else "infinite")
        raise InputError(
            f"column {column!r} of {where} has a {what} {noun} {n[pos]:g} at "
            f"{describe_row(df, pos, keys)}",
            hint=(
                "a rate needs a population greater than 0; drop empty cells or merge them with a neighbour"
                if noun == "population"
                else "a proportion needs a denominator greater than 0; drop the row (nothing was observed)"
            ),
        )
    return n


def check_not_above(
    x: np.ndarray,
    n: np.ndarray,
    df: pd.DataFrame,
    *,
    count: str,
    population: str,
    keys: Sequence[str],
    where: str = "the data",
    hint: str | None = None,
) -> None:
    """Raise if a count exceeds its population."""
    above = np.flatnonzero(np.nan_to_num(x) > np.nan_to_num(n, nan=np.inf))
    if above.size:
        pos = int(above[0])
        raise InputError(
            f"{where}: count {x[pos]:g} ({count!r}) is above its population {n[pos]:g} ({population!r}) "
            f"at {describe_row(df, pos, keys)}",
            hint=hint
            or "check that counts and populations refer to the same cells; for recurrent events or "
            "person-time denominators pass allow_count_above_population=True",
        )


def check_se(df: pd.DataFrame, column: str, *, keys: Sequence[str], where: str = "the data") -> np.ndarray:
    """Validate a standard-error column: finite and non-negative."""
    se = numeric_column(df, column, keys=keys, where=where)
    bad = np.flatnonzero(~np.isfinite(se) | (se < 0))
    if bad.size:
        pos = int(bad[0])
        raise InputError(
            f"column {column!r} of {where} has an invalid standard error {se[pos]:g} at "
            f"{describe_row(df, pos, keys)}",
            hint="standard errors must be finite numbers of 0 or more (0 for a fixed denominator)",
        )
    return se


def confidence_levels(confidence: float | Sequence[float]) -> list[float]:
    """One or more confidence levels as fractions."""
    from corridor.epi.intervals import normalise_confidence

    levels = [confidence] if np.isscalar(confidence) else list(confidence)  # type: ignore[arg-type]
    if not levels:
        raise InputError("no confidence level given", hint="give e.g. 0.95")
    return [normalise_confidence(c) for c in levels]


def format_multiplier(multiplier: float) -> str:
    """``100000`` -> ``"100000"``; ``1.0`` -> ``"1"`` (as in PHE's statistic labels)."""
    return f"{multiplier:.15g}" if multiplier < 1e15 else f"{multiplier:.0f}"
