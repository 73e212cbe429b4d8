"""What :func:`corridor.estimate` does with a calibrated design.

The estimator sees an ordinary design over a prepared frame:

* Taylor designs: ``Design(weights="__cal_w", ...)`` with the base design's
  strata, clusters and fpc (rows become their own clusters for element
  sampling, so that residuals are summed per row); the scan also groups by the
  calibration cell ``__cal_p``, and :meth:`Hook.adjust` replaces the units'
  influence totals by their calibration residuals before the variance kernel.
* Replicate and converted designs: a :class:`ReplicateDesign` whose replicate
  weights are the recalibrated ones (``__cal_rw0``, ...), so replicate
  variances need nothing more.

The prepared frame joins the data with the table of cells (g-weights) and,
for converted designs, with the PSUs' replicate factors. Two sums in the scan
check that the data are those the design was calibrated on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import narwhals as nw
import numpy as np
import pyarrow as pa

from corridor.calibration.messages import t
from corridor.design import Design, Replicated, ReplicateDesign
from corridor.engine.columns import arrow_array, column_numpy, float_column
from corridor.errors import InputError

if TYPE_CHECKING:
    from corridor.calibration.calibrated import Calibrated
    from corridor.engine import Engine

W0 = "__cal_w0"
PAT = "__cal_p"
WEIGHT = "__cal_w"
ROW = "__cal_row"


class Hook:
    """A calibrated design as the estimator uses it (built by :meth:`Calibrated.for_estimation`)."""

    def __init__(self, cal: Calibrated, engine: Engine, lf: nw.LazyFrame, source: str, needed: Any = ()) -> None:
        self.cal = cal
        self.source = source
        self.flag = cal.flag
        base = cal.base
        # only the columns the request reads go on: replicate designs add hundreds of columns, and an
        # engine's cost of checking an expression grows with the columns of its frame
        names = lf.collect_schema().names()
        keep = [*needed, *cal.keys, *cal.columns, *cal.repcols, *([cal.w0_column] if cal.w0_column else [])]
        if cal.w0_table is not None:
            keep += [c for c in cal.w0_table.column_names if c != W0]
        if cal.factor_table is not None:
            keep += [c for c in cal.factor_table.column_names if not c.startswith("__cal_f")]
        if all(c in names for c in keep):  # else the estimator names the missing column among all of them
            lf = lf.select(*dict.fromkeys(keep))
        w0, lf = self._w0(lf, engine)
        n_reps = cal.g_reps.shape[1] if cal.g_reps is not None else 0
        columns = {PAT: arrow_array(np.arange(len(cal.g)), pa.int64()), "__cal_g": arrow_array(cal.g, pa.float64())}
        for r in range(n_reps):
            columns[f"__cal_g{r}"] = arrow_array(cal.g_reps[:, r], pa.float64())  # type: ignore[index]
        if W0 in cal.keys:  # bounds on the weights: the design weight is a key of the cells
            lf = lf.with_columns(w0.alias(W0))
            w0 = nw.col(W0)
        if cal.keys:
            cells = cal.cells
            for name, values in columns.items():
                cells = cells.append_column(name, values)
            lf = lf.join(_small(engine, lf, cells), on=cal.keys, how="left")
        else:  # calibrated to the population size only: one cell
            lf = lf.with_columns(*[nw.lit(v[0].as_py()).alias(k) for k, v in columns.items()])
        # every derived column in one step: each step of a lazy plan is bound again by the engine
        derived = [w0.alias(W0), (w0 * nw.col("__cal_g")).alias(WEIGHT)] if W0 not in cal.keys else [
            (w0 * nw.col("__cal_g")).alias(WEIGHT)]
        self.residuals = cal.residuals
        self.keys: list[str] = []
        if isinstance(base, Design):
            ids = base.ids
            self.design: Any = None
            if not ids:
                ids = (ROW,)
            self.design = Design(
                weights=WEIGHT, strata=base.strata, ids=ids, fpc=base.fpc, nest=base.nest, lonely_psu=base.lonely_psu,
                adjust_domain_lonely=base.adjust_domain_lonely, ultimate_cluster=base.ultimate_cluster,
            )
            self.keys = [PAT]
            lf = lf.with_columns(*derived)
            if not base.ids:
                # element sampling: every row its own PSU, so that its residual is its own total
                lf = lf.with_row_index(ROW, order_by=[W0])
        elif isinstance(base, Replicated):
            assert cal.factor_table is not None and cal.rep_rscales is not None
            psu = [c for c in cal.factor_table.column_names if not c.startswith("__cal_f")]
            lf = lf.join(_small(engine, lf, cal.factor_table), on=psu, how="left")
            derived += [(w0 * nw.col(f"__cal_f{r}") * nw.col(f"__cal_g{r}")).alias(f"__cal_rw{r}")
                        for r in range(n_reps)]
            lf = lf.select(*self._plain(lf, n_reps), *derived)
            self.design = ReplicateDesign(
                repweights=tuple(f"__cal_rw{r}" for r in range(n_reps)), weights=WEIGHT, type="other",
                scale=cal.rep_scale, rscales=tuple(cal.rep_rscales), mse=base.mse, df=cal.rep_df,
            )
        else:
            assert isinstance(base, ReplicateDesign)
            for r, col in enumerate(cal.repcols):
                rw = nw.col(col).cast(nw.Float64)
                rw = rw if base.combined_weights else rw * w0
                derived.append((rw * nw.col(f"__cal_g{r}")).alias(f"__cal_rw{r}"))
            lf = lf.select(*self._plain(lf, n_reps, drop=cal.repcols), *derived)
            df = base.df if base.df is not None else self._rank_df(engine, lf, n_reps)
            self.design = ReplicateDesign(
                repweights=tuple(f"__cal_rw{r}" for r in range(n_reps)), weights=WEIGHT, type=base.type,
                scale=base.scale, rscales=base.rscales, rho=base.rho, combined_weights=True, mse=base.mse, df=df,
            )
        self.frame = lf

    @staticmethod
    def _plain(lf: nw.LazyFrame, n_reps: int, drop: Any = ()) -> list[str]:
        """The frame's columns without the per-replicate helpers (only the replicate weights go on)."""
        helpers = {*(f"__cal_g{r}" for r in range(n_reps)), *(f"__cal_f{r}" for r in range(n_reps)), *drop}
        return [c for c in lf.collect_schema().names() if c not in helpers]

    def _rank_df(self, engine: Engine, lf: nw.LazyFrame, n_reps: int) -> float:
        """Rank of the calibrated replicate weights minus one (R's degf), found once per design."""
        if self.cal.rank_df is None:
            from corridor.estimation.replicates import rank_df

            gram = np.zeros((n_reps, n_reps))
            for batch in engine.iter_batches(lf.select(*[f"__cal_rw{r}" for r in range(n_reps)])):
                x = np.column_stack([float_column(batch.column(i)) for i in range(n_reps)])
                gram += x.T @ x
            self.cal.rank_df = float(rank_df(gram))
        return self.cal.rank_df

    def _w0(self, lf: nw.LazyFrame, engine: Engine) -> tuple[nw.Expr, nw.LazyFrame]:
        """The design weight as an expression (and the frame, joined with the fpc-implied weights if needed)."""
        cal = self.cal
        if cal.w0_table is not None:
            keys = [c for c in cal.w0_table.column_names if c != W0]
            return nw.col(W0), lf.join(_small(engine, lf, cal.w0_table), on=keys, how="left")
        if cal.w0_column is not None:
            return nw.col(cal.w0_column).cast(nw.Float64), lf
        return nw.lit(1.0), lf

    # ---- the scan ----------------------------------------------------------------------------------
    def aggregates(self, values: list[nw.Expr]) -> list[nw.Expr]:
        """Sums the scan adds: design weights (to check the data) and, for raking, unweighted sums."""
        aggs = [nw.col(W0).sum().alias("__cal_w0s"), nw.col(PAT).is_null().cast(nw.Float64).sum().alias("__cal_miss")]
        if self.residuals is not None and self.residuals.kind == "rake":
            aggs += [v.sum().alias(f"__cal_u{j}") for j, v in enumerate(values)]
        return aggs

    def check(self, tbl: pa.Table) -> None:
        """The data must be the data the design was calibrated on: every row in a cell, the same weights."""
        cal = self.cal
        miss = int(float_column(tbl["__cal_miss"]).sum())
        if miss:
            raise InputError(t("estimate.unmatched", source=self.source, n=miss), hint=t("estimate.other_data.hint"))
        w0s = float_column(tbl["__cal_w0s"])
        if PAT in tbl.column_names:
            got = np.bincount(np.asarray(column_numpy(tbl[PAT]), dtype=np.int64), weights=w0s,
                              minlength=len(cal.cell_w0))
        else:
            got, want = np.array([w0s.sum()]), np.array([cal.cell_w0.sum()])
            self._compare(got, want)
            return
        self._compare(got, cal.cell_w0)

    def _compare(self, got: np.ndarray, want: np.ndarray) -> None:
        bad = np.abs(got - want) > 1e-9 * np.maximum(np.abs(want), 1.0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(t("estimate.other_data", source=self.source, got=float(got[i]), want=float(want[i])),
                             hint=t("estimate.other_data.hint"))

    # ---- Taylor residuals --------------------------------------------------------------------------
    def adjust(self, blocks: Any, *, tbl: pa.Table, sums: np.ndarray, one: int, structure: Any,
               num: np.ndarray, den: np.ndarray, a_num: np.ndarray, a_den: np.ndarray) -> Any:
        """Blocks whose influence totals are the calibration residuals' totals of every (domain, unit)."""
        from corridor.estimation import taylor

        res = self.residuals
        assert res is not None
        stage = _finest(structure, self.design)
        n_units = len(stage.unit_stratum)
        cell = np.asarray(column_numpy(tbl[PAT]), dtype=np.int64)
        ent_group = blocks.group
        zu = None
        if res.kind == "rake":
            u = np.column_stack([float_column(tbl[f"__cal_u{j}"]) for j in range(int(sums.shape[1]))])
            dom = blocks.domain
            zu = np.zeros_like(blocks.z)
            for o in range(blocks.z.shape[1]):
                zu[:, o] = a_num[dom, o] * u[ent_group, num[o]]
                if den[o] >= 0:
                    zu[:, o] += a_den[dom, o] * u[ent_group, den[o]]
            zu[np.isnan(zu)] = 0.0
        totals = res.unit_totals(
            ent_dom=blocks.domain, ent_cell=cell[ent_group], ent_unit=stage.unit[ent_group], zw=blocks.z, zu=zu,
            n_dom=blocks.n_dom, grp_cell=cell, grp_unit=stage.unit, grp_w=sums[:, one],
            grp_rows=float_column(tbl["__rows"]), n_units=n_units,
        )
        rep = np.full(n_units, -1, dtype=np.int64)
        rep[stage.unit[::-1]] = np.arange(len(stage.unit))[::-1]
        n_dom, width = blocks.n_dom, blocks.z.shape[1]
        z = totals.reshape(n_dom * n_units, width)
        present = np.ones(z.shape, dtype=bool)
        return taylor.Blocks(np.repeat(np.arange(n_dom), n_units), np.tile(rep, n_dom), z, present,
                             np.ones(z.shape), n_dom)

    def quantile_columns(self) -> list[nw.Expr]:
        return [nw.col(PAT)] if self.keys else []

    def rows(self, rows: pa.Table) -> None:
        """The rows a quantile reads: their calibration cells, for :meth:`adjust_rows`."""
        self.row_cells = np.asarray(column_numpy(rows[PAT]), dtype=np.int64)

    def adjust_rows(self, z: np.ndarray, sel: np.ndarray, w: np.ndarray, structure: Any) -> Any:
        """Pairs of the units' residual totals for one domain's weighted influence ``z`` (its rows ``sel``)."""
        from corridor.estimation import taylor

        res = self.residuals
        assert res is not None
        stage = _finest(structure, self.design)
        n_units = len(stage.unit_stratum)
        cell = self.row_cells
        group = np.flatnonzero(sel)
        zw = z[:, None]
        zu = (z / w[group])[:, None] if res.kind == "rake" else None
        totals = res.unit_totals(
            ent_dom=np.zeros(len(group), dtype=np.int64), ent_cell=cell[group], ent_unit=stage.unit[group], zw=zw,
            zu=zu, n_dom=1, grp_cell=cell, grp_unit=stage.unit, grp_w=w, grp_rows=np.ones(len(w)), n_units=n_units,
        )[0, :, 0]
        rep = np.full(n_units, -1, dtype=np.int64)
        rep[stage.unit[::-1]] = np.arange(len(stage.unit))[::-1]
        ones = np.ones(n_units)
        return taylor.Pairs(out=np.zeros(n_units, dtype=np.int64), group=rep, z=totals, present=ones > 0, rows=ones)

    # ---- the result --------------------------------------------------------------------------------
    def flag_table(self, table: pa.Table) -> pa.Table:
        """Every row flagged when a calibration kept its last iterate."""
        if not self.flag:
            return table
        old = table["flag"].to_pylist()
        new = [self.flag if not f else f"{f};{self.flag}" for f in old]
        i = table.column_names.index("flag")
        return table.set_column(i, "flag", arrow_array(new, pa.string()))

    def meta(self) -> dict[str, Any]:
        return {"calibration": self.cal.summary()}


def _small(engine: Engine, lf: nw.LazyFrame, table: pa.Table) -> nw.LazyFrame:
    """A lookup table the engine can join with ``lf`` (DuckDB: on ``lf``'s own connection)."""
    beside = getattr(engine, "beside", None)
    return beside(lf, table) if beside is not None else engine.open(table)


def _finest(structure: Any, design: Design) -> Any:
    """The stage whose units the variance kernel sums (as the estimator pools its cells)."""
    used = max(1, len(design.fpc) if not design.ultimate_cluster else 1)
    return structure.stages[min(used, len(structure.stages)) - 1]
