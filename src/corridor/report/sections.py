"""Page context of the "disease burden", "flows" and "comunas" sections (tables, charts, notes) in one language."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_percent

from corridor.datasets import coverage
from corridor.report import burden, charts, comunas_section, flows_section
from corridor.report.locale import LOCALES, Locale, cite, messages
from corridor.report.profile import SECTIONS, Profile

SURVEY_TITLES = dict(SECTIONS)


def _percent(x: float, loc: Locale) -> str:
    return format_percent(x, locale=LOCALES[loc.lang])


def _cell(r: dict[str, Any] | None, loc: Locale, digits: int) -> dict[str, str]:
    """Value, interval and reason of one burden cell; a suppressed or missing cell shows "—" and why."""
    if r is None:
        return {"text": "…", "ci": "", "why": ""}
    if r.get("suppressed"):
        return {"text": "—", "ci": "", "why": loc.t("count_suppressed", min_count=burden.MIN_COUNT)}
    if r.get("estimate") is None:
        return {"text": "—", "ci": "", "why": loc.t("dsr_na")}
    ci = ""
    if r.get("ci_low") is not None and r.get("ci_high") is not None:
        ci = f"[{loc.num(r['ci_low'], digits)}; {loc.num(r['ci_high'], digits)}]"
    return {"text": loc.num(r["estimate"], digits), "ci": ci, "why": ""}


def burden_context(profile: Profile, loc: Locale, o_name: str) -> dict[str, Any] | None:
    """Table rows, rate-ratio chart and texts of the disease-burden section; None when it does not apply."""
    rows = [r for r in profile.rows(area=burden.REGION) if str(r["indicator"]).startswith("notification_")]
    if not rows:
        return None
    year = max(r["period"] for r in rows)
    diseases = messages(loc.lang)["diseases"]

    def one(ind: str, pop: str) -> dict[str, Any] | None:
        found = [r for r in rows if r["indicator"] == ind and r["population"] == pop]
        return found[0] if found else None

    lines, items = [], []
    for d in sorted({r["indicator"].rsplit("_", 1)[1] for r in rows}, key=lambda k: diseases.get(k, k)):
        name = diseases.get(d, d)
        lines.append({
            # a row heading starts with a capital ("Syphilis" below "VIH"); the name keeps the catalogue's case
            # where a sentence uses it ("rapport de taux : syphilis")
            "disease": d, "name": name, "heading": name[:1].upper() + name[1:],
            "groups": [{"label": loc.t("corridor", origin=o_name) if pop == "corridor" else loc.t("natives"),
                        "count": _cell(one(f"notification_count_{d}", pop), loc, 0),
                        "crude": _cell(one(f"notification_rate_{d}", pop), loc, 1),
                        "dsr": _cell(one(f"notification_dsr_{d}", pop), loc, 1)} for pop in ("corridor", "natives")],
            "rr_crude": _cell(one(f"notification_rate_ratio_{d}", "gap"), loc, 2),
            "rr_std": _cell(one(f"notification_dsr_ratio_{d}", "gap"), loc, 2),
        })
        for ind, kind in ((f"notification_rate_ratio_{d}", "rr_kind_crude"), (f"notification_dsr_ratio_{d}", "rr_kind_std")):
            r = one(ind, "gap")
            est = None if r is None or r.get("suppressed") else r.get("estimate")
            why = _cell(r, loc, 2)["why"]
            items.append((f"{name} ({loc.t(kind)})", est, r and r.get("ci_low"), r and r.get("ci_high"), why))
    region = loc.region(burden.REGION)
    chart = charts.ratio_chart(items, loc, loc.t("chart_rr", origin=o_name, year=year), loc.t("rr_axis"))
    return {"year": year, "region": region, "lines": lines, "chart": chart,
            "text": loc.t("sec_burden_text", origin=o_name, region=region, year=year),
            "note": loc.t("burden_note", min_count_less=burden.MIN_COUNT - 1), "source": loc.t("burden_source")}


def flows_context(profile: Profile, loc: Locale, o_name: str, d_name: str) -> dict[str, Any] | None:
    """Tables, flows chart and texts of the flows section; None when no flow row exists."""
    est = sorted(profile.rows(indicator="flow_estimate_stock_diff"), key=lambda r: r["period"])
    changes = sorted(profile.rows(indicator="stock_change"), key=lambda r: r["period"])
    permits = profile.rows(indicator="residence_permits")
    if not (est or changes or permits):
        return None
    levels = messages(loc.lang)["permit_levels"]
    undesa = [{"period": r["disaggregation_value"], "flow": loc.num(r["estimate"]),
               "ci": f"[{loc.num(r['ci_low'])}; {loc.num(r['ci_high'])}]",
               "stocks": r["note"].rsplit("stocks ", 1)[-1].replace("->", "→"), "raw": r} for r in est]
    for u in undesa:
        a, b = u["stocks"].split(" → ")
        u["stocks"] = f"{loc.num(float(a))} → {loc.num(float(b))}"
    chart = charts.flows_chart([(r["disaggregation_value"], r["estimate"], r["ci_low"], r["ci_high"]) for r in est], loc,
                               loc.t("chart_flows", origin=o_name, destination=d_name)) if est else ""
    rel = _percent(flows_section.REL_ERROR, loc)
    return {
        "undesa": undesa, "chart": chart,
        "undesa_note": loc.t("flows_undesa_note", origin=o_name, destination=d_name, n=loc.num(flows_section.RESAMPLES), rel=rel,
                             seed=flows_section.SEED),
        "undesa_source": est[0]["source"] if est else "",
        "changes": [{"period": r["disaggregation_value"], "change": loc.signed(r["estimate"], 0)} for r in changes],
        "changes_source": changes[0]["source"] if changes else "",
        "permits": [{"type": levels.get(r["level"].split("_")[0], r["level"]), "status": levels.get(r["level"].split("_")[1], r["level"]),
                     "count": loc.num(r["estimate"])} for r in permits],
        "permits_year": permits[0]["period"] if permits else None,
        # the source's name in the page's language (the table keeps the publisher's own wording)
        "permits_source": messages(loc.lang)["source_names"].get("sermig_permits", permits[0]["source"]) if permits else "",
        "text": loc.t("sec_flows_text", origin=o_name, destination=d_name),
    }


def calibration_context(profile: Profile, loc: Locale) -> dict[str, Any] | None:
    """The methods paragraph on calibrated survey weights, with the weights before and after."""
    cal = profile.extra.get("calibration")
    kept = profile.extra.get("calibration_kept") or []
    if not cal:
        return {"text": loc.t("calibration_kept", surveys=loc.t("list_sep").join(kept)), "rows": []} if kept else None
    b, a = cal["weights"]["before"], cal["weights"]["after"]
    rows = [{"label": loc.t("calibration_before"), "sum": loc.num(b["sum"]), "min": loc.num(b["min"], 2),
             "max": loc.num(b["max"], 2), "g": "1", "cv": "0"},
            {"label": loc.t("calibration_after"), "sum": loc.num(a["sum"]), "min": loc.num(a["min"], 2),
             "max": loc.num(a["max"], 2), "g": f"{loc.num(a['g_min'], 3)} – {loc.num(a['g_max'], 3)}",
             "cv": loc.num(a["g_cv"], 3)}]
    text = loc.t("methods_calibration_text", source=profile.extra.get("calibration_source") or "",
                 method=loc.t(f"calibration_method_{cal['method']}"), n=cal["iterations"])
    if len(profile.extra.get("calibration_sources") or []) > 1:  # the table shows the first survey's weights
        text += " " + loc.t("calibration_surveys", surveys=loc.t("list_sep").join(profile.extra["calibration_sources"]))
    if kept:
        text += " " + loc.t("calibration_kept", surveys=loc.t("list_sep").join(kept))
    return {"text": text, "rows": rows}


def methods_context(profile: Profile, loc: Locale) -> dict[str, str]:
    """Methods paragraphs of the new sections (only for the sections present)."""
    out = {}
    if any(str(i).startswith("notification_") for i in profile.table.column("indicator").to_pylist()):
        out["burden"] = loc.t("methods_burden_text", min_count_less=burden.MIN_COUNT - 1)
    if profile.rows(indicator="flow_estimate_stock_diff"):
        out["flows"] = loc.t("methods_flows_text", n=loc.num(flows_section.RESAMPLES), rel=_percent(flows_section.REL_ERROR, loc),
                             seed=flows_section.SEED)
    return out


def comunas_context(profile: Profile, loc: Locale, o_name: str) -> dict[str, Any] | None:
    """The comuna table of the highlighted region (census 2017 counts, CASEN 2022 shares); None without rows."""
    rows = [r for r in profile.table.to_pylist() if r["disaggregation"] == "comuna" and r["source_kind"] == "aggregate"]
    if not rows or not profile.highlight:
        return None
    cell = {(r["indicator"], r["population"], r["level"], r["period"], r["disaggregation_value"]): r.get("estimate") for r in rows}
    has_corridor = any(k[1] == "corridor" for k in cell)
    census = coverage.get(comunas_section.CENSUS_ID).periods[-1]
    casen = coverage.get(comunas_section.CASEN_ID).periods[-1]
    # (indicator, population, level, period, digits, unit, heading)
    cols = [("population_share", "migrants", None, census, 1, "%", loc.t("com_born_abroad_share", year=census)),
            ("population_share", "migrants", None, casen, 1, "%", loc.t("com_foreign_nationals", year=casen)),
            ("health_insurance_coverage", "total", "public", casen, 1, "%", loc.t("com_fonasa", year=casen)),
            ("health_insurance_coverage", "total", "private", casen, 1, "%", loc.t("com_isapre", year=casen)),
            ("income_poverty_rate", "total", None, casen, 1, "%", loc.t("com_poverty", year=casen))]
    if has_corridor:
        cols = [("migrant_stock", "corridor", None, census, 0, "", loc.t("com_born_origin", origin=o_name, year=census)),
                ("population_share", "corridor", None, census, 1, "%",
                 loc.t("com_born_origin_share", origin=o_name, year=census)), *cols]
    names = profile.extra.get("comuna_names", {})
    codes = sorted({r["disaggregation_value"] for r in rows}, key=lambda c: int(c) if c.isdigit() else 0)

    def text(v: float | None, digits: int, unit: str) -> str:
        return loc.pct(v, digits) if unit == "%" else loc.num(v, digits)

    lines = [{"code": code, "name": names.get(code, code),
              "cells": [text(cell.get((ind, pop, lv, per, code)), dg, unit) for ind, pop, lv, per, dg, unit, _ in cols]}
             for code in codes]
    region = loc.region(profile.highlight)
    lacking = next((c.get("lacking", []) for c in profile.coverage if c["section"] == "comunas"), [])
    return {"region": region, "heads": [c[6] for c in cols], "lines": lines,
            "not_identified": comunas_section.CENSUS_ID in lacking, "text": loc.t("sec_comunas_text", region=region),
            "sources": [cite(s, loc) for c in profile.coverage if c["section"] == "comunas" for s in c["sources"]]}
