"""``calidad``'s ``create_*`` inputs, estimated by corridor's engine.

INE Chile's R package ``calidad`` builds the table its ``assess`` judges with
``create_mean``, ``create_total``, ``create_size`` and ``create_prop`` (a
proportion of a 0/1 variable, or a ratio with ``denominator``). These
functions take the same arguments and return the same columns, in the same
order, computed by :func:`corridor.estimate` (Taylor linearisation as R
``survey``): ``stat``, ``se``, ``df``, ``n``, ``cv``, then on request
``deff``, ``unweighted``, ``t``/``lower``/``upper``, ``relative_error``,
``log_cv`` and ``ess``. Two columns follow them, ``estimand`` and
``variable``, which :func:`corridor.quality.assess` reads to choose the rule.

``calidad`` 0.8.2's rules for each input (``R/create_internal.R``):

* ``subpop`` is a 0/1 column; the design is subset to its 1s (domain
  estimation, R ``subset()``); ``rm_na`` (``rm.na``) subsets to the rows where
  the variable is present, so the design effect's population is theirs.
* ``n`` is the number of rows in the cell; ``df`` the number of PSUs minus the
  number of strata with rows in the cell (``get_df``, ECLAC's rule). For
  ``create_size`` with ``df_type="chile"`` (the default) both count only the
  rows having the characteristic (``var == 1``).
* ``cv = se / stat``; ``t = qt(0.975, df)`` (``2`` with ``ajuste_ene``, INE's
  rule for the ENE), ``lower``/``upper = stat -/+ t se`` (a logit interval
  with ``ci_logit``); ``relative_error = qt(0.975, df) cv``.
* ``deff`` is R ``survey``'s (``deff = TRUE``); ``ess = n / deff``.
* ``log_cv`` (proportions): ``cv / -ln(stat)`` below 0.5,
  ``cv / -ln(1 - stat)`` from 0.5; not computed, with a warning, when a ratio
  of the table exceeds 1.
* ``unweighted``: ``n`` for means and totals; the rows with ``var == 1`` for
  sizes, proportions and ratios of a 0/1 numerator.

``create_median`` (no ``calidad`` counterpart) gives a median (R
``svyquantile``, ``qrule="math"``, Woodruff interval) with ``create_mean``'s
columns. Where corridor deliberately differs from ``calidad`` (per-cell
unweighted counts, the design effect of a national ratio, ...) is listed in
``docs/quality.md``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import narwhals as nw
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corridor.design import AnyDesign
from corridor.engine import Engine, get_engine
from corridor.errors import ColumnNotFoundError, InputError, MissingValueError, UnsupportedError
from corridor.estimands import Mean, Quantile, Ratio, Total
from corridor.estimation import estimate
from corridor.estimation.intervals import t_quantile
from corridor.estimation.where import parse_where
from corridor.i18n import Message
from corridor.quality._frames import floats

Kind = Literal["mean", "total", "size", "prop", "median"]
KINDS = ("mean", "total", "size", "prop", "median")
_ESTIMAND = {"mean": "mean", "total": "total", "size": "total", "median": "quantile"}


def create(
    kind: Kind,
    data: Any,
    design: AnyDesign,
    var: str,
    *,
    denominator: str | None = None,
    domains: str | Sequence[str] | None = None,
    subpop: str | None = None,
    ci: bool = False,
    ess: bool = False,
    ajuste_ene: bool = False,
    rm_na: bool = False,
    deff: bool = False,
    rel_error: bool = False,
    unweighted: bool = False,
    eclac_input: bool = False,
    log_cv: bool = False,
    ci_logit: bool = False,
    df_type: Literal["chile", "eclac"] = "chile",
    scheme: Literal["eclac_2020", "eclac_2023"] = "eclac_2020",
    engine: str | Engine | None = None,
) -> pa.Table:
    """The inputs of a quality assessment, as ``calidad::create_<kind>`` returns them.

    Args:
        kind: ``mean``, ``total``, ``size`` (a total of a 0/1 variable), ``prop``
            (a proportion of a 0/1 variable, or with ``denominator`` a ratio) or
            ``median``.
        data, design: the microdata and its design, as for :func:`corridor.estimate`.
        var: the variable (the numerator of a ratio).
        denominator: the denominator of a ratio (``prop`` only).
        domains: domain variables, ``"region+sexo"`` as in ``calidad`` or a list.
        subpop: a 0/1 column; only its 1s are estimated (as a domain).
        ci, ajuste_ene, ci_logit: add ``t``, ``lower``, ``upper``; ``ajuste_ene``
            uses t = 2 (INE's rule for the ENE); ``ci_logit`` a logit interval
            (``prop`` only).
        rm_na: leave out the rows where ``var`` (or ``denominator``) is missing
            (``calidad``'s ``rm.na``); without it a missing value is an error.
        deff, ess, unweighted, rel_error, log_cv: add those columns
            (``log_cv``: ``prop`` only).
        eclac_input: add every input of ECLAC's schemes (deff, ess, unweighted and,
            for ``prop``, log_cv).
        df_type: ``create_size``'s rule for n and df: ``chile`` counts only the
            rows with ``var == 1``, ``eclac`` every row of the cell.
        scheme: ``create_prop``'s ECLAC scheme; ``eclac_2020`` refuses ratios.
        engine: as for :func:`corridor.estimate`.

    Returns:
        A pyarrow Table: the domain columns, ``calidad``'s columns in its order,
        then ``estimand`` and ``variable``; one row per domain cell with rows,
        ordered as R's ``svyby`` (first domain variable fastest).
    """
    if kind not in KINDS:
        raise InputError(Message("quality.unknown_kind", kind=kind), hint=Message("quality.use_one_of.hint", values=", ".join(KINDS)))
    by = _domains(domains)
    opts = _options(kind, denominator, eclac_input, scheme, deff, ess, unweighted, log_cv, ci_logit, df_type)
    deff, ess, unweighted, log_cv = opts
    eng = get_engine(engine)
    lf = eng.open(data)
    _check_columns(lf, [var, *([denominator] if denominator else []), *by, *([subpop] if subpop else [])])
    checks = _validate(eng, lf, kind, var, denominator, subpop, rm_na)
    where = _where(var, denominator, subpop, rm_na)

    size_chile = kind == "size" and df_type == "chile"
    groupings: list[list[str]] = [by] + ([[*by, var]] if size_chile else [])
    est = _estimand(kind, var, denominator)
    res = estimate(data, design, est, by=groupings if size_chile else by, where=where, na="drop",
                   df="domain", deff=deff, engine=eng)
    table = res.table
    if size_chile:
        mine = pc.equal(table.column("grouping"), ",".join(by))  # the engine names a grouping "zona,sexo"
        main, cases = table.filter(mine), table.filter(pc.invert(mine))
    else:
        main, cases = table, None
    main = main.filter(pc.greater(main.column("n"), 0))
    main = main.sort_by([(d, "ascending") for d in reversed(by)]) if by else main

    stat, se = floats(main, "estimate"), floats(main, "se")
    n, df = floats(main, "n"), floats(main, "df")
    if cases is not None:
        n, df = _cases_n_df(main, cases, by, var)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = se / stat
    cols: dict[str, Any] = {d: main.column(d) for d in by}
    cols.update(stat=stat, se=se, df=df, n=n, cv=cv)
    if deff:
        cols["deff"] = floats(main, "deff")
    counts = None
    if unweighted and kind != "mean" and kind != "total" and kind != "median":
        counts = _cases(eng, lf, where, by, var, main) if checks["dummy"] else n
    if kind == "prop" and unweighted:
        cols["unweighted"] = counts
    if ci or (kind == "prop" and ci_logit):
        cols.update(_interval(stat, se, df, ajuste_ene, ci_logit and kind == "prop"))
    if rel_error:
        cols["relative_error"] = t_quantile(0.95, df) * cv
    if kind == "prop" and log_cv:
        if (stat > 1).any():
            warnings.warn(str(Message("quality.warning.ratio_above_one", var=var, denominator=denominator)),
                          UserWarning, stacklevel=2)
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                cols["log_cv"] = np.where(stat < 0.5, cv / -np.log(stat), cv / -np.log1p(-stat))
    if ess:
        if deff:
            with np.errstate(invalid="ignore", divide="ignore"):
                cols["ess"] = n / cols["deff"]
        else:
            warnings.warn(str(Message("quality.warning.ess_needs_deff")), UserWarning, stacklevel=2)
    if unweighted and kind != "prop":
        cols["unweighted"] = n if counts is None else counts
    estimand = "ratio" if denominator else ("proportion" if kind == "prop" else _ESTIMAND[kind])
    cols["estimand"] = pa.array([estimand] * main.num_rows, pa.string())
    cols["variable"] = pa.array([f"{var}/{denominator}" if denominator else var] * main.num_rows, pa.string())
    return pa.table({k: _arrow(v, k) for k, v in cols.items()})


def create_mean(data: Any, design: AnyDesign, var: str, domains: str | Sequence[str] | None = None,
                subpop: str | None = None, **options: Any) -> pa.Table:
    """``calidad::create_mean``: a mean by domains, with its quality inputs (see :func:`create`)."""
    return create("mean", data, design, var, domains=domains, subpop=subpop, **options)


def create_total(data: Any, design: AnyDesign, var: str, domains: str | Sequence[str] | None = None,
                 subpop: str | None = None, **options: Any) -> pa.Table:
    """``calidad::create_total``: a total of a variable by domains (see :func:`create`)."""
    return create("total", data, design, var, domains=domains, subpop=subpop, **options)


def create_size(data: Any, design: AnyDesign, var: str, domains: str | Sequence[str] | None = None,
                subpop: str | None = None, **options: Any) -> pa.Table:
    """``calidad::create_size``: the population having a 0/1 characteristic (see :func:`create`)."""
    return create("size", data, design, var, domains=domains, subpop=subpop, **options)


def create_prop(data: Any, design: AnyDesign, var: str, denominator: str | None = None,
                domains: str | Sequence[str] | None = None, subpop: str | None = None,
                **options: Any) -> pa.Table:
    """``calidad::create_prop``: a proportion of a 0/1 variable, or a ratio (see :func:`create`)."""
    return create("prop", data, design, var, denominator=denominator, domains=domains, subpop=subpop, **options)


def create_median(data: Any, design: AnyDesign, var: str, domains: str | Sequence[str] | None = None,
                  subpop: str | None = None, **options: Any) -> pa.Table:
    """A median with ``create_mean``'s columns (``calidad`` has no ``create_median``; see :func:`create`)."""
    return create("median", data, design, var, domains=domains, subpop=subpop, **options)


# ---- arguments ----------------------------------------------------------------------------------
def _domains(domains: str | Sequence[str] | None) -> list[str]:
    if domains is None:
        return []
    parts = domains.split("+") if isinstance(domains, str) else list(domains)
    out = [str(p).strip() for p in parts if str(p).strip()]
    if len(set(out)) != len(out):
        raise InputError(Message("quality.domain_repeated", domains=domains), hint=Message("quality.domain_repeated.hint"))
    return out


def _options(kind, denominator, eclac_input, scheme, deff, ess, unweighted, log_cv, ci_logit, df_type):
    if denominator is not None and kind != "prop":
        raise InputError(Message("quality.denominator_prop_only"), hint=Message("quality.denominator_prop_only.hint"))
    if kind != "prop" and (log_cv or ci_logit):
        name = "log_cv" if log_cv else "ci_logit"
        raise InputError(Message("quality.prop_option", name=name), hint=Message("quality.prop_option.hint", name=name, kind=kind))
    if df_type not in ("chile", "eclac"):
        raise InputError(Message("quality.bad_df_type", df_type=df_type), hint=Message("quality.bad_df_type.hint"))
    if scheme not in ("eclac_2020", "eclac_2023"):
        raise InputError(Message("quality.not_eclac_scheme", scheme=scheme), hint=Message("quality.not_eclac_scheme.hint"))
    if denominator is not None and eclac_input and scheme == "eclac_2020":
        raise InputError(Message("quality.eclac_2020_ratio"), hint=Message("quality.eclac_2020_ratio.hint"))
    if eclac_input:
        deff = ess = unweighted = True
        log_cv = log_cv or kind == "prop"
    if kind == "median" and (deff or ess):
        raise UnsupportedError(Message("quality.median_no_deff"), hint=Message("quality.median_no_deff.hint"))
    return deff, ess, unweighted, log_cv


def _estimand(kind: str, var: str, denominator: str | None) -> Any:
    if kind == "prop" and denominator:
        return Ratio(var, denominator)
    if kind in ("mean", "prop"):
        return Mean(var, categorical=False)
    if kind == "median":
        return Quantile(var, probs=(0.5,), qrule="math", interval="mean")
    return Total(var, categorical=False)


def _where(var: str, denominator: str | None, subpop: str | None, rm_na: bool) -> str | None:
    parts = [f"`{subpop}` == 1"] if subpop else []
    if rm_na:
        parts += [f"notnull(`{c}`)" for c in (var, denominator) if c]
    return " and ".join(parts) or None


def _check_columns(lf: nw.LazyFrame, columns: list[str]) -> None:
    names = list(lf.collect_schema())
    missing = [c for c in dict.fromkeys(columns) if c not in names]
    if missing:
        raise ColumnNotFoundError.from_names(missing, names)


# ---- checks on the data (one scan) --------------------------------------------------------------
def _validate(eng: Engine, lf: nw.LazyFrame, kind: str, var: str, denominator: str | None,
              subpop: str | None, rm_na: bool) -> dict[str, Any]:
    """calidad's checks: numeric variable, 0/1 where required, a clean subpop, no silent missing values."""
    schema = lf.collect_schema()
    for col in (var, denominator):
        if col and not schema[col].is_numeric():
            raise InputError(Message("quality.var_not_numeric", column=col, type=str(schema[col])),
                             hint=Message("quality.var_not_numeric.hint"))
    inside = nw.col(subpop) == 1 if subpop else nw.lit(True)
    v = nw.col(var)
    odd = ~v.is_null() & (v != 0) & (v != 1)
    aggs = [
        nw.len().alias("rows"),
        nw.when(inside & odd).then(nw.lit(1)).otherwise(nw.lit(0)).sum().alias("odd"),
        nw.when(inside & odd).then(v).min().alias("odd_value"),
        nw.when(inside & v.is_null()).then(nw.lit(1)).otherwise(nw.lit(0)).sum().alias("nulls"),
    ]
    if denominator:
        aggs.append(nw.when(inside & nw.col(denominator).is_null()).then(nw.lit(1)).otherwise(nw.lit(0))
                    .sum().alias("den_nulls"))
    if subpop:
        s = nw.col(subpop)
        aggs += [s.is_null().sum().alias("sub_nulls"),
                 nw.when(~s.is_null() & (s != 0) & (s != 1)).then(nw.lit(1)).otherwise(nw.lit(0)).sum()
                 .alias("sub_odd")]
    got = {k: v[0] for k, v in eng.aggregate(lf, [], aggs).to_pydict().items()}
    if subpop and got["sub_nulls"]:
        raise MissingValueError(Message("quality.subpop_missing", column=subpop, n=int(got["sub_nulls"])),
                                hint=Message("quality.subpop_missing.hint"))
    if subpop and got["sub_odd"]:
        raise InputError(Message("quality.subpop_not_dummy", column=subpop, n=int(got["sub_odd"])),
                         hint=Message("quality.subpop_not_dummy.hint"))
    dummy = not got["odd"]
    if kind in ("prop", "size") and not denominator and not dummy:
        raise InputError(Message("quality.needs_dummy", kind=kind, column=var, n=int(got["odd"]), value=got["odd_value"]),
                         hint=Message("quality.needs_dummy.hint", column=var))
    if kind == "mean" and dummy:
        warnings.warn(str(Message("quality.warning.looks_like_prop", column=var)), UserWarning, stacklevel=3)
    missing = got["nulls"] + got.get("den_nulls", 0)
    if missing and not rm_na:
        col = repr(var) if not got.get("den_nulls") else Message("quality.either_column", a=var, b=denominator)
        raise MissingValueError(Message("quality.rows_missing", column=col, n=int(missing)),
                                hint=Message("quality.rows_missing.hint"))
    return {"dummy": dummy, "rows": got["rows"]}


def _cases(eng: Engine, lf: nw.LazyFrame, where: str | None, by: list[str], var: str, main: pa.Table) -> np.ndarray:
    """Rows with ``var == 1`` in each cell of ``main`` (calidad's ``get_unweighted``, per cell)."""
    frame = lf.filter(parse_where(where)[0]) if where else lf
    one = nw.when(nw.col(var) == 1).then(nw.lit(1)).otherwise(nw.lit(0)).sum().alias("__cases")
    counted = eng.aggregate(frame, by, [one])
    return _lookup(main, counted, by, "__cases")


def _cases_n_df(main: pa.Table, cases: pa.Table, by: list[str], var: str) -> tuple[np.ndarray, np.ndarray]:
    """n and df of the rows with ``var == 1`` in each cell (``create_size``'s INE rule); null where none."""
    ones = cases.filter(pc.equal(pc.cast(cases.column(var), pa.float64()), 1.0))
    ones = ones.filter(pc.greater(ones.column("n"), 0))
    return _lookup(main, ones, by, "n"), _lookup(main, ones, by, "df")


def _lookup(main: pa.Table, other: pa.Table, by: list[str], column: str) -> np.ndarray:
    """``other[column]`` for each row of ``main``, matched on the ``by`` columns (NaN where absent)."""
    values = floats(other, column)
    if not by:
        return np.full(main.num_rows, values[0] if len(values) else np.nan)
    index = {tuple(r): i for i, r in enumerate(zip(*(other.column(d).to_pylist() for d in by), strict=True))}
    rows = zip(*(main.column(d).to_pylist() for d in by), strict=True)
    return np.array([values[index[r]] if r in index else np.nan for r in map(tuple, rows)], dtype=float)


def _interval(stat, se, df, ajuste_ene: bool, logit: bool) -> dict[str, np.ndarray]:
    """calidad's ``get_ci``: t = 2 for the ENE, else qt(0.975, df); Wald or logit."""
    if ajuste_ene:
        t = np.full(len(stat), 2.0)
        return {"t": t, "lower": stat - se * t, "upper": stat + se * t}
    t = t_quantile(0.95, df)
    if not logit:
        return {"t": t, "lower": stat - se * t, "upper": stat + se * t}
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.log(stat / (1 - stat))
        half = t * se / (stat * (1 - stat))
        lo, hi = centre - half, centre + half
        return {"t": t, "lower": np.exp(lo) / (1 + np.exp(lo)), "upper": np.exp(hi) / (1 + np.exp(hi))}


def _arrow(values: Any, name: str) -> pa.Array | pa.ChunkedArray:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    arr = np.asarray(values, dtype=float)
    if name in ("n", "unweighted") and np.all(np.isnan(arr) | (arr == np.round(arr))):
        return pa.array(np.where(np.isnan(arr), 0, arr).astype(np.int64), pa.int64(), mask=np.isnan(arr))
    return pa.array(arr, pa.float64(), from_pandas=True)
