"""Profile pages and the tidy indicator table: filters, languages, downloads, disclosure control."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import load_workbook

from corridor.service.profiles import published


def test_profile_in_each_language_localises_numbers_and_names(env):
    """Colombians in Chile at 31.12.2022: 189,524 (INE/SERMIG, Tabla 4), written the way each language writes it."""
    env.login("vic")
    url = f"/profiles/{env.run_id}?indicator=migrant_stock&population=corridor"
    pages = {lang: env.client.get(f"{url}&lang={lang}").text for lang in ("es", "fr", "en")}
    assert "189.524" in pages["es"] and "Colombia → Chile" in pages["es"] and 'lang="es"' in pages["es"]
    assert "189\u202f524" in pages["fr"] and "Colombie → Chili" in pages["fr"]
    assert "189,524" in pages["en"] and "Colombia → Chile" in pages["en"]
    assert "Tabla de indicadores" in pages["es"] and "Tableau des indicateurs" in pages["fr"]


def test_a_new_run_joins_the_selector_without_drawing_the_older_pages_again(env, monkeypatch):
    import shutil

    from corridor.service import pages_profiles
    from corridor.service.jobs import new_run_id

    env.login("vic")
    url = f"/profiles/{env.run_id}?lang=es"
    run_option = re.compile(r'<option value="\d{8}T\d{6}-[0-9a-f]{6}"')
    assert len(run_option.findall(env.client.get(url).text)) == 1
    drawn: list[str] = []
    draw = pages_profiles.render_fragment
    monkeypatch.setattr(pages_profiles, "render_fragment", lambda t, *a: drawn.append(t) or draw(t, *a))
    runs = env.settings.data_dir / "profiles"
    other = "29991231T000000-" + new_run_id()[-6:]  # the newest
    shutil.copytree(runs / env.run_id, runs / other)
    page = env.client.get(url).text
    assert f'<option value="{other}">' in page and f'<option value="{env.run_id}" selected>' in page
    assert len(run_option.findall(page)) == 2
    assert drawn == ["profile_runs.html"]  # the selector's options only; the page's content was kept


def test_language_choice_is_remembered(env):
    env.login("vic")
    env.client.get(f"/profiles/{env.run_id}?lang=fr")
    assert "Catalogue d&#39;indicateurs" in env.client.get("/indicators").text


def test_filters_select_rows(env):
    env.login("vic")
    r = env.client.get(
        "/api/v1/indicators", params={"area": "CL-AN", "indicator": "migrant_stock", "population": "corridor"}
    )
    d = r.json()
    assert d["filters"] == {
        "area": "CL-AN",
        "period": 2022,
        "population": "corridor",
        "disaggregation": "region",
        "indicator": "migrant_stock",
    }
    assert (
        d["count"] == 1 and d["data"][0]["estimate"] == 32842.0
    )  # INE/SERMIG, Colombians in Antofagasta, 2022
    r = env.client.get("/api/v1/indicators", params={"area": "XX-99", "lang": "en"})
    assert r.status_code == 422 and "not in this profile" in r.json()["error"]
    r = env.client.get("/api/v1/indicators", params={"area": "XX-99", "lang": "es"})
    assert r.status_code == 422 and "no está en este perfil" in r.json()["error"]
    r = env.client.get(
        "/api/v1/indicators", params={"period": "all", "indicator": "migrant_stock", "population": "corridor"}
    )
    assert {row["period"] for row in r.json()["data"]} >= {1990, 2019, 2022}


def test_table_and_chart_downloads(env):
    env.login("vic")
    q = "indicator=unemployment_rate&population=all"
    r = env.client.get(f"/profiles/{env.run_id}/table.csv?{q}")
    assert (
        r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {x["population"] for x in rows} == {"corridor", "migrants", "natives", "gap"}
    assert all(x["indicator"] == "unemployment_rate" for x in rows)
    r = env.client.get(f"/profiles/{env.run_id}/table.xlsx?{q}")
    ws = load_workbook(io.BytesIO(r.content)).active
    assert [c.value for c in ws[1]][:3] == [
        "indicator",
        "indicator_name",
        "population",
    ] and ws.max_row == len(rows) + 1
    for chart in ("gaps", "regions", "pyramid", "trend"):
        svg = env.client.get(f"/profiles/{env.run_id}/charts/{chart}.svg")
        assert (
            svg.headers["content-type"] == "image/svg+xml"
            and b"<svg" in svg.content
            and b"<script" not in svg.content
        )
        data = env.client.get(f"/profiles/{env.run_id}/charts/{chart}.csv")
        assert data.status_code == 200 and len(data.text.splitlines()) > 1
    assert env.client.get(f"/profiles/{env.run_id}/full-es.html").status_code == 200


def test_suppressed_cells_never_carry_values(env):
    env.login("vic")
    rows = env.client.get(
        "/api/v1/indicators",
        params={"area": "all", "period": "all", "population": "all", "disaggregation": "all", "limit": 5000},
    ).json()["data"]
    sup = [r for r in rows if r["suppressed"]]
    assert sup, "the shipped sample has small regional cells"
    assert all(
        r["estimate"] is None and r["se"] is None and r["ci_low"] is None and r["n"] is None for r in sup
    )
    survey = [
        r
        for r in rows
        if r["source_kind"] == "survey" and r["status"] == "ok" and not r["suppressed"] and r["population"] != "gap"
    ]
    assert all(r["n"] >= 30 for r in survey)


def test_publication_guard_suppresses_small_unsuppressed_cells():
    rows = [
        {
            "indicator": "x",
            "population": "corridor",
            "source_kind": "survey",
            "status": "ok",
            "n": 12,
            "estimate": 0.4,
            "se": 0.1,
            "suppressed": False,
        },
        {
            "indicator": "x",
            "population": "natives",
            "source_kind": "survey",
            "status": "ok",
            "n": 400,
            "estimate": 0.3,
            "se": 0.01,
            "suppressed": False,
        },
    ]
    out = published(rows, 30)
    assert (
        out[0]["suppressed"]
        and out[0]["estimate"] is None
        and out[0]["suppression_reason"] == "primary_min_n"
    )
    assert not out[1]["suppressed"] and out[1]["estimate"] == 0.3


def test_spreadsheet_formulas_are_neutralised():
    from corridor.service.downloads import to_csv

    body = to_csv([{"a": '=HYPERLINK("x")', "b": -2.5}], ["a", "b"]).decode()
    row = next(csv.reader(io.StringIO(body.splitlines()[1])))
    assert row == ['\'=HYPERLINK("x")', "-2.5"]


def test_unknown_run_and_traversal_in_run_id(env):
    env.login("vic")
    assert env.client.get("/profiles/..%2F..%2Fetc").status_code == 404
    assert env.client.get("/api/v1/profiles/nope/indicators").status_code == 404


def test_filter_hint_names_comunas():
    """A comuna a filter accepts is listed by its name with the code to type, as regions are."""
    from corridor.service.profiles import _shown

    assert _shown("area", "CL-2101") == "Antofagasta (CL-2101)"
    assert _shown("area", "CL-AN") == "Antofagasta (CL-AN)"
    assert _shown("area", "CL-9999") == "CL-9999"  # no such comuna: the code as given
