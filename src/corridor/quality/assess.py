"""Label every estimate of a table with its publication quality.

``assess`` reproduces ``calidad::assess`` (INE Chile, R package ``calidad``
0.8.x) on the tidy table the estimation engine returns; ``publishable``
applies INE's table-level criterion (at least 50% of the cells reliable).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from corridor.errors import InputError, UnsupportedError
from corridor.quality import rules
from corridor.quality._frames import coded_strings, floats, group_ids, is_in, require, set_column, to_arrow
from corridor.quality.schemes import RELIABLE, Scheme, get_scheme

PROPORTION_ESTIMANDS = ("proportion",)
RATIO_ESTIMANDS = ("ratio",)
ABSOLUTE_CV_ESTIMANDS = ("difference",)
ESTIMANDS = ("total", "mean", "ratio", "proportion", "quantile", "difference")
# rows of Estimates.compare(): "difference:proportion", "ratio:mean", ...
COMPARISONS = tuple(f"{kind}:{base}" for kind in ("difference", "ratio") for base in ESTIMANDS)


def assess(
    table: Any,
    scheme: str | Scheme = "chile",
    *,
    ratio_between_0_1: bool = True,
    domain_info: bool = False,
    low_df_justified: bool = False,
    unweighted: str = "unweighted",
    **params: float,
) -> Any:
    """Add ``quality``, ``quality_reason`` and ``quality_scheme`` to an estimate table.

    Method: the rules of INE Chile's R package ``calidad`` 0.8.x,
    ``assess(table, scheme=...)`` (``R/evaluate_internal.R``): ``"chile"`` is
    INE Chile's 2020 standard for household surveys, ``"eclac_2023"`` and
    ``"eclac_2020"`` ECLAC's. ``params`` override the scheme's thresholds by
    their ``calidad`` names (e.g. ``n=30``, ``cv_upper_ine=0.25``).

    ``table`` is the engine's tidy table (pyarrow, pandas or polars) with
    ``estimand``, ``estimate``, ``se``, ``n`` and ``df`` (plus ``cv``, and
    ``deff`` for the ECLAC schemes); the result is of the same kind.
    Proportions, and ratios when ``ratio_between_0_1`` and no ratio of the
    same variable exceeds 1, follow the proportion rule; everything else the
    CV rule (differences, and comparisons from ``Estimates.compare`` such as
    ``difference:proportion`` or ``ratio:mean``, with |CV|). ``quality`` is ``reliable`` /
    ``weakly_reliable`` / ``non_reliable`` (``publish`` / ``review`` /
    ``suppress`` for ECLAC 2020), null where ``calidad`` gives no label;
    ``quality_reason`` names the rule that decided, e.g. ``n<60`` or
    ``se<=p^(2/3)/9``.

    The ECLAC schemes use ``ess`` (else n / deff), ``log_cv`` (else
    SE / (-ln(p) p)) and, as "unweighted count", the column named by
    ``unweighted`` (for a proportion: the sample cases having the
    characteristic); for non-proportions it defaults to ``n``.
    ``domain_info`` and ``low_df_justified`` are ``calidad``'s ECLAC 2023 options.
    """
    arrow, back = to_arrow(table)
    chosen = get_scheme(scheme, params)
    needed = ["estimand", "estimate", "se", "n", "df"]
    if chosen.name.startswith("eclac") and "ess" not in arrow.column_names:
        needed.append("deff")
    require(arrow, needed)
    _check_estimands(arrow)
    inputs = _inputs(arrow, chosen, ratio_between_0_1=ratio_between_0_1, unweighted=unweighted)
    if chosen.name == "chile":
        decision = rules.chile(inputs, chosen)
    elif chosen.name == "eclac_2023":
        decision = rules.eclac_2023(
            inputs, chosen, domain_info=domain_info, low_df_justified=low_df_justified
        )
    else:
        decision = rules.eclac_2020(inputs, chosen)
    assert decision.done(), "every row reaches a rule"
    qualities = [q for q, _ in decision.outcomes]
    reasons = [r for _, r in decision.outcomes]
    out = set_column(arrow, "quality", coded_strings(decision.index, qualities))
    out = set_column(out, "quality_reason", coded_strings(decision.index, reasons))
    out = set_column(out, "quality_scheme", coded_strings(np.zeros(arrow.num_rows, np.int8), [chosen.name]))
    return back(out)


def publishable(table: Any, *, by: Sequence[str] | None = None, threshold: float = 50.0) -> Any:
    """INE Chile's table criterion: publish when >= 50% of its cells are reliable.

    Method: ``calidad::assess(..., publish = TRUE)`` (``publish_table``):
    among the rows with n, df and CV present, the percentage labelled
    ``reliable``, rounded to 2 decimals, must be at least ``threshold``.
    ``table`` must carry ``quality`` (from :func:`assess`). Returns one row
    per group of ``by`` (one row when ``by`` is None) with ``cells``,
    ``reliable``, ``pct_reliable`` and ``publish`` (bool), as the input's kind.
    """
    arrow, back = to_arrow(table)
    require(arrow, ["quality", "n", "df"], where="the assessed table")
    if is_in(arrow, "quality", ["publish", "review", "suppress"]).any():
        raise UnsupportedError(
            "the table was assessed with ECLAC 2020, which has no table-level publication rule",
            hint="assess it with scheme='chile' to apply INE's 50%-reliable criterion",
        )
    keys = list(by or [])
    require(arrow, keys)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = floats(arrow, "cv")
        cv = np.where(np.isnan(cv), floats(arrow, "se") / floats(arrow, "estimate"), cv)
    counted = ~(np.isnan(floats(arrow, "n")) | np.isnan(floats(arrow, "df")) | np.isnan(cv))
    reliable = is_in(arrow, "quality", [RELIABLE]) & counted
    gid = group_ids(arrow, keys) if keys else np.zeros(arrow.num_rows, dtype=np.int64)
    n_groups = int(gid.max()) + 1 if len(gid) else (0 if keys else 1)
    cells = np.bincount(gid, weights=counted, minlength=n_groups).astype(np.int64)
    good = np.bincount(gid, weights=reliable, minlength=n_groups).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.round(100.0 * good / cells, 2)
    columns = {
        "cells": pa.array(cells),
        "reliable": pa.array(good),
        "pct_reliable": pa.array(pct, mask=cells == 0),
        "publish": pa.array(pct >= threshold),
    }
    if not keys:
        return back(pa.table(columns))
    out = arrow.select(keys).take(pa.array(np.unique(gid, return_index=True)[1]))
    for name, values in columns.items():
        out = out.append_column(name, values)
    return back(out)


def is_publishable(table: Any, *, threshold: float = 50.0) -> bool:
    """Whether the whole assessed table passes INE's >= 50%-reliable criterion."""
    result = publishable(table, threshold=threshold)
    arrow, _ = to_arrow(result)
    return bool(arrow.column("publish")[0].as_py())


def _check_estimands(arrow: pa.Table) -> None:
    known = is_in(arrow, "estimand", ESTIMANDS + COMPARISONS)
    if not known.all():
        row = int(np.flatnonzero(~known)[0])
        value = arrow.column("estimand")[row].as_py()
        raise InputError(
            f"unknown estimand {value!r} in column 'estimand', row {row}",
            hint=f"the estimands are: {', '.join(ESTIMANDS)}, and 'difference:<estimand>' or "
            "'ratio:<estimand>' for comparisons",
        )


def _inputs(arrow: pa.Table, scheme: Scheme, *, ratio_between_0_1: bool, unweighted: str) -> rules.Inputs:
    est, se, n = floats(arrow, "estimate"), floats(arrow, "se"), floats(arrow, "n")
    with np.errstate(invalid="ignore", divide="ignore"):
        derived_cv = se / est
    cv = floats(arrow, "cv")
    cv = np.where(np.isnan(cv), derived_cv, cv)
    difference = is_in(arrow, "estimand", ABSOLUTE_CV_ESTIMANDS + COMPARISONS)
    cv = np.where(difference, np.abs(cv), cv)

    prop = is_in(arrow, "estimand", PROPORTION_ESTIMANDS)
    ratio = is_in(arrow, "estimand", RATIO_ESTIMANDS)
    if scheme.name == "eclac_2020":
        prop = prop | ratio
    elif ratio_between_0_1 and ratio.any():
        keys = [c for c in ("estimand", "variable") if c in arrow.column_names]
        gid = group_ids(arrow, keys)
        over = np.bincount(gid, weights=ratio & (est > 1), minlength=int(gid.max()) + 1) > 0
        prop = prop | (ratio & ~over[gid])

    deff = floats(arrow, "deff")
    ess = floats(arrow, "ess")
    with np.errstate(invalid="ignore", divide="ignore"):
        ess = np.where(np.isnan(ess), n / deff, ess)
        log_cv = floats(arrow, "log_cv")
        log_cv = np.where(np.isnan(log_cv), se / (-np.log(est) * est), log_cv)

    if unweighted not in arrow.column_names and "n_cases" in arrow.column_names:
        unweighted = "n_cases"  # the estimation engine's count of rows having the level
    unw = floats(arrow, unweighted) if unweighted in arrow.column_names else np.full(len(n), np.nan)
    if scheme.name.startswith("eclac"):
        if unweighted not in arrow.column_names and prop.any():
            raise InputError(
                f"scheme {scheme.name!r} needs, for proportions, the unweighted count of sample cases "
                f"having the characteristic, in a column {unweighted!r}, which the table lacks",
                hint="add that column, or pass unweighted='n' to use the cell's sample size instead",
            )
        unw = np.where(np.isnan(unw) & ~prop, n, unw)
    return rules.Inputs(
        estimate=est,
        se=se,
        cv=cv,
        n=n,
        df=floats(arrow, "df"),
        deff=deff,
        ess=ess,
        unweighted=unw,
        log_cv=log_cv,
        prop=prop,
    )
