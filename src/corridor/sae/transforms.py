"""Transformed Fay-Herriot models: the model is fitted to h(direct) and its predictions are taken back.

* ``"arcsin"`` (proportions): ``h(p) = asin(sqrt(p))``, whose sampling variance is about
  ``1 / (4 n_eff)`` whatever p (``n_eff = p(1-p) / var``, the effective sample size), so the
  model's variances depend on the sample sizes only; p = ``sin^2(theta)``.
* ``"log"`` (positive means and totals): ``h(y) = log y`` with variance ``var / y^2`` (delta
  method); ``y = exp(theta)``.

Back-transformation (``backtransform``):

* ``"bias-corrected"`` (default): the mean of the back-transformed value over the normal
  distribution of theta given the data under the fitted model, ``theta ~ N(EBLUP, g1)``
  (``N(x'beta, A)`` without a sample): ``E[sin^2 theta] = (1 - exp(-2 s^2) cos 2m) / 2`` and
  ``E[exp theta] = exp(m + s^2/2)``, closed forms; the bias of a naive back-transformation grows
  with the shrinkage, the bias of this one does not (Slud and Maiti 2006 for the log case).
* ``"naive"``: ``h^-1(EBLUP)``.

MSEs of transformed models come from the parametric bootstrap (:mod:`corridor.sae.bootstrap`).
"""

from __future__ import annotations

import numpy as np

from corridor.errors import InputError
from corridor.i18n import Message

TRANSFORMS = (None, "arcsin", "log")
BACKTRANSFORMS = ("bias-corrected", "naive")


def forward(kind: str | None, y: np.ndarray, var: np.ndarray, areas: list[str], *, pooled_p: float | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """The transformed direct estimates and their sampling variances (sampled areas only)."""
    if kind is None:
        return y, var
    if kind == "arcsin":
        bad = [a for a, v in zip(areas, y, strict=True) if not 0 <= v <= 1]
        if bad:
            raise InputError(Message("sae.error.arcsin_range", areas=", ".join(map(repr, bad[:10]))),
                             hint=Message("sae.error.arcsin_range.hint"))
        p = np.where((y > 0) & (y < 1), y, np.nan if pooled_p is None else pooled_p)
        missing = [a for a, v in zip(areas, p, strict=True) if np.isnan(v)]
        if missing:
            raise InputError(Message("sae.error.arcsin_01", areas=", ".join(map(repr, missing[:10]))),
                             hint=Message("sae.error.arcsin_01.hint"))
        return np.arcsin(np.sqrt(y)), var / (4 * p * (1 - p))
    if kind == "log":
        bad = [a for a, v in zip(areas, y, strict=True) if not v > 0]
        if bad:
            raise InputError(Message("sae.error.log_positive", areas=", ".join(map(repr, bad[:10]))),
                             hint=Message("sae.error.log_positive.hint"))
        return np.log(y), var / y**2
    raise InputError(Message("sae.error.transform_unknown", kind=repr(kind)), hint=Message("sae.error.transform_unknown.hint"))


def backward(kind: str | None, theta: np.ndarray, s2: np.ndarray | float, how: str = "bias-corrected") -> np.ndarray:
    """From the model scale back to the estimate's scale (``s2``: the variance of theta given the data)."""
    if kind is None:
        return theta
    if how == "naive":
        s2 = 0.0
    if kind == "arcsin":
        return 0.5 * (1.0 - np.exp(-2.0 * np.asarray(s2)) * np.cos(2.0 * theta))
    return np.exp(theta + 0.5 * np.asarray(s2))


def inverse(kind: str | None, theta: np.ndarray) -> np.ndarray:
    """``h^-1`` itself (for true values and interval ends)."""
    if kind is None:
        return theta
    if kind == "arcsin":
        return np.sin(np.clip(theta, 0.0, np.pi / 2)) ** 2
    return np.exp(theta)
