"""Benchmarking: area estimates that add up to the reliable direct estimate of the larger area.

For means and proportions, with weights ``w_d`` normalised to sum to one over every area of the
larger area (sampled or not; their population shares) and the larger area's estimate ``T``:

* ``"ratio"``: ``theta_d * T / sum w_d theta_d``;
* ``"raking"`` (additive; Datta et al. 2011): ``theta_d + (T - sum w_d theta_d)``.

For totals the areas' estimates themselves add up: ``"ratio"`` is ``theta_d * T / sum theta_d``
and ``"raking"`` shares the difference ``T - sum theta_d`` out in proportion to the weights
(population sizes; equal shares without them).

Either way the benchmarked estimates aggregate to ``T`` exactly. The benchmarked estimate's MSE is the
EBLUP's plus the square of its adjustment (the leading extra term of Steorts and Ghosh 2013);
it is an approximation, and the result says so.
"""

from __future__ import annotations

import numpy as np

from corridor.errors import InputError
from corridor.i18n import Message

KINDS = ("raking", "ratio")


def benchmark(kind: str, estimate: np.ndarray, weights: np.ndarray, target: float, *, total: bool
              ) -> np.ndarray:
    if kind not in KINDS:
        raise InputError(Message("sae.error.benchmark_unknown", kind=repr(kind)), hint=Message("sae.error.benchmark_unknown.hint"))
    if not np.isfinite(target):
        raise InputError(Message("sae.error.benchmark_target", target=repr(target)),
                         hint=Message("sae.error.benchmark_target.hint"))
    if np.any(~np.isfinite(weights)) or np.any(weights < 0) or not weights.sum() > 0:
        raise InputError(Message("sae.error.benchmark_weights"), hint=Message("sae.error.benchmark_weights.hint"))
    out = _adjust(kind, estimate, weights, target, total)
    # one refinement pass: the first leaves a rounding residual of the estimates' magnitude
    return out + (target - _aggregate(out, weights, total)) * (_share(weights) if total else 1.0)


def _share(weights: np.ndarray) -> np.ndarray:
    return weights / weights.sum()


def _aggregate(estimate: np.ndarray, weights: np.ndarray, total: bool) -> float:
    return float(np.sum(estimate)) if total else float(np.sum(_share(weights) * estimate))


def _adjust(kind: str, estimate: np.ndarray, weights: np.ndarray, target: float, total: bool) -> np.ndarray:
    aggregate = _aggregate(estimate, weights, total)
    if kind == "ratio":
        if aggregate == 0:
            raise InputError(Message("sae.error.benchmark_ratio_zero"), hint=Message("sae.error.benchmark_ratio_zero.hint"))
        return estimate * (target / aggregate)
    return estimate + (target - aggregate) * (_share(weights) if total else 1.0)
