"""Crude rates (exact or Byar's Poisson limits) and proportions (Wilson score limits).

Both follow PHE/OHID's ``PHEindicatormethods`` 2.1.0 (``calculate_rate``,
``calculate_proportion``): the exact Poisson limits (Garwood 1936) for counts
below 10 and Byar's approximation (Breslow & Day 1987) from 10 up; Wilson score
limits (Wilson 1927; Newcombe & Altman 2000) for proportions. A rate can carry
the standard error of a survey-estimated denominator (see
:mod:`corridor.epi.denominators`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from corridor.epi import _validate as v
from corridor.epi._groups import group_sums, long_by_confidence
from corridor.epi.denominators import log_cv, widen_log_interval
from corridor.epi.intervals import poisson_limits, wilson_lower, wilson_upper, z_value
from corridor.i18n import Message


def _keys(df: pd.DataFrame, by: Sequence[str] | None, used: Sequence[str]) -> list[str]:
    if by is None:
        return [c for c in df.columns if c not in used]
    return [by] if isinstance(by, str) else list(by)


def crude_rate(
    data: Any,
    count: str,
    population: str,
    by: Sequence[str] | str | None = None,
    *,
    multiplier: float = 100_000,
    confidence: float | Sequence[float] = 0.95,
    method: str = "auto",
    population_se: str | None = None,
    missing: str = "error",
    allow_count_above_population: bool = False,
    layout: str = "long",
) -> pd.DataFrame:
    """Crude rates ``count / population * multiplier`` with Poisson confidence limits.

    Parameters
    ----------
    data : table (pandas, pyarrow, polars) of aggregate counts.
    count, population : column names of the event counts and the populations at risk.
    by : group columns; rows of a group are summed (cells must be disjoint). ``None`` (default)
        gives one rate per row, keeping every other column as an identifier; ``[]`` one total.
    multiplier : rate per this many (100,000 by default).
    confidence : a level or several (fractions or percentages); one output row per level.
    method : ``"auto"`` exact limits below 10 events, Byar's from 10 (PHE's rule); ``"exact"``;
        ``"byar"`` (PHE: ``x`` in the lower limit, ``x + 1`` in the upper); ``"byar-epitools"``
        (``x + 0.5`` in both, as ``epitools::pois.byar``; a lower limit of 0 at ``x = 0``).
    population_se : column with the standard error of a survey-estimated population (summed in
        quadrature within a group). The interval is widened on the log scale (delta method,
        MOVER); a standard error of 0 leaves the classical interval unchanged.
    missing : ``"error"`` (default), ``"keep"`` (missing count or population gives a missing rate,
        PHE's behaviour) or ``"zero"`` (a missing count is 0).
    allow_count_above_population : allow counts above the population (recurrent events,
        person-time denominators); by default that is an error.
    layout : ``"long"`` (default; one row per group and confidence level, ``lowercl``,
        ``uppercl``) or ``"wide"`` (one row per group; ``lower95_0cl``, ``upper95_0cl``,
        ``lower99_8cl``... as PHEindicatormethods names them).

    Returns a DataFrame: group columns, ``count``, ``population`` (and ``population_se``),
    ``value``, ``lowercl``, ``uppercl``, ``confidence``, ``method``, ``statistic``.
    """
    df = v.as_frame(data)
    used = [count, population] + ([population_se] if population_se else [])
    v.require_columns(df, used + ([] if by is None else _keys(df, by, used)))
    keys = _keys(df, by, used)
    x = v.check_counts(df, count, keys=keys, missing=missing)
    n = v.check_population(df, population, keys=keys, missing=missing)
    if not allow_count_above_population:
        v.check_not_above(x, n, df, count=count, population=population, keys=keys)
    values = {"count": x, "population": n}
    if population_se:
        values["population_var"] = v.check_se(df, population_se, keys=keys) ** 2
    if by is None:
        base = df[keys].reset_index(drop=True)
        for k, arr in values.items():
            base[k] = arr
    else:
        base = group_sums(df, keys, values)
    xs = base["count"].to_numpy(dtype=float)
    ns = base["population"].to_numpy(dtype=float)
    cv = None
    if population_se:
        se = np.sqrt(base.pop("population_var").to_numpy(dtype=float))
        base["population_se"] = se
        cv = log_cv(ns, se)
    value = xs / ns * multiplier
    base["value"] = value
    per_level = []
    method_names = None
    for level in v.confidence_levels(confidence):
        lo, hi, method_names = poisson_limits(xs, level, method)
        lower, upper = lo / ns * multiplier, hi / ns * multiplier
        if cv is not None:
            lower, upper = widen_log_interval(value, lower, upper, cv, z_value(level))
        missing_row = np.isnan(xs) | np.isnan(ns)
        lower = np.where(missing_row, np.nan, lower)
        upper = np.where(missing_row, np.nan, upper)
        per_level.append((level, lower, upper))
    names = np.where(np.isnan(xs), None, method_names).astype(object)
    if cv is not None:
        names = np.where(cv > 0, [f"{m}, denominator SE (delta method, log scale)" for m in names], names)
    statistic = f"rate per {v.format_multiplier(multiplier)}"
    return long_by_confidence(base, per_level, {"method": names, "statistic": statistic}, layout)


def proportion(
    data: Any,
    count: str,
    denominator: str,
    by: Sequence[str] | str | None = None,
    *,
    multiplier: float = 1,
    confidence: float | Sequence[float] = 0.95,
    missing: str = "error",
    layout: str = "long",
) -> pd.DataFrame:
    """Proportions ``count / denominator * multiplier`` with Wilson score limits.

    ``multiplier=100`` gives percentages. Counts may not exceed their denominator; a zero or
    missing denominator is an error naming the row ("zero denominator").
    Other parameters and the returned columns are as in :func:`crude_rate`.
    Reference: Wilson EB (1927) *JASA* 22:209-212; PHE ``calculate_proportion``.
    """
    df = v.as_frame(data)
    used = [count, denominator]
    v.require_columns(df, used + ([] if by is None else _keys(df, by, used)))
    keys = _keys(df, by, used)
    x = v.check_counts(df, count, keys=keys, missing=missing)
    n = v.check_population(df, denominator, keys=keys, missing=missing, noun="denominator")
    v.check_not_above(
        x,
        n,
        df,
        count=count,
        population=denominator,
        keys=keys,
        hint=Message("epi.numerator_above_denominator.hint"),
    )
    values = {"count": x, "population": n}
    if by is None:
        base = df[keys].reset_index(drop=True)
        for k, arr in values.items():
            base[k] = arr
    else:
        base = group_sums(df, keys, values)
    base = base.rename(columns={"population": "denominator"})
    xs = base["count"].to_numpy(dtype=float)
    ns = base["denominator"].to_numpy(dtype=float)
    base["value"] = xs / ns * multiplier
    per_level = [
        (level, wilson_lower(xs, ns, level) * multiplier, wilson_upper(xs, ns, level) * multiplier)
        for level in v.confidence_levels(confidence)
    ]
    statistic = "percentage" if multiplier == 100 else f"proportion of {v.format_multiplier(multiplier)}"
    return long_by_confidence(base, per_level, {"method": "Wilson", "statistic": statistic}, layout)
