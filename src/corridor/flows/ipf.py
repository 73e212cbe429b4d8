"""Log-linear indirect estimation of flow tables with known margins.

Iterative proportional fitting (IPF) and conditional maximisation (CM) as in the
R package ``migest`` 2.0 (G. J. Abel): :func:`ipf2` and :func:`cm2` fit

    log y_ij = log alpha_i + log beta_j + log m_ij

to known row and/or column totals with an offset (prior) ``m`` (Willekens 1999,
*Mathematical Population Studies* 7(3); Agresti 2002, p. 343). :func:`ipf3` and
:func:`cm3` fit three-way tables (origin x destination x type) with known
origin-by-type and destination-by-type margins (Abel 2013, *Demographic
Research* 28(18)).

:func:`fit_margins` is the vectorised engine used by every routine here and by
the demographic-accounting estimator: it fits a whole batch of tables in one
call, each table stopping by its own convergence test, with either stopping
rule used in the field (change in the fitted margins, as ``migest::ipf2``; or
change in the fitted cells between sweeps, as ``mipfp::Ipfp``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from corridor.errors import InputError
from corridor.flows._checks import alias, as_array
from corridor.flows.convergence import NOT_CONVERGED, Convergence, check_choice, settle
from corridor.i18n import Message

Criterion = Literal["margins", "cells"]


@dataclass(frozen=True)
class IPFResult:
    """Fitted table(s) with the iteration count and final value of the stopping criterion.

    ``tol`` (also ``gap``) is the final value of the stopping criterion, not the tolerance asked
    for; ``flags`` holds ``"not_converged"`` when a fit kept its last iterate
    (``on_nonconvergence="warn"``).
    """

    mu: NDArray[np.float64]
    iterations: NDArray[np.int64] | int
    tol: NDArray[np.float64] | float
    converged: NDArray[np.bool_] | bool
    flags: tuple[str, ...] = ()

    @property
    def gap(self) -> NDArray[np.float64] | float:
        """Final value of the stopping criterion (the largest margin gap or cell change)."""
        return self.tol


def _settle_ipf(res: IPFResult, step: str, criterion: str, tol: float, maxit: int, on_nonconvergence: str) -> IPFResult:
    record = Convergence(
        step=step,
        method="IPF",
        criterion=criterion,
        iterations=int(np.max(res.iterations)),
        gap=float(np.max(res.tol)),
        tol=tol,
        maxit=maxit,
        converged=bool(np.all(res.converged)),
    )
    settle(record, on_nonconvergence)
    return res if record.converged else replace(res, flags=(NOT_CONVERGED,))


def _factor(target: NDArray[np.float64], current: NDArray[np.float64]) -> NDArray[np.float64]:
    # 0/0 and x/0 give a zero factor (both migest and mipfp do this).
    with np.errstate(divide="ignore", invalid="ignore"):
        f = target / current
    return np.where((current == 0) | (target == 0) | ~np.isfinite(f), 0.0, f)


def fit_margins(
    seed: ArrayLike,
    row: ArrayLike | None = None,
    col: ArrayLike | None = None,
    *,
    first: Literal["rows", "cols"] = "rows",
    criterion: Criterion = "cells",
    tol: float = 1e-3,
    maxit: int = 100_000,
    group: int = 0,
) -> IPFResult:
    """Fit a batch of two-way tables to row and/or column totals by IPF (vectorised).

    ``seed`` has shape ``(..., n, m)``; ``row`` ``(..., n)`` and ``col`` ``(..., m)``
    broadcast against it. The last ``group`` batch axes are fitted jointly: they
    iterate together and stop together (a three-way table fitted slice by slice,
    as ``mipfp::Ipfp`` does with targets ``(1, 3)`` and ``(2, 3)``). Every other
    table stops on its own.

    Stopping rules:

    * ``"cells"``: stop after the first sweep whose largest absolute change in a
      fitted cell is below ``tol`` (``mipfp::Ipfp``, Barthelemy & Suesse 2018).
    * ``"margins"``: stop when the largest absolute gap between a target and the
      fitted margin, measured just before that margin is scaled, is at most ``tol``
      (``migest::ipf2``/``ipf3``).

    A zero target or a zero fitted margin gives a zero scaling factor.
    """
    x0 = np.array(seed, dtype=float)
    if x0.ndim < 2:
        raise InputError(Message("flows.offset_seed_must_matrix"), hint=Message("flows.offset_seed_must_matrix.hint"))
    if row is None and col is None:
        raise InputError(Message("flows.margin_fit"), hint=Message("flows.margin_fit.hint"))
    shape = x0.shape
    batch_shape = shape[:-2]
    if row is not None:
        row_arr = np.broadcast_to(np.asarray(row, dtype=float), batch_shape + shape[-2:-1])
    if col is not None:
        col_arr = np.broadcast_to(np.asarray(col, dtype=float), batch_shape + shape[-1:])
    lead = batch_shape[: len(batch_shape) - group] if group else batch_shape
    inner = batch_shape[len(lead):]
    nb = int(np.prod(lead)) if lead else 1
    x = x0.reshape((nb, *inner, *shape[-2:])).copy()
    ra = row_arr.reshape((nb, *inner, shape[-2])).copy() if row is not None else None
    ca = col_arr.reshape((nb, *inner, shape[-1])).copy() if col is not None else None
    red = tuple(range(1, x.ndim))

    out = x.copy()
    iters = np.zeros(nb, dtype=np.int64)
    final = np.full(nb, np.inf)
    conv = np.zeros(nb, dtype=bool)
    active = np.arange(nb)
    steps = ("rows", "cols") if first == "rows" else ("cols", "rows")
    for it in range(1, maxit + 1):
        prev = x.copy() if criterion == "cells" else None
        gap = np.zeros(active.size)
        for step in steps:
            if step == "rows" and ra is not None:
                cur = x.sum(axis=-1)
                if criterion == "margins":
                    gap = np.maximum(gap, np.abs(ra - cur).reshape(active.size, -1).max(axis=1))
                x *= _factor(ra, cur)[..., None]
            elif step == "cols" and ca is not None:
                cur = x.sum(axis=-2)
                if criterion == "margins":
                    gap = np.maximum(gap, np.abs(ca - cur).reshape(active.size, -1).max(axis=1))
                x *= _factor(ca, cur)[..., None, :]
        if criterion == "cells":
            gap = np.abs(x - prev).max(axis=red) if x.size else np.zeros(active.size)
            done = gap < tol
        else:
            done = gap <= tol
        iters[active] = it
        final[active] = gap
        if done.any():
            idx = active[done]
            out[idx] = x[done]
            conv[idx] = True
            keep = ~done
            active = active[keep]
            x = x[keep]
            ra = ra[keep] if ra is not None else None
            ca = ca[keep] if ca is not None else None
        if active.size == 0:
            break
    if active.size:
        out[active] = x
    mu = out.reshape(shape)
    if not lead:
        return IPFResult(mu, int(iters[0]), float(final[0]), bool(conv[0]))
    return IPFResult(mu, iters.reshape(lead), final.reshape(lead), conv.reshape(lead))


def _check_totals(row: NDArray[np.float64] | None, col: NDArray[np.float64] | None, what: str) -> None:
    if row is not None and col is not None:
        rs, cs = np.round(row.sum(axis=-1)), np.round(col.sum(axis=-1))
        if np.any(rs != cs):
            raise InputError(
                Message("flows.row_totals_sum_column", what=what, ravel=np.ravel(row.sum(axis=-1))[0], ravel2=np.ravel(col.sum(axis=-1))[0]),
                hint=Message("flows.row_totals_sum_column.hint"),
            )


def ipf2(
    row_tot: ArrayLike | None = None,
    col_tot: ArrayLike | None = None,
    offset: ArrayLike | None = None,
    *,
    tol: float = 1e-5,
    maxit: int = 500,
    on_nonconvergence: str = "raise",
    m: ArrayLike | None = None,
) -> IPFResult:
    """Two-way IPF of an origin-destination table to known margins (``migest::ipf2``).

    Fits ``log y_ij = log alpha_i + log beta_j + log m_ij`` (Agresti 2002, p. 343;
    Willekens 1999). Columns are scaled first, then rows; the stopping rule is
    the margin gap (``tol``, ``maxit`` as in migest). With one margin missing the
    corresponding term is dropped. Leading axes of the inputs are a batch of tables.
    ``m`` is migest's name for ``offset``. A fit still above ``tol`` after ``maxit``
    iterations raises (see :mod:`corridor.flows.convergence`), or with
    ``on_nonconvergence="warn"`` is returned flagged ``"not_converged"``.
    """
    check_choice(on_nonconvergence)
    offset = alias(offset, m, "offset", "m")
    row = as_array(row_tot, "row_tot") if row_tot is not None else None
    col = as_array(col_tot, "col_tot") if col_tot is not None else None
    if row is None and col is None:
        raise InputError(Message("flows.ipf_needs_row_totals"), hint=Message("flows.ipf_needs_row_totals.hint"))
    if offset is None:
        if row is None or col is None:
            raise InputError(
                Message("flows.ipf_single_known_margin"),
                hint=Message("flows.ipf_single_known_margin.hint"),
            )
        m = np.ones(row.shape + col.shape[-1:])
    else:
        m = as_array(offset, "offset")
    if row is not None and row.shape[-1] != m.shape[-2]:
        raise InputError(
            Message("flows.row_tot_values_offset", shape=row.shape[-1], shape2=m.shape[-2]),
            hint=Message("flows.row_tot_values_offset.hint"),
        )
    if col is not None and col.shape[-1] != m.shape[-1]:
        raise InputError(
            Message("flows.col_tot_values_offset", shape=col.shape[-1], shape2=m.shape[-1]),
            hint=Message("flows.col_tot_values_offset.hint"),
        )
    _check_totals(row, col, "ipf2")
    res = fit_margins(m, row, col, first="cols", criterion="margins", tol=tol, maxit=maxit)
    return _settle_ipf(res, "ipf2", "margins", tol, maxit, on_nonconvergence)


def ipf3(
    row_tot: ArrayLike,
    col_tot: ArrayLike,
    offset: ArrayLike | None = None,
    *,
    tol: float = 1e-5,
    maxit: int = 500,
    on_nonconvergence: str = "raise",
    m: ArrayLike | None = None,
) -> IPFResult:
    """Three-way IPF of origin x destination x type flows (``migest::ipf3``).

    ``row_tot[i, k]`` is the known total leaving origin ``i`` for type ``k``;
    ``col_tot[k, j]`` the known total arriving in destination ``j`` for type ``k``
    (so two place-of-birth by residence tables ``P1``, ``P2`` enter as
    ``row_tot=P1.T``, ``col_tot=P2``, as in Abel 2013). Fits
    ``log y_ijk = log a_ik + log b_jk + log m_ijk``; ``offset`` is ``(i, j, k)``
    or an ``(i, j)`` matrix used for every type (``m`` is migest's name for it). Returns
    ``mu[i, j, k]``; non-convergence as in :func:`ipf2`.
    """
    check_choice(on_nonconvergence)
    offset = alias(offset, m, "offset", "m")
    rt = as_array(row_tot, "row_tot", ndim=2)
    ct = as_array(col_tot, "col_tot", ndim=2)
    n, k = rt.shape
    if ct.shape[0] != k:
        raise InputError(
            Message("flows.row_tot_origin_type", shape=rt.shape, shape2=ct.shape),
            hint=Message("flows.row_tot_origin_type.hint"),
        )
    m_dest = ct.shape[1]
    if np.any(np.round(rt.sum(axis=0)) != np.round(ct.sum(axis=1))):
        raise InputError(
            Message("flows.row_column_totals_differ"),
            hint=Message("flows.row_column_totals_differ.hint"),
        )
    if offset is None:
        m = np.ones((n, m_dest, k))
    else:
        m = as_array(offset, "offset", ndim=(2, 3))
        if m.ndim == 2:
            m = np.repeat(m[:, :, None], k, axis=2)
        if m.shape != (n, m_dest, k):
            raise InputError(Message("flows.offset_shape_expected_3", shape=m.shape, value=(n, m_dest, k)), hint=Message("flows.offset_shape_expected_3.hint"))
    seed = np.moveaxis(m, 2, 0)[None]  # (1, k, i, j): slices fitted jointly
    res = fit_margins(
        seed, rt.T[None], ct[None], first="rows", criterion="margins", tol=tol, maxit=maxit, group=1
    )
    mu = np.moveaxis(res.mu[0], 0, 2)
    out = IPFResult(mu, int(np.ravel(res.iterations)[0]), float(np.ravel(res.tol)[0]), bool(np.ravel(res.converged)[0]))
    return _settle_ipf(out, "ipf3", "margins", tol, maxit, on_nonconvergence)


@dataclass(frozen=True)
class CMResult:
    """Fitted table and the alpha (row) and beta (column) parameters of a CM fit.

    ``gap`` is the last iteration's largest parameter change; ``flags`` holds
    ``"not_converged"`` when the fit kept its last iterate (``on_nonconvergence="warn"``).
    """

    n: NDArray[np.float64]
    alpha: NDArray[np.float64]
    beta: NDArray[np.float64]
    iterations: int
    gap: float = 0.0
    converged: bool = True
    flags: tuple[str, ...] = ()


def _settle_cm(res: CMResult, step: str, tol: float, maxit: int, on_nonconvergence: str) -> CMResult:
    record = Convergence(step=step, method="conditional maximisation", criterion="parameters",
                         iterations=res.iterations, gap=res.gap, tol=tol, maxit=maxit, converged=res.converged)
    settle(record, on_nonconvergence)
    return res if res.converged else replace(res, flags=(NOT_CONVERGED,))


def cm2(
    row_tot: ArrayLike,
    col_tot: ArrayLike,
    offset: ArrayLike | None = None,
    *,
    tol: float = 1e-6,
    maxit: int = 500,
    on_nonconvergence: str = "raise",
    m: ArrayLike | None = None,
) -> CMResult:
    """Two-way conditional maximisation of the Poisson log-linear model (``migest::cm2``).

    Alternates the closed-form maximisers ``alpha_i = r_i / sum_j beta_j m_ij`` and
    ``beta_j = c_j / sum_i alpha_i m_ij`` from ``alpha = beta = 1`` until the
    largest parameter change is at most ``tol`` (Willekens 1999; Raymer et al. 2007,
    *JRSS A* 170(4)). The fitted values equal :func:`ipf2`'s; the parameters are
    those of migest's normalisation (starting from ``beta = 1``). ``m`` is migest's name for
    ``offset``; non-convergence as in :func:`ipf2` (migest counts iterations from 1, so at most
    ``maxit - 1`` updates are made).
    """
    check_choice(on_nonconvergence)
    offset = alias(offset, m, "offset", "m")
    r = as_array(row_tot, "row_tot", ndim=1)
    c = as_array(col_tot, "col_tot", ndim=1)
    m = np.ones((r.size, c.size)) if offset is None else as_array(offset, "offset", ndim=2)
    if m.shape != (r.size, c.size):
        raise InputError(Message("flows.offset_shape_expected", shape=m.shape, value=(r.size, c.size)), hint=Message("flows.offset_shape_expected.hint"))
    _check_totals(r, c, "cm2")
    alpha = np.ones(r.size)
    beta = np.ones(c.size)
    # migest counts from 1 and stops when its counter reaches maxit (maxit - 1 updates); here
    # maxit updates, as in every other fit, and the count is the updates made
    it = 0
    d_max = tol * 2
    while d_max > tol and it < maxit:
        a_old, b_old = alpha, beta
        alpha = r / (m @ beta)
        beta = c / (alpha @ m)
        d_max = float(np.max(np.abs(np.concatenate([a_old - alpha, b_old - beta]))))
        it += 1
    res = CMResult(np.outer(alpha, beta) * m, alpha, beta, it, d_max, bool(d_max <= tol))
    return _settle_cm(res, "cm2", tol, maxit, on_nonconvergence)


def cm3(
    row_tot: ArrayLike,
    col_tot: ArrayLike,
    offset: ArrayLike | None = None,
    *,
    tol: float = 1e-5,
    maxit: int = 500,
    on_nonconvergence: str = "raise",
    m: ArrayLike | None = None,
) -> CMResult:
    """Three-way conditional maximisation with known origin and destination totals (``migest::cm3``).

    Fits ``y_ijk = alpha_i beta_j m_ijk`` to row totals over ``(j, k)`` and
    column totals over ``(i, k)``; ``beta`` is updated first, as in migest.
    Returns ``n[i, j, k]``; ``m`` is migest's name for ``offset``; non-convergence as in
    :func:`ipf2`.
    """
    check_choice(on_nonconvergence)
    offset = alias(offset, m, "offset", "m")
    if offset is None:
        raise InputError(Message("flows.needs_offset"), hint=Message("flows.needs_offset.hint"))
    r = as_array(row_tot, "row_tot", ndim=1)
    c = as_array(col_tot, "col_tot", ndim=1)
    m = as_array(offset, "offset", ndim=3)
    if m.shape[:2] != (r.size, c.size):
        raise InputError(Message("flows.offset_shape_expected_2", shape=m.shape, size=r.size, size2=c.size), hint=Message("flows.offset_shape_expected_2.hint"))
    _check_totals(r, c, "cm3")
    mm = m.sum(axis=2)
    alpha = np.ones(r.size)
    beta = np.ones(c.size)
    it = 0  # maxit updates at most, counted as cm2's
    d_max = tol * 2
    while d_max > tol and it < maxit:
        b_old, a_old = beta, alpha
        beta = c / (alpha @ mm)
        alpha = r / (mm @ beta)
        it += 1
        d_max = float(np.max(np.abs(np.concatenate([alpha - a_old, beta - b_old]))))
    res = CMResult(np.outer(alpha, beta)[:, :, None] * m, alpha, beta, it, d_max, bool(d_max <= tol))
    return _settle_cm(res, "cm3", tol, maxit, on_nonconvergence)
