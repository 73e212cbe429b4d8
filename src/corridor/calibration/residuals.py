"""Calibration residuals for Taylor standard errors, from grouped sums.

R's ``svyrecvar`` replaces each row's weighted estimating function ``w_i z_i``
by its residual from the calibration before the usual design-based variance:

* regression-type calibration (``calibrate`` with any distance function,
  ``postStratify``): ``w_i (z_i - x_i' B)`` with ``B = M^- sum_j d_j x_j z_j``,
  ``M = sum_j d_j x_j x_j'``, ``d_j`` the design weight over the variance
  (the variance enters only R's one-step linear calibration), and with weights
  averaged within clusters the ``w_i`` of the projection is ``g`` times the
  cluster's mean design weight;
* ``rake``: the margins' residuals back-fitted in exactly 10 sweeps,
  ``x <- x - psw_m * ave(x / psw_m, margin m)``, an unweighted mean within each
  margin cell, ``psw_m`` the weights after margin ``m`` in the last raking sweep.

Both subtract from a unit's total ``sum_i w_i z_i`` a term ``sum_i c_i phi(cell_i)``
where ``phi`` is constant within a cell of the calibration variables. So a
unit's adjusted total is its usual total minus (mass of the unit in each cell)
times ``phi``: the sums per (unit, cell) and per (domain, cell) of one grouped
scan are all it takes, whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from corridor._deps import single_thread_blas

_SWEEPS = 10  # R's svyrecvar back-fits raking margins a fixed 10 times


def _pinv_sym(m: np.ndarray, rcond: float = 1e-13) -> np.ndarray:
    """A generalised inverse of a symmetric positive semi-definite matrix, scaled to unit diagonal first."""
    d = np.sqrt(np.diag(m).copy())
    d[d == 0] = 1.0
    ms = m / d[:, None] / d[None, :]
    vals, vecs = np.linalg.eigh(ms)
    keep = vals > rcond * max(vals.max(initial=0.0), 0.0)
    inv = (vecs[:, keep] / vals[keep]) @ vecs[:, keep].T
    return inv / d[:, None] / d[None, :]


@dataclass
class Residuals:
    """What the variance of a calibrated design needs about its cells (one row per cell)."""

    kind: str  # "greg" or "rake"
    n_cells: int
    x: np.ndarray | None = None  # greg: the model matrix of the cells
    h: np.ndarray | None = None  # greg: d_j / w_j of a cell's rows, 1 / (g sigma2)
    minv: np.ndarray | None = None  # greg: generalised inverse of M
    m: np.ndarray | None = None  # greg: M
    mass: np.ndarray | None = None  # per-row projection weight when weights are averaged in clusters
    cells: list[np.ndarray] = field(default_factory=list)  # rake: margin cell of each cell
    n_levels: list[int] = field(default_factory=list)
    rho: list[np.ndarray] = field(default_factory=list)  # rake: psw_m / w of each cell
    n_rows: np.ndarray | None = None  # rake: rows of each cell

    @classmethod
    def greg(cls, x: np.ndarray, w: np.ndarray, sigma2: np.ndarray, g: np.ndarray,
             mass: np.ndarray | None = None) -> Residuals:
        """``x``: model matrix per cell; ``w``: design weight of the cell; ``sigma2``: variance of the cell."""
        m = (x * (w / sigma2)[:, None]).T @ x
        return cls("greg", len(x), x=x, h=1.0 / (g * sigma2), minv=_pinv_sym(m), m=m, mass=mass)

    @classmethod
    def rake(cls, cells: list[np.ndarray], n_levels: list[int], rho: list[np.ndarray], n_rows: np.ndarray) -> Residuals:
        return cls("rake", len(n_rows), cells=cells, n_levels=n_levels, rho=rho, n_rows=n_rows)

    def unit_totals(
        self,
        *,
        ent_dom: np.ndarray,
        ent_cell: np.ndarray,
        ent_unit: np.ndarray,
        zw: np.ndarray,
        zu: np.ndarray | None,
        n_dom: int,
        grp_cell: np.ndarray,
        grp_unit: np.ndarray,
        grp_w: np.ndarray,
        grp_rows: np.ndarray,
        n_units: int,
    ) -> np.ndarray:
        """Adjusted totals of every (domain, unit, output): array ``(n_dom, n_units, O)``.

        Entries are the scan groups inside the subpopulation: domain, cell, unit and, per output,
        the sum of the weighted (``zw``) and, for raking, unweighted (``zu``) estimating function.
        Groups are all scan groups (inside and outside the subpopulation): cell, unit, sum of
        calibrated weights and rows.
        """
        from scipy import sparse  # only for calibrated designs

        with single_thread_blas():
            return self._unit_totals(sparse, ent_dom, ent_cell, ent_unit, zw, zu, n_dom, grp_cell, grp_unit, grp_w,
                                     grp_rows, n_units)

    def _unit_totals(self, sparse: Any, ent_dom: np.ndarray, ent_cell: np.ndarray, ent_unit: np.ndarray,
                     zw: np.ndarray, zu: np.ndarray | None, n_dom: int, grp_cell: np.ndarray, grp_unit: np.ndarray,
                     grp_w: np.ndarray, grp_rows: np.ndarray, n_units: int) -> np.ndarray:
        n_out = zw.shape[1]
        mass = self.mass[grp_cell] * grp_rows if self.mass is not None else grp_w
        c = sparse.csr_matrix((mass, (grp_unit, grp_cell)), shape=(n_units, self.n_cells))
        key = ent_dom * n_units + ent_unit
        out = np.empty((n_dom, n_units, n_out))
        u = c @ self.x if self.kind == "greg" else None
        for o in range(n_out):
            out[:, :, o] = np.bincount(key, weights=zw[:, o], minlength=n_dom * n_units).reshape(n_dom, n_units)
            if self.kind == "greg":
                assert self.h is not None and self.minv is not None and u is not None
                y = sparse.csr_matrix((self.h[ent_cell] * zw[:, o], (ent_dom, ent_cell)), shape=(n_dom, self.n_cells))
                r = np.asarray(y @ self.x)  # n_dom x K
                beta = r @ self.minv  # minv is symmetric
                beta += (r - beta @ self.m) @ self.minv  # one step of refinement: residuals near 0 stay near 0
                adj = u @ beta.T  # n_units x n_dom
            else:
                assert zu is not None
                z = sparse.csr_matrix((zu[:, o], (ent_cell, ent_dom)), shape=(self.n_cells, n_dom)).toarray()
                adj = np.asarray(c @ self.backfit(z))
            out[:, :, o] -= adj.T
        return out

    def backfit(self, z: np.ndarray) -> np.ndarray:
        """R's 10 sweeps over the raking margins: ``phi`` per (cell, column) from the cells' unweighted sums ``z``."""
        assert self.n_rows is not None
        phi = np.zeros_like(z)
        n = self.n_rows[:, None]
        for _ in range(_SWEEPS):
            for cell, levels, rho in zip(self.cells, self.n_levels, self.rho, strict=True):
                r = rho[:, None]
                part = (z - n * phi) / r
                sums = np.zeros((levels, z.shape[1]))
                np.add.at(sums, cell, part)
                count = np.bincount(cell, weights=self.n_rows, minlength=levels)
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean = np.where(count[:, None] > 0, sums / np.where(count > 0, count, 1.0)[:, None], 0.0)
                phi += r * mean[cell]
        return phi
