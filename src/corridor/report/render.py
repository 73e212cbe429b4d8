"""Render a :class:`~corridor.report.profile.Profile` as one self-contained HTML page (Jinja2, inline SVG)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, select_autoescape
from jinja2.bccache import Bucket

from corridor._deps import cache_folder
from corridor.quality.explain import reason_text
from corridor.report import charts, small_areas_section
from corridor.report import sections as sections_extra
from corridor.report.locale import Locale, cite, messages, typeset
from corridor.report.profile import Profile
from corridor.report.survey_sections import survey_sections

_TEMPLATES = Path(__file__).resolve().parent / "templates"
AGES = ["0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54", "55-59",
        "60-64", "65-69", "70-74", "75-79", "80+"]
POPS = ("corridor", "migrants", "natives")


def _version() -> str:
    try:
        return version("corridor")
    except PackageNotFoundError:
        return "dev"


class _Bytecode(FileSystemBytecodeCache):
    """Compiled templates kept on disk; one that cannot be written is skipped."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


@cache
def _env() -> Environment:
    # compiling the templates costs 0.3 s: once per process, and their code is kept on disk for the
    # next (Jinja keys it by the template's source, so an edited template compiles again)
    folder = cache_folder()
    bytecode = None
    if folder is not None:
        try:
            (folder / "templates").mkdir(parents=True, exist_ok=True)
            bytecode = _Bytecode(str(folder / "templates"))
        except OSError:
            pass  # a cache that cannot be written is skipped
    return Environment(loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True, bytecode_cache=bytecode)


def _one(profile: Profile, **match: Any) -> dict[str, Any] | None:
    rows = profile.rows(**match)
    return rows[0] if rows else None


def _value(r: dict[str, Any] | None) -> float | None:
    return None if r is None else r.get("estimate")


class _Fmt:
    """Cell formatting by unit, in one language."""

    def __init__(self, loc: Locale) -> None:
        self.loc = loc

    def value(self, x: float | None, unit: str, gap: bool = False) -> str:
        digits = {"percent": 1, "years": 1, "currency_month": 0, "persons": 0, "males_per_100_females": 1}.get(unit, 1)
        if gap:
            s = self.loc.signed(x, digits)
            return s + (" " + self.loc.t("unit_pp") if unit == "percent" and x is not None else "")
        return self.loc.pct(x, digits) if unit == "percent" else self.loc.num(x, digits)

    def cell(self, r: dict[str, Any] | None, unit: str, gap: bool = False) -> dict[str, Any]:
        """Value, interval, sample size and CV, quality label and the rule that decided it; "—" and why if suppressed."""
        if r is None or r.get("status") != "ok":
            return {"text": "…", "ci": "", "quality": "", "qclass": "na", "suppressed": False, "status": "na", "detail": "", "why": ""}
        if r.get("suppressed"):
            return {"text": "—", "ci": "", "quality": self.loc.suppression(r.get("suppression_reason")), "qclass": "suppressed",
                    "suppressed": True, "status": "ok", "detail": "", "why": ""}
        ci = ""
        if r.get("ci_low") is not None and r.get("ci_high") is not None:
            digits = 0 if unit in ("currency_month", "persons") else 1
            show = self.loc.signed if gap else self.loc.num
            ci = f"[{show(r['ci_low'], digits)}; {show(r['ci_high'], digits)}]"
        q = r.get("quality")
        survey = r.get("source_kind") == "survey"
        detail = []
        if survey and not gap and r.get("n") is not None:
            detail.append(f"n = {self.loc.num(r['n'])}")
        if survey and not gap and r.get("cv") is not None:
            detail.append(self.loc.t("cv_short", cv=self.loc.pct(100 * abs(r["cv"]), 1)))
        why = r.get("quality_reason") if survey and q not in (None, "reliable", "significant", "not_significant") else ""
        return {"text": self.value(r.get("estimate"), unit, gap), "ci": ci, "quality": self.loc.quality(q) if survey else "",
                "criteria": self.loc.criteria(r) if survey else "",
                "qclass": (q or "none").replace("_", "-"), "suppressed": False, "status": "ok", "detail": " · ".join(detail),
                "why": reason_text(why, self.loc.lang)}


def _currency(iso3: str) -> str:
    """The destination's currency (ISO 4217, from CLDR territory data)."""
    import pycountry
    from babel.numbers import get_territory_currencies

    c = pycountry.countries.get(alpha_3=iso3)
    found = get_territory_currencies(c.alpha_2) if c else []
    return found[0] if found else ""


def _coverage_context(profile: Profile, loc: Locale, o_name: str, d_name: str) -> list[dict[str, Any]]:
    """One line per section: its sources, real / synthetic / none, and the sources that lack the corridor."""
    titles = {"stock": "sec_stock", "regions": "sec_regions", "who": "sec_who", "comunas": "sec_comunas",
              "burden": "sec_burden", "flows": "sec_flows", **sections_extra.SURVEY_TITLES}
    survey = {s["id"]: s for s in profile.sources}
    out = []
    for c in profile.coverage:
        cites = [cite(sid, loc, title=survey.get(sid, {}).get("title"), publisher=survey.get(sid, {}).get("publisher"),
                      synthetic=bool(survey.get(sid, {}).get("synthetic"))) for sid in c["sources"]]
        lacking = [loc.t("lacking_origin" if why == "origin" else "lacking_area", source=cite(sid, loc)["name"] or sid,
                         origin=o_name, region=loc.region(profile.highlight) if profile.highlight else d_name)
                   for sid, why in c.get("lacking_why", {}).items()]
        status = {"real": loc.t("coverage_real"), "synthetic": loc.t("synthetic_short").upper(),
                  "none": loc.t("coverage_none", origin=o_name, destination=d_name)}[c["status"]]
        out.append({"section": c["section"], "title": loc.t(titles[c["section"]]), "status": c["status"],
                    "status_text": status, "sources": cites, "lacking": lacking})
    return out


def _regions_total(rows: list[dict[str, Any]], stock: float | None, loc: Locale, o_name: str) -> dict[str, Any] | None:
    """The regional table's closing rows: the people whose region is not recorded (the national stock minus
    the regions' sum) and the total, so that the column of shares adds up to the headline figure."""
    if stock is None or not rows:
        return None
    known = sum(r["stock"] or 0 for r in rows)
    unknown = stock - known
    return {"unknown": unknown if unknown > 0.5 else None, "unknown_share": 100 * unknown / stock if stock else None,
            "total": stock,
            "note": loc.t("regions_unknown_note", unknown=loc.num(unknown), total=loc.num(stock), origin=o_name)
            if unknown > 0.5 else ""}


def render_html(profile: Profile, lang: str) -> str:
    """The profile as one self-contained HTML page in ``lang``."""
    loc = Locale(lang)
    fmt = _Fmt(loc)
    o_name, d_name = loc.country(profile.origin), loc.country(profile.destination)
    year = profile.period
    undesa = sorted((r["period"], r["estimate"]) for r in profile.rows(indicator="migrant_stock", population="corridor", disaggregation="total")
                    if r["source"].startswith("UN DESA"))
    sermig = sorted((r["period"], r["estimate"]) for r in profile.rows(indicator="migrant_stock", population="corridor", disaggregation="total")
                    if not r["source"].startswith("UN DESA"))
    stock = _value(_one(profile, indicator="migrant_stock", population="corridor", disaggregation="total", period=year)) if year else None
    stock_all = _value(_one(profile, indicator="migrant_stock", population="migrants", disaggregation="total", period=year)) if year else None
    hl = profile.highlight
    hl_name = loc.region(hl) if hl else None
    stock_region = _value(_one(profile, indicator="migrant_stock", population="corridor", disaggregation="region", disaggregation_value=hl)) if hl else None
    share = _value(_one(profile, indicator="population_share", population="corridor", disaggregation="total", period=year))
    med = {p: _value(_one(profile, indicator="median_age", population=p, disaggregation="total")) for p in POPS}
    sexr = {p: _value(_one(profile, indicator="sex_ratio", population=p, disaggregation="total")) for p in POPS}
    last_undesa = undesa[-1] if undesa else None

    key = []
    if stock is not None:
        key.append({"id": "stock", "value": loc.num(stock), "label": loc.t("kf_stock", origin=o_name, destination=d_name, year=year)})
    if stock_region is not None:
        key.append({"id": "stock-region", "value": loc.num(stock_region), "label": loc.t("kf_region", region=hl_name, year=year)})
    if share is not None:
        key.append({"id": "share", "value": loc.pct(share, 2), "label": loc.t("kf_share", destination=d_name)})
    if stock and stock_all:
        key.append({"id": "share-foreign", "value": loc.pct(100 * stock / stock_all, 1), "label": loc.t("kf_share_foreign")})
    if last_undesa:
        key.append({"id": "undesa", "value": loc.num(last_undesa[1]), "label": loc.t("kf_undesa", origin=o_name, destination=d_name, year=last_undesa[0])})
    if med["corridor"] is not None:
        key.append({"id": "median-age", "value": loc.num(med["corridor"], 1), "label": loc.t("kf_median_age", natives=loc.num(med["natives"], 1))})
    if sexr["corridor"] is not None:
        key.append({"id": "sex-ratio", "value": loc.num(sexr["corridor"], 1), "label": loc.t("kf_sex_ratio", natives=loc.num(sexr["natives"], 1))})

    trend_svg = charts.trend_chart(sermig, undesa, loc, loc.t("chart_trend", origin=o_name, destination=d_name),
                                   labels=(loc.t("series_sermig", origin=o_name), loc.t("series_undesa", origin=o_name))
                                   ) if (sermig or undesa) else ""
    # both series in one table, by year (UN DESA's 2019 next to INE/SERMIG's, each named)
    trend_rows = sorted([(y, v, "INE/SERMIG") for y, v in sermig] + [(y, v, "UN DESA") for y, v in undesa],
                        key=lambda r: (r[0], r[2] != "UN DESA"))
    region_rows = []
    for r in profile.rows(indicator="migrant_stock", population="corridor", disaggregation="region"):
        code = r["disaggregation_value"]
        region_rows.append({"code": code, "name": loc.region(code), "stock": r["estimate"],
                            "share_pop": _value(_one(profile, indicator="population_share", population="corridor", disaggregation="region", disaggregation_value=code)),
                            "share_group": _value(_one(profile, indicator="regional_distribution", population="corridor", disaggregation="region", disaggregation_value=code))})
    region_rows.sort(key=lambda r: -(r["stock"] or 0))
    region_total = _regions_total(region_rows, stock, loc, o_name)
    region_svg = charts.region_chart([(r["code"], r["name"], r["stock"]) for r in region_rows], hl, loc,
                                     loc.t("chart_regions", origin=o_name, destination=d_name, year=year)) if region_rows else ""
    pyr = {p: {(r["disaggregation_value"], r["level"]): r["estimate"] for r in profile.rows(indicator="age_structure", population=p)}
           for p in ("corridor", "natives")}
    pyramid_svg = charts.pyramid_chart(AGES, pyr["corridor"], pyr["natives"], loc, loc.t("chart_pyramid", year=year, origin=o_name),
                                       loc.t("corridor", origin=o_name)) if pyr["corridor"] else ""
    who = []
    for ind_id in ("migrant_stock", "sex_ratio", "median_age"):
        ind = profile.catalogue.get(ind_id)
        if ind is None:
            continue
        cells = {p: fmt.cell(_one(profile, indicator=ind_id, population=p, disaggregation="total", period=year), ind.unit) for p in POPS}
        gap = _one(profile, indicator=ind_id, population="gap", disaggregation="total")
        cells["gap"] = fmt.cell(gap, ind.unit, gap=True) if gap else {"text": "", "ci": "", "quality": "", "qclass": "na"}
        who.append({"label": ind.label(lang), "cells": cells})
    sections = survey_sections(profile, loc, fmt.cell, o_name, d_name, _currency(profile.destination))
    by_source = profile.extra.get("unavailable_sources", {})
    titles = {s["id"]: s["title"] for s in profile.sources}

    def named(sid: str) -> str:
        c = cite(sid, loc, title=titles.get(sid))
        return c["title"] or c["name"] or sid

    msgs = messages(lang)
    unavailable = [{"label": profile.catalogue[i].label(lang),
                    "text": loc.t("not_available", source=loc.t("list_sep").join(named(s) for s in by_source.get(i, []))
                                  or profile.survey_title or "—",
                                  concepts=", ".join(msgs["concepts"].get(x, x) for x in c))}
                   for i, c in profile.unavailable.items()]
    unavailable += [{"label": profile.catalogue[i].label(lang), "text": loc.t("not_covered", origin=o_name, destination=d_name)}
                    for i in profile.extra.get("uncovered", [])]
    scheme_text = loc.t(f"scheme_{profile.scheme}")
    designs = msgs["source_design"]
    sources = [{**s, "cite": cite(s["id"], loc, title=s["title"], publisher=s.get("publisher"), synthetic=bool(s.get("synthetic"))),
                "design": designs.get(s["id"]) or (designs["survey"] if s.get("taylor") else s["design"]),
                "covers": msgs["source_covers"].get(s["id"], s["covers"])}
               for s in profile.sources + profile.extra.get("section_sources", [])]
    cov = _coverage_context(profile, loc, o_name, d_name)
    synthetic_titles = [c["title"] for c in cov if c["status"] == "synthetic"]
    definitions = [{"id": i.id, "name": i.label(lang), "definition": typeset(i.describe(lang), lang),
                    "standard": msgs["standards"].get(i.id, i.standard),
                    "sdg": ", ".join(i.sdg), "sdg_note": i.sdg_note or ""} for i in profile.catalogue.values()]
    src = {
        "sermig": "INE/SERMIG, Estimación de personas extranjeras residentes habituales en Chile al 31.12.2022",
        "undesa": "UN DESA, International Migrant Stock 2019",
        "proj": "INE, Proyecciones de población (base 2017)",
    }
    ctx = {
        "lang": lang, "t": loc.t, "loc": loc, "o": o_name, "d": d_name, "year": year, "key": key, "trend_svg": trend_svg, "region_svg": region_svg,
        "pyramid_svg": pyramid_svg, "region_rows": region_rows, "region_total": region_total, "trend_rows": trend_rows, "hl": hl, "hl_name": hl_name, "who": who, "sections": sections,
        "unavailable": unavailable, "scheme_text": scheme_text, "definitions": definitions, "sources": sources, "src": src,
        "synthetic": bool(synthetic_titles), "synthetic_sections": ", ".join(synthetic_titles), "coverage": cov,
        "comunas": sections_extra.comunas_context(profile, loc, o_name),
        "min_n": profile.min_n, "version": _version(), "today": loc.today(),
        "scans": profile.scans, "sermig_rows": sermig, "undesa_rows": undesa,
        "burden": sections_extra.burden_context(profile, loc, o_name),
        "flows": sections_extra.flows_context(profile, loc, o_name, d_name),
        "methods_extra": sections_extra.methods_context(profile, loc),
        "calibration": sections_extra.calibration_context(profile, loc),
        # None: not asked; False: asked, but no shipped data cover this corridor and region
        "small_areas": (small_areas_section.comunas_context(loc, o_name, profile.scheme)
                        if profile.extra.get("small_areas") else profile.extra.get("small_areas")),
        "small_areas_missing": small_areas_section.not_covered(loc, o_name, hl_name),
    }
    return _env().get_template("profile.html.j2").render(**ctx)
