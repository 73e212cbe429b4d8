"""The charts of a profile page: the rows behind each (for CSV/XLSX) and its SVG image.

Images are drawn by :mod:`corridor.report.charts` (the profile's own matplotlib charts, text
kept as text); matplotlib is not thread-safe, so drawing is serialised and each image cached
by run, chart, filters and language. The charts of published tables (regions, pyramid, trend) are
also kept in corridor's disk cache by those functions (``charts.kept``), so a restarted service or
another run with the same tables reads them instead of drawing them; the gaps chart (the survey's
estimates) is drawn each time.
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


def _inputs(run: Run, chart: str, f: Filters, lang: str) -> tuple[str, tuple, dict[str, Any]]:
    """What a chart is drawn from, as plain values: the drawing function of :mod:`corridor.report.charts`
    and its arguments, the locale left out (``_paint`` gives it). Worked out where the run's table is;
    the drawing itself can then happen in another process."""
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
        return "gap_chart", (items[:40], None, loc.t("chart_gaps", origin=o), "gaps"), {}
    if chart == "regions":
        vals = [
            (r["disaggregation_value"], loc.region(r["disaggregation_value"]), r["estimate"])
            for r in rows
        ]
        highlight = f.area if f.area and len(f.area) > 3 else None
        title = loc.t("chart_regions", origin=o, destination=d, year=period)
        return "region_chart", (vals, highlight, None, title), {}
    if chart == "pyramid":
        pyr: dict[str, dict] = {"corridor": {}, "natives": {}}
        for r in rows:
            pyr[r["population"]][(r["disaggregation_value"], r["level"])] = r["estimate"]
        title = loc.t("chart_pyramid", year=period, origin=o)
        return "pyramid_chart", (AGES, pyr["corridor"], pyr["natives"], None, title, loc.t("corridor", origin=o)), {}
    undesa = [(r["period"], r["estimate"]) for r in rows if (r["source"] or "").startswith("UN DESA")]
    sermig = [(r["period"], r["estimate"]) for r in rows if not (r["source"] or "").startswith("UN DESA")]
    labels = (loc.t("series_sermig", origin=o), loc.t("series_undesa", origin=o))
    return "trend_chart", (sermig, undesa, None, loc.t("chart_trend", origin=o, destination=d)), {"labels": labels}


def _paint(lang: str, fn: str, args: tuple, kwargs: dict[str, Any]) -> str:
    """Draw a chart from its ``_inputs`` (the ``None`` among the arguments is where the locale goes)."""
    from corridor.i18n import language
    from corridor.report import charts as rc

    loc = Locale(lang)
    with language(lang):
        return getattr(rc, fn)(*(loc if a is None else a for a in args), **kwargs)


def _draw(run: Run, chart: str, f: Filters, lang: str) -> str:
    return _paint(lang, *_inputs(run, chart, f, lang))


class Drawer:
    """Charts drawn in a separate process. A matplotlib chart takes 60-400 ms of pure Python; drawn in
    the server it holds the interpreter that every other request needs, so under load one page's first
    draws stretched to seconds and slowed every request in flight. The drawing process takes them off
    the server's interpreter (and onto another core); the server only waits for the answer.

    Started by the service (``start``); without it, or if the process is gone, charts are drawn in the
    server as before (serialised: matplotlib is not thread-safe)."""

    def __init__(self) -> None:
        self._pool: Any = None
        self._broken: Any = None  # a pool whose process died while a chart was being drawn
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._pool is None:
                self._pool = self._new_pool()
                import atexit

                atexit.register(self.stop)  # ended before the interpreter's teardown, not during it

    def _new_pool(self) -> Any:
        import concurrent.futures
        import multiprocessing

        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=DRAWERS, mp_context=multiprocessing.get_context("spawn"), initializer=_drawer_init
        )
        # each process imports matplotlib and draws once now, not when a reader waits for a chart
        for _ in range(DRAWERS):
            pool.submit(_drawer_ready)
        return pool

    def stop(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, lang: str, inputs: tuple) -> Any:
        """A future of the chart's SVG, or None when there is no drawing process (the caller draws)."""
        from concurrent.futures.process import BrokenProcessPool

        for _attempt in range(2):
            with self._lock:
                pool = self._pool
            if pool is None:
                return None
            if pool is self._broken:
                self._replace(pool)
                continue
            try:
                future = pool.submit(_paint, lang, *inputs)
            except BrokenProcessPool:  # a drawing process died (killed, out of memory): new ones
                self._replace(pool)
                continue
            except RuntimeError:  # shut down
                return None
            # a process killed just before this call breaks the pool only once the pool notices: the
            # future then fails, and the next chart must not go to the same pool (replaced by the next
            # submit, in its caller's thread, not in the pool's own thread that runs this callback)
            future.add_done_callback(lambda f, pool=pool: self._mark_broken(pool) if _broken(f) else None)
            return future
        return None

    def _mark_broken(self, pool: Any) -> None:
        with self._lock:
            self._broken = pool

    def _replace(self, pool: Any) -> None:
        """New drawing processes in place of ``pool``, whose processes are gone (once, however many notice).

        The new pool takes the old one's place in one step under the lock: a chart submitted meanwhile
        from another thread (the service warms pages in the background) finds one pool or the other,
        never none, which would have sent it to be drawn in the server."""
        with self._lock:
            if self._broken is pool:
                self._broken = None  # not kept alive by this reference once replaced
            if self._pool is not pool:
                return
            self._pool = self._new_pool()
        pool.shutdown(wait=False, cancel_futures=True)


def _broken(future: Any) -> bool:
    from concurrent.futures.process import BrokenProcessPool

    return not future.cancelled() and isinstance(future.exception(), BrokenProcessPool)


# drawing processes: two, so that a page's charts (and two readers' first pages) are drawn side by side
DRAWERS = 2
DRAWER = Drawer()


def _drawer_init() -> None:
    import corridor.report.charts  # noqa: F401 - matplotlib, once per process


def _drawer_ready() -> None:
    from corridor.datasets import cache
    from corridor.i18n import language
    from corridor.report import charts as rc

    cache.code_digest()  # part of every chart's key in the disk cache, read once per process
    with language("en"):  # drawn, not read from the disk cache: matplotlib's first drawing is the slow one
        rc.region_chart.__wrapped__([("CL-AN", "Antofagasta", 1.0)], None, Locale("en"), "-")  # type: ignore[attr-defined]


def chart_svgs(run: Run, names: tuple[str, ...], f: Filters, lang: str) -> dict[str, str]:
    """Several charts of one view (each cached); those not kept yet are drawn side by side. Concurrent
    first asks for one chart draw it once: the others wait for that drawing."""
    keys = {c: _key(run, c, f, lang) for c in names}
    out: dict[str, str] = {}
    mine: dict[str, _Pending] = {}
    theirs: dict[str, _Pending] = {}
    with _LOCK:
        for c in names:
            svg = _CACHE.get(keys[c])
            if svg is not None:
                _CACHE.move_to_end(keys[c])
                out[c] = svg
            elif keys[c] in _PENDING:
                theirs[c] = _PENDING[keys[c]]
            else:
                mine[c] = _PENDING[keys[c]] = _Pending()
    try:
        futures = {c: DRAWER.submit(lang, _inputs(run, c, f, lang)) for c in mine}
        for c, pending in mine.items():
            svg = None
            if futures[c] is not None:
                try:
                    svg = futures[c].result(timeout=DRAW_TIMEOUT)
                except Exception:  # noqa: BLE001 - the drawing process failed, is gone or stuck: draw here
                    svg = None
            if svg is None:
                with _DRAWING:
                    svg = _draw(run, c, f, lang)
            with _LOCK:
                _CACHE[keys[c]] = svg
                if len(_CACHE) > _MAX:
                    _CACHE.popitem(last=False)
                _PENDING.pop(keys[c], None)
            pending.done(svg)
            out[c] = svg
    except BaseException as exc:
        with _LOCK:
            for c, pending in mine.items():
                if _PENDING.get(keys[c]) is pending:
                    del _PENDING[keys[c]]
        for pending in mine.values():
            pending.fail(exc)  # those waiting for it see the same error (a chart already drawn stays drawn)
        raise
    for c, pending in theirs.items():
        out[c] = pending.wait()
    return {c: out[c] for c in names}


DRAW_TIMEOUT = 60.0


class _Pending:
    """A chart being drawn: the readers who ask for it meanwhile wait for that drawing."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._svg: str | None = None
        self._exc: BaseException | None = None

    def done(self, svg: str) -> None:
        self._svg = svg
        self._done.set()

    def fail(self, exc: BaseException) -> None:
        if not self._done.is_set():
            self._exc = exc
            self._done.set()

    def wait(self) -> str:
        self._done.wait()
        if self._exc is not None:
            raise self._exc
        assert self._svg is not None
        return self._svg


_PENDING: dict[tuple, _Pending] = {}
_DRAWING = threading.Lock()  # drawing in the server: matplotlib is not thread-safe


def _key(run: Run, chart: str, f: Filters, lang: str) -> tuple:
    if chart not in CHARTS:
        raise NotFound(Message("service.errors.no_chart", chart=repr(chart)),
                       hint=Message("service.errors.no_chart.hint", charts=", ".join(CHARTS)))
    # what each chart is drawn from: the gaps chart every filter; the regions chart the year and the
    # region it highlights; the pyramid and trend charts none
    regions = (f.period, f.area if f.area and len(f.area) > 3 else None)
    return (run.id, chart, f.key() if chart == "gaps" else regions if chart == "regions" else (), lang)


def chart_svg(run: Run, chart: str, f: Filters, lang: str) -> str:
    """The chart as an SVG document (cached)."""
    return chart_svgs(run, (chart,), f, lang)[chart]


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
