"""Replicate-weight variances and the conversion of a Taylor design into replicates.

Variance of an estimate from ``R`` replicate estimates (Wolter 2007; R
``svrVar``): ``V = scale * sum_r rscales_r (theta_r - c)^2`` with ``c`` the
replicate mean, or the full-sample estimate when ``mse``.
"""

from __future__ import annotations

import numpy as np

from corridor.design import Replicated
from corridor.errors import DesignError
from corridor.estimation.structure import Structure


def replicate_variance(
    theta: np.ndarray, reps: np.ndarray, scale: float, rscales: np.ndarray, mse: bool
) -> np.ndarray:
    """Variances of outputs: ``theta`` (K,), replicate estimates ``reps`` (K, R)."""
    centre = theta[:, None] if mse else np.nanmean(reps, axis=1, keepdims=True)
    return scale * ((reps - centre) ** 2 * rscales[None, :]).sum(axis=1)


def replicate_covariance(
    theta: np.ndarray, reps: np.ndarray, scale: float, rscales: np.ndarray, mse: bool
) -> np.ndarray:
    centre = theta[:, None] if mse else np.nanmean(reps, axis=1, keepdims=True)
    dev = reps - centre
    return scale * (dev * rscales[None, :]) @ dev.T


def conversion_factors(conv: Replicated, structure: Structure) -> tuple[np.ndarray, float, np.ndarray]:
    """Replicate weight multipliers per first-stage unit (units x R), with scale and rscales.

    JK1: drop one PSU, multiply the others by n/(n-1); scale (n-1)/n, times
    (1 - f) with an fpc. JKn: drop one PSU within its stratum, reweight that
    stratum by n_h/(n_h-1); rscales (n_h-1)/n_h (1 - f_h). Bootstrap: Rao-Wu
    rescaled bootstrap, n_h - 1 PSUs drawn with replacement in each stratum;
    scale nbar/((nbar-1)(R-1)) with nbar the mean of n_h, as R's
    ``as.svrepdesign``.
    """
    stage = structure.stages[0]
    unit_h = stage.unit_stratum
    n_units = len(unit_h)
    n_h = stage.n
    f_h = stage.f
    if n_units == 0:
        raise DesignError("replicates need cluster ids (PSUs)", hint="give ids= for the first stage")
    if conv.type == "JK1":
        if len(n_h) > 1:
            raise DesignError(
                "JK1 replicates cannot be built from a stratified design",
                hint="use type='JKn' for stratified designs (as R's as.svrepdesign)",
            )
        n = n_units
        factors = np.full((n_units, n), n / (n - 1.0))
        np.fill_diagonal(factors, 0.0)
        scale = (n - 1.0) / n * float(f_h[0])
        return factors, scale, np.ones(n)
    if conv.type == "JKn":
        if (n_h < 2).any():
            raise DesignError("JKn replicates need at least two PSUs in every stratum")
        factors = np.ones((n_units, n_units))
        same = unit_h[:, None] == unit_h[None, :]
        nh_unit = n_h[unit_h]
        factors[same] = np.broadcast_to((nh_unit / (nh_unit - 1.0))[:, None], (n_units, n_units))[same]
        np.fill_diagonal(factors, 0.0)
        rscales = (nh_unit - 1.0) / nh_unit * f_h[unit_h]
        return factors, 1.0, rscales
    rng = np.random.default_rng(conv.seed)
    r = conv.replicates
    factors = np.zeros((n_units, r))
    for h in range(len(n_h)):
        members = np.flatnonzero(unit_h == h)
        nh = len(members)
        if nh < 2:
            raise DesignError("bootstrap replicates need at least two PSUs in every stratum")
        draws = rng.integers(0, nh, size=(nh - 1, r))
        counts = np.zeros((nh, r))
        for j in range(r):
            counts[:, j] = np.bincount(draws[:, j], minlength=nh)
        factors[members] = counts * nh / (nh - 1.0)
    nbar = float(np.mean(n_h))
    scale = nbar / ((nbar - 1.0) * (r - 1.0))
    return factors, scale, np.ones(r)


def rank_df(gram: np.ndarray) -> int:
    """Degrees of freedom of replicate weights: rank of the weight matrix minus one (as R's ``degf``)."""
    if gram.size == 0:
        return 0
    eig = np.linalg.eigvalsh(gram)
    tol = eig.max() * max(gram.shape) * 1e-12
    return int((eig > tol).sum()) - 1
