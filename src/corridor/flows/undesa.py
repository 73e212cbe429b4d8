"""UN DESA International Migrant Stock tables shipped with corridor.

* 2019 revision, bilateral stocks by origin (country of birth or citizenship, as
  reported by each destination) and destination, for 1990, 1995, 2000, 2005,
  2010, 2015 and 2019 (232 countries and areas).
* 2020 revision, total international migrant stock by destination and sex,
  1990-2020.

Source: United Nations, Department of Economic and Social Affairs, Population
Division, International Migrant Stock 2019 and 2020 (CC BY 3.0 IGO); see
``corridor/datasets/undesa_ims/PROVENANCE.md``. Country names and M49 codes are
mapped to ISO 3166-1 alpha-3 (:mod:`corridor.flows.countries`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from corridor.errors import InputError, SourceError
from corridor.flows.countries import iso3_from_m49, iso3_from_un_name, normalise_iso3
from corridor.flows.uncertainty import DEFAULT_REL_ERROR, DEFAULT_RESAMPLES, DEFAULT_SEED
from corridor.i18n import Message

DATA_DIR = Path(__file__).resolve().parents[1] / "datasets" / "undesa_ims"
BILATERAL_2019 = DATA_DIR / "un_migrant_stock_origin_destination_2019_wide.csv"
TOTALS_2020 = DATA_DIR / "undesa_ims2020_stock_by_destination_long.csv"
SOURCE_2019 = "UN DESA, International Migrant Stock 2019 (POP/DB/MIG/Stock/Rev.2019)"
SOURCE_2020 = "UN DESA, International Migrant Stock 2020 (POP/DB/MIG/Stock/Rev.2020)"
AGGREGATES_2019 = {"Caribbean", "Melanesia", "Micronesia", "Polynesia", "South America"}


@dataclass
class BilateralStocks:
    """Bilateral migrant stocks ``stocks[t, origin, destination]`` (foreign-born; diagonal zero)."""


    years: list[int]
    iso3: list[str]
    names: list[str]
    stocks: NDArray[np.float64]
    source: str
    n_not_available: int = 0

    def index(self, code: str) -> int:
        """Position of an ISO alpha-3 code in the tables."""
        c = normalise_iso3(code)
        try:
            return self.iso3.index(c)
        except ValueError:
            raise InputError(Message("flows.not_tables", column=c, source=self.source), hint=Message("flows.not_tables.hint")) from None


def load_bilateral_2019(path: str | Path | None = None) -> BilateralStocks:
    """Read the UN DESA 2019 origin-destination wide table into ``(7, 232, 232)`` stocks.

    Rows are (year, destination), columns origins. Regional aggregate rows are
    dropped; origins and destinations are the same 232 countries and areas.
    Cells published as ``-`` (zero) or ``..`` (not available) are read as zero; the latter are counted in
    ``n_not_available``.
    """
    p = Path(path) if path is not None else BILATERAL_2019
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise SourceError(Message("flows.cannot_read", path=p, strerror=exc.strerror), hint=Message("flows.cannot_read.hint")) from None
    header = rows[0]
    if header[:2] != ["Year", "Dest"]:
        raise SourceError(Message("flows.expected_columns_year_dest", path=p, header=header[:3]), hint=Message("flows.expected_columns_year_dest.hint"))
    origins = header[2:]
    years = sorted({int(r[0]) for r in rows[1:]})
    pos = {name: i for i, name in enumerate(origins)}
    ty = {y: i for i, y in enumerate(years)}
    stocks = np.zeros((len(years), len(origins), len(origins)))
    missing = 0
    for line, r in enumerate(rows[1:], start=2):
        if r[1] in AGGREGATES_2019:
            continue
        if r[1] not in pos:
            raise SourceError(Message("flows.line_destination_not_among", path=p, line=line, r=r[1]), hint=Message("flows.line_destination_not_among.hint"))
        try:
            values = np.array([0.0 if v in ("", "..", "-") else float(v) for v in r[2:]])
            missing += sum(v == ".." for v in r[2:])
        except ValueError:
            raise SourceError(Message("flows.line_non_numeric_stock", path=p, line=line), hint=Message("flows.line_non_numeric_stock.hint")) from None
        stocks[ty[int(r[0])], :, pos[r[1]]] = values
    iso = [iso3_from_un_name(n) for n in origins]
    return BilateralStocks(years, iso, origins, stocks, SOURCE_2019, missing)


@dataclass
class TotalStock:
    """One row of the 2020 totals: international migrant stock in a destination."""

    iso3: str
    area: str
    sex: str
    year: int
    migrant_stock: float


def load_totals_2020(path: str | Path | None = None) -> list[TotalStock]:
    """Read the UN DESA 2020 total migrant stock by destination (countries only, ISO alpha-3)."""
    p = Path(path) if path is not None else TOTALS_2020
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise SourceError(Message("flows.cannot_read_2", path=p, strerror=exc.strerror), hint=Message("flows.cannot_read_2.hint")) from None
    out = []
    for r in rows:
        iso = iso3_from_m49(r["location_code"]) if r["location_code"] else None
        if iso is None or not r["type_of_data"]:
            continue
        out.append(TotalStock(iso, r["area"], r["sex"], int(r["year"]), float(r["migrant_stock"] or 0)))
    return out


def corridor_flows(
    origin: str,
    destination: str,
    *,
    method: str = "diff-zero",
    rel_error: float = DEFAULT_REL_ERROR,
    n_resamples: int = DEFAULT_RESAMPLES,
    level: float = 0.95,
    random_state: int | None = DEFAULT_SEED,
    distribution: str = "gamma",
    data: BilateralStocks | None = None,
) -> list[dict[str, object]]:
    """Estimated ``origin -> destination`` flows by period from the UN DESA 2019 stocks, with intervals.

    Methods that need no births or deaths: ``"diff-zero"``, ``"diff-return"``
    (:func:`~corridor.flows.stocks.ffs_diff`) and ``"dennett"``
    (:func:`~corridor.flows.stocks.ffs_rates`, global flow = sum of the absolute
    changes in the foreign-born residents of every country). Intervals: every
    bilateral stock resampled with relative error ``rel_error`` (:mod:`corridor.flows.uncertainty`;
    the defaults, 1,000 resamples, seed 2026 and a relative error of 0.10, are those of the command
    line and the corridor profile, so the same flow has the same interval everywhere). One dict per period with the stocks at both
    dates, ``flow``, ``lower``, ``upper``, ``se``, ``method`` and ``source``.
    """
    from corridor.flows.uncertainty import ffs_stock_intervals

    un = data if data is not None else load_bilateral_2019()
    i, j = un.index(origin), un.index(destination)
    if i == j:
        raise InputError(Message("flows.origin_destination_same_country"), hint=Message("flows.origin_destination_same_country.hint"))
    if method.startswith("diff"):
        # Differencing involves only the pair's two bilateral stocks: resample just those.
        pair = [i, j]
        stocks, (a, b) = un.stocks[:, pair][:, :, pair], (0, 1)
    elif method == "dennett":
        stocks, (a, b) = un.stocks, (i, j)
    else:
        raise InputError(
            Message("flows.method_cannot_used_desa", method=method),
            hint=Message("flows.method_cannot_used_desa.hint"),
        )
    res = ffs_stock_intervals(
        stocks, method=method, rel_error=rel_error, n_resamples=n_resamples, level=level,  # type: ignore[arg-type]
        random_state=random_state, distribution=distribution, select=lambda x: x[..., a, b],  # type: ignore[arg-type]
    )
    return [
        {
            "period": f"{un.years[p]}-{un.years[p + 1]}", "origin": un.iso3[i], "destination": un.iso3[j],
            "stock_start": float(un.stocks[p, i, j]), "stock_end": float(un.stocks[p + 1, i, j]),
            "flow": float(res.point[p]), "lower": float(res.lower[p]), "upper": float(res.upper[p]),
            "se": float(res.se[p]), "level": level, "method": method, "source": un.source,
        }
        for p in range(len(un.years) - 1)
    ]
