"""The corridor profile: indicators from aggregate and survey sources, assembled into HTML, PDF and tables.

``build_profile`` computes (official aggregates for stocks, trends, regions and age-sex
structure; survey indicators with gaps, quality labels and disclosure control); ``write_profile``
renders a self-contained HTML page (inline SVG charts, Jinja2), a PDF (WeasyPrint) and the tidy
indicator table (CSV, Parquet, JSON) in one language.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from corridor.engine import Engine, get_engine
from corridor.errors import CorridorError, InputError
from corridor.indicators import (
    Indicator,
    compute_aggregates,
    compute_survey,
    load,
    load_aggregates,
    load_survey,
)
from corridor.indicators.survey import calibrated
from corridor.indicators.table import to_table
from corridor.report import burden, flows_section, small_areas_section
from corridor.report.locale import check_lang, extra_label

Progress = Callable[[str], None]
SCHEMES = ("chile", "eclac_2023")
SECTIONS = {"labour": "sec_labour", "health": "sec_health", "poverty": "sec_poverty", "migration": "sec_migration"}


@dataclass
class Profile:
    """Everything a profile shows: the tidy table, its sources and the options it was built with."""

    origin: str
    destination: str
    region: str | None
    scheme: str
    min_n: int
    table: pa.Table
    catalogue: dict[str, Indicator]
    sources: list[dict[str, str]]
    survey_title: str | None
    survey_synthetic: bool
    unavailable: dict[str, list[str]]
    scans: int
    period: int | None
    highlight: str | None
    extra: dict[str, Any] = field(default_factory=dict)

    def rows(self, **match: Any) -> list[dict[str, Any]]:
        """Rows of the table whose columns equal ``match``."""
        return [r for r in self._pylist if all(r.get(k) == v for k, v in match.items())]

    @property
    def _pylist(self) -> list[dict[str, Any]]:
        if "_rows" not in self.extra:
            self.extra["_rows"] = self.table.to_pylist()
        return self.extra["_rows"]


def _code(text: str, what: str, length: int | None = None) -> str:
    import pycountry

    t = (text or "").strip().upper()
    if not t or (length and len(t) != length) or not t.replace("-", "").isalnum():
        raise InputError(f"{what} {text!r} is not an ISO code", hint="e.g. --origin COL --destination CHL --region CL-AN")
    known = pycountry.countries.get(alpha_3=t) if length == 3 else pycountry.subdivisions.get(code=t)
    if known is None:
        std = "ISO 3166-1 alpha-3 country" if length == 3 else "ISO 3166-2 region"
        raise InputError(f"{what} {text!r} is not an {std} code", hint="e.g. --origin COL --destination CHL --region CL-AN")
    return t


def build_profile(
    origin: str = "COL",
    destination: str = "CHL",
    *,
    region: str | None = None,
    data: str | Path | None = None,
    scheme: str = "chile",
    min_n: int = 30,
    engine: str | Engine | None = None,
    progress: Progress | None = None,
    disaggregations: tuple[str, ...] = ("sex", "age_band", "region"),
    small_areas: bool = False,
    calibrate: Any = None,
) -> Profile:
    """Compute a corridor profile.

    Args:
        origin, destination: ISO 3166-1 alpha-3 codes.
        region: ISO 3166-2 code of the region to highlight (default for Chile: CL-AN, Antofagasta).
        data: the survey microdata: a harmonization spec (name or YAML) or a canonical CSV/Parquet
            file; ``None`` uses the shipped SYNTHETIC sample.
        scheme: quality scheme, ``chile`` (INE 2020) or ``eclac_2023``.
        min_n: minimum unweighted sample cases of a published cell.
        engine: engine instance or name (its ``scans`` are counted).
        progress: called with a short message at each step.
        disaggregations: of the survey indicators, among ``sex``, ``age_band``, ``region`` (the page
            shows totals, sexes and the highlighted region; the table holds them all).
        small_areas: add the section "By comuna (model-based)" (Fay-Herriot estimates per comuna of
            the highlighted region, :mod:`corridor.report.small_areas_section`).
        calibrate: rake the survey's weights to population totals before estimating: ``"ine"``
            (INE projections by region x sex x age group and INE/SERMIG foreign residents by
            nationality, of the survey's year), an ``ine:...`` spec or a totals table
            (:mod:`corridor.calibration`); the methods section states it, with the weights before and
            after.
    """
    say = progress or (lambda _m: None)
    origin, destination = _code(origin, "origin", 3), _code(destination, "destination", 3)
    if origin == destination:
        raise InputError(f"origin and destination are both {origin}", hint="a corridor joins two different countries")
    reg = _code(region, "region") if region else None
    if scheme not in SCHEMES:
        raise InputError(f"unknown quality scheme {scheme!r}", hint=f"use one of {', '.join(SCHEMES)}")
    if min_n < 1:
        raise InputError(f"--min-n must be at least 1, got {min_n}", hint="e.g. --min-n 30")
    if reg and not reg.startswith(destination[:2]) and not reg.startswith(_alpha2(destination)):
        raise InputError(f"region {reg} is not a region of {destination}", hint="use an ISO 3166-2 code of the destination, e.g. CL-AN")
    catalogue = load()
    eng = get_engine(engine)
    say("opening survey microdata")
    survey = load_survey(data)
    if survey.country and survey.country != destination:
        raise InputError(f"the survey {survey.name!r} covers {survey.country}, not the destination {destination}",
                         hint=f"use --destination {survey.country}, or --data with a survey of {destination}")
    calibration = None
    if calibrate is not None:
        say("calibrating the survey weights to official totals (INE projections, INE/SERMIG)")
        survey, calibration = calibrated(survey, calibrate, engine=eng)
    say("reading official aggregate sources (INE/SERMIG, INE projections, UN DESA)")
    agg = load_aggregates(origin, destination)
    rows = compute_aggregates(agg, indicators=list(catalogue.values()))
    say(f"estimating survey indicators with their standard errors ({survey.title})")
    res = compute_survey(survey, origin, destination, indicators=list(catalogue.values()), scheme=scheme, min_n=min_n,
                         engine=eng, period=survey.year, disaggregations=disaggregations)
    highlight = reg or ("CL-AN" if destination == "CHL" else None)
    say("disease burden (notification rates) and flows (UN DESA stock differencing, SERMIG permits)")
    added, added_sources = _burden_and_flows(origin, destination, highlight, rows)
    comunas = None
    if small_areas:
        comunas = small_areas_section.applies(origin, destination, highlight)
        if comunas:
            say("small-area (Fay-Herriot) estimates by comuna")
            added += small_areas_section.comuna_rows(scheme)
    table = pa.concat_tables([to_table(rows), res.table, to_table(added)])
    sources = list(agg.sources) + [{
        "id": "survey", "title": survey.title + (" — SYNTHETIC" if survey.synthetic and "SYNTHETIC" not in survey.title.upper() else ""),
        "publisher": survey.publisher or "—", "date": str(survey.year or "—"), "design": survey.design_text,
        "covers": "persons (microdata)", "synthetic": survey.synthetic,
        "taylor": survey.design_text.startswith("stratified cluster sample")}]
    say("assembling the profile")
    return Profile(origin=origin, destination=destination, region=reg, scheme=scheme, min_n=min_n, table=table,
                   catalogue=catalogue, sources=sources, survey_title=survey.title, survey_synthetic=survey.synthetic,
                   unavailable=res.unavailable, scans=res.scans, period=max(agg.years) if agg.years else None,
                   highlight=highlight, extra={"section_sources": added_sources, "small_areas": comunas,
                                             "calibration": calibration.summary() if calibration else None,
                                             "calibration_source": calibration.totals.source if calibration else None})


def _burden_and_flows(origin: str, destination: str, highlight: str | None,
                      aggregate_rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows and sources of the disease-burden and flows sections (empty where the data do not cover the corridor)."""
    rows: list[dict[str, Any]] = []
    sources: list[dict[str, Any]] = []
    if burden.applies(origin, destination, highlight):
        rows += burden.burden_rows()
        sources.append({"id": "demo_notifications", "title": "Notifications by nationality, sex and age, Antofagasta region, 2018-2022 — SYNTHETIC",
                        "publisher": "corridor demo data (scripts/make_synthetic_notifications.py)", "date": "2018-2022",
                        "design": "simulated counts", "covers": "3 diseases x sex x age x population group", "synthetic": True})
    try:
        rows += flows_section.undesa_rows(origin, destination)
    except CorridorError:
        pass  # a country absent from the UN DESA tables: the section shows what remains
    stocks = [r for r in aggregate_rows if r.get("indicator") == "migrant_stock" and r.get("population") == "corridor"
              and r.get("disaggregation") == "total" and r.get("estimate") is not None]
    rows += flows_section.stock_change_rows(stocks, destination)
    permits = flows_section.permit_rows(origin, destination)
    if permits:
        rows += permits
        sources.append({"id": "sermig_permits", "title": "Residence permits 2023 (temporary and permanent; requested and granted)",
                        "publisher": "SERMIG (Servicio Nacional de Migraciones, Chile)", "date": "2023",
                        "design": "administrative register", "covers": "2023, region x nationality x permit type x status",
                        "synthetic": False})
    return rows, sources


def _alpha2(iso3: str) -> str:
    import pycountry

    c = pycountry.countries.get(alpha_3=iso3)
    return c.alpha_2 if c else iso3[:2]


def indicator_table(profile: Profile, lang: str) -> pa.Table:
    """The tidy table with the indicator's name in ``lang`` as a second column."""
    names = [profile.catalogue[i].label(lang) if i in profile.catalogue else extra_label(i, lang) for i in profile.table.column("indicator").to_pylist()]
    return profile.table.add_column(1, "indicator_name", pa.array(names, pa.string()))


def write_tables(profile: Profile, out: Path, lang: str) -> dict[str, Path]:
    """The tidy indicator table as CSV, Parquet and JSON (records, with a metadata header)."""
    t = indicator_table(profile, lang)
    paths = {"csv": out / "indicators.csv", "parquet": out / "indicators.parquet", "json": out / "indicators.json"}
    pacsv.write_csv(t, paths["csv"])
    pq.write_table(t, paths["parquet"])
    meta = {"origin": profile.origin, "destination": profile.destination, "quality_scheme": profile.scheme,
            "min_n": profile.min_n, "synthetic_survey": profile.survey_synthetic, "sources": profile.sources,
            "section_sources": profile.extra.get("section_sources", [])}
    paths["json"].write_text(json.dumps({"metadata": meta, "data": t.to_pylist()}, ensure_ascii=False, default=str, indent=1),
                             encoding="utf-8")
    return paths


def write_profile(profile: Profile, out: str | Path, lang: str = "en", *, pdf: bool = True,
                  progress: Progress | None = None) -> dict[str, Path]:
    """Write ``profile.html``, ``profile.pdf`` and ``indicators.{csv,parquet,json}`` into ``out``."""
    from corridor.report.render import render_html

    say = progress or (lambda _m: None)
    check_lang(lang)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder {out}: {exc.strerror}", hint="choose a writable --out folder") from None
    say("drawing charts and writing the HTML page")
    html = render_html(profile, lang)
    paths = {"html": out / "profile.html"}
    paths["html"].write_text(html, encoding="utf-8")
    say("writing the indicator table (CSV, Parquet, JSON)")
    paths.update(write_tables(profile, out, lang))
    if pdf:
        say("writing the PDF")
        from weasyprint import HTML

        paths["pdf"] = out / "profile.pdf"
        HTML(string=html, base_url=str(out)).write_pdf(paths["pdf"])
    return paths
