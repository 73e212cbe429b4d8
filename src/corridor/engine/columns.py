"""Between Arrow columns and numpy arrays, without pandas.

pyarrow's ``to_numpy`` and ``pa.array`` import pandas whenever it is installed
(to recognise its types), a fixed cost larger than a whole estimate on a small
table. Numeric and boolean columns are read from and written to their Arrow
buffers directly; text columns are built from their offsets and bytes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

PRIMITIVE = {
    pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32, pa.int64(): np.int64,
    pa.uint8(): np.uint8, pa.uint16(): np.uint16, pa.uint32(): np.uint32, pa.uint64(): np.uint64,
    pa.float32(): np.float32, pa.float64(): np.float64,
}


def column_numpy(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A column as numpy; nulls of a numeric column become NaN.

    Numeric columns are read from their Arrow buffers: pyarrow's own ``to_numpy``
    imports pandas whenever it is installed, a large fixed cost for a small table.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    dtype = PRIMITIVE.get(column.type)
    n = len(column)
    if column.type == pa.bool_() and not column.null_count:
        bits = np.unpackbits(np.frombuffer(column.buffers()[1], dtype=np.uint8), bitorder="little")
        return bits[column.offset : column.offset + n].astype(bool)
    if dtype is None:
        return np.asarray(column.to_numpy(zero_copy_only=False))
    values = np.frombuffer(column.buffers()[1], dtype=dtype, count=n + column.offset)[column.offset :]
    if not column.null_count:
        return values
    valid = np.unpackbits(np.frombuffer(column.buffers()[0], dtype=np.uint8), bitorder="little")
    valid = valid[column.offset : column.offset + n].astype(bool)
    return np.where(valid, values.astype(np.float64), np.nan)


def float_column(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A numeric column as float64 with nulls as 0 (sums over no rows)."""
    out = np.array(column_numpy(column), dtype=np.float64)  # a writable copy
    out[np.isnan(out)] = 0.0
    return out


def has_nonfinite(column: pa.ChunkedArray | pa.Array) -> bool:
    """Whether a numeric column holds a NaN or infinite value (nulls are not counted)."""
    import pyarrow.compute as pc

    if not pa.types.is_floating(column.type):
        return False
    return bool(pc.any(pc.invert(pc.is_finite(column))).as_py() or False)


def float_matrix(table: pa.Table, names: list[str]) -> np.ndarray:
    """Columns of ``table`` as a float64 matrix with nulls as 0, column-major (columns are read whole).

    Only nulls (sums over no rows) become 0: a NaN or infinite value the data themselves gave stays,
    so that the caller can tell a sum of nothing from a sum of bad values.
    """
    out = np.empty((table.num_rows, len(names)), order="F")
    for j, name in enumerate(names):
        start = 0
        for chunk in table[name].chunks:  # chunk by chunk: no combined copy of the column
            values = column_numpy(chunk)
            if chunk.null_count:
                values = np.where(np.asarray(chunk.is_valid()), values, 0.0)
            out[start : start + len(chunk), j] = values
            start += len(chunk)
    return out


def split_matrices(table: pa.Table, matrices: Sequence[Sequence[str]],
                   keep: Sequence[str] = ()) -> tuple[pa.Table, list[np.ndarray]]:
    """The columns of each of ``matrices`` as one :func:`float_matrix`, and the table without them
    (but for those in ``keep``)."""
    mats = [float_matrix(table, list(names)) for names in matrices]
    taken = {n for names in matrices for n in names} - set(keep)
    return table.drop_columns([c for c in table.column_names if c in taken]), mats


def owned_table(batches: Iterable[pa.RecordBatch], schema: pa.Schema) -> pa.Table:
    """The batches as one table whose numeric columns live in numpy-owned memory.

    An engine's own allocator may keep the pages of a result it has freed; numpy gives
    them back. Copying each batch as it arrives keeps one batch of the engine's result
    alive at a time, and the copies can be freed column by column.
    """
    parts: dict[str, list[pa.Array]] = {name: [] for name in schema.names}
    for batch in batches:
        for name, col in zip(schema.names, batch.columns, strict=True):
            if col.type in PRIMITIVE and not col.null_count:
                col = arrow_array(np.array(column_numpy(col)), col.type, nan_is_null=False)
            parts[name].append(col)
    return pa.Table.from_arrays([pa.chunked_array(parts[f.name], f.type) for f in schema], schema=schema)


_TRIM: Any = None


def release_freed_memory() -> None:
    """Hand the C heap's freed pages back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    glibc keeps freed blocks of up to 32 MiB in the process heap, and a statistic over millions of
    scan groups frees many such arrays (per-cell totals, codes): 0.15 GiB of a 1.1 GiB peak on
    10M rows crossing 1,000 domains with 10,000 PSUs was memory already freed.
    """
    global _TRIM
    if _TRIM is None:
        _TRIM = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes

                _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
            except (OSError, AttributeError):  # another C library: its own policy stands
                pass
    if _TRIM:
        _TRIM(0)


def arrow_array(values: np.ndarray | Sequence[Any], type: pa.DataType, *, nan_is_null: bool = True) -> pa.Array:
    """An Arrow array of ``type`` from numpy values or a list; None (and NaN, by default) become null."""
    if type == pa.string():
        items = list(values)
        valid = np.array([v is not None for v in items], dtype=bool)
        data = [str(v).encode() if v is not None else b"" for v in items]
        offsets = np.zeros(len(data) + 1, dtype=np.int32)
        np.cumsum([len(d) for d in data], out=offsets[1:])
        buffers = [_validity(valid), pa.py_buffer(offsets), pa.py_buffer(b"".join(data))]
        return pa.Array.from_buffers(type, len(items), buffers, null_count=int((~valid).sum()))
    dtype = PRIMITIVE.get(type)
    if dtype is None:
        raise TypeError(f"no buffer conversion for {type}")
    if isinstance(values, np.ndarray) and values.dtype != object:
        raw = values
        valid = ~np.isnan(raw) if raw.dtype.kind == "f" and nan_is_null else np.ones(len(raw), dtype=bool)
    else:
        items = list(values)
        valid = np.array([v is not None and not (isinstance(v, float) and np.isnan(v)) for v in items], dtype=bool)
        raw = np.array([v if ok else 0 for v, ok in zip(items, valid, strict=True)], dtype=float)
    if dtype is not np.float64 and dtype is not np.float32:
        raw = np.where(valid, raw, 0)
    arr = np.ascontiguousarray(raw, dtype=dtype)
    return pa.Array.from_buffers(type, len(arr), [_validity(valid), pa.py_buffer(arr)], null_count=int((~valid).sum()))


def _validity(valid: np.ndarray) -> pa.Buffer | None:
    if valid.all():
        return None
    return pa.py_buffer(np.packbits(valid, bitorder="little"))
