"""Replicate-weight variances and the conversion of a Taylor design into replicates.

Variance of an estimate from ``R`` replicate estimates (Wolter 2007; R
``svrVar``): ``V = scale * sum_r rscales_r (theta_r - c)^2`` with ``c`` the
replicate mean, or the full-sample estimate when ``mse``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from corridor._deps import single_thread_blas
from corridor.design import Replicated
from corridor.errors import DesignError
from corridor.estimation.structure import Structure
from corridor.i18n import Message

if TYPE_CHECKING:
    import narwhals as nw
    import pyarrow as pa

    from corridor.engine.base import Engine


def _deviations(theta: np.ndarray, reps: np.ndarray, mse: bool) -> np.ndarray:
    """Replicate estimates minus their centre; NaN in every row where some replicate estimate (or,
    under ``mse``, the estimate) is not a finite number.

    Such rows are an empty domain (no estimate at all), a denominator summing to zero in a
    replicate, or a proportion of 0 or 1 on the log-odds scale: their variance is undefined and
    the caller flags them. Said here rather than left to NaN arithmetic, which also warned
    ('Mean of empty slice', 'invalid value encountered in subtract').
    """
    ok = np.isfinite(reps).all(axis=1)
    if mse:
        ok &= np.isfinite(theta)
    dev = np.full(reps.shape, np.nan)
    if ok.any():
        centre = theta[ok, None] if mse else reps[ok].mean(axis=1, keepdims=True)
        dev[ok] = reps[ok] - centre
    return dev


def replicate_variance(
    theta: np.ndarray, reps: np.ndarray, scale: float, rscales: np.ndarray, mse: bool
) -> np.ndarray:
    """Variances of outputs: ``theta`` (K,), replicate estimates ``reps`` (K, R); NaN where undefined."""
    dev = _deviations(theta, reps, mse)
    var: np.ndarray = scale * (dev**2 * rscales[None, :]).sum(axis=1)
    return var


def replicate_covariance(
    theta: np.ndarray, reps: np.ndarray, scale: float, rscales: np.ndarray, mse: bool
) -> np.ndarray:
    """Covariances of outputs (K, K); NaN in the rows and columns of outputs without a variance."""
    dev = _deviations(theta, reps, mse)
    cov: np.ndarray = scale * (dev * rscales[None, :]) @ dev.T
    return cov


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
        raise DesignError(Message("estimation.replicates_need_cluster_ids"), hint=Message("estimation.replicates_need_cluster_ids.hint"))
    if conv.type == "JK1":
        if len(n_h) > 1:
            raise DesignError(
                Message("estimation.replicates_cannot_built_stratified"),
                hint=Message("estimation.replicates_cannot_built_stratified.hint"),
            )
        n = n_units
        factors = np.full((n_units, n), n / (n - 1.0))
        np.fill_diagonal(factors, 0.0)
        scale = (n - 1.0) / n * float(f_h[0])
        return factors, scale, np.ones(n)
    if conv.type == "JKn":
        if (n_h < 2).any():
            raise DesignError(Message("estimation.jkn_replicates_need_least"))
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
            raise DesignError(Message("estimation.bootstrap_replicates_need_least"))
        draws = rng.integers(0, nh, size=(nh - 1, r))
        counts = np.zeros((nh, r))
        for j in range(r):
            counts[:, j] = np.bincount(draws[:, j], minlength=nh)
        factors[members] = counts * nh / (nh - 1.0)
    nbar = float(np.mean(n_h))
    scale = nbar / ((nbar - 1.0) * (r - 1.0))
    return factors, scale, np.ones(r)


# ---- degrees of freedom: the rank of the replicate weights of the rows used, minus one -------
# R's ``degf`` of a replicate design (and of each domain's subset, as ``svyby`` makes them) is the
# rank of its rows' replicate weights minus one (qr with tolerance 1e-5). The rank is that of the
# rows' directions: rows of one PSU have proportional replicate weights, so a file of millions
# of rows holds a few thousand directions. Each batch of rows is reduced to its distinct
# directions per cell (a signature: two random projections of the unit-length row, rounded),
# and each cell keeps an orthonormal basis of what it has seen; a cell whose rank reaches the
# number of replicates is complete, and reading stops once every cell is.

RANK_TOL = 1e-5
_SIG_SCALE = float(2**36)


class RowSpace:
    """The span of the row vectors seen so far, kept as their Gram matrix (one product per batch).

    Rank is the number of eigenvalues of the Gram matrix above ``RANK_TOL**2`` times the largest:
    singular values of the rows above ``RANK_TOL`` times the largest (R: qr with tol 1e-5). Few
    large LAPACK calls: small ones cost more in a multithreaded BLAS than they compute.
    """

    def __init__(self, width: int) -> None:
        self.width = width
        self.gram = np.zeros((width, width))
        self._rank: int | None = 0

    @property
    def rank(self) -> int:
        if self._rank is None:
            self._rank = _gram_rank(self.gram)
        return self._rank

    @property
    def full(self) -> bool:
        return self.rank >= self.width

    def add(self, rows: np.ndarray) -> None:
        if len(rows) and not self.full:
            self.gram += rows.T @ rows
            self._rank = None

    def merged_rank(self, others: list[RowSpace]) -> int:
        """Rank of the union of this space and ``others``."""
        spaces = [self, *others]
        if any(sp.full for sp in spaces):
            return self.width
        return _gram_rank(sum((sp.gram for sp in spaces), np.zeros((self.width, self.width))))


def _gram_rank(gram: np.ndarray) -> int:
    eig = np.linalg.eigvalsh(gram)
    top = float(eig[-1]) if eig.size else 0.0
    return int((eig > RANK_TOL**2 * top).sum()) if top > 0 else 0


def distinct_directions(cols: list[np.ndarray], cell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One row index per distinct (cell, direction) of replicate-weight columns, sorted by cell, and
    every row's Euclidean norm. Rows whose replicate weights are all zero have no direction and are
    left out.
    """
    n = len(cell)
    rng = np.random.default_rng(20240611)
    g = rng.standard_normal((2, len(cols)))
    norm2 = np.zeros(n)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    for r, c in enumerate(cols):
        norm2 += c * c
        s1 += g[0, r] * c
        s2 += g[1, r] * c
    ok = norm2 > 0
    norm = np.sqrt(norm2, where=ok, out=np.ones(n))
    q1 = np.round(s1 / norm * _SIG_SCALE).astype(np.int64)
    q2 = np.round(s2 / norm * _SIG_SCALE).astype(np.int64)
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((q2[idx], q1[idx], cell[idx]))]
    c_, a_, b_ = cell[order], q1[order], q2[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (c_[1:] != c_[:-1]) | (a_[1:] != a_[:-1]) | (b_[1:] != b_[:-1])
    return order[first], norm


def feed(space: RowSpace, cols: list[np.ndarray], norm: np.ndarray, rows: np.ndarray) -> None:
    """Add the unit-length replicate-weight rows ``rows`` to ``space``, in growing chunks, until it is full.

    A space of full rank needs only a few times as many rows as replicates; the rest are skipped.
    """
    step = 4 * space.width
    i = 0
    while i < len(rows) and not space.full:
        take = rows[i : i + step]
        space.add(np.column_stack([c[take] for c in cols]) / norm[take][:, None])
        i += step
        step *= 2


def rank_df(rows: np.ndarray) -> int:
    """Degrees of freedom of the replicate weights ``rows`` (rows x replicates): rank minus one."""
    space = RowSpace(rows.shape[1])
    cols = [np.ascontiguousarray(rows[:, r]) for r in range(rows.shape[1])]
    rep, norm = distinct_directions(cols, np.zeros(len(rows), dtype=np.int64))
    feed(space, cols, norm, rep)
    return space.rank - 1


@dataclass
class RankScan:
    """What a pass over the replicate weights found: row spaces, and whether the weights say nothing."""

    whole: RowSpace
    spaces: list[dict[tuple[Any, ...], RowSpace]]
    identical: bool  # every replicate column equals every other
    equal_to_weight: bool  # every replicate column equals the full-sample weight


def rank_spaces(
    engine: Engine, frame: nw.LazyFrame[Any], weights: list[nw.Expr], keys: list[str], flags: list[nw.Expr],
    expected: list[set[tuple[Any, ...]]], base: nw.Expr | None = None, total_rows: int | None = None,
) -> RankScan:
    """The row space of every row's replicate weights, and per flag the row space of each cell.

    ``weights`` are the replicate weight expressions, ``keys`` the columns whose value tuples make
    a cell, ``flags[f]`` a row condition (rows counted by an output) and ``expected[f]`` the cells
    that have rows with it; ``base`` the full-sample weight. Identical columns (or columns equal
    to the full-sample weight) have rank one, so they are looked for only while the rank is below
    two. The first rows are read on their own (a few per replicate and cell, then eight times as
    many while that is under half of ``total_rows``): usually every space is complete after them,
    and the pass over the whole file is not needed (when it is, rows read before count again,
    which leaves every rank as it is).
    """
    with single_thread_blas():  # many small Gram products and eigen decompositions (R x R)
        return _rank_spaces(engine, frame, weights, keys, flags, expected, base, total_rows)


def _rank_spaces(
    engine: Engine, frame: nw.LazyFrame[Any], weights: list[nw.Expr], keys: list[str], flags: list[nw.Expr],
    expected: list[set[tuple[Any, ...]]], base: nw.Expr | None, total_rows: int | None,
) -> RankScan:
    import narwhals as nw

    R = len(weights)
    scan = RankScan(RowSpace(R), [{cell: RowSpace(R) for cell in exp} for exp in expected], True, base is not None)
    sel = frame.select(*[nw.col(k).alias(f"__k{i}") for i, k in enumerate(keys)],
                       *[f.alias(f"__f{i}") for i, f in enumerate(flags)],
                       *[w.alias(f"__rw{i}") for i, w in enumerate(weights)],
                       *([base.alias("__base")] if base is not None else []))
    # a few rows per replicate and cell first, then eight times as many, ..., then every row
    cells = max(1, sum(len(e) for e in expected))
    size = min(max(4 * R * cells, 1 << 13), _FIRST_ROWS)
    while True:
        part = sel.head(size) if size else sel
        rows = 0
        for batch in engine.iter_batches(part, batch_size=_FIRST_ROWS):
            rows += batch.num_rows
            _rank_batch(scan, batch, len(keys), len(flags), R, base is not None)
            if _complete(scan):
                break
        if _complete(scan) or not size or rows < size:  # complete, or every row has been read
            break
        size = size * 8 if size * 8 <= (total_rows or 0) // 2 else 0
    if scan.whole.rank >= 2:  # columns that differ somewhere: neither identical nor the weight
        scan.identical = scan.equal_to_weight = False
    return scan


_FIRST_ROWS = 1 << 17
_SAME_TOL = 1e-12


def _complete(scan: RankScan) -> bool:
    # the design's rank is needed too: complete only at full rank (which is two or more)
    return scan.whole.full and scan.whole.rank >= 2 and all(sp.full for per in scan.spaces for sp in per.values())


def _rank_batch(scan: RankScan, batch: pa.RecordBatch, n_keys: int, n_flags: int, R: int, has_base: bool) -> None:
    from corridor.engine.columns import column_numpy, float_column
    from corridor.estimation.structure import codes, combine

    n = batch.num_rows
    if not n:
        return
    cols = [float_column(batch.column(n_keys + n_flags + r)) for r in range(R)]
    if scan.whole.rank < 2 and (scan.identical or scan.equal_to_weight):
        top = max(float(np.abs(c).max()) for c in cols) or 1.0
        if scan.identical and any(np.abs(c - cols[0]).max() > _SAME_TOL * top for c in cols[1:]):
            scan.identical = False
        if scan.equal_to_weight:
            w = float_column(batch.column(n_keys + n_flags + R))
            if any(np.abs(c - w).max() > _SAME_TOL * top for c in cols):
                scan.equal_to_weight = False
    keyed = [codes(batch.column(i)) for i in range(n_keys)]  # (row codes, distinct values) per key column
    code = combine(*[c for c, _ in keyed]) if n_keys else np.zeros(n, dtype=np.int64)
    flag_cols = [np.asarray(column_numpy(batch.column(n_keys + f)), dtype=bool) for f in range(n_flags)]
    full = combine(code, *[fc.astype(np.int64) for fc in flag_cols]) if n_flags else code
    # representatives come sorted by their (cell, flags) code
    rep, norm = distinct_directions(cols, full)
    feed(scan.whole, cols, norm, rep)
    if not n_flags or not len(rep):
        return
    _, first = np.unique(code, return_index=True)  # codes are dense: one first row per code
    # the key values of each cell, from the distinct values (no Arrow compute kernels: their import is slow)
    values = [vals.to_pylist() for _, vals in keyed]
    cell_of = [tuple(values[i][int(keyed[i][0][r])] for i in range(n_keys)) for r in first.tolist()]
    rc = full[rep]
    starts = np.flatnonzero(np.concatenate([[True], rc[1:] != rc[:-1]]))
    ends = np.append(starts[1:], len(rep))
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        row = rep[a]
        for f in range(n_flags):
            if flag_cols[f][row]:
                feed(scan.spaces[f].setdefault(cell_of[code[row]], RowSpace(R)), cols, norm, rep[a:b])
