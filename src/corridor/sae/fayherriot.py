"""``fay_herriot``: area-level small-area estimates from corridor's own direct estimates."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
import pyarrow as pa

from corridor.errors import EstimationError, InputError
from corridor.i18n import Message
from corridor.sae import benchmark as bench
from corridor.sae import model, transforms
from corridor.sae import smoothing as variance_smoothing
from corridor.sae.bootstrap import bootstrap_mse
from corridor.sae.inputs import area_key, check_rank, design_matrix, direct_table, read_table, selected_mask
from corridor.sae.quality import model_labels
from corridor.sae.result import SmallAreaEstimates

MSE_METHODS = ("analytic", "bootstrap")
ON_NONCONVERGENCE = ("raise", "warn")


def fay_herriot(
    direct: Any,
    auxiliaries: Any = None,
    *,
    area: str | None = None,
    covariates: Sequence[str] | None = None,
    factors: Sequence[str] = (),
    intercept: bool = True,
    method: str = "REML",
    transform: str | None = None,
    mse: str = "analytic",
    benchmark: str | None = None,
    benchmark_value: Any = None,
    benchmark_weights: str | None = None,
    estimate: str = "estimate",
    se: str | None = "se",
    vardir: str | None = None,
    n: str | None = "n",
    deff: str | None = "deff",
    select: Mapping[str, Any] | None = None,
    estimand: str | None = None,
    smoothing: str | None = None,
    smooth_below_n: float | None = None,
    zero_variance: str = "error",
    backtransform: str = "bias-corrected",
    tol: float | None = None,
    maxit: int = 100,
    stopping: str = "strict",
    on_nonconvergence: str = "raise",
    reps: int = 500,
    seed: int | None = None,
    level: float = 0.95,
    scheme: str = "chile",
) -> SmallAreaEstimates:
    """Fay-Herriot small-area estimates (EBLUPs) with their MSEs, quality labels and diagnostics.

    ``direct``: one direct estimate per area with its standard error and sample size, as
    ``cr.estimate(..., by=AREA)`` returns it (the ``Estimates`` object, its table as
    pyarrow/pandas/polars, or a CSV/Parquet file of it); ``select`` picks one estimand,
    variable and level when it holds several. ``auxiliaries``: one row per area of the larger
    area with the area-level covariates (``covariates``, default every numeric column;
    ``factors`` are coded as treatment dummies); areas in it without a direct estimate get
    synthetic estimates. Without ``auxiliaries`` the covariates are read from ``direct``.

    ``method``: ``"REML"``, ``"ML"`` or ``"FH"`` (moments) for the random-effect variance,
    by Fisher scoring from the median sampling variance; ``stopping="strict"`` iterates to a
    relative change of ``tol`` (default 1e-10) and ``stopping="sae"`` follows R ``sae``'s
    loop and stopping rule exactly (``tol`` default 1e-4, its ``PRECISION``). A fit that does
    not converge in ``maxit`` iterations raises, or with ``on_nonconvergence="warn"`` warns and
    flags every row ``not_converged``.

    ``transform``: ``None``, ``"arcsin"`` (proportions) or ``"log"`` (positive values);
    transformed models need ``mse="bootstrap"`` (parametric bootstrap, ``reps`` replicates,
    ``seed``). ``smoothing``: ``"deff"`` or ``"gvf"`` replace the direct variances of every area
    (or of areas with ``n < smooth_below_n``) by smoothed ones. ``benchmark``: ``"raking"`` or
    ``"ratio"`` to ``benchmark_value`` (a number, or a one-row estimate table that is checked
    reliable), weighted by the column ``benchmark_weights`` (population sizes).

    The result's ``areas`` table has, per area, the direct estimate and CV, the shrinkage factor,
    the EBLUP (or synthetic estimate), MSE, root-MSE CV, interval, quality label and flags;
    ``coefficients``, ``fit`` (random-effect variance, iterations, gap, convergence,
    likelihood) and ``diagnostics`` (residual normality, CV comparison) describe the model.
    """
    method = _choice(method.upper() if isinstance(method, str) else method, model.METHODS, "method")
    transform = _choice(transform, transforms.TRANSFORMS, "transform")
    mse = _choice(mse, MSE_METHODS, "mse")
    stopping = _choice(stopping, model.STOPPING, "stopping")
    on_nonconvergence = _choice(on_nonconvergence, ON_NONCONVERGENCE, "on_nonconvergence")
    backtransform = _choice(backtransform, transforms.BACKTRANSFORMS, "backtransform")
    _choice(zero_variance, ("error", "keep"), "zero_variance")
    if benchmark is not None:
        _choice(benchmark, bench.KINDS, "benchmark")
    if transform is not None and mse == "analytic":
        raise InputError(Message("sae.error.transform_mse", transform=transform), hint=Message("sae.error.transform_mse.hint"))
    if not 0 < level < 1:
        raise InputError(Message("sae.error.level", level=repr(level)), hint=Message("sae.error.level.hint"))
    if maxit < 1:
        raise InputError(Message("sae.error.maxit", maxit=repr(maxit)), hint=Message("sae.error.maxit.hint"))

    d, area = direct_table(direct, area=area, estimate=estimate, se=se, vardir=vardir, n=n, deff=deff,
                           select=select)
    estimand = estimand or d.estimand
    extra = [benchmark_weights] if benchmark_weights else []
    if auxiliaries is None:
        where = Message("sae.where.direct")
        aux_table = read_table(direct, what=where)
        if select:
            aux_table = aux_table.filter(pa.array(selected_mask(aux_table, select)))
    else:
        where = Message("sae.where.aux")
        aux_table = read_table(auxiliaries, what=where)
    aux_area = area if area in aux_table.column_names else None
    if aux_area is None:
        raise InputError(Message("sae.error.aux_no_area", area=repr(area)),
                         hint=Message("sae.error.aux_no_area.hint", area=repr(area),
                                      columns=", ".join(aux_table.column_names[:20])))
    if covariates is None and auxiliaries is None:
        covariates = []  # the direct table's other columns are not auxiliaries unless named
    for name in (estimate, se, vardir):
        if name and name in (covariates or []) + list(factors):
            raise InputError(Message("sae.error.estimate_as_covariate", column=repr(name)),
                             hint=Message("sae.error.estimate_as_covariate.hint"))
    design = design_matrix(aux_table, area=area, covariates=covariates, factors=factors, intercept=intercept,
                           extra=extra, where=where)
    index = {a: i for i, a in enumerate(design.areas)}
    missing_aux = [a for a in d.areas if a not in index]
    if missing_aux:
        raise InputError(Message("sae.error.areas_not_in_aux", count=len(missing_aux),
                                 areas=", ".join(map(repr, missing_aux[:10])), where=where),
                         hint=Message("sae.error.areas_not_in_aux.hint"))
    dpos = {a: i for i, a in enumerate(d.areas)}
    y_all = np.array([d.estimate[dpos[a]] if a in dpos else np.nan for a in design.areas])
    var_all = np.array([d.variance[dpos[a]] if a in dpos else np.nan for a in design.areas])
    n_all = np.array([d.n[dpos[a]] if a in dpos else np.nan for a in design.areas])
    deff_all = np.array([d.deff[dpos[a]] if a in dpos else np.nan for a in design.areas])
    sampled = ~np.isnan(y_all)
    ledger = dict(d.ledger)
    ledger["auxiliary_rows"] = len(design.areas)
    ledger["out_of_sample"] = int((~sampled).sum())

    smoothed_mask = np.zeros(len(y_all), dtype=bool)
    smoothing_info: dict[str, Any] = {}
    pooled_p: float | None = None
    if smoothing is not None:
        sm = variance_smoothing.smooth(smoothing, y_all, var_all, n_all, deff_all, estimand=estimand,
                                       below_n=smooth_below_n)
        var_all, smoothed_mask, smoothing_info = sm.variance, sm.smoothed, sm.info
        pooled_p = smoothing_info.get("p")  # type: ignore[assignment]
    names = [a for a, s in zip(design.areas, sampled, strict=True) if s]
    bad_var = [a for a, v in zip(design.areas, var_all, strict=True) if a in dpos and not np.isnan(y_all[index[a]])
               and not (np.isfinite(v) and v >= 0)]
    if bad_var:
        raise InputError(Message("sae.error.no_variance", count=len(bad_var), areas=", ".join(map(repr, bad_var[:10]))),
                         hint=Message("sae.error.no_variance.hint"))
    zero = [a for a in names if var_all[index[a]] == 0]
    if zero and zero_variance == "error":
        raise InputError(Message("sae.error.zero_variance", count=len(zero), areas=", ".join(map(repr, zero[:10]))),
                         hint=Message("sae.error.zero_variance.hint"))

    y = y_all[sampled]
    psi_direct = var_all[sampled]
    X = design.X[sampled]
    X_out = design.X[~sampled]
    check_rank(X, design.terms, int(sampled.sum()))
    y_model, psi = transforms.forward(transform, y, psi_direct, names, pooled_p=pooled_p)

    fitted = model.fit(y_model, X, psi, method, tol=tol, maxit=maxit, stopping=stopping)
    flags: list[str] = []
    if not fitted.converged:
        # numbers, not their text: the message writes them as its reader's language does (0,00993 in French)
        params = {"method": method, "iterations": fitted.iterations, "gap": float(fitted.gap), "tol": float(fitted.tol)}
        if on_nonconvergence == "raise":
            raise EstimationError(Message("sae.error.not_converged", **params),
                                  hint=Message("sae.error.not_converged.hint"))
        warnings.warn(str(Message("sae.warning.not_converged", **params)), RuntimeWarning, stacklevel=2)
        flags.append("not_converged")
    if fitted.boundary:
        flags.append("refvar_zero")
    pred = model.predict(fitted, y_model, X, psi)
    synth_out, mse_out_model = model.predict_out_of_sample(fitted, X_out, X, psi)

    z = NormalDist().inv_cdf(1 - (1 - level) / 2)
    m_all = len(design.areas)
    eblup_all = np.full(m_all, np.nan)
    synth_all = np.full(m_all, np.nan)
    mse_all = np.full(m_all, np.nan)
    lo_all = np.full(m_all, np.nan)
    hi_all = np.full(m_all, np.nan)
    synth_all[sampled] = transforms.backward(transform, pred.synthetic, fitted.refvar, backtransform)
    synth_all[~sampled] = transforms.backward(transform, synth_out, fitted.refvar, backtransform)
    eblup_all[sampled] = transforms.backward(transform, pred.eblup, pred.g1, backtransform)
    eblup_all[~sampled] = synth_all[~sampled]
    boot = None
    if mse == "analytic":
        mse_all[sampled] = pred.mse
        mse_all[~sampled] = mse_out_model
    else:
        boot = bootstrap_mse(fitted, X, psi, X_out, transform=transform, backtransform=backtransform, reps=reps,
                             seed=seed)
        mse_all[sampled] = boot.mse
        mse_all[~sampled] = boot.mse_out
    if transform is None:
        rm = np.sqrt(np.maximum(mse_all, 0))
        lo_all, hi_all = eblup_all - z * rm, eblup_all + z * rm
    else:
        assert boot is not None
        theta = np.full(m_all, np.nan)
        theta[sampled], theta[~sampled] = pred.eblup, synth_out
        rm_t = np.full(m_all, np.nan)
        rm_t[sampled], rm_t[~sampled] = np.sqrt(boot.mse_model), np.sqrt(boot.mse_model_out)
        lo_all = transforms.inverse(transform, theta - z * rm_t)
        hi_all = transforms.inverse(transform, theta + z * rm_t)

    final = eblup_all.copy()
    adjustment = np.zeros(m_all)
    benchmark_info: dict[str, Any] | None = None
    if benchmark is not None:
        target = _benchmark_target(benchmark_value, scheme)
        total = estimand == "total"
        if benchmark_weights:
            weights = design.columns[benchmark_weights]
        elif total:
            weights = np.ones(m_all)
        else:
            raise InputError(Message("sae.error.benchmark_population", estimand=estimand or "estimate"),
                             hint=Message("sae.error.benchmark_population.hint"))
        final = bench.benchmark(benchmark, eblup_all, weights, target, total=total)
        adjustment = final - eblup_all
        if transform is None:
            mse_all = mse_all + adjustment**2
            rm = np.sqrt(np.maximum(mse_all, 0))
            lo_all, hi_all = final - z * rm, final + z * rm
        else:
            mse_all = mse_all + adjustment**2
            if benchmark == "ratio":
                factor = np.divide(final, eblup_all, out=np.ones(m_all), where=eblup_all != 0)
                lo_all, hi_all = lo_all * factor, hi_all * factor
            else:
                lo_all, hi_all = lo_all + adjustment, hi_all + adjustment
        w = weights / weights.sum()
        benchmark_info = {"kind": benchmark, "target": target, "weights": benchmark_weights,
                          "aggregate_before": float(np.sum(eblup_all) if total else np.sum(w * eblup_all)),
                          "aggregate_after": float(np.sum(final) if total else np.sum(w * final))}
        flags.append("benchmarked")

    if estimand == "proportion":
        # a proportion's interval stops at 0 and 1; an estimate outside them is flagged, not moved
        lo_all, hi_all = np.clip(lo_all, 0.0, 1.0), np.clip(hi_all, 0.0, 1.0)
    codes, reasons, cv_model = model_labels(final, mse_all, scheme)
    direct_se = np.sqrt(np.array([d.variance[dpos[a]] if a in dpos else np.nan for a in design.areas]))
    with np.errstate(divide="ignore", invalid="ignore"):
        direct_cv = direct_se / np.abs(y_all)
    direct_lo, direct_hi = _direct_interval(direct, d, area, select, design.areas, y_all, direct_se, z)

    shrink = np.full(m_all, np.nan)
    shrink[sampled] = pred.shrinkage
    shrink[~sampled] = 1.0
    g = {k: np.full(m_all, np.nan) for k in ("g1", "g2", "g3")}
    if transform is None:
        for k, column in g.items():
            column[sampled] = getattr(pred, k)
    row_flags = []
    for i in range(m_all):
        f = list(flags)
        if smoothed_mask[i]:
            f.append("smoothed_variance")
        if not sampled[i]:
            f.append("synthetic")
        if estimand == "proportion" and not 0.0 <= final[i] <= 1.0:
            f.append("outside_0_1")
        row_flags.append(";".join(f) or None)
    areas_table = pa.table({
        area: pa.array(design.areas, pa.string()),
        "in_sample": pa.array(sampled),
        "n": _num(n_all),
        "direct": _num(y_all),
        "direct_se": _num(direct_se),
        "direct_cv": _num(direct_cv),
        "direct_ci_low": _num(direct_lo),
        "direct_ci_high": _num(direct_hi),
        "vardir": _num(var_all),
        "synthetic": _num(synth_all),
        "eblup": _num(eblup_all),
        "shrinkage": _num(shrink),
        "g1": _num(g["g1"]), "g2": _num(g["g2"]), "g3": _num(g["g3"]),
        "estimate": _num(final),
        "benchmark_adjustment": _num(adjustment if benchmark else np.full(m_all, np.nan)),
        "mse": _num(mse_all),
        "rmse": _num(np.sqrt(np.maximum(mse_all, 0))),
        "cv": _num(cv_model),
        "ci_low": _num(lo_all),
        "ci_high": _num(hi_all),
        "ci_level": pa.array([level] * m_all, pa.float64()),
        "method": pa.array(["eblup" if s else "synthetic" for s in sampled], pa.string()),
        "quality": pa.array(codes, pa.string()),
        "quality_reason": pa.array(reasons, pa.string()),
        "flag": pa.array(row_flags, pa.string()),
    })
    se_b, z_b, p_b = model.coefficient_table(fitted)
    coef_table = pa.table({"term": design.terms, "beta": fitted.beta, "std_error": se_b, "zvalue": z_b, "pvalue": p_b})
    var_a, bias_a = model.refvar_moments(fitted, X, psi)
    fit_info: dict[str, Any] = {
        "model": "Fay-Herriot", "method": method, "transform": transform,
        "backtransform": backtransform if transform else None, "mse": mse,
        "refvar": fitted.refvar, "refvar_se": math.sqrt(var_a), "refvar_bias": bias_a,
        "iterations": fitted.iterations, "gap": fitted.gap, "converged": fitted.converged,
        "boundary": fitted.boundary, "tol": fitted.tol, "maxit": fitted.maxit, "stopping": stopping,
        **fitted.goodness(len(y)), "areas_sampled": int(sampled.sum()), "areas_out_of_sample": int((~sampled).sum()),
        "terms": design.terms, "estimand": estimand, "estimate_label": d.label, "level": level, "scheme": scheme,
        "area": area,
    }
    if boot is not None:
        fit_info.update(reps=boot.reps, seed=boot.seed, bootstrap_redraws=boot.failures)
    return SmallAreaEstimates(areas=areas_table, coefficients=coef_table, fit=fit_info,
                              smoothing=smoothing_info or None, benchmark=benchmark_info, ledger=ledger,
                              residual_inputs={"y": y_model, "synthetic": pred.synthetic, "eblup": pred.eblup,
                                               "psi": psi})


def _choice(value: Any, allowed: Sequence[Any], name: str) -> Any:
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise InputError(Message("sae.error.choice", name=name, value=repr(value), shown=shown),
                         hint=Message("sae.error.choice.hint", name=name, shown=shown))
    return value


def _num(x: np.ndarray) -> pa.Array:
    x = np.asarray(x, dtype=float)
    return pa.array(x, pa.float64(), mask=np.isnan(x))


def _direct_interval(source: Any, d: Any, area: str, select: Mapping[str, Any] | None, areas: list[str],
                     y: np.ndarray, se: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """The direct estimates' own intervals when the table has them (R survey's), else normal ones."""
    table = read_table(source, what=Message("sae.where.direct"))
    if select:
        table = table.filter(pa.array(selected_mask(table, select)))
    if "ci_low" in table.column_names and "ci_high" in table.column_names:
        keys = [area_key(v) for v in table.column(area).to_pylist()]
        lows, highs = table.column("ci_low").to_pylist(), table.column("ci_high").to_pylist()
        by = {k: (lo, hi) for k, lo, hi in zip(keys, lows, highs, strict=True)}
        lo = np.array([np.nan if by.get(a, (None, None))[0] is None else by[a][0] for a in areas], float)
        hi = np.array([np.nan if by.get(a, (None, None))[1] is None else by[a][1] for a in areas], float)
        return np.where(np.isnan(y), np.nan, lo), np.where(np.isnan(y), np.nan, hi)
    return y - z * se, y + z * se


def _benchmark_target(value: Any, scheme: str) -> float:
    """The larger area's estimate: a number, or a one-row estimate table whose quality is checked."""
    if value is None:
        raise InputError(Message("sae.error.benchmark_value"), hint=Message("sae.error.benchmark_value.hint"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    table = read_table(value, what=Message("sae.where.benchmark"))
    if table.num_rows != 1:
        raise InputError(Message("sae.error.benchmark_rows", n=table.num_rows), hint=Message("sae.error.benchmark_rows.hint"))
    row = table.to_pylist()[0]
    target = row.get("estimate")
    if target is None:
        raise InputError(Message("sae.error.benchmark_no_estimate"), hint=Message("sae.error.benchmark_no_estimate.hint"))
    if all(k in row for k in ("se", "n", "df", "estimand")):
        from corridor.quality import assess

        label = assess(table, scheme).to_pylist()[0]
        if label.get("quality") not in ("reliable",):
            raise EstimationError(Message("sae.error.benchmark_unreliable", target=float(target), scheme=repr(scheme),
                                          quality=label.get("quality"), reason=label.get("quality_reason")),
                                  hint=Message("sae.error.benchmark_unreliable.hint"))
    return float(target)
