"""What to estimate: small frozen descriptions, no computation.

Each estimand names its variable(s) and options; the estimation layer turns
it into sums for one grouped scan and a finishing step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from corridor.errors import EstimationError
from corridor.i18n import Message

PropCI = Literal["logit", "beta", "wilson", "xlogit", "wald"]
QRule = Literal["math", "school", "shahvaish", "hf1", "hf2", "hf3", "hf4", "hf5", "hf6", "hf7", "hf8", "hf9"]
QInterval = Literal["mean", "beta", "xlogit", "asin", "quantile", "score"]

PROP_METHODS: tuple[str, ...] = ("logit", "beta", "wilson", "xlogit", "wald")
QRULES: tuple[str, ...] = ("math", "school", "shahvaish", *(f"hf{i}" for i in range(1, 10)))
QINTERVALS: tuple[str, ...] = ("mean", "beta", "xlogit", "asin", "quantile", "score")


@dataclass(frozen=True)
class Total:
    """Population total of ``variable``; of each level when ``categorical``.

    ``categorical=None`` treats text and boolean columns as categorical and
    numbers as numeric.
    """

    variable: str
    categorical: bool | None = None
    levels: tuple[Any, ...] | None = None
    kind = "total"


@dataclass(frozen=True)
class Mean:
    """Population mean of ``variable`` (a ratio of two totals); of each level's indicator when categorical."""

    variable: str
    categorical: bool | None = None
    levels: tuple[Any, ...] | None = None
    kind = "mean"


@dataclass(frozen=True)
class Proportion:
    """Share of the population with ``variable == level``, with an interval for proportions.

    With ``level=None`` every level gets a row. ``method`` chooses the
    interval: ``logit`` (R ``svyciprop`` default), ``beta`` (Korn-Graubard),
    ``wilson`` (Wilson score with the effective sample size), ``xlogit``
    and ``wald``. Its degrees of freedom are the domain's, as in R.
    """

    variable: str
    level: Any = None
    method: PropCI = "logit"
    levels: tuple[Any, ...] | None = None
    kind = "proportion"

    def __post_init__(self) -> None:
        if self.method not in PROP_METHODS:
            raise EstimationError(
                Message("estimation.unknown_interval_method_proportion", method=self.method),
                hint=Message("estimation.unknown_interval_method_proportion.hint", prop_methods=', '.join(PROP_METHODS)),
            )


@dataclass(frozen=True)
class Ratio:
    """Ratio of two population totals, ``numerator / denominator``."""

    numerator: str
    denominator: str
    kind = "ratio"

    @property
    def variable(self) -> str:
        return f"{self.numerator}/{self.denominator}"


@dataclass(frozen=True)
class Quantile:
    """Quantiles of ``variable`` with Woodruff-type intervals (R ``svyquantile``).

    ``qrule`` is how a quantile is read off the weighted distribution
    (``math``: the inverse of the weighted ECDF, R's default; ``hf1``-``hf9``
    after Hyndman and Fan; ``school``; ``shahvaish``). ``interval`` is how the
    interval of the distribution function is formed before inverting it
    (``mean``, ``beta``, ``xlogit``, ``asin``), or, on replicate designs,
    ``quantile``: the quantile itself is computed with every replicate's
    weights and its replicate variance gives a symmetric interval (R's
    ``interval.type="quantile"``, what bootstrap-weight files are made for);
    or, on designs with strata and clusters, ``score``: the values whose score
    test is not rejected (Francisco and Fuller 1991; R's ``interval.type="score"``).
    """

    variable: str
    probs: tuple[float, ...] = (0.5,)
    qrule: QRule = "math"
    interval: QInterval = "mean"
    kind = "quantile"

    def __post_init__(self) -> None:
        probs = (self.probs,) if isinstance(self.probs, int | float) else tuple(float(p) for p in self.probs)
        object.__setattr__(self, "probs", probs)
        if not probs or any(not 0 <= p <= 1 for p in probs):
            raise EstimationError(Message("estimation.quantile_probabilities_must_lie", probs=self.probs))
        if self.qrule not in QRULES:
            raise EstimationError(Message("estimation.unknown_quantile_rule", qrule=self.qrule), hint=Message("estimation.unknown_quantile_rule.hint", qrules=', '.join(QRULES)))
        if self.interval not in QINTERVALS:
            raise EstimationError(
                Message("estimation.unknown_quantile_interval", interval=self.interval), hint=Message("estimation.unknown_quantile_interval.hint", qintervals=', '.join(QINTERVALS))
            )


Estimand = Total | Mean | Proportion | Ratio | Quantile


def parse_estimand(text: str) -> Estimand:
    """Parse the command-line form of an estimand.

    ``total:enroll``, ``mean:api00``, ``proportion:pobreza`` (every level),
    ``proportion:pobreza=3`` (one level), ``proportion:sch.wide=Yes:beta``,
    ``ratio:api.stu/enroll``, ``quantile:api00@0.25,0.5,0.75``,
    ``quantile:api00@0.5:hf7:beta``.
    """
    kind, _, rest = text.partition(":")
    kind = kind.strip().lower()
    if not rest:
        raise EstimationError(
            Message("estimation.cannot_read_estimand", text=text),
            hint=Message("estimation.cannot_read_estimand.hint"),
        )
    parts = rest.split(":")
    if kind == "total":
        return Total(parts[0])
    if kind == "mean":
        return Mean(parts[0])
    if kind == "ratio":
        num, sep, den = parts[0].partition("/")
        if not sep:
            raise EstimationError(Message("estimation.ratio_needs_numerator_denominator", rest=rest))
        return Ratio(num, den)
    if kind == "proportion":
        var, eq, level = parts[0].partition("=")
        method = parts[1] if len(parts) > 1 else "logit"
        return Proportion(var, level=_literal(level) if eq else None, method=method)  # type: ignore[arg-type]
    if kind == "quantile":
        var, at, probs = parts[0].partition("@")
        probs_t = tuple(float(p) for p in probs.split(",")) if at else (0.5,)
        qrule = parts[1] if len(parts) > 1 else "math"
        interval = parts[2] if len(parts) > 2 else "mean"
        return Quantile(var, probs=probs_t, qrule=qrule, interval=interval)  # type: ignore[arg-type]
    raise EstimationError(Message("estimation.unknown_estimand", kind=kind), hint=Message("estimation.unknown_estimand.hint"))


def _literal(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def variables_of(estimands: Sequence[Estimand]) -> tuple[str, ...]:
    """Data columns the estimands read."""
    cols: list[str] = []
    for e in estimands:
        cols += [e.numerator, e.denominator] if isinstance(e, Ratio) else [e.variable]
    return tuple(dict.fromkeys(cols))


__all__ = ["Estimand", "Mean", "Proportion", "Quantile", "Ratio", "Total", "parse_estimand"]
