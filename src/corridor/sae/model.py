"""The Fay-Herriot area-level model: fitting the random-effect variance, EBLUPs and analytic MSEs.

Model (Fay and Herriot 1979): for area d, the direct estimate ``y_d = theta_d + e_d`` with
``e_d ~ N(0, psi_d)`` (the known sampling variance) and ``theta_d = x_d' beta + u_d`` with
``u_d ~ N(0, A)``. ``A`` is estimated by REML, ML or the Fay-Herriot moment method, by Fisher
scoring from ``A_0 = median(psi)`` as R's ``sae`` (Molina and Marhuenda 2015) does.

Everything here is numpy on vectors of length m (areas) and p x p matrices: the m x m projection
``P`` that the textbook formulas write is never built (its traces reduce to p x p products),
so a fit of thousands of areas, or the thousands of fits of a bootstrap, stay cheap.

Stopping rules (``stopping``):

* ``"sae"``: R ``sae`` 1.3's loop, step for step: iterate while the relative change
  ``|A_{k+1} - A_k| / A_k`` exceeds ``tol`` and ``k < maxit``; no truncation inside the loop;
  ``A = max(A, 0)`` at the end; not converged when ``k >= maxit`` and the change is still
  ``>= tol``. With ``tol=1e-4`` (sae's ``PRECISION``) it reproduces sae's published numbers,
  which are not the optimum (about 6e-6 relative away from it on sae's milk data).
* ``"strict"`` (the default): the same Fisher scoring, but a step that would leave ``A >= 0``
  stops at 0, and the fit has converged when the relative change is ``<= tol`` (default 1e-10)
  or ``A`` sits at 0 with a score that points below it (the boundary maximum).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

METHODS = ("REML", "ML", "FH")
STOPPING = ("strict", "sae")
DEFAULT_TOL = {"strict": 1e-10, "sae": 1e-4}


class NonConvergence(Exception):
    """Raised inside the fitting loop's callers; carries the fit that did not converge."""

    def __init__(self, fit: Fit) -> None:
        self.fit = fit
        super().__init__(f"{fit.method} did not converge in {fit.iterations} iterations (gap {fit.gap:.3g})")


@dataclass
class Fit:
    """A fitted Fay-Herriot model (on the scale of ``y``)."""

    method: str
    refvar: float  # A, the random-effect variance
    beta: np.ndarray
    cov_beta: np.ndarray  # (X' V^-1 X)^-1 at A
    iterations: int
    gap: float  # the last relative change of A (the stopping rule's quantity)
    converged: bool
    stopping: str
    tol: float
    maxit: int
    boundary: bool = False  # A estimated at 0
    loglike: float = float("nan")
    history: list[float] = field(default_factory=list)

    @property
    def n_params(self) -> int:
        return len(self.beta) + 1

    def goodness(self, m: int) -> dict[str, float]:
        """Log-likelihood (unrestricted, at A and beta, also for REML, as ``sae`` reports it), AIC, BIC, KIC."""
        k = self.n_params
        return {
            "loglike": self.loglike,
            "AIC": -2 * self.loglike + 2 * k,
            "BIC": -2 * self.loglike + k * math.log(m),
            "KIC": -2 * self.loglike + 3 * k,
        }


def _gls(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """beta and (X'WX)^-1 for weights w = 1/(A + psi)."""
    xtwx = X.T @ (w[:, None] * X)
    q = np.linalg.inv(xtwx)
    return q @ (X.T @ (w * y)), q


def _score(method: str, a: float, y: np.ndarray, X: np.ndarray, psi: np.ndarray) -> tuple[float, float]:
    """Score and expected information for A (for FH: the moment equation and its slope)."""
    w = 1.0 / (a + psi)
    beta, q = _gls(y, X, w)
    r = y - X @ beta
    m, p = X.shape
    if method == "FH":
        return float(np.sum(w * r * r) - (m - p)), float(np.sum(w))
    py = w * r  # P y
    yppy = float(py @ py)
    if method == "ML":
        return -0.5 * float(np.sum(w)) + 0.5 * yppy, 0.5 * float(np.sum(w * w))
    # REML: tr(P) and tr(PP) through p x p products
    xw2x = X.T @ ((w * w)[:, None] * X)
    xw3x = X.T @ ((w * w * w)[:, None] * X)
    qxw2x = q @ xw2x
    tr_p = float(np.sum(w)) - float(np.trace(qxw2x))
    tr_pp = float(np.sum(w * w)) - 2.0 * float(np.trace(q @ xw3x)) + float(np.sum(qxw2x * qxw2x.T))
    return -0.5 * tr_p + 0.5 * yppy, 0.5 * tr_pp


def fit(
    y: np.ndarray,
    X: np.ndarray,
    psi: np.ndarray,
    method: str = "REML",
    *,
    tol: float | None = None,
    maxit: int = 100,
    stopping: str = "strict",
) -> Fit:
    """Estimate A and beta; never raises on non-convergence (``Fit.converged`` says)."""
    y, X, psi = np.asarray(y, float), np.asarray(X, float), np.asarray(psi, float)
    tol = DEFAULT_TOL[stopping] if tol is None else float(tol)
    a = float(np.median(psi))
    if stopping == "strict" and not a > 0:
        # more than half the variances are zero: start from the spread of y instead
        a = max(float(np.var(y)), 1e-12)
    history = [a]
    k = 0
    gap = math.inf
    boundary = False
    if stopping == "sae":
        while gap > tol and k < maxit:
            k += 1
            s, f = _score(method, a, y, X, psi)
            new = a + s / f
            gap = abs((new - a) / a) if a != 0 else math.inf
            a = new
            history.append(a)
        converged = not (k >= maxit and gap >= tol)
        a = max(a, 0.0)
        boundary = a == 0.0
    else:
        a, k, gap, converged, boundary, history = _safeguarded(method, y, X, psi, a, tol, maxit)
    w = 1.0 / (a + psi)
    beta, q = _gls(y, X, w)
    r = y - X @ beta
    loglike = -0.5 * float(np.sum(np.log(2 * math.pi / w) + r * r * w))
    return Fit(method=method, refvar=a, beta=beta, cov_beta=q, iterations=k, gap=float(gap),
               converged=bool(converged), stopping=stopping, tol=tol, maxit=maxit, boundary=boundary,
               loglike=loglike, history=history)


def _safeguarded(method: str, y: np.ndarray, X: np.ndarray, psi: np.ndarray, a: float, tol: float, maxit: int
                 ) -> tuple[float, int, float, bool, bool, list[float]]:
    """Fisher scoring kept inside a bracket of the score's root (as Numerical Recipes' ``rtsafe``).

    Plain Fisher scoring oscillates when A is small next to the sampling variances (the expected
    information is then far from the score's slope); a step that leaves the bracket, or does not
    halve the previous one, is replaced by bisection. A score that is negative at 0 puts the
    estimate on the boundary, A = 0.
    """
    lo, hi = 0.0, math.inf
    zero_checked = False
    history = [a]
    last_step = math.inf
    gap = math.inf
    for k in range(1, maxit + 1):
        s, f = _score(method, a, y, X, psi)
        if s == 0:
            return a, k, 0.0, True, a == 0.0, history
        if s > 0:
            lo = a
        else:
            hi = a
        new = a + s / f
        if not lo < new < hi or abs(new - a) > 0.5 * last_step:
            if hi == math.inf:
                new = max(new, 2 * a)
            else:
                if lo == 0.0 and not zero_checked:
                    zero_checked = True
                    if _score(method, 0.0, y, X, psi)[0] <= 0:
                        history.append(0.0)
                        return 0.0, k, 0.0, True, True, history
                new = 0.5 * (lo + hi)
        last_step = abs(new - a)
        gap = last_step / max(a, new)
        a = new
        history.append(a)
        if gap <= tol:
            return a, k, gap, True, False, history
    return a, maxit, gap, False, False, history


@dataclass
class Prediction:
    """Per-area results of a fit on the scale of ``y``."""

    synthetic: np.ndarray  # x_d' beta
    eblup: np.ndarray
    shrinkage: np.ndarray  # B_d = psi_d / (A + psi_d); EBLUP = (1 - B) y + B x'beta
    g1: np.ndarray
    g2: np.ndarray
    g3: np.ndarray
    bias: np.ndarray  # the bias correction subtracted (ML, FH)
    mse: np.ndarray


def predict(fitted: Fit, y: np.ndarray, X: np.ndarray, psi: np.ndarray) -> Prediction:
    """EBLUPs and their analytic MSEs for the sampled areas (the areas the model was fitted on).

    MSE as R ``sae``'s ``mseFH``: ``g1 + g2 + 2 g3`` (Prasad and Rao 1990; Datta and Lahiri 2000
    for REML), minus ``b B_d^2`` for ML (Datta and Lahiri 2000) and FH (Datta, Rao and Smith 2005),
    with ``Var(A) = 2 / sum(1/(A+psi)^2)`` (REML, ML) or ``2m / (sum 1/(A+psi))^2`` (FH).
    """
    y, X, psi = np.asarray(y, float), np.asarray(X, float), np.asarray(psi, float)
    a, q = fitted.refvar, fitted.cov_beta
    w = 1.0 / (a + psi)
    b_d = psi * w
    synth = X @ fitted.beta
    eblup = synth + a * w * (y - synth)
    g1 = psi * (1.0 - b_d)
    g2 = b_d**2 * np.einsum("ij,jk,ik->i", X, q, X)
    var_a, bias_a = refvar_moments(fitted, X, psi)
    g3 = b_d**2 * var_a * w
    bias = bias_a * b_d**2
    return Prediction(synthetic=synth, eblup=eblup, shrinkage=b_d, g1=g1, g2=g2, g3=g3, bias=bias,
                      mse=g1 + g2 + 2 * g3 - bias)


def refvar_moments(fitted: Fit, X: np.ndarray, psi: np.ndarray) -> tuple[float, float]:
    """Asymptotic variance and bias of the estimator of A at the fitted A (bias 0 for REML)."""
    a, q = fitted.refvar, fitted.cov_beta
    w = 1.0 / (a + psi)
    sum_w2 = float(np.sum(w * w))
    m = len(psi)
    if fitted.method == "FH":
        sum_w = float(np.sum(w))
        return 2.0 * m / sum_w**2, 2.0 * (m * sum_w2 - sum_w**2) / sum_w**3
    var_a = 2.0 / sum_w2
    if fitted.method == "ML":
        return var_a, -float(np.trace(q @ (X.T @ ((w * w)[:, None] * X)))) / sum_w2
    return var_a, 0.0


def predict_out_of_sample(fitted: Fit, X_out: np.ndarray, X: np.ndarray, psi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic estimates ``x' beta`` of areas without a sample, and their MSE ``A + x'Qx - bias(A)``.

    For an area without a sample the predictor is the regression alone; its MSE given A is
    ``A + x' (X'V^-1X)^-1 x``; replacing A by its estimate adds the estimator's bias (none to
    this order for REML; the ML and FH biases of ``refvar_moments``), as ``g1`` is corrected
    in the sampled areas' MSE.
    """
    X_out = np.asarray(X_out, float)
    synth = X_out @ fitted.beta
    _, bias_a = refvar_moments(fitted, X, psi)
    return synth, fitted.refvar + np.einsum("ij,jk,ik->i", X_out, fitted.cov_beta, X_out) - bias_a


def coefficient_table(fitted: Fit) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standard errors, z values and two-sided normal p-values of beta (as ``sae``)."""
    se = np.sqrt(np.diag(fitted.cov_beta))
    z = fitted.beta / se
    p = np.array([math.erfc(abs(v) / math.sqrt(2.0)) for v in z])
    return se, z, p
