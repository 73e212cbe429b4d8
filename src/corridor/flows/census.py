"""Transition flow tables from a census or survey question on residence some years earlier.

The estimation itself (design-based totals of persons by residence at the
earlier date x residence now, e.g. IPUMS-International ``MIGCTRY5`` or
``MIGRATE5`` by current country, with their sampling SEs) is done by corridor's
survey engine; this module takes that already-estimated long table and turns it
into an origin x destination transition table with intervals, coefficients of
variation and the regional summaries (out-, in- and net migration).

SEs of sums (out-, in-, net migration) need the covariances of the cell
estimates; when only the cell SEs are given, the cells are treated as
independent (stated in ``TransitionTable.assumption``), which for positively
correlated cells from the same PSUs understates the SE of a sum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from corridor.errors import ColumnNotFoundError, InputError
from corridor.i18n import Message


@dataclass
class TransitionTable:
    """Origin (residence before) x destination (residence now) flows with SEs and intervals."""

    labels: list[str]
    flows: NDArray[np.float64]
    se: NDArray[np.float64]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    level: float
    assumption: str

    @property
    def cv(self) -> NDArray[np.float64]:
        """Coefficient of variation of each cell (missing where the flow is zero)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.flows > 0, self.se / self.flows, np.nan)

    def summary(self) -> list[dict[str, Any]]:
        """Out-, in- and net migration of each region (excluding stayers) with SEs."""
        off = ~np.eye(len(self.labels), dtype=bool)
        f = np.where(off, self.flows, 0.0)
        v = np.where(off, self.se**2, 0.0)
        out = []
        for i, lab in enumerate(self.labels):
            outm, inm = f[i].sum(), f[:, i].sum()
            se_out, se_in = np.sqrt(v[i].sum()), np.sqrt(v[:, i].sum())
            out.append({
                "region": lab, "out": outm, "out_se": se_out, "in": inm, "in_se": se_in,
                "net": inm - outm, "net_se": float(np.hypot(se_out, se_in)),
            })
        return out

    def to_rows(self) -> list[dict[str, Any]]:
        """Long rows: origin, destination, flow, se, lower, upper, cv."""
        cv = self.cv
        return [
            {
                "origin": a, "destination": b, "flow": float(self.flows[i, j]), "se": float(self.se[i, j]),
                "lower": float(self.lower[i, j]), "upper": float(self.upper[i, j]),
                "cv": None if np.isnan(cv[i, j]) else float(cv[i, j]),
            }
            for i, a in enumerate(self.labels)
            for j, b in enumerate(self.labels)
        ]


def transition_table(
    estimates: Sequence[Mapping[str, Any]],
    *,
    origin: str = "origin",
    destination: str = "destination",
    estimate: str = "estimate",
    se: str = "se",
    labels: Sequence[str] | None = None,
    level: float = 0.95,
    df: float | None = None,
) -> TransitionTable:
    """Build a transition table from estimated flows with SEs (one row per origin-destination cell).

    Intervals are ``estimate +/- q * se`` with ``q`` the normal quantile (or Student's
    t with ``df`` degrees of freedom, the design degrees of freedom of the survey),
    truncated at zero. Missing cells are zero with zero SE. Raises
    :class:`~corridor.errors.InputError` for duplicated cells, negative estimates or SEs.
    """
    rows = list(estimates)
    if not rows:
        raise InputError(Message("flows.flow_table_empty"), hint=Message("flows.flow_table_empty.hint"))
    missing = [c for c in (origin, destination, estimate, se) if c not in rows[0]]
    if missing:
        raise ColumnNotFoundError.from_names(missing, list(rows[0]), where=Message("flows.where.estimated_flow_table"))
    if not 0 < level < 1:
        raise InputError(Message("flows.level_must_between", level=level), hint=Message("flows.level_must_between.hint"))
    lab = list(labels) if labels is not None else sorted({str(r[origin]) for r in rows} | {str(r[destination]) for r in rows})
    pos = {k: i for i, k in enumerate(lab)}
    n = len(lab)
    flows = np.zeros((n, n))
    ses = np.zeros((n, n))
    seen: set[tuple[int, int]] = set()
    for line, r in enumerate(rows, start=1):
        a, b = str(r[origin]), str(r[destination])
        if a not in pos or b not in pos:
            raise InputError(Message("flows.row_region_not_labels", line=line, value=a if a not in pos else b), hint=Message("flows.row_region_not_labels.hint"))
        key = (pos[a], pos[b])
        if key in seen:
            raise InputError(Message("flows.row_cell_appears_twice", line=line, a=a, b=b), hint=Message("flows.row_cell_appears_twice.hint"))
        seen.add(key)
        try:
            e, s = float(r[estimate]), float(r[se])
        except (TypeError, ValueError):
            raise InputError(Message("flows.row_estimate_not_number", line=line, a=a, b=b), hint=Message("flows.row_estimate_not_number.hint")) from None
        if e < 0 or s < 0 or not np.isfinite(e) or not np.isfinite(s):
            raise InputError(
                Message("flows.row_estimate", line=line, a=a, b=b, expr=e, s=s),
                hint=Message("flows.row_estimate.hint"),
            )
        flows[key], ses[key] = e, s
    q = stats.norm.ppf(0.5 + level / 2) if df is None else stats.t.ppf(0.5 + level / 2, df)
    return TransitionTable(
        lab, flows, ses, np.maximum(flows - q * ses, 0.0), flows + q * ses, level,
        "SEs of out-, in- and net migration treat the cells as independent",
    )
