"""Model checks: normality of residuals and random effects, and the gain over the direct estimates.

* Normality: the standardised residuals ``(y_d - x_d' beta) / sqrt(A + psi_d)`` (N(0, 1) under
  the model) and the standardised predicted random effects ``u_d / sd(u)``, each with skewness,
  excess kurtosis and the Shapiro-Wilk test (SciPy; 3 to 5,000 areas).
* CV comparison: the direct CV and the model CV (root MSE / estimate) per sampled area, and
  their quartiles over areas; a model that does not lower the CVs is not worth its assumptions.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _moments(x: np.ndarray) -> tuple[float, float]:
    x = x[np.isfinite(x)]
    if x.size < 3 or not np.std(x) > 0:
        return float("nan"), float("nan")
    z = (x - x.mean()) / x.std()
    return float(np.mean(z**3)), float(np.mean(z**4) - 3.0)


def normality(values: np.ndarray) -> dict[str, float | int | None]:
    values = values[np.isfinite(values)]
    skew, kurt = _moments(values)
    out: dict[str, float | int | None] = {"n": int(values.size), "skewness": skew, "excess_kurtosis": kurt,
                                          "shapiro_w": None, "shapiro_p": None}
    if 3 <= values.size <= 5000 and np.ptp(values) > 0:
        from scipy.stats import shapiro

        res = shapiro(values)
        out["shapiro_w"], out["shapiro_p"] = float(res.statistic), float(res.pvalue)
    return out


def residual_checks(y: np.ndarray, synthetic: np.ndarray, eblup: np.ndarray, refvar: float, psi: np.ndarray
                    ) -> dict[str, Any]:
    resid = (y - synthetic) / np.sqrt(refvar + psi)
    u = eblup - synthetic
    sd = float(np.std(u))
    effects = u / sd if sd > 0 else np.full_like(u, np.nan)
    return {"standardized_residuals": normality(resid), "random_effects": normality(effects)}


def _summary(x: np.ndarray) -> dict[str, float]:
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {k: float("nan") for k in ("min", "q1", "median", "mean", "q3", "max")}
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    return {"min": float(x.min()), "q1": float(q1), "median": float(med), "mean": float(x.mean()),
            "q3": float(q3), "max": float(x.max())}


def cv_comparison(direct_cv: np.ndarray, model_cv: np.ndarray) -> dict[str, Any]:
    both = np.isfinite(direct_cv) & np.isfinite(model_cv)
    return {
        "direct": _summary(direct_cv),
        "model": _summary(model_cv),
        "areas_cv_lower": int(np.sum(model_cv[both] < direct_cv[both])),
        "areas_compared": int(both.sum()),
    }
