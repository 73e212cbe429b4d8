"""The design as seen in the grouped scan: codes for strata and units at every stage.

The scan groups rows by domain and by every stratum and cluster column, so
each group lies in exactly one unit of every stage. From the group keys this
module derives, without touching the data again, what R's ``svydesign``
derives from the rows: nested unit ids, later-stage strata, the number of
units per stratum, population sizes and weights implied by ``fpc``, and the
design degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from corridor.design import Design
from corridor.engine.columns import PRIMITIVE, arrow_array, column_numpy
from corridor.errors import DesignError, InputError
from corridor.i18n import Message


def codes(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Dense integer codes of a key column in sorted order of its values (nulls last), and the values.

    Sorted codes make everything downstream (replicate factors, bootstrap draws) independent of
    the order in which an engine returns its groups.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    direct = _integer_codes(column)
    if direct is not None:
        return direct
    import pyarrow.compute as pc  # only for keys that are not whole numbers of moderate range

    if pa.types.is_dictionary(column.type):
        # an already encoded column (a pandas categorical, a DuckDB ENUM) keeps its nulls as null
        # indices, which dictionary_encode leaves alone: decode it so that nulls get their code too
        column = column.dictionary_decode()
    enc = pc.dictionary_encode(column, null_encoding="encode")
    values = enc.dictionary
    order = np.asarray(column_numpy(pc.array_sort_indices(values, null_placement="at_end")), dtype=np.int64)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    indices = np.asarray(column_numpy(enc.indices), dtype=np.int64)
    return rank[indices], values.take(arrow_array(order, pa.int64()))


_DIRECT_BOUND = 20_000_000


def _integer_codes(column: pa.Array) -> tuple[np.ndarray, pa.Array] | None:
    """Codes of a whole-number key column of moderate range by direct indexing (no hashing, no sort)."""
    if column.null_count or not len(column) or column.type not in PRIMITIVE:
        return None
    arr = column_numpy(column)
    lo, hi = arr.min(), arr.max()
    if not (np.isfinite(lo) and np.isfinite(hi)) or float(hi) - float(lo) >= _DIRECT_BOUND:
        return None
    if arr.dtype.kind == "f":
        offset = (arr - lo).astype(np.int64)
        if not np.array_equal(offset, arr - lo):
            return None
    else:
        offset = arr - lo if lo else arr  # an index array as it is
    distinct, code = factorize(offset, int(hi - lo) + 1)
    values = np.ascontiguousarray(distinct.astype(arr.dtype) + lo)
    return code, arrow_array(values, column.type)


def factorize(key: np.ndarray, bound: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values of non-negative integer keys and each key's rank among them.

    Keys below a moderate bound are ranked with a presence table in linear time; larger ones
    fall back to sorting.
    """
    key = np.asarray(key, dtype=np.int64)
    if bound is None:
        bound = int(key.max()) + 1 if key.size else 0
    if bound <= _DIRECT_BOUND:
        present = np.zeros(bound, dtype=bool)
        present[key] = True
        rank = np.cumsum(present, dtype=np.int64) - 1
        return np.flatnonzero(present), rank[key]
    uniq, inv = np.unique(key, return_inverse=True)
    return uniq, inv.reshape(-1).astype(np.int64)


def combine(*parts: np.ndarray) -> np.ndarray:
    """Dense codes of the combination of several non-negative code arrays (mixed-radix keys)."""
    if not parts:
        raise ValueError("nothing to combine")
    key = np.zeros(len(parts[0]), dtype=np.int64)
    bound = 1
    for part in parts:
        part = np.asarray(part, dtype=np.int64)
        radix = int(part.max()) + 1 if part.size else 1
        if bound * radix >= 2**62:
            key = factorize(key, bound)[1]
            bound = int(key.max()) + 1 if key.size else 1
        key = key * radix + part
        bound *= radix
    return factorize(key, bound)[1]


@dataclass
class Stage:
    """One sampling stage: unit and stratum code of every group, and per-stratum sizes."""

    unit: np.ndarray  # group -> unit code (unique over the whole design)
    stratum: np.ndarray  # group -> stratum code
    unit_stratum: np.ndarray  # unit -> stratum
    unit_parent: np.ndarray  # unit -> unit of the previous stage (0 at stage 1)
    n: np.ndarray  # stratum -> number of units sampled
    popsize: np.ndarray  # stratum -> population size (inf: no fpc)
    mult: np.ndarray  # stratum -> product of n/N over the ancestors (1 at stage 1)
    stratum_labels: list[str]

    @property
    def f(self) -> np.ndarray:
        """Finite-population factor (N - n) / N per stratum (1 without fpc)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(np.isinf(self.popsize), 1.0, (self.popsize - self.n) / self.popsize)


@dataclass
class Structure:
    stages: list[Stage]
    degf: int
    weight_factor: np.ndarray | None  # group -> weight implied by fpc (no weight column given)


def _key_codes(table: pa.Table, col: str, role: str) -> tuple[np.ndarray, pa.Array]:
    c, values = codes(table[col])
    if values.null_count:
        what = Message(f"sources.role.{role.replace(' ', '_')}")
        raise InputError(Message("estimation.column_missing_values_2", role=what, col=col),
                         hint=Message("estimation.column_missing_values_2.hint", role=what))
    return c, values


def _label(values: pa.Array, code: int) -> str:
    """A stratum as the data write it: a code read as a number (141022.0) shown as the whole number it is."""
    value = values[code].as_py()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def build_structure(table: pa.Table, design: Design, *, element_psu: bool) -> Structure:
    """Derive the design structure from the group keys of a scan.

    ``table`` has the strata columns, the ids columns and, for each stage with
    an fpc, columns ``__fpc_min_s``/``__fpc_max_s``. With ``element_psu`` the
    groups are (domain x stratum) and units are rows: ``__rows`` counts them.
    """
    ng = table.num_rows
    stages: list[Stage] = []
    n_stages = 1 if element_psu else design.stages
    strata_coded = [_key_codes(table, col, "strata") for col in design.strata]
    strata_codes = [c for c, _ in strata_coded]
    labels_of = [v for _, v in strata_coded]
    id_codes = [_key_codes(table, col, "cluster id")[0] for col in design.ids]

    prev_unit = np.zeros(ng, dtype=np.int64)
    prev_stratum = np.zeros(ng, dtype=np.int64)
    mult_prev: np.ndarray | None = None
    prev_stage: Stage | None = None
    for s in range(n_stages):
        st_given = strata_codes[s] if s < len(strata_codes) else None
        if s == 0:
            stratum = st_given if st_given is not None else np.zeros(ng, dtype=np.int64)
            if element_psu:
                unit = None
            else:
                raw_unit = id_codes[0]
                if design.nest:
                    unit = combine(stratum, raw_unit)
                else:
                    unit = raw_unit  # codes are dense already
                    _check_nested(unit, stratum, table, design)
        else:
            # Later-stage strata are nested in the previous stage's units (as svydesign does).
            stratum = combine(st_given, prev_unit) if st_given is not None else combine(prev_unit)
            unit = combine(prev_unit, id_codes[s])
        if not (s == 0 and st_given is not None):  # given first-stage strata are dense codes already
            stratum = combine(stratum)
        n_strata = int(stratum.max()) + 1 if ng else 0
        if unit is None:
            rows = np.asarray(column_numpy(table["__rows"]), dtype=np.float64)
            n = np.bincount(stratum, weights=rows, minlength=n_strata)
            unit_stratum = np.zeros(0, dtype=np.int64)
            unit_parent = np.zeros(0, dtype=np.int64)
        else:
            n_units = int(unit.max()) + 1
            unit_stratum = np.zeros(n_units, dtype=np.int64)
            unit_stratum[unit] = stratum
            unit_parent = np.zeros(n_units, dtype=np.int64)
            unit_parent[unit] = prev_unit
            n = np.bincount(unit_stratum, minlength=n_strata).astype(np.float64)
        popsize = _popsize(table, design, s, stratum, n, n_strata)
        if s == 0:
            mult = np.ones(n_strata)
        else:
            assert prev_stage is not None and mult_prev is not None
            # stratum -> its parent unit's stratum at the previous stage
            parent_stratum = np.zeros(n_strata, dtype=np.int64)
            parent_stratum[stratum] = prev_stratum
            with np.errstate(divide="ignore"):
                ratio = np.where(np.isinf(prev_stage.popsize), 0.0, prev_stage.n / prev_stage.popsize)
            mult = mult_prev[parent_stratum] * ratio[parent_stratum]
        if s == 0 and st_given is not None:
            first = np.zeros(n_strata, dtype=np.int64)
            first[stratum] = st_given
            stratum_labels = [_label(labels_of[0], int(c)) for c in first]
        else:
            stratum_labels = [str(i) for i in range(n_strata)]
        stage = Stage(
            unit=unit if unit is not None else np.zeros(0, dtype=np.int64),
            stratum=stratum,
            unit_stratum=unit_stratum,
            unit_parent=unit_parent,
            n=n,
            popsize=popsize,
            mult=mult,
            stratum_labels=stratum_labels,
        )
        stages.append(stage)
        prev_stage, mult_prev = stage, mult
        prev_unit = unit if unit is not None else prev_unit
        prev_stratum = stratum
    top = stages[0]
    degf = int(top.n.sum() - len(top.n))
    weight_factor = None
    if design.weights is None and design.fpc:
        weight_factor = np.ones(ng)
        for s, stage in enumerate(stages):
            if s < len(design.fpc):
                weight_factor *= (stage.popsize / stage.n)[stage.stratum]
    return Structure(stages=stages, degf=degf, weight_factor=weight_factor)


def _check_nested(unit: np.ndarray, stratum: np.ndarray, table: pa.Table, design: Design) -> None:
    seen = np.full(int(unit.max()) + 1 if unit.size else 0, -1, dtype=np.int64)
    seen[unit] = stratum
    if (seen[unit] != stratum).any():
        pairs = np.unique(unit * (int(stratum.max()) + 1) + stratum)
        per_unit = np.bincount(pairs // (int(stratum.max()) + 1))
        bad = int(np.flatnonzero(per_unit > 1)[0])
        g = int(np.flatnonzero(unit == bad)[0])
        psu = table[design.ids[0]][g].as_py()
        raise DesignError(
            Message("estimation.psu_column_appears_strata", psu=psu, ids=design.ids[0], per_unit=int(per_unit[bad]), strata=design.strata[0]),
            hint=Message("estimation.psu_column_appears_strata.hint"),
        )


def _popsize(table: pa.Table, design: Design, s: int, stratum: np.ndarray, n: np.ndarray, n_strata: int) -> np.ndarray:
    if s >= len(design.fpc):
        return np.full(n_strata, np.inf)
    col = design.fpc[s]
    lo = np.asarray(column_numpy(table[f"__fpc_min_{s}"]), dtype=np.float64)
    hi = np.asarray(column_numpy(table[f"__fpc_max_{s}"]), dtype=np.float64)
    if np.isnan(lo).any():
        raise InputError(Message("estimation.fpc_column_missing_values", col=col), hint=Message("estimation.fpc_column_missing_values.hint"))
    smin = np.full(n_strata, np.inf)
    smax = np.full(n_strata, -np.inf)
    np.minimum.at(smin, stratum, lo)
    np.maximum.at(smax, stratum, hi)
    varies = ~np.isclose(smin, smax, rtol=1e-12, atol=0)
    if varies.any():
        raise DesignError(
            Message("estimation.fpc_column_varies_within", col=col, value=s + 1, smin=smin[varies][0], smax=smax[varies][0]),
            hint=Message("estimation.fpc_column_varies_within.hint"),
        )
    if (smin <= 0).any():
        raise DesignError(Message("estimation.fpc_column_values", col=col), hint=Message("estimation.fpc_column_values.hint"))
    all_vals = np.concatenate([lo, hi])
    is_size = (all_vals > 1).any()
    if is_size and not (all_vals >= 1).all():
        raise DesignError(
            Message("estimation.fpc_column_mixes_population", col=col),
            hint=Message("estimation.fpc_column_mixes_population.hint"),
        )
    popsize = smin if is_size else n / smin
    if (popsize < n - 1e-9).any():
        bad = int(np.flatnonzero(popsize < n - 1e-9)[0])
        raise DesignError(
            Message("estimation.fpc_column_implies_more", col=col, value=s + 1, popsize=popsize[bad], n=int(n[bad])),
            hint=Message("estimation.fpc_column_implies_more.hint"),
        )
    return popsize


def subset_degf(structure: Structure, inside: np.ndarray, rows: np.ndarray | None = None) -> int:
    """R's ``degf`` of ``subset(design, ...)``: first-stage units and strata with a row inside, counted.

    ``inside`` flags the scan's groups (or rows) in the subpopulation (a ``where`` condition, rows of
    weight 0 left out); ``rows`` counts the rows of each group when every row is a unit (element
    designs). A unit whose every row is outside (all its weights 0, say) no longer counts, as in R.
    """
    top = structure.stages[0]
    inside = np.asarray(inside, dtype=bool)
    strata = len(np.unique(top.stratum[inside]))
    if len(top.unit):
        units = len(np.unique(top.unit[inside]))
    else:
        units = int(np.asarray(rows if rows is not None else np.ones(len(inside)), dtype=float)[inside].sum())
    return units - strata
