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
  by the same quantile rule (R ``svyquantile``, survey >= 4.0); score
  intervals (Francisco and Fuller 1991): the values whose score test of
  ``F(theta) = p`` is not rejected, found by Brent's root finder as R's
  ``uniroot``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist

import numpy as np


def t_quantile(level: float, df: np.ndarray | float) -> np.ndarray:
    """Two-sided critical value ``t_{df, 1 - (1-level)/2}``; normal for infinite df, NaN for df <= 0."""
    return student_quantile(1 - (1 - level) / 2, df)


# ---- Student t quantiles ---------------------------------------------------------------------
# Every interval needs them. SciPy has them (``special.stdtrit``), but importing scipy.special
# costs more than a whole estimate on a census-size Parquet file (it imports numpy's testing and
# f2py packages): 0.14 s of 0.85 s per process. So the quantile is solved here, in log t by
# Newton's method on the exact upper tail, which is the regularized incomplete beta function
# (continued fraction, modified Lentz); for df >= 10,000 the Cornish-Fisher expansion to df^-4
# (Abramowitz and Stegun 26.7.5) is exact to double precision. Tests hold it to SciPy's values.

_LOG_SQRT_PI = 0.5 * math.log(math.pi)
_TINY = 1e-300
_CACHE: dict[tuple[float, float], float] = {}


def student_quantile(q: float, df: np.ndarray | float) -> np.ndarray:
    """Quantile ``q`` of Student's t with ``df`` degrees of freedom (normal for infinite df, NaN for df <= 0)."""
    df = np.asarray(df, dtype=float)
    flat = df.ravel()
    if not 0 < q < 1:
        return np.full(df.shape, np.nan)
    if q < 0.5:
        return -student_quantile(1 - q, df)
    keys = np.unique(flat[~np.isnan(flat)])
    todo = np.array([v for v in keys if (q, float(v)) not in _CACHE])
    if todo.size:
        for v, t in zip(todo, _solve(q, todo), strict=True):
            _CACHE[(q, float(v))] = float(t)
    out = np.array([_CACHE.get((q, float(v)), np.nan) for v in flat])
    return out.reshape(df.shape)


def _solve(q: float, nu: np.ndarray) -> np.ndarray:
    z = NormalDist().inv_cdf(q)
    out = np.full(nu.shape, np.nan)
    out[np.isposinf(nu)] = z
    if q == 0.5:
        out[nu > 0] = 0.0
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        expansion = np.asarray(z + sum(g / nu**k for k, g in enumerate(_cornish_fisher(z), start=1)), dtype=float)
    out[(nu >= 1e4) & np.isfinite(nu)] = expansion[(nu >= 1e4) & np.isfinite(nu)]
    small = (nu > 0) & (nu < 1e4)
    if small.any():
        v = nu[small]
        start = np.where(v >= 10, expansion[small], z)  # z is below the quantile: Newton climbs to it
        start = np.where(v == 1, math.tan(math.pi * (q - 0.5)), start)
        start = np.where(v == 2, (2 * q - 1) / math.sqrt(2 * q * (1 - q)), start)
        out[small] = _newton(q, v, start)
    return out


def _cornish_fisher(z: float) -> tuple[float, float, float, float]:
    return (
        (z**3 + z) / 4,
        (5 * z**5 + 16 * z**3 + 3 * z) / 96,
        (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
        (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160,
    )


def _newton(q: float, v: np.ndarray, t: np.ndarray) -> np.ndarray:
    a = v / 2
    lbeta = np.array([math.lgamma(x) - math.lgamma(x + 0.5) for x in a]) + _LOG_SQRT_PI
    log_t = np.log(t)  # the unknown is log t: the tail is heavy, and t itself may pass 1e150
    active = np.ones(len(v), dtype=bool)
    for _ in range(100):
        idx = np.flatnonzero(active)
        if not idx.size:
            break
        lt, va = log_t[idx], v[idx]
        s = 2 * lt - np.log(va)  # log(t^2 / nu)
        log_ft = lt - lbeta[idx] - 0.5 * np.log(va) - (va + 1) / 2 * np.logaddexp(0, s)  # log(density * t)
        step = _excess_tail(s, va, lbeta[idx], q) / np.exp(log_ft)
        log_t[idx] = lt + step
        # Newton converges quadratically: after a step of 1e-9 the error is far below 1e-15
        active[idx[~(np.abs(step) > 1e-9)]] = False
    out: np.ndarray = np.exp(log_t)
    return out


def _excess_tail(s: np.ndarray, nu: np.ndarray, lbeta: np.ndarray, q: float) -> np.ndarray:
    """P(T > t) - (1 - q) for t > 0 given s = log(t^2 / nu), from the regularized incomplete beta.

    P(T > t) = I_x(nu/2, 1/2) / 2 with x = nu / (nu + t^2); where x is large the fraction
    converges for the complement, P(0 < T < t) = I_{1-x}(1/2, nu/2) / 2, which is then
    compared with q - 1/2 (no difference of nearly equal numbers near the centre).
    """
    a = nu / 2
    log_x = -np.logaddexp(0, s)
    log_y = s + log_x  # log(1 - x), without cancellation
    x, y = np.exp(log_x), np.exp(log_y)
    front = np.exp(a * log_x + 0.5 * log_y - lbeta)
    direct = x < (a + 1) / (a + 1.5)
    out = np.empty_like(s)
    if direct.any():
        tail = front[direct] * _beta_fraction(a[direct], np.full(direct.sum(), 0.5), x[direct]) / a[direct] / 2
        out[direct] = tail - (1 - q)
    rest = ~direct
    if rest.any():
        centre = front[rest] * _beta_fraction(np.full(rest.sum(), 0.5), a[rest], y[rest])
        out[rest] = (q - 0.5) - centre
    return out


def _beta_fraction(a: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Continued fraction of the regularized incomplete beta function (modified Lentz)."""
    qab, qap, qam = a + b, a + 1, a - 1
    c = np.ones_like(x)
    d = 1 / _nonzero(1 - qab * x / qap)
    h = d.copy()
    for m in range(1, 5_000):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1 / _nonzero(1 + aa * d)
            c = _nonzero(1 + aa / c)
            delta = d * c
            h *= delta
        if np.all(np.abs(delta - 1) < 1e-15):
            break
    return h


def _nonzero(v: np.ndarray) -> np.ndarray:
    return np.where(np.abs(v) < _TINY, _TINY, v)


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
            from scipy import special  # the inverse incomplete beta: only for these intervals

            nm1 = np.where(n > 1, n - 1, np.nan)
            rat = (student_quantile(alpha / 2, nm1) / student_quantile(alpha / 2, df)) ** 2
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


def _qs(x: np.ndarray, cumw: np.ndarray, p: float, increasing: bool = False) -> tuple[int, int, float]:
    total = cumw[-1]
    if increasing:  # the last running sum at or below p * total, by binary search
        pos = max(int(np.searchsorted(cumw, p * total, side="right")) - 1, 0)
    else:
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


def weighted_sample(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted ``x`` and weights ``w`` without the rows of weight 0, and the weights' running sums: what
    :func:`quantile_rule` reads, made once for a domain's several quantiles (its estimate and interval)."""
    keep = w != 0
    if not keep.all():
        x, w = x[keep], w[keep]
    return x, w, np.cumsum(w)


def quantile_rule(rule: str, x: np.ndarray, w: np.ndarray, p: float,
                  sample: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None, increasing: bool = False) -> float:
    """The quantile ``p`` of sorted ``x`` with weights ``w`` under a named rule (as R's ``qrule_*``);
    ``sample``: :func:`weighted_sample` of the same ``x`` and ``w``, made beforehand; ``increasing``: the
    weights are not negative (their running sums never decrease, so a binary search finds a place)."""
    x, w, cumw = sample if sample is not None else weighted_sample(x, w)
    n = len(x)
    if n == 0 or not np.isfinite(p) or p < 0 or p > 1:
        return float("nan")
    if rule in ("math", "hf1"):
        pos, nxt, wlow = _qs(x, cumw, p, increasing)
        return float(x[pos] if wlow == 0 else x[nxt])
    if rule in ("school", "hf2"):
        pos, nxt, wlow = _qs(x, cumw, p, increasing)
        return float((x[pos] + x[nxt]) / 2 if wlow == 0 else x[nxt])
    if rule == "hf3":
        ux, inv = np.unique(x, return_inverse=True)
        uw = np.bincount(inv, weights=w)
        cw = np.cumsum(uw)
        pos, nxt, wlow = _qs(ux, cw, p, increasing)
        return float(ux[pos] if (wlow == 0 and (pos + 1) % 2 == 0) else ux[nxt])
    if rule == "hf4":
        pos, nxt, wlow = _qs(x, cumw, p, increasing)
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


def brent_root(f: Callable[[float], float], lower: float, upper: float, f_lower: float, f_upper: float, tol: float, maxiter: int = 1000) -> float:
    """A root of ``f`` in [lower, upper] by Brent's method (Brent 1973, the ``zeroin`` algorithm).

    Steps as R's ``uniroot`` takes them (bisection, secant and inverse quadratic interpolation,
    with the same acceptance tests and tolerance ``2 eps |b| + tol / 2``), so that on a step
    function such as a score statistic of sample quantiles it stops where R stops.
    """
    eps = np.finfo(float).eps
    a, b, fa, fb = lower, upper, f_lower, f_upper
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(maxiter + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * eps * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b
