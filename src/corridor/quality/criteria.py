"""The criteria behind every label, as the columns ``calidad::assess`` adds.

``calidad`` 0.8.2 returns, beside ``label``, one column per criterion it
used (``eval_n``, ``eval_df``, ``eval_cv``, ``prop_est``, ``quadratic``,
``eval_se``, ``eval_ess``, ``eval_unweighted``, ``eval_log_cv``,
``eval_deff``, ``compliance_rate``, ``eval_compliance_rate``), each holding
the strings it prints (``"sufficient df"``, ``"cv between 0.15 and 0.3"``...).
This module computes them with R's missing-value semantics: a comparison
with a missing value is missing, ``&`` and ``|`` are three-valued,
``if_else`` and ``case_when`` leave a missing result where no branch is true
(``TRUE ~`` branches excepted). A table may mix proportions and level
estimates; the columns of both branches are then present, each null on the
rows of the other branch. Gap rows (judged by :mod:`corridor.quality.gaps`)
get nulls here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from corridor.quality.rules import Inputs
from corridor.quality.schemes import Scheme

# three-valued logic on float arrays: 1 true, 0 false, NaN missing
Tri = np.ndarray


def _cmp(x: np.ndarray, op: Callable[[np.ndarray, np.ndarray], np.ndarray], y: np.ndarray | float) -> Tri:
    yv = np.broadcast_to(np.asarray(y, dtype=float), x.shape)
    with np.errstate(invalid="ignore"):
        out = op(x, yv).astype(float)
    out[np.isnan(x) | np.isnan(yv)] = np.nan
    return out


def _and(*terms: Tri) -> Tri:
    out = terms[0].copy()
    for t in terms[1:]:
        false = (out == 0) | (t == 0)
        out *= t  # 1 * 1 = 1; anything with a missing value is missing...
        out[false] = 0.0  # ...unless one side is false
    return out


def _const(value: bool, n: int) -> Tri:
    return np.full(n, 1.0 if value else 0.0)


class Coded:
    """A column of strings as codes into a short list of outcomes (the last one None: missing)."""

    def __init__(self, codes: np.ndarray, outcomes: list[str | None]) -> None:
        self.codes = codes.astype(np.int32, copy=False)
        self.outcomes = outcomes

    def eq(self, text: str) -> Tri:
        """``column == "text"`` (missing stays missing)."""
        out = (self.codes == self.outcomes.index(text)).astype(float)
        out[self.codes == len(self.outcomes) - 1] = np.nan
        return out

    def masked(self, keep: np.ndarray) -> Coded:
        return Coded(np.where(keep, self.codes, len(self.outcomes) - 1), self.outcomes)

    def to_arrow(self) -> pa.Array:
        """Dictionary-encoded strings: no string is copied per row (a million rows in milliseconds)."""
        missing = len(self.outcomes) - 1
        indices = pa.array(np.where(self.codes == missing, 0, self.codes), pa.int8(), mask=self.codes == missing)
        return pa.DictionaryArray.from_arrays(indices, pa.array(self.outcomes[:-1], pa.string()))


def _if_else(cond: Tri, yes: str, no: str) -> Coded:
    return Coded(np.where(np.isnan(cond), 2, np.where(cond == 1, 0, 1)), [yes, no, None])


def _case_when(n: int, *branches: tuple[Tri, str]) -> Coded:
    outcomes = [v for _, v in branches]
    unique = list(dict.fromkeys(outcomes))
    codes = np.full(n, len(unique))
    done = np.zeros(n, dtype=bool)
    for cond, value in branches:
        hit = (cond == 1) & ~done
        codes[hit] = unique.index(value)
        done |= hit
    return Coded(codes, [*unique, None])


def r_number(x: float) -> str:
    """A number as R's ``paste`` writes it (15 significant digits, no trailing zeros)."""
    return f"{x:.15g}"


def quadratic(p: np.ndarray) -> np.ndarray:
    """INE's SE bound for a proportion: p^(2/3)/9 for p <= 0.5, (1-p)^(2/3)/9 above (NaN for p < 0 or p > 1)."""
    with np.errstate(invalid="ignore"):
        return np.where(p <= 0.5, np.power(p, 2.0 / 3.0), np.power(1.0 - p, 2.0 / 3.0)) / 9.0


Columns = dict[str, Coded | np.ndarray]


def _mask(values: Coded | np.ndarray, keep: np.ndarray) -> Coded | np.ndarray:
    if isinstance(values, np.ndarray):
        return np.where(keep, values, np.nan)
    return values.masked(keep)


def _sufficiency(x: Inputs, p: dict[str, float]) -> Columns:
    return {
        "eval_n": _if_else(_cmp(x.n, np.greater_equal, p["n"]), "sufficient sample size", "insufficient sample size"),
        "eval_df": _if_else(_cmp(x.df, np.greater_equal, p["df"]), "sufficient df", "insufficient df"),
    }


def _cv_bands(x: Inputs, lo: float, hi: float) -> Coded:
    n = len(x.n)
    return _case_when(
        n,
        (_and(_cmp(x.cv, np.less_equal, lo), _cmp(x.cv, np.greater, 0.0)), f"cv <= {r_number(lo)}"),
        (_and(_cmp(x.cv, np.greater, lo), _cmp(x.cv, np.less_equal, hi)), f"cv between {r_number(lo)} and {r_number(hi)}"),
        (_cmp(x.cv, np.greater, hi), f"cv > {r_number(hi)}"),
    )


def chile(x: Inputs, scheme: Scheme) -> Columns:
    """``assess_ine``: eval_n, eval_df, then eval_cv (CV rule) or prop_est, quadratic, eval_se (SE rule)."""
    p = dict(scheme.params)
    level, prop = ~x.prop & ~x.gap, x.prop & ~x.gap
    cols = _sufficiency(x, p)
    if level.any():
        cols["eval_cv"] = _mask(_cv_bands(x, p["cv_lower_ine"], p["cv_upper_ine"]), level)
    if prop.any():
        n = len(x.n)
        est = x.estimate
        side = _case_when(
            n,
            (_cmp(est, np.less_equal, 0.5), "<= 0.5"),
            (_and(_cmp(est, np.less, 1.0), _cmp(est, np.greater, 0.5)), "> 0.5"),
        )
        bound = np.where(est < 1, quadratic(est), np.nan)
        cols["prop_est"] = _mask(side, prop)
        cols["quadratic"] = _mask(bound, prop)
        cols["eval_se"] = _mask(_if_else(_cmp(x.se, np.less_equal, bound), "admissible SE", "high SE"), prop)
    return cols


def eclac_2020(x: Inputs, scheme: Scheme) -> Columns:
    """``assess_cepal2020``: n, ESS, unweighted count, df, (log-CV for proportions), CV."""
    p = dict(scheme.params)
    cols = {
        "eval_n": _if_else(_cmp(x.n, np.greater_equal, p["n"]), "sufficient sample size", "insufficient sample size"),
        "eval_ess": _if_else(_cmp(x.ess, np.greater_equal, p["ess"]), "sufficient ess", "insufficient ess"),
        "eval_unweighted": _if_else(
            _cmp(x.unweighted, np.greater_equal, p["unweighted"]), "sufficient cases", "insufficient cases"
        ),
        "eval_df": _if_else(_cmp(x.df, np.greater_equal, p["df"]), "sufficient df", "insufficient df"),
    }
    if (x.prop & ~x.gap).any():
        cols["eval_log_cv"] = _mask(
            _if_else(_cmp(x.log_cv, np.less_equal, p["log_cv"]), "adequate log cv", "non adequate log cv"), x.prop
        )
    cols["eval_cv"] = _if_else(_cmp(x.cv, np.less, p["cv_cepal"]), "adequate cv", "non adequate cv")
    return cols


def eclac_2023(x: Inputs, scheme: Scheme, *, domain_info: bool, low_df_justified: bool) -> Columns:
    """``assess_cepal2023``: the deff, ESS and df gates, then CV or log-CV."""
    p = dict(scheme.params)
    n = len(x.n)
    info = _const(domain_info, n)
    deff = _case_when(
        n,
        (_cmp(x.deff, np.greater_equal, 1.0), "Sufficient deff"),
        (_and(_cmp(x.deff, np.less, 1.0), info, _cmp(x.n, np.greater_equal, p["n"])), "Sufficient deff"),
        (_const(True, n), "non-reliable"),
    )
    ess = _if_else(
        _and(deff.eq("Sufficient deff"), _cmp(x.ess, np.greater_equal, p["ess"])), "Sufficient ess", "non-reliable"
    )
    ess_ok = ess.eq("Sufficient ess")
    first = _and(ess_ok, _cmp(x.df, np.greater_equal, p["df"]))
    second = _and(ess_ok, _cmp(x.df, np.less, p["df"]), info, _const(low_df_justified, n))
    inner = _if_else(second, "Sufficient df", "non-reliable")  # codes: 0 sufficient, 1 non-reliable, 2 missing
    df = Coded(np.where(np.isnan(first), 2, np.where(first == 1, 0, inner.codes)), inner.outcomes)
    cols: Columns = {"eval_deff": deff, "eval_ess": ess, "eval_df": df}
    level, prop = ~x.prop & ~x.gap, x.prop & ~x.gap
    if level.any():
        lo, hi = p["cv_lower_cepal"], p["cv_upper_cepal"]
        bands = _case_when(
            n,
            (_cmp(x.cv, np.greater, hi), f"cv > {r_number(hi)}"),
            (_and(_cmp(x.cv, np.greater, lo), _cmp(x.cv, np.less_equal, hi)),
             f"cv between {r_number(lo)} and {r_number(hi)}"),
            (_cmp(x.cv, np.less_equal, lo), f"cv <= {r_number(lo)}"),
        )
        cols["eval_cv"] = _mask(bands, level)
    if prop.any():
        m = p["cvlog_max"]
        logs = _case_when(
            n,
            (_cmp(x.log_cv, np.less_equal, m), f"log_cv <= {r_number(m)}"),
            (_cmp(x.log_cv, np.greater, m), f"log_cv > {r_number(m)}"),
        )
        cols["eval_log_cv"] = _mask(logs, prop)
    return cols


def chile_economics(x: Inputs, scheme: Scheme) -> Columns:
    """``assess_economicas``: compliance rate n / n_obj, n, df, then CV or the SE rule."""
    p = dict(scheme.params)
    rate = x.compliance
    cols: Columns = {
        "compliance_rate": rate,
        "eval_n": _if_else(_cmp(x.n, np.greater_equal, p["n"]), "sufficient sample size", "insufficient sample size"),
        "eval_compliance_rate": Coded(np.where(rate >= 1, 0, 1), ["sufficient rate", "insufficient rate", None]),
        "eval_df": _if_else(_cmp(x.df, np.greater_equal, p["df"]), "sufficient df", "insufficient df"),
    }
    level, prop = ~x.prop & ~x.gap, x.prop & ~x.gap
    if level.any():
        cols["eval_cv"] = _mask(_cv_bands(x, p["cv_lower_econ"], p["cv_upper_econ"]), level)
    if prop.any():
        admissible = _cmp(x.se, np.less_equal, quadratic(x.estimate)) == 1  # calidad: anything else is "high SE"
        cols["eval_se"] = _mask(Coded(np.where(admissible, 0, 1), ["admissible SE", "high SE", None]), prop)
    return cols


def to_arrow_columns(cols: Columns, keep: np.ndarray) -> dict[str, pa.Array]:
    """The criteria as Arrow columns, null on the rows not in ``keep`` (gap rows)."""
    out = {}
    for name, values in cols.items():
        if isinstance(values, np.ndarray):
            out[name] = pa.array(np.where(keep, values, np.nan), pa.float64(), from_pandas=True)
        else:
            out[name] = values.masked(keep).to_arrow()
    return out
