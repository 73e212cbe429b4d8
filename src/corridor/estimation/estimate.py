"""``estimate()``: design-based estimates with one grouped scan of the data.

The flow: check the request against the data's schema; plan the row values
to sum; run one grouped scan (by domain, subpopulation flag, strata and
clusters, or by domain with replicate weights); finish on that small table:
estimates, influence totals, variances, degrees of freedom and intervals.
Quantiles read their variable's column once more (a quantile needs the sorted
values).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from corridor.design import AnyDesign
from corridor.engine import Engine, get_engine
from corridor.engine.columns import release_freed_memory
from corridor.errors import EstimationError, UnsupportedError
from corridor.estimands import Estimand, Quantile
from corridor.estimation.assemble import assemble
from corridor.estimation.domains import GroupSums, domain_count, domains, groupings
from corridor.estimation.finish import Domains, Finished, finish
from corridor.estimation.inputs import open_input
from corridor.estimation.plan import build_plan
from corridor.estimation.quantiles import estimate_quantiles, quantile_rows
from corridor.estimation.request import NA, CheckedRequest, DFRule, Request, check_request
from corridor.estimation.result import Estimates
from corridor.estimation.scan import ReplicateRanks, run_scan
from corridor.i18n import Message

__all__ = ["NA", "DFRule", "estimate", "run"]  # NA, DFRule: the types of estimate()'s arguments

# scans with this many groups (domains crossing PSUs) hand freed memory back between steps
_LARGE_SCAN = 500_000


def estimate(
    data: Any,
    design: AnyDesign,
    estimands: Estimand | Sequence[Estimand],
    *,
    by: str | Sequence[str] = (),
    where: str | None = None,
    na: NA = "fail",
    level: float = 0.95,
    df: DFRule | float | None = None,
    deff: bool = False,
    covariance: bool | str = False,
    engine: str | Engine | None = None,
    na_values: Sequence[str] = (),
    read: dict[str, Any] | None = None,
    drop_rejected: bool | None = None,
) -> Estimates:
    """Estimate totals, means, proportions, ratios and quantiles under a sample design.

    Args:
        data: a file of any format :mod:`corridor.sources` reads (CSV, Parquet,
            Stata, SPSS, SAS, XLSX, an IPUMS codebook), a
            :class:`~corridor.sources.Source` (e.g. from ``harmonize``), a
            pandas/polars/PyArrow frame, a DuckDB relation, or (with
            ``engine="spark"``) a Spark DataFrame.
        design: a :class:`~corridor.Design`, :class:`~corridor.ReplicateDesign`
            or converted design (``Design(...).replicates("JKn")``).
        estimands: one or more of :class:`~corridor.Total`, ``Mean``,
            ``Proportion``, ``Ratio``, ``Quantile``.
        by: domain variables; every domain of the design gets a row, also a
            combination with no sampled unit (flagged ``empty_domain``). A list
            of groupings (``[[], ["region"], ["sex", "age_group"]]``) estimates
            them all from the same scan; the table then has a ``grouping``
            column naming the variables of each row's grouping.
        where: a subpopulation condition (``"edad >= 15"``), computed on the
            full design as R's ``subset()`` of a design.
        na: ``"fail"`` (an error naming the column and count) or ``"drop"``
            (rows with a missing value leave that estimate, as ``na.rm=TRUE``).
        level: confidence level.
        df: degrees of freedom of intervals: ``"design"`` (PSUs minus strata of
            the whole design), ``"domain"`` (of each domain), ``"normal"``, or
            a number. By default totals, means and ratios use the design's and
            proportions and quantiles their domain's, as R does.
        deff: add design effects (Kish, without-replacement SRS baseline, as
            R's ``deff=TRUE``).
        covariance: keep the covariance of all rows, for :meth:`Estimates.compare`; or a ``by``
            variable's name: only the entries ``compare`` reads across that variable's levels (each
            row with itself and with the rows its domain differs from in that variable alone; NaN
            elsewhere), which costs far less on many domains. Linear estimates of a clustered
            Taylor design; other designs keep every entry.
        engine: ``"duckdb"`` (default), ``"spark"``, or an engine instance.
        na_values: texts that mean "missing" in numeric columns (``["NS/NR", "-"]``); any other
            text in a column estimated as numbers is an error naming its values and rows.
        read: reading options for a file: ``encoding``, ``delimiter``, ``sheet``,
            ``header_row``, ``rename`` (``{7: "expr_2021"}``, by 1-based position), ``format``.
        drop_rejected: a source whose reader or spec rejected rows (e.g. missing or negative
            weights) is an error unless this is True (or the spec says ``drop_rejected: true``);
            the count is then in ``Estimates.meta``.

    Rows whose weight is 0 are outside the sample, as R's ``subset()`` of a design: they
    contribute nothing and keep their PSU and stratum in the design; ``meta["zero_weight_rows"]``
    counts them. Missing or negative weights are errors.

    Returns:
        :class:`Estimates`, whose ``table`` is a tidy Arrow table.

    Example:
        >>> from corridor import Design, Proportion, estimate
        >>> res = estimate("casen_2020.csv.gz", Design(weights="expr", strata="estrato", ids="cod_upm"),
        ...                Proportion("pobreza"), by="region")  # doctest: +SKIP
    """
    ests = [estimands] if not isinstance(estimands, Sequence) else list(estimands)
    if not ests:
        raise EstimationError(Message("estimation.nothing_estimate"), hint=Message("estimation.nothing_estimate.hint"))
    if na not in ("fail", "drop"):
        raise EstimationError(Message("estimation.not_rule_missing_values", na=na), hint=Message("estimation.not_rule_missing_values.hint"))
    if not 0 < level < 1:
        raise EstimationError(Message("estimation.confidence_level_not_between", level=level))
    by_groups = groupings(by)
    by_list = list(dict.fromkeys(v for g in by_groups for v in g))
    if isinstance(covariance, str) and covariance not in by_list:
        raise EstimationError(Message("estimation.not_domain_variable_these", by=covariance),
                              hint=Message("estimation.not_domain_variable_these.hint", by=by_list))
    inp = open_input(data, get_engine(engine), read=read, na_values=na_values, drop_rejected=drop_rejected)
    req = Request(
        lf=inp.lf, engine=inp.engine, design=design, estimands=ests, by=by_list, groupings=by_groups, where=where,
        na=na, level=level, df_rule=df, deff=deff, covariance=covariance, source=inp.where, input=inp,
        na_values=tuple(str(v) for v in na_values),
    )
    return run(check_request(req))


def run(req: CheckedRequest) -> Estimates:
    """A checked request's estimates: linear estimands from one grouped scan, quantiles from their rows."""
    lin = [e for e in req.estimands if not isinstance(e, Quantile)]
    quant = [e for e in req.estimands if isinstance(e, Quantile)]
    groupings_ = req.request.groupings
    ranks = ReplicateRanks(req)
    parts: list[dict[str, Any]] = []
    vcov: np.ndarray | None = None
    design_df = float("nan")
    n_rows = 0
    if lin:
        plan = build_plan(lin, req.levels, req.categorical, deff=req.request.deff, complete=req.complete)
        scan = run_scan(req, plan)
        n_rows, design_df = scan.n_rows, scan.design_df
        large = scan.table.num_rows >= _LARGE_SCAN
        # groupings that differ in their first variable alone come one after the other (a population
        # and a coarser split of it, by the same disaggregation): the second pools its cells from the
        # first's cell totals when each of those lies in one of its domains. Only the previous
        # grouping's sums are kept, and only until the next grouping has pooled its cells.
        # (Replicate designs pool nothing: their groupings keep the request's order.)
        order = list(range(len(groupings_)))
        if scan.structure is not None:
            order.sort(key=lambda i: tuple(groupings_[i][1:]))
        done_at: dict[int, Finished] = {}
        previous: GroupSums | None = None
        coded: dict[str, Any] = {}  # a by variable in several groupings is encoded once
        at = np.zeros(len(groupings_) + 1, dtype=np.int64)  # where each grouping's rows start
        if req.request.covariance:
            # the covariance matrix of every row: each grouping writes its block into it (no block of
            # its own to copy); the entries between groupings (no covariance: NaN) are filled once the
            # groupings' arrays are gone. Its size is known from the by variables' levels.
            at = np.cumsum([0, *(domain_count(scan.table, list(g), coded) * len(plan.outputs) for g in groupings_)])
            vcov = np.empty((int(at[-1]), int(at[-1])))
        for i in order:
            if large:  # what the previous step freed, before the next allocates its per-group arrays
                release_freed_memory()
            grouping = groupings_[i]
            dom_codes, dom_values = domains(scan.table, list(grouping), coded)
            doms = Domains(grouping, dom_codes, dom_values, full=set(grouping) == set(req.by))
            handed = [previous] if previous is not None else []
            previous = None  # the pooling takes it from the list and lets it go once used
            block = None
            if vcov is not None:
                block = vcov[at[i] : at[i + 1], at[i] : at[i + 1]]
                block.fill(np.nan)
            done = finish(req, scan, doms, ranks, design_df, finer=handed, cov_out=block)
            previous, done.sums = done.sums, None
            done.part["grouping"] = [grouping] * len(done.part["estimand"])
            done_at[i] = done
        for i in range(len(groupings_)):
            done = done_at.pop(i)
            design_df = done.design_df
            parts.append(done.part)
            if vcov is not None:
                vcov[at[i] : at[i + 1], : at[i]] = np.nan
                vcov[at[i] : at[i + 1], at[i + 1] :] = np.nan
        previous = None
        coded.clear()
    if quant:
        rows = quantile_rows(req, ranks, n_rows)
        n_rows = rows.n_rows
        for q in quant:
            for grouping in groupings_:
                part, design_df = estimate_quantiles(req, rows, q, grouping, design_df)
                part["grouping"] = [grouping] * len(part["estimand"])
                parts.append(part)
    table = assemble(parts, req.by, multiple=len(groupings_) > 1)
    if req.request.covariance and quant:
        raise UnsupportedError(Message("estimation.covariances_quantiles_not_available"), hint=Message("estimation.covariances_quantiles_not_available.hint"))
    meta: dict[str, Any] = {}
    if req.cal is not None:
        table, meta = req.cal.flag_table(table), req.cal.meta()
    return Estimates(
        table=table, vcov=vcov, design=req.request.design, design_df=design_df, level=req.request.level,
        by=tuple(req.by), n_rows=n_rows, engine=req.engine.name,
        meta={**_meta(req, n_rows), **meta, **({"covariance_across": req.request.covariance}
                                                if isinstance(req.request.covariance, str) else {})},
    )


def _meta(req: CheckedRequest, n_rows: int) -> dict[str, Any]:
    """What the result should say about its rows: the ledger, weights of 0, value labels."""
    inp = req.request.input
    zero_rows = req.weights.zero_rows
    notes = list(inp.notes) if inp is not None else []
    if inp is not None and inp.ledger is not None:
        ledger = inp.ledger.as_dict()
    else:
        ledger = {"source": str(req.source), "read": n_rows, "kept": n_rows, "filtered": [],
                  "rejected": [], "unknown_codes": [], "notes": []}
    if zero_rows:
        notes.append(str(Message("estimation.zero_weight_note", n=zero_rows)))
    labels = inp.value_labels if inp is not None else {}
    wanted = set(req.by) | {e.variable for e in req.estimands if req.categorical.get(e)}
    return {
        "rows_read": n_rows, "zero_weight_rows": zero_rows, "ledger": ledger,
        "rejected_rows_dropped": (inp.ledger.n_rejected if inp is not None and inp.ledger is not None else 0),
        "notes": notes, "value_labels": {c: v for c, v in labels.items() if c in wanted},
    }


