"""Summary indices of migration age profiles: observed schedules and Rogers-Castro parameters.

As ``migest::index_age`` and ``migest::index_age_rc`` (R package ``migest`` 2.0.4), from Rogers
(1975, gross migraproduction rate), Rogers & Castro (1981, model schedules), Bell, Blake,
Boyle, Duke-Williams, Rees, Stillwell & Hugo (2002, peak intensity and age), Bell & Muhidin
(2009, breadth and share of the peak) and Bernard, Bell & Charles-Edwards (2014, maximum
upward and downward rates of change and their asymmetry).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from corridor.errors import InputError
from corridor.flows._checks import as_array
from corridor.i18n import Message

WINDOWS = ("age", "migest")
RC_PARAMETERS = ("a1", "alpha1", "a2", "alpha2", "mu2", "lambda2")


def _columns(data: Any, age_col: str, mi_col: str) -> tuple[Any, Any]:
    from corridor.epi._validate import as_frame, require_columns

    where = Message("flows.where.age_profile")
    df = as_frame(data, where=where)
    require_columns(df, [age_col, mi_col], where=where)
    return df[age_col].to_numpy(), df[mi_col].to_numpy()


def index_age(
    age: ArrayLike | None = None,
    mi: ArrayLike | None = None,
    *,
    data: Any = None,
    age_min: float = 5,
    age_max: float = 65,
    breadth: int = 5,
    window: str = "age",
    age_col: str = "age",
    mi_col: str = "mi",
) -> dict[str, float]:
    """Indices of an age profile of migration intensities ``mi`` (migrants / population) by age.

    Returns ``gmr`` (gross migraproduction rate, ``sum(mi)``), ``peak_mi`` (largest intensity,
    per cent, between ``age_min`` and ``age_max`` exclusive), ``peak_age`` (age of the largest
    intensity), ``peak_breadth`` (sum of the intensities, per cent, within ``breadth`` years of
    the peak), ``peak_share`` (their share of all migration, per cent), ``murc``/``mdrc`` (ages
    of the largest rise and fall of the normalised schedule between ``age_min`` and ``age_max``)
    and ``asymmetry`` (``murc / mdrc``), as ``migest::index_age``.

    ``window="age"`` (default) sums the ages ``peak_age - breadth`` ... ``peak_age + breadth``.
    ``window="migest"`` reproduces migest 2.0.4, which takes those numbers as positions in the
    table: with single years from age 0 it sums ages ``peak_age - breadth - 1`` ...
    ``peak_age + breadth - 1`` (one year younger than the window it names).

    Give ``age`` and ``mi`` as arrays, or ``data`` (a table) with columns ``age_col`` and
    ``mi_col``. Ages must be distinct; the profile is put in age order.
    """
    if data is not None:
        age, mi = _columns(data, age_col, mi_col)
    if age is None or mi is None:
        raise InputError(Message("flows.index_age_needs_ages"), hint=Message("flows.index_age_needs_ages.hint"))
    if window not in WINDOWS:
        raise InputError(Message("flows.window_not_known", window=window), hint=Message("flows.window_not_known.hint"))
    a = as_array(age, "age", ndim=1)
    m = as_array(mi, "mi", ndim=1)
    if a.size != m.size:
        raise InputError(Message("flows.age_values", size=a.size, size2=m.size), hint=Message("flows.age_values.hint"))
    if (m < 0).any():
        raise InputError(Message("flows.negative_intensities"), hint=Message("flows.negative_intensities.hint"))
    order = np.argsort(a, kind="stable")
    a, m = a[order], m[order]
    if np.any(np.diff(a) == 0):
        dup = a[np.flatnonzero(np.diff(a) == 0)[0]]
        raise InputError(Message("flows.age_appears_twice_profile", dup=dup), hint=Message("flows.age_appears_twice_profile.hint"))
    pct = 100 * m
    total = pct.sum()
    if total <= 0:
        raise InputError(Message("flows.age_profile_migration"), hint=Message("flows.age_profile_migration.hint"))
    nmi = pct / total
    d = np.concatenate([[0.0], np.diff(nmi)])
    study = (a > age_min) & (a < age_max)
    if not study.any():
        raise InputError(
            Message("flows.age_between_age_min", age_min=age_min, age_max=age_max),
            hint=Message("flows.age_between_age_min.hint"),
        )
    peak_age = float(a[int(np.argmax(nmi))])
    if window == "age":
        inside = (a >= peak_age - breadth) & (a <= peak_age + breadth)
    else:
        first, last = int(peak_age - breadth), int(peak_age + breadth)
        if peak_age != int(peak_age) or first < 1 or last > a.size:
            raise InputError(
                Message("flows.window_migest_takes_positions", first=first, last=last, size=a.size),
                hint=Message("flows.window_migest_takes_positions.hint"),
            )
        inside = np.zeros(a.size, dtype=bool)
        inside[first - 1 : last] = True
    max_d, min_d = d[study].max(), d[study].min()
    murc = float(a[np.flatnonzero(d == max_d)[0]])
    mdrc = float(a[np.flatnonzero(d == min_d)[0]])
    return {
        "gmr": float(total / 100),
        "peak_mi": float(pct[study].max()),
        "peak_age": peak_age,
        "peak_breadth": float(pct[inside].sum()),
        "peak_share": float(100 * nmi[inside].sum()),
        "murc": murc,
        "mdrc": mdrc,
        "asymmetry": murc / mdrc if mdrc != 0 else float("nan"),
    }


def index_age_rc(pars: Mapping[str, float]) -> dict[str, float]:
    """Indices of a Rogers-Castro model schedule from its parameters (``migest::index_age_rc``).

    ``pars`` maps ``a1``, ``alpha1`` (childhood component), ``a2``, ``alpha2``, ``mu2``,
    ``lambda2`` (labour-force component) to their values (others, such as ``c``, are ignored).
    Returns ``peaking`` (``mu2``), ``child_dependency`` (``a1 / a2``), ``labor_dependency``
    (``a2 / a1``), ``labor_asymmetry`` (``lambda2 / alpha2``) and ``regularity``
    (``alpha1 / alpha2``) (Rogers & Castro 1981).
    """
    if hasattr(pars, "to_dict") and not isinstance(pars, Mapping):
        pars = pars.to_dict()
    missing = [p for p in RC_PARAMETERS if p not in pars]
    if missing:
        raise InputError(
            Message("flows.rogers_castro_parameters_missing", missing=', '.join(missing)),
            hint=Message("flows.rogers_castro_parameters_missing.hint", rc_parameters=', '.join(RC_PARAMETERS)),
        )
    p = {k: float(pars[k]) for k in RC_PARAMETERS}
    return {
        "peaking": p["mu2"],
        "child_dependency": p["a1"] / p["a2"],
        "labor_dependency": p["a2"] / p["a1"],
        "labor_asymmetry": p["lambda2"] / p["alpha2"],
        "regularity": p["alpha1"] / p["alpha2"],
    }


__all__ = ["index_age", "index_age_rc"]
