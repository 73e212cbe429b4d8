"""Steps of the demographic-accounting estimator, each vectorised over a batch of periods.

Arrays are ``(B, n, n)`` stock tables (birthplace x residence) and ``(B, n)``
births or deaths by region of residence. Each function follows the step of the
same purpose in ``migest`` 2.0.5 (``nb_scale_global``, ``birth_mat``,
``death_mat``, ``match_birthplace_tot``); see :mod:`corridor.flows.demographic`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from corridor.errors import EstimationError, InputError
from corridor.flows.convergence import Convergence, settle
from corridor.flows.ipf import IPFResult, _factor, fit_margins
from corridor.flows.newton import newton_fit
from corridor.i18n import Message

F = NDArray[np.float64]


class Fits:
    """The convergence records of one estimator run, and what to do when a fit fails."""

    def __init__(self, on_nonconvergence: str = "raise") -> None:
        self.on_nonconvergence = on_nonconvergence
        self.records: list[Convergence] = []

    def add(
        self, res: IPFResult, step: str, method: str, criterion: str, tol: float, maxit: int, *,
        label: Message | None = None, reason: Message | None = None, hint: Message | None = None,
        settle_now: bool = True, prefix: str = "",
    ) -> Convergence:
        conv = np.atleast_1d(np.asarray(res.converged, dtype=bool))
        record = Convergence(
            step=step, method=method, criterion=criterion, iterations=int(np.max(res.iterations)),
            gap=float(np.max(res.tol)), tol=tol, maxit=maxit, converged=bool(conv.all()), label=label,
        )
        self.records.append(record)
        if settle_now:
            reasons: list[Message] = []
            if not record.converged and conv.size > 1:
                periods = ", ".join(str(int(i)) for i in np.flatnonzero(~conv)[:10])
                reasons.append(Message("flows.convergence.in_periods", periods=periods))
            if reason is not None:
                reasons.append(reason)
            settle(record, self.on_nonconvergence, reasons=tuple(reasons), hint=hint, prefix=prefix)
        return record


def _diag(m: F) -> F:
    return np.diagonal(m, axis1=-2, axis2=-1).copy()


def _set_diag(m: F, values: F) -> None:
    n = m.shape[-1]
    idx = np.arange(n)
    m[..., idx, idx] = values


def rescale_integer_sum(x: F, tot: F) -> F:
    """Rescale each row of ``x`` to sum to ``tot`` after rounding to integers.

    The rounding remainder is added to the entry with the largest absolute value
    (migest breaks ties at random; here the first such entry is used).
    """
    s = x.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        xx = np.round(x * (tot[:, None] / s))
    xx = np.where(np.isfinite(xx), xx, 0.0)
    rem = tot - xx.sum(axis=-1)
    pick = np.argmax(np.abs(x), axis=-1)
    rows = np.nonzero(rem != 0)[0]
    xx[rows, pick[rows]] += rem[rows]
    return xx


def scale_native_global(s1: F, s2: F, b: F, d: F) -> tuple[F, F]:
    """Adjust native-born (diagonal) stocks so stock growth equals births minus deaths (global).

    Half of the gap is taken from the start table's native-born and half added to
    the end table's, spread in proportion to their size and rounded to integers
    (Abel & Cohen 2019, *Scientific Data* 6:82; ``nb_scale_global``).
    """
    s1 = s1.copy()
    s2 = s2.copy()
    nat = (b - d).sum(axis=-1)
    dd = nat - (s2 - s1).sum(axis=(-2, -1))
    tot2 = np.trace(s2, axis1=-2, axis2=-1)
    rem = np.mod(dd, 2)
    odd = (np.round(rem) == 0) & (rem != 0)
    if odd.any():
        s2_odd = s2[odd]
        _set_diag(s2_odd, rescale_integer_sum(_diag(s2_odd), tot2[odd] + 1))
        s2[odd] = s2_odd
        dd = nat - (s2 - s1).sum(axis=(-2, -1))
        tot2 = np.trace(s2, axis1=-2, axis2=-1)
    tot1 = np.trace(s1, axis1=-2, axis2=-1)
    nz = dd != 0
    if nz.any():
        a, c = s1[nz], s2[nz]
        _set_diag(a, rescale_integer_sum(_diag(a), tot1[nz] - dd[nz] / 2))
        _set_diag(c, rescale_integer_sum(_diag(c), tot2[nz] + dd[nz] / 2))
        s1[nz], s2[nz] = a, c
    return s1, s2


def birth_matrix(b: F, s2: F, method: str, non_negative: bool) -> F:
    """Births by birthplace x residence (``birth_mat``): all native-born, or in proportion to ``s2``."""
    prop = s2 * _factor(b, s2.sum(axis=-2))[:, None, :]
    if method == "proportion":
        return prop
    bb = np.zeros_like(s2)
    _set_diag(bb, b)
    if non_negative:
        too_many = _diag(s2) - b < 0
        if too_many.any():
            bb = np.where(too_many[:, None, :], prop, bb)
    return bb


def death_matrix(
    d: F, s1: F, method: str, s2: F, b: F, *, tol: float = 1e-5, maxit: int = 500, fits: Fits | None = None
) -> F:
    """Deaths by birthplace x residence (``death_mat``): proportional to ``s1``, or by accounting.

    The accounting method fits ``s1`` to deaths by birthplace (row totals, implied by the stocks,
    births and deaths) and by residence (column totals) by IPF (``migest::ipf2``'s stopping rule:
    the margin gap, ``tol``, ``maxit``); when the two sets of totals differ, no table meets both
    and the fit cannot converge.
    """
    if method == "proportion":
        return s1 * _factor(d, s1.sum(axis=-2))[:, None, :]
    d_pob = s1.sum(axis=-1) + b - s2.sum(axis=-1)
    if (d_pob < 0).any():
        bi, k = (int(v) for v in np.argwhere(d_pob < 0)[0])
        raise InputError(
            Message("flows.death_method_accounting_implies", d_pob=d_pob[bi, k], key_=k, bi=bi),
            hint=Message("flows.death_method_accounting_implies.hint"),
        )
    res = fit_margins(s1, d_pob, d, first="cols", criterion="margins", tol=tol, maxit=maxit)
    gap = np.abs(d_pob.sum(axis=-1) - d.sum(axis=-1))
    reason = None
    if (gap > tol).any():
        bi = int(np.argmax(gap))
        reason = Message("flows.convergence.deaths_mismatch", implied=float(d_pob[bi].sum()), given=float(d[bi].sum()))
    (fits or Fits()).add(
        res, "deaths by birthplace (death_method='accounting')", "IPF", "margins", tol, maxit,
        label=Message("flows.step.deaths_accounting"), reason=reason, hint=Message("flows.deaths_accounting.hint"),
        prefix="death_",
    )
    return res.mu


def match_birthplace_totals(
    s1: F, s2: F, method: str, *, tol: float, maxit: int, solver: str = "ipf", fits: Fits | None = None,
    newton_tol: float = 1e-10, newton_maxit: int = 30,
) -> tuple[F, F, F, F]:
    """Make each birthplace's total equal in both tables (``match_birthplace_tot``).

    Returns the adjusted start and end tables and the moves into and out of the
    system (``in_mat``, ``out_mat``; zero for the rescale methods).
    """
    dd = s1.sum(axis=-1) - s2.sum(axis=-1)
    zeros = np.zeros_like(s1)
    if method in ("open", "open-dr"):
        into = np.maximum(-dd, 0.0)
        out = np.maximum(dd, 0.0)
        seed_in, seed_out = (s1, s2) if method == "open" else (s2, s1)
        in_mat = seed_in * _factor(into, seed_in.sum(axis=-1))[..., None]
        out_mat = seed_out * _factor(out, seed_out.sum(axis=-1))[..., None]
        return s1 - out_mat, s2 - in_mat, in_mat, out_mat
    fits = fits or Fits()
    newton = (newton_tol, newton_maxit)
    if method == "rescale":
        a = _rescale(s1, s1.sum(axis=-1) - dd / 2, s1.sum(axis=-2), tol, maxit, "start", solver, fits, newton)
        c = _rescale(s2, s2.sum(axis=-1) + dd / 2, s2.sum(axis=-2), tol, maxit, "end", solver, fits, newton)
        return a, c, zeros, zeros
    if method == "rescale-adjust-zero-fb":
        out1, out2 = np.empty_like(s1), np.empty_like(s2)
        for i in range(s1.shape[0]):
            out1[i], out2[i] = _rescale_zero_fb(s1[i], s2[i], tol, maxit, fits)
        return out1, out2, zeros, zeros
    raise InputError(
        Message("flows.unknown_match_birthplace_tot", method=method),
        hint=Message("flows.unknown_match_birthplace_tot.hint"),
    )


def _rescale(
    seed: F, row: F, col: F, tol: float, maxit: int, which: str, solver: str = "ipf", fits: Fits | None = None,
    newton: tuple[float, int] = (1e-10, 30),
) -> F:
    fits = fits or Fits()
    step = f"rescaling the {which} stock table to common birthplace totals"
    label = Message("flows.step.rescale", which=Message(f"flows.which.{which}"))
    hint = Message("flows.rescale.hint")
    if (row < 0).any():
        bi, k = (int(v) for v in np.argwhere(row < 0)[0])
        raise EstimationError(
            Message("flows.rescaling_stock_table_common", which=Message(f"flows.which.{which}"), row=row[bi, k], key_=k, bi=bi),
            hint=hint,
        )
    if (seed < 0).any():
        raise EstimationError(Message("flows.stock_table_negative_cells", which=Message(f"flows.which.{which}")), hint=hint)
    if solver == "newton":
        fast = newton_fit(seed, row, col, tol=newton[0], maxit=newton[1])
        failed = ~np.asarray(fast.converged)
        # Tables whose margins cannot both be met in a way the Newton solver does not
        # resolve (see newton_fit) fall back to migest's IPF, which then has to converge.
        fits.add(fast, step, "Newton", "relative margins", newton[0], newton[1], label=label, settle_now=False)
        if not failed.any():
            return fast.mu
        out = fast.mu.copy()
        out[failed] = _rescale(seed[failed], row[failed], col[failed], tol, maxit, which, "ipf", fits)
        return out
    res = fit_margins(seed, row, col, first="rows", criterion="cells", tol=tol, maxit=maxit)
    fits.add(res, step, "IPF", "cells", tol, maxit, label=label)
    return res.mu


def _rescale_zero_fb(m1: F, m2: F, tol: float, maxit: int, fits: Fits | None = None) -> tuple[F, F]:
    # Regions without foreign-born at one date cannot absorb the birthplace
    # adjustment in their native-born cell alone: they get the larger of the
    # native-born and the mid-point target, the rest of the system is rescaled.
    dd = m1.sum(axis=1) - m2.sum(axis=1)
    nb1, nb2 = np.diag(m1), np.diag(m2)
    mid = m1.sum(axis=1) - dd / 2
    fb1 = m1.sum(axis=0) - nb1
    fb2 = m2.sum(axis=0) - nb2
    target = np.where(nb1 > mid, nb1, mid)
    target = np.where(nb2 > mid, nb2, target)
    z = ((fb1 == 0) | (fb2 == 0)) & (mid != target)
    if not z.any():
        a = _rescale(m1[None], mid[None], m1.sum(axis=0)[None], tol, maxit, "start", "ipf", fits)[0]
        c = _rescale(m2[None], (m2.sum(axis=1) + dd / 2)[None], m2.sum(axis=0)[None], tol, maxit, "end", "ipf", fits)[0]
        return a, c
    keep = ~z
    w1, w2 = m1[np.ix_(keep, keep)], m2[np.ix_(keep, keep)]
    w1, w2 = scale_native_global(w1[None], w2[None], np.zeros((1, w1.shape[0])), np.zeros((1, w1.shape[0])))
    w1, w2 = w1[0], w2[0]
    dw = w1.sum(axis=1) - w2.sum(axis=1)
    a1 = _rescale(w1[None], (w1.sum(axis=1) - dw)[None], w1.sum(axis=0)[None], tol, maxit, "start", "ipf", fits)[0]
    a2 = _rescale(w2[None], (w2.sum(axis=1) + dw)[None], w2.sum(axis=0)[None], tol, maxit, "end", "ipf", fits)[0]
    out1, out2 = np.zeros_like(m1), np.zeros_like(m2)
    out1[np.ix_(keep, keep)] = a1
    out2[np.ix_(keep, keep)] = a2
    out1[z] = m1[z] * (target[z] / m1[z].sum(axis=1))[:, None]
    out2[z] = m2[z] * (target[z] / m2[z].sum(axis=1))[:, None]
    return out1, out2
