"""Intervals for estimated flows by parametric resampling of the input stocks.

Method (Monte Carlo propagation of input error, e.g. Raymer et al. 2013,
*JASA* 108:801, for migration flows; Efron & Tibshirani 1993, ch. 6 and 13, for
the parametric bootstrap and percentile intervals):

1. Each input count (stock cell, birth or death count) is drawn ``R`` times from
   a distribution with mean equal to the published value and standard deviation
   equal to its standard error, given either as a relative error (coefficient of
   variation, e.g. a stock table's stated accuracy) or as absolute SEs (e.g.
   survey-estimated stocks). ``"gamma"`` (default) keeps counts non-negative;
   ``"normal"`` (truncated at zero) and ``"lognormal"`` are offered. Cells with
   zero error are not perturbed, so with no error every draw equals the input.
2. The flow estimator runs on all draws at once (vectorised, in chunks that fit
   a memory budget); the stock tables of a series are drawn once per date, so
   consecutive periods share the same draw of their common table.
3. The point estimate is the estimator on the published inputs; the interval is
   the percentile interval of the draws and ``se`` their standard deviation.

The interval reflects input (sampling or measurement) error only, not the
model error of the estimator itself.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from corridor.errors import InputError
from corridor.flows._checks import as_array
from corridor.flows.demographic import ffs_demo
from corridor.flows.stocks import ffs_diff, ffs_rates
from corridor.i18n import Message

Distribution = Literal["gamma", "normal", "lognormal"]

#: Resamples behind every flow interval unless asked otherwise: the command line, the Python
#: functions and the corridor profile all use it, so one flow has one interval everywhere.
DEFAULT_RESAMPLES = 1000
#: Seed of the resampling when none is given by the command line or the profile.
DEFAULT_SEED = 2026
#: Relative error assumed for UN DESA's bilateral stocks, which publish none.
DEFAULT_REL_ERROR = 0.10


@dataclass
class FlowIntervals:
    """Point estimates with percentile intervals and resampling SEs (same shape as ``point``)."""

    point: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    se: NDArray[np.float64]
    level: float
    n_resamples: int
    method: str
    labels: list[str] | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    convergence: list[Any] = field(default_factory=list)
    flags: tuple[str, ...] = ()


def input_sd(values: NDArray[np.float64], rel_error: ArrayLike | None, se: ArrayLike | None, name: str) -> NDArray[np.float64]:
    """Standard deviation of each input cell from a relative error or absolute SEs."""
    if rel_error is not None and se is not None:
        raise InputError(Message("flows.give_either_relative_error", name=name), hint=Message("flows.give_either_relative_error.hint"))
    if se is not None:
        sd = np.broadcast_to(as_array(se, f"{name} SE"), values.shape)
    elif rel_error is not None:
        sd = np.abs(values) * np.broadcast_to(as_array(rel_error, f"{name} relative error"), values.shape)
    else:
        sd = np.zeros_like(values)
    if (sd < 0).any():
        raise InputError(Message("flows.error_negative", name=name), hint=Message("flows.error_negative.hint"))
    return np.asarray(sd, dtype=float)


def draw(
    mean: NDArray[np.float64],
    sd: NDArray[np.float64],
    size: int,
    rng: np.random.Generator,
    distribution: Distribution = "gamma",
) -> NDArray[np.float64]:
    """Draw ``size`` copies of ``mean`` with cell-wise error ``sd`` (shape ``(size, *mean.shape)``)."""
    out = np.broadcast_to(mean, (size, *mean.shape)).copy()
    noisy = (sd > 0) & (mean > 0)
    if not noisy.any():
        return out
    mu = mean[noisy]
    s = sd[noisy]
    k = noisy.sum()
    if distribution == "gamma":
        shape = (mu / s) ** 2
        vals = rng.gamma(shape, s**2 / mu, size=(size, k))
    elif distribution == "normal":
        vals = np.maximum(mu + s * rng.standard_normal((size, k)), 0.0)
    elif distribution == "lognormal":
        s2 = np.log1p((s / mu) ** 2)
        vals = np.exp(np.log(mu) - s2 / 2 + np.sqrt(s2) * rng.standard_normal((size, k)))
    else:
        raise InputError(Message("flows.distribution_not_known", distribution=distribution), hint=Message("flows.distribution_not_known.hint"))
    out[:, noisy] = vals
    return out


def _summarise(point: NDArray, samples: NDArray, level: float) -> tuple[NDArray, NDArray, NDArray]:
    # ``samples`` is consumed (partitioned in place) to avoid a second copy of all draws.
    a = (1 - level) / 2
    r = samples.shape[0]
    flat = samples.reshape(r, -1)
    se = np.empty(flat.shape[1])
    step = max(1, (32 * 2**20) // (8 * r))
    for c0 in range(0, flat.shape[1], step):
        # Centre on the first draw so identical draws give an SE of exactly zero.
        block = flat[:, c0 : c0 + step] - flat[0, c0 : c0 + step]
        se[c0 : c0 + step] = block.std(axis=0, ddof=1)
    lo, hi = np.quantile(samples, [a, 1 - a], axis=0, overwrite_input=True)
    return lo, hi, se.reshape(point.shape)


def _chunk_size(per_draw_bytes: int, budget: int) -> int:
    return max(1, int(budget // max(per_draw_bytes, 1)))


def propagate(
    estimator: Callable[[NDArray, NDArray, NDArray | None, NDArray | None], NDArray],
    stocks: NDArray[np.float64],
    stock_sd: NDArray[np.float64],
    births: NDArray[np.float64] | None = None,
    births_sd: NDArray[np.float64] | None = None,
    deaths: NDArray[np.float64] | None = None,
    deaths_sd: NDArray[np.float64] | None = None,
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
    distribution: Distribution = "gamma",
    select: Callable[[NDArray], NDArray] | None = None,
    memory_budget: int = 256 * 2**20,
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Resample a series of stock tables (and births/deaths) and summarise ``estimator`` over periods.

    ``stocks`` is ``(T, n, n)``; ``estimator(start, end, births, deaths)`` takes
    batches ``(B, n, n)``/``(B, n)`` and returns ``(B, ...)``. Periods are processed
    one at a time and draws in chunks (``memory_budget`` bytes of working arrays),
    so a 230 x 230 series with 1,000 draws fits in memory. ``select`` reduces each
    output before it is stored (e.g. to a few corridors). Returns point, lower,
    upper and se with a leading period axis.
    """
    if not 0 < level < 1:
        raise InputError(Message("flows.level_must_between_2", level=level), hint=Message("flows.level_must_between_2.hint"))
    if n_resamples < 2:
        raise InputError(Message("flows.resamples_must_least"), hint=Message("flows.resamples_must_least.hint"))
    rng = random_state if isinstance(random_state, np.random.Generator) else np.random.default_rng(random_state)
    sel = select if select is not None else (lambda x: x)
    t, n = stocks.shape[0], stocks.shape[-1]
    results = []
    per_draw = 16 * 2 * n * n * 8
    chunk = _chunk_size(per_draw, memory_budget)
    # Draw every date's table once per resample (shared by the two adjacent periods).
    child = rng.spawn(t + 2)
    for p in range(t - 1):
        b0 = None if births is None else births[p][None]
        d0 = None if deaths is None else deaths[p][None]
        point = sel(estimator(stocks[p][None], stocks[p + 1][None], b0, d0))[0]
        store = np.empty((n_resamples, *point.shape))
        for lo in range(0, n_resamples, chunk):
            size = min(chunk, n_resamples - lo)
            s1 = _draw_date(stocks, stock_sd, p, lo, size, child, distribution)
            s2 = _draw_date(stocks, stock_sd, p + 1, lo, size, child, distribution)
            bb = None if births is None else _draw_vec(births[p], births_sd[p], lo, size, child[t], p, distribution)
            dd = None if deaths is None else _draw_vec(deaths[p], deaths_sd[p], lo, size, child[t + 1], p, distribution)
            store[lo : lo + size] = sel(estimator(s1, s2, bb, dd))
        lo_, hi_, se_ = _summarise(point, store, level)
        results.append((point, lo_, hi_, se_))
    return tuple(np.stack([r[i] for r in results]) for i in range(4))  # type: ignore[return-value]


def _gen(parent: np.random.Generator, key: Sequence[int]) -> np.random.Generator:
    seq = parent.bit_generator.seed_seq
    return np.random.default_rng(np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, *key)))


def _draw_date(
    stocks: NDArray, sd: NDArray, date: int, lo: int, size: int, child: list[np.random.Generator], distribution: Distribution
) -> NDArray:
    # A date's draws depend only on (date, chunk start), so both periods sharing it see the same tables.
    return draw(stocks[date], sd[date], size, _gen(child[date], (lo,)), distribution)


def _draw_vec(
    mean: NDArray, sd: NDArray, lo: int, size: int, parent: np.random.Generator, p: int, distribution: Distribution
) -> NDArray:
    return draw(mean, sd, size, _gen(parent, (p, lo)), distribution)


def _series(stocks: ArrayLike) -> NDArray[np.float64]:
    s = as_array(stocks, "stocks", ndim=3)
    if s.shape[0] < 2 or s.shape[1] != s.shape[2]:
        raise InputError(
            Message("flows.stocks_shape_expected", shape=s.shape),
            hint=Message("flows.stocks_shape_expected.hint"),
        )
    if (s < 0).any():
        idx = tuple(int(i) for i in np.argwhere(s < 0)[0])
        raise InputError(Message("flows.stocks_negative_value", idx=idx), hint=Message("flows.stocks_negative_value.hint"))
    return s


def ffs_demo_intervals(
    stocks: ArrayLike,
    births: ArrayLike | None = None,
    deaths: ArrayLike | None = None,
    *,
    rel_error: ArrayLike | None = None,
    stock_se: ArrayLike | None = None,
    births_rel_error: ArrayLike | None = None,
    deaths_rel_error: ArrayLike | None = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
    distribution: Distribution = "gamma",
    select: Callable[[NDArray], NDArray] | None = None,
    labels: Sequence[str] | None = None,
    memory_budget: int = 256 * 2**20,
    **options: Any,
) -> FlowIntervals:
    """Demographic-accounting flows (:func:`~corridor.flows.demographic.ffs_demo`) with intervals.

    ``stocks`` ``(T, n, n)``; ``births``/``deaths`` ``(T - 1, n)``. Errors: ``rel_error``
    (scalar or array broadcast to the stocks, e.g. 0 on the diagonal) or
    ``stock_se`` (absolute SEs), and relative errors of births and deaths.
    ``options`` go to ``ffs_demo`` (including ``tol``, ``maxit`` and ``on_nonconvergence``).
    Output ``point[p, i, j]``: flows origin ``i`` to destination ``j`` in period ``p`` (or
    ``select`` of it). ``convergence`` holds the fits of the point estimates; with
    ``on_nonconvergence="warn"``, ``flags`` is ``("not_converged",)`` when a fit of the point
    estimates or of any draw kept its last iterate, and ``settings["draws_not_converged"]``
    counts the batches of draws with such a fit.
    """
    s = _series(stocks)
    t, n = s.shape[0], s.shape[-1]
    b = np.zeros((t - 1, n)) if births is None else as_array(births, "births", ndim=2)
    d = np.zeros((t - 1, n)) if deaths is None else as_array(deaths, "deaths", ndim=2)
    for name, v in (("births", b), ("deaths", d)):
        if v.shape != (t - 1, n):
            raise InputError(Message("flows.shape_expected", name=name, shape=v.shape, value=(t - 1, n)), hint=Message("flows.shape_expected.hint"))
    sd = input_sd(s, rel_error, stock_se, "stocks")
    bsd = input_sd(b, births_rel_error, None, "births")
    dsd = input_sd(d, deaths_rel_error, None, "deaths")
    # the point estimates of every period at once: validates inputs and options, records the fits
    whole = ffs_demo(s[:-1], s[1:], b, d, labels=labels, **options)
    failed_draws = 0

    def est(s1: NDArray, s2: NDArray, bb: NDArray | None, dd: NDArray | None) -> NDArray:
        nonlocal failed_draws
        res = ffs_demo(s1, s2, bb, dd, labels=labels, **options)
        if res.flags:
            failed_draws += 1
        return res.od

    with warnings.catch_warnings():
        # each draw that keeps its last iterate is counted and flagged once, not warned about
        warnings.simplefilter("ignore", RuntimeWarning)
        point, lo, hi, se = propagate(
            est, s, sd, b, bsd, d, dsd, n_resamples=n_resamples, level=level, random_state=random_state,
            distribution=distribution, select=select, memory_budget=memory_budget,
        )
    settings = dict(options)
    settings["resample_batches_not_converged"] = failed_draws
    if failed_draws:
        warnings.warn(Message("flows.intervals.draws_not_converged", batches=failed_draws, flag="not_converged").render(),
                      RuntimeWarning, stacklevel=2)
    flags = ("not_converged",) if whole.flags or failed_draws else ()
    return FlowIntervals(point, lo, hi, se, level, n_resamples, "ffs_demo", list(labels) if labels else None,
                         settings, whole.convergence, flags)


def ffs_stock_intervals(
    stocks: ArrayLike,
    *,
    method: Literal["diff-zero", "diff-return", "dennett", "rogers-von-rabenau"] = "diff-zero",
    rel_error: ArrayLike | None = None,
    stock_se: ArrayLike | None = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
    distribution: Distribution = "gamma",
    select: Callable[[NDArray], NDArray] | None = None,
    labels: Sequence[str] | None = None,
    memory_budget: int = 256 * 2**20,
) -> FlowIntervals:
    """Stock-differencing or rates flows (:mod:`corridor.flows.stocks`) with intervals, over a series."""
    s = _series(stocks)
    sd = input_sd(s, rel_error, stock_se, "stocks")
    if method in ("diff-zero", "diff-return"):
        decrease = method.split("-")[1]

        def est(s1: NDArray, s2: NDArray, bb: Any, dd: Any) -> NDArray:
            return ffs_diff(s1, s2, decrease=decrease)  # type: ignore[arg-type]
    elif method in ("dennett", "rogers-von-rabenau"):

        def est(s1: NDArray, s2: NDArray, bb: Any, dd: Any) -> NDArray:
            return ffs_rates(s1, s2, method=method)  # type: ignore[arg-type]
    else:
        raise InputError(
            Message("flows.method_not_known_2", method=method), hint=Message("flows.method_not_known_2.hint")
        )
    point, lo, hi, se = propagate(
        est, s, sd, n_resamples=n_resamples, level=level, random_state=random_state,
        distribution=distribution, select=select, memory_budget=memory_budget,
    )
    return FlowIntervals(point, lo, hi, se, level, n_resamples, method, list(labels) if labels else None)
