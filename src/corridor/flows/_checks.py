"""Input checks shared by the flows modules (shapes, labels, signs)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from corridor.errors import InputError


def as_array(values: ArrayLike, name: str, *, ndim: int | tuple[int, ...] | None = None) -> NDArray[np.float64]:
    """Return ``values`` as a float array, checking its number of dimensions and finiteness."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            f"{name} is not numeric", hint=f"give {name} as a matrix or vector of numbers"
        ) from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            raise InputError(
                f"{name} has {arr.ndim} dimension(s) (shape {arr.shape}); expected "
                + " or ".join(str(a) for a in allowed),
                hint=f"check the shape of {name}",
            )
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            f"{name} has a missing or infinite value at position {where}",
            hint="fill or drop missing cells before estimating flows",
        )
    return arr


def alias(value: object, other: object, name: str, other_name: str) -> object:
    """The value of an argument that may be given under its migest name ``other_name`` instead."""
    if other is None:
        return value
    if value is not None:
        raise InputError(
            f"{name} and {other_name} are the same argument ({other_name} is migest's name); give one",
            hint=f"drop {other_name}= or {name}=",
        )
    return other


def check_square(arr: NDArray[np.float64], name: str) -> int:
    """Check that the last two axes of ``arr`` are square and return their size."""
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        raise InputError(
            f"{name} must be square (birthplace x residence); its shape is {arr.shape}",
            hint="use the same list of regions for rows and columns",
        )
    return arr.shape[-1]


def check_non_negative(arr: NDArray[np.float64], name: str, labels: Sequence[str] | None = None) -> None:
    """Raise :class:`InputError` naming the first negative cell of ``arr``."""
    neg = arr < 0
    if neg.any():
        idx = tuple(int(i) for i in np.argwhere(neg)[0])
        where = idx
        if labels is not None and arr.ndim >= 1:
            where = tuple(labels[i] if i < len(labels) else i for i in idx[-2:]) if arr.ndim >= 2 else (labels[idx[-1]],)
        raise InputError(
            f"{name} has a negative value {arr[idx]:g} at {where}",
            hint="stocks, births and deaths are counts and cannot be negative",
        )


def check_labels(labels: Sequence[str] | None, n: int, name: str) -> list[str]:
    """Return region labels (default ``R1..Rn``), checking their number and uniqueness."""
    if labels is None:
        return [f"R{i + 1}" for i in range(n)]
    labels = [str(x) for x in labels]
    if len(labels) != n:
        raise InputError(
            f"{name} has {len(labels)} labels for {n} regions",
            hint="give one label per row/column of the stock tables",
        )
    if len(set(labels)) != n:
        dup = sorted({x for x in labels if labels.count(x) > 1})
        raise InputError(f"{name} has repeated labels: {', '.join(dup)}", hint="labels must be unique")
    return labels


def same_labels(a: Sequence[str], b: Sequence[str], what: str) -> None:
    """Raise if two label lists differ (as sets or in order)."""
    if list(a) != list(b):
        missing = [x for x in a if x not in set(b)]
        extra = [x for x in b if x not in set(a)]
        detail = []
        if missing:
            detail.append(f"missing {', '.join(missing[:5])}")
        if extra:
            detail.append(f"unexpected {', '.join(extra[:5])}")
        if not detail:
            detail.append("same regions in a different order")
        raise InputError(
            f"region labels of {what} do not match ({'; '.join(detail)})",
            hint="reorder or subset the tables so that all use the same regions in the same order",
        )
