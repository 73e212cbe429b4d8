"""Confidence intervals, and the quantile rules that read a quantile off a weighted sample.

- Means, totals, ratios: ``estimate -/+ t(df) * se`` (Student t with the
  design's degrees of freedom; normal when df is infinite).
- Proportions (R ``svyciprop``): ``logit`` and ``xlogit`` (interval on the
  log-odds, back-transformed), ``beta`` (Korn and Graubard 1998, with the
  effective sample size corrected by ``(t(n-1)/t(df))^2``), ``wilson``
  (Wilson score with the effective sample size ``p(1-p)/var`` and a t
  quantile, as in Dean and Pagano 2015), ``wald``.
- Quantiles: Woodruff (1952) intervals: an interval for the distribution
  function at the estimated quantile, turned back into the variable's scale
  by the same quantile rule (R ``svyquantile``, survey >= 4.0).
"""

from __future__ import annotations

import numpy as np
from scipy import special


def t_quantile(level: float, df: np.ndarray | float) -> np.ndarray:
    """Two-sided critical value ``t_{df, 1 - (1-level)/2}``; normal for infinite df, NaN for df <= 0."""
    df = np.asarray(df, dtype=float)
    q = 1 - (1 - level) / 2
    with np.errstate(invalid="ignore"):
        out = np.where(np.isinf(df), special.ndtri(q), special.stdtrit(np.where(df > 0, df, np.nan), q))
    return out


def wald(est: np.ndarray, se: np.ndarray, level: float, df: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    half = t_quantile(level, df) * se
    return est - half, est + half


def proportion_ci(
    method: str, p: np.ndarray, se: np.ndarray, level: float, df: np.ndarray, n: np.ndarray,
    se_logit: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Interval for proportions ``p`` with standard errors ``se`` (see module docstring).

    ``se_logit`` replaces the delta-method standard error of the log-odds (replicate designs
    estimate it from the replicates' log-odds, as ``svyglm`` does).
    """
    p = np.asarray(p, float)
    se = np.asarray(se, float)
    tq = t_quantile(level, df)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method in ("logit", "xlogit"):
            eta = np.log(p / (1 - p))
            se_eta = se / (p * (1 - p)) if se_logit is None or method != "logit" else se_logit
            lo, hi = eta - tq * se_eta, eta + tq * se_eta
            return 1 / (1 + np.exp(-lo)), 1 / (1 + np.exp(-hi))
        if method == "wald":
            return p - tq * se, p + tq * se
        alpha = 1 - level
        n_eff = p * (1 - p) / se**2
        if method == "beta":
            nm1 = np.where(n > 1, n - 1, np.nan)
            rat = (special.stdtrit(nm1, alpha / 2) / np.where(np.isinf(df), special.ndtri(alpha / 2), special.stdtrit(np.where(df > 0, df, np.nan), alpha / 2))) ** 2
            n_eff = n_eff * rat
            lo = special.betaincinv(n_eff * p, n_eff * (1 - p) + 1, alpha / 2)
            hi = special.betaincinv(n_eff * p + 1, n_eff * (1 - p), 1 - alpha / 2)
            lo = np.where(p == 0, 0.0, lo)
            hi = np.where(p == 1, 1.0, hi)
            return lo, hi
        if method == "wilson":
            z2 = tq**2
            centre = (p + z2 / (2 * n_eff)) / (1 + z2 / n_eff)
            half = tq / (1 + z2 / n_eff) * np.sqrt(p * (1 - p) / n_eff + z2 / (4 * n_eff**2))
            return centre - half, centre + half
    raise ValueError(f"unknown proportion interval {method!r}")


# ---- quantile rules (values x sorted ascending with weights w, zero weights removed) ----


def _qs(x: np.ndarray, cumw: np.ndarray, p: float) -> tuple[int, int, float]:
    total = cumw[-1]
    below = np.flatnonzero(cumw <= p * total)
    pos = int(below[-1]) if below.size else 0
    nxt = pos if pos == len(x) - 1 else pos + 1
    wlow = p - cumw[pos] / total
    return pos, nxt, wlow


def _interp(pk: np.ndarray, x: np.ndarray, p: float, constant: bool = False) -> float:
    if p <= pk[0]:
        return float(x[0])
    if p >= pk[-1]:
        return float(x[-1])
    if constant:
        idx = np.searchsorted(pk, p, side="right") - 1
        return float(x[idx])
    # R's approx() with ties in pk keeps the mean; pk is non-decreasing here
    return float(np.interp(p, pk, x))


def quantile_rule(rule: str, x: np.ndarray, w: np.ndarray, p: float) -> float:
    """The quantile ``p`` of sorted ``x`` with weights ``w`` under a named rule (as R's ``qrule_*``)."""
    keep = w != 0
    x, w = x[keep], w[keep]
    n = len(x)
    if n == 0 or not np.isfinite(p) or p < 0 or p > 1:
        return float("nan")
    cumw = np.cumsum(w)
    if rule in ("math", "hf1"):
        pos, nxt, wlow = _qs(x, cumw, p)
        return float(x[pos] if wlow == 0 else x[nxt])
    if rule in ("school", "hf2"):
        pos, nxt, wlow = _qs(x, cumw, p)
        return float((x[pos] + x[nxt]) / 2 if wlow == 0 else x[nxt])
    if rule == "hf3":
        ux, inv = np.unique(x, return_inverse=True)
        uw = np.bincount(inv, weights=w)
        cw = np.cumsum(uw)
        pos, nxt, wlow = _qs(ux, cw, p)
        return float(ux[pos] if (wlow == 0 and (pos + 1) % 2 == 0) else ux[nxt])
    if rule == "hf4":
        pos, nxt, wlow = _qs(x, cumw, p)
        wup = cumw[nxt] / cumw[-1] - p
        gamma = wlow / (wup + wlow) if (wup + wlow) != 0 else 0.0
        return float(x[pos] * (1 - gamma) + x[nxt] * gamma)
    if n == 1:
        return float(x[0])
    total = cumw[-1]
    if rule == "hf5":
        pk = (cumw - w / 2) / total
    elif rule == "hf6":
        pk = cumw / (total + w[-1])
    elif rule == "hf7":
        pk = np.concatenate([[0.0], cumw[:-1]]) / cumw[-2]
    elif rule == "hf8":
        pk = (np.concatenate([[0.0], cumw[:-1]]) / 3 + cumw * 2 / 3) / (total + w[-1] / 3)
    elif rule == "hf9":
        pk = (np.concatenate([[0.0], cumw[:-1]]) * 3 / 8 + cumw * 5 / 8) / (total + w[-1] / 4)
    elif rule == "shahvaish":
        wbar = w / w.mean()
        pk = (np.cumsum(wbar) + 0.5 - w / 2) / (n + 1)
        return _interp(pk, x, p, constant=True)
    else:
        raise ValueError(f"unknown quantile rule {rule!r}")
    return _interp_approx(pk, x, p)


def _interp_approx(pk: np.ndarray, x: np.ndarray, p: float) -> float:
    """Linear interpolation as R's ``approx(pk, x, p, rule=2)`` (ties in pk averaged)."""
    upk, inv = np.unique(pk, return_inverse=True)
    if len(upk) < len(pk):
        ux = np.bincount(inv, weights=x) / np.bincount(inv)
        pk, x = upk, ux
    return _interp(pk, x, p)
