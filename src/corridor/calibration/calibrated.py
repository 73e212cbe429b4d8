"""Calibrating a design: one grouped scan to the data's cells, the solver on the cells, a calibrated design.

The scan groups the rows by the calibration variables (and, where needed, by
the clusters whose weights are averaged, the variance column, the replicate
PSUs), so the solvers and every check run on a table of cells, never on rows.
The result, :class:`Calibrated`, is a design that every estimator accepts: the
calibrated weight of a row is its design weight times its cell's g-weight
(a join with the small table of cells), and Taylor standard errors take the
calibration residuals through :mod:`corridor.calibration.residuals`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import narwhals as nw
import numpy as np
import pyarrow as pa

from corridor._deps import single_thread_blas
from corridor.calibration import solve
from corridor.calibration.hook import _small
from corridor.calibration.messages import t
from corridor.calibration.model import Model, build, key_codes
from corridor.calibration.residuals import Residuals
from corridor.calibration.totals import Totals, read_totals
from corridor.design import AnyDesign, Design, Replicated, ReplicateDesign
from corridor.engine import Engine, get_engine
from corridor.engine.columns import arrow_array, column_numpy, float_column
from corridor.errors import ColumnNotFoundError, EstimationError, InputError, UnsupportedError
from corridor.estimation import replicates as _replicates
from corridor.estimation.structure import build_structure

Method = Literal["linear", "raking", "logit", "rake", "poststratify"]
OnFail = Literal["error", "warn"]
FLAG = "calibration_not_converged"
W0 = "__cal_w0"
PAT = "__cal_p"


class CalibrationError(EstimationError):
    """Calibration cannot reach the totals: no convergence, bounds that cannot be met, negative weights."""


class CalibrationWarning(UserWarning):
    """A calibration kept its last iterate (``on_nonconvergence="warn"``); its estimates are flagged."""


@dataclass(frozen=True)
class Options:
    method: str
    bounds: tuple[float, float] | None = None
    bounds_const: bool = False
    trim: tuple[float, float] | None = None
    maxit: int = 50
    epsilon: float = 1e-7
    variance: Any = None
    aggregate_stage: int | None = None
    on_nonconvergence: str = "error"

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "bounds": list(self.bounds) if self.bounds else None,
                "bounds_const": self.bounds_const, "trim": list(self.trim) if self.trim else None,
                "maxit": self.maxit, "epsilon": self.epsilon,
                "variance": self.variance if not isinstance(self.variance, np.ndarray) else self.variance.tolist(),
                "aggregate_stage": self.aggregate_stage, "on_nonconvergence": self.on_nonconvergence}


@dataclass
class Convergence:
    """How one calibration (the full sample or a replicate) ended."""

    iterations: int
    gap: float
    converged: bool
    replicate: int | None = None  # None: the full sample


@dataclass
class Calibrated:
    """A sample design calibrated to population totals; pass it as ``design=`` to :func:`corridor.estimate`.

    Attributes:
        base: the design before calibration.
        totals: the population totals.
        options: method and settings.
        convergence: how the full sample (and each replicate) calibration ended.
        weights: summaries of the weights before and after (``n``, ``sum``, ``min``, ``max``,
            ``g_min``, ``g_max``, ``g_cv``; replicate weights too for replicate designs).
        flag: ``calibration_not_converged`` when a calibration kept its last iterate
            (``on_nonconvergence="warn"``); every estimate on the design carries it.
    """

    base: AnyDesign
    totals: Totals
    options: Options
    convergence: list[Convergence]
    weights: dict[str, Any]
    check: pa.Table
    flag: str | None
    # the cells: key columns (as in the data), g of the full sample and of each replicate
    keys: list[str] = field(repr=False, default_factory=list)
    cells: pa.Table = field(repr=False, default=None)  # type: ignore[assignment]
    g: np.ndarray = field(repr=False, default=None)  # type: ignore[assignment]
    g_reps: np.ndarray | None = field(repr=False, default=None)
    cell_w0: np.ndarray = field(repr=False, default=None)  # type: ignore[assignment]
    residuals: Residuals | None = field(repr=False, default=None)
    # where the design weight comes from: a column, a table joined on design keys (fpc), or 1
    w0_column: str | None = field(repr=False, default=None)
    w0_table: pa.Table | None = field(repr=False, default=None)
    # converted replicates: factors per PSU (a table keyed on the PSU columns); scale, rscales, df
    factor_table: pa.Table | None = field(repr=False, default=None)
    rep_scale: float = field(repr=False, default=1.0)
    rep_rscales: np.ndarray | None = field(repr=False, default=None)
    rep_df: float | None = field(repr=False, default=None)
    repcols: list[str] = field(repr=False, default_factory=list)
    n_rows: int = 0
    source: str = "the data"
    rank_df: float | None = field(repr=False, default=None)  # replicate designs: found on first use

    @property
    def method(self) -> str:
        return self.options.method

    @property
    def converged(self) -> bool:
        return all(c.converged for c in self.convergence)

    @property
    def iterations(self) -> int:
        return self.convergence[0].iterations

    @property
    def gap(self) -> float:
        return self.convergence[0].gap

    @property
    def columns(self) -> tuple[str, ...]:
        base = self.base.columns if not isinstance(self.base, ReplicateDesign) else ()
        return tuple(dict.fromkeys([*base, *self.keys]))

    def for_estimation(self, engine: Engine, lf: nw.LazyFrame, source: str, needed: Sequence[str] = ()) -> Any:
        """The object :func:`corridor.estimate` works with (see :mod:`corridor.calibration.hook`);
        ``needed``: the data columns the request reads besides the design's."""
        from corridor.calibration.hook import Hook

        return Hook(self, engine, lf, source, needed)

    def summary(self) -> dict[str, Any]:
        """A plain description: method, options, convergence, weights before/after, totals check."""
        return {
            "method": self.method, "options": self.options.as_dict(),
            "iterations": self.iterations, "gap": self.gap, "converged": self.converged,
            "replicates_not_converged": [c.replicate for c in self.convergence[1:] if not c.converged],
            "weights": self.weights, "totals": self.totals.to_rows(), "check": self.check.to_pylist(),
            "flag": self.flag, "rows": self.n_rows,
        }

    def __repr__(self) -> str:
        w = self.weights["after"]
        return (f"Calibrated(method={self.method!r}, terms={[tm.name for tm in self.totals.terms]}, "
                f"iterations={self.iterations}, converged={self.converged}, sum={w['sum']:.6g}, "
                f"g=[{w['g_min']:.4g}, {w['g_max']:.4g}])")


# ---- public functions --------------------------------------------------------------------------------
def calibrate(
    data: Any,
    design: AnyDesign,
    totals: Any,
    *,
    method: Literal["linear", "raking", "logit"] = "linear",
    bounds: tuple[float, float] | None = None,
    bounds_const: bool = False,
    trim: tuple[float, float] | None = None,
    maxit: int = 50,
    epsilon: float = 1e-7,
    variance: str | float | Sequence[float] | None = None,
    aggregate_stage: int | None = None,
    on_nonconvergence: OnFail = "error",
    engine: str | Engine | None = None,
) -> Calibrated:
    """Calibrate a design's weights to population totals (as R's ``survey::calibrate``).

    Args:
        data: the survey data (a CSV/Parquet path, a frame or relation, as for :func:`corridor.estimate`).
        design: a :class:`~corridor.Design`, a converted design (``Design(...).replicates("JK1")``)
            or a :class:`~corridor.ReplicateDesign`; replicate designs are calibrated replicate by
            replicate.
        totals: population totals: a tidy table ``(term, level, total)`` (a CSV/Parquet path or a
            frame), a mapping ``{"sex": {"1": 9.7e6, "2": 10.1e6}, "income": 4.2e12}``, or a list of
            margin tables; see :func:`corridor.calibration.read_totals`.
        method: the distance function: ``linear`` (generalised regression; negative weights are an
            error), ``raking`` (multiplicative, weights stay positive), ``logit`` (needs ``bounds``).
        bounds: ``(low, high)`` for the g-weights (calibrated / design weight).
        bounds_const: ``bounds`` are for the calibrated weights themselves, not their ratios.
        trim: ``(low, high)``: after calibrating, clip g-weights and spread the clipped weight over
            the other rows (the totals then hold only approximately; R's ``trim``).
        maxit, epsilon: at most ``maxit`` Newton steps; stop when every total's misfit divided by
            ``1 + |total|`` is below ``epsilon`` (R's rule and defaults).
        variance: heteroskedasticity of the calibration model: a column name, or coefficients on
            the model's columns (a single number when there is one column, as R's ``variance=1``
            for the ratio estimator ``~x - 1``).
        aggregate_stage: keep weights constant within the clusters of this stage (cluster means
            of the calibration variables, R's ``aggregate.stage``).
        on_nonconvergence: ``error`` (default) or ``warn``: keep the last iterate, warn, and flag
            every estimate made with the design ``calibration_not_converged``.
        engine: ``duckdb`` (default), ``spark`` or an engine instance.

    Returns:
        :class:`Calibrated`.
    """
    if method not in solve.CALFUNS:
        raise InputError(t("method.unknown", method=method), hint=t("method.unknown.hint"))
    opts = Options(method, _pair(bounds, "bounds"), bool(bounds_const), _pair(trim, "trim"), int(maxit),
                   float(epsilon), variance, aggregate_stage, _onfail(on_nonconvergence))
    if method == "logit" and (opts.bounds is None or not all(np.isfinite(opts.bounds))):
        raise InputError(t("logit.bounds"), hint=t("logit.bounds.hint"))
    return _Builder(data, design, read_totals(totals), opts, engine).run()


def rake(
    data: Any,
    design: AnyDesign,
    margins: Any,
    *,
    maxit: int = 100,
    epsilon: float = 1e-10,
    on_nonconvergence: OnFail = "error",
    engine: str | Engine | None = None,
) -> Calibrated:
    """Rake a design to margins by iterative proportional fitting (as R's ``survey::rake``).

    Args:
        margins: one term per margin (a tidy table whose terms may cross variables,
            ``sex:age_group``), or a list of margin tables (the margin's variables and ``total``).
        maxit, epsilon: R's stopping rule: stop when no cell of the full table (every combination
            of the margin variables) changes by ``epsilon`` or more in a sweep (``epsilon < 1``: a
            fraction of the sum of the design weights), at most ``maxit`` sweeps. The defaults
            iterate to convergence; R's defaults (``epsilon=1, maxit=10``) stop earlier.

    Taylor standard errors follow R: the residuals of the margins are back-fitted in 10 sweeps.
    """
    opts = Options("rake", maxit=int(maxit), epsilon=float(epsilon), on_nonconvergence=_onfail(on_nonconvergence))
    return _Builder(data, design, read_totals(margins), opts, engine).run()


def poststratify(data: Any, design: AnyDesign, totals: Any, *, engine: str | Engine | None = None) -> Calibrated:
    """Post-stratify a design (as R's ``survey::postStratify``): ``totals`` has one term, whose
    cells (a variable, or several crossed) are the post-strata."""
    tot = read_totals(totals)
    if len(tot.terms) != 1 or tot.terms[0].kind != "categorical":
        raise InputError(t("poststratify.one_term", n=len(tot.terms)), hint=t("poststratify.one_term.hint"))
    return _Builder(data, design, tot, Options("poststratify", maxit=1), engine).run()


def _pair(value: Any, what: str) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError) as exc:
        raise InputError(t("pair.invalid", what=what, value=value), hint=t("pair.invalid.hint", what=what)) from exc
    if not lo < hi:
        raise InputError(t("pair.invalid", what=what, value=value), hint=t("pair.invalid.hint", what=what))
    return (lo, hi)


def _onfail(value: str) -> str:
    if value == "raise":  # the word corridor.flows uses for the same choice
        return "error"
    if value not in ("error", "warn"):
        raise InputError(t("onfail.invalid", value=value), hint=t("onfail.invalid.hint"))
    return value


# ---- the builder ---------------------------------------------------------------------------------------
class _Builder:
    def __init__(self, data: Any, design: AnyDesign, totals: Totals, opts: Options, engine: Any) -> None:
        self.eng = get_engine(engine)
        self.lf = self.eng.open(data)
        self.source = f"file {str(data)!r}" if isinstance(data, str) or hasattr(data, "__fspath__") else "the data"
        self.design = design
        self.totals = totals
        self.opts = opts
        self.schema = dict(self.lf.collect_schema())
        self.conv: Replicated | None = design if isinstance(design, Replicated) else None
        self.taylor: Design | None = design.design if isinstance(design, Replicated) else (
            design if isinstance(design, Design) else None)
        self.repd: ReplicateDesign | None = design if isinstance(design, ReplicateDesign) else None
        if self.taylor is None and self.repd is None:
            raise EstimationError(t("not_a_design", design=repr(design)), hint=t("not_a_design.hint"))
        if isinstance(design, Calibrated):  # pragma: no cover - guarded by the type check above
            raise UnsupportedError(t("calibrated.again"))

    # -- checks -------------------------------------------------------------------------------------
    def _columns(self) -> None:
        names = list(self.schema)
        wanted = list(self.totals.variables)
        if self.taylor is not None:
            wanted += list(self.taylor.columns)
        else:
            assert self.repd is not None
            self.repcols = _replicate_columns(self.repd, names, self.source)
            wanted += ([self.repd.weights] if self.repd.weights else []) + self.repcols
        if isinstance(self.opts.variance, str):
            wanted.append(self.opts.variance)
        missing = [c for c in dict.fromkeys(wanted) if c not in self.schema]
        if missing:
            raise ColumnNotFoundError.from_names(missing, names, where=self.source)
        numeric = [tm.variables[0] for tm in self.totals.terms if tm.kind == "numeric"]
        if isinstance(self.opts.variance, str):
            numeric.append(self.opts.variance)
        for col in numeric:
            if not self.schema[col].is_numeric():
                raise InputError(t("numeric.not_numeric", column=col, source=self.source, dtype=self.schema[col]),
                                 hint=t("numeric.not_numeric.hint"))

    def _weight_name(self) -> str | None:
        return self.taylor.weights if self.taylor is not None else self.repd.weights  # type: ignore[union-attr]

    # -- design weights --------------------------------------------------------------------------------
    def _w0(self) -> None:
        """The design weight column ``__cal_w0``: the weights, the weights implied by fpc, or 1."""
        self.w0_column = self._weight_name()
        self.w0_table: pa.Table | None = None
        if self.w0_column is not None:
            self.lf = self.lf.with_columns(nw.col(self.w0_column).cast(nw.Float64).alias(W0))
            return
        d = self.taylor
        if d is None or not d.fpc:
            self.lf = self.lf.with_columns(nw.lit(1.0).alias(W0))
            return
        element = not d.ids
        keys = list(dict.fromkeys([*d.strata, *d.ids]))
        aggs = [nw.len().alias("__rows")]
        for s, col in enumerate(d.fpc):
            aggs += [nw.col(col).min().alias(f"__fpc_min_{s}"), nw.col(col).max().alias(f"__fpc_max_{s}")]
        tbl = self.eng.aggregate(self.lf, keys, aggs)
        st = build_structure(tbl, d, element_psu=element)
        assert st.weight_factor is not None
        self.w0_table = tbl.select(keys).append_column(W0, arrow_array(st.weight_factor, pa.float64()))
        self.lf = self.lf.join(_small(self.eng, self.lf, self.w0_table), on=keys, how="left")

    # -- the scan --------------------------------------------------------------------------------------
    def _keys(self) -> list[str]:
        o = self.opts
        keys = list(self.totals.variables)
        if isinstance(o.variance, str):
            keys.append(o.variance)
        if o.bounds_const:
            if self.repd is not None or self.conv is not None:
                raise UnsupportedError(t("bounds_const.replicates"), hint=t("bounds_const.replicates.hint"))
            keys.append(W0)
        if o.aggregate_stage is not None:
            keys += self._cluster_keys()
        return list(dict.fromkeys(keys))

    def _cluster_keys(self) -> list[str]:
        s = self.opts.aggregate_stage
        d = self.taylor
        if d is None or not d.ids or not isinstance(s, int) or not 1 <= s <= len(d.ids):
            raise InputError(t("aggregate.stage", stage=s), hint=t("aggregate.stage.hint"))
        if isinstance(self.opts.variance, str) and self.opts.method != "linear":
            raise UnsupportedError(t("aggregate.variance"), hint=t("aggregate.variance.hint"))
        return list(dict.fromkeys([*(d.strata[:1] if d.nest else []), *d.ids[:s]]))

    def _scan(self, keys: list[str]) -> pa.Table:
        aggs = [nw.len().alias("__n"), nw.col(W0).sum().alias("__w"), nw.col(W0).min().alias("__wmin"),
                nw.col(W0).max().alias("__wmax"), nw.col(W0).count().alias("__wcount")]
        if self.repd is not None:
            w0 = nw.col(W0)
            for r, col in enumerate(self.repcols):
                rw = nw.col(col).cast(nw.Float64)
                rw = rw if self.repd.combined_weights else rw * w0
                aggs += [rw.sum().alias(f"__r{r}"), rw.min().alias(f"__rmin{r}"), rw.max().alias(f"__rmax{r}")]
        scan_keys = list(keys)
        if self.conv is not None:
            d = self.conv.design
            scan_keys = list(dict.fromkeys([*keys, *d.strata[:1], *d.ids[:1]]))
            for s, col in enumerate(d.fpc[:1]):
                aggs += [nw.col(col).min().alias(f"__fpc_min_{s}"), nw.col(col).max().alias(f"__fpc_max_{s}")]
        tbl = self.eng.aggregate(self.lf, scan_keys, aggs)
        self.scan_keys = scan_keys
        self._check_scan(tbl, keys)
        return tbl

    def _check_scan(self, tbl: pa.Table, keys: list[str]) -> None:
        n = float_column(tbl["__n"])
        self.n_rows = int(n.sum())
        if self.n_rows == 0:
            raise InputError(t("data.empty", source=self.source), hint=t("data.empty.hint"))
        nulls = int((n - float_column(tbl["__wcount"])).sum())
        wname = self._weight_name() or t("weights.implied")
        if nulls:
            raise InputError(t("weights.missing", column=wname, source=self.source, n=nulls),
                             hint=t("weights.missing.hint"))
        wmin = float(np.min(column_numpy(tbl["__wmin"])))
        if wmin < 0:  # weights of 0 are rows outside the sample (as R's subset()): they keep weight 0
            raise InputError(t("weights.nonpositive", column=wname, source=self.source, min=float(wmin)),
                             hint=t("weights.nonpositive.hint"))
        for col in keys:
            if col == W0:
                continue
            isnull = np.asarray(column_numpy(tbl[col].is_null()), dtype=bool)
            if isnull.any():
                raise InputError(t("variable.missing", column=col, source=self.source, n=int(n[isnull].sum())),
                                 hint=t("variable.missing.hint"))
            if col == self.opts.variance:
                v = np.asarray(column_numpy(tbl[col]), dtype=float)
                if (v <= 0).any():
                    raise InputError(t("variance.nonpositive", column=col, source=self.source),
                                     hint=t("variance.nonpositive.hint"))

    # -- main --------------------------------------------------------------------------------------------
    def run(self) -> Calibrated:
        with single_thread_blas():
            return self._run()

    def _run(self) -> Calibrated:
        self._columns()
        self._w0()
        # the scan reads only what it needs (an engine checks each expression against every column)
        used = [*self.totals.variables, W0, *getattr(self, "repcols", [])]
        if self.taylor is not None:
            used += list(self.taylor.columns)
        if isinstance(self.opts.variance, str):
            used.append(self.opts.variance)
        self.lf = self.lf.select(*dict.fromkeys(used))
        keys = self._keys()
        tbl = self._scan(keys)
        cluster_keys = self._cluster_keys() if self.opts.aggregate_stage is not None else []
        # cells: the distinct values of the keys the g-weights depend on (clusters when aggregated)
        cell_keys = cluster_keys + ([self.opts.variance] if isinstance(self.opts.variance, str) and cluster_keys
                                    and self.opts.method != "linear" else []) if cluster_keys else keys
        group_cell, _ = key_codes(tbl, cell_keys)
        n_cells = int(group_cell.max()) + 1
        first = np.full(n_cells, -1, dtype=np.int64)
        first[group_cell[::-1]] = np.arange(len(group_cell))[::-1]
        cells = tbl.select(cell_keys).take(arrow_array(first, pa.int64()))
        n_g = float_column(tbl["__n"])
        w_g = float_column(tbl["__w"])
        n_p = np.bincount(group_cell, weights=n_g, minlength=n_cells)
        w_p = np.bincount(group_cell, weights=w_g, minlength=n_cells)
        # the model on the scan's groups, then averaged per cell (equal within a cell unless aggregated)
        model, codes, numeric = build(self.totals, tbl, n_g, self.source)
        x_g = model.matrix(codes, numeric, tbl.num_rows)
        if cluster_keys:
            x = _cell_mean(x_g, group_cell, n_g, n_cells)  # cluster means, unweighted (R's ave)
        else:
            x = x_g[first]
        sigma2 = self._sigma2(model, tbl, x, first, group_cell, n_g, n_cells)
        wbar = w_p / n_p  # mean design weight of a cell (R's ave(ww) when aggregated)
        self.model = model
        # each categorical term's level per cell (rake and post-stratification work on these)
        self.cell_codes = [c[first] if c is not None else None for c in codes]
        fits: list[solve.Fit] = []
        main = self._solve(model, x, w_p, sigma2, tbl, group_cell, first, n_p, wbar, None)
        fits.append(main)
        g_reps = None
        rep_w = self._replicate_cell_weights(tbl, group_cell, n_cells)
        if rep_w is not None:
            g_reps = np.empty_like(rep_w)
            for r in range(rep_w.shape[1]):
                fit = self._solve(model, x, rep_w[:, r], sigma2, tbl, group_cell, first, n_p, wbar, r,
                                  sweeps=main.iterations if self.opts.method == "rake" else None)
                fits.append(fit)
                g_reps[:, r] = fit.g
        conv = [Convergence(f.iterations, f.gap, f.converged, None if i == 0 else i) for i, f in enumerate(fits)]
        flag = None
        if not all(c.converged for c in conv):
            flag = FLAG
        g = main.g
        residual = None
        if self.taylor is not None and self.conv is None:
            residual = self._residuals(model, x, w_p, sigma2, g, main, n_p, wbar)
        weights = self._summaries(g, w_p, n_p, tbl, group_cell, rep_w, g_reps)
        check = self._check_table(model, codes, numeric, w_g, g[group_cell])
        cal = Calibrated(
            base=self.design, totals=self.totals, options=self.opts, convergence=conv, weights=weights, check=check,
            flag=flag, keys=cell_keys, cells=cells, g=g, g_reps=g_reps, cell_w0=w_p, residuals=residual,
            w0_column=self.w0_column, w0_table=self.w0_table, factor_table=getattr(self, "factor_table", None),
            rep_scale=getattr(self, "rep_scale", 1.0), rep_rscales=getattr(self, "rep_rscales", None),
            rep_df=getattr(self, "rep_df", None), repcols=getattr(self, "repcols", []), n_rows=self.n_rows,
            source=self.source,
        )
        return cal

    # -- solving -----------------------------------------------------------------------------------------
    def _sigma2(self, model: Model, tbl: pa.Table, x: np.ndarray, first: np.ndarray, group_cell: np.ndarray,
                n_g: np.ndarray, n_cells: int) -> np.ndarray:
        v = self.opts.variance
        if v is None:
            return np.ones(len(x))
        if isinstance(v, str):
            vals = np.asarray(column_numpy(tbl[v]), dtype=float)
            if self.opts.aggregate_stage is not None:
                return _cell_mean(vals[:, None], group_cell, n_g, n_cells)[:, 0]
            return vals[first]
        coef = np.atleast_1d(np.asarray(v, dtype=float))
        if coef.size == 1 and model.k != 1:
            raise InputError(t("variance.scalar", k=model.k), hint=t("variance.scalar.hint"))
        if coef.size != model.k:
            raise InputError(t("variance.length", n=coef.size, k=model.k), hint=t("variance.scalar.hint"))
        s2 = x @ coef
        if (s2 <= 0).any():
            raise InputError(t("variance.nonpositive", column=str(list(coef)), source=self.source),
                             hint=t("variance.nonpositive.hint"))
        return s2

    def _bounds(self, w_cell: np.ndarray, wbar: np.ndarray) -> tuple[np.ndarray | float, np.ndarray | float]:
        if self.opts.bounds is None:
            return -np.inf, np.inf
        lo, hi = self.opts.bounds
        if self.opts.bounds_const:
            # bounds on the weights: divided by each cell's design weight (R's bounds.const; as is for weight 0)
            safe = np.where(wbar > 0, wbar, 1.0)
            return np.where(wbar > 0, lo / safe, lo), np.where(wbar > 0, hi / safe, hi)
        return lo, hi

    def _solve(self, model: Model, x: np.ndarray, w: np.ndarray, sigma2: np.ndarray, tbl: pa.Table,
               group_cell: np.ndarray, first: np.ndarray, n_p: np.ndarray, wbar: np.ndarray, rep: int | None,
               sweeps: int | None = None) -> solve.Fit:
        o = self.opts
        pop = model.population
        if o.method in ("rake", "poststratify"):
            margins = [solve.Margin(self._term_cells(i), np.array(tm.totals)) for i, tm in enumerate(model.terms)]
            try:
                if o.method == "poststratify":
                    fit = solve.ipf(w, margins, 1.0, 1, sweeps=1)
                else:
                    fit = solve.ipf(w, margins, o.epsilon, o.maxit, sweeps=sweeps)
            except solve.EmptyCellError as exc:
                tm = model.terms[exc.margin]
                level = tm.label(exc.cell)
                key = "rake.population_without_sample" if exc.kind.startswith("population") else \
                    "rake.sample_without_population"
                where = t("replicate", r=rep + 1) if rep is not None else ""
                raise CalibrationError(t(key, term=tm.name, level=level, where=where),
                                       hint=t(key + ".hint")) from None
            self._converged(fit, rep, model)
            return fit
        lower, upper = self._bounds(w, wbar)
        unbounded = o.bounds is None
        try:
            if o.method == "linear" and unbounded:
                fit = solve.greg(x, w, pop, sigma2)
            else:
                fit = solve.newton(x, w, pop, o.method, lower, upper, sigma2, o.epsilon, o.maxit)
        except solve.SingularError:
            raise CalibrationError(t("singular"), hint=t("singular.hint")) from None
        g = fit.g
        if o.trim is not None:
            g, n_trim = solve.trim(g, w, *o.trim)
            fit.detail["trimmed"] = n_trim
            if n_trim and rep is None:
                fit.converged = True  # R: trimming replaces the calibration's own outcome
            fit.g = g
        if not fit.converged:
            self._fail(model, x, w, fit, rep, lower, upper)
        if rep is None and ((fit.g <= 0) & (w > 0)).any():
            bad = int(((fit.g <= 0) & (w > 0)).sum())
            raise CalibrationError(t("negative", n=bad, min=float(np.min(fit.g))), hint=t("negative.hint"))
        return fit

    def _term_cells(self, i: int) -> np.ndarray:
        codes = self.cell_codes[i]
        if codes is None:  # a numeric term: margins are categorical
            raise InputError(t("rake.numeric", term=self.model.terms[i].name), hint=t("rake.numeric.hint"))
        return codes

    def _converged(self, fit: solve.Fit, rep: int | None, model: Model) -> None:
        if fit.converged:
            return
        where = t("replicate", r=rep + 1) if rep is not None else ""
        msg = t("rake.not_converged", where=where, n=fit.iterations, gap=float(fit.gap),
                tol=float(fit.detail.get("tolerance", 0.0)))
        self._nonconverged(msg, t("rake.not_converged.hint"))

    def _fail(self, model: Model, x: np.ndarray, w: np.ndarray, fit: solve.Fit, rep: int | None,
              lower: Any, upper: Any) -> None:
        where = t("replicate", r=rep + 1) if rep is not None else ""
        worst = fit.detail.get("worst", -1)
        col = model.columns[worst] if 0 <= worst < model.k else None
        term = f"{col.name}{'=' + col.label if col and col.label else ''}" if col else "?"
        if self.opts.bounds is not None and not solve.feasible(x, w, model.population, np.broadcast_to(lower, w.shape),
                                                               np.broadcast_to(upper, w.shape)):
            msg = t("bounds.infeasible", where=where, bounds=list(self.opts.bounds), term=term)
            hint = t("bounds.infeasible.hint")
            if self.opts.on_nonconvergence == "error":
                raise CalibrationError(msg, hint=hint)
            self._nonconverged(msg, hint)
            return
        msg = t("not_converged", where=where, n=fit.iterations, gap=float(fit.gap), eps=self.opts.epsilon, term=term)
        self._nonconverged(msg, t("not_converged.hint"))

    def _nonconverged(self, msg: str, hint: str) -> None:
        if self.opts.on_nonconvergence == "error":
            raise CalibrationError(msg, hint=hint)
        warnings.warn(f"{msg} ({t('flagged', flag=FLAG)})", CalibrationWarning, stacklevel=4)

    # -- replicates ----------------------------------------------------------------------------------------
    def _replicate_cell_weights(self, tbl: pa.Table, group_cell: np.ndarray, n_cells: int) -> np.ndarray | None:
        if self.repd is not None:
            cols = [float_column(tbl[f"__r{r}"]) for r in range(len(self.repcols))]
            self.rep_df = float(self.repd.df) if self.repd.df is not None else None
            return np.column_stack([np.bincount(group_cell, weights=c, minlength=n_cells) for c in cols])
        if self.conv is None:
            return None
        d = self.conv.design
        stage1 = Design(strata=d.strata[:1], ids=d.ids[:1], fpc=d.fpc[:1], nest=d.nest, lonely_psu=d.lonely_psu)
        st = build_structure(tbl, stage1, element_psu=False)
        factors, scale, rscales = _replicates.conversion_factors(self.conv, st)
        unit = st.stages[0].unit
        w_g = float_column(tbl["__w"])
        # replicate weight of a cell: sum over its PSUs of the PSU's factor times the cell's weight there
        rep = np.zeros((n_cells, factors.shape[1]))
        np.add.at(rep, group_cell, w_g[:, None] * factors[unit])
        psu_keys = list(dict.fromkeys([*d.strata[:1], *d.ids[:1]]))
        first_of_unit = np.full(len(st.stages[0].unit_stratum), -1, dtype=np.int64)
        first_of_unit[unit[::-1]] = np.arange(len(unit))[::-1]
        ftab = tbl.select(psu_keys).take(arrow_array(first_of_unit, pa.int64()))
        for r in range(factors.shape[1]):
            ftab = ftab.append_column(f"__cal_f{r}", arrow_array(factors[:, r], pa.float64()))
        self.factor_table = ftab
        self.rep_scale, self.rep_rscales, self.rep_df = float(scale), np.asarray(rscales, float), float(st.degf)
        self.rep_unit = unit
        self.rep_factors = factors
        return rep

    # -- what the variance needs ---------------------------------------------------------------------------
    def _residuals(self, model: Model, x: np.ndarray, w_p: np.ndarray, sigma2: np.ndarray, g: np.ndarray,
                   fit: solve.Fit, n_p: np.ndarray, wbar: np.ndarray) -> Residuals:
        o = self.opts
        aggregated = o.aggregate_stage is not None
        mass = g * wbar if aggregated else None
        if o.method == "rake":
            after = fit.detail["after"]
            final = after[-1]
            with np.errstate(divide="ignore", invalid="ignore"):
                rho = [np.where(final != 0, a / np.where(final != 0, final, 1.0), 1.0) for a in after]
            cells = [self._term_cells(i) for i in range(len(model.terms))]
            return Residuals.rake(cells, [len(tm.totals) for tm in model.terms], rho, n_p)
        if o.method == "poststratify":
            cells = self._term_cells(0)
            onehot = np.zeros((len(x), len(model.terms[0].totals)))
            onehot[np.arange(len(x)), cells] = 1.0
            return Residuals.greg(onehot, w_p, np.ones(len(x)), g, mass)
        linear = o.method == "linear" and o.bounds is None
        # R's regression calibration weights the projection by 1/variance; the Newton path does not
        s2 = sigma2 if linear else np.ones(len(x))
        return Residuals.greg(x, w_p, s2, g, mass)

    def _summaries(self, g: np.ndarray, w_p: np.ndarray, n_p: np.ndarray, tbl: pa.Table, group_cell: np.ndarray,
                   rep_w: np.ndarray | None, g_reps: np.ndarray | None) -> dict[str, Any]:
        wmin = np.full(len(g), np.inf)
        wmax = np.full(len(g), -np.inf)
        np.minimum.at(wmin, group_cell, np.asarray(column_numpy(tbl["__wmin"]), float))
        np.maximum.at(wmax, group_cell, np.asarray(column_numpy(tbl["__wmax"]), float))
        gm = float((g * n_p).sum() / n_p.sum())
        gsd = float(np.sqrt(((g - gm) ** 2 * n_p).sum() / max(n_p.sum() - 1, 1)))
        before = {"n": self.n_rows, "sum": float(w_p.sum()), "min": float(wmin.min()), "max": float(wmax.max())}
        after = {"n": self.n_rows, "sum": float((g * w_p).sum()), "min": float(np.min(np.minimum(g * wmin, g * wmax))),
                 "max": float(np.max(np.maximum(g * wmin, g * wmax))), "g_min": float(g.min()), "g_max": float(g.max()),
                 "g_mean": gm, "g_cv": gsd / gm if gm else float("nan")}
        if g_reps is not None and rep_w is not None:
            after.update(self._replicate_summary(g_reps, rep_w, tbl, group_cell))
        return {"before": before, "after": after}

    def _replicate_summary(self, g_reps: np.ndarray, rep_w: np.ndarray, tbl: pa.Table,
                           group_cell: np.ndarray) -> dict[str, float]:
        colsum = (g_reps * rep_w).sum(axis=0)
        if self.repd is not None:
            lo = np.column_stack([np.asarray(column_numpy(tbl[f"__rmin{r}"]), float) for r in range(g_reps.shape[1])])
            hi = np.column_stack([np.asarray(column_numpy(tbl[f"__rmax{r}"]), float) for r in range(g_reps.shape[1])])
        else:
            f = self.rep_factors[self.rep_unit]
            lo = np.asarray(column_numpy(tbl["__wmin"]), float)[:, None] * f
            hi = np.asarray(column_numpy(tbl["__wmax"]), float)[:, None] * f
        gg = g_reps[group_cell]
        vals = np.concatenate([(lo * gg).ravel(), (hi * gg).ravel()])
        return {"rep_min": float(vals.min()), "rep_max": float(vals.max()),
                "rep_colsum_min": float(colsum.min()), "rep_colsum_max": float(colsum.max())}

    def _check_table(self, model: Model, codes: list, numeric: list, w_g: np.ndarray, g_g: np.ndarray) -> pa.Table:
        """Every total beside its estimate before and after calibration."""
        rows: dict[str, list[Any]] = {"term": [], "level": [], "total": [], "before": [], "after": []}
        for i, tm in enumerate(model.terms):
            if tm.kind == "categorical":
                before = np.bincount(codes[i], weights=w_g, minlength=len(tm.levels))
                after = np.bincount(codes[i], weights=w_g * g_g, minlength=len(tm.levels))
                for j, lev in enumerate(tm.levels):
                    rows["term"].append(tm.name)
                    rows["level"].append(":".join(lev))
                    rows["total"].append(tm.totals[j])
                    rows["before"].append(float(before[j]))
                    rows["after"].append(float(after[j]))
            else:
                rows["term"].append(tm.name)
                rows["level"].append(None)
                rows["total"].append(tm.totals[0])
                rows["before"].append(float((numeric[i] * w_g).sum()))
                rows["after"].append(float((numeric[i] * w_g * g_g).sum()))
        if model.intercept:
            rows["term"].insert(0, "(Intercept)")
            rows["level"].insert(0, None)
            rows["total"].insert(0, float(model.population[0]))
            rows["before"].insert(0, float(w_g.sum()))
            rows["after"].insert(0, float((w_g * g_g).sum()))
        return pa.table({"term": arrow_array(rows["term"], pa.string()), "level": arrow_array(rows["level"], pa.string()),
                         "total": arrow_array(rows["total"], pa.float64()), "before": arrow_array(rows["before"], pa.float64()),
                         "after": arrow_array(rows["after"], pa.float64())})


def _cell_mean(values: np.ndarray, cell: np.ndarray, n: np.ndarray, n_cells: int) -> np.ndarray:
    out = np.zeros((n_cells, values.shape[1]))
    np.add.at(out, cell, values * n[:, None])
    return out / np.bincount(cell, weights=n, minlength=n_cells)[:, None]


def _replicate_columns(d: ReplicateDesign, names: list[str], source: str) -> list[str]:
    import re

    if isinstance(d.repweights, str):
        pattern = re.compile(d.repweights)
        cols = [c for c in names if pattern.search(c)]
        if not cols:
            raise ColumnNotFoundError(t("repweights_none", pattern=repr(d.repweights), source=source),
                                      hint=t("repweights_none.hint", columns=", ".join(names[:40])))
        return cols
    return list(d.repweights)
