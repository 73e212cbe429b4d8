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
from corridor.i18n import Message


def _observed_totals(
    totals: Any, count: str, by: list[str], groups: pd.DataFrame, missing: str
) -> np.ndarray:
    """Observed counts per group from a separate table (PHE's ``observed_totals``)."""
    tab = v.as_frame(totals, where=v.OBSERVED_TOTALS)
    v.require_columns(tab, [count] + by, where=v.OBSERVED_TOTALS)
    if not by:
        if len(tab) != 1:
            raise InputError(Message("epi.totals_without_groups", rows=len(tab)),
                             hint=Message("epi.totals_without_groups.hint"))
        x = v.check_counts(tab, count, keys=[], where=v.OBSERVED_TOTALS, missing=missing)
        return x
    dup = tab.duplicated(by)
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputError(Message("epi.totals_group_twice", row=v.describe_row(tab, pos, by)),
                         hint=Message("epi.totals_group_twice.hint"))
    x = v.check_counts(tab, count, keys=by, where=v.OBSERVED_TOTALS, missing=missing)
    tab = tab[by].assign(_observed=x)
    keyed = groups[by].astype(object).merge(tab.astype({k: object for k in by}), on=by, how="left", indicator=True)
    lacking = np.flatnonzero((keyed["_merge"] == "left_only").to_numpy())
    if lacking.size:
        pos = int(lacking[0])
        raise InputError(Message("epi.group_without_total", group=v.describe_keys(groups, pos, by)),
                         hint=Message("epi.group_without_total.hint"))
    extra = tab.astype({k: object for k in by}).merge(groups[by].astype(object), on=by, how="left", indicator=True)
    orphan = np.flatnonzero((extra["_merge"] == "left_only").to_numpy())
    if orphan.size:
        pos = int(orphan[0])
        raise InputError(Message("epi.total_without_ages", row=v.describe_row(tab, pos, by)),
                         hint=Message("epi.total_without_ages.hint"))
    return keyed["_observed"].to_numpy(dtype=float)


def _reference_vector(values: Any, name: str, n_bands: int) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size != n_bands:
        raise InputError(Message("epi.reference_vector_length", name=name, numbers=int(arr.size), bands=int(n_bands)),
                         hint=Message("epi.reference_vector_length.hint", name=name))
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
        raise InputError(Message("epi.isr_kind", kind=kind), hint=Message("epi.isr_kind.hint"))
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
            raise InputError(Message("epi.reference_mixed"), hint=Message("epi.reference_mixed.hint"))
        labels = list(pd.unique(df[age]))
        rx = _reference_vector(reference_count, "reference_count", len(labels))
        rn = _reference_vector(reference_population, "reference_population", len(labels))
        if missing == "zero":
            rx = np.nan_to_num(rx)
        if np.isnan(rx).any() or (rx < 0).any() or np.isnan(rn).any() or (rn <= 0).any():
            raise InputError(Message("epi.reference_values"), hint=Message("epi.reference_values.hint"))
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
            raise InputError(Message("epi.reference_columns"), hint=Message("epi.reference_columns.hint"))
        ref = v.as_frame(reference, where=v.REFERENCE_TABLE)
        r_age = reference_age or age
        v.require_columns(ref, [r_age, reference_count, reference_population], where=v.REFERENCE_TABLE)
        rx = v.check_counts(
            ref,
            reference_count,
            keys=[r_age],
            where=v.REFERENCE_TABLE,
            missing="zero" if missing == "zero" else "error",
        )
        rn = v.check_population(ref, reference_population, keys=[r_age], where=v.REFERENCE_TABLE)
        labels = ref[r_age].astype(str).str.strip()
        if labels.duplicated().any():
            raise InputError(Message("epi.reference_band_twice", band=labels[labels.duplicated()].iloc[0]),
                             hint=Message("epi.reference_band_twice.hint"))
        rates = dict(zip(labels, rx / rn))
        data_labels = df[age].astype(str).str.strip()
        unknown = np.flatnonzero(~data_labels.isin(list(rates)).to_numpy())
        if unknown.size:
            pos = int(unknown[0])
            raise InputError(Message("epi.band_not_in_reference", band=v._plain(df[age].iloc[pos]),
                                     row=v.describe_row(df, pos, keys)),
                             hint=Message("epi.band_not_in_reference.hint", bands=", ".join(labels)))
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
