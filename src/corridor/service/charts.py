"""The charts of a profile page: the rows behind each (for CSV/XLSX) and its SVG image.

Images are drawn by :mod:`corridor.report.charts` (the profile's own matplotlib charts, text
kept as text); matplotlib is not thread-safe, so drawing is serialised and each image cached
by run, chart, filters and language.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from corridor.i18n import Message
from corridor.indicators import load as load_catalogue
from corridor.report.locale import Locale
from corridor.service.errors import NotFound
from corridor.service.profiles import Filters, Run

CHARTS = ("gaps", "regions", "pyramid", "trend")
AGES = [
    "0-4",
    "5-9",
    "10-14",
    "15-19",
    "20-24",
    "25-29",
    "30-34",
    "35-39",
    "40-44",
    "45-49",
    "50-54",
    "55-59",
    "60-64",
    "65-69",
    "70-74",
    "75-79",
    "80+",
]
_LOCK = threading.Lock()
_CACHE: OrderedDict[tuple, str] = OrderedDict()
_MAX = 256


def _period(run: Run, f: Filters) -> int | None:
    return f.period or run.period


def chart_rows(run: Run, chart: str, f: Filters, lang: str) -> list[dict[str, Any]]:
    """The published rows a chart draws (tidy columns plus the indicator name)."""
    if chart not in CHARTS:
        raise NotFound(Message("service.errors.no_chart", chart=repr(chart)),
                       hint=Message("service.errors.no_chart.hint", charts=", ".join(CHARTS)))
    cat = load_catalogue()
    period = _period(run, f)
    if chart == "gaps":
        area = f.area or run.destination
        dis = f.disaggregation or ("region" if len(area) > 3 else "total")
        rows = [
            r
            for r in run.rows
            if r["population"] == "gap"
            and r["area"] == area
            and r["disaggregation"] == dis
            and r["unit"] == "percent"
            and r["status"] == "ok"
            and (period is None or r["period"] == period)
            and (f.indicator is None or r["indicator"] == f.indicator)
        ]
    elif chart == "regions":
        rows = [
            r
            for r in run.rows
            if r["indicator"] == "migrant_stock"
            and r["population"] == "corridor"
            and r["disaggregation"] == "region"
            and (period is None or r["period"] == period)
        ]
        if not rows:  # the regional stock is published for the latest year only
            rows = [
                r
                for r in run.rows
                if r["indicator"] == "migrant_stock"
                and r["population"] == "corridor"
                and r["disaggregation"] == "region"
            ]
    elif chart == "pyramid":
        rows = [
            r
            for r in run.rows
            if r["indicator"] == "age_structure" and r["population"] in ("corridor", "natives")
        ]
    else:
        rows = [
            r
            for r in run.rows
            if r["indicator"] == "migrant_stock"
            and r["population"] == "corridor"
            and r["disaggregation"] == "total"
        ]
        rows.sort(key=lambda r: r["period"])
    return [
        {"indicator_name": cat[r["indicator"]].label(lang) if r["indicator"] in cat else r["indicator"], **r}
        for r in rows
    ]


def titles(run: Run, f: Filters, lang: str) -> dict[str, str]:
    """The visible title of each chart (the images carry the same text as their SVG title)."""
    loc = Locale(lang)
    o, d = loc.country(run.origin), loc.country(run.destination)
    period = _period(run, f)
    return {
        "gaps": loc.t("chart_gaps", origin=o),
        "regions": loc.t("chart_regions", origin=o, destination=d, year=period),
        "pyramid": loc.t("chart_pyramid", year=period, origin=o),
        "trend": loc.t("chart_trend", origin=o, destination=d),
    }


def _draw(run: Run, chart: str, f: Filters, lang: str) -> str:
    from corridor.report import charts as rc
    from corridor.report.locale import messages

    loc = Locale(lang)
    o, d = loc.country(run.origin), loc.country(run.destination)
    rows = chart_rows(run, chart, f, lang)
    period = _period(run, f)
    if chart == "gaps":
        lv = messages(lang).get("levels", {})
        items = []
        for r in rows:
            label = r["indicator_name"] + (f": {lv.get(r['level'], r['level'])}" if r["level"] else "")
            if r["disaggregation"] not in ("total", "region"):
                value = r["disaggregation_value"]
                label += f" ({loc.t(value) if r['disaggregation'] == 'sex' and value in ('male', 'female') else value})"
            items.append((label, r["estimate"], r["ci_low"], r["ci_high"], bool(r["suppressed"])))
        if not items:
            items = [(loc.t("suppressed"), None, None, None, True)]
        return rc.gap_chart(items[:40], loc, loc.t("chart_gaps", origin=o), "gaps")
    if chart == "regions":
        vals = [
            (r["disaggregation_value"], loc.region(r["disaggregation_value"]), r["estimate"] or 0)
            for r in rows
        ]
        return rc.region_chart(
            vals,
            f.area if f.area and len(f.area) > 3 else None,
            loc,
            loc.t("chart_regions", origin=o, destination=d, year=period),
        )
    if chart == "pyramid":
        pyr: dict[str, dict] = {"corridor": {}, "natives": {}}
        for r in rows:
            pyr[r["population"]][(r["disaggregation_value"], r["level"])] = r["estimate"]
        return rc.pyramid_chart(
            AGES,
            pyr["corridor"],
            pyr["natives"],
            loc,
            loc.t("chart_pyramid", year=period, origin=o),
            loc.t("corridor", origin=o),
        )
    undesa = [(r["period"], r["estimate"]) for r in rows if (r["source"] or "").startswith("UN DESA")]
    sermig = [(r["period"], r["estimate"]) for r in rows if not (r["source"] or "").startswith("UN DESA")]
    return rc.trend_chart(sermig, undesa, loc, loc.t("chart_trend", origin=o, destination=d),
                          labels=(loc.t("series_sermig", origin=o), loc.t("series_undesa", origin=o)))


def chart_svg(run: Run, chart: str, f: Filters, lang: str) -> str:
    """The chart as an SVG document (cached)."""
    if chart not in CHARTS:
        raise NotFound(Message("service.errors.no_chart", chart=repr(chart)),
                       hint=Message("service.errors.no_chart.hint", charts=", ".join(CHARTS)))
    # what each chart is drawn from: the gaps chart every filter; the regions chart the year and the
    # region it highlights; the pyramid and trend charts none
    regions = (f.period, f.area if f.area and len(f.area) > 3 else None)
    key = (run.id, chart, f.key() if chart == "gaps" else regions if chart == "regions" else (), lang)
    with _LOCK:
        svg = _CACHE.get(key)
        if svg is None:
            svg = _draw(run, chart, f, lang)
            _CACHE[key] = svg
            if len(_CACHE) > _MAX:
                _CACHE.popitem(last=False)
        else:
            _CACHE.move_to_end(key)
    return svg


def warm(store: Any, run_id: str, langs: tuple[str, ...], page: Any = None) -> None:
    """Read a run's table and draw its default view in each language (the charts, and with ``page``, a
    callable ``page(run, filters, lang)`` that draws the page's content into its cache), so that the first visitors of a new run (or of a restarted service)
    are not the ones who wait for them. Run in a background thread; a failure only means the first
    visitor draws them. What was read and drawn then lives as long as the service: it is moved out of
    reach of the garbage collector's full passes (see :func:`settle`)."""
    import logging

    from corridor.i18n import language
    from corridor.service.profiles import resolve

    try:
        run = store.load(run_id)
        f = resolve(run, None, None, None, None, None)
        for lang in langs:
            with language(lang):
                if page is not None:  # the pages draw their charts; the page module imports this one
                    page(run, f, lang)
                else:
                    for chart in CHARTS:
                        chart_svg(run, chart, f, lang)
    except Exception:  # warming is an optimisation: the pages draw what is missing
        logging.getLogger("corridor.service").warning("could not prepare run %s", run_id, exc_info=True)
    settle()


def settle() -> None:
    """Freeze the objects alive now (modules, templates, the runs' tables) out of the garbage collector's
    full passes. Those passes walk every tracked object while holding the interpreter: with a run's rows
    and the programme read, one took 0.3 s, a pause for every request in flight; frozen objects are not
    walked again (they stay alive, which they would anyway)."""
    import gc

    gc.collect(1)  # the young garbage goes first (a full pass here would be the pause this avoids)
    gc.freeze()


def warm_in_background(store: Any, run_id: str | None, langs: tuple[str, ...], page: Any = None) -> None:
    if run_id:
        threading.Thread(
            target=warm, args=(store, run_id, langs, page), name="corridor-warm", daemon=True
        ).start()
