"""Standard populations and age bands.

Shipped standards (see ``corridor/datasets/standard_populations/PROVENANCE.md``):

* ``"esp2013"``: European Standard Population 2013, 19 bands 0-4 ... 90+, summing to 100,000
  (Eurostat 2013), as shipped by PHE's ``PHEindicatormethods``.
* ``"who2000"``: WHO World Standard Population 2000-2025, 21 bands 0-4 ... 100+, in percent
  (Ahmad OB et al. 2001, *Age standardization of rates: a new WHO standard*, GPE Discussion
  Paper 31, WHO).

Age bands are written ``"0-4"``, ``"00-04"``, ``"00 A 04"``, ``"5 to 9"``, ``"90+"``,
``"80 y más"``, ``"80 O MÁS"``, ``"85 and over"``. Data whose bands are a coarsening of the
standard's (e.g. 0-4 ... 80+ against ESP2013) are matched by summing the standard's bands.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from corridor.errors import InputError
from corridor.i18n import Message

_RANGE = re.compile(r"^\s*(\d+)\s*(?:-|–|a|to|al)\s*(\d+)\s*(?:years?|años)?\s*$", re.IGNORECASE)
_OPEN = re.compile(
    r"^\s*(\d+)\s*(?:\+|y\s+m[aá]s|o\s+m[aá]s|or\s+(?:more|over)|and\s+(?:over|more)|plus|et\s+plus)\s*$",
    re.IGNORECASE,
)

STANDARDS_DIR = Path(__file__).resolve().parents[1] / "datasets" / "standard_populations"

SHIPPED = {
    "esp2013": ("esp2013.csv", "European Standard Population 2013"),
    "who2000": ("who_world_2000_2025.csv", "WHO World Standard Population 2000-2025"),
}


def parse_band(label: object) -> tuple[int, float]:
    """Return ``(first age, last age)`` of an age band label; the last age is ``inf`` for ``"90+"``."""
    text = str(label)
    m = _RANGE.match(text)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if hi >= lo:
            return lo, float(hi)
    m = _OPEN.match(text)
    if m:
        return int(m.group(1)), math.inf
    raise InputError(Message("epi.band_not_understood", band=label), hint=Message("epi.band_not_understood.hint"))


@cache
def _load_shipped(name: str) -> pd.DataFrame:
    filename, _ = SHIPPED[name]
    table = pd.read_csv(STANDARDS_DIR / filename)
    table.columns = ["age", "population"]
    table["age"] = table["age"].astype(str)
    return table


def standard_population(standard: str | pd.DataFrame | Mapping[str, float] = "esp2013") -> pd.DataFrame:
    """A standard population as a DataFrame with columns ``age``, ``population``, ``lo``, ``hi``.

    ``standard``: a shipped name (``"esp2013"``, ``"who2000"``), a mapping of age band to
    population, or a DataFrame whose first two columns are the band and the population.
    """
    if isinstance(standard, str):
        key = standard.lower().replace("_", "").replace("-", "")
        aliases = {
            "esp2013": "esp2013",
            "esp": "esp2013",
            "who2000": "who2000",
            "who": "who2000",
            "who20002025": "who2000",
            "world": "who2000",
        }
        if key not in aliases:
            raise InputError(Message("epi.unknown_standard", standard=standard), hint=Message("epi.unknown_standard.hint"))
        table = _load_shipped(aliases[key]).copy()
    elif isinstance(standard, Mapping):
        table = pd.DataFrame({"age": [str(k) for k in standard], "population": list(standard.values())})
    elif isinstance(standard, pd.DataFrame):
        if standard.shape[1] < 2:
            raise InputError(Message("epi.standard_two_columns"), hint=Message("epi.standard_two_columns.hint"))
        table = pd.DataFrame({"age": standard.iloc[:, 0].astype(str), "population": standard.iloc[:, 1]})
    else:
        raise InputError(Message("epi.standard_type", kind=type(standard).__name__), hint=Message("epi.standard_type.hint"))
    table["population"] = pd.to_numeric(table["population"], errors="coerce")
    bad = table["population"].isna() | (table["population"] < 0)
    if bad.any():
        row = table[bad].iloc[0]
        raise InputError(Message("epi.standard_invalid", value=row["population"], band=row["age"]),
                         hint=Message("epi.standard_values.hint"))
    bounds = [parse_band(a) for a in table["age"]]
    table["lo"] = [b[0] for b in bounds]
    table["hi"] = [b[1] for b in bounds]
    table = table.sort_values("lo", kind="stable").reset_index(drop=True)
    for prev, nxt in zip(table.itertuples(), table.iloc[1:].itertuples()):
        if nxt.lo != prev.hi + 1:
            raise InputError(Message("epi.standard_not_contiguous", a=prev.age, b=nxt.age),
                             hint=Message("epi.standard_not_contiguous.hint"))
    return table


def match_bands(labels: Sequence[object], standard: pd.DataFrame) -> dict[object, float]:
    """Weight of each data age band: the sum of the standard's bands it covers.

    Raises :class:`InputError` when a band's edges do not fall on the standard's edges, when bands
    overlap, or when the data's bands do not cover the standard's whole age range.
    """
    starts = standard["lo"].to_numpy()
    ends = standard["hi"].to_numpy()
    pops = standard["population"].to_numpy(dtype=float)
    by_label = dict(zip(standard["age"], pops))
    weights: dict[object, float] = {}
    spans: list[tuple[int, float, object]] = []
    for label in labels:
        text = str(label).strip()
        if text in by_label:
            i = int(np.flatnonzero(standard["age"].to_numpy() == text)[0])
            weights[label] = float(pops[i])
            spans.append((int(starts[i]), float(ends[i]), label))
            continue
        lo, hi = parse_band(label)
        first = np.flatnonzero(starts == lo)
        last = np.flatnonzero(ends == hi)
        if not first.size or not last.size or last[0] < first[0]:
            edges = ", ".join(str(a) for a in standard["age"])
            raise InputError(Message("epi.band_off_edges", band=label), hint=Message("epi.band_off_edges.hint", edges=edges))
        weights[label] = float(pops[first[0] : last[0] + 1].sum())
        spans.append((lo, hi, label))
    spans.sort(key=lambda s: s[0])
    for (lo1, hi1, l1), (lo2, _, l2) in itertools.pairwise(spans):
        if lo2 <= hi1:
            raise InputError(Message("epi.bands_overlap", a=l1, b=l2), hint=Message("epi.bands_overlap.hint"))
        if lo2 != hi1 + 1:
            raise InputError(Message("epi.bands_gap", a=l1, b=l2), hint=Message("epi.bands_gap.hint"))
    if spans and (spans[0][0] != starts[0] or spans[-1][1] != ends[-1]):
        raise InputError(Message("epi.bands_range", first=spans[0][2], last=spans[-1][2],
                                 standard_first=standard["age"].iloc[0], standard_last=standard["age"].iloc[-1]),
                         hint=Message("epi.bands_range.hint"))
    return weights


__all__ = ["SHIPPED", "match_bands", "parse_band", "standard_population"]
