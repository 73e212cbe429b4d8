"""Label every estimate of a table with its publication quality, and say why.

``assess`` reproduces ``calidad::assess`` (INE Chile, R package ``calidad``
0.8.2) on the tidy table the estimation engine returns, or on a table made by
:func:`corridor.quality.create` (or by ``calidad`` itself): the label, every
criterion behind it in ``calidad``'s columns, and corridor's code and reason.
``publishable`` applies INE's table-level criterion (at least 50% of the cells
reliable). Gaps between domains are judged by their interval
(:mod:`corridor.quality.gaps`), not by a CV rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corridor.errors import InputError, UnsupportedError
from corridor.i18n import Message
from corridor.quality import criteria, gaps, rules
from corridor.quality._frames import (
    ASSESSED_TABLE,
    coded_strings,
    floats,
    group_ids,
    is_in,
    require,
    set_column,
    to_arrow,
)
from corridor.quality.schemes import RELIABLE, Scheme, get_scheme

PROPORTION_ESTIMANDS = ("proportion",)
RATIO_ESTIMANDS = ("ratio",)
ESTIMANDS = ("total", "mean", "ratio", "proportion", "quantile", "difference")
# rows of Estimates.compare(): "difference:proportion", "ratio:mean", ...
COMPARISONS = tuple(f"{kind}:{base}" for kind in ("difference", "ratio") for base in ESTIMANDS)
GAP_ESTIMANDS = ("difference", *COMPARISONS)
# calidad's create_* kinds, for tables without an ``estimand`` column
KINDS = {"mean": "mean", "total": "total", "size": "total", "prop": "proportion", "proportion": "proportion",
         "ratio": "ratio", "median": "quantile", "quantile": "quantile"}

# calidad's criterion columns -> corridor's names (``names="corridor"``)
CORRIDOR_NAMES = {
    "eval_n": "quality_n", "eval_df": "quality_df", "eval_cv": "quality_cv", "prop_est": "quality_p_side",
    "quadratic": "quality_se_bound", "eval_se": "quality_se", "eval_ess": "quality_ess",
    "eval_unweighted": "quality_unweighted", "eval_log_cv": "quality_log_cv", "eval_deff": "quality_deff",
    "compliance_rate": "quality_compliance_rate", "eval_compliance_rate": "quality_compliance",
    "eval_ci": "quality_ci", "label": "quality_calidad_label", "publication": "quality_publication",
    "pass": "quality_pass",
}
_ADDED = (*CORRIDOR_NAMES, *CORRIDOR_NAMES.values(), "quality", "quality_reason", "quality_scheme")


def assess(
    table: Any,
    scheme: str | Scheme = "chile",
    *,
    ratio_between_0_1: bool = True,
    domain_info: bool = False,
    low_df_justified: bool = False,
    unweighted_column: str = "unweighted",
    estimand: str | None = None,
    publish: bool = False,
    table_n_obj: Any = None,
    names: Literal["calidad", "corridor"] = "calidad",
    level: float = 0.95,
    **params: float,
) -> Any:
    """Label each estimate by a publication standard, with every criterion behind the label.

    Method: the rules of INE Chile's R package ``calidad`` 0.8.2,
    ``assess(table, scheme=...)`` (``R/evaluate_internal.R``): ``"chile"`` is
    INE Chile's 2020 standard for household surveys, ``"eclac_2023"`` and
    ``"eclac_2020"`` ECLAC's, ``"chile_economics"`` INE Chile's 2024 standard
    for economic surveys. ``params`` override the scheme's thresholds by their
    ``calidad`` names (e.g. ``n=30``, ``cv_upper_ine=0.25``).

    ``table`` (pyarrow, pandas or polars; the result is of the same kind) is
    the engine's tidy table (``estimand``, ``estimate``, ``se``, ``n``,
    ``df``, plus ``cv``, and ``deff`` for the ECLAC schemes) or a
    ``create_*`` table (``stat`` for the estimate). A table without an
    ``estimand`` column (e.g. one exported from R) names its kind with
    ``estimand=`` (``mean``, ``total``, ``size``, ``prop``, ``ratio``).

    Added columns: ``calidad``'s criteria (``eval_n``, ``eval_df``,
    ``eval_cv`` or ``prop_est``/``quadratic``/``eval_se`` for INE;
    ``eval_ess``, ``eval_unweighted``, ``eval_log_cv``, ``eval_cv`` for ECLAC
    2020; ``eval_deff``, ``eval_ess``, ``eval_df``, ``eval_cv`` or
    ``eval_log_cv`` for ECLAC 2023; ``compliance_rate``,
    ``eval_compliance_rate``... for economic surveys) and its ``label``, with
    its strings; then corridor's ``quality`` code (``reliable``,
    ``weakly_reliable``, ``non_reliable``; ``publish``/``review``/``suppress``
    for ECLAC 2020; ``significant``/``not_significant`` for gaps), the
    ``quality_reason`` that decided (``n<60``, ``se<=p^(2/3)/9``...) and
    ``quality_scheme``. ``names="corridor"`` names the criteria
    ``quality_n``, ``quality_df``... and the label ``quality_calidad_label``.
    ``publish=True`` adds INE's table verdict (``publication``, ``pass``).

    Proportions, and ratios when ``ratio_between_0_1`` and no ratio of the
    same variable exceeds 1, follow the proportion rule; means, totals and
    quantiles the CV rule. Differences and the comparisons of
    ``Estimates.compare`` are gaps: significant when their interval (the
    table's, or at ``level``) excludes no difference.

    The ECLAC schemes need design effects: ``ess`` (else n / deff) and, for
    ECLAC 2023, ``deff``; a table without them is an error, as in
    ``calidad``. ``log_cv`` is taken from the table or computed as
    ``calidad`` does (CV / -ln(p) for p < 0.5, CV / -ln(1 - p) above).
    The "unweighted count" is the column named by ``unweighted_column`` (for a
    proportion: the sample cases having the characteristic; the engine's
    ``n_cases`` is used when the column is absent), ``n`` for other
    estimands. ``domain_info`` and ``low_df_justified`` are ``calidad``'s
    options; ``table_n_obj`` (economic surveys) holds the target sample size
    ``n_obj`` per domain, joined on the columns it shares with the table.
    """
    arrow, back = to_arrow(table)
    if isinstance(params.get("unweighted"), str):
        raise InputError(Message("quality.unweighted_is_number"),
                         hint=Message("quality.unweighted_is_number.hint", column=params["unweighted"]))
    chosen = get_scheme(scheme, params)
    if names not in ("calidad", "corridor"):
        raise InputError(Message("quality.bad_names", names=names), hint=Message("quality.bad_names.hint"))
    if "quality_scheme" in arrow.column_names:  # assessed before: its criteria would go stale
        arrow = arrow.drop_columns([c for c in _ADDED if c in arrow.column_names])
    value = "estimate" if "estimate" in arrow.column_names else "stat" if "stat" in arrow.column_names else "estimate"
    require(arrow, [value, "se", "n", "df"])
    kinds = _estimands(arrow, estimand)
    gap = _member(kinds, GAP_ESTIMANDS)
    _check_eclac_inputs(arrow, chosen, gap)
    if chosen.name == "chile_economics":
        arrow = _with_n_obj(arrow, table_n_obj)
    elif table_n_obj is not None:
        raise InputError(Message("quality.n_obj_economics_only"), hint=Message("quality.n_obj_economics_only.hint"))
    inputs = _inputs(
        arrow, kinds, gap, value, chosen, ratio_between_0_1=ratio_between_0_1, unweighted=unweighted_column
    )

    if chosen.name == "chile":
        decision = rules.chile(inputs, chosen)
        cols = criteria.chile(inputs, chosen)
    elif chosen.name == "eclac_2023":
        decision = rules.eclac_2023(inputs, chosen, domain_info=domain_info, low_df_justified=low_df_justified)
        cols = criteria.eclac_2023(inputs, chosen, domain_info=domain_info, low_df_justified=low_df_justified)
    elif chosen.name == "eclac_2020":
        decision = rules.eclac_2020(inputs, chosen)
        cols = criteria.eclac_2020(inputs, chosen)
    else:
        decision = rules.chile_economics(inputs, chosen, domain_info=domain_info)
        cols = criteria.chile_economics(inputs, chosen)
    assert decision.done(), "every row reaches a rule"
    index, outcomes = decision.index, list(decision.outcomes)
    added = criteria.to_arrow_columns(cols, ~gap)
    if gap.any():
        levels = floats(arrow, "ci_level")
        ratios = np.asarray(pc.fill_null(pc.starts_with(kinds, "ratio:"), False).to_numpy(zero_copy_only=False))
        judged, eval_ci = gaps.judge(
            ratios, inputs.estimate, inputs.se, inputs.df, floats(arrow, "ci_low"), floats(arrow, "ci_high"),
            np.where(np.isnan(levels), level, levels),
        )
        index = np.where(gap, judged.index + len(outcomes), index).astype(np.int32)
        outcomes += judged.outcomes
        added["eval_ci"] = eval_ci.masked(gap).to_arrow()
    qualities = [q for q, _ in outcomes]
    labels = [chosen.calidad_labels.get(q) if q is not None else None for q in qualities]
    added["label"] = coded_strings(index, labels)
    out = arrow
    for name, values in added.items():
        out = set_column(out, name, values)
    out = set_column(out, "quality", coded_strings(index, qualities))
    out = set_column(out, "quality_reason", coded_strings(index, [r for _, r in outcomes]))
    out = set_column(out, "quality_scheme", coded_strings(np.zeros(arrow.num_rows, np.int8), [chosen.name]))
    if publish:
        out = _publication(out, chosen, value, gap)
    if names == "corridor":
        out = out.rename_columns([CORRIDOR_NAMES.get(c, c) if c in added or c in ("publication", "pass") else c
                                  for c in out.column_names])
    return back(out)


def publishable(table: Any, *, by: Sequence[str] | None = None, threshold: float = 50.0) -> Any:
    """INE Chile's table criterion: publish when >= 50% of its cells are reliable.

    Method: ``calidad::assess(..., publish = TRUE)`` (``publish_table``):
    among the rows with n, df and CV present, the percentage labelled
    ``reliable``, rounded to 2 decimals, must be at least ``threshold``.
    ``table`` must carry ``quality`` (from :func:`assess`); gap rows
    (significance, not reliability) are left out. Returns one row per group of
    ``by`` (one row when ``by`` is None) with ``cells``, ``reliable``,
    ``pct_reliable`` and ``publish`` (bool), as the input's kind.
    """
    arrow, back = to_arrow(table)
    require(arrow, ["quality", "n", "df"], where=ASSESSED_TABLE)
    if is_in(arrow, "quality", ["publish", "review", "suppress"]).any():
        raise UnsupportedError(Message("quality.eclac_2020_no_table_rule"),
                               hint=Message("quality.eclac_2020_no_table_rule.hint"))
    keys = list(by or [])
    require(arrow, keys)
    counted, reliable = _counted(arrow)
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


def _counted(arrow: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Rows that count for the table verdict (n, df and CV present; not a gap) and those reliable."""
    value = "estimate" if "estimate" in arrow.column_names else "stat"
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = floats(arrow, "cv")
        cv = np.where(np.isnan(cv), floats(arrow, "se") / floats(arrow, value), cv)
    counted = ~(np.isnan(floats(arrow, "n")) | np.isnan(floats(arrow, "df")) | np.isnan(cv))
    if "estimand" in arrow.column_names:
        counted &= ~is_in(arrow, "estimand", GAP_ESTIMANDS)
    return counted, is_in(arrow, "quality", [RELIABLE]) & counted


def _publication(out: pa.Table, scheme: Scheme, value: str, gap: np.ndarray) -> pa.Table:
    """calidad's ``publish = TRUE``: the table's verdict on every row (``publication``, ``pass``)."""
    if scheme.name not in ("chile", "chile_economics"):
        raise UnsupportedError(Message("quality.publish_chile_only", scheme=scheme.name),
                               hint=Message("quality.publish_chile_only.hint"))
    counted, reliable = _counted(out)
    cells = int(counted.sum())
    pct = round(100.0 * int(reliable.sum()) / cells, 2) if cells else float("nan")
    verdict = "publish" if pct >= 50 else "do not publish"
    n = out.num_rows
    out = set_column(out, "publication", pa.array([verdict] * n, pa.string()))
    return set_column(out, "pass", pa.array([f"{criteria.r_number(pct)}% reliable estimates"] * n, pa.string()))


def _estimands(arrow: pa.Table, estimand: str | None) -> pa.ChunkedArray:
    """Each row's estimand: the table's column, or ``estimand=`` for a table without one."""
    if "estimand" in arrow.column_names:
        if estimand is not None:
            raise InputError(Message("quality.estimand_twice"), hint=Message("quality.estimand_twice.hint"))
        _check_estimands(arrow)
        return pc.cast(arrow.column("estimand"), pa.string())
    if estimand is None:
        raise InputError(Message("quality.no_estimand"), hint=Message("quality.no_estimand.hint"))
    kind = KINDS.get(str(estimand).strip().lower())
    if kind is None:
        raise InputError(Message("quality.unknown_estimand", estimand=estimand),
                         hint=Message("quality.use_one_of.hint", values=", ".join(KINDS)))
    return pa.chunked_array([pa.array([kind] * arrow.num_rows, pa.string())])


def _member(kinds: pa.ChunkedArray, values: Sequence[str]) -> np.ndarray:
    mask = pc.fill_null(pc.is_in(kinds, value_set=pa.array(list(values), pa.string())), False)
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _check_estimands(arrow: pa.Table) -> None:
    known = is_in(arrow, "estimand", ESTIMANDS + COMPARISONS)
    if not known.all():
        row = int(np.flatnonzero(~known)[0])
        value = arrow.column("estimand")[row].as_py()
        raise InputError(Message("quality.unknown_estimand_row", value=value, row=row),
                         hint=Message("quality.unknown_estimand_row.hint", estimands=", ".join(ESTIMANDS)))


def _present(arrow: pa.Table, column: str, rows: np.ndarray) -> bool:
    return column in arrow.column_names and bool((~np.isnan(floats(arrow, column)) & rows).any())


def _check_eclac_inputs(arrow: pa.Table, scheme: Scheme, gap: np.ndarray) -> None:
    """ECLAC's schemes judge the effective sample size: without design effects they cannot run."""
    if not scheme.name.startswith("eclac") or gap.all():
        return
    cells = ~gap
    if not (_present(arrow, "ess", cells) or _present(arrow, "deff", cells)):
        raise InputError(Message("quality.eclac_needs_ess", scheme=scheme.name), hint=Message("quality.eclac_inputs.hint"))
    if scheme.name == "eclac_2023" and not _present(arrow, "deff", cells):
        raise InputError(Message("quality.eclac_2023_needs_deff"), hint=Message("quality.eclac_inputs.hint"))


def _with_n_obj(arrow: pa.Table, table_n_obj: Any) -> pa.Table:
    """Join the target sample sizes (``n_obj``) on the columns both tables share."""
    if table_n_obj is None:
        return arrow
    targets, _ = to_arrow(table_n_obj, what="table_n_obj")
    require(targets, ["n_obj"], where="table_n_obj")
    if "n_obj" in arrow.column_names:
        raise InputError(Message("quality.n_obj_present"), hint=Message("quality.n_obj_present.hint"))
    keys = [c for c in targets.column_names if c != "n_obj" and c in arrow.column_names]
    if not keys:
        raise InputError(Message("quality.n_obj_no_key"),
                         hint=Message("quality.n_obj_no_key.hint", columns=", ".join(arrow.column_names[:6])))
    for k in keys:
        a, b = arrow.schema.field(k).type, targets.schema.field(k).type
        if _kind(a) != _kind(b):
            raise InputError(Message("quality.n_obj_key_type", column=k, a=str(a), b=str(b)),
                             hint=Message("quality.n_obj_key_type.hint", column=k))
    if not pa.types.is_integer(targets.schema.field("n_obj").type) and not pa.types.is_floating(
        targets.schema.field("n_obj").type
    ):
        raise InputError(Message("quality.n_obj_not_numeric"), hint=Message("quality.n_obj_not_numeric.hint"))
    tgt = group_ids(targets, keys)
    if len(np.unique(tgt)) != targets.num_rows:
        raise InputError(Message("quality.n_obj_twice"), hint=Message("quality.n_obj_twice.hint", keys=", ".join(keys)))
    both = pa.concat_tables([arrow.select(keys).cast(targets.select(keys).schema), targets.select(keys)])
    ids = group_ids(both, keys)
    position = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
    position[ids[arrow.num_rows:]] = np.arange(targets.num_rows)
    found = position[ids[: arrow.num_rows]]
    n_obj = floats(targets, "n_obj")
    values = np.where(found >= 0, n_obj[np.maximum(found, 0)], np.nan)
    return arrow.append_column("n_obj", pa.array(values, pa.float64(), from_pandas=True))


def _kind(t: pa.DataType) -> str:
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "number"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_dictionary(t):
        return "text"
    return str(t)


def _inputs(
    arrow: pa.Table,
    kinds: pa.ChunkedArray,
    gap: np.ndarray,
    value: str,
    scheme: Scheme,
    *,
    ratio_between_0_1: bool,
    unweighted: str,
) -> rules.Inputs:
    est, se, n = floats(arrow, value), floats(arrow, "se"), floats(arrow, "n")
    with np.errstate(invalid="ignore", divide="ignore"):
        derived_cv = se / est
    cv = floats(arrow, "cv")
    cv = np.where(np.isnan(cv), derived_cv, cv)

    prop = _member(kinds, PROPORTION_ESTIMANDS)
    ratio = _member(kinds, RATIO_ESTIMANDS)
    if scheme.name == "eclac_2020":
        prop = prop | ratio
    elif ratio_between_0_1 and ratio.any():
        keys = [c for c in ("estimand", "variable") if c in arrow.column_names]
        gid = group_ids(arrow, keys) if keys else np.zeros(arrow.num_rows, dtype=np.int64)
        over = np.bincount(gid, weights=ratio & (est > 1), minlength=int(gid.max()) + 1) > 0
        prop = prop | (ratio & ~over[gid])

    deff = floats(arrow, "deff")
    ess = floats(arrow, "ess")
    with np.errstate(invalid="ignore", divide="ignore"):
        ess = np.where(np.isnan(ess), n / deff, ess)
        log_cv = floats(arrow, "log_cv")
        # calidad's get_log_cv: CV / -ln(p) below 0.5, CV / -ln(1 - p) from 0.5
        log_cv = np.where(np.isnan(log_cv), np.where(est < 0.5, cv / -np.log(est), cv / -np.log1p(-est)), log_cv)

    given = unweighted in arrow.column_names
    if not given and "n_cases" in arrow.column_names:
        unweighted = "n_cases"  # the estimation engine's count of rows having the level (null for means)
    unw = floats(arrow, unweighted) if unweighted in arrow.column_names else np.full(len(n), np.nan)
    if scheme.name.startswith("eclac"):
        if unweighted not in arrow.column_names and (prop & ~gap).any():
            raise InputError(Message("quality.eclac_needs_unweighted", scheme=scheme.name, column=unweighted),
                             hint=Message("quality.eclac_needs_unweighted.hint"))
        if not given:  # a given column is read as it is, missing values included (as calidad does)
            unw = np.where(np.isnan(unw) & ~prop, n, unw)
    with np.errstate(invalid="ignore", divide="ignore"):
        compliance = n / floats(arrow, "n_obj")
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
        prop=prop & ~gap,
        compliance=compliance,
        gap=gap,
    )
