"""Profile pages with filters, chart and table downloads; the indicator catalogue page."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from corridor.i18n import Message
from corridor.indicators import load as load_catalogue
from corridor.service import auth, charts, downloads
from corridor.service.cache import RenderCache
from corridor.service.deps import Services, allowed, services
from corridor.service.errors import NotFound
from corridor.service.i18n import LANGS
from corridor.service.page_common import MAX_SHOWN, Q, see_other
from corridor.service.profiles import (
    PUBLIC_COLUMNS,
    Filters,
    Run,
    mark_unpublished,
    resolve,
    unpublished_notice,
)
from corridor.service.profiles import select as select_rows
from corridor.service.render import render_fragment, render_page

router = APIRouter(include_in_schema=False)
_RUNS_SLOT = "runs-" + secrets.token_hex(16)  # where a kept page content takes its run selector's options
COLUMNS_OUT = ("indicator", "indicator_name", *PUBLIC_COLUMNS[1:])


# --- profiles --------------------------------------------------------------------------------------------------


def page_content(cache: RenderCache, run: Run, f: Filters, lang: str) -> str:
    """The part of a profile page that is the same for every reader (table, charts, filter form), kept per
    (run, language, filters); its run selector is a slot each request fills."""

    def content() -> str:
        rows = select_rows(run, f)
        q_all = dict(f.query())
        for k in ("population", "indicator"):
            if k not in q_all:
                q_all[k] = "all"
        return render_fragment(
            "profile_content.html",
            lang,
            {
                "run": run,
                "f": f,
                "opts": run.options(),
                "rows": rows[:MAX_SHOWN],
                "count": len(rows),
                "max_shown": MAX_SHOWN,
                "cat": load_catalogue(),
                "q": urlencode(q_all),
                "charts": charts.CHARTS,
                "runs_slot": _RUNS_SLOT,
                "svgs": charts.chart_svgs(run, charts.CHARTS, f, lang),
                "chart_titles": charts.titles(run, f, lang),
                "notice": unpublished_notice(run, lang),
            },
        )

    return cache.get_or_make(("page", run.id, lang, f.key()), content)


@router.get("/profiles")
def profiles(
    *,
    request: Request,
    sv: Annotated[Services, Depends(services)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> Response:
    runs = sv.store.runs(user)
    if runs and "all" not in request.query_params:
        q = {k: v for k, v in request.query_params.items() if k == "lang"}
        return see_other(f"/profiles/{runs[0]['id']}" + (f"?{urlencode(q)}" if q else ""))
    return render_page(request, "profiles.html", {"runs": runs})


@router.get("/profiles/{run_id}")
def profile(
    *,
    request: Request,
    run_id: str,
    area: Q = None,
    period: Q = None,
    population: Q = None,
    disaggregation: Q = None,
    indicator: Q = None,
    run: Q = None,
    sv: Annotated[Services, Depends(services)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> Response:
    if run and run != run_id:  # the corridor selector of the filter form
        other = sv.store.get(run, user)
        q = {k: v for k, v in request.query_params.items() if k == "lang"}
        return see_other(f"/profiles/{other.id}" + (f"?{urlencode(q)}" if q else ""))
    run = sv.store.get(run_id, user)
    f = resolve(run, area, period, population, disaggregation, indicator)
    lang = request.state.lang
    runs = sv.store.runs(user)

    # the content does not depend on the other runs: a new run adds an option to the selector, it does
    # not draw every page of the older runs again
    kept = page_content(sv.pages, run, f, lang)
    ids = tuple(r["id"] for r in runs)
    options = sv.pages.get_or_make(
        ("run options", run.id, lang, ids), lambda: render_fragment("profile_runs.html", lang, {"run": run, "runs": runs})
    )
    return render_page(request, "profile.html", {"run": run, "content": kept.replace(_RUNS_SLOT, options)})


@router.get("/profiles/{run_id}/table.{fmt}")
def profile_table(
    *,
    request: Request,
    run_id: str,
    fmt: str,
    area: Q = None,
    period: Q = None,
    population: Q = None,
    disaggregation: Q = None,
    indicator: Q = None,
    sv: Annotated[Services, Depends(services)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise NotFound(Message("service.errors.table_format", format=repr(fmt)), hint=Message("service.errors.table_format.hint"))
    run = sv.store.get(run_id, user)
    f = resolve(run, area, period, population, disaggregation, indicator)
    lang = request.state.lang

    def body() -> bytes:
        cat = load_catalogue()
        rows = [
            {
                "indicator_name": cat[r["indicator"]].label(lang)
                if r["indicator"] in cat
                else r["indicator"],
                **r,
            }
            for r in select_rows(run, f)
        ]
        return downloads.table_bytes(rows, COLUMNS_OUT, fmt, notice=unpublished_notice(run, lang))

    return downloads.attachment(
        sv.pages.get_or_make(("table", run.id, lang, f.key(), fmt), body),
        fmt,
        f"corridor-{run.origin}-{run.destination}-table",
        unpublished=not run.for_publication,
    )


@router.get("/profiles/{run_id}/charts/{chart}.{fmt}")
def profile_chart(
    *,
    request: Request,
    run_id: str,
    chart: str,
    fmt: str,
    area: Q = None,
    period: Q = None,
    population: Q = None,
    disaggregation: Q = None,
    indicator: Q = None,
    sv: Annotated[Services, Depends(services)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> Response:
    run = sv.store.get(run_id, user)
    f = resolve(run, area, period, population, disaggregation, indicator)
    lang = request.state.lang
    if fmt == "svg":
        return downloads.svg_response(charts.chart_svg(run, chart, f, lang), f"corridor-{chart}")
    if fmt not in ("csv", "xlsx"):
        raise NotFound(Message("service.errors.chart_format", format=repr(fmt)), hint=Message("service.errors.chart_format.hint"))

    def body() -> bytes:
        rows = charts.chart_rows(run, chart, f, lang)
        return downloads.table_bytes(rows, COLUMNS_OUT, fmt, notice=unpublished_notice(run, lang))

    return downloads.attachment(
        sv.pages.get_or_make(("chart", run.id, chart, lang, f.key(), fmt), body),
        fmt,
        f"corridor-{chart}",
        unpublished=not run.for_publication,
    )


@router.get("/profiles/{run_id}/full-{lang}.{fmt}")
def profile_full(
    *,
    run_id: str,
    lang: str,
    fmt: str,
    sv: Annotated[Services, Depends(services)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> Response:
    """The profile's own page or PDF; a run not for publication is marked so at the top of its page."""
    if lang not in LANGS or fmt not in ("html", "pdf"):
        raise NotFound(Message("service.errors.no_document"), hint=Message("service.errors.no_document.hint"))
    csp = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"}
    if fmt == "pdf":
        return FileResponse(sv.store.pdf_file(run_id, lang, user), media_type="application/pdf", headers=csp)
    path = sv.store.html_file(run_id, lang, user)
    run = sv.store.get(run_id, user)
    if run.for_publication:
        return FileResponse(path, media_type="text/html; charset=utf-8", headers=csp)
    html = mark_unpublished(path.read_text(encoding="utf-8"), unpublished_notice(run, lang) or "")
    return HTMLResponse(html, headers=csp)


# --- catalogue -------------------------------------------------------------------------------------------------


@router.get("/indicators")
def catalogue(
    *,
    request: Request,
    sv: Annotated[Services, Depends(services)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> Response:
    from corridor.programme import sdg

    lang = request.state.lang

    def content() -> str:
        from corridor.report.locale import messages

        inds = list(load_catalogue().values())
        # a standard is named in the page's language, as the profile names it
        standards = messages(lang).get("standards", {})
        return render_fragment("catalogue_content.html", lang,
                               {"inds": inds, "sdg_title": sdg.title, "standards": standards})

    return render_page(
        request, "catalogue.html", {"content": sv.pages.get_or_make(("catalogue", lang), content)}
    )
