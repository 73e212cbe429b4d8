"""Read corridor's tidy indicator table (the evidence behind a results framework).

The table has one row per estimate with the columns ``indicator, population,
area, period, disaggregation, estimate, se, ci_low, ci_high, ci_level, quality,
suppressed, source``, as written by a corridor profile (CSV or Parquet). Lines
of a CSV that start with ``#`` are comments.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

from corridor.errors import ColumnNotFoundError, InputError, SourceError

COLUMNS = (
    "indicator", "population", "area", "period", "disaggregation", "estimate", "se",
    "ci_low", "ci_high", "ci_level", "quality", "suppressed", "source",
)


@dataclass(frozen=True)
class EvidenceRow:
    """One estimate of the evidence table."""

    indicator: str
    population: str
    area: str
    period: str
    disaggregation: str
    estimate: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    ci_level: float | None
    quality: str | None
    suppressed: bool
    source: str | None
    row: int

    @property
    def synthetic(self) -> bool:
        return bool(self.source and self.source.upper().startswith("SYNTHETIC"))


def _num(value: object, *, path: Path, row: int, column: str) -> float | None:
    if value is None or (isinstance(value, str) and value.strip() in ("", "NA", "nan")):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InputError(
            f"{path}, row {row}, column {column!r}: {value!r} is not a number",
            hint="write numbers with a dot as decimal separator, or leave the cell empty",
        ) from None
    return None if math.isnan(out) else out


def _bool(value: object) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes", "t")


def read_evidence(path: str | Path) -> list[EvidenceRow]:
    """Read an evidence table from CSV (``#`` comments allowed) or Parquet."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"evidence table {path} does not exist",
                          hint="give the path of a tidy indicator table (CSV or Parquet)")
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        records = pq.read_table(path).to_pylist()
        header = list(records[0]) if records else []
        first_row = 1
    else:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            raw = fh.readlines()
        lead = 0
        while lead < len(raw) and raw[lead].startswith("#"):
            lead += 1
        lines = raw[lead:]
        reader = csv.DictReader(lines)
        records = list(reader)
        header = reader.fieldnames or []
        first_row = lead + 2
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise ColumnNotFoundError.from_names(missing, header, where=f"evidence table {path}")
    out = []
    for i, rec in enumerate(records):
        row = first_row + i
        out.append(EvidenceRow(
            indicator=str(rec["indicator"]), population=str(rec["population"]), area=str(rec["area"]),
            period=str(rec["period"]), disaggregation=str(rec["disaggregation"] or "total"),
            estimate=_num(rec["estimate"], path=path, row=row, column="estimate"),
            se=_num(rec["se"], path=path, row=row, column="se"),
            ci_low=_num(rec["ci_low"], path=path, row=row, column="ci_low"),
            ci_high=_num(rec["ci_high"], path=path, row=row, column="ci_high"),
            ci_level=_num(rec["ci_level"], path=path, row=row, column="ci_level"),
            quality=(str(rec["quality"]) if rec["quality"] not in (None, "") else None),
            suppressed=_bool(rec["suppressed"]), source=(rec["source"] or None), row=row,
        ))
    return out


def select(rows: list[EvidenceRow], *, indicator: str, population: str, area: str,
           disaggregation: str = "total") -> dict[str, EvidenceRow]:
    """The rows of one series, keyed by period."""
    return {
        r.period: r for r in rows
        if r.indicator == indicator and r.population == population and r.area == area
        and r.disaggregation == disaggregation
    }
