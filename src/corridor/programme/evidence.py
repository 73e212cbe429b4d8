"""corridor's own evidence, linked to programme indicators by identity.

The evidence is the tidy indicator table a corridor profile writes (``indicators.parquet`` or
``indicators.csv`` in the profile's folder, or the file itself). Its documented columns are
read by name, so columns added later are ignored. A programme indicator names a series of that
table by its identity, never by a file position::

    source: {evidence: {indicator: uninsured_share, population: corridor, area: CHL}}

with optional ``level`` (a category of a distribution) and ``source`` (the publishing source,
needed where two sources give the same cell, e.g. INE/SERMIG and UN DESA migrant stocks). A
series' *cells* are its periods, in total (``disaggregation`` total, or ``region`` = the area)
and by each disaggregation the indicator asks for (``sex``, ``age_band``, ...). A programme
indicator declares its unit; a unit or a disaggregation the evidence does not have is an error
that names both sides.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path

from corridor.errors import ColumnNotFoundError, InputError, SourceError
from corridor.i18n import Message
from corridor.quality.disclosure import PUBLICATION_MIN_N, suppress_indicators

COLUMNS = (
    "indicator", "population", "area", "period", "disaggregation", "disaggregation_value", "level",
    "estimate", "se", "ci_low", "ci_high", "ci_level", "unit", "quality", "suppressed", "status", "source",
    "synthetic",
)
OPTIONAL = ("suppression_reason", "note", "n", "estimand")
TABLE_NAMES = ("indicators.parquet", "indicators.csv")
TOTAL = ("total", "", "_T")


@dataclass(frozen=True)
class EvidenceRow:
    """One estimate of the evidence table."""

    indicator: str
    population: str
    area: str
    period: str
    disaggregation: str
    value: str  # the disaggregation's value ('' for the total)
    level: str
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    ci_level: float | None
    unit: str
    quality: str | None
    suppressed: bool
    suppression_reason: str | None
    status: str
    note: str | None
    source: str | None
    synthetic: bool
    n: int | None
    row: int

    def dimension(self, area: str) -> dict[str, str] | None:
        """The cell's dimension within the series of ``area``: {} for the total, None if not of that area."""
        if self.disaggregation in TOTAL:
            return {}
        if self.disaggregation == "region" and self.value == area:
            return {}
        return {self.disaggregation: self.value}

    def describe(self) -> str:
        lvl = f", level {self.level!r}" if self.level else ""
        return (f"{self.indicator}/{self.population}/{self.area}/{self.period}"
                f"/{self.disaggregation}{'=' + self.value if self.value else ''}{lvl}")


@dataclass
class EvidenceTable:
    """A tidy indicator table and where it came from."""

    path: Path
    rows: list[EvidenceRow]
    meta: dict = field(default_factory=dict)

    def where(self, row: EvidenceRow) -> str:
        return f"{self.path}, row {row.row}"


def locate(path: str | Path) -> Path:
    """The tidy table of a profile folder (``indicators.parquet``/``.csv``), or the file itself."""
    path = Path(path)
    if path.is_dir():
        for name in TABLE_NAMES:
            if (path / name).exists():
                return path / name
        raise SourceError(Message("programme.errors.evidence.no_table", path=str(path), names=" / ".join(TABLE_NAMES)),
                          hint=Message("programme.errors.evidence.no_table.hint"))
    if not path.exists():
        raise SourceError(Message("programme.errors.evidence.no_file", path=str(path)), hint=Message("programme.errors.evidence.no_file.hint"))
    return path


def _num(value: object, *, path: Path, row: int, column: str) -> float | None:
    if value is None or (isinstance(value, str) and value.strip() in ("", "NA", "nan")):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InputError(Message("programme.errors.evidence.not_a_number", path=str(path), row=row, column=repr(column),
                                 value=repr(value)),
                         hint=Message("programme.errors.evidence.not_a_number.hint")) from None
    return None if math.isnan(out) else out


def _bool(value: object) -> bool:
    return value is True or str(value).strip().lower() in ("true", "1", "yes", "t")


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _meta(table: Path) -> dict:
    """The run's metadata: the profile's JSON table or the service's ``meta.json``, plus the file's digest."""
    meta: dict = {}
    for candidate in (table.parent / "indicators.json", table.parent / "meta.json"):
        if candidate.exists() and candidate != table:
            try:
                doc = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            info = doc.get("metadata", doc) if isinstance(doc, dict) else {}
            meta.update({k: info[k] for k in ("origin", "destination", "created_at", "quality_scheme", "scheme",
                                                "min_n", "synthetic_survey") if k in info})
            break
    meta["file"] = str(table)
    meta["sha256"] = hashlib.sha256(table.read_bytes()).hexdigest()
    return meta


def read_evidence(path: str | Path, *, min_n: int = PUBLICATION_MIN_N) -> EvidenceTable:
    """Read a tidy indicator table (profile folder, CSV with ``#`` comment lines, or Parquet).

    A table that carries corridor's ``n`` and ``source_kind`` columns (a profile's tidy table) passes
    through corridor's disclosure rule at ``min_n`` (:func:`corridor.quality.disclosure.suppress_indicators`)
    first, so the programme never shows a cell the profile would not publish at that minimum.
    """
    path = locate(path)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        header = table.column_names
        records = table.to_pylist()
        first_row = 1
    else:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            raw = fh.readlines()
        lead = 0
        while lead < len(raw) and raw[lead].startswith("#"):
            lead += 1
        reader = csv.DictReader(raw[lead:])
        records = list(reader)
        header = reader.fieldnames or []
        first_row = lead + 2
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ColumnNotFoundError.from_names(missing, header, where=Message("programme.errors.evidence.where", path=str(path)))
    if "n" in header and "source_kind" in header:
        records = _disclosed(records, min_n)
    out = []
    for i, rec in enumerate(records):
        row = first_row + i
        value = _text(rec["disaggregation_value"])
        n = _num(rec.get("n"), path=path, row=row, column="n")
        out.append(EvidenceRow(
            indicator=_text(rec["indicator"]), population=_text(rec["population"]), area=_text(rec["area"]),
            period=_text(rec["period"]), disaggregation=_text(rec["disaggregation"]) or "total",
            value="" if value == "_T" else value, level=_text(rec["level"]),
            estimate=_num(rec["estimate"], path=path, row=row, column="estimate"),
            se=_num(rec["se"], path=path, row=row, column="se"),
            ci_low=_num(rec["ci_low"], path=path, row=row, column="ci_low"),
            ci_high=_num(rec["ci_high"], path=path, row=row, column="ci_high"),
            ci_level=_num(rec["ci_level"], path=path, row=row, column="ci_level"),
            unit=_text(rec["unit"]), quality=_text(rec["quality"]) or None, suppressed=_bool(rec["suppressed"]),
            suppression_reason=_text(rec.get("suppression_reason")) or None, status=_text(rec["status"]) or "ok",
            note=_text(rec.get("note")) or None, source=_text(rec["source"]) or None,
            synthetic=_bool(rec["synthetic"]), n=None if n is None else int(n), row=row,
        ))
    return EvidenceTable(path=path, rows=out, meta=_meta(path))


@dataclass(frozen=True)
class EvidenceKey:
    """The identity of a series of the evidence table."""

    indicator: str
    population: str
    area: str
    level: str = ""
    source: str | None = None

    @classmethod
    def from_spec(cls, spec: dict) -> EvidenceKey:
        return cls(indicator=str(spec.get("indicator") or ""), population=str(spec.get("population") or ""),
                   area=str(spec.get("area") or ""), level=str(spec.get("level") or ""),
                   source=(str(spec["source"]) if spec.get("source") else None))

    def describe(self) -> Message:
        """The series as the programme file names it, in the reader's language."""
        return Message("programme.errors.link.key", indicator=repr(self.indicator), population=repr(self.population),
                       area=repr(self.area),
                       level=Message("programme.errors.link.key_level", level=repr(self.level)) if self.level else "",
                       source=Message("programme.errors.link.key_source", source=repr(self.source)) if self.source else "")


Cell = tuple[str, tuple[tuple[str, str], ...]]  # (period, sorted dimension items)


@dataclass
class Series:
    """The cells of one evidence series, and the problems found linking it."""

    key: EvidenceKey
    cells: dict[Cell, EvidenceRow]
    unit: str | None
    problems: list[Message]

    def periods(self) -> list[str]:
        return sorted({p for p, _ in self.cells})


def link(table: EvidenceTable, key: EvidenceKey, *, unit: str, dimensions: list[str], what: Message) -> Series:
    """The cells of ``key`` in total and by ``dimensions``, checking the unit and the dimensions.

    Problems (unknown series, unit or dimension mismatch, two rows for one cell) are returned,
    each naming the programme side (``what``) and the evidence side (file, row, identity).
    """
    problems: list[Message] = []
    path = str(table.path)
    same = [r for r in table.rows if r.indicator == key.indicator]
    if not same:
        close = get_close_matches(key.indicator, sorted({r.indicator for r in table.rows}), n=1)
        problems.append(Message("programme.errors.link.no_indicator", what=what, indicator=repr(key.indicator), path=path,
                                close=Message("programme.errors.load.did_you_mean", name=repr(close[0])) if close else ""))
        return Series(key, {}, None, problems)
    for attr in ("population", "area"):
        wanted = getattr(key, attr)
        have = sorted({getattr(r, attr) for r in same})
        if wanted not in have and not (attr == "area" and any(r.value == wanted for r in same)):
            problems.append(Message(f"programme.errors.link.no_{attr}", what=what, indicator=repr(key.indicator), path=path,
                                    wanted=repr(wanted), have=", ".join(have)))
    if problems:
        return Series(key, {}, None, problems)
    rows = [r for r in same if r.population == key.population and r.level == key.level
            and (key.source is None or (r.source or "").startswith(key.source))]
    cells: dict[Cell, EvidenceRow] = {}
    seen_dims: set[str] = set()
    for r in rows:
        if r.area != key.area and not (r.disaggregation == "region" and r.value == key.area):
            continue
        dim = r.dimension(key.area)
        if dim is None:
            continue
        name = next(iter(dim), None)
        if name is not None:
            seen_dims.add(name)
            if name not in dimensions:
                continue
        if not r.period:
            problems.append(Message("programme.errors.link.no_period", what=what, key=key.describe(), path=path, row=r.row))
            continue
        cell = (r.period, tuple(sorted(dim.items())))
        if cell in cells:
            other = cells[cell]
            problems.append(Message(
                "programme.errors.link.two_rows" if key.level else "programme.errors.link.two_rows_level", what=what,
                key=key.describe(), period=r.period + (" " + ", ".join(f"{k}={v}" for k, v in cell[1]) if cell[1] else ""),
                path=path, first=other.row, first_source=other.source, row=r.row, source=r.source))
            continue
        cells[cell] = r
    if not cells:
        levels = sorted({r.level for r in same if r.population == key.population and r.level})
        problems.append(Message("programme.errors.link.no_rows", what=what, path=path, key=key.describe(),
                                levels=Message("programme.errors.link.levels", levels=", ".join(levels))
                                if levels and not key.level else ""))
        return Series(key, {}, None, problems)
    units = {r.unit for r in cells.values()}
    first = next(iter(cells.values()))
    if len(units) > 1:
        problems.append(Message("programme.errors.link.mixed_units", what=what, key=key.describe(),
                                units=", ".join(sorted(units)), path=path))
    elif first.unit != unit:
        problems.append(Message("programme.errors.link.unit", what=what, unit=repr(unit), key=key.describe(),
                                evidence_unit=repr(first.unit), path=path, row=first.row, declare=f"unit: {first.unit}"))
    for d in dimensions:
        if d not in seen_dims:
            problems.append(Message("programme.errors.link.dimension", what=what, name=repr(d), key=key.describe(),
                                    path=path, have=", ".join(sorted(seen_dims)) or Message("programme.errors.link.totals_only")))
    return Series(key, cells, first.unit, problems)


def dimension_values(series: Series, name: str) -> set[str]:
    """The values a dimension takes in a linked series (e.g. ``female``, ``male`` for sex)."""
    return {v for _, dims in series.cells for k, v in dims if k == name}


def _disclosed(records: list[dict], min_n: int) -> list[dict]:
    """Records after corridor's disclosure rule (CSV text read as the tidy table's types)."""
    def typed(rec: dict) -> dict:
        out = dict(rec)
        for k in ("n", "period", "estimate"):
            try:
                v = float(out.get(k))
                out[k] = None if math.isnan(v) else v if k == "estimate" else int(v)
            except (TypeError, ValueError):
                out[k] = None  # a bad number is reported, with its row, when the table is read
        out["suppressed"] = _bool(out.get("suppressed"))
        out["status"] = out.get("status") or "ok"
        out["disaggregation"] = out.get("disaggregation") or "total"
        out["level"] = out.get("level") or None
        return out

    hidden = {"estimate": None, "se": None, "ci_low": None, "ci_high": None, "n": None}
    return [
        {**rec, "suppressed": d["suppressed"],
         **({**hidden, "suppression_reason": d["suppression_reason"]} if d["suppressed"] else {})}
        for rec, d in zip(records, suppress_indicators([typed(r) for r in records], min_n=min_n))
    ]
