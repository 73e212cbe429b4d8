"""The corridor profile: indicators from aggregate and survey sources, assembled into HTML, PDF and tables.

``build_profile`` computes (official aggregates for stocks, trends, regions and age-sex
structure; survey indicators with gaps, quality labels and disclosure control; comuna context
from published aggregates); ``write_profile`` renders a self-contained HTML page (inline SVG
charts, Jinja2), a PDF (WeasyPrint) and the tidy indicator table (CSV, Parquet, JSON) in one
language.

Which source feeds which section is data: the coverage registry
(:mod:`corridor.datasets.coverage`) names, for the corridor, the real sources of each section
and, only where none exists, a synthetic one; sections no source covers are stated as such.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from corridor.datasets import coverage
from corridor.engine import Engine, get_engine
from corridor.errors import CorridorError, InputError
from corridor.i18n import Message
from corridor.indicators import (
    Indicator,
    SurveySource,
    compute_aggregates,
    compute_survey,
    load,
    load_aggregates,
    load_survey,
)
from corridor.indicators.survey import calibrated
from corridor.indicators.table import to_table
from corridor.report import burden, comunas_section, flows_section, small_areas_section

# called with each step's message (a catalogue Message: the command line prints it in the language of
# messages, the service keeps it as data and shows it in each reader's language)
Progress = Callable[[Message], None]
SCHEMES = ("chile", "eclac_2023")
SECTIONS = {"labour": "sec_labour", "health": "sec_health", "poverty": "sec_poverty", "migration": "sec_migration"}
SURVEY_SECTIONS = ("migration", "labour", "health", "poverty")


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
    # per section of the page: the sources feeding it (ids), whether they are real, synthetic or
    # none, and the destination's sources that do not identify the corridor (coverage registry)
    coverage: list[dict[str, Any]] = field(default_factory=list)

    @property
    def synthetic_sections(self) -> list[str]:
        """The sections that still run on synthetic data."""
        return [c["section"] for c in self.coverage if c["status"] == "synthetic"]

    def rows(self, **match: Any) -> list[dict[str, Any]]:
        """Rows of the table whose columns equal ``match``.

        The page asks a few hundred times by a handful of column sets: each set gets an index
        (values -> rows, in table order) the first time it is asked, so later asks are lookups
        instead of a pass over every row.
        """
        rows = self._pylist
        if not match:
            return list(rows)
        keys = tuple(sorted(match))
        want = tuple(match[k] for k in keys)
        if any(isinstance(v, float) and math.isnan(v) for v in want):
            return []  # NaN equals nothing, as in a comparison
        indexes: dict[tuple[str, ...], dict[tuple[Any, ...], list[dict[str, Any]]]] = self.extra.setdefault("_index", {})
        try:
            index = indexes.get(keys)
            if index is None:
                index = {}
                for r in rows:
                    index.setdefault(tuple(r.get(k) for k in keys), []).append(r)
                indexes[keys] = index
            return list(index.get(want, ()))
        except TypeError:  # an unhashable value (a list column, say): compare row by row
            return [r for r in rows if all(r.get(k) == v for k, v in match.items())]

    @property
    def _pylist(self) -> list[dict[str, Any]]:
        if "_rows" not in self.extra:
            self.extra["_rows"] = self.table.to_pylist()
        return self.extra["_rows"]


def _code(text: str, what: str, length: int | None = None) -> str:
    import pycountry

    t = (text or "").strip().upper()
    hint = Message("profile.errors.code.hint")
    if not t or (length and len(t) != length) or not t.replace("-", "").isalnum():
        raise InputError(Message(f"profile.errors.not_iso.{what}", value=repr(text)), hint=hint)
    known = pycountry.countries.get(alpha_3=t) if length == 3 else pycountry.subdivisions.get(code=t)
    if known is None:
        kind = "country" if length == 3 else "region"
        raise InputError(Message(f"profile.errors.not_{kind}_code.{what}", value=repr(text)), hint=hint)
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
        data: the survey microdata for every survey section: a harmonization spec (name or YAML) or a
            canonical CSV/Parquet file; ``None`` uses the sources the coverage registry names for the
            corridor (real ones, and the shipped SYNTHETIC sample only for sections no real one feeds).
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
        raise InputError(Message("profile.errors.same_countries", code=origin), hint=Message("profile.errors.same_countries.hint"))
    reg = _code(region, "region") if region else None
    if scheme not in SCHEMES:
        raise InputError(Message("profile.errors.scheme", scheme=repr(scheme)),
                         hint=Message("profile.errors.scheme.hint", schemes=", ".join(SCHEMES)))
    if min_n < 1:
        raise InputError(Message("profile.errors.min_n", min_n=min_n), hint=Message("profile.errors.min_n.hint"))
    if reg and not reg.startswith(destination[:2]) and not reg.startswith(_alpha2(destination)):
        raise InputError(Message("profile.errors.region_elsewhere", region=reg, destination=destination),
                         hint=Message("profile.errors.region_elsewhere.hint"))
    catalogue = load()
    eng = get_engine(engine)
    highlight = reg or coverage.default_region(destination)
    plan = coverage.plan(origin, destination, area=highlight)
    say(Message("profile.progress.aggregates"))
    agg = load_aggregates(origin, destination)
    rows = compute_aggregates(agg, indicators=list(catalogue.values()))
    say(Message("profile.progress.microdata"))
    # harmonized on the engine's DuckDB connection (its memory limit covers the surveys' scans); on Spark
    # the engine reads the harmonized rows from a Parquet file DuckDB writes (docs/design.md)
    runs = _survey_runs(plan, data, destination, engine=eng)
    calibrations, kept_weights = [], []
    if calibrate is not None:
        say(Message("profile.progress.calibrating"))
        own = {e.id for e in coverage.registry() if not e.calibrate} if data is None else set()
        for k, (src, secs) in enumerate(runs):
            if src.name in own:
                kept_weights.append(src.title)
                continue
            src, cal = calibrated(src, calibrate, engine=eng)
            runs[k] = (src, secs)
            calibrations.append((src, cal))
    names = [Message("profile.progress.synthetic_source", name=src.name) if src.synthetic else src.name for src, _ in runs]
    # a list holding a Message renders item by item; plain names are joined here
    say(Message("profile.progress.estimating",
                sources=names if any(isinstance(n, Message) for n in names) else ", ".join(names))
        if runs else Message("profile.progress.no_microdata"))
    tables, survey_sources, scans = [], [], 0
    produced: set[str] = set()
    lacking: dict[str, dict[str, list[str]]] = {}
    for src, sections in runs:
        inds = [i for i in catalogue.values() if i.source == "survey" and i.domain in sections]
        res = compute_survey(src, origin, destination, indicators=inds, scheme=scheme, min_n=min_n, engine=eng,
                             period=src.year, disaggregations=disaggregations)
        tables.append(res.table)
        scans += res.scans
        produced |= {i.id for i in inds if i.id not in res.unavailable}
        for ind_id, concepts in res.unavailable.items():
            lacking.setdefault(ind_id, {})[src.name] = concepts
        survey_sources.append(_survey_source_row(src, sections))
    unavailable = {i: sorted({c for cs in by_src.values() for c in cs}) for i, by_src in lacking.items() if i not in produced}
    uncovered = [i.id for i in catalogue.values() if i.source == "survey" and i.id not in produced and i.id not in unavailable]
    say(Message("profile.progress.burden_flows"))
    added, added_sources = _burden_and_flows(origin, destination, highlight, rows)
    comunas = None
    if small_areas:
        comunas = small_areas_section.applies(origin, destination, highlight)
        if comunas:
            say(Message("profile.progress.small_areas"))
            added += small_areas_section.comuna_rows(scheme)
    comuna, comuna_names = comunas_section.comuna_rows(origin, destination, highlight, plan["comunas"])
    table = pa.concat_tables([to_table(rows), *tables, to_table(added + comuna)])
    say(Message("profile.progress.assembling"))
    sections_cov = _coverage_rows(origin, destination, highlight, plan, runs, data is not None)
    synthetic_survey = any(src.synthetic for src, _ in runs)
    return Profile(origin=origin, destination=destination, region=reg, scheme=scheme, min_n=min_n, table=table,
                   catalogue=catalogue, sources=list(agg.sources) + survey_sources,
                   survey_title="; ".join(src.title for src, _ in runs) or None, survey_synthetic=synthetic_survey,
                   unavailable=unavailable, scans=scans, period=max(agg.years) if agg.years else None,
                   highlight=highlight, coverage=sections_cov,
                   extra={"section_sources": added_sources + _comuna_sources(plan["comunas"]),
                          "unavailable_sources": {i: list(lacking[i]) for i in unavailable},
                          "uncovered": uncovered, "comuna_names": comuna_names, "small_areas": comunas,
                          "calibration": calibrations[0][1].summary() if calibrations else None,
                          "calibration_source": calibrations[0][1].totals.source if calibrations else None,
                          "calibration_sources": [src.title for src, _ in calibrations],
                          "calibration_kept": kept_weights})


def _survey_runs(plan: dict[str, list[coverage.Coverage]], data: str | Path | None,
                 destination: str, engine: Engine | None = None) -> list[tuple[SurveySource, tuple[str, ...]]]:
    """The survey sources to estimate from, each with the sections it feeds.

    ``data`` (the user's microdata) feeds every survey section; otherwise the registry's survey
    sources feed the sections the plan gives them (real ones, a synthetic one only where no real
    source covers the section).
    """
    if data is not None:
        survey = load_survey(data, engine=engine)
        if survey.country and survey.country != destination:
            raise InputError(Message("profile.errors.survey_country", survey=repr(survey.name), country=survey.country,
                                     destination=destination),
                             hint=Message("profile.errors.survey_country.hint", country=survey.country,
                                          destination=destination))
        return [(survey, SURVEY_SECTIONS)]
    feeds: dict[str, list[str]] = {}
    entries: dict[str, coverage.Coverage] = {}
    for section in SURVEY_SECTIONS:
        for e in plan[section]:
            if e.kind == "survey":
                feeds.setdefault(e.id, []).append(section)
                entries[e.id] = e
    return [(load_survey(coverage.spec_path(entries[sid]), engine=engine), tuple(secs)) for sid, secs in feeds.items()]


def _survey_source_row(src: SurveySource, sections: tuple[str, ...]) -> dict[str, Any]:
    title = src.title + (" — SYNTHETIC" if src.synthetic and "SYNTHETIC" not in src.title.upper() else "")
    return {"id": src.name, "title": title, "publisher": src.publisher or "—", "date": str(src.year or "—"),
            "design": src.design_text, "covers": "persons (microdata)", "synthetic": src.synthetic,
            "taylor": src.design_text.startswith("stratified cluster sample"), "sections": list(sections),
            "basis": src.basis}


def _comuna_sources(entries: list[coverage.Coverage]) -> list[dict[str, Any]]:
    return [{"id": e.id, "title": e.title or e.id, "publisher": e.publisher, "date": ", ".join(map(str, e.periods)),
             "design": "published aggregate, no standard errors", "covers": "comunas", "synthetic": e.synthetic,
             "title_lang": e.title_lang} for e in entries]


def _coverage_rows(origin: str, destination: str, highlight: str | None, plan: dict[str, list[coverage.Coverage]],
                   runs: list[tuple[SurveySource, tuple[str, ...]]], user_data: bool) -> list[dict[str, Any]]:
    """Per section: the sources that feed it, real / synthetic / none, and the sources that lack the corridor."""
    gaps = coverage.gaps(origin, destination, area=highlight)
    out = []
    for section in coverage.sections():
        entries = plan[section]
        if user_data and section in SURVEY_SECTIONS:
            ids = [src.name for src, secs in runs if section in secs]
            synthetic = any(src.synthetic for src, secs in runs if section in secs)
        else:
            ids = [e.id for e in entries]
            synthetic = any(e.synthetic for e in entries)
        status = "none" if not ids else "synthetic" if synthetic else "real"
        lacking = {e.id: "origin" if not e.identifies(origin) else "area" for e in gaps[section]}
        out.append({"section": section, "status": status, "sources": ids, "lacking": list(lacking), "lacking_why": lacking})
    return out


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

