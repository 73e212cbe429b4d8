"""Disclosure control of published estimate tables: primary and secondary cell suppression.

Primary suppression removes cells estimated from too few sample cases (and,
optionally, cells with too small an estimated population or too poor a
quality label). Secondary suppression then protects them from being derived
by subtraction from a published margin: in every margin group (the cells that
add up to one published total) that holds exactly one suppressed cell, the
smallest remaining cell is suppressed too, until no group holds exactly one
(the classic greedy rule of secondary cell suppression for frequency tables;
see Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, on
tabular data).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corridor.errors import InputError
from corridor.i18n import Message
from corridor.quality._frames import floats, group_ids, is_in, require, set_column, to_arrow

PRIMARY_MIN_N = "primary_min_n"
PRIMARY_MIN_SUM_W = "primary_min_sum_w"
PRIMARY_QUALITY = "primary_quality"
SECONDARY = "secondary"

VALUE_COLUMNS = (
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "cv",
    "deff",
    "n",
    "sum_w",
    "ess",
    "log_cv",
    "unweighted",
)
_TABLE_KEYS = ("estimand", "variable")
_CELL_EXTRAS = ("prob",)
_COMPARISONS = ("difference:", "ratio:")


def suppress(
    table: Any,
    *,
    min_n: int = 30,
    by: Sequence[str] | None = None,
    totals: Sequence[str] | bool | None = None,
    min_sum_w: float | None = None,
    suppress_quality: Sequence[str] = (),
    compared: str | None = None,
    null_values: bool = True,
    value_columns: Sequence[str] = VALUE_COLUMNS,
) -> Any:
    """Suppress small cells and the cells that would reveal them.

    Primary: a cell whose unweighted ``n`` is below ``min_n`` (default 30,
    ECLAC 2023's minimum count) is suppressed with reason ``primary_min_n``;
    with ``min_sum_w``, a cell whose ``sum_w`` is below it gets
    ``primary_min_sum_w``; a cell whose ``quality`` is in ``suppress_quality``
    (e.g. ``("non_reliable",)``) gets ``primary_quality``.

    Secondary: ``by`` are the table's classification columns (default: the
    columns before ``estimand``); ``totals`` the ones along which totals or
    margins are published (default: all of ``by``, plus ``level``, which
    always identifies the cell too).
    Each (estimand, variable) is its own table. For every dimension in
    ``totals``, the cells sharing all other classification values form a margin
    group; while some group of two or more cells holds exactly one suppressed
    cell, its unsuppressed cell with the smallest ``n`` (then smallest
    |estimate|, then first row) is suppressed with reason ``secondary``.
    ``totals=False`` turns secondary suppression off. Rows of different
    ``prob`` (quantiles) are different cells.

    Comparisons: with ``compared`` (the domain column given to
    ``Estimates.compare``, e.g. ``"migrant"``), a comparison row
    (estimand ``difference:...`` or ``ratio:...``, with columns
    ``<compared>_a`` and ``<compared>_b``) stacked in the same table is
    suppressed (``secondary``) when one of the two cells it compares is,
    since the gap and the other cell would give it back.

    Adds ``suppressed`` (bool) and ``suppression_reason``; with
    ``null_values`` the ``value_columns`` of suppressed cells are set to null
    (the reason stays). Unsuppressed rows are returned unchanged, in order.
    """
    arrow, back = to_arrow(table)
    require(arrow, ["n"])
    if min_n < 0:
        raise InputError(Message("quality.min_n_negative", min_n=min_n), hint=Message("quality.min_n.hint"))
    keys = _classification(arrow, by)
    dims = _dimensions(arrow, keys, totals)

    n = floats(arrow, "n")
    reason = np.full(arrow.num_rows, -1, dtype=np.int8)
    reasons = [PRIMARY_MIN_N, PRIMARY_MIN_SUM_W, PRIMARY_QUALITY, SECONDARY]
    reason[n < min_n] = 0
    if min_sum_w is not None:
        require(arrow, ["sum_w"])
        reason[(reason < 0) & (floats(arrow, "sum_w") < min_sum_w)] = 1
    if suppress_quality:
        require(arrow, ["quality"])
        reason[(reason < 0) & is_in(arrow, "quality", list(suppress_quality))] = 2

    groupings: list[np.ndarray] = []
    if dims:
        tables = [c for c in _TABLE_KEYS if c in arrow.column_names]
        tables += [c for c in _CELL_EXTRAS if c in arrow.column_names and c not in keys]
        cache: dict[str, tuple[np.ndarray, int]] = {}
        groupings = [group_ids(arrow, tables + [k for k in keys if k != d], cache, dense=False) for d in dims]
    links = _links(arrow, compared, keys) if compared else []
    estimate = np.abs(floats(arrow, "estimate"))
    while True:
        if groupings:
            _secondary(reason, groupings, n, estimate)
        if not _follow(reason, links):
            break

    suppressed = reason >= 0
    out = arrow
    if null_values and suppressed.any():
        mask = pa.array(suppressed)
        for name in value_columns:
            if name in out.column_names:
                col = out.column(name)
                out = set_column(out, name, pc.if_else(mask, pa.scalar(None, col.type), col))
    codes = pc.take(pa.array(reasons + [None], pa.string()), pa.array(np.where(suppressed, reason, 4)))
    out = set_column(out, "suppressed", pa.array(suppressed))
    out = set_column(out, "suppression_reason", codes)
    return back(out)


def margin_groups(
    table: Any, *, by: Sequence[str] | None = None, totals: Sequence[str] | bool | None = None
) -> list[np.ndarray]:
    """The margin-group id of every row, one array per dimension in ``totals`` (as :func:`suppress`)."""
    arrow, _ = to_arrow(table)
    keys = _classification(arrow, by)
    tables = [c for c in _TABLE_KEYS if c in arrow.column_names]
    return [group_ids(arrow, tables + [k for k in keys if k != d]) for d in _dimensions(arrow, keys, totals)]


def _classification(arrow: pa.Table, by: Sequence[str] | None) -> list[str]:
    """The columns identifying a cell within its table: ``by`` (or those before ``estimand``) and ``level``."""
    if by is not None:
        keys = list(by)
        require(arrow, keys)
    elif "estimand" not in arrow.column_names:
        raise InputError(Message("quality.no_classification"), hint=Message("quality.no_classification.hint"))
    else:
        keys = arrow.column_names[: arrow.column_names.index("estimand")]
    if "level" in arrow.column_names and "level" not in keys:
        keys.append("level")
    return keys


def _dimensions(arrow: pa.Table, keys: list[str], totals: Sequence[str] | bool | None) -> list[str]:
    if totals is False:
        return []
    if totals is None or totals is True:
        return list(keys)
    dims = list(totals)
    require(arrow, dims)
    unknown = [d for d in dims if d not in keys]
    if unknown:
        raise InputError(Message("quality.totals_not_keys", names=", ".join(map(repr, unknown))),
                         hint=Message("quality.totals_not_keys.hint", keys=", ".join(keys)))
    return dims


def _links(arrow: pa.Table, compared: str, keys: list[str]) -> list[tuple[int, list[int]]]:
    """Each comparison row with the rows of the two cells it compares."""
    side_a, side_b = f"{compared}_a", f"{compared}_b"
    missing = [c for c in ("estimand", side_a, side_b) if c not in arrow.column_names]
    if missing:
        raise InputError(Message("quality.compared_missing", compared=compared, columns=", ".join(map(repr, missing))),
                         hint=Message("quality.compared_missing.hint", compared=compared))
    same = [c for c in keys if c not in (compared, "level")]
    same += [c for c in ("variable", "level", "prob") if c in arrow.column_names]
    rows = arrow.select(list(dict.fromkeys([*same, "estimand", compared, side_a, side_b]))).to_pylist()
    cells: dict[tuple, int] = {}
    for i, r in enumerate(rows):
        if r[compared] is not None and not str(r["estimand"]).startswith(_COMPARISONS):
            cells[(tuple(r[c] for c in same), r["estimand"], str(r[compared]))] = i
    links = []
    for i, r in enumerate(rows):
        estimand = str(r["estimand"])
        if not estimand.startswith(_COMPARISONS) or r[side_a] is None:
            continue
        base = estimand.split(":", 1)[1]
        key = tuple(r[c] for c in same)
        found = [cells.get((key, base, str(r[side]))) for side in (side_a, side_b)]
        links.append((i, [j for j in found if j is not None]))
    return links


def _follow(reason: np.ndarray, links: list[tuple[int, list[int]]]) -> bool:
    """Suppress, in place, comparisons of a suppressed cell; whether any was."""
    changed = False
    for i, parts in links:
        if reason[i] < 0 and any(reason[j] >= 0 for j in parts):
            reason[i] = 3
            changed = True
    return changed


def _secondary(reason: np.ndarray, groupings: list[np.ndarray], n: np.ndarray, estimate: np.ndarray) -> None:
    """Suppress, in place, until no margin group of >= 2 cells has exactly one suppressed cell."""
    order_n = np.where(np.isnan(n), np.inf, n)
    order_est = np.where(np.isnan(estimate), np.inf, estimate)
    rows = np.arange(len(reason))
    sizes = [np.bincount(g) for g in groupings]
    changed = True
    while changed:
        changed = False
        for gid, size in zip(groupings, sizes):
            hidden = np.bincount(gid, weights=reason >= 0, minlength=len(size))
            exposed = (hidden == 1) & (size >= 2)
            if not exposed.any():
                continue
            candidates = rows[exposed[gid] & (reason < 0)]
            ordering = np.lexsort((candidates, order_est[candidates], order_n[candidates], gid[candidates]))
            ranked = candidates[ordering]
            first = np.ones(len(ranked), dtype=bool)
            first[1:] = gid[ranked][1:] != gid[ranked][:-1]
            reason[ranked[first]] = 3
            changed = True


# --- the tidy indicator table -----------------------------------------------------------------------------------

PRIMARY_MIN_COUNT = "primary_min_count"
# the default minimum of sample cases of a published survey cell (ECLAC 2023's minimum count); the
# service's ``min_n`` setting raises it for everything it shows
PUBLICATION_MIN_N = 30
# A published count of events (notifications) below this, and above zero, is withheld with the rates
# and ratios that would reveal it.
MIN_COUNT = 5
SURVEY = "survey"
COUNT_KINDS = frozenset({"notifications"})
# the values a suppressed row of the tidy table never carries, and what is computed from them: the
# bound of a proportion's SE reveals the proportion, p's side of 0.5 which half it lies in, the label
# and its other criteria (n, df, CV, SE rule) how large and precise it was, a gap's significance
# (quality_ci, "ci_high<0") its sign. The row keeps the fact, the reason and the scheme.
TIDY_VALUES = ("estimate", "se", "ci_low", "ci_high", "cv", "deff", "df", "n", "unweighted", "quality_se_bound",
               "quality", "quality_reason", "quality_n", "quality_df", "quality_cv", "quality_p_side", "quality_se",
               "quality_deff", "quality_ess", "quality_log_cv", "quality_ci", "quality_components")


def suppress_indicators(
    rows: Sequence[dict[str, Any]],
    *,
    min_n: int,
    min_count: int = MIN_COUNT,
    compares: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Disclosure control of corridor's tidy indicator table: the one rule behind every published cell.

    The profile (its table, HTML and PDF), the disease-burden section and every page, chart, API
    answer and download of the service apply this function, so they agree cell by cell.

    * Primary: a survey cell (``source_kind == "survey"``) from fewer than ``min_n`` sample cases
      (or with no count) gets ``primary_min_n``; a count of events (``source_kind`` in
      ``COUNT_KINDS``) of 1 to ``min_count - 1`` gets ``primary_min_count``, and so does every row
      computed from it (its rows carry the count as ``n``). Official aggregates are published
      figures: never suppressed here. A row already suppressed stays so, with its reason, so the
      function can be applied again to its own output (it is idempotent).
    * Secondary (survey cells): per indicator and population, the cells of each disaggregation
      add up to the total cell, which belongs to every disaggregation's margin; within each
      margin (and each distribution of levels) the greedy rule of :func:`suppress` runs.
    * Gaps (``population == "gap"``) follow the cells they compare (corridor and natives of the
      same indicator, or of ``compares[indicator]``): suppressed (``secondary``) when either is;
      a survey gap also when either cell is absent from the table (it cannot be checked). A gap
      suppressed before (e.g. a rate ratio, by the section that knew its cells) stays so.

    Rows whose ``status`` is not ``ok`` pass through. Suppressed rows lose their
    :data:`TIDY_VALUES`. Returns new dicts, in order.
    """
    if min_n < 0 or min_count < 0:
        raise InputError(Message("quality.min_counts_negative", min_n=min_n, min_count=min_count),
                         hint=Message("quality.min_n.hint"))
    out = [dict(r) for r in rows]
    reason: dict[int, str] = {}
    for i, r in enumerate(out):
        if r.get("status") != "ok":
            continue
        if r.get("suppressed"):
            reason[i] = r.get("suppression_reason") or SECONDARY
        elif r.get("population") == "gap":
            continue
        elif r.get("source_kind") in COUNT_KINDS and r.get("n") is not None and 0 < r["n"] < min_count:
            reason[i] = PRIMARY_MIN_COUNT
    _survey_secondary(out, reason, min_n)
    _gaps_follow(out, reason, compares or {})
    for i, r in enumerate(out):
        if r.get("status") != "ok":
            continue
        r["suppressed"] = i in reason
        r["suppression_reason"] = reason.get(i)
        if r["suppressed"]:
            for k in TIDY_VALUES:
                if k in r:
                    r[k] = None
    return out


def _survey_secondary(rows: list[dict[str, Any]], reason: dict[int, str], min_n: int) -> None:
    """Primary (``min_n``) and secondary suppression of the survey cells, in place in ``reason``."""
    cells = [i for i, r in enumerate(rows)
             if r.get("status") == "ok" and r.get("source_kind") == SURVEY and r.get("population") != "gap"]
    families: dict[tuple, set[str]] = {}
    for i in cells:
        r = rows[i]
        if r.get("disaggregation") != "total":
            families.setdefault((r.get("indicator"), r.get("population")), set()).add(r.get("disaggregation"))
    helper: list[dict[str, Any]] = []
    owner: list[int] = []
    for i in cells:
        r = rows[i]
        total = r.get("disaggregation") == "total"
        fams = sorted(families.get((r.get("indicator"), r.get("population")), {"total"})) if total \
            else [r.get("disaggregation")]
        # a row suppressed before counts as a cell below the minimum; its reason is kept
        n = -1.0 if i in reason else float(r["n"]) if r.get("n") is not None else 0.0
        for f in fams:
            # regions are cells of the region disaggregation (their area is the region): no area key
            helper.append({"population": r.get("population"), "disaggregation": f, "period": r.get("period"),
                           "cell": r.get("disaggregation_value"), "level": r.get("level") or "",
                           "estimand": r.get("estimand"), "variable": r.get("indicator"),
                           "estimate": r.get("estimate"), "n": n})
            owner.append(i)
    if not helper:
        return
    before = set(reason)
    res = suppress(pa.Table.from_pylist(helper), min_n=min_n,
                   by=["population", "disaggregation", "period", "cell", "level"],
                   totals=["cell", "level"], null_values=False).to_pydict()
    for k, i in enumerate(owner):
        if not res["suppressed"][k] or i in before:
            continue
        new = res["suppression_reason"][k]
        if reason.get(i) is None or new == PRIMARY_MIN_N:
            reason[i] = new


def _gaps_follow(rows: list[dict[str, Any]], reason: dict[int, str], compares: dict[str, str]) -> None:
    key = {}
    for i, r in enumerate(rows):
        if r.get("status") == "ok" and r.get("population") != "gap":
            key[(r.get("indicator"), r.get("population"), r.get("area"), r.get("period"), r.get("disaggregation"),
                 r.get("disaggregation_value"), r.get("level"))] = i
    for i, r in enumerate(rows):
        if r.get("status") != "ok" or r.get("population") != "gap" or i in reason:
            continue
        if r.get("source_kind") not in (SURVEY, *COUNT_KINDS):
            continue  # published aggregate differences (e.g. sex ratios) are shown as published
        ind = compares.get(r.get("indicator"), r.get("indicator"))
        sides = [key.get((ind, p, r.get("area"), r.get("period"), r.get("disaggregation"),
                          r.get("disaggregation_value"), r.get("level"))) for p in ("corridor", "natives")]
        if any(s is not None and s in reason for s in sides):
            reason[i] = SECONDARY
        elif r.get("source_kind") == SURVEY and any(s is None for s in sides):
            reason[i] = SECONDARY  # a survey gap without its two cells cannot be checked: withheld
