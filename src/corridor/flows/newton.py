"""Newton's method for fitting two-way tables to both margins (matrix balancing), vectorised.

The same fitted table as IPF (:func:`corridor.flows.ipf.fit_margins`), reached in a
few steps instead of thousands for nearly diagonal tables such as stock tables
dominated by the native-born; used by the demographic-accounting estimator for
large systems. The Newton step on the log-scale parameters solves the Schur
complement of the Hessian for the column parameters (Bishop, Fienberg & Holland
1975, ch. 3, for the model; the dual is a smooth convex problem).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from corridor._deps import single_thread_blas
from corridor.flows.convergence import NOT_CONVERGED, Convergence, check_choice, settle
from corridor.flows.ipf import IPFResult, _factor
from corridor.i18n import Message


def _consistent_rows(m: NDArray[np.float64], r: NDArray[np.float64], c: NDArray[np.float64]) -> NDArray[np.float64]:
    # Where the targets of a connected block of the table disagree in total, IPF
    # ending with a column step converges to the fit whose row targets are scaled
    # to the block's column total; do the same so both solvers agree.
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    out = r.copy()
    n, k = m.shape[1:]
    cache: dict[bytes, tuple[int, NDArray[np.int64]]] = {}
    for bi in range(m.shape[0]):
        pattern = m[bi] > 0
        key = np.packbits(pattern).tobytes()
        if key not in cache:
            ii, jj = np.nonzero(pattern)
            g = coo_matrix((np.ones(ii.size), (ii, n + jj)), shape=(n + k, n + k))
            cache[key] = connected_components(g, directed=False)
        ncomp, lab = cache[key]
        if ncomp == 1:
            rt, ct = r[bi].sum(), c[bi].sum()
            if rt > 0 and rt != ct:
                out[bi] *= ct / rt
            continue
        rsum = np.bincount(lab[:n], weights=r[bi], minlength=ncomp)
        csum = np.bincount(lab[n:], weights=c[bi], minlength=ncomp)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(rsum > 0, csum / rsum, 0.0)
        out[bi] = r[bi] * f[lab[:n]]
    return out


def _eliminate_forced(
    m: NDArray[np.float64], r: NDArray[np.float64], c: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    # A column with a single non-zero cell fixes that cell at the column target;
    # if its row target is smaller, the margins cannot both be met and IPF (ending
    # with a column step) drives the rest of that row to zero. Likewise a row with
    # a single cell whose column target is smaller. Such cells are fixed at the
    # column target and their row and column leave the problem.
    m = m.copy()
    r = r.copy()
    c = c.copy()
    forced = np.zeros_like(m)
    bidx = np.arange(m.shape[0])
    for _ in range(m.shape[1] + m.shape[2]):
        pat = m > 0
        changed = False
        col_single = pat.sum(axis=1) == 1
        if col_single.any():
            row_of = pat.argmax(axis=1)
            bad = col_single & (np.take_along_axis(r, row_of, axis=1) < c * (1 - 1e-12))
            for b, j in zip(*np.nonzero(bad)):
                i = row_of[b, j]
                if r[b, i] == 0 or c[b, j] == 0:
                    continue
                forced[b, i, j] = c[b, j]
                m[b, i, :] = 0.0
                m[b, :, j] = 0.0
                r[b, i] = 0.0
                c[b, j] = 0.0
                changed = True
        row_single = pat.sum(axis=2) == 1
        if row_single.any():
            col_of = pat.argmax(axis=2)
            bad = row_single & (np.take_along_axis(c, col_of, axis=1) < r * (1 - 1e-12))
            for b, i in zip(*np.nonzero(bad)):
                j = col_of[b, i]
                if r[b, i] == 0 or c[b, j] == 0 or m[b, i, j] == 0:
                    continue
                forced[b, i, j] = c[b, j]
                m[b, i, :] = 0.0
                m[b, :, j] = 0.0
                r[b, i] = 0.0
                c[b, j] = 0.0
                changed = True
        if not changed:
            break
    del bidx
    return m, r, c, forced


def fit_margins_newton(
    seed: ArrayLike,
    row: ArrayLike,
    col: ArrayLike,
    *,
    tol: float = 1e-6,
    maxit: int = 100,
    on_nonconvergence: str = "raise",
) -> IPFResult:
    """Fit a batch of two-way tables to both margins by Newton's method on the log scale.

    As :func:`newton_fit`; a table whose relative margin gap is still above ``tol`` after
    ``maxit`` steps raises (see :mod:`corridor.flows.convergence`), or with
    ``on_nonconvergence="warn"`` the last iterate is returned flagged ``"not_converged"``.
    """
    check_choice(on_nonconvergence)
    res = newton_fit(seed, row, col, tol=tol, maxit=maxit)
    record = Convergence(step="fit_margins_newton", method="Newton", criterion="relative margins",
                         iterations=int(np.max(res.iterations)), gap=float(np.max(res.tol)), tol=tol, maxit=maxit,
                         converged=bool(np.all(res.converged)))
    settle(record, on_nonconvergence,
           hint=Message("flows.newton.hint"))
    return res if record.converged else replace(res, flags=(NOT_CONVERGED,))


def newton_fit(
    seed: ArrayLike,
    row: ArrayLike,
    col: ArrayLike,
    *,
    tol: float = 1e-6,
    maxit: int = 100,
) -> IPFResult:
    """Fit a batch of two-way tables to both margins by Newton's method, reporting without raising.

    Same fitted table as IPF (the unique ``a_i m_ij b_j`` matching both margins,
    the minimum-discrimination-information adjustment of the seed), reached in a
    handful of iterations where IPF needs thousands: for nearly diagonal tables
    (stock tables dominated by the native-born) IPF converges very slowly. Each
    step solves the Schur complement of the Hessian for the column parameters with
    a batched dense solve. Stops when every margin is within ``tol`` times the
    table total; rows or columns with a zero target or zero seed are set to zero,
    as IPF does.
    """
    m = np.array(seed, dtype=float)
    if m.ndim == 2:
        m = m[None]
        squeeze = True
    else:
        squeeze = False
    lead = m.shape[:-2]
    n, k = m.shape[-2:]
    m = m.reshape(-1, n, k)
    r = np.broadcast_to(np.asarray(row, dtype=float), lead + (n,)).reshape(-1, n).copy()
    c = np.broadcast_to(np.asarray(col, dtype=float), lead + (k,)).reshape(-1, k).copy()
    m *= ((r > 0)[:, :, None] & (c > 0)[:, None, :])
    r = np.where(m.sum(axis=2) > 0, r, 0.0)
    c = np.where(m.sum(axis=1) > 0, c, 0.0)
    m, r, c, forced = _eliminate_forced(m, r, c)
    r = _consistent_rows(m, r, c)
    # Start from one IPF sweep: rows then columns.
    a = _factor(r, m.sum(axis=2))
    mu = m * a[:, :, None]
    b = _factor(c, mu.sum(axis=1))
    mu *= b[:, None, :]
    u = np.log(np.where(a > 0, a, 1.0))
    v = np.log(np.where(b > 0, b, 1.0))
    rows_on, cols_on = r > 0, c > 0
    scale = np.maximum(r.sum(axis=1), 1.0)
    with single_thread_blas():
        it, gap = _newton_loop(m, r, c, mu, u, v, rows_on, cols_on, scale, tol, maxit)
    mu += forced
    out = mu.reshape(lead + (n, k))
    if squeeze:
        return IPFResult(out[0], it, float(gap[0]), bool(gap[0] <= tol))
    return IPFResult(out, np.full(lead, it), gap.reshape(lead), (gap <= tol).reshape(lead))


def _newton_loop(
    m: NDArray[np.float64], r: NDArray[np.float64], c: NDArray[np.float64], mu: NDArray[np.float64],
    u: NDArray[np.float64], v: NDArray[np.float64], rows_on: NDArray[np.bool_], cols_on: NDArray[np.bool_],
    scale: NDArray[np.float64], tol: float, maxit: int,
) -> tuple[int, NDArray[np.float64]]:
    k = m.shape[2]
    # the gap is measured before each step and once after the last, so that the count is the
    # steps taken and the gap (and convergence) are those of the table returned
    it = 0
    gap = np.full(m.shape[0], np.inf)
    for it in range(maxit + 1):
        rs, cs = mu.sum(axis=2), mu.sum(axis=1)
        gr, gc = rs - r, cs - c
        gap = np.maximum(np.abs(gr).max(axis=1), np.abs(gc).max(axis=1)) / scale
        active = gap > tol
        if not active.any() or it == maxit:
            break
        ia = np.nonzero(active)[0]
        mua, rsa, csa = mu[ia], rs[ia], cs[ia]
        dinv = np.where(rows_on[ia], 1.0 / np.where(rsa > 0, rsa, 1.0), 0.0)
        schur = -np.matmul(np.swapaxes(mua, 1, 2) * dinv[:, None, :], mua)
        diag = np.where(cols_on[ia], csa, 1.0)
        # Ridge: the Schur complement is singular along one direction per connected block of the table.
        schur[:, np.arange(k), np.arange(k)] += diag * (1 + 1e-9) + 1e-9 * diag.mean(axis=1, keepdims=True)
        rhs = -gc[ia] + np.einsum("bij,bi->bj", mua, dinv * gr[ia])
        rhs = np.where(cols_on[ia], rhs, 0.0)
        dv = np.linalg.solve(schur, rhs[..., None])[..., 0]
        dv = np.where(cols_on[ia], dv, 0.0)
        du = dinv * (-gr[ia] - np.einsum("bij,bj->bi", mua, dv))
        step = np.maximum(np.abs(du).max(axis=1), np.abs(dv).max(axis=1))
        damp = np.minimum(1.0, 2.0 / np.maximum(step, 1e-300))
        u[ia] += damp[:, None] * du
        v[ia] += damp[:, None] * dv
        mu[ia] = m[ia] * np.exp(u[ia][:, :, None] + v[ia][:, None, :])
    return it, gap
