"""Publication labels for model-based (small-area) estimates.

A model estimate has no design-based standard error, sample size gate or degrees of freedom of its
own: its uncertainty is its MSE. Its label therefore judges the **CV computed from the root MSE**,
``sqrt(MSE) / |estimate|``, against the CV thresholds of the chosen scheme, with the codes of
:mod:`corridor.quality` (so they render through ``corridor.quality.render_label`` in es/fr/en):

* ``"chile"`` (INE Chile 2020's CV limits): CV <= 0.15 reliable, <= 0.30 weakly reliable,
  otherwise non-reliable;
* ``"eclac_2023"`` (ECLAC 2023's CV limits): <= 0.20 reliable, <= 0.30 weakly reliable,
  otherwise non-reliable.

INE's and ECLAC's standards are written for direct estimates; their sample-size and
degrees-of-freedom gates measure a design-based variance estimate's own stability and do not
apply to an MSE that pools every area. Judging the root-MSE CV by the same CV limits is
corridor's rule, not a published INE rule for model estimates; every label's reason says it was
judged this way (``model_cv<=0.15``...), and the profile states it next to the table. Thresholds can be overridden with the scheme's own parameter
names.
"""

from __future__ import annotations

import numpy as np

from corridor.errors import InputError
from corridor.i18n import Message
from corridor.quality import get_scheme
from corridor.quality.schemes import NON_RELIABLE, RELIABLE, WEAKLY_RELIABLE

_LIMITS = {"chile": ("cv_lower_ine", "cv_upper_ine"), "eclac_2023": ("cv_lower_cepal", "cv_upper_cepal")}


def model_labels(estimate: np.ndarray, mse: np.ndarray, scheme: str = "chile", **params: float
                 ) -> tuple[list[str | None], list[str], np.ndarray]:
    """Quality codes, reasons and the root-MSE CVs of model estimates."""
    chosen = get_scheme(scheme, params)
    if chosen.name not in _LIMITS:
        raise InputError(Message("sae.error.scheme", scheme=repr(chosen.name)), hint=Message("sae.error.scheme.hint"))
    lower, upper = (chosen.params[k] for k in _LIMITS[chosen.name])
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.sqrt(mse) / np.abs(estimate)
    codes: list[str | None] = []
    reasons: list[str] = []
    for v in cv:
        if not np.isfinite(v):
            codes.append(None)
            reasons.append("model_cv_undefined")
        elif v <= lower:
            codes.append(RELIABLE)
            reasons.append(f"model_cv<={lower:g}")
        elif v <= upper:
            codes.append(WEAKLY_RELIABLE)
            reasons.append(f"model_cv<={upper:g}")
        else:
            codes.append(NON_RELIABLE)
            reasons.append(f"model_cv>{upper:g}")
    return codes, reasons, cv
