"""Domains: groupings of the ``by`` variables, domain codes of scan groups, domain sums and df."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from corridor.errors import EstimationError
from corridor.estimation import taylor
from corridor.estimation.structure import Structure, codes, factorize


def groupings(by: str | Sequence[Any]) -> list[tuple[str, ...]]:
    """``"region"`` or ``["region", "sex"]`` is one grouping; ``[[], ["region"], ["sex"]]`` several."""
    if isinstance(by, str):
        return [(by,)]
    items = list(by)
    if items and all(isinstance(i, list | tuple) for i in items):
        return [tuple(i) for i in items]
    if any(isinstance(i, list | tuple) for i in items):
        raise EstimationError(
            f"by={by!r} mixes names and groups", hint="give one grouping (['region', 'sex']) or a list of groupings"
        )
    return [tuple(items)]


def domains(tbl: pa.Table, by: list[str]) -> tuple[np.ndarray, list[tuple[Any, ...]]]:
    """Domain code of each group, and the domain key tuples: the full product of the by levels."""
    if not by:
        return np.zeros(tbl.num_rows, dtype=np.int64), [()]
    per_var: list[list[Any]] = []
    code_cols: list[np.ndarray] = []
    for col in by:
        c, values = codes(tbl[col])
        vals = values.to_pylist()
        order = sorted(range(len(vals)), key=lambda i: (vals[i] is None, str(type(vals[i])), vals[i] if vals[i] is not None else 0))
        rank = np.empty(len(vals), dtype=np.int64)
        rank[order] = np.arange(len(vals))
        per_var.append([vals[i] for i in order])
        code_cols.append(rank[c])
    sizes = [len(v) for v in per_var]
    flat = np.ravel_multi_index(code_cols, sizes) if code_cols else np.zeros(tbl.num_rows, dtype=np.int64)
    domains = list(itertools.product(*per_var))
    return flat.astype(np.int64), domains


def domain_sum(values: np.ndarray, column: np.ndarray, pk: np.ndarray, pg: np.ndarray, K: int) -> np.ndarray:
    """Per output k, the sum over its domain's groups of ``values[:, column[k]]``; NaN where column is -1."""
    used = column >= 0
    sel = used[pk]
    out = np.bincount(pk[sel], weights=values[pg[sel], column[pk[sel]]], minlength=K).astype(float)
    out[~used] = np.nan
    return out


def domain_df(pairs: taylor.Pairs, structure: Structure, element: bool, K: int) -> np.ndarray:
    """PSUs with members in the domain minus strata with members (R ``degf`` of a subset)."""
    stage = structure.stages[0]
    sel = pairs.present
    out, grp = pairs.out[sel], pairs.group[sel]
    h = stage.stratum[grp]
    strata = factorize(out * (len(stage.n) + 1) + h, K * (len(stage.n) + 1))[0]
    n_strata = np.bincount(strata // (len(stage.n) + 1), minlength=K)
    if element:
        n_psu = np.bincount(out, weights=pairs.rows[sel], minlength=K)
    else:
        u = stage.unit[grp]
        units = factorize(out * (len(stage.unit_stratum) + 1) + u, K * (len(stage.unit_stratum) + 1))[0]
        n_psu = np.bincount(units // (len(stage.unit_stratum) + 1), minlength=K)
    return (n_psu - n_strata).astype(float)


