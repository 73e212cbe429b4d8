"""From estimands to the columns of one grouped scan.

Every linear or ratio-type estimate is a function of weighted sums
``sum(w * v_j)`` of row values ``v_j`` (the variable, an indicator of a level,
an indicator of non-missingness). The plan collects those values once
(shared between estimands), with the row counts that give sample sizes and
degrees of freedom, and lists the output rows with the sums each one reads.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw

from corridor.estimands import Estimand, Mean, Proportion, Ratio, Total

# the scan's column saying whether a row is in the subpopulation (the request's where=)
SUBPOPULATION = "__in"


@dataclass(frozen=True)
class Output:
    """One row of results before it is estimated (one domain is attached later)."""

    estimand: Estimand
    kind: str
    variable: str
    level: Any
    num: int
    den: int  # -1: a total (no denominator)
    count: int
    method: str | None = None
    cases: int = -1  # count of rows with the level (categorical outputs)
    numerator: str | None = None
    denominator: str | None = None
    weight: int = -1  # value whose weighted sum is the weight of the rows used (sum_w, deff's population)


@dataclass
class SumPlan:
    """The row values to sum and the rows to count, deduplicated."""

    values: list[nw.Expr] = field(default_factory=list)
    counts: list[nw.Expr] = field(default_factory=list)
    squares: dict[int, int] = field(default_factory=dict)  # value j -> value index of v_j^2 (deff)
    cross: dict[tuple[int, int], int] = field(default_factory=dict)  # (num, den) -> index of v_num * v_den (deff)
    _vindex: dict[Hashable, int] = field(default_factory=dict)
    _cindex: dict[Hashable, int] = field(default_factory=dict)
    outputs: list[Output] = field(default_factory=list)

    def value(self, key: Hashable, expr: nw.Expr) -> int:
        if key not in self._vindex:
            self._vindex[key] = len(self.values)
            self.values.append(expr)
        return self._vindex[key]

    @property
    def rows_count(self) -> int:
        """Index of the count of every row (variables without missing values), or -1."""
        return self._cindex.get(("rows",), -1)

    def count(self, key: Hashable, expr: nw.Expr) -> int:
        if key not in self._cindex:
            self._cindex[key] = len(self.counts)
            self.counts.append(expr)
        return self._cindex[key]


def _num(col: str) -> nw.Expr:
    return nw.col(col).cast(nw.Float64)


def _notnull(col: str) -> nw.Expr:
    return nw.when(~nw.col(col).is_null()).then(nw.lit(1.0))


def build_plan(
    estimands: Sequence[Estimand],
    levels: dict[Estimand, list[Any]],
    categorical: dict[Estimand, bool],
    *,
    deff: bool = False,
    complete: frozenset[str] | set[str] = frozenset(),
) -> SumPlan:
    """Plan the sums for ``estimands`` (quantiles are planned elsewhere).

    ``levels`` gives the levels of each categorical estimand, ``categorical``
    whether an estimand treats its variable as categories (per estimand, so that
    ``[Mean("x"), Proportion("x")]`` and ``[Proportion("x"), Mean("x")]`` agree).
    ``complete`` names variables known to have no missing value: their
    non-missing indicator is the constant 1 and their count the row count.
    """
    plan = SumPlan()

    def nonmissing(var: str) -> int:
        return plan.value(("one",), nw.col("__one")) if var in complete else plan.value(("nn", var), _notnull(var))

    def counted(var: str) -> int:
        return plan.count(("rows",), nw.len()) if var in complete else plan.count(("nn", var), nw.col(var).count())

    for est in estimands:
        if isinstance(est, Ratio):
            y, x = _num(est.numerator), _num(est.denominator)
            pair = (est.numerator, est.denominator)
            both: nw.Expr | None = None
            if est.numerator in complete and est.denominator in complete:
                num, den = plan.value(("y", pair[0]), y), plan.value(("y", pair[1]), x)
                cnt = plan.count(("rows",), nw.len())
                weight = plan.value(("one",), nw.col("__one"))
            else:
                both = ~nw.col(pair[0]).is_null() & ~nw.col(pair[1]).is_null()
                num = plan.value(("ratio_num", *pair), nw.when(both).then(y))
                den = plan.value(("ratio_den", *pair), nw.when(both).then(x))
                cnt = plan.count(("both", *pair), nw.when(both).then(nw.lit(1)).count())
                weight = plan.value(("ratio_one", *pair), nw.when(both).then(nw.lit(1.0)))
            if deff:
                # the SRS variance of a ratio reads the residuals y - R x: sums of y^2, x^2 and x y over its rows
                def used(e: nw.Expr, both: nw.Expr | None = both) -> nw.Expr:
                    return e if both is None else nw.when(both).then(e)

                plan.squares[num] = plan.value(("y2", pair[0]) if both is None else ("sq", num), used(y * y))
                plan.squares[den] = plan.value(("y2", pair[1]) if both is None else ("sq", den), used(x * x))
                plan.cross[(num, den)] = plan.value(("xy", num, den), used(y * x))
            plan.outputs.append(
                Output(est, "ratio", est.variable, None, num, den, cnt, numerator=pair[0], denominator=pair[1],
                       weight=weight)
            )
            continue
        var = est.variable
        cnt = counted(var)
        if isinstance(est, Proportion) or categorical.get(est, False):
            wanted = levels[est]
            nn = nonmissing(var)
            for level in wanted:
                # null (not 0) for missing values, so that every value of an output covers the same rows
                absent = nw.lit(0.0) if var in complete else nw.when(~nw.col(var).is_null()).then(nw.lit(0.0))
                level_of = nw.when(nw.col(var) == level).then(nw.lit(1.0)).otherwise(absent)
                ind = plan.value(("lev", var, level), level_of)
                if deff:
                    plan.squares[ind] = ind  # an indicator is its own square
                # the rows with the level: the sum of the level's indicator, the very expression whose
                # weighted sum the scan takes, which the engine then evaluates once per row for both
                # (a count of its own condition cost the profile's scan a fifth of its time)
                cases = plan.count(("cases", var, level), level_of.sum())
                if isinstance(est, Total):
                    plan.outputs.append(Output(est, "total", var, level, ind, -1, cnt, cases=cases, weight=nn))
                else:
                    kind = "proportion" if isinstance(est, Proportion) else "mean"
                    method = est.method if isinstance(est, Proportion) else None
                    plan.outputs.append(Output(est, kind, var, level, ind, nn, cnt, method=method, cases=cases,
                                               weight=nn))
            continue
        value = plan.value(("y", var), _num(var))
        if deff:
            plan.squares[value] = plan.value(("y2", var), _num(var) * _num(var))
        if isinstance(est, Total):
            plan.outputs.append(Output(est, "total", var, None, value, -1, cnt, weight=nonmissing(var)))
        elif isinstance(est, Mean):
            nn = nonmissing(var)
            plan.outputs.append(Output(est, "mean", var, None, value, nn, cnt, weight=nn))
    return plan
