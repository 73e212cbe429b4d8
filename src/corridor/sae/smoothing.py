"""Smoothed sampling variances for areas whose direct variance cannot be trusted (tiny n).

A direct variance from a handful of respondents is itself a noisy estimate, and is zero when
they all answer alike; the Fay-Herriot model treats it as known, so it needs a steadier one.

* ``"deff"`` (proportions): ``psi_d = deff * p(1 - p) / n_d`` with a pooled design effect
  ``deff = sum n_d deff_d / sum n_d`` and the pooled proportion ``p = sum n_d p_d / sum n_d``
  over the areas the pooling uses (the areas' own ``deff`` column when the table has one, else
  ``var_d / (p_d (1 - p_d) / n_d)``). Using the pooled p, not the area's own, keeps ``psi`` free
  of the area's sampling error, which would otherwise pull the model towards areas whose
  estimate happens to be small.
* ``"gvf"`` (any estimand): a generalized variance function ``log var_d = a + b log n_d``
  fitted by least squares over the areas it pools, then ``psi_d = exp(a + b log n_d)``
  times Duan's smearing factor (the mean of the exponentiated residuals), which undoes the
  downward bias of exponentiating a fitted log.

With ``below_n`` only areas with ``n_d < below_n`` are smoothed, and the pooling uses the others;
without it every area is smoothed and every area with a usable variance is pooled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from corridor.errors import InputError
from corridor.i18n import Message

KINDS = ("deff", "gvf")


@dataclass
class Smoothed:
    variance: np.ndarray
    smoothed: np.ndarray  # bool per area
    info: dict[str, float | int | str] = field(default_factory=dict)


def smooth(
    kind: str,
    estimate: np.ndarray,
    variance: np.ndarray,
    n: np.ndarray,
    deff: np.ndarray,
    *,
    estimand: str | None,
    below_n: float | None = None,
) -> Smoothed:
    if kind not in KINDS:
        raise InputError(Message("sae.error.smoothing_unknown", kind=repr(kind)), hint=Message("sae.error.smoothing_unknown.hint"))
    sampled = ~np.isnan(estimate)
    if np.isnan(n[sampled]).any():
        raise InputError(Message("sae.error.smoothing_needs_n"), hint=Message("sae.error.smoothing_needs_n.hint"))
    target = sampled & ((n < below_n) if below_n is not None else np.ones_like(sampled))
    pool = sampled & ((n >= below_n) if below_n is not None else np.ones_like(sampled))
    out = variance.copy()
    if kind == "deff":
        if estimand not in ("proportion", None) or np.any((estimate[sampled] < 0) | (estimate[sampled] > 1)):
            raise InputError(Message("sae.error.deff_proportions"), hint=Message("sae.error.deff_proportions.hint"))
        p = estimate
        with np.errstate(divide="ignore", invalid="ignore"):
            own = np.where(np.isnan(deff), variance / (p * (1 - p) / n), deff)
        usable = pool & np.isfinite(own) & (own > 0) & (n > 0)
        if usable.sum() < 1:
            raise InputError(Message("sae.error.deff_none"), hint=Message("sae.error.deff_none.hint"))
        d_bar = float(np.sum(n[usable] * own[usable]) / np.sum(n[usable]))
        p_bar = float(np.sum(n[usable] * p[usable]) / np.sum(n[usable]))
        if not 0 < p_bar < 1:
            raise InputError(Message("sae.error.pooled_p", p=float(p_bar)), hint=Message("sae.error.pooled_p.hint"))
        out[target] = d_bar * p_bar * (1 - p_bar) / n[target]
        info: dict[str, float | int | str] = {"kind": "deff", "deff": d_bar, "p": p_bar, "pooled_areas": int(usable.sum())}
    else:
        usable = pool & np.isfinite(variance) & (variance > 0) & (n >= 2)
        if usable.sum() < 3:
            raise InputError(Message("sae.error.gvf_areas", n=int(usable.sum())), hint=Message("sae.error.gvf_areas.hint"))
        x = np.log(n[usable])
        z = np.log(variance[usable])
        design = np.column_stack([np.ones_like(x), x])
        coef, *_ = np.linalg.lstsq(design, z, rcond=None)
        resid = z - design @ coef
        smear = float(np.mean(np.exp(resid)))
        out[target] = np.exp(coef[0] + coef[1] * np.log(n[target])) * smear
        info = {"kind": "gvf", "intercept": float(coef[0]), "slope_log_n": float(coef[1]), "smearing": smear,
                "pooled_areas": int(usable.sum())}
    if below_n is not None:
        info["below_n"] = float(below_n)
    return Smoothed(variance=out, smoothed=target, info=info)
