"""Input checks shared by the flows modules (shapes, labels, signs)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from corridor.errors import InputError
from corridor.i18n import Message, join


def as_array(values: ArrayLike, name: str, *, ndim: int | tuple[int, ...] | None = None) -> NDArray[np.float64]:
    """Return ``values`` as a float array, checking its number of dimensions and finiteness."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            Message("flows.not_numeric", name=name), hint=Message("flows.not_numeric.hint", name=name)
        ) from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            raise InputError(
                Message("flows.dimensions_expected", name=name, ndim=arr.ndim, shape=str(arr.shape),
                        allowed=join([str(a) for a in allowed], style="or")),
                hint=Message("flows.check_shape.hint", name=name),
            )
    bad = ~np.isfinite(arr)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            Message("flows.missing_infinite_value_position", name=name, where=where),
            hint=Message("flows.missing_infinite_value_position.hint"),
        )
    return arr


def alias(value: object, other: object, name: str, other_name: str) -> object:
    """The value of an argument that may be given under its migest name ``other_name`` instead."""
    if other is None:
        return value
    if value is not None:
        raise InputError(
            Message("flows.same_argument_migest_name", name=name, other_name=other_name),
            hint=Message("flows.same_argument_migest_name.hint", other_name=other_name, name=name),
        )
    return other


def check_square(arr: NDArray[np.float64], name: str) -> int:
    """Check that the last two axes of ``arr`` are square and return their size."""
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        raise InputError(
            Message("flows.must_square_birthplace_residence", name=name, shape=arr.shape),
            hint=Message("flows.must_square_birthplace_residence.hint"),
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
            Message("flows.negative_value", name=name, arr=arr[idx], where=where),
            hint=Message("flows.negative_value.hint"),
        )


def check_labels(labels: Sequence[str] | None, n: int, name: str) -> list[str]:
    """Return region labels (default ``R1..Rn``), checking their number and uniqueness."""
    if labels is None:
        return [f"R{i + 1}" for i in range(n)]
    labels = [str(x) for x in labels]
    if len(labels) != n:
        raise InputError(
            Message("flows.labels_regions", name=name, n_labels=len(labels), n=n),
            hint=Message("flows.labels_regions.hint"),
        )
    if len(set(labels)) != n:
        dup = sorted({x for x in labels if labels.count(x) > 1})
        raise InputError(Message("flows.repeated_labels", name=name, dup=', '.join(dup)), hint=Message("flows.repeated_labels.hint"))
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
            Message("flows.region_labels_not_match", what=what, detail='; '.join(detail)),
            hint=Message("flows.region_labels_not_match.hint"),
        )
