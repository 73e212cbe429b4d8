"""Accept pyarrow, pandas or polars tables; work on pyarrow; give back the same kind."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from corridor.errors import ColumnNotFoundError, InputError, Text
from corridor.i18n import Message

ESTIMATE_TABLE = Message("quality.where.estimate_table")
ASSESSED_TABLE = Message("quality.where.assessed_table")


def to_arrow(table: Any, *, what: Text = ESTIMATE_TABLE) -> tuple[pa.Table, Callable[[pa.Table], Any]]:
    """Convert ``table`` to a :class:`pyarrow.Table` and return a function converting back.

    pandas and polars frames come back as such; anything else (e.g. corridor's
    ``Estimates``) comes back as a pyarrow Table.
    """
    if isinstance(table, pa.Table):
        return table, lambda t: t
    if isinstance(table, pa.RecordBatch):
        return pa.Table.from_batches([table]), lambda t: t
    module = type(table).__module__.split(".")[0]
    if module == "pandas":
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        return arrow, lambda t: t.to_pandas()
    if module == "polars":
        import polars as pl

        return table.to_arrow(), pl.from_arrow
    if callable(getattr(table, "to_arrow", None)):  # corridor's Estimates, and the like
        arrow = table.to_arrow()
        if isinstance(arrow, pa.Table):
            return arrow, lambda t: t
    if hasattr(table, "__arrow_c_stream__"):
        return pa.table(table), lambda t: t
    raise InputError(Message("quality.not_a_table", what=what, kind=type(table).__name__),
                     hint=Message("quality.not_a_table.hint"))


def require(table: pa.Table, columns: Iterable[str], *, where: Text = ESTIMATE_TABLE) -> None:
    """Raise :class:`ColumnNotFoundError` if any of ``columns`` is missing."""
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ColumnNotFoundError.from_names(missing, table.column_names, where=where)


def floats(table: pa.Table, column: str) -> np.ndarray:
    """A column as float64 with NaN for nulls (all NaN for an absent column)."""
    if column not in table.column_names:
        return np.full(table.num_rows, np.nan)
    col = table.column(column)
    t = col.type
    if not (
        pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_null(t) or pa.types.is_decimal(t)
    ):
        raise InputError(Message("quality.not_numeric", column=column, type=str(t)),
                         hint=Message("quality.not_numeric.hint", column=column))
    arr = pc.cast(col, pa.float64()).to_numpy()
    return np.asarray(arr, dtype=np.float64)


def is_in(table: pa.Table, column: str, values: Iterable[str]) -> np.ndarray:
    """Boolean mask: the row's ``column`` is one of ``values`` (null is not)."""
    col = table.column(column)
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = pc.cast(col, pa.string())
    mask = pc.is_in(col, value_set=pa.array(list(values), pa.string()))
    return np.asarray(pc.fill_null(mask, False).to_numpy(), dtype=bool)


def group_ids(
    table: pa.Table,
    columns: list[str],
    cache: dict[str, tuple[np.ndarray, int]] | None = None,
    *,
    dense: bool = True,
) -> np.ndarray:
    """An integer id per row, equal for rows with equal ``columns`` (nulls equal each other).

    Hash-based (Arrow's dictionary encoding), linear in the number of rows;
    ``cache`` keeps each column's codes between calls. With ``dense=False``
    the ids may skip values (but stay below 4 x rows), which saves a pass.
    """
    if not columns:
        return np.zeros(table.num_rows, dtype=np.int64)
    cache = {} if cache is None else cache
    key: np.ndarray | None = None
    span = 1
    for name in columns:
        if name not in cache:
            cache[name] = _codes(table.column(name))
        codes, cardinality = cache[name]
        if key is None:
            key, span = codes, cardinality
            continue
        if span * cardinality >= 2**62:
            key, span = _codes(pa.array(key))
        key, span = key * cardinality + codes, span * cardinality
    assert key is not None
    if len(columns) == 1 or (not dense and span <= 4 * max(table.num_rows, 256)):
        return key
    return _codes(pa.array(key))[0]


def _codes(column: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, int]:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    encoded = pc.dictionary_encode(column, null_encoding="encode")
    indices = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return indices, max(len(encoded.dictionary), 1)


def set_column(
    table: pa.Table, name: str, values: pa.Array | pa.ChunkedArray | np.ndarray | list
) -> pa.Table:
    """Add column ``name``, or replace it where it already is."""
    arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values)
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, arr)
    return table.append_column(name, arr)


def coded_strings(index: np.ndarray, outcomes: list[str | None]) -> pa.Array:
    """Strings (or null) chosen per row by ``index`` into ``outcomes``."""
    dictionary = pa.array(outcomes, pa.string())
    return pc.take(dictionary, pa.array(index.astype(np.int32, copy=False)))
