"""Directly standardised rates with Dobson et al. (1991) intervals.

Directly standardised rate (DSR) of a group over age bands ``i`` with counts ``x_i``,
populations ``n_i`` and standard weights ``w_i``::

    DSR = sum(w_i x_i / n_i) / sum(w_i) * multiplier
    var = sum(w_i^2 x_i / n_i^2) / sum(w_i)^2

The interval is Dobson et al.'s (1991), as PHE applies it (``method="dobson"``, default), or
Fay & Feuer's (1997) gamma interval (``method="gamma"``), as R's ``epitools::ageadjust.direct``
and the US NCHS compute it. Dobson's, as PHE applies it: with ``X = sum x_i`` and
``(X_L, X_U)`` the Poisson limits of ``X`` (Byar's from 10 events, exact below),
``DSR + sqrt(var / X) (X_L - X) * multiplier`` and likewise for the upper limit.
No DSR is given when ``X`` is below 10 (PHE's rule). For non-independent events
(people with several events) the variance uses the frequency breakdown:
``sum(k^2 x_ik w_i^2 / n_i^2) / sum(w_i)^2`` where ``x_ik`` people had ``k`` events.

References: Fay MP, Feuer EJ (1997) *Stat Med* 16:791-801; Dobson AJ, Kuulasmaa K, Eberle E, Scherer J (1991) *Stat Med* 10:457-462;
Breslow NE, Day NE (1987) *Statistical methods in cancer research* vol. II, IARC;
PHE/OHID ``PHEindicatormethods`` 2.1.0 (``calculate_dsr``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from corridor.epi import _validate as v
from corridor.epi._groups import Grouping, group_sums, key_codes, long_by_confidence
from corridor.epi.denominators import widen_log_interval
from corridor.epi.intervals import gamma_dsr_limits, poisson_limits, z_value
from corridor.epi.standards import match_bands, parse_band, standard_population
from corridor.errors import InputError
from corridor.i18n import Message

#: PHE's small-count rule: no DSR when the group's total count is below this.
DSR_MIN_COUNT = 10
DSR_METHODS = ("dobson", "gamma")

StandardSpec = str | pd.DataFrame | Mapping[str, float] | Sequence[float] | np.ndarray | None


def _is_vector(standard: object) -> bool:
    """A standard given as plain numbers, one per age band (PHE's ``stdpop`` vector)."""
    if isinstance(standard, pd.Series):
        return isinstance(standard.index, pd.RangeIndex)
    return isinstance(standard, (list, tuple, np.ndarray))


def _band_order_key(label: object) -> float:
    try:
        return float(parse_band(label)[0])
    except InputError:
        try:
            return float(str(label).strip())
        except ValueError:
            raise InputError(Message("epi.band_for_vector", band=label), hint=Message("epi.band_for_vector.hint")) from None


def vector_weights(labels: Sequence[object], standard: Sequence[float] | np.ndarray) -> dict[object, float]:
    """Weights of a standard given as plain numbers: one per age band, youngest first.

    PHE's ``stdpop`` vector is matched by position within each group's rows; here the data's
    distinct bands are put in age order (by their first age) and matched to the numbers in turn,
    so the order of the rows does not matter.
    """
    values = np.asarray(standard, dtype=float).ravel()
    bands = sorted(labels, key=_band_order_key)
    if values.size != len(bands):
        raise InputError(Message("epi.vector_length", numbers=int(values.size), bands_count=len(bands),
                                 bands=", ".join(repr(b) for b in bands[:6]) + (" ..." if len(bands) > 6 else "")),
                         hint=Message("epi.vector_length.hint"))
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if bad.size:
        raise InputError(Message("epi.vector_invalid", value=float(values[bad[0]]), band=bands[bad[0]]),
                         hint=Message("epi.standard_values.hint"))
    return dict(zip(bands, values.tolist()))


def _row_weights(
    df: pd.DataFrame,
    age: str,
    standard: StandardSpec,
    standard_column: str | None,
    keys: Sequence[str],
) -> np.ndarray:
    if standard_column is not None:
        v.require_columns(df, [standard_column])
        w = v.numeric_column(df, standard_column, keys=keys, where=v.THE_DATA)
        bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
        if bad.size:
            pos = int(bad[0])
            raise InputError(Message("epi.standard_column_invalid", column=standard_column, value=float(w[pos]),
                                     row=v.describe_row(df, pos, keys)), hint=Message("epi.standard_values.hint"))
        return w
    labels = pd.unique(df[age])
    if _is_vector(standard):
        return df[age].map(vector_weights(list(labels), standard)).to_numpy(dtype=float)  # type: ignore[arg-type]
    table = standard_population("esp2013" if standard is None else standard)  # type: ignore[arg-type]
    try:
        weights = match_bands(list(labels), table)
    except InputError as exc:
        bad_label = next((lab for lab in labels if repr(lab) in exc.message), None)
        if bad_label is not None:
            pos = int(np.flatnonzero((df[age] == bad_label).to_numpy())[0])
            raise InputError(Message("epi.first_at", message=exc.msg, row=v.describe_row(df, pos, keys)),
                             hint=exc.hint_msg) from None
        raise
    return df[age].map(weights).to_numpy(dtype=float)


def _check_complete(cells: pd.DataFrame, by: list[str], age: str, grouping: Grouping) -> None:
    """Every group must have the same set of age bands."""
    if not by:
        return
    n_bands = cells[age].nunique()
    sizes = grouping.sizes()[grouping.ids]
    short = np.flatnonzero(sizes < n_bands)
    if short.size:
        pos = int(short[0])
        key = cells.iloc[pos][by]
        group = ", ".join(f"{k}={key[k]!r}" for k in by)
        mask = np.ones(len(cells), dtype=bool)
        for k in by:
            mask &= (cells[k] == key[k]).to_numpy()
        have = set(cells.loc[mask, age])
        lacking = [a for a in pd.unique(cells[age]) if a not in have]
        raise InputError(Message("epi.group_lacks_bands", group=group, bands=", ".join(repr(a) for a in lacking)),
                         hint=Message("epi.group_lacks_bands.hint"))


def dsr_components(
    data: Any,
    count: str,
    population: str,
    age: str,
    by: Sequence[str] | str | None = None,
    *,
    standard: StandardSpec = "esp2013",
    standard_column: str | None = None,
    population_se: str | None = None,
    event_frequency: str | None = None,
    missing: str = "error",
    allow_count_above_population: bool = False,
) -> pd.DataFrame:
    """Per group: total count ``count``, ``population``, unscaled ``dsr``, Dobson ``var``,
    ``max_weight`` (largest ``w_i / n_i`` over the bands, weights summing to 1; for the gamma
    interval) and ``log_se_den`` (delta-method SE of log DSR from the denominators). Building
    block of :func:`dsr` and :func:`corridor.epi.ratios.rate_ratio`."""
    df = v.as_frame(data)
    by = v.as_list(by)
    used = [count, population, age] + [c for c in (population_se, event_frequency) if c]
    v.require_columns(df, used + by)
    keys = by + [age]
    x = v.check_counts(df, count, keys=keys, missing="zero" if missing == "zero" else "error")
    n = v.check_population(df, population, keys=keys)
    if not allow_count_above_population:
        v.check_not_above(x, n, df, count=count, population=population, keys=keys)
    if event_frequency:
        freq = v.check_counts(df, event_frequency, keys=keys)
        events, k2x = x * freq, freq * freq * x
        del freq
    else:
        events = k2x = x
    del x
    w = _row_weights(df, age, standard, standard_column, keys)
    values: dict[str, np.ndarray] = {"events": events, "k2x": k2x, "n": n, "w": w}
    del events, k2x, n, w
    if population_se:
        values["var_n"] = v.check_se(df, population_se, keys=keys) ** 2
    cell_keys = keys + ([event_frequency] if event_frequency else [])
    codes = key_codes(df, cell_keys)
    cell_groups = Grouping.of([codes[k] for k in cell_keys], len(df))
    cells = group_sums(df, cell_keys, values, grouping=cell_groups, with_rows=True)
    # codes of the cells' group columns, reused for the groups of the DSRs
    cell_codes = {k: (codes[k][0][cell_groups.first], codes[k][1]) for k in by}
    del codes, cell_groups, values
    # summing the rows of a cell (e.g. comunas) repeated its standard weight: restore it
    cells["w"] = cells["w"].to_numpy() / cells["_rows"].to_numpy()
    if event_frequency:
        # one population per (group, band): rows of different frequencies share it
        spread = cells.groupby(keys, sort=False, observed=True, dropna=False)["n"].agg(["min", "max"])
        if (spread["min"] != spread["max"]).any():
            raise InputError(Message("epi.frequency_populations"), hint=Message("epi.frequency_populations.hint"))
        by_frequency = cells
        cells = group_sums(
            cells, keys, {"events": cells["events"].to_numpy(), "k2x": cells["k2x"].to_numpy()}
        )
        firsts = (
            by_frequency.groupby(keys, sort=True, observed=True, dropna=False)[
                ["n", "w"] + (["var_n"] if population_se else [])
            ]
            .first()
            .reset_index(drop=True)
        )
        for col in firsts.columns:
            cells[col] = firsts[col].to_numpy()
        cell_codes = key_codes(cells, by)
    groups = Grouping.of([cell_codes[k] for k in by], len(cells)) if by else None
    if groups is not None:
        _check_complete(cells, by, age, groups)
    ev = cells["events"].to_numpy(dtype=float)
    nn = cells["n"].to_numpy(dtype=float)
    ww = cells["w"].to_numpy(dtype=float)
    parts = {
        "count": ev,
        "population": nn,
        "wr": ev * ww / nn,
        "wsq": cells["k2x"].to_numpy(dtype=float) * (ww / nn) ** 2,
        "w": ww,
    }
    if population_se:
        parts["den_var"] = (ev * ww / nn) ** 2 * cells["var_n"].to_numpy(dtype=float) / nn**2
    out = group_sums(cells, by, parts, grouping=groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = ww / nn
    if groups is None:
        largest = np.array([np.max(ratio)]) if ratio.size else np.array([np.nan])
    else:
        largest = np.full(groups.n, -np.inf)
        np.maximum.at(largest, groups.ids, ratio)
    total_w = out.pop("w").to_numpy()
    out["max_weight"] = largest / total_w
    out["dsr"] = out.pop("wr").to_numpy() / total_w
    out["var"] = out.pop("wsq").to_numpy() / total_w**2
    if population_se:
        den_sd = np.sqrt(out.pop("den_var").to_numpy()) / total_w
        with np.errstate(divide="ignore", invalid="ignore"):
            out["log_se_den"] = np.where(den_sd == 0, 0.0, den_sd / out["dsr"].to_numpy())
    else:
        out["log_se_den"] = 0.0
    return out


def dsr(
    data: Any,
    count: str,
    population: str,
    age: str,
    by: Sequence[str] | str | None = None,
    *,
    standard: StandardSpec = "esp2013",
    standard_column: str | None = None,
    multiplier: float = 100_000,
    confidence: float | Sequence[float] = 0.95,
    min_count: int = DSR_MIN_COUNT,
    population_se: str | None = None,
    event_frequency: str | None = None,
    missing: str = "error",
    allow_count_above_population: bool = False,
    method: str = "dobson",
    layout: str = "long",
) -> pd.DataFrame:
    """Directly age-standardised rates with Dobson et al. (1991) or Fay-Feuer gamma limits.

    Parameters
    ----------
    data : aggregate table with one row per group, age band (and disjoint cell such as a comuna,
        whose counts and populations are summed within the band).
    count, population, age : column names of the counts, populations and age bands.
    by : group columns (one DSR per group); every group needs every age band.
    standard : ``"esp2013"`` (default), ``"who2000"``, a mapping band -> population, a
        DataFrame (band, population), or plain numbers (a list, array or unlabelled Series, as
        PHE's ``stdpop`` vector): one per age band of the data, youngest band first. Data bands
        may be a coarsening of a labelled standard's (e.g. 0-4 ... 80+); other mismatches are
        errors.
    standard_column : instead of ``standard``, a data column holding each row's standard
        population (matched by row, as PHE's ``stdpop`` field).
    multiplier, confidence : as in :func:`corridor.epi.crude_rate`.
    min_count : no DSR when the group's total count is below this (PHE: 10); the row is kept
        with a missing value and the statistic says why.
    population_se : standard errors of survey-estimated populations (per row, independent); the
        Dobson interval is widened on the log scale by the delta-method SE of log DSR.
    event_frequency : for non-independent events, a column with the number of events per person
        ``k``; ``count`` is then the number of people with ``k`` events (PHE's
        ``independent_events = FALSE``).
    missing : ``"error"`` (default) or ``"zero"`` (a missing count is 0, PHE's convention).
    method : ``"dobson"`` (default; PHE) or ``"gamma"`` (Fay & Feuer 1997, as
        ``epitools::ageadjust.direct`` and the US NCHS). ``min_count`` applies to both; pass
        ``min_count=0`` for a value in every group, as epitools gives.
    layout : ``"long"`` (one row per group and level) or ``"wide"`` (``lower95_0cl``...).

    Returns group columns, ``count``, ``population``, ``value``, ``lowercl``, ``uppercl``,
    ``confidence``, ``method``, ``statistic``.
    """
    if method not in DSR_METHODS:
        raise InputError(Message("epi.dsr_method", method=method), hint=Message("epi.dsr_method.hint"))
    if method == "gamma" and event_frequency:
        raise InputError(Message("epi.gamma_frequency"), hint=Message("epi.gamma_frequency.hint"))
    by_list = v.as_list(by)
    comp = dsr_components(
        data,
        count,
        population,
        age,
        by_list,
        standard=standard,
        standard_column=standard_column,
        population_se=population_se,
        event_frequency=event_frequency,
        missing=missing,
        allow_count_above_population=allow_count_above_population,
    )
    total = comp["count"].to_numpy(dtype=float)
    value = comp["dsr"].to_numpy() * multiplier
    var = comp["var"].to_numpy()
    log_se_den = comp["log_se_den"].to_numpy()
    small = total < min_count
    base = comp[by_list + ["count", "population"]].copy()
    base["value"] = np.where(small, np.nan, value)
    per_level = []
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sqrt(var / total) * multiplier
    max_weight = comp["max_weight"].to_numpy()
    for level in v.confidence_levels(confidence):
        if method == "gamma":
            lower, upper = gamma_dsr_limits(comp["dsr"].to_numpy(), var, max_weight, level)
            lower, upper = lower * multiplier, upper * multiplier
        else:
            lo, hi, _ = poisson_limits(total, level, "auto")
            lower = value + scale * (lo - total)
            upper = value + scale * (hi - total)
        if population_se:
            lower, upper = widen_log_interval(value, lower, upper, log_se_den, z_value(level))
        per_level.append((level, np.where(small, np.nan, lower), np.where(small, np.nan, upper)))
    if method == "gamma":
        name = np.where(total == 0, "Fay-Feuer gamma (lower limit 0 with no events)", "Fay-Feuer gamma")
    else:
        name = np.array(
            "Dobson" if not event_frequency else "Dobson, with confidence adjusted for non-independent events"
        )
    if population_se:
        name = np.where(log_se_den > 0, np.char.add(name.astype(str), ", denominator SE (delta method, log scale)"), name)
    name = name.astype(object) if name.ndim else name.item()
    statistic = np.where(
        small, f"dsr NA for total count < {min_count}", f"dsr per {v.format_multiplier(multiplier)}"
    ).astype(object)
    return long_by_confidence(base, per_level, {"method": name, "statistic": statistic}, layout)
