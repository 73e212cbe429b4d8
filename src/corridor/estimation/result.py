"""The result of an estimation: a tidy Arrow table, and contrasts between its rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from corridor._deps import import_optional
from corridor.errors import EstimationError
from corridor.estimation import intervals
from corridor.i18n import Message, current, localize_number, t

COLUMNS = ("estimand", "variable", "level", "prob", "estimate", "se", "ci_low", "ci_high", "ci_level", "df", "cv",
           "deff", "n", "n_cases", "sum_w", "flag")


@dataclass
class Estimates:
    """Estimates with their uncertainty, one row per domain x estimand x variable x level.

    ``table`` columns: the domain columns, then ``estimand``, ``variable``,
    ``level`` (of a categorical variable), ``prob`` (of a quantile),
    ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``ci_level``, ``df`` (of the
    interval), ``cv``, ``deff`` (on request), ``n`` (unweighted rows used),
    ``n_cases`` (rows with the level, for categorical variables),
    ``sum_w`` (sum of weights of those rows) and ``flag``: ``empty_domain``
    (a domain with no sampled unit), ``all_missing`` (a domain with rows whose
    values are all missing), ``zero_denominator`` (a ratio whose denominator
    sums to 0 in the domain; estimate, SE and interval are null).

    ``meta`` holds what the data said on the way: ``rows_read``, ``zero_weight_rows``
    (rows of weight 0, outside the sample), the row ``ledger`` (a spec's filters and
    rejections), ``rejected_rows_dropped``, ``notes`` and the ``value_labels`` of the
    source for the domain and categorical columns.
    """

    table: pa.Table
    vcov: np.ndarray | None = None
    design: Any = None
    design_df: float = float("nan")
    level: float = 0.95
    by: tuple[str, ...] = ()
    n_rows: int = 0
    engine: str = "duckdb"
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.table.num_rows)

    def to_arrow(self) -> pa.Table:
        return self.table

    def to_pandas(self) -> Any:
        import_optional("pandas", feature="to_pandas()")
        return self.table.to_pandas()

    def to_polars(self) -> Any:
        pl = import_optional("polars", feature="to_polars()")
        return pl.from_arrow(self.table)

    def to_pylist(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.table.to_pylist()
        return rows

    def to_json(self) -> dict[str, Any]:
        """The rows with what the result says about its data: the row ledger, weights of 0, notes."""
        meta = self.meta
        return {
            "rows": self.to_pylist(),
            "ledger": meta.get("ledger"),
            "rows_read": meta.get("rows_read", self.n_rows),
            "zero_weight_rows": meta.get("zero_weight_rows", 0),
            "rejected_rows_dropped": meta.get("rejected_rows_dropped", 0),
            "notes": list(meta.get("notes", [])),
            **({"calibration": meta["calibration"]} if "calibration" in meta else {}),
        }

    def write(self, path: str | Path) -> Path:
        """Write the table as CSV, Parquet or JSON (by the file's suffix)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            pq.write_table(self.table, path)
        elif suffix == ".json":
            path.write_text(json.dumps(self.to_json(), indent=1, default=str, ensure_ascii=False), encoding="utf-8")
        else:
            import pyarrow.csv as pacsv

            pacsv.write_csv(self.table, path)
        return path

    def __repr__(self) -> str:
        return format_table(self.table, max_rows=30)

    def compare(self, by: str, a: Any, b: Any, *, kind: str = "difference") -> Estimates:
        """Differences (``a - b``) or ratios (``a / b``) between two levels of a domain variable.

        Matches every row of domain ``by == a`` with the row of ``by == b`` that
        has the same estimand, variable, level and other domain values (e.g. the
        migrant-minus-native gap of each indicator, by sex). Standard errors
        carry the covariance of the two estimates (as ``svycontrast`` on
        ``svyby(..., covmat=TRUE)``); ratios use the delta method. Needs
        ``estimate(..., covariance=True)``.
        """
        if self.vcov is None:
            raise EstimationError(
                Message("estimation.comparisons_need_covariance_estimates"), hint=Message("estimation.comparisons_need_covariance_estimates.hint")
            )
        if by not in self.by:
            raise EstimationError(Message("estimation.not_domain_variable_these", by=by), hint=Message("estimation.not_domain_variable_these.hint", by=self.by))
        kept = self.meta.get("covariance_across")
        if kept is not None and kept != by:  # the other entries were not computed
            raise EstimationError(Message("estimation.comparison_covariance_other_variable", kept=kept, by=by),
                                  hint=Message("estimation.comparison_covariance_other_variable.hint", by=by))
        if kind not in ("difference", "ratio"):
            raise EstimationError(Message("estimation.unknown_comparison", kind=kind), hint=Message("estimation.unknown_comparison.hint"))
        rows = self.table.to_pylist()
        others = [c for c in self.by if c != by]
        if "grouping" in self.table.column_names:
            others = ["grouping", *others]
        key_cols = [*others, "estimand", "variable", "level", "prob"]
        index_b = {tuple(r[c] for c in key_cols): i for i, r in enumerate(rows) if r[by] == b}
        pairs = [(i, index_b.get(tuple(r[c] for c in key_cols))) for i, r in enumerate(rows) if r[by] == a]
        first = np.array([i for i, j in pairs if j is not None], dtype=np.int64)
        second = np.array([j for _i, j in pairs if j is not None], dtype=np.int64)
        # every pair at once (one interval call, not one per pair): the same arithmetic, element by element
        est_all = np.array([np.nan if r["estimate"] is None else r["estimate"] for r in rows], dtype=float)
        ea, eb = est_all[first], est_all[second]
        va, vb, cab = self.vcov[first, first], self.vcov[second, second], self.vcov[first, second]
        # a ratio over a zero estimate (or one so small that the ratio overflows) has no value: no
        # estimate and no SE, flagged as a ratio estimand's zero denominator is (never inf, which reads
        # as a number in a table)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            zero = (np.zeros(len(first), dtype=bool) if kind == "difference"
                    else (eb == 0) | (np.isfinite(ea) & np.isfinite(eb) & ~np.isfinite(ea / eb)))
            if kind == "difference":
                est, var = ea - eb, va + vb - 2 * cab
            else:
                est = np.where(zero, np.nan, ea / eb)
                var = (va / eb**2) + (ea**2 * vb / eb**4) - 2 * ea * cab / eb**3
        var = np.where(np.isnan(ea) | np.isnan(eb) | zero, np.nan, var)  # a missing estimate: no variance
        se = np.where(np.isfinite(var), np.sqrt(np.maximum(var, 0.0)), np.nan)
        df = float(self.design_df)
        lo, hi = intervals.wald(est, se, self.level, np.full(len(est), df))
        out_rows: list[dict[str, Any]] = []
        for k, (i, j) in enumerate(zip(first.tolist(), second.tolist(), strict=True)):
            r = rows[i]
            e, sd = float(est[k]), float(se[k])
            out = {c: r[c] for c in others}
            out.update(
                estimand=f"{kind}:{r['estimand']}", variable=r["variable"], level=r["level"], prob=r["prob"],
                estimate=e, se=sd, ci_low=float(lo[k]), ci_high=float(hi[k]), ci_level=self.level, df=df,
                cv=sd / abs(e) if e else float("nan"), deff=None, n=int(r["n"] + rows[j]["n"]), n_cases=None,
                sum_w=None, flag=r["flag"] or rows[j]["flag"] or ("zero_denominator" if zero[k] else None),
            )
            out[f"{by}_a"], out[f"{by}_b"] = str(a), str(b)
            out_rows.append(out)
        if not out_rows:
            raise EstimationError(Message("estimation.rows_match_rows", by=by, a=a, b=b))
        table = pa.Table.from_pylist(out_rows)
        return Estimates(table=table, design=self.design, design_df=self.design_df, level=self.level,
                         by=tuple(c for c in others if c != "grouping"), n_rows=self.n_rows, engine=self.engine,
                         meta=dict(self.meta))


def format_table(
    table: pa.Table, *, max_rows: int = 50, digits: int = 6, labels: dict[str, dict[Any, str]] | None = None,
    lang: str | None = None,
) -> str:
    """A plain-text rendering of a result table for people at a terminal.

    Numbers keep every integer digit, with thousands separators (``1,967,243``, never
    ``1.96724e+06``), and ``digits`` significant digits below that; ``labels`` maps a column to
    ``{code: label}`` and shows the label in place of the code (domain columns, and the level of a
    categorical variable, looked up under the variable's name). Exact values are in the table
    itself (``--format csv/json``). Separators are the language's (``lang``, default the current
    one): 1.967.243 and 0,0687 in Spanish, where "385,974" would read as a decimal.
    """
    lang = lang or current()
    cols = [c for c in table.column_names if not (table[c].null_count == table.num_rows and c in ("level", "prob", "deff", "flag", "n_cases"))]
    rows = table.select(cols).slice(0, max_rows).to_pylist()
    lookup = {c: {_code_key(k): v for k, v in m.items()} for c, m in (labels or {}).items()}

    def fmt(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return str(v)
        if isinstance(v, int):
            return localize_number(f"{v:,}", lang)
        if isinstance(v, float):
            return localize_number(human_number(v, digits), lang)
        return str(v)

    def cell(r: dict[str, Any], c: str) -> str:
        v = r[c]
        names = lookup.get(str(r.get("variable")) if c == "level" else c)
        if names and v is not None and _code_key(v) in names:
            return names[_code_key(v)]
        return fmt(v)

    cells = [[cell(r, c) for c in cols] for r in rows]
    widths = [max([len(c)] + [len(x[i]) for x in cells]) for i, c in enumerate(cols)]
    lines = ["  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(x.rjust(w) for x, w in zip(r, widths, strict=True)) for r in cells]
    if table.num_rows > max_rows:
        lines.append(t("estimation.more_rows", lang, count=table.num_rows - max_rows))
    return "\n".join(lines)


def human_number(v: float, digits: int = 6) -> str:
    """Every integer digit with thousands separators; ``digits`` significant digits for the fraction."""
    if not np.isfinite(v):
        return "NaN" if np.isnan(v) else ("-inf" if v < 0 else "inf")
    if v == 0:
        return "0"
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    magnitude = int(np.floor(np.log10(abs(v)))) + 1  # digits before the decimal point
    decimals = max(0, digits - magnitude)
    text = f"{v:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _code_key(value: Any) -> Any:
    """Codes compared as labels files and readers write them: 1, 1.0 and "1" are one code."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, str):
        try:
            f = float(value)
        except ValueError:
            return value
        return int(f) if f.is_integer() and value.strip().lstrip("-").replace(".", "", 1).isdigit() else value
    return value
