"""Long lists come a page at a time: the programme's training sessions and imports, and API collections."""

from __future__ import annotations

import io
import re


def _import_sessions(env, csrf, count: int, prefix: str = "P") -> None:
    head = "session_id,date,region,facility,course,topic,participant_id,profession,sex,pre_score\n"
    rows = "".join(
        f"{prefix}{i:04d},2026-05-{1 + i % 28:02d},CL-AN,Facility {i},CULT-2,Topic,{prefix}Q{i},nurse,F,50\n" for i in range(count)
    )
    r = env.client.post(
        "/programme/trainings/upload",
        data={"csrf_token": csrf},
        files={"file": ("many.csv", io.BytesIO((head + rows).encode()), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[-500:]


def test_programme_sessions_are_paged_and_new_ones_appear_at_once(env):
    csrf = env.login("reg")
    before = env.client.get("/api/v1/programme").json()["trainings_count"]
    _import_sessions(env, csrf, 120)
    total = before + 120
    page = env.client.get("/programme?lang=en").text
    table = re.search(r'id="sessions-table".*?</table>', page, re.DOTALL).group(0)
    assert table.count("<tr>") == 1 + 50  # the header and one page
    assert f"1–50 of {total}" in page and "sessions_page=2" in page
    last = (total - 1) // 50 + 1
    page = env.client.get(f"/programme?sessions_page={last}&lang=en").text
    table = re.search(r'id="sessions-table".*?</table>', page, re.DOTALL).group(0)
    assert table.count("<tr>") == 1 + total - 50 * (last - 1)
    api = env.client.get("/api/v1/programme?trainings_offset=100&trainings_limit=10").json()
    assert api["trainings_count"] == total and len(api["trainings"]) == 10 and api["trainings_offset"] == 100
    every = env.client.get("/api/v1/programme?trainings_limit=1000").json()["trainings"]
    assert len({s["session_id"] for s in every}) == total


def test_api_collections_are_paged(env):
    for _ in range(3):
        env.login("admin")  # each sign-in is audited
    r = env.client.get("/api/v1/audit?limit=2").json()
    assert len(r["data"]) == 2 and r["count"] == 3 and r["limit"] == 2 and r["offset"] == 0
    assert r["next_offset"] == 2
    assert env.client.get("/api/v1/audit?limit=2&offset=2").json()["next_offset"] is None
    users = env.client.get("/api/v1/users?limit=2&offset=1").json()
    assert [u["username"] for u in users["data"]] == ["ana", "vic"] and users["count"] == 5
    assert users["next_offset"] == 3
    assert env.client.get("/api/v1/users?limit=0").status_code == 422
    assert env.client.get("/api/v1/catalogue?limit=3").json()["count"] > 3


def test_programme_overview_reads_sessions_in_a_fixed_number_of_queries(env):
    """The overview of a long programme does not query once per training session (at ~1,500 sessions that
    took seconds per change); its session rows match the programme's own records."""
    from sqlalchemy import event

    from corridor.service import programme_view
    from corridor.service.store import session_scope

    engine = env.client.app.state.services.engine
    csrf = env.login("reg")

    def statements() -> tuple[int, list[dict]]:
        seen = []
        listen = lambda *a, **k: seen.append(1)
        with session_scope(engine) as s:
            prog = programme_view.current(s)
            event.listen(engine, "before_cursor_execute", listen)
            try:
                ov = programme_view.overview(s, prog, "en")
            finally:
                event.remove(engine, "before_cursor_execute", listen)
            expected = {
                x.session_code: (len(x.participants), x.course.code if x.course else None, x.held_on.isoformat())
                for x in prog.sessions
            }
        got = {t["session_id"]: (t["participants"], t["course"], t["date"]) for t in ov["trainings"]}
        assert got == expected
        assert [t["date"] for t in ov["trainings"]] == sorted(t["date"] for t in ov["trainings"])
        return len(seen), ov["trainings"]

    _import_sessions(env, csrf, 20)
    few, _ = statements()
    _import_sessions(env, csrf, 200, prefix="R")
    many, trainings = statements()
    assert len(trainings) >= 220
    assert many <= few + 2, (few, many)


def test_a_page_drawn_for_many_clients_at_once_is_drawn_once():
    """Concurrent first requests for one cached page wait for the one drawing it (not all drawing it)."""
    import threading
    import time

    from corridor.service.cache import RenderCache

    cache = RenderCache()
    made = []

    def make() -> str:
        made.append(1)
        time.sleep(0.2)
        return "page"

    got = []
    threads = [threading.Thread(target=lambda: got.append(cache.get_or_make(("p", 1), make))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == ["page"] * 8 and len(made) == 1
    assert cache.get_or_make(("p", 2), lambda: "other") == "other" and len(cache) == 2


def test_kept_programme_page_carries_each_sessions_token_and_each_roles_forms(env):
    """The programme page is drawn once per role and organisation and kept, yet every session gets its own
    form token and name, partners only their own organisation's actions, and a write shows at once."""
    import html

    def page(name: str) -> tuple[str, str]:
        csrf = env.login(name)
        return html.unescape(env.client.get("/programme?lang=en").text), csrf

    tokens = re.compile(r'name="csrf_token" value="([^"]*)"')
    reg, reg_csrf = page("reg")
    loc, loc_csrf = page("loc")
    ana, ana_csrf = page("ana")
    ana2, ana2_csrf = page("ana")  # a second session of the same user, served the kept drawing
    roles = {"reg": "partner", "loc": "partner", "ana": "analyst"}
    for text, csrf, name in ((reg, reg_csrf, "reg"), (loc, loc_csrf, "loc"), (ana, ana_csrf, "ana"),
                             (ana2, ana2_csrf, "ana")):
        assert set(tokens.findall(text)) == {csrf}, name
        assert f"Signed in as {name} ({roles[name]})" in text
        assert "csrf-" not in text
    assert ana_csrf != ana2_csrf and ana.replace(ana_csrf, "") == ana2.replace(ana2_csrf, "")

    def approval_orgs(text: str) -> list[str]:
        select = re.search(r'<select id="pa-org" name="organisation">(.*?)</select>', text).group(1)
        return re.findall(r'<option value="([^"]+)"', select)

    assert approval_orgs(reg) == ["REGIONAL-HEALTH-AN"] and approval_orgs(loc) == ["LOCAL-HEALTH-AN"]
    assert len(approval_orgs(ana)) > 2
    assert 'id="t-org"' not in reg and 'id="t-org"' in ana  # partners record for their own organisation
    csrf = env.login("reg")
    _import_sessions(env, csrf, 3, prefix="K")
    assert "K0002" in "".join(
        env.client.get(f"/programme?lang=en&sessions_page={p}").text for p in range(1, 5)
    )
