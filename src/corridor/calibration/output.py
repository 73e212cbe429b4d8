"""Calibrated data on disk: the rows with their calibrated weight, and a block describing the calibration.

The file is written batch by batch in the data's own row order; a row's
calibrated weight is its design weight times its cell's g-weight, found by a
vectorised lookup of its calibration variables among the cells (no join, so
the order stays). Parquet files carry the description in their schema
metadata (key ``corridor.calibration``); CSV files get it beside them, in
``FILE.calibration.json``. :func:`read_metadata` finds either, and
:func:`from_metadata` rebuilds the calibrated design from it, so that
estimates from the file keep calibration-aware standard errors.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corridor.calibration.calibrated import W0, Calibrated, calibrate, poststratify, rake
from corridor.calibration.messages import t
from corridor.design import ReplicateDesign, design_from_dict, design_to_dict
from corridor.engine import get_engine
from corridor.engine.columns import arrow_array, column_numpy, float_column
from corridor.errors import InputError

KEY = "corridor.calibration"
VERSION = 1
_ROW_GROUP = 1_000_000  # rows per Parquet row group (and per CSV write)


class _Lookup:
    """Row -> index of a small table, matched on key columns (vectorised per batch)."""

    def __init__(self, table: pa.Table, keys: list[str]) -> None:
        self.keys = keys
        self.sets = [pc.unique(table[k].combine_chunks()) for k in keys]
        codes = self._codes([table[k].combine_chunks() for k in keys])
        space = int(np.prod([len(v) + 1 for v in self.sets], dtype=float))
        # a small code space: a dense table maps codes to rows in one indexing step
        self.dense = np.full(space, -1, dtype=np.int64) if space <= 1 << 24 else None
        if self.dense is not None:
            self.dense[codes] = np.arange(len(codes))
        self.order = np.argsort(codes, kind="stable")
        self.sorted = codes[self.order]

    def _codes(self, cols: list[pa.Array]) -> np.ndarray:
        out = np.zeros(len(cols[0]) if cols else 0, dtype=np.int64)
        for col, values in zip(cols, self.sets, strict=True):
            size = len(values) + 1  # the last code: a value not in the table
            idx = pc.fill_null(pc.index_in(col, value_set=values), size - 1)
            out = out * size + np.asarray(column_numpy(idx), dtype=np.int64)
        return out

    def index(self, batch: pa.RecordBatch) -> np.ndarray:
        codes = self._codes([batch.column(batch.schema.get_field_index(k)) for k in self.keys])
        if self.dense is not None:
            return self.dense[codes]
        pos = np.minimum(np.searchsorted(self.sorted, codes), len(self.sorted) - 1)
        return np.where(self.sorted[pos] == codes, self.order[pos], -1)


class _Weights:
    """The calibrated weight (and replicate weights) of every row of a batch of the data."""

    def __init__(self, cal: Calibrated) -> None:
        self.cal = cal
        self.w0 = _Lookup(cal.w0_table, [c for c in cal.w0_table.column_names if c != W0]) \
            if cal.w0_table is not None else None
        self.cells = _Lookup(cal.cells, cal.keys) if cal.keys else None
        self.psu = None
        if cal.factor_table is not None:
            self.psu = _Lookup(cal.factor_table, [c for c in cal.factor_table.column_names if not c.startswith("__cal_f")])

    def _index(self, lookup: _Lookup, batch: pa.RecordBatch) -> np.ndarray:
        idx = lookup.index(batch)
        if (idx < 0).any():
            raise InputError(t("estimate.unmatched", source=self.cal.source, n=int((idx < 0).sum())),
                             hint=t("estimate.other_data.hint"))
        return idx

    def __call__(self, batch: pa.RecordBatch) -> dict[str, np.ndarray]:
        cal = self.cal
        n = batch.num_rows
        if cal.w0_column is not None:
            w0 = float_column(batch.column(batch.schema.get_field_index(cal.w0_column)))
        elif self.w0 is not None:
            w0 = float_column(cal.w0_table[W0])[self._index(self.w0, batch)]  # type: ignore[index]
        else:
            w0 = np.ones(n)
        if W0 in cal.keys:  # bounds on the weights: the design weight is a key of the cells
            batch = batch.append_column(W0, arrow_array(w0, pa.float64()))
        cell = self._index(self.cells, batch) if self.cells is not None else np.zeros(n, dtype=np.int64)
        out = {"weight": w0 * cal.g[cell]}
        if cal.g_reps is None:
            return out
        if self.psu is not None:
            unit = self._index(self.psu, batch)
            for r in range(cal.g_reps.shape[1]):
                f = float_column(cal.factor_table[f"__cal_f{r}"])  # type: ignore[index]
                out[f"rep{r + 1}"] = w0 * f[unit] * cal.g_reps[cell, r]
            return out
        base: ReplicateDesign = cal.base  # type: ignore[assignment]
        for r, col in enumerate(cal.repcols):
            rw = float_column(batch.column(batch.schema.get_field_index(col)))
            out[f"rep{r + 1}"] = (rw if base.combined_weights else rw * w0) * cal.g_reps[cell, r]
        return out


def metadata(cal: Calibrated, weight_name: str, replicate_names: list[str]) -> dict[str, Any]:
    """The description written beside the calibrated weights: enough to rebuild the design."""
    return {
        "version": VERSION, "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": cal.source, "design": design_to_dict(cal.base), "totals": cal.totals.to_rows(),
        "method": cal.method, "options": cal.options.as_dict(), "weight": weight_name,
        "replicate_weights": replicate_names,
        "convergence": [{"replicate": c.replicate, "iterations": c.iterations, "gap": c.gap, "converged": c.converged}
                        for c in cal.convergence],
        "weights": cal.weights, "check": cal.check.to_pylist(), "flag": cal.flag,
    }


def write(cal: Calibrated, data: Any, out: str | Path, *, weight_name: str = "weight_cal", engine: Any = None) -> Path:
    """Write ``data`` with the calibrated weight column (and recalibrated replicate weights) to ``out``.

    ``out`` ends in ``.parquet`` (the description goes into the file's metadata) or ``.csv`` (into
    ``out.calibration.json``). Rows keep their order.
    """
    import pyarrow.parquet as pq

    out = Path(out)
    eng = get_engine(engine)
    lf = eng.open(data)
    names = lf.collect_schema().names()
    if weight_name in names:
        raise InputError(t("write.exists", column=weight_name), hint=t("write.exists.hint"))
    n_reps = cal.g_reps.shape[1] if cal.g_reps is not None else 0
    rep_names = [f"{weight_name}_rep{r + 1}" for r in range(n_reps)]
    meta = metadata(cal, weight_name, rep_names)
    csv = out.suffix.lower() == ".csv"
    writer: Any = None
    weights = _Weights(cal)
    pending: list[pa.Table] = []

    def flush() -> None:
        nonlocal writer
        table = pa.concat_tables(pending)
        pending.clear()
        if writer is None:
            if csv:
                import pyarrow.csv as pacsv

                writer = pacsv.CSVWriter(out, table.schema)
            else:
                schema = table.schema.with_metadata({KEY: json.dumps(meta, default=float)})
                # dictionaries pay for codes and labels, not for continuous numbers such as weights
                coded = [f.name for f in schema if not pa.types.is_floating(f.type)]
                writer = pq.ParquetWriter(out, schema, use_dictionary=coded)
        writer.write_table(table if csv else table.cast(writer.schema))

    try:
        for batch in eng.iter_batches(lf):
            extra = weights(batch)
            arrays = list(batch.columns) + [arrow_array(extra["weight"], pa.float64())]
            arrays += [arrow_array(extra[f"rep{r + 1}"], pa.float64()) for r in range(n_reps)]
            pending.append(pa.Table.from_arrays(arrays, names=[*batch.schema.names, weight_name, *rep_names]))
            if sum(t.num_rows for t in pending) >= _ROW_GROUP:
                flush()
        if pending or writer is None:
            if not pending:
                pending.append(_empty(lf, weight_name, rep_names, eng))
            flush()
    finally:
        if writer is not None:
            writer.close()
    if csv:
        Path(f"{out}.calibration.json").write_text(json.dumps(meta, indent=1, default=float), encoding="utf-8")
    return out


def _empty(lf: Any, weight_name: str, rep_names: list[str], eng: Any) -> pa.Table:
    """The output's columns without rows (data with no rows still get a file that says so)."""
    table = eng.collect(lf.head(0))
    for name in [weight_name, *rep_names]:
        table = table.append_column(name, arrow_array(np.zeros(0), pa.float64()))
    return table


def read_metadata(path: str | Path) -> dict[str, Any] | None:
    """The calibration description of a file written by :func:`write`, or None."""
    path = Path(path)
    side = Path(f"{path}.calibration.json")
    if side.exists():
        return json.loads(side.read_text(encoding="utf-8"))
    if path.suffix.lower() in (".parquet", ".pq") and path.is_file():
        import pyarrow.parquet as pq

        try:
            raw = (pq.read_schema(path).metadata or {}).get(KEY.encode())
        except (pa.ArrowInvalid, OSError):  # not a readable Parquet file: the reader that opens it says why
            return None
        return json.loads(raw) if raw else None
    return None


def from_metadata(meta: dict[str, Any], data: Any, *, engine: Any = None) -> Calibrated:
    """The calibrated design a file describes, calibrated again on ``data`` (the same rows: same result)."""
    if meta.get("version") != VERSION:
        raise InputError(t("metadata.version", version=meta.get("version")), hint=t("metadata.version.hint"))
    design = design_from_dict(meta["design"])
    opts = meta["options"]
    method = meta["method"]
    if method == "rake":
        return rake(data, design, meta["totals"], maxit=opts["maxit"], epsilon=opts["epsilon"],
                    on_nonconvergence=opts["on_nonconvergence"], engine=engine)
    if method == "poststratify":
        return poststratify(data, design, meta["totals"], engine=engine)
    return calibrate(
        data, design, meta["totals"], method=method, bounds=opts["bounds"], bounds_const=opts["bounds_const"],
        trim=opts["trim"], maxit=opts["maxit"], epsilon=opts["epsilon"], variance=opts["variance"],
        aggregate_stage=opts["aggregate_stage"], on_nonconvergence=opts["on_nonconvergence"], engine=engine,
    )


def uses_calibrated_weight(design: Any, meta: dict[str, Any]) -> bool:
    """Whether a design weights rows by a file's calibrated weight column (its SEs would ignore the calibration)."""
    weights = design.design.weights if hasattr(design, "design") else getattr(design, "weights", None)
    if weights is not None and weights == meta.get("weight"):
        return True
    return isinstance(design, ReplicateDesign) and any(c in meta.get("replicate_weights", [])
                                                       for c in (design.repweights if not isinstance(
                                                           design.repweights, str) else []))


__all__ = ["KEY", "from_metadata", "metadata", "read_metadata", "uses_calibrated_weight", "write"]
