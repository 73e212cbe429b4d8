"""What the service keeps between requests is forgotten when what it shows changes: the programme's
overview around writes, the list of runs, and charts per what they are drawn from."""

from __future__ import annotations

import json
import shutil
import threading
from types import SimpleNamespace

import pytest

from corridor.report.charts import HIGHLIGHT
from corridor.service import programme_cache, programme_view
from corridor.service.store import session_scope

PARTNER = SimpleNamespace(username="reg", role="partner", organisation="REGIONAL-HEALTH-AN")


def _session(code: str) -> tuple[dict, list[dict]]:
    data = {"session_id": code, "date": "2026-06-01", "region": "CL-AN", "facility": "Test facility",
            "course": "CULT-2", "topic": "Cache test", "organisation": "REGIONAL-HEALTH-AN"}
    return data, [{"participant_id": f"{code}-1", "profession": "nurse", "sex": "F", "pre_score": "50",
                   "post_score": "60"}]


def _count(engine) -> int:
    with session_scope(engine) as s:
        return programme_cache.overview(s, programme_view.current(s), "en")["trainings_count"]


def test_readers_keep_the_overview_of_before_a_write_until_its_writer_rebuilt_it(env):
    """While a write of the service is between its commit and its answer, readers get the overview of before
    it at once (they do not queue behind its rebuilding); once the writer returns, every reader sees it."""
    engine = env.client.app.state.services.engine
    before = _count(engine)
    with session_scope(engine) as s:  # the write's commit has started ...
        programme_view.record_session(s, programme_view.current(s), *_session("CACHE-1"), PARTNER,
                                      env.settings.data_dir / "uploads")
        with programme_cache._lock:
            programme_cache._writing[0] += 1
    got: list[int] = []
    try:
        with programme_cache._building:  # ... and its writer is rebuilding the overview
            reader = threading.Thread(target=lambda: got.append(_count(engine)))
            reader.start()
            reader.join(10)
            assert not reader.is_alive(), "a reader waited for the writer's rebuilding"
    finally:
        with programme_cache._lock:
            programme_cache._writing[0] -= 1
    assert got == [before]
    # a write through programme_cache.commit is seen by every reader once it returns
    with session_scope(engine) as s:
        programme_view.record_session(s, programme_view.current(s), *_session("CACHE-2"), PARTNER,
                                      env.settings.data_dir / "uploads")
        programme_cache.commit(s)
    assert _count(engine) == before + 2
    page = env.client.get("/api/v1/programme?trainings_limit=1000")
    assert page.status_code == 401  # not signed in: nothing kept is served to anyone
    env.login("vic")
    sessions = {t["session_id"] for t in env.client.get("/api/v1/programme?trainings_limit=1000").json()["trainings"]}
    assert {"CACHE-1", "CACHE-2"} <= sessions


def test_an_acknowledged_write_is_never_hidden_by_an_older_overview(env):
    """A write that does not rebuild the overview (bump) forgets the overview kept for readers during writes:
    a later write in progress cannot serve an overview that lacks it."""
    engine = env.client.app.state.services.engine
    before = _count(engine)
    with session_scope(engine) as s:
        programme_view.record_session(s, programme_view.current(s), *_session("CACHE-3"), PARTNER,
                                      env.settings.data_dir / "uploads")
    programme_cache.bump()
    with programme_cache._lock:
        programme_cache._writing[0] += 1
    try:
        assert _count(engine) == before + 1
    finally:
        with programme_cache._lock:
            programme_cache._writing[0] -= 1


def test_the_programme_page_shows_a_session_recorded_through_the_api_at_once(env):
    csrf = env.login("reg")
    env.client.get("/programme?lang=en")  # kept
    data, people = _session("CACHE-API")
    r = env.client.post("/api/v1/programme/trainings", json={**data, "participants": [
        {**people[0], "pre_score": 50, "post_score": 60}]}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201, r.text
    env.login("vic")
    assert "Test facility" in env.client.get("/programme?lang=en").text


def test_run_list_follows_runs_arriving_and_leaving(env):
    """The list of runs is kept between requests; a run copied in (its meta.json last) appears once it is
    complete, and a removed run disappears."""
    store = env.client.app.state.services.store
    assert store.ids() == [env.run_id]
    src = store.root / env.run_id
    new_id = env.run_id[:-6] + "abcdef"
    new = store.root / new_id
    new.mkdir()
    for f in src.iterdir():
        if f.name != "meta.json":
            shutil.copy(f, new / f.name)
    assert store.ids() == [env.run_id]  # not complete yet
    (new / "meta.json").write_text(json.dumps(json.loads((src / "meta.json").read_text())), encoding="utf-8")
    assert store.ids() == sorted([env.run_id, new_id], reverse=True)
    shutil.rmtree(new)
    assert store.ids() == [env.run_id]


def test_regions_chart_is_kept_per_highlighted_region(env):
    """The regions chart highlights the region a page is filtered on: it is drawn (and kept) per region,
    not served with another region's highlight."""
    from corridor.service import charts
    from corridor.service.profiles import resolve

    store = env.client.app.state.services.store
    run = store.load(env.run_id)
    plain = charts.chart_svg(run, "regions", resolve(run, None, None, None, None, None), "en")
    an = charts.chart_svg(run, "regions", resolve(run, "CL-AN", None, None, None, None), "en")
    rm = charts.chart_svg(run, "regions", resolve(run, "CL-RM", None, None, None, None), "en")
    assert an != plain and an != rm
    assert charts.chart_svg(run, "regions", resolve(run, "CL-AN", None, None, None, None), "en") == an


def _same_drawing(svg: str) -> str:
    """An SVG with its clip paths' and markers' ids made alike: matplotlib names them by a hash of their
    coordinates' floats, whose last bits can differ from one drawing to the next (what is drawn, written
    to six decimals, is the same)."""
    import re

    return re.sub(r"-([pm])[0-9a-f]{10}\b", r"-\1", svg)


def test_charts_drawn_in_the_drawing_process_are_those_the_server_draws(env, monkeypatch):
    """Charts are drawn in a separate process (off the server's interpreter): the same SVG as drawn in the
    server, in the page's language, with the filtered region highlighted. Both draw them here: the disk
    cache of charts (which would give each the other's drawing) is off, in new drawing processes too."""
    from corridor.service import charts
    from corridor.service.profiles import resolve

    run = env.client.app.state.services.store.load(env.run_id)
    an = resolve(run, "CL-AN", None, None, None, None)
    with monkeypatch.context() as m:
        m.setenv("CORRIDOR_CACHE_DIR", "off")
        charts.DRAWER.stop()
        charts.DRAWER.start()
        try:
            for chart, lang in (("regions", "fr"), ("gaps", "es")):
                future = charts.DRAWER.submit(lang, charts._inputs(run, chart, an, lang))
                assert future is not None
                remote = future.result(timeout=120)
                assert _same_drawing(remote) == _same_drawing(charts._draw(run, chart, an, lang))
            regions = charts.DRAWER.submit("fr", charts._inputs(run, "regions", an, "fr")).result(timeout=120)
            assert HIGHLIGHT in regions and "Antofagasta" in regions
            assert charts.titles(run, an, "fr")["regions"].replace("&", "&amp;") in regions
            assert HIGHLIGHT not in charts.DRAWER.submit("fr", charts._inputs(run, "regions", resolve(run, None, None, None, None, None), "fr")).result(timeout=120)
        finally:
            charts.DRAWER.stop()
    charts.DRAWER.start()  # drawing processes with the cache of the tests, as the service starts them


def test_a_chart_is_drawn_in_the_server_when_the_drawing_process_is_gone(env):
    """A drawing process that died (killed, out of memory) costs no page: the chart is drawn in the server,
    and the next charts go to new drawing processes."""
    import os
    import signal

    from corridor.service import charts
    from corridor.service.profiles import resolve

    run = env.client.app.state.services.store.load(env.run_id)
    charts._CACHE.clear()
    charts.DRAWER.start()
    assert charts.DRAWER.submit("en", charts._inputs(run, "trend", resolve(run, None, None, None, None, None), "en")).result(timeout=120)
    for pid in list(charts.DRAWER._pool._processes):
        os.kill(pid, signal.SIGKILL)
    f = resolve(run, "CL-RM", None, None, None, None)
    svg = charts.chart_svg(run, "regions", f, "en")
    assert _same_drawing(svg) == _same_drawing(charts._draw(run, "regions", f, "en")) and HIGHLIGHT in svg
    again = charts.DRAWER.submit("en", charts._inputs(run, "gaps", f, "en"))
    assert again is not None
    assert _same_drawing(again.result(timeout=120)) == _same_drawing(charts._draw(run, "gaps", f, "en"))


def test_charts_of_published_tables_are_kept_on_disk_for_the_next_service(env, tmp_path, monkeypatch):
    """The regions, pyramid and trend charts are drawn from published tables: kept in the disk cache, a
    restarted service reads them back instead of drawing them; the gaps chart (the survey's) is drawn."""
    from corridor.report import charts as drawing
    from corridor.service import charts
    from corridor.service.profiles import resolve

    monkeypatch.setenv("CORRIDOR_CACHE_DIR", str(tmp_path / "cache"))
    run = env.client.app.state.services.store.load(env.run_id)
    f = resolve(run, "CL-AN", None, None, None, None)
    drawn = {c: charts._draw(run, c, f, "fr") for c in ("regions", "pyramid", "trend")}
    assert len(list((tmp_path / "cache" / "charts").glob("*.json"))) == 3

    def no_drawing(*_args):
        raise AssertionError("drawn again")

    monkeypatch.setattr(drawing, "_svg", no_drawing)
    assert {c: charts._draw(run, c, f, "fr") for c in drawn} == drawn
    with pytest.raises(AssertionError, match="drawn again"):
        charts._draw(run, "gaps", f, "fr")


def test_a_chart_lost_with_its_drawing_process_sends_the_next_to_new_processes():
    """A process killed before the pool notices lets one more chart in; that chart's future fails with
    BrokenProcessPool, and the next chart goes to new drawing processes, not to the broken pool."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from corridor.service.charts import Drawer

    class Pool:
        def __init__(self) -> None:
            self.sent: list[Future] = []
            self.shut = False

        def submit(self, *_args):
            self.sent.append(Future())
            return self.sent[-1]

        def shutdown(self, **_kwargs):
            self.shut = True

    pools: list[Pool] = []
    drawer = Drawer()

    in_place: list = []

    def new_pool() -> Pool:
        in_place.append(drawer._pool)  # what another thread's submit finds while the new pool is made
        pools.append(Pool())
        return pools[-1]

    drawer._new_pool = new_pool  # type: ignore[method-assign]
    drawer.start()
    first = drawer.submit("en", ("trend_chart", (), {}))
    assert first is pools[0].sent[0] and drawer.submit("en", ("trend_chart", (), {})) is pools[0].sent[1]
    pools[0].sent[1].set_result("<svg/>")  # a chart drawn: the pool stays
    assert drawer.submit("en", ("trend_chart", (), {})) is pools[0].sent[2] and len(pools) == 1
    first.set_exception(BrokenProcessPool("a child process terminated abruptly"))
    nxt = drawer.submit("en", ("trend_chart", (), {}))
    assert len(pools) == 2 and pools[0].shut and nxt is pools[1].sent[0]
    assert drawer._broken is None  # the dead pool is let go
    # while the new pool was made, the old one was still in place: a chart submitted meanwhile from
    # another thread found a pool, never none (none sends it to be drawn in the server)
    assert in_place == [None, pools[0]]
