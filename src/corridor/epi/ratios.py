"""Rate ratios between population groups (e.g. migrants vs natives), crude or age-standardised.

Crude rate ratio ``RR = (a / P_a) / (b / P_b)``:

* ``method="exact"`` (default): conditional on ``a + b``, ``a`` is binomial with
  ``pi = RR P_a / (RR P_a + P_b)``; Clopper-Pearson limits for ``pi`` are mapped back to
  ``RR`` (Breslow & Day 1987, vol. II, sec. 2.2; Rothman, Greenland & Lash,
  *Modern Epidemiology*, 3rd ed., ch. 14).
* ``method="wald"``: ``log RR +/- z sqrt(1/a + 1/b)``.

Ratio of directly standardised rates: ``log(DSR_1 / DSR_2) +/- z sqrt(V_1/DSR_1^2 + V_2/DSR_2^2)``
with ``V`` the Dobson (1991) variance of each DSR (delta method on the log ratio;
Breslow & Day 1987, vol. II, sec. 2.3). No ratio when either DSR is suppressed by the
small-count rule.

Survey-estimated denominators (``population_se``) widen every interval on the log scale by
``z sqrt(cv_1^2 + cv_2^2)`` (delta method, MOVER; see :mod:`corridor.epi.denominators`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from corridor.epi import _validate as v
from corridor.epi._groups import group_sums, long_by_confidence
from corridor.epi.denominators import log_cv, widen_log_interval
from corridor.epi.intervals import normalise_confidence, z_value
from corridor.epi.standardize import DSR_MIN_COUNT, StandardSpec, dsr_components
from corridor.errors import InputError
from corridor.i18n import Message


def exact_rate_ratio_limits(
    a: np.ndarray, b: np.ndarray, pa: np.ndarray, pb: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Conditional (binomial, Clopper-Pearson) limits of the rate ratio ``(a/pa)/(b/pb)``."""
    alpha = 1 - normalise_confidence(confidence)
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pi_lo = np.where(a > 0, stats.beta.ppf(alpha / 2, a, b + 1), 0.0)
        pi_hi = np.where(b > 0, stats.beta.ppf(1 - alpha / 2, a + 1, b), 1.0)
        scale = np.asarray(pb, dtype=float) / np.asarray(pa, dtype=float)
        lower = pi_lo / (1 - pi_lo) * scale
        upper = np.where(pi_hi < 1, pi_hi / (1 - pi_hi) * scale, np.inf)
    none = (a + b) == 0
    return np.where(none, np.nan, lower), np.where(none, np.nan, upper)


def _pair(
    table: pd.DataFrame,
    by: list[str],
    compare: str,
    numerators: list[object],
    reference: object,
    value_cols: list[str],
) -> pd.DataFrame:
    ref = table[table[compare] == reference]
    if ref.empty:
        raise InputError(Message("epi.reference_group_absent", reference=reference, column=compare),
                         hint=Message("epi.groups_are.hint", groups=", ".join(repr(g) for g in pd.unique(table[compare]))))
    num = table[table[compare].isin(numerators)]
    ref = ref[by + value_cols].rename(columns={c: f"ref_{c}" for c in value_cols})
    merged = num.merge(ref, on=by, how="left") if by else num.merge(ref, how="cross")
    lacking = merged[f"ref_{value_cols[0]}"].isna() & merged[value_cols[0]].notna()
    if lacking.any():
        row = merged[lacking].iloc[0]
        where = ", ".join(f"{k}={row[k]!r}" for k in by)
        raise InputError(Message("epi.no_reference_for", reference=reference, keys=where),
                         hint=Message("epi.no_reference_for.hint"))
    return merged


def rate_ratio(
    data: Any,
    count: str,
    population: str,
    compare: str,
    reference: object,
    numerator: object | Sequence[object] | None = None,
    by: Sequence[str] | str | None = None,
    *,
    age: str | None = None,
    standard: StandardSpec = "esp2013",
    standard_column: str | None = None,
    confidence: float | Sequence[float] = 0.95,
    method: str = "exact",
    min_count: int = DSR_MIN_COUNT,
    population_se: str | None = None,
    multiplier: float = 100_000,
    missing: str = "error",
    allow_count_above_population: bool = False,
    layout: str = "long",
) -> pd.DataFrame:
    """Rate ratios of groups in column ``compare`` against the ``reference`` group.

    ``numerator``: the group(s) compared (default: every group except the reference).
    ``by``: strata for separate ratios (e.g. disease, year). Without ``age`` the ratio is of
    crude rates (``method`` ``"exact"`` or ``"wald"``); with ``age`` it is the ratio of directly
    standardised rates against ``standard`` (log-normal interval from Dobson variances).

    Returns ``by`` columns, ``group`` (the compared group), ``reference``, ``count``,
    ``reference_count``, ``rate``, ``reference_rate`` (per ``multiplier``), ``value`` (the ratio),
    ``lowercl``, ``uppercl``, ``confidence``, ``method``, ``statistic`` (``layout="wide"``: one
    row per pair, ``lower95_0cl``... as in :func:`corridor.epi.crude_rate`).
    """
    df = v.as_frame(data)
    by_list = v.as_list(by)
    v.require_columns(df, [count, population, compare] + by_list + ([age] if age else []))
    if numerator is None:
        numerators = [g for g in pd.unique(df[compare]) if g != reference]
    elif isinstance(numerator, (str, int, float)) or not isinstance(numerator, Sequence):
        numerators = [numerator]
    else:
        numerators = list(numerator)
    if reference in numerators:
        raise InputError(Message("epi.both_compared", group=reference), hint=Message("epi.both_compared.hint"))
    if method not in ("exact", "wald"):
        raise InputError(Message("epi.ratio_method", method=method), hint=Message("epi.ratio_method.hint"))
    groups = by_list + [compare]
    if age is None:
        keys = groups
        x = v.check_counts(df, count, keys=keys, missing="zero" if missing == "zero" else "error")
        n = v.check_population(df, population, keys=keys)
        if not allow_count_above_population:
            v.check_not_above(x, n, df, count=count, population=population, keys=keys)
        values = {"count": x, "population": n}
        if population_se:
            values["var_n"] = v.check_se(df, population_se, keys=keys) ** 2
        table = group_sums(df, groups, values)
        table["rate"] = table["count"] / table["population"]
        table["log_se_den"] = (
            log_cv(table["population"], np.sqrt(table.pop("var_n"))) if population_se else 0.0
        )
        table["var"] = np.nan
    else:
        table = dsr_components(
            df,
            count,
            population,
            age,
            groups,
            standard=standard,
            standard_column=standard_column,
            population_se=population_se,
            missing=missing,
            allow_count_above_population=allow_count_above_population,
        )
        table["rate"] = np.where(table["count"] < min_count, np.nan, table["dsr"])
    cols = ["count", "population", "rate", "var", "log_se_den"]
    pairs = _pair(table, by_list, compare, numerators, reference, cols)
    a, b = pairs["count"].to_numpy(float), pairs["ref_count"].to_numpy(float)
    pa, pb = pairs["population"].to_numpy(float), pairs["ref_population"].to_numpy(float)
    r1, r2 = pairs["rate"].to_numpy(float), pairs["ref_rate"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = r1 / r2
    extra = np.sqrt(pairs["log_se_den"].to_numpy(float) ** 2 + pairs["ref_log_se_den"].to_numpy(float) ** 2)
    base = pairs[by_list].copy()
    base["group"] = pairs[compare].to_numpy()
    base["reference"] = reference
    base["count"] = a
    base["reference_count"] = b
    base["rate"] = r1 * multiplier
    base["reference_rate"] = r2 * multiplier
    base["value"] = ratio
    per_level = []
    for level in v.confidence_levels(confidence):
        z = z_value(level)
        if age is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                se = np.sqrt(pairs["var"].to_numpy(float) / r1**2 + pairs["ref_var"].to_numpy(float) / r2**2)
                lower, upper = ratio * np.exp(-z * se), ratio * np.exp(z * se)
        elif method == "exact":
            lower, upper = exact_rate_ratio_limits(a, b, pa, pb, level)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                se = np.sqrt(1 / a + 1 / b)
                lower, upper = ratio * np.exp(-z * se), ratio * np.exp(z * se)
        lower, upper = widen_log_interval(ratio, lower, upper, extra, z)
        per_level.append((level, lower, upper))
    if age is not None:
        name, statistic = "log-normal (Dobson variances)", "ratio of dsrs"
    else:
        name = "exact conditional (Clopper-Pearson)" if method == "exact" else "Wald (log scale)"
        statistic = "rate ratio"
    if population_se:
        name = np.where(extra > 0, f"{name}, denominator SE (delta method, log scale)", name)
    return long_by_confidence(base, per_level, {"method": name, "statistic": statistic}, layout)
