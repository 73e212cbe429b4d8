"""The decision rules of each quality scheme, on numpy arrays.

Each rule set transcribes the ``case_when`` chains of ``calidad`` 0.8.x
(``assess_ine``, ``assess_cepal2023``, ``assess_cepal2020``,
``assess_economicas`` in ``R/evaluate_internal.R``) with R's missing-value semantics: a comparison with
a missing value is not true, rules are tried in order and the first true one
decides. Where ``calidad`` reaches no rule its label is ``NA``; here the
quality is then null and ``quality_reason`` says why (a missing input, or the
gap in the rules, e.g. ``cv<=0``). See ``docs/quality.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from corridor.quality.schemes import (
    NON_RELIABLE,
    PUBLISH,
    RELIABLE,
    REVIEW,
    SUPPRESS,
    WEAKLY_RELIABLE,
    Scheme,
)


@dataclass
class Inputs:
    """Per-row inputs of the rules (float64, NaN where missing).

    ``prop`` marks the rows judged by the proportion rule (SE rule for INE,
    log-CV for ECLAC); the others are judged by their CV. The rules label
    ``gap`` rows too; :func:`corridor.quality.assess` replaces those labels.
    """

    estimate: np.ndarray
    se: np.ndarray
    cv: np.ndarray
    n: np.ndarray
    df: np.ndarray
    deff: np.ndarray
    ess: np.ndarray
    unweighted: np.ndarray
    log_cv: np.ndarray
    prop: np.ndarray
    compliance: np.ndarray  # n / n_obj (INE's economic standard), NaN where unknown
    gap: np.ndarray  # gaps between domains: judged by corridor.quality.gaps, not here


class Decision:
    """Rules tried in order; the first true one decides a row."""

    def __init__(self, n_rows: int) -> None:
        self.index = np.full(n_rows, -1, dtype=np.int32)
        self.outcomes: list[tuple[str | None, str]] = []

    def rule(self, mask: np.ndarray, quality: str | None, reason: str) -> None:
        """Rows not yet decided where ``mask`` holds get (quality, reason)."""
        k = len(self.outcomes)
        self.outcomes.append((quality, reason))
        self.index[(self.index < 0) & mask] = k

    def missing(self, scope: np.ndarray, quality: str | None, **inputs: np.ndarray) -> None:
        """Undecided rows of ``scope`` with a missing input: ``missing:<name>``."""
        for name, values in inputs.items():
            self.rule(scope & np.isnan(values), quality, f"missing:{name}")

    def done(self) -> bool:
        return bool((self.index >= 0).all())


def _g(x: float) -> str:
    return f"{x:g}"


def chile(x: Inputs, scheme: Scheme) -> Decision:
    """INE Chile 2020 as ``calidad::assess(scheme = "chile")``.

    Level estimates (means, totals, sizes, quantiles, differences and ratios
    judged by CV): rows missing n, df or CV are not assessed (``calidad``
    drops them); n < 60 or df < 9 or CV > 0.30 is non-reliable; CV <= 0.15
    reliable; 0.15 < CV <= 0.30 weakly reliable; CV <= 0 has no rule.
    Proportions: n < 60 or df < 9 is non-reliable; otherwise reliable when
    SE <= p^(2/3)/9 (p <= 0.5) or SE <= (1-p)^(2/3)/9 (0.5 < p < 1), weakly
    reliable when above; p >= 1 or p < 0 has no rule.
    """
    p = scheme.params
    n_min, df_min, lo, hi = p["n"], p["df"], p["cv_lower_ine"], p["cv_upper_ine"]
    d = Decision(len(x.n))
    level = ~x.prop
    d.missing(level, None, n=x.n, df=x.df, cv=x.cv)
    few_n, few_df = x.n < n_min, x.df < df_min
    ok = (x.n >= n_min) & (x.df >= df_min)
    d.rule(few_n, NON_RELIABLE, f"n<{_g(n_min)}")
    d.rule(few_df, NON_RELIABLE, f"df<{_g(df_min)}")
    d.rule(level & (x.cv > hi), NON_RELIABLE, f"cv>{_g(hi)}")
    d.rule(level & ok & (x.cv > 0) & (x.cv <= lo), RELIABLE, f"cv<={_g(lo)}")
    d.rule(level & ok & (x.cv > lo) & (x.cv <= hi), WEAKLY_RELIABLE, f"{_g(lo)}<cv<={_g(hi)}")
    d.rule(level, None, "cv<=0")

    est = x.estimate
    low = est <= 0.5
    high = (est > 0.5) & (est < 1)
    with np.errstate(invalid="ignore"):
        bound = np.where(low, np.power(est, 2.0 / 3.0), np.power(1.0 - est, 2.0 / 3.0)) / 9.0
    bound = np.where(est >= 0, bound, np.nan)
    prop_ok = x.prop & ok
    d.rule(prop_ok & low & (x.se <= bound), RELIABLE, "se<=p^(2/3)/9")
    d.rule(prop_ok & low & (x.se > bound), WEAKLY_RELIABLE, "se>p^(2/3)/9")
    d.rule(prop_ok & high & (x.se <= bound), RELIABLE, "se<=(1-p)^(2/3)/9")
    d.rule(prop_ok & high & (x.se > bound), WEAKLY_RELIABLE, "se>(1-p)^(2/3)/9")
    d.missing(x.prop, None, n=x.n, df=x.df, estimate=x.estimate, se=x.se)
    d.rule(x.prop & (est >= 1), None, "p>=1")
    d.rule(x.prop, None, "p<0")
    return d


def _eclac_2023_gates(
    x: Inputs, scheme: Scheme, domain_info: bool, low_df_justified: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = scheme.params
    deff_ok = (x.deff >= 1) | ((x.deff < 1) & domain_info & (x.n >= p["n"]))
    ess_ok = deff_ok & (x.ess >= p["ess"])
    df_ok = (ess_ok & (x.df >= p["df"])) | (ess_ok & (x.df < p["df"]) & domain_info & low_df_justified)
    return deff_ok, ess_ok, df_ok


def eclac_2023(
    x: Inputs, scheme: Scheme, *, domain_info: bool = False, low_df_justified: bool = False
) -> Decision:
    """ECLAC 2023 as ``calidad::assess(scheme = "eclac_2023")``.

    Gates, in order: deff >= 1 (or deff < 1 with ``domain_info`` and
    n >= 100); ESS >= 60; df >= 9 (or df < 9 with ``domain_info`` and
    ``low_df_justified``). Then, for level estimates: CV > 0.30 non-reliable;
    0.20 < CV <= 0.30 weakly reliable if the unweighted count >= 30;
    CV <= 0.20 reliable if the count >= 50, weakly reliable if 30-49. For
    proportions, log-CV = SE / (-ln(p) p) <= 0.175 follows the same count
    tiers; log-CV > 0.175 is weakly reliable only for p >= 0.5 with count >= 30.
    Anything else, missing inputs included, is non-reliable.
    """
    p = scheme.params
    a, b = p["CCNP_a"], p["CCNP_b"]
    lo, hi, lmax = p["cv_lower_cepal"], p["cv_upper_cepal"], p["cvlog_max"]
    d = Decision(len(x.n))
    deff_ok, ess_ok, df_ok = _eclac_2023_gates(x, scheme, domain_info, low_df_justified)
    unw = x.unweighted
    tier_b, tier_ab, tier_a = unw >= b, (unw < b) & (unw >= a), unw < a

    level = df_ok & ~x.prop
    d.rule(level & (x.cv > hi), NON_RELIABLE, f"cv>{_g(hi)}")
    mid = level & (x.cv > lo) & (x.cv <= hi)
    d.rule(mid & (unw < a), NON_RELIABLE, f"unweighted<{_g(a)}")
    d.rule(mid & (unw >= a), WEAKLY_RELIABLE, f"{_g(lo)}<cv<={_g(hi)}")
    good = level & (x.cv <= lo)
    d.rule(good & tier_b, RELIABLE, f"cv<={_g(lo)}")
    d.rule(good & tier_ab, WEAKLY_RELIABLE, f"unweighted<{_g(b)}")
    d.rule(good & tier_a, NON_RELIABLE, f"unweighted<{_g(a)}")

    prop = df_ok & x.prop & ~np.isnan(x.estimate)
    fine = prop & (x.log_cv <= lmax)
    d.rule(fine & tier_b, RELIABLE, f"log_cv<={_g(lmax)}")
    d.rule(fine & tier_ab, WEAKLY_RELIABLE, f"unweighted<{_g(b)}")
    d.rule(fine & tier_a, NON_RELIABLE, f"unweighted<{_g(a)}")
    coarse_high = prop & (x.estimate >= 0.5) & (x.log_cv > lmax)
    d.rule(coarse_high & (unw >= a), WEAKLY_RELIABLE, f"log_cv>{_g(lmax)}")
    d.rule(coarse_high & (unw < a), NON_RELIABLE, f"unweighted<{_g(a)}")
    d.rule(prop & (x.log_cv > lmax), NON_RELIABLE, f"log_cv>{_g(lmax)}")

    # Everything below is calidad's catch-all "non-reliable"; the reason names the failing gate.
    every = np.ones(len(x.n), dtype=bool)
    d.rule(~deff_ok & (x.deff < 1), NON_RELIABLE, "deff<1")
    d.missing(~deff_ok, NON_RELIABLE, deff=x.deff)
    d.rule(deff_ok & ~ess_ok & (x.ess < p["ess"]), NON_RELIABLE, f"ess<{_g(p['ess'])}")
    d.missing(deff_ok & ~ess_ok, NON_RELIABLE, ess=x.ess)
    d.rule(ess_ok & ~df_ok & (x.df < p["df"]), NON_RELIABLE, f"df<{_g(p['df'])}")
    d.missing(ess_ok & ~df_ok, NON_RELIABLE, df=x.df)
    d.missing(every, NON_RELIABLE, unweighted=unw)
    d.missing(~x.prop, NON_RELIABLE, cv=x.cv)
    d.missing(x.prop, NON_RELIABLE, estimate=x.estimate, log_cv=x.log_cv)
    d.rule(every, NON_RELIABLE, "no_rule")
    return d


def eclac_2020(x: Inputs, scheme: Scheme) -> Decision:
    """ECLAC 2020 as ``calidad::assess(scheme = "eclac_2020")``.

    Suppress when n < 100, ESS < 140 or the unweighted count < 50 (and, for
    proportions, log-CV > 0.175); otherwise review when df < 9 (and, for
    proportions, CV >= 0.20); otherwise publish when CV < 0.20. A level
    estimate with CV >= 0.20 and df >= 9 has no rule in ``calidad`` (NA).
    """
    p = scheme.params
    d = Decision(len(x.n))
    d.rule(x.n < p["n"], SUPPRESS, f"n<{_g(p['n'])}")
    d.rule(x.ess < p["ess"], SUPPRESS, f"ess<{_g(p['ess'])}")
    d.rule(x.unweighted < p["unweighted"], SUPPRESS, f"unweighted<{_g(p['unweighted'])}")
    d.rule(x.prop & (x.log_cv > p["log_cv"]), SUPPRESS, f"log_cv>{_g(p['log_cv'])}")
    d.rule(x.df < p["df"], REVIEW, f"df<{_g(p['df'])}")
    d.rule(x.prop & (x.cv >= p["cv_cepal"]), REVIEW, f"cv>={_g(p['cv_cepal'])}")
    d.rule(x.cv < p["cv_cepal"], PUBLISH, f"cv<{_g(p['cv_cepal'])}")
    every = np.ones(len(x.n), dtype=bool)
    d.missing(every, None, n=x.n, ess=x.ess, unweighted=x.unweighted, df=x.df, cv=x.cv)
    d.missing(x.prop, None, log_cv=x.log_cv)
    d.rule(every, None, f"cv>={_g(p['cv_cepal'])}")
    return d


def chile_economics(x: Inputs, scheme: Scheme, *, domain_info: bool = False) -> Decision:
    """INE Chile 2024 (economic surveys) as ``calidad::assess(scheme = "chile_economics")``.

    n < 30 is non-reliable unless ``domain_info`` and the sample recovered its
    target (n / n_obj >= 1, the compliance rate), in which case the cell is
    judged like one with enough n. Then, with df >= 9: level estimates are
    reliable for 0 < CV <= 0.20, weakly reliable for 0.20 < CV <= 0.30, and
    non-reliable otherwise (df < 9 included); proportions are reliable when
    SE <= p^(2/3)/9 (or (1-p)^(2/3)/9 above 0.5) and weakly reliable
    otherwise, df < 9 included (calidad's catch-all for proportions).
    """
    p = scheme.params
    n_min, df_min, lo, hi = p["n"], p["df"], p["cv_lower_econ"], p["cv_upper_econ"]
    d = Decision(len(x.n))
    few = x.n < n_min
    recovered = few & domain_info & (x.compliance >= 1)
    judged = (x.n >= n_min) | recovered
    df_ok = x.df >= df_min
    d.rule(few & ~recovered, NON_RELIABLE, f"n<{_g(n_min)}")
    level = ~x.prop
    good = judged & df_ok & level
    d.rule(good & (x.cv > 0) & (x.cv <= lo), RELIABLE, f"cv<={_g(lo)}")
    d.rule(good & (x.cv > lo) & (x.cv <= hi), WEAKLY_RELIABLE, f"{_g(lo)}<cv<={_g(hi)}")
    d.rule(level & (x.df < df_min), NON_RELIABLE, f"df<{_g(df_min)}")
    d.rule(level & (x.cv > hi), NON_RELIABLE, f"cv>{_g(hi)}")
    d.missing(level, NON_RELIABLE, n=x.n, df=x.df, cv=x.cv)
    d.rule(level, NON_RELIABLE, "cv<=0")

    est = x.estimate
    with np.errstate(invalid="ignore"):
        bound = np.where(est <= 0.5, np.power(est, 2.0 / 3.0), np.power(1.0 - est, 2.0 / 3.0)) / 9.0
    low = est <= 0.5
    prop_ok = x.prop & judged & df_ok
    admissible = x.se <= bound
    d.rule(prop_ok & low & admissible, RELIABLE, "se<=p^(2/3)/9")
    d.rule(prop_ok & ~low & admissible, RELIABLE, "se<=(1-p)^(2/3)/9")
    d.rule(prop_ok & low & ~admissible, WEAKLY_RELIABLE, "se>p^(2/3)/9")
    d.rule(prop_ok & ~low & ~admissible, WEAKLY_RELIABLE, "se>(1-p)^(2/3)/9")
    # calidad's catch-all for proportions is "weakly reliable"
    d.rule(x.prop & (x.df < df_min), WEAKLY_RELIABLE, f"df<{_g(df_min)}")
    d.missing(x.prop, WEAKLY_RELIABLE, n=x.n, df=x.df, estimate=x.estimate, se=x.se)
    d.rule(x.prop, WEAKLY_RELIABLE, "no_rule")
    return d
