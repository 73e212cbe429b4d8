"""Page context of the survey sections (migration history, labour market, health, poverty).

One table per area (the destination, then the highlighted region): rows are indicator (x level)
x group (the corridor's people, all migrants, natives, the gap corridor − natives), columns are
the periods of the section's sources side by side (ENUSC 2019 and 2020 for the labour market).
Every cell shows the estimate, its 95% interval, the sample size n, the coefficient of variation
and the quality label with the rule that decided it, or "—" with the reason it is suppressed. A
sentence per area says plainly how many of the corridor's cells are suppressed or non-reliable.
Sections whose coverage status is ``synthetic`` carry the synthetic banner; the others do not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from corridor.report import charts
from corridor.report.locale import Locale, cite, messages
from corridor.report.profile import SECTIONS, SURVEY_SECTIONS, Profile

POPS = ("corridor", "migrants", "natives", "gap")
Key = tuple[str, str, str, str, str | None, int | None]


def _index(profile: Profile) -> dict[Key, dict[str, Any]]:
    """Survey rows by (indicator, population, disaggregation, value, level, period), built once per page."""
    out: dict[Key, dict[str, Any]] = {}
    for r in profile.table.to_pylist():
        if r["source_kind"] == "survey":
            out[(r["indicator"], r["population"], r["disaggregation"], r["disaggregation_value"], r["level"], r["period"])] = r
    return out


def _group_labels(loc: Locale, basis: str | None, o_name: str, d_name: str) -> dict[str, str]:
    """Names of the four groups; by nationality when the sources record citizenship, not birthplace."""
    if basis == "citizenship":
        return {"corridor": loc.t("group_nationals", country=o_name), "migrants": loc.t("group_foreign_nationals"),
                "natives": loc.t("group_nationals", country=d_name), "gap": loc.t("group_gap_nationals", origin=o_name,
                                                                                   destination=d_name)}
    return {"corridor": loc.t("corridor", origin=o_name), "migrants": loc.t("migrants"), "natives": loc.t("natives"),
            "gap": loc.t("gap_long")}


def _plain(loc: Locale, cells: list[dict[str, Any]], group: str, area: str, min_n: int) -> str:
    """One sentence on the corridor's cells of one area: how many suppressed, non-reliable, weakly reliable."""
    shown = [c for c in cells if c.get("status") == "ok"]
    if not shown:
        return ""
    count = {k: sum(1 for c in shown if c["qclass"] == k) for k in ("suppressed", "non-reliable", "weakly-reliable", "reliable")}
    if count["suppressed"] == len(shown):
        return loc.t("plain_all_suppressed", group=group, area=area, min_n=min_n)
    return loc.t("plain_cells", group=group, area=area, total=len(shown), suppressed=count["suppressed"],
                 non_reliable=count["non-reliable"], weakly=count["weakly-reliable"], reliable=count["reliable"])


def survey_sections(profile: Profile, loc: Locale, cell: Callable[..., dict[str, Any]], o_name: str, d_name: str,
                    currency: str) -> list[dict[str, Any]]:
    """The context of each survey section that has rows; ``cell(row, unit, gap=...)`` formats one cell."""
    idx = _index(profile)
    lv = messages(loc.lang)["levels"]
    sources = {s["id"]: s for s in profile.sources}
    status = {c["section"]: c for c in profile.coverage}
    hl = profile.highlight
    out = []
    for domain in SURVEY_SECTIONS:
        inds = [i for i in profile.catalogue.values() if i.source == "survey" and i.domain == domain and i.id not in profile.unavailable]
        ids = {i.id for i in inds}
        periods = sorted({k[5] for k in idx if k[0] in ids and k[5] is not None})
        if not periods:
            continue
        feeding = [{**sources[s], "cite": cite(s, loc, title=sources[s]["title"], publisher=sources[s].get("publisher"),
                                                synthetic=bool(sources[s].get("synthetic")))}
                   for s in (status.get(domain) or {}).get("sources", []) if s in sources]
        bases = {s.get("basis") for s in feeding}
        groups = _group_labels(loc, bases.pop() if len(bases) == 1 else None, o_name, d_name)
        areas = [(d_name, "total", "_T")]
        if hl and any(k[2] == "region" and k[3] == hl and k[0] in ids for k in idx):
            areas.append((loc.region(hl), "region", hl))
        tables = []
        for area_name, dis, dv in areas:
            lines, wide, corridor_cells = [], [], []
            for ind in inds:
                for level in list(ind.levels) or [None]:
                    label = row_label(ind, loc, level and lv.get(level, level), currency)
                    pops = [p for p in POPS if (p in ind.populations) or (p == "gap" and "natives" in ind.populations)]
                    by_pop = {}
                    for k, pop in enumerate(pops):
                        rows = [idx.get((ind.id, pop, dis, dv, level, per)) for per in periods]
                        cells = [cell(r, ind.unit, gap=(pop == "gap")) for r in rows]
                        by_pop[pop] = cells[-1]
                        if pop == "corridor":
                            corridor_cells += [c for c in cells if c["status"] == "ok"]
                        lines.append({"id": ind.id, "label": label if k == 0 else "", "span": len(pops) if k == 0 else 0,
                                      "group": groups[pop], "population": pop, "cells": cells})
                    # one period: the groups as columns, one row per indicator
                    wide.append({"id": ind.id, "label": label, "cells": by_pop})
            tables.append({"area": area_name, "region": dis == "region",
                           "id": f"table-{domain}" + ("-region" if dis == "region" else ""), "lines": lines,
                           "wide": wide if len(periods) == 1 else [],
                           "plain": _plain(loc, corridor_cells, groups["corridor"], area_name, profile.min_n)})
        latest = periods[-1]
        gap_items = []
        for ind in inds:
            if ind.unit != "percent" or "natives" not in ind.populations:
                continue
            for level in list(ind.levels) or [None]:
                g = idx.get((ind.id, "gap", "total", "_T", level, latest))
                if g is not None and g.get("status") == "ok":
                    label = ind.label(loc.lang) + (loc.t("label_sep") + lv.get(level, level) if level else "")
                    gap_items.append((label, g.get("estimate"), g.get("ci_low"), g.get("ci_high"), bool(g.get("suppressed"))))
        chart = charts.gap_chart(gap_items, loc, loc.t("chart_gaps_period", origin=o_name, period=latest),
                                 f"gaps-{domain}") if gap_items else ""
        synthetic = (status.get(domain) or {}).get("status") == "synthetic"
        out.append({"id": domain, "title": loc.t(SECTIONS[domain]), "periods": periods, "tables": tables,
                    "groups": groups,
                    "gap_chart": chart, "synthetic": synthetic, "sources": feeding,
                    "basis_note": loc.t("basis_citizenship_note", origin=o_name, destination=d_name)
                    if groups["migrants"] == loc.t("group_foreign_nationals") else ""})
    return out


def row_label(ind: Any, loc: Locale, level: str | None, currency: str) -> str:
    """An indicator's row: its name, the level shown, and for money the currency. The period is in the
    name itself ("Median monthly labour income"): "(CLP, per month)" after it said it twice."""
    label = ind.label(loc.lang) + (loc.t("label_sep") + level if level else "")
    if ind.unit == "currency_month":
        label += f" ({currency})"
    return label
