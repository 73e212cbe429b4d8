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
from corridor.i18n import Message


def groupings(by: str | Sequence[Any]) -> list[tuple[str, ...]]:
    """``"region"`` or ``["region", "sex"]`` is one grouping; ``[[], ["region"], ["sex"]]`` several."""
    if isinstance(by, str):
        return [(by,)]
    items = list(by)
    if items and all(isinstance(i, list | tuple) for i in items):
        return [tuple(i) for i in items]
    if any(isinstance(i, list | tuple) for i in items):
        raise EstimationError(
            Message("estimation.mixes_names_groups", by=by), hint=Message("estimation.mixes_names_groups.hint")
        )
    return [tuple(items)]


def domains(tbl: pa.Table, by: list[str],
            coded: dict[str, tuple[np.ndarray, pa.Array]] | None = None) -> tuple[np.ndarray, list[tuple[Any, ...]]]:
    """Domain code of each group, and the domain key tuples: the full product of the by levels.

    ``coded`` keeps each column's codes for the next grouping of the same table (a variable in
    several groupings of millions of rows is encoded once).
    """
    if not by:
        return np.zeros(tbl.num_rows, dtype=np.int64), [()]
    per_var: list[list[Any]] = []
    code_cols: list[np.ndarray] = []
    for col in by:
        if coded is None:
            c, values = codes(tbl[col])
        else:
            if col not in coded:
                c, values = codes(tbl[col])
                # kept in the narrowest integer type: a few codes per row of millions of rows
                coded[col] = (c.astype(np.min_scalar_type(max(len(values) - 1, 0)), copy=False), values)
            c, values = coded[col]
        ordered, rank = sorted_levels(values)
        per_var.append(ordered)
        code_cols.append(rank[c])
    sizes = [len(v) for v in per_var]
    flat = np.ravel_multi_index(code_cols, sizes) if code_cols else np.zeros(tbl.num_rows, dtype=np.int64)
    domains = list(itertools.product(*per_var))
    return flat.astype(np.int64), domains


def domain_count(tbl: pa.Table, by: list[str], coded: dict[str, tuple[np.ndarray, pa.Array]]) -> int:
    """How many domains :func:`domains` gives the grouping ``by`` (its variables encoded into ``coded``)."""
    n = 1
    for col in by:
        if col not in coded:
            c, values = codes(tbl[col])
            coded[col] = (c.astype(np.min_scalar_type(max(len(values) - 1, 0)), copy=False), values)
        n *= len(coded[col][1])
    return n


def sorted_levels(values: pa.Array) -> tuple[list[Any], np.ndarray]:
    """A by column's distinct values in domain order (nulls last; values of mixed types by type name),
    and each value's position in that order."""
    vals = values.to_pylist()
    order = sorted(range(len(vals)), key=lambda i: (vals[i] is None, str(type(vals[i])), vals[i] if vals[i] is not None else 0))
    rank = np.empty(len(vals), dtype=np.int64)
    rank[order] = np.arange(len(vals))
    return [vals[i] for i in order], rank


class GroupSums:
    """The scan's group sums as one grouping sees them.

    Entries are the groups inside the subpopulation, each with its domain code.
    ``pooled`` adds up entries of the same (domain, unit) cell: sums are
    additive, so variances need only cell totals, and a coarse grouping (the
    whole population, say) then works on a few thousand cells instead of every
    domain x PSU group of the scan.
    """

    def __init__(self, sums: np.ndarray, counts: np.ndarray, in_group: np.ndarray, dom_codes: np.ndarray, n_dom: int):
        every = bool(in_group.all())
        self.group = np.arange(len(in_group)) if every else np.flatnonzero(in_group)
        self.domain = dom_codes if every else dom_codes[self.group]
        self.n_dom = n_dom
        self._mats = (sums, counts)
        self._cells: np.ndarray | None = None
        self._parent: GroupSums | None = None
        self._cache: dict[tuple[int, int], np.ndarray] = {}
        self._dsums: dict[tuple[int, int], np.ndarray] = {}  # domain sums of a column
        # entries come domain by domain (pooled cells are ranked by (domain, unit)): the first entry
        # of each domain with entries, and those domains; None until asked (or when not in order)
        self._ordered = False
        self._spans: tuple[np.ndarray, np.ndarray] | None = None
        # (unit codes, sorted (domain, unit) keys, entry -> key) once entries are known to be cells;
        # keys None: entries are distinct cells, not yet ranked
        self.cells: tuple[np.ndarray, np.ndarray | None, np.ndarray | None] | None = None

    def column(self, mat: int, j: int) -> np.ndarray:
        """Column ``j`` of the sums (``mat=0``) or counts (``mat=1``), one value per entry."""
        if (mat, j) not in self._cache:
            if self._parent is not None:
                assert self._cells is not None
                vals = np.bincount(self._cells, weights=self._parent.column(mat, j), minlength=len(self.group))
            elif len(self.group) == self._mats[mat].shape[0]:
                vals = self._mats[mat][:, j]  # every group is in: the column itself
            else:
                vals = self._mats[mat][self.group, j]
            self._cache[(mat, j)] = vals
        return self._cache[(mat, j)]

    def domain_sum(self, mat: int, cols: np.ndarray) -> np.ndarray:
        """Sum per (domain, output) of ``cols[o]`` (NaN where it is -1), flattened domain-major."""
        # outputs share sums (a denominator, the weight of the rows used): each distinct column is
        # added up once per grouping, then spread to its outputs in one gather
        distinct, pos = np.unique(cols, return_inverse=True)
        sums = np.empty((self.n_dom, len(distinct)))
        for i, j in enumerate(distinct.tolist()):
            if j < 0:
                sums[:, i] = np.nan
                continue
            key = (mat, j)
            if key not in self._dsums:
                self._dsums[key] = self._per_domain(self.column(mat, j))
            sums[:, i] = self._dsums[key]
        res: np.ndarray = sums[:, np.asarray(pos).ravel()]
        return res.ravel()

    def _per_domain(self, vals: np.ndarray) -> np.ndarray:
        """The sum of ``vals`` (one per entry) over each domain's entries."""
        if self.n_dom == 1:
            return np.array([vals.sum()])
        if not self._ordered:
            return np.bincount(self.domain, weights=vals, minlength=self.n_dom)
        # entries in domain order: a sum over each domain's run of entries, vectorised (a bincount
        # into a few bins adds one entry at a time to the same bin, 5-10x slower); the order of
        # the additions differs from the bincount's, by a few ulps
        if self._spans is None:
            starts = np.searchsorted(self.domain, np.arange(self.n_dom))
            filled = np.flatnonzero(np.diff(np.append(starts, len(self.domain))) > 0)
            self._spans = (starts[filled], filled)
        starts, filled = self._spans
        out = np.zeros(self.n_dom)
        if len(filled):
            out[filled] = np.add.reduceat(vals, starts)
        return out

    def pooled(self, unit: np.ndarray, n_units: int, *, distinct: bool = False,
               finer: GroupSums | None = None) -> GroupSums:
        """The entries added up per (domain, unit of ``unit``); self when no two entries share a cell.

        ``distinct`` says the caller knows no two entries share a cell (the scan grouped by
        this grouping's variables and the unit's own keys), which saves ranking the cells.
        ``finer`` is another grouping's pooled sums over the same entries and units: when each of
        its cells lies in one domain of this grouping, the cells are pooled from its cell totals
        (already added up) instead of from every entry again.
        """
        if distinct:
            self.cells = (unit, None, None)
            return self
        source = self._within(finer, unit, n_units)
        if source is not None:
            return source
        if self.n_dom == 1 and len(self.group) == len(unit):
            # one domain and every group: the cells are the units, whose codes are dense already
            keys, cells = np.arange(n_units), unit
        else:
            keys, cells = factorize(self.domain * n_units + unit[self.group], self.n_dom * n_units)
        if len(keys) == len(self.group):
            self.cells = (unit, keys, cells)
            return self
        out = self._on_cells(keys, cells, self.group, unit, n_units)
        out._cells, out._parent, out._cache = cells, self, {}
        return out

    def _on_cells(self, keys: np.ndarray, cells: np.ndarray, group: np.ndarray, unit: np.ndarray,
                  n_units: int) -> GroupSums:
        """Sums over (domain, unit) cells ``keys``, each entry of ``group`` falling in ``cells``."""
        out = GroupSums.__new__(GroupSums)
        out.group = np.zeros(len(keys), dtype=np.int64)
        out.group[cells] = group  # a representative group of each cell, for its unit and stratum
        out.domain = keys // n_units
        out.n_dom = self.n_dom
        out._mats = self._mats
        out._dsums = {}
        out._ordered, out._spans = True, None  # keys are ranked: domain-major
        out.cells = (unit, keys, np.arange(len(keys)))
        return out


    def _within(self, finer: GroupSums | None, unit: np.ndarray, n_units: int) -> GroupSums | None:
        """These entries pooled from ``finer``'s cells, or None when a cell of it crosses two domains."""
        if finer is None or finer._parent is None or finer._cells is None or finer.cells is None:
            return None
        parent = finer._parent
        if finer.cells[0] is not unit or not (parent.group is self.group or np.array_equal(parent.group, self.group)):
            return None
        cells_of = finer._cells  # entry -> cell of finer
        dom = np.empty(len(finer.group), dtype=self.domain.dtype)
        dom[cells_of] = self.domain
        if not np.array_equal(dom[cells_of], self.domain):
            return None
        # the same (domain, unit) keys as pooling the entries, so the same cells in the same order;
        # only the order of the additions differs
        keys, cells = factorize(dom * n_units + unit[finer.group], self.n_dom * n_units)
        out = self._on_cells(keys, cells, finer.group, unit, n_units)
        # the columns finer added up are added up again per cell at once, each let go as soon as it
        # is read (finer is spent: its cell totals would otherwise stay in memory beside these); a
        # column it lacks is added up from the entries
        out._cache = {}
        for key in list(finer._cache):
            out._cache[key] = np.bincount(cells, weights=finer._cache.pop(key), minlength=len(keys))
        out._cells, out._parent = cells[cells_of], parent
        return out


def domain_df(blocks: taylor.Blocks, structure: Structure, element: bool) -> np.ndarray:
    """PSUs with members in the domain minus strata with members (R ``degf`` of a subset), per output."""
    stage = structure.stages[0]
    width = blocks.z.shape[1]
    out = np.empty(blocks.n_out)
    if element:
        # every row is a PSU; groups are (domain, stratum)
        n_strata = len(stage.n)
        keys, inv = factorize(blocks.domain * n_strata + stage.stratum[blocks.group], blocks.n_dom * n_strata)
        k_dom = keys // n_strata
        for o in range(width):
            has = np.bincount(inv, weights=blocks.present[:, o], minlength=len(keys)) > 0
            n_psu = np.bincount(blocks.domain, weights=blocks.rows[:, o] * blocks.present[:, o], minlength=blocks.n_dom)
            out[o::width] = n_psu - np.bincount(k_dom[has], minlength=blocks.n_dom)
        return out
    if blocks.domain_df is not None:  # the variance pass counted them
        return blocks.domain_df
    cells = blocks.units(0, stage)
    for o in range(width):
        pres, _z, hi = cells.present_cells(blocks, o, need_z=False)
        n_psu = np.bincount(cells.u_dom[pres], minlength=blocks.n_dom)
        has = np.bincount(hi, minlength=len(cells.h_dom)) > 0
        out[o::width] = n_psu - np.bincount(cells.h_dom[has], minlength=blocks.n_dom)
    return out
