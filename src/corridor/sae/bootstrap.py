"""Parametric bootstrap MSE of Fay-Herriot predictions (González-Manteiga et al. 2008).

Each replicate draws, from the fitted model, true values ``theta*_d = x_d' beta + u*_d``
(``u* ~ N(0, A)``) for every area and direct estimates ``y*_d = theta*_d + e*_d``
(``e* ~ N(0, psi_d)``) for the sampled ones, refits the model with the same method and stopping
rule, predicts every area (back-transformed when the model is transformed) and compares with the
true value on the estimate's scale. The MSE is the mean squared difference over replicates; the
same replicates give the MSE on the model's scale, which the intervals of transformed models use.

A replicate whose fit does not converge is drawn again (as R ``sae``'s bootstrap loops do) and
counted; more failures than replicates is an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from corridor.errors import EstimationError
from corridor.i18n import Message
from corridor.sae import model
from corridor.sae.transforms import backward


@dataclass
class BootstrapMSE:
    mse: np.ndarray  # sampled areas, estimate scale
    mse_out: np.ndarray  # areas without a sample
    mse_model: np.ndarray  # sampled areas, model scale
    mse_model_out: np.ndarray
    reps: int
    failures: int
    seed: int | None


def bootstrap_mse(
    fitted: model.Fit,
    X: np.ndarray,
    psi: np.ndarray,
    X_out: np.ndarray,
    *,
    transform: str | None,
    backtransform: str,
    reps: int,
    seed: int | None,
) -> BootstrapMSE:
    if reps < 1:
        raise EstimationError(Message("sae.error.reps", reps=reps), hint=Message("sae.error.reps.hint"))
    rng = np.random.default_rng(seed)
    sd_u = np.sqrt(fitted.refvar)
    sd_e = np.sqrt(psi)
    mean_in, mean_out = X @ fitted.beta, X_out @ fitted.beta
    m, mo = len(psi), X_out.shape[0]
    acc = np.zeros(m)
    acc_out = np.zeros(mo)
    acc_t = np.zeros(m)
    acc_t_out = np.zeros(mo)
    done = failures = 0
    while done < reps:
        theta = mean_in + sd_u * rng.standard_normal(m)
        y = theta + sd_e * rng.standard_normal(m)
        theta_out = mean_out + sd_u * rng.standard_normal(mo)
        refit = model.fit(y, X, psi, fitted.method, tol=fitted.tol, maxit=fitted.maxit, stopping=fitted.stopping)
        if not refit.converged:
            failures += 1
            if failures > reps:
                raise EstimationError(Message("sae.error.bootstrap_failures", method=fitted.method, failures=failures,
                                                  done=done), hint=Message("sae.error.bootstrap_failures.hint"))
            continue
        pred = model.predict(refit, y, X, psi)
        acc += (backward(transform, pred.eblup, pred.g1, backtransform) - backward(transform, theta, 0.0)) ** 2
        acc_t += (pred.eblup - theta) ** 2
        if mo:
            synth = X_out @ refit.beta
            acc_out += (backward(transform, synth, refit.refvar, backtransform)
                        - backward(transform, theta_out, 0.0)) ** 2
            acc_t_out += (synth - theta_out) ** 2
        done += 1
    return BootstrapMSE(mse=acc / reps, mse_out=acc_out / reps, mse_model=acc_t / reps, mse_model_out=acc_t_out / reps,
                        reps=reps, failures=failures, seed=seed)
