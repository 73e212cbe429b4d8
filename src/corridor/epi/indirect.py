"""Indirectly standardised ratios (SMR/ISR) and rates.

Observed ``O = sum x_i`` over expected ``E = sum n_i R_i / P_i`` from the reference
population's counts ``R_i`` and populations ``P_i`` by age band; the limits are the Poisson
limits of ``O`` (exact below 10, Byar's from 10, PHE's rule) divided by ``E``. The ISR as a rate
multiplies the ratio by the reference population's crude rate.

References: Breslow NE, Day NE (1987) *Statistical methods in cancer research* vol. II, IARC;
PHE/OHID ``PHEindicatormethods`` 2.1.0 (``calculate_ISRatio``, ``calculate_ISRate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from corridor.epi import _validate as v
from corridor.epi._groups import group_sums, long_by_confidence
from corridor.epi.intervals import poisson_limits
from corridor.errors import InputError


def _observed_totals(
    totals: Any, count: str, by: list[str], groups: pd.DataFrame, missing: str
) -> np.ndarray:
    """Observed counts per group from a separate table (PHE's ``observed_totals``)."""
    tab = v.as_frame(totals, where="the observed_totals table")
    v.require_columns(tab, [count] + by, where="the observed_totals table")
    if not by:
        if len(tab) != 1:
            raise InputError(
                f"the observed_totals table has {len(tab)} rows but there are no groups (by)",
                hint="give one row with the total count, or name the group columns in by",
            )
        x = v.check_counts(tab, count, keys=[], where="the observed_totals table", missing=missing)
        return x
    dup = tab.duplicated(by)
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(
            f"the observed_totals table has the group {v.describe_row(tab, pos, by)} twice",
            hint="give one total per group",
        )
    x = v.check_counts(tab, count, keys=by, where="the observed_totals table", missing=missing)
    tab = tab[by].assign(_observed=x)
    keyed = groups[by].astype(object).merge(tab.astype({k: object for k in by}), on=by, how="left", indicator=True)
    lacking = np.flatnonzero((keyed["_merge"] == "left_only").to_numpy())
    if lacking.size:
        pos = int(lacking[0])
        raise InputError(
            f"group {v.describe_row(groups, pos, by).split(' ', 2)[-1]} of the data has no row in the "
            "observed_totals table",
            hint="give the observed total of every group (0 if there were no events)",
        )
    extra = tab.astype({k: object for k in by}).merge(groups[by].astype(object), on=by, how="left", indicator=True)
    orphan = np.flatnonzero((extra["_merge"] == "left_only").to_numpy())
    if orphan.size:
        pos = int(orphan[0])
        raise InputError(
            f"the observed_totals table's {v.describe_row(tab, pos, by)} has no age rows in the data",
            hint="each total needs the group's populations by age band in the data; check the group labels",
        )
    return keyed["_observed"].to_numpy(dtype=float)


def _reference_vector(values: Any, name: str, n_bands: int) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size != n_bands:
        raise InputError(
            f"{name} has {arr.size} numbers but the data have {n_bands} age bands",
            hint=f"give one {name} per age band, youngest first (or a reference table by age band)",
        )
    return arr


def isr(
    data: Any,
    count: str,
    population: str,
    age: str,
    by: Sequence[str] | str | None = None,
    *,
    reference: Any = None,
    reference_count: str | Sequence[float] = "count",
    reference_population: str | Sequence[float] = "population",
    reference_age: str | None = None,
    observed_totals: Any = None,
    kind: str = "ratio",
    multiplier: float | None = None,
    confidence: float | Sequence[float] = 0.95,
    method: str = "auto",
    missing: str = "error",
    allow_count_above_population: bool = False,
    layout: str = "long",
) -> pd.DataFrame:
    """Indirectly standardised ratios (SMR) or rates with exact/Byar's limits.

    ``reference`` is a table of the reference population's counts and populations by age band
    (columns ``reference_age`` (default: ``age``), ``reference_count``, ``reference_population``);
    with ``reference=None`` those two columns are read from ``data`` itself, row by row, or
    ``reference_count``/``reference_population`` are plain numbers (PHE's ``refpoptype =
    "vector"``): one per age band of the data, youngest band first.
    ``observed_totals``: a table of observed counts per group (the ``by`` columns and
    ``count``), for when counts are known per group but not per age band (PHE's
    ``observed_totals``); ``data`` then needs no ``count`` column. Every group needs a total.
    ``kind="ratio"`` (multiplier 1 by default; 100 for an SMR in percent) or ``"rate"``
    (the ratio times the reference crude rate; multiplier 100,000 by default).
    ``method`` for the observed count: ``"auto"`` (exact below 10, Byar's from 10), ``"exact"``,
    ``"byar"``, ``"byar-epitools"``. A zero population in a band is allowed (it adds nothing to
    the expected count). ``missing="zero"``: missing counts, populations and reference counts
    count as 0, as PHE does. ``layout="wide"``: one row per group (``lower95_0cl``...).

    Returns group columns, ``count`` (observed), ``expected``, ``population``, ``value``,
    ``lowercl``, ``uppercl``, ``confidence``, ``method``, ``statistic`` (and ``reference_rate``
    for rates).
    """
    if kind not in ("ratio", "rate"):
        raise InputError(f"unknown ISR kind {kind!r}", hint="use 'ratio' or 'rate'")
    if multiplier is None:
        multiplier = 1 if kind == "ratio" else 100_000
    df = v.as_frame(data)
    by_list = v.as_list(by)
    v.require_columns(df, [population, age] + by_list + ([] if observed_totals is not None else [count]))
    keys = by_list + [age]
    if observed_totals is not None:
        x = np.zeros(len(df))  # observed counts come per group, below
    else:
        x = v.check_counts(df, count, keys=keys, missing="zero" if missing == "zero" else "error")
    n = v.check_population(
        df, population, keys=keys, allow_zero=True, missing="keep" if missing == "zero" else "error"
    )
    if not allow_count_above_population and observed_totals is None:
        # a population missing under missing="zero" is unknown, not a population of 0 below its count
        v.check_not_above(x, n, df, count=count, population=population, keys=keys)
    n = np.nan_to_num(n)
    vector_ref = reference is None and not isinstance(reference_count, str)
    if vector_ref:
        from corridor.epi.standardize import vector_weights

        if isinstance(reference_population, str):
            raise InputError(
                "reference_count is a list of numbers but reference_population is a column name",
                hint="give both as numbers (one per age band) or both as column names",
            )
        labels = list(pd.unique(df[age]))
        rx = _reference_vector(reference_count, "reference_count", len(labels))
        rn = _reference_vector(reference_population, "reference_population", len(labels))
        if missing == "zero":
            rx = np.nan_to_num(rx)
        if np.isnan(rx).any() or (rx < 0).any() or np.isnan(rn).any() or (rn <= 0).any():
            raise InputError(
                "the reference counts must be numbers of 0 or more and the reference populations above 0",
                hint="check the reference vectors (missing='zero' counts a missing reference count as 0)",
            )
        rate_of = vector_weights(labels, rx / rn)
        ref_rate_rows = df[age].map(rate_of).to_numpy(dtype=float)
        ref_total_rate = float(rx.sum() / rn.sum())
    elif reference is None:
        assert isinstance(reference_count, str) and isinstance(reference_population, str)
        v.require_columns(df, [reference_count, reference_population])
        ref_x = v.check_counts(
            df, reference_count, keys=keys, missing="zero" if missing == "zero" else "error"
        )
        ref_n = v.check_population(df, reference_population, keys=keys)
        ref_rate_rows = ref_x / ref_n
        ref_sums = group_sums(df, by_list, {"rx": ref_x, "rn": ref_n})
        ref_total_rate = (ref_sums["rx"] / ref_sums["rn"]).to_numpy(dtype=float)
    else:
        if not (isinstance(reference_count, str) and isinstance(reference_population, str)):
            raise InputError(
                "with a reference table, reference_count and reference_population are its column names",
                hint="pass the numbers as reference_count=/reference_population= without reference=, or name the columns",
            )
        ref = v.as_frame(reference, where="the reference table")
        r_age = reference_age or age
        v.require_columns(ref, [r_age, reference_count, reference_population], where="the reference table")
        rx = v.check_counts(
            ref,
            reference_count,
            keys=[r_age],
            where="the reference table",
            missing="zero" if missing == "zero" else "error",
        )
        rn = v.check_population(ref, reference_population, keys=[r_age], where="the reference table")
        labels = ref[r_age].astype(str).str.strip()
        if labels.duplicated().any():
            raise InputError(
                f"the reference table has age band {labels[labels.duplicated()].iloc[0]!r} twice",
                hint="give one reference row per age band",
            )
        rates = dict(zip(labels, rx / rn))
        data_labels = df[age].astype(str).str.strip()
        unknown = np.flatnonzero(~data_labels.isin(list(rates)).to_numpy())
        if unknown.size:
            pos = int(unknown[0])
            raise InputError(
                f"age band {df[age].iloc[pos]!r} of the data is not in the reference table, at "
                f"{v.describe_row(df, pos, keys)}",
                hint=f"the reference bands are {', '.join(labels)}",
            )
        ref_rate_rows = data_labels.map(rates).to_numpy(dtype=float)
        ref_total_rate = float(rx.sum() / rn.sum())
    expected = n * ref_rate_rows
    out = group_sums(df, by_list, {"count": x, "expected": expected, "population": n})
    if observed_totals is not None:
        out["count"] = _observed_totals(
            observed_totals, count, by_list, out, "zero" if missing == "zero" else "error"
        )
    obs = out["count"].to_numpy(dtype=float)
    exp_ = out["expected"].to_numpy(dtype=float)
    factor = multiplier * (ref_total_rate if kind == "rate" else 1.0)
    out["value"] = obs / exp_ * factor
    if kind == "rate":
        out.insert(out.columns.get_loc("value"), "reference_rate", ref_total_rate * multiplier)
    per_level = []
    names = None
    for level in v.confidence_levels(confidence):
        lo, hi, names = poisson_limits(obs, level, method)
        per_level.append((level, lo / exp_ * factor, hi / exp_ * factor))
    label = v.format_multiplier(multiplier)
    statistic = (
        f"indirectly standardised ratio x {label}"
        if kind == "ratio"
        else f"indirectly standardised rate per {label}"
    )
    return long_by_confidence(out, per_level, {"method": names, "statistic": statistic}, layout)
