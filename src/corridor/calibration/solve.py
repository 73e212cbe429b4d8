"""The calibration equations, solved on a small table of cells.

Every row of a cell (a combination of the calibration variables' values) has
the same calibration variables, so every sum the solvers need is a sum over
cells of ``x_p * W_p`` with ``W_p`` the design weight of the cell. The solvers
follow R's ``survey`` 4.1-1 step for step, so that results agree to rounding:

* :func:`greg` is the generalised regression (linear) calibration without
  bounds, solved in one step (R ``regcalibrate``);
* :func:`newton` is R's ``grake``: Newton steps on ``x'lambda`` for the linear
  (bounded), raking and logit distance functions, step halving when weights
  become infinite, stopping when every total's misfit divided by ``1 + |total|``
  is below ``epsilon``;
* :func:`trim` clips g-weights and spreads the clipped weight over the rest;
* :func:`ipf` is iterative proportional fitting of margins (R ``rake``), with
  its stopping rule on the change of the full table between sweeps.

Nothing here reads data: arrays in, arrays out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

CalFun = Literal["linear", "raking", "logit"]
CALFUNS: tuple[str, ...] = ("linear", "raking", "logit")
_EPS = np.finfo(float).eps
_RESCALE_ABOVE = 20.0  # R's grake rescales weights first when every total is 20 times its sample total


def fm1(calfun: str, u: np.ndarray, lower: np.ndarray | float, upper: np.ndarray | float) -> np.ndarray:
    """``g - 1`` as a function of the linear predictor ``u`` (R's ``calfun$Fm1``)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if calfun == "linear":
            return np.minimum(np.maximum(u + 1.0, lower), upper) - 1.0
        if calfun == "raking":
            return np.minimum(np.maximum(np.exp(u), lower), upper) - 1.0
        lo, hi = lower, upper
        a = (hi - lo) / ((hi - 1.0) * (1.0 - lo))
        e = np.exp(a * u)
        return (lo * (hi - 1.0) + hi * (1.0 - lo) * e) / (hi - 1.0 + (1.0 - lo) * e) - 1.0


def dfm1(calfun: str, u: np.ndarray, lower: np.ndarray | float, upper: np.ndarray | float) -> np.ndarray:
    """The derivative of :func:`fm1` (R's ``calfun$dF``, including its treatment of the bounds)."""
    with np.errstate(over="ignore", invalid="ignore"):
        inside = (u < upper - 1.0) & (u > lower - 1.0)
        if calfun == "linear":
            return inside.astype(float)
        if calfun == "raking":
            return np.where(inside, np.exp(u), 0.0)
        lo, hi = lower, upper
        a = (hi - lo) / ((hi - 1.0) * (1.0 - lo))
        e = np.exp(a * u)
        den = hi - 1.0 + (1.0 - lo) * e
        return hi * (1.0 - lo) * e * a / den - (lo * (hi - 1.0) + hi * (1.0 - lo) * e) * ((1.0 - lo) * e * a) / den**2


def ginv(m: np.ndarray, tol: float = 256 * _EPS) -> np.ndarray:
    """Moore-Penrose inverse keeping singular values above ``tol`` times the largest (as MASS::ginv).

    By SVD, as R: where a calibration stops its replicates short of the totals (the replicate SEs
    of calibrated totals are those misfits), the same decomposition gives R's rounding.
    """
    u, d, vt = np.linalg.svd(m)
    keep = d > max(tol * (d[0] if d.size else 0.0), 0.0)
    if not keep.any():
        return np.zeros(m.T.shape)
    return (vt[keep].T / d[keep]) @ u[:, keep].T


@dataclass
class Fit:
    """g-weights of the cells and how the solver got there."""

    g: np.ndarray
    coef: np.ndarray  # the Lagrange coefficients (lambda, R's eta), or IPF's last factors
    iterations: int
    gap: float  # largest misfit / (1 + |total|) (Newton); change of the full table (IPF)
    converged: bool
    detail: dict = field(default_factory=dict)


def greg(x: np.ndarray, w: np.ndarray, total: np.ndarray, sigma2: np.ndarray) -> Fit:
    """Linear calibration without bounds: ``g = 1 + x' T^-1 (t - x'w) / sigma2``, ``T = sum w x x'/sigma2``."""
    tmat = (x * (w / sigma2)[:, None]).T @ x
    try:
        lam = np.linalg.solve(tmat, total - x.T @ w)
    except np.linalg.LinAlgError:
        raise SingularError from None
    g = 1.0 + (x @ lam) / sigma2
    gap = _gap(total, x.T @ (w * g))
    return Fit(g=g, coef=lam, iterations=1, gap=gap, converged=True)


class SingularError(ArithmeticError):
    """The calibration totals are linearly dependent (some totals follow from others)."""


def _gap(total: np.ndarray, got: np.ndarray) -> float:
    return float(np.max(np.abs(total - got) / (1.0 + np.abs(total)))) if total.size else 0.0


def newton(
    x: np.ndarray,
    w: np.ndarray,
    total: np.ndarray,
    calfun: str,
    lower: np.ndarray | float,
    upper: np.ndarray | float,
    sigma2: np.ndarray,
    epsilon: float | np.ndarray,
    maxit: int,
) -> Fit:
    """R's ``grake``: Newton iterations from ``lambda = 0`` (see the module docstring)."""
    sample = x.T @ w
    eta = np.zeros(x.shape[1])
    xeta = x @ eta / sigma2
    it = 1
    scale = None
    with np.errstate(divide="ignore", invalid="ignore"):
        scales = total / sample
    if scales.size and np.min(scales) > _RESCALE_ABOVE:
        scale = float(np.mean(scales))
        w = w * scale
        sample = sample * scale
    tol = np.asarray(epsilon, dtype=float)
    failed = None
    while True:
        deriv = dfm1(calfun, xeta, lower, upper)
        tmat = (x * (w / sigma2 * deriv)[:, None]).T @ x
        misfit = total - sample - x.T @ (w * fm1(calfun, xeta, lower, upper))
        deta = ginv(tmat) @ misfit
        eta = eta + deta
        xeta = x @ eta / sigma2
        g = 1.0 + fm1(calfun, xeta, lower, upper)
        deriv = dfm1(calfun, xeta, lower, upper)
        while it < maxit and (not np.isfinite(g).all() or not np.isfinite(deriv).all()):
            it += 1
            deta = deta / 2.0
            eta = eta - deta
            xeta = x @ eta / sigma2
            g = 1.0 + fm1(calfun, xeta, lower, upper)
            deriv = dfm1(calfun, xeta, lower, upper)
        misfit = total - sample - x.T @ (w * fm1(calfun, xeta, lower, upper))
        rel = np.abs(misfit) / (1.0 + np.abs(total))
        if (rel < tol).all():
            break
        if it >= maxit:
            # R's grake counts one past maxit before it stops; the steps taken are maxit
            failed = float(np.max(rel))
            break
        it += 1
    gap = float(np.max(rel)) if rel.size else 0.0
    if scale is not None:
        g = g * scale
    worst = int(np.argmax(rel)) if rel.size else -1
    return Fit(g=g, coef=eta, iterations=it, gap=gap, converged=failed is None,
               detail={"rescaled": scale, "worst": worst})


def trim(g: np.ndarray, w: np.ndarray, low: float, high: float) -> tuple[np.ndarray, int]:
    """Clip g-weights to ``[low, high]`` and spread the clipped weight proportionally over the others.

    Returns the new g and the number of cells clipped (the totals then no longer hold exactly).
    """
    outside = (g < low) | (g > high)
    if not outside.any():
        return g, 0
    new = np.clip(g, low, high)
    cut = float(((g - new) * w).sum())
    new[~outside] = new[~outside] + cut / float(w[~outside].sum())
    return new, int(outside.sum())


@dataclass
class Margin:
    """One margin of a raking: each cell's margin cell, and the margin's population per margin cell."""

    cell: np.ndarray  # full cell -> margin cell (index into population)
    population: np.ndarray


class EmptyCellError(ValueError):
    """A margin cell with population but no sample weight (or the reverse)."""

    def __init__(self, margin: int, cell: int, kind: str) -> None:
        super().__init__(f"margin {margin} cell {cell}: {kind}")
        self.margin, self.cell, self.kind = margin, cell, kind


def poststratify_step(w: np.ndarray, margin: Margin, index: int) -> np.ndarray:
    """The factor of every full cell that makes the margin's weighted counts equal its population."""
    n_cells = len(margin.population)
    freq = np.bincount(margin.cell, weights=w, minlength=n_cells)
    pop = margin.population
    in_sample = freq != 0
    for c in np.flatnonzero(~in_sample & (pop != 0)):
        raise EmptyCellError(index, int(c), "population without sample")
    for c in np.flatnonzero(in_sample & (pop == 0)):
        raise EmptyCellError(index, int(c), "sample without population")
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(in_sample, pop / np.where(in_sample, freq, 1.0), 1.0)
    return factor[margin.cell]


def ipf(
    w: np.ndarray, margins: Sequence[Margin], epsilon: float, maxit: int, *, sweeps: int | None = None
) -> Fit:
    """Iterative proportional fitting as R's ``rake``.

    A sweep post-stratifies on each margin in turn. R's stopping rule: the largest change of the
    full table (weights of the cells) between sweeps below ``epsilon`` (an absolute weight when
    ``epsilon >= 1``, else a fraction of the sum of the design weights), at most ``maxit`` sweeps.
    ``sweeps`` runs exactly that many sweeps instead (replicates follow the full sample's count).
    ``detail["after"]`` holds each margin's weights after its step in the last sweep (the
    variance needs them).
    """
    tol = epsilon * float(w.sum()) if epsilon < 1 else float(epsilon)
    old = w.copy()
    cur = w.copy()
    done = 0
    converged = False
    delta = float("inf")
    after: list[np.ndarray] = []
    limit = sweeps if sweeps is not None else maxit
    while done < limit:
        after = []
        for i, m in enumerate(margins):
            cur = cur * poststratify_step(cur, m, i)
            after.append(cur.copy())
        delta = float(np.max(np.abs(old - cur))) if cur.size else 0.0
        done += 1
        if sweeps is None and delta < tol:
            converged = True
            break
        old = cur.copy()
    if sweeps is not None:
        converged = True
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(w != 0, cur / np.where(w != 0, w, 1.0), 1.0)
    return Fit(g=g, coef=np.zeros(0), iterations=done, gap=delta, converged=converged,
               detail={"after": after, "tolerance": tol})


def feasible(x: np.ndarray, w: np.ndarray, total: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> bool:
    """Whether some g within the bounds reproduces the totals (a linear programme on the cells)."""
    from scipy.optimize import linprog  # only when a bounded calibration failed

    a_eq = (x * w[:, None]).T
    lo = np.broadcast_to(np.asarray(lower, float), w.shape)
    hi = np.broadcast_to(np.asarray(upper, float), w.shape)
    bounds = [(None if not np.isfinite(a) else a, None if not np.isfinite(b) else b) for a, b in zip(lo, hi, strict=True)]
    scale = 1.0 + np.abs(total)
    res = linprog(np.zeros(len(w)), A_eq=a_eq / scale[:, None], b_eq=total / scale, bounds=bounds, method="highs")
    return bool(res.status == 0)
