"""Flows from two stock tables without births and deaths: differencing and rates.

* :func:`ffs_diff`: the change in each bilateral stock, with decreases set to
  zero (Bertoli & Fernandez-Huertas Moraga 2015) or read as return flows to the
  birthplace (Beine & Parsons 2015), as ``migest::ffs_diff``.
* :func:`ffs_rates`: Dennett (2015) shares of the start stocks times a global
  flow total, or Rogers & von Rabenau (1971) growth-matrix flows, as
  ``migest::ffs_rates``.

All functions take tables of shape ``(..., n, n)`` (birthplace x residence);
leading axes (periods, resamples) are computed in one vectorised call.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from corridor.errors import EstimationError, InputError
from corridor.flows._checks import alias, as_array, check_non_negative, check_square
from corridor.i18n import Message


def _pair(stock_start: ArrayLike, stock_end: ArrayLike | None) -> tuple[NDArray, NDArray | None]:
    s1 = as_array(stock_start, "stock_start")
    check_square(s1, "stock_start")
    check_non_negative(s1, "stock_start")
    if stock_end is None:
        return s1, None
    s2 = as_array(stock_end, "stock_end")
    if s1.shape != s2.shape:
        raise InputError(
            Message("flows.stock_start_shape_stock_2", shape=s1.shape, shape2=s2.shape),
            hint=Message("flows.stock_start_shape_stock_2.hint"),
        )
    check_non_negative(s2, "stock_end")
    return s1, s2


def ffs_diff(
    stock_start: ArrayLike,
    stock_end: ArrayLike,
    decrease: Literal["return", "zero"] = "return",
    include_native_born: bool = False,
) -> NDArray[np.float64]:
    """Flows by stock differencing (``migest::ffs_diff``).

    ``flow[i, j] = max(S2[i, j] - S1[i, j], 0)``; with ``decrease="return"`` a fall
    in the stock born in ``j`` living in ``i`` is added as a flow from ``i`` back to
    ``j``. Rows of the result are origins (birthplaces), columns destinations. The
    diagonal (changes in native-born stocks) is zero unless ``include_native_born=True``,
    which keeps the native-born cells in the differencing: the diagonal is then the
    increase of the native-born (plus, with ``"return"``, their decrease).
    """
    s1, s2 = _pair(stock_start, stock_end)
    assert s2 is not None
    if decrease not in ("zero", "return"):
        raise InputError(Message("flows.decrease_not_known", decrease=decrease), hint=Message("flows.decrease_not_known.hint"))
    change = s2 - s1
    if not include_native_born:
        idx = np.arange(change.shape[-1])
        change[..., idx, idx] = 0.0
    flow = np.maximum(change, 0.0)
    if decrease == "return":
        flow = flow + np.maximum(-np.swapaxes(change, -1, -2), 0.0)
    return flow


def ffs_rates(
    stock_start: ArrayLike,
    stock_end: ArrayLike | None = None,
    *,
    method: Literal["dennett", "rogers-von-rabenau"] = "dennett",
    total: ArrayLike | None = None,
    M: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Flows by rates (``migest::ffs_rates``).

    ``"dennett"``: the off-diagonal start stocks as shares of their sum, times the
    global flow ``total`` (Dennett 2015); if ``total`` is omitted it is the sum of the
    absolute changes in the residence totals, ``sum |colSums(S2) - colSums(S1)|``,
    as in migest's example. ``"rogers-von-rabenau"``: the growth matrix ``G`` with
    ``S1 G = S2`` times the population at risk (the start residence totals), with
    the diagonal set to zero (Rogers & von Rabenau 1971); flows can be negative.
    ``M`` is migest's name for ``total``.
    """
    total = alias(total, M, "total", "M")  # type: ignore[assignment]
    s1, s2 = _pair(stock_start, stock_end)
    n = s1.shape[-1]
    idx = np.arange(n)
    if method == "dennett":
        if total is None:
            if s2 is None:
                raise InputError(
                    Message("flows.method_dennett_needs_global"),
                    hint=Message("flows.method_dennett_needs_global.hint"),
                )
            total = np.abs(s2.sum(axis=-2) - s1.sum(axis=-2)).sum(axis=-1)
        m = as_array(total, "total")
        p = s1.copy()
        p[..., idx, idx] = 0.0
        s = p.sum(axis=(-2, -1), keepdims=True)
        if np.any(s == 0):
            raise EstimationError(Message("flows.start_table_foreign_born"), hint=Message("flows.start_table_foreign_born.hint"))
        return np.asarray(m)[..., None, None] * p / s
    if method == "rogers-von-rabenau":
        if s2 is None:
            raise InputError(Message("flows.method_rogers_von_rabenau"), hint=Message("flows.method_rogers_von_rabenau.hint"))
        try:
            g = np.linalg.solve(s1, s2)
        except np.linalg.LinAlgError:
            raise EstimationError(
                Message("flows.start_stock_table_singular"),
                hint=Message("flows.start_stock_table_singular.hint"),
            ) from None
        x = g * s1.sum(axis=-2)[..., :, None]
        x[..., idx, idx] = 0.0
        return x
    raise InputError(Message("flows.method_not_known", method=method), hint=Message("flows.method_not_known.hint"))
