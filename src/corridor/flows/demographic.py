"""Bilateral flows from two birthplace-by-residence stock tables by demographic accounting.

The estimator of Abel (2013, *Demographic Research* 28(18)), Abel & Sander
(2014, *Science* 343:1520), Abel (2018, *International Migration Review*
52(3)) and Abel & Cohen (2019, *Scientific Data* 6:82), with the options of
``migest::ffs_demo`` (R package ``migest`` 2.0.5):

1. ``match_global`` (``rescale`` methods only): the native-born stocks are
   adjusted so that the change in the world total equals births minus deaths,
   before (``"before-demo-adjust"``, default) or after removing births and deaths.
2. Births (``birth_method``: all to the native-born, ``"native"``, or in proportion
   to the end stocks) are removed from the end table; deaths
   (``death_method``: ``"proportion"`` to the start stocks, or ``"accounting"``)
   from the start table.
3. ``match_birthplace_tot_method`` makes each birthplace's total equal in both
   tables: ``"rescale"`` (IPF of each table to the mid-point), ``"open"`` or
   ``"open-dr"`` (the gap leaves or enters the system), or
   ``"rescale-adjust-zero-fb"``.
4. Flows by birthplace: with ``stayer_assumption=True`` (quasi-independence) as
   many people as possible stay put and the rest move in proportion to the
   outflows and inflows, which is the minimum-migration solution; with
   ``False`` an independence log-linear model with optional offset ``seed``
   (Azose & Raftery 2019, *PNAS* 116(1)).

Every step is vectorised over a batch of periods (leading axes): a 230 x 230
system over several periods is one call. In the quasi-independent case the
three-way IPF has a closed form (each birthplace's table is rank one once the
stayers are removed), which IPF reaches after one sweep; it is used directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from corridor.errors import InputError
from corridor.flows import _accounting as acc
from corridor.flows._checks import as_array, check_labels, check_non_negative, check_square, same_labels
from corridor.flows.convergence import NOT_CONVERGED, Convergence, check_choice
from corridor.flows.ipf import _factor, fit_margins
from corridor.flows.newton import single_thread_blas
from corridor.i18n import Message

MATCH_GLOBAL = ("before-demo-adjust", "after-demo-adjust")
BIRTHPLACE_METHODS = ("rescale", "rescale-adjust-zero-fb", "open", "open-dr")
BIRTH_METHODS = ("native", "proportion")
DEATH_METHODS = ("proportion", "accounting")


@dataclass
class DemographicFlows:
    """Result of :func:`ffs_demo` (leading axes = the batch of periods, if any).

    ``od[..., i, j]`` migrant flows from origin ``i`` to destination ``j`` (diagonal 0);
    ``flows[..., k, i, j]`` the same by birthplace ``k`` with stayers on the diagonal
    (only when ``by_birthplace=True``); ``stock_start``/``stock_end`` the adjusted
    tables the flows reproduce; ``births``/``deaths`` by birthplace x residence;
    ``inflow_outside``/``outflow_outside`` moves into/out of the system (open methods).
    ``convergence``: one record per iterative fit (step, method, iterations, final gap,
    tol, maxit, converged); ``flags`` is ``("not_converged",)`` when a fit kept its last
    iterate under ``on_nonconvergence="warn"``.
    """

    labels: list[str]
    od: NDArray[np.float64]
    stayers: NDArray[np.float64]
    stock_start: NDArray[np.float64]
    stock_end: NDArray[np.float64]
    births: NDArray[np.float64]
    deaths: NDArray[np.float64]
    inflow_outside: NDArray[np.float64]
    outflow_outside: NDArray[np.float64]
    flows: NDArray[np.float64] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    convergence: list[Convergence] = field(default_factory=list)
    flags: tuple[str, ...] = ()

    @property
    def converged(self) -> bool:
        """Whether every iterative fit of the run met its tolerance (see ``convergence``)."""
        return all(c.converged for c in self.convergence if c.method != "Newton") and all(
            c.converged or any(o.step == c.step and o.method == "IPF" for o in self.convergence)
            for c in self.convergence
            if c.method == "Newton"
        )

    @property
    def total(self) -> NDArray[np.float64] | float:
        """Total migrant flow (sum of the off-diagonal od cells)."""
        t = self.od.sum(axis=(-2, -1))
        return float(t) if np.ndim(t) == 0 else t

    def account(self) -> DemographicAccount:
        """The demographic account of each birthplace (``migest::ffs_demo(return = "account")``).

        ``values[..., k, i, j]``: for birthplace ``k``, rows are origins (the regions, then
        ``birth``, then ``outside``) and columns destinations (the regions, then ``death``, then
        ``outside``): flows and stayers between regions, births into each region, deaths in each
        region, moves into (row ``outside``) and out of (column ``outside``) the system. Each
        row of region ``i`` adds up to the birthplace's stock in ``i`` at the start (after the
        global adjustment of the native-born) and each column to the stock at the end, which
        is how the account is read. Needs ``by_birthplace=True``.

        migest 2.0.4 lays out births, and moves into and out of the system, transposed in two
        places (births by residence x birthplace instead of birthplace x residence, and the
        moves out of the system in the ``outside`` row); its regions and deaths blocks are the
        same as these.
        """
        if self.flows is None:
            raise InputError(
                Message("flows.demographic_account_needs_flows"),
                hint=Message("flows.demographic_account_needs_flows.hint"),
            )
        n = len(self.labels)
        lead = self.flows.shape[:-3]
        out = np.zeros(lead + (n, n + 2, n + 2))
        out[..., :n, :n] = self.flows
        out[..., n, :n] = self.births
        out[..., n + 1, :n] = self.inflow_outside
        out[..., :n, n] = self.deaths
        out[..., :n, n + 1] = self.outflow_outside
        return DemographicAccount(
            values=out,
            birthplace=list(self.labels),
            orig=[*self.labels, "birth", "outside"],
            dest=[*self.labels, "death", "outside"],
        )

    def sum_od(self, zero_diag: bool = True, add_margins: bool = True) -> NDArray[np.float64]:
        """Origin x destination flows summed over birthplaces (``migest::sum_od``); see :func:`sum_od`."""
        return sum_od(self, zero_diag=zero_diag, add_margins=add_margins)


@dataclass
class DemographicAccount:
    """A demographic account per birthplace (see :meth:`DemographicFlows.account`)."""

    values: NDArray[np.float64]
    birthplace: list[str]
    orig: list[str]
    dest: list[str]


def sum_od(
    flows: DemographicFlows | ArrayLike, zero_diag: bool = True, add_margins: bool = True
) -> NDArray[np.float64]:
    """Sum flows by birthplace into an origin x destination table (``migest::sum_od``).

    ``flows``: a :class:`DemographicFlows` (its flows by birthplace, or its ``od`` table when
    it was run without ``by_birthplace``) or an array ``[..., birthplace, origin, destination]``.
    ``zero_diag`` sets the stayers on the diagonal to 0; ``add_margins`` appends the row sums
    as a last column and the column sums as a last row (the grand total in the corner), as R's
    ``addmargins``.
    """
    if isinstance(flows, DemographicFlows):
        if flows.flows is None:
            od = flows.od.copy()
            if not zero_diag:
                raise InputError(
                    Message("flows.stayers_only_kept_flows"),
                    hint=Message("flows.stayers_only_kept_flows.hint"),
                )
        else:
            od = flows.flows.sum(axis=-3)
    else:
        arr = as_array(flows, "flows")
        if arr.ndim < 3 or arr.shape[-1] != arr.shape[-2]:
            raise InputError(
                Message("flows.flows_shape_expected_birthplace", shape=arr.shape),
                hint=Message("flows.flows_shape_expected_birthplace.hint"),
            )
        od = arr.sum(axis=-3)
    if zero_diag:
        idx = np.arange(od.shape[-1])
        od[..., idx, idx] = 0.0
    if not add_margins:
        return od
    n = od.shape[-1]
    out = np.zeros(od.shape[:-2] + (n + 1, n + 1))
    out[..., :n, :n] = od
    out[..., :n, n] = od.sum(axis=-1)
    out[..., n, :n] = od.sum(axis=-2)
    out[..., n, n] = od.sum(axis=(-2, -1))
    return out


def _labels_of(x: Any) -> tuple[list[str] | None, list[str] | None]:
    if hasattr(x, "index") and hasattr(x, "columns"):
        return [str(v) for v in x.index], [str(v) for v in x.columns]
    if hasattr(x, "index") and hasattr(x, "values"):
        return [str(v) for v in x.index], None
    return None, None


def _prepare(
    stock_start: Any, stock_end: Any, births: Any, deaths: Any, labels: Sequence[str] | None
) -> tuple[NDArray, NDArray, NDArray, NDArray, list[str]]:
    found: list[tuple[str, list[str]]] = []
    for name, obj in (("stock_start", stock_start), ("stock_end", stock_end)):
        rows, cols = _labels_of(obj)
        if rows is not None and cols is not None:
            same_labels(rows, cols, f"{name} rows (birthplace) and columns (residence)")
            found.append((name, rows))
    for name, obj in (("births", births), ("deaths", deaths)):
        rows, _ = _labels_of(obj)
        if rows is not None:
            found.append((name, rows))
    for name, lab in found[1:]:
        same_labels(found[0][1], lab, f"{found[0][0]} and {name}")
    s1 = as_array(getattr(stock_start, "values", stock_start), "stock_start")
    s2 = as_array(getattr(stock_end, "values", stock_end), "stock_end")
    n = check_square(s1, "stock_start")
    check_square(s2, "stock_end")
    if s1.shape != s2.shape:
        raise InputError(
            Message("flows.stock_start_shape_stock", shape=s1.shape, shape2=s2.shape),
            hint=Message("flows.stock_start_shape_stock.hint"),
        )
    batch = s1.shape[:-2]
    b = np.zeros(batch + (n,)) if births is None else as_array(getattr(births, "values", births), "births")
    d = np.zeros(batch + (n,)) if deaths is None else as_array(getattr(deaths, "values", deaths), "deaths")
    for name, v in (("births", b), ("deaths", d)):
        if v.shape[-1] != n:
            raise InputError(
                Message("flows.regions_stock_tables", name=name, shape=v.shape[-1], n=n),
                hint=Message("flows.regions_stock_tables.hint", name=name),
            )
    b = np.broadcast_to(b, batch + (n,)).astype(float)
    d = np.broadcast_to(d, batch + (n,)).astype(float)
    lab = check_labels(labels if labels is not None else (found[0][1] if found else None), n, "labels")
    for name, v in (("stock_start", s1), ("stock_end", s2), ("births", b), ("deaths", d)):
        check_non_negative(v, name, lab)
    return s1, s2, b, d, lab


def _check_fit(s1: NDArray, s2: NDArray, b: NDArray, d: NDArray, lab: list[str]) -> None:
    pop1 = s1.sum(axis=-2)
    pop2 = s2.sum(axis=-2)
    for what, v, pop, when in ((Message("flows.word.deaths"), d, pop1, Message("flows.word.start")),
                               (Message("flows.word.births"), b, pop2, Message("flows.word.end"))):
        bad = v > pop
        if bad.any():
            bi, j = (int(x) for x in np.argwhere(bad)[0])
            raise InputError(
                Message("flows.exceed_population_in_period" if v.shape[0] > 1 else "flows.exceed_population", what=what,
                        region=lab[j], value=float(v[bi, j]), when=when, pop=float(pop[bi, j]), period=bi),
                hint=Message("flows.must_counts_over_period.hint", what=what),
            )


def ffs_demo(
    stock_start: ArrayLike,
    stock_end: ArrayLike,
    births: ArrayLike | None = None,
    deaths: ArrayLike | None = None,
    *,
    labels: Sequence[str] | None = None,
    seed: ArrayLike | None = None,
    stayer_assumption: bool = True,
    match_global: str = "before-demo-adjust",
    match_birthplace_tot_method: str = "rescale",
    birth_method: str = "native",
    birth_non_negative: bool = True,
    death_method: str = "proportion",
    by_birthplace: bool = False,
    tol: float = 1e-3,
    maxit: int = 100_000,
    solver: str = "auto",
    death_tol: float = 1e-5,
    death_maxit: int = 500,
    newton_tol: float = 1e-10,
    newton_maxit: int = 30,
    on_nonconvergence: str = "raise",
) -> DemographicFlows:
    """Estimate bilateral migrant flows from two stock tables, births and deaths (``migest::ffs_demo``).

    ``stock_start``/``stock_end``: birthplace (rows) x residence (columns) tables,
    with native-born on the diagonal; leading axes are a batch of periods.
    ``births``/``deaths``: counts over the period by region of residence (zero if
    omitted). ``seed``: offset for the independence model (``stayer_assumption=False``),
    an origin x destination matrix (ignored by the quasi-independent model, as in migest). ``tol``/``maxit``: the IPF stopping rule of
    ``mipfp::Ipfp`` used by migest (largest cell change between sweeps).
    ``solver`` for the ``"rescale"`` step: ``"ipf"`` reproduces migest's iterations
    exactly; ``"newton"`` reaches the same fixed point in a few steps (tables
    whose margins cannot both be met fall back to IPF); ``"auto"`` uses IPF up
    to 60 regions and Newton above. ``newton_tol``/``newton_maxit``: the Newton stopping
    rule (largest margin gap relative to the table total). ``death_tol``/``death_maxit``: the
    IPF of ``death_method="accounting"`` (``migest::ipf2``'s margin-gap rule and defaults).

    Every iterative fit reports its iterations and final gap in ``convergence``; one that
    does not meet its tolerance raises :class:`~corridor.errors.EstimationError` naming the
    step, or with ``on_nonconvergence="warn"`` warns and flags the result ``not_converged``.

    Raises :class:`~corridor.errors.InputError` for mismatched shapes or labels,
    negative counts, or births/deaths larger than the population they belong to.
    """
    check_choice(on_nonconvergence)
    fits = acc.Fits(on_nonconvergence)
    for name, value, allowed in (
        ("match_global", match_global, MATCH_GLOBAL),
        ("match_birthplace_tot_method", match_birthplace_tot_method, BIRTHPLACE_METHODS),
        ("birth_method", birth_method, BIRTH_METHODS),
        ("death_method", death_method, DEATH_METHODS),
    ):
        if value not in allowed:
            raise InputError(Message("flows.not_known", name=name, value=value), hint=Message("flows.not_known.hint", allowed=', '.join(allowed)))
    s1, s2, b, d, lab = _prepare(stock_start, stock_end, births, deaths, labels)
    batch = s1.shape[:-2]
    n = s1.shape[-1]
    s1, s2 = s1.reshape(-1, n, n), s2.reshape(-1, n, n)
    b, d = b.reshape(-1, n), d.reshape(-1, n)
    _check_fit(s1, s2, b, d, lab)
    rescale = match_birthplace_tot_method.startswith("rescale")

    if rescale and match_global == "before-demo-adjust":
        s1, s2 = acc.scale_native_global(s1, s2, b, d)
    b_mat = acc.birth_matrix(b, s2, birth_method, birth_non_negative)
    d_mat = acc.death_matrix(d, s1, death_method, s2, b, tol=death_tol, maxit=death_maxit, fits=fits)
    s1c = s1 - d_mat
    s2c = s2 - b_mat
    if rescale and match_global == "after-demo-adjust":
        gap = s2c.sum(axis=(-2, -1)) - s1c.sum(axis=(-2, -1))
        nb1, nb2 = acc._diag(s1c), acc._diag(s2c)
        acc._set_diag(s1c, nb1 + gap[:, None] * nb1 / nb1.sum(axis=-1, keepdims=True) * 0.5)
        acc._set_diag(s2c, nb2 - gap[:, None] * nb2 / nb2.sum(axis=-1, keepdims=True) * 0.5)
    if solver not in ("auto", "ipf", "newton"):
        raise InputError(Message("flows.solver_not_known", solver=solver), hint=Message("flows.solver_not_known.hint"))
    use = ("ipf" if n <= 60 else "newton") if solver == "auto" else solver
    a1, a2, in_mat, out_mat = acc.match_birthplace_totals(
        s1c, s2c, match_birthplace_tot_method, tol=tol, maxit=maxit, solver=use, fits=fits,
        newton_tol=newton_tol, newton_maxit=newton_maxit,
    )

    with single_thread_blas():
        if stayer_assumption:
            od, stay, flows = _quasi_independent(a1, a2, by_birthplace)
        else:
            od, stay, flows = _independent(a1, a2, seed, n, tol, maxit, by_birthplace, fits)

    def shaped(x: NDArray, tail: tuple[int, ...]) -> NDArray:
        return x.reshape(batch + tail)

    return DemographicFlows(
        labels=lab,
        od=shaped(od, (n, n)),
        stayers=shaped(stay, (n, n)),
        stock_start=shaped(a1, (n, n)),
        stock_end=shaped(a2, (n, n)),
        births=shaped(b_mat, (n, n)),
        deaths=shaped(d_mat, (n, n)),
        inflow_outside=shaped(in_mat, (n, n)),
        outflow_outside=shaped(out_mat, (n, n)),
        flows=None if flows is None else shaped(flows, (n, n, n)),
        settings={
            "stayer_assumption": stayer_assumption,
            "match_global": match_global,
            "match_birthplace_tot_method": match_birthplace_tot_method,
            "birth_method": birth_method,
            "birth_non_negative": birth_non_negative,
            "death_method": death_method,
            "tol": tol,
            "maxit": maxit,
            "solver": use,
            "on_nonconvergence": on_nonconvergence,
        },
        convergence=fits.records,
        flags=(NOT_CONVERGED,) if any(not r.converged for r in fits.records if r.method != "Newton") else (),
    )


def _quasi_independent(a1: NDArray, a2: NDArray, by_birthplace: bool) -> tuple[NDArray, NDArray, NDArray | None]:
    # Stayers per birthplace k and region i: min(start, end). The remaining
    # leavers r and arrivals c have disjoint supports, so the quasi-independence
    # fit of each birthplace's table is r_i c_j / sum(r).
    stay = np.minimum(a1, a2)
    r = a1 - stay
    c = a2 - stay
    rt = r.sum(axis=-1)
    c = c * _factor(rt, c.sum(axis=-1))[..., None]
    w = r * _factor(np.ones_like(rt), rt)[..., None]
    od = np.matmul(np.swapaxes(w, -1, -2), c)
    idx = np.arange(a1.shape[-1])
    od[..., idx, idx] = 0.0
    flows = None
    if by_birthplace:
        flows = w[..., :, None] * c[..., None, :]
        flows[..., idx, idx] = stay
    return od, stay, flows


def _independent(
    a1: NDArray, a2: NDArray, seed: ArrayLike | None, n: int, tol: float, maxit: int, by_birthplace: bool,
    fits: acc.Fits,
) -> tuple[NDArray, NDArray, NDArray | None]:
    idx = np.arange(n)
    if seed is None:
        w = a1 * _factor(np.ones(a1.shape[:-1]), a1.sum(axis=-1))[..., None]
        od = np.matmul(np.swapaxes(w, -1, -2), a2)
        stay = w * a2  # stayers of birthplace k in region i: w[k, i] * a2[k, i]
        flows = w[..., :, None] * a2[..., None, :] if by_birthplace else None
    else:
        m = as_array(seed, "seed", ndim=(2, 3))
        if m.shape[-2:] != (n, n):
            raise InputError(Message("flows.seed_shape_expected", shape=m.shape, n=n), hint=Message("flows.seed_shape_expected.hint"))
        check_non_negative(m, "seed")
        m3 = np.broadcast_to(m if m.ndim == 3 else m[None], (n, n, n))  # (k, i, j)
        f = np.empty((a1.shape[0], n, n, n))
        per = max(1, (64 * 2**20) // (8 * n**3))  # periods per call: bounds the n^3 working arrays
        iters, gaps, conv = [], [], []
        for p0 in range(0, a1.shape[0], per):
            sl = slice(p0, p0 + per)
            seeds = np.broadcast_to(m3, (a1[sl].shape[0], n, n, n))
            res = fit_margins(seeds, a1[sl], a2[sl], first="rows", criterion="cells", tol=tol, maxit=maxit, group=1)
            f[sl] = res.mu
            iters.append(np.ravel(res.iterations))
            gaps.append(np.ravel(res.tol))
            conv.append(np.ravel(res.converged))
        from corridor.flows.ipf import IPFResult

        fits.add(IPFResult(f, np.concatenate(iters), np.concatenate(gaps), np.concatenate(conv)),
                 "flows by birthplace (independence model with seed)", "IPF", "cells", tol, maxit,
                 label=Message("flows.step.flows_by_birthplace"))
        od = f.sum(axis=-3)
        stay = np.diagonal(f, axis1=-2, axis2=-1).copy()
        flows = f if by_birthplace else None
    od[..., idx, idx] = 0.0
    return od, stay, flows


def ffs_demo_series(
    stocks: ArrayLike,
    births: ArrayLike | None = None,
    deaths: ArrayLike | None = None,
    **kwargs: Any,
) -> DemographicFlows:
    """Run :func:`ffs_demo` on every period of a series of ``T`` stock tables at once.

    ``stocks`` is ``(T, n, n)``; ``births``/``deaths`` are ``(T - 1, n)``. The result
    has a leading axis of ``T - 1`` periods.
    """
    s = as_array(stocks, "stocks", ndim=3)
    if s.shape[0] < 2:
        raise InputError(Message("flows.series_needs_least_two"), hint=Message("flows.series_needs_least_two.hint"))
    return ffs_demo(s[:-1], s[1:], births, deaths, **kwargs)
