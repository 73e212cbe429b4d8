"""Population totals: a tidy table ``(term, level, total)``, margin tables, or a mapping.

A *term* is a categorical variable (one total per level), several categorical
variables crossed (``sex:age_group``, one total per combination of levels), a
numeric variable (one total: the population sum of the variable), or
``(Intercept)`` (the population size). Levels are compared as text, with whole
numbers written without decimals, so a CSV's ``2`` matches a data value ``2.0``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from corridor.calibration.messages import t
from corridor.engine.columns import arrow_array
from corridor.errors import InputError

INTERCEPT = "(Intercept)"
TermKind = Literal["intercept", "categorical", "numeric"]
_TOTAL_NAMES = ("total", "Freq", "freq", "population")


def level_key(value: Any) -> str | None:
    """The text a level is compared as: whole numbers without decimals, booleans in lower case."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    return text.lower() if text.lower() in ("true", "false") else text


def sort_key(level: tuple[str, ...]) -> tuple[Any, ...]:
    """Levels in numeric order when they are numbers, else in text order (R's factor levels)."""
    out: list[Any] = []
    for part in level:
        try:
            out.append((0, float(part), ""))
        except ValueError:
            out.append((1, 0.0, part))
    return tuple(out)


@dataclass(frozen=True)
class Term:
    """One calibration term and its population total(s)."""

    name: str
    variables: tuple[str, ...]
    kind: TermKind
    levels: tuple[tuple[str, ...], ...] = ()
    totals: tuple[float, ...] = ()

    @property
    def total(self) -> float:
        return float(sum(self.totals))

    def label(self, i: int) -> str:
        return ":".join(self.levels[i]) if self.kind == "categorical" else ""


@dataclass(frozen=True)
class Totals:
    """The population totals a design is calibrated to."""

    terms: tuple[Term, ...]
    source: str = "totals"

    @property
    def categorical(self) -> tuple[Term, ...]:
        return tuple(tm for tm in self.terms if tm.kind == "categorical")

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v for tm in self.terms for v in tm.variables))

    def to_arrow(self) -> pa.Table:
        """The tidy form: one row per (term, level)."""
        rows: dict[str, list[Any]] = {"term": [], "level": [], "total": []}
        for tm in self.terms:
            if tm.kind == "categorical":
                for lev, tot in zip(tm.levels, tm.totals, strict=True):
                    rows["term"].append(tm.name)
                    rows["level"].append(":".join(lev))
                    rows["total"].append(tot)
            else:
                rows["term"].append(tm.name)
                rows["level"].append(None)
                rows["total"].append(tm.totals[0])
        return pa.table({"term": arrow_array(rows["term"], pa.string()), "level": arrow_array(rows["level"], pa.string()),
                         "total": arrow_array(rows["total"], pa.float64())})

    def to_rows(self) -> list[dict[str, Any]]:
        return self.to_arrow().to_pylist()


def read_totals(obj: Any, *, what: str | None = None) -> Totals:
    """Totals from a tidy table (CSV/Parquet path, Arrow, pandas or polars frame, list of rows),
    a mapping ``{term: {level: total} | total}``, a list of margin tables (columns: the margin's
    variables and ``total``), or a :class:`Totals`."""
    if isinstance(obj, Totals):
        return obj
    if isinstance(obj, Mapping):
        return _from_mapping(obj, what or t("totals.mapping"))
    if isinstance(obj, str | Path):
        path = Path(obj)
        return _from_rows(_read_file(path), what or str(path))
    if isinstance(obj, Sequence) and obj and not isinstance(obj[0], Mapping):
        return from_margins(obj, what=what)
    return _from_rows(_rows(obj), what or t("totals.table"))


def from_margins(margins: Sequence[Any], *, what: str | None = None) -> Totals:
    """Totals from margin tables: each has the margin's variable columns and a ``total`` (or ``Freq``) column."""
    where = what or t("totals.margins")
    terms: list[Term] = []
    for i, m in enumerate(margins):
        rows = _rows(m)
        names = list(dict.fromkeys(k for r in rows for k in r))
        total_col = next((c for c in _TOTAL_NAMES if c in names), None)
        if total_col is None:
            raise InputError(t("totals.no_total_column", where=f"{where} #{i + 1}", columns=", ".join(names)),
                             hint=t("totals.no_total_column.hint"))
        variables = tuple(c for c in names if c != total_col)
        if not variables:
            raise InputError(t("totals.no_variables", where=f"{where} #{i + 1}"), hint=t("totals.no_total_column.hint"))
        cells: dict = {}
        name = ":".join(variables)
        for r, row in enumerate(rows, start=1):
            key = tuple(level_key(row.get(v)) for v in variables)
            _put(cells, key, row.get(total_col), name, f"{where} #{i + 1}", r)
        terms.append(_categorical(":".join(variables), variables, cells, where))
    return _checked(terms, where)


def _read_file(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise InputError(t("totals.not_found", path=path), hint=t("totals.not_found.hint"))
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        return pq.read_table(path).to_pylist()
    import pyarrow.csv as pacsv

    # term and level are text whatever they look like: "01" must not become 1
    try:
        return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
            column_types={"term": pa.string(), "level": pa.string()}, strings_can_be_null=True)).to_pylist()
    except pa.ArrowInvalid as exc:
        raise InputError(t("totals.unreadable", path=path, error=str(exc).splitlines()[0]),
                         hint=t("totals.columns.hint")) from exc


def _rows(obj: Any) -> list[dict[str, Any]]:
    """A table as a list of rows: a list of mappings, an Arrow table, a pandas or polars frame, a relation."""
    if isinstance(obj, list) and all(isinstance(r, Mapping) for r in obj):
        return [dict(r) for r in obj]
    if isinstance(obj, pa.Table):
        return obj.to_pylist()
    module = type(obj).__module__.split(".")[0]
    if module == "pandas":
        return obj.to_dict("records")
    if module == "polars":
        return obj.to_dicts()
    if hasattr(obj, "to_arrow_table"):
        return obj.to_arrow_table().to_pylist()
    raise InputError(t("totals.unknown_type", kind=type(obj).__name__), hint=t("totals.columns.hint"))


def _from_rows(rows: list[dict[str, Any]], where: str) -> Totals:
    names = list(dict.fromkeys(k for r in rows for k in r))
    missing = [c for c in ("term", "level", "total") if c not in names]
    if missing:
        raise InputError(t("totals.columns", where=where, missing=", ".join(missing),
                           columns=", ".join(names)), hint=t("totals.columns.hint"))
    terms = [r.get("term") for r in rows]
    levels = [r.get("level") for r in rows]
    totals = [r.get("total") for r in rows]
    order: list[str] = []
    cats: dict[str, dict[tuple[str | None, ...], float]] = {}
    single: dict[str, float] = {}
    for row, (term, level, total) in enumerate(zip(terms, levels, totals, strict=True), start=1):
        if term is None or str(term).strip() == "":
            raise InputError(t("totals.empty_term", where=where, row=row), hint=t("totals.columns.hint"))
        term = str(term).strip()
        if term not in order:
            order.append(term)
        key = level_key(level)
        if key is None or key == "":
            if term in cats:
                raise InputError(t("totals.mixed_term", where=where, term=term, row=row), hint=t("totals.mixed_term.hint"))
            if term in single:
                raise InputError(t("totals.duplicate", where=where, term=term, level="", row=row),
                                 hint=t("totals.duplicate.hint"))
            single[term] = _number(total, where, row, term)
            continue
        if term in single:
            raise InputError(t("totals.mixed_term", where=where, term=term, row=row), hint=t("totals.mixed_term.hint"))
        variables = tuple(term.split(":"))
        parts = tuple(key.split(":")) if len(variables) > 1 else (key,)
        if len(parts) != len(variables):
            raise InputError(t("totals.crossed_level", where=where, term=term, level=key, row=row, n=len(variables)),
                             hint=t("totals.crossed_level.hint"))
        _put(cats.setdefault(term, {}), parts, total, term, where, row)
    built: list[Term] = []
    for term in order:
        if term in single:
            kind: TermKind = "intercept" if term == INTERCEPT else "numeric"
            built.append(Term(term, () if kind == "intercept" else (term,), kind, totals=(single[term],)))
        else:
            built.append(_categorical(term, tuple(term.split(":")), cats[term], where))
    return _checked(built, where)


def _number(value: Any, where: str, row: int | None, term: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        out = float("nan")
    if not math.isfinite(out):
        raise InputError(t("totals.not_number", where=where, row=row or "", term=term, value=value),
                         hint=t("totals.not_number.hint"))
    return out


def _put(cells: dict, key: tuple, total: Any, term: str, where: str, row: int | None = None) -> None:
    if any(k is None or k == "" for k in key):
        raise InputError(t("totals.empty_level", where=where, term=term, row=row or ""), hint=t("totals.columns.hint"))
    if key in cells:
        raise InputError(t("totals.duplicate", where=where, term=term, level=":".join(key), row=row or ""),
                         hint=t("totals.duplicate.hint"))
    value = _number(total, where, row, term)
    if value < 0:
        raise InputError(t("totals.negative", where=where, term=term, level=":".join(key), value=value),
                         hint=t("totals.not_number.hint"))
    cells[key] = value


def _categorical(name: str, variables: tuple[str, ...], cells: dict, where: str) -> Term:
    keys = sorted(cells, key=sort_key)
    return Term(name, variables, "categorical", tuple(keys), tuple(cells[k] for k in keys))


def _checked(terms: Iterable[Term], where: str) -> Totals:
    terms = list(terms)
    if not terms:
        raise InputError(t("totals.empty", where=where), hint=t("totals.columns.hint"))
    sizes = [(tm.name, tm.total) for tm in terms if tm.kind == "categorical"]
    sizes += [(tm.name, tm.totals[0]) for tm in terms if tm.kind == "intercept"]
    for name, size in sizes[1:]:
        first, n0 = sizes[0]
        if abs(size - n0) > 1e-9 * max(abs(n0), 1.0):
            raise InputError(t("totals.sizes_differ", where=where, a=first, na=float(n0), b=name, nb=float(size)),
                             hint=t("totals.sizes_differ.hint"))
    return Totals(tuple(terms), where)


def _from_mapping(mapping: Mapping[str, Any], where: str) -> Totals:
    rows = []
    for term, value in mapping.items():
        if isinstance(value, Mapping):
            rows += [{"term": term, "level": level_key(k) if not isinstance(k, tuple) else ":".join(map(str, k)),
                      "total": v} for k, v in value.items()]
        else:
            rows.append({"term": term, "level": None, "total": value})
    return _from_rows(rows, where)


__all__ = ["INTERCEPT", "Term", "Totals", "from_margins", "level_key", "read_totals"]
