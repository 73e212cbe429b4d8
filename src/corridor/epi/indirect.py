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


def isr(
    data: Any,
    count: str,
    population: str,
    age: str,
    by: Sequence[str] | str | None = None,
    *,
    reference: Any = None,
    reference_count: str = "count",
    reference_population: str = "population",
    reference_age: str | None = None,
    kind: str = "ratio",
    multiplier: float | None = None,
    confidence: float | Sequence[float] = 0.95,
    method: str = "auto",
    missing: str = "error",
    allow_count_above_population: bool = False,
) -> pd.DataFrame:
    """Indirectly standardised ratios (SMR) or rates with exact/Byar's limits.

    ``reference`` is a table of the reference population's counts and populations by age band
    (columns ``reference_age`` (default: ``age``), ``reference_count``, ``reference_population``);
    with ``reference=None`` those two columns are read from ``data`` itself, row by row.
    ``kind="ratio"`` (multiplier 1 by default; 100 for an SMR in percent) or ``"rate"``
    (the ratio times the reference crude rate; multiplier 100,000 by default).
    ``method`` for the observed count: ``"auto"`` (exact below 10, Byar's from 10), ``"exact"``,
    ``"byar"``. A zero population in a band is allowed (it adds nothing to the expected count).

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
    v.require_columns(df, [count, population, age] + by_list)
    keys = by_list + [age]
    x = v.check_counts(df, count, keys=keys, missing="zero" if missing == "zero" else "error")
    n = v.check_population(
        df, population, keys=keys, allow_zero=True, missing="keep" if missing == "zero" else "error"
    )
    n = np.nan_to_num(n)
    if not allow_count_above_population:
        v.check_not_above(x, n, df, count=count, population=population, keys=keys)
    if reference is None:
        v.require_columns(df, [reference_count, reference_population])
        ref_x = v.check_counts(
            df, reference_count, keys=keys, missing="zero" if missing == "zero" else "error"
        )
        ref_n = v.check_population(df, reference_population, keys=keys)
        ref_rate_rows = ref_x / ref_n
        ref_sums = group_sums(df, by_list, {"rx": ref_x, "rn": ref_n})
        ref_total_rate = (ref_sums["rx"] / ref_sums["rn"]).to_numpy(dtype=float)
    else:
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
    return long_by_confidence(out, per_level, {"method": names, "statistic": statistic})
