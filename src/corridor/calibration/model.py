"""The calibration model: which columns ``x`` the totals constrain, evaluated on the cells of the data.

The basis is R's model matrix for ``~ term1 + term2 + ...``: an intercept
(the population size) when there is a categorical term, then treatment
dummies (the first level of each categorical term left out); without an
intercept the first categorical term keeps all its levels. The basis spans the
same space as every level's indicator, so the calibrated weights do not depend
on it, but R's stopping rule (each basis total's misfit) does, and it is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corridor.calibration.messages import t
from corridor.calibration.totals import Term, Totals, level_key
from corridor.engine.columns import column_numpy
from corridor.errors import InputError


def key_codes(table: pa.Table, columns: list[str]) -> tuple[np.ndarray, list[tuple[str | None, ...]]]:
    """Codes of the distinct combinations of ``columns`` per row of ``table``, and the combinations as level keys."""
    if not columns:
        return np.zeros(table.num_rows, dtype=np.int64), [()]
    combined = np.zeros(table.num_rows, dtype=np.int64)
    uniques: list[list[str | None]] = []
    for col in columns:
        arr = table[col].combine_chunks() if isinstance(table[col], pa.ChunkedArray) else table[col]
        enc = pc.dictionary_encode(arr, null_encoding="encode")
        idx = np.asarray(column_numpy(enc.indices), dtype=np.int64)
        values = [level_key(v) for v in enc.dictionary.to_pylist()]
        combined = combined * (len(values) + 1) + idx
        uniques.append(values)
    distinct, inverse = np.unique(combined, return_inverse=True)
    keys = []
    for code in distinct.tolist():
        parts = []
        for values in reversed(uniques):
            code, i = divmod(code, len(values) + 1)
            parts.append(values[i])
        keys.append(tuple(reversed(parts)))
    return inverse.reshape(-1).astype(np.int64), keys


@dataclass
class Column:
    """One column of the model matrix: the intercept, a level of a categorical term, or a numeric term."""

    term: int  # index into Model.terms; -1 for the intercept
    level: int  # level index of a categorical term; -1 otherwise
    name: str
    label: str


@dataclass
class Model:
    """The model matrix's columns and their population totals."""

    totals: Totals
    terms: tuple[Term, ...]  # without the intercept
    columns: list[Column]
    population: np.ndarray
    present: list[np.ndarray]  # per term: which levels occur in the data (categorical terms)

    @property
    def intercept(self) -> bool:
        return any(c.term < 0 for c in self.columns)

    @property
    def k(self) -> int:
        return len(self.columns)

    @property
    def cat_variables(self) -> list[str]:
        return list(dict.fromkeys(v for tm in self.terms if tm.kind == "categorical" for v in tm.variables))

    @property
    def num_variables(self) -> list[str]:
        return [tm.variables[0] for tm in self.terms if tm.kind == "numeric"]

    def matrix(self, codes: list[np.ndarray | None], numeric: list[np.ndarray | None], n: int) -> np.ndarray:
        """The model matrix of ``n`` cells: ``codes[i]`` the level index of term i per cell, ``numeric[i]`` its value."""
        out = np.zeros((n, self.k))
        for j, col in enumerate(self.columns):
            if col.term < 0:
                out[:, j] = 1.0
            elif self.terms[col.term].kind == "categorical":
                out[:, j] = codes[col.term] == col.level
            else:
                out[:, j] = numeric[col.term]
        return out


def term_codes(cells: pa.Table, term: Term, counts: np.ndarray, source: str) -> np.ndarray:
    """Level index of every cell for a categorical term; an error names data levels the totals lack."""
    code, keys = key_codes(cells, list(term.variables))
    index = {lev: i for i, lev in enumerate(term.levels)}
    lookup = np.array([index.get(k, -1) for k in keys], dtype=np.int64)
    out = lookup[code]
    missing = np.flatnonzero(lookup < 0)
    if missing.size:
        rows = np.bincount(code, weights=counts, minlength=len(keys))
        shown = ", ".join(f"{':'.join(str(p) for p in keys[m])} ({int(rows[m])})" for m in missing[:8])
        more = t("more", n=len(missing) - 8) if len(missing) > 8 else ""
        raise InputError(t("model.level_not_in_totals", term=term.name, levels=shown + more, source=source),
                         hint=t("model.level_not_in_totals.hint", known=", ".join(":".join(k) for k in term.levels[:12])))
    return out


def build(totals: Totals, cells: pa.Table, counts: np.ndarray, source: str) -> tuple[Model, list[np.ndarray | None],
                                                                                      list[np.ndarray | None]]:
    """The model for ``totals`` on the data's cells (one row per combination of the calibration variables).

    Returns the model, the level codes and the numeric values of every term per cell. Levels in the
    data but not in the totals, and levels with a positive total but no row in the data, are errors
    naming them; levels with a zero total and no row are dropped (as R does).
    """
    terms = tuple(tm for tm in totals.terms if tm.kind != "intercept")
    explicit = any(tm.kind == "intercept" for tm in totals.terms)
    codes: list[np.ndarray | None] = []
    numeric: list[np.ndarray | None] = []
    present: list[np.ndarray] = []
    for tm in terms:
        if tm.kind == "categorical":
            c = term_codes(cells, tm, counts, source)
            seen = np.bincount(c, weights=counts, minlength=len(tm.levels)) > 0
            absent = [i for i in np.flatnonzero(~seen) if tm.totals[i] > 0]
            if absent:
                shown = ", ".join(f"{tm.label(i)} ({tm.totals[i]:,.6g})" for i in absent[:8])
                raise InputError(t("model.level_not_in_data", term=tm.name, levels=shown, source=source),
                                 hint=t("model.level_not_in_data.hint"))
            zero = [i for i in np.flatnonzero(seen) if tm.totals[i] == 0]
            if zero:
                shown = ", ".join(tm.label(i) for i in zero[:8])
                raise InputError(t("model.zero_total", term=tm.name, levels=shown, source=source),
                                 hint=t("model.zero_total.hint"))
            codes.append(c)
            numeric.append(None)
            present.append(seen)
        else:
            values = np.asarray(column_numpy(cells[tm.variables[0]]), dtype=float)
            codes.append(None)
            numeric.append(values)
            present.append(np.ones(1, dtype=bool))
    columns: list[Column] = []
    population: list[float] = []
    has_cat = any(tm.kind == "categorical" for tm in terms)
    if has_cat or explicit:
        size = next(tm.totals[0] for tm in totals.terms if tm.kind == "intercept") if explicit else next(
            tm.total for tm in terms if tm.kind == "categorical")
        columns.append(Column(-1, -1, "(Intercept)", ""))
        population.append(size)
    first_full = not columns
    for i, tm in enumerate(terms):
        if tm.kind == "categorical":
            levels = [int(j) for j in np.flatnonzero(present[i])]
            if not first_full:
                levels = levels[1:]
            first_full = False
            for j in levels:
                columns.append(Column(i, j, tm.name, tm.label(j)))
                population.append(tm.totals[j])
        else:
            columns.append(Column(i, -1, tm.name, ""))
            population.append(tm.totals[0])
    return Model(totals, terms, columns, np.array(population, dtype=float), present), codes, numeric
