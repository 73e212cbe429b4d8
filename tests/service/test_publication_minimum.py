"""The publication minimum: a viewer never sees a survey cell from fewer than the server's ``min_n`` sample
cases in any page, API answer or download; a run made with a lower ``min_n`` exists for analysts only, marked
"not for publication" everywhere it appears."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pytest
from conftest import make_env
from openpyxl import load_workbook

from corridor.service.jobs import check_params, run_profile

MIN = 30


@pytest.fixture(scope="module")
def low_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run made with min_n=1 (an analyst's internal run), built once by the job code."""
    root = tmp_path_factory.mktemp("low") / "profiles"
    root.mkdir()
    params = check_params({"origin": "COL", "destination": "CHL", "pages": ["en"], "min_n": 1})
    params["publication_min_n"] = MIN
    run_id = run_profile(params, root, None, lambda f, m: None)
    return root / run_id


@pytest.fixture
def both(tmp_path: Path, template_data: Path, low_run: Path):
    for env in make_env(tmp_path, template_data, min_n=MIN):
        shutil.copytree(low_run, env.settings.data_dir / "profiles" / low_run.name)
        yield env, env.run_id, low_run.name


def _survey_n(rows) -> list[int]:
    return [int(r["n"]) for r in rows if r["source_kind"] == "survey" and r["n"] not in (None, "")]


def test_a_run_below_the_minimum_does_not_exist_for_a_viewer(both):
    env, good, low = both
    assert low > good  # the newer run
    env.login("vic")
    assert [r["id"] for r in env.client.get("/api/v1/profiles").json()["data"]] == [good]
    for path in (
        f"/profiles/{low}",
        f"/profiles/{low}/table.csv",
        f"/profiles/{low}/charts/gaps.csv",
        f"/profiles/{low}/full-en.html",
        f"/api/v1/profiles/{low}",
        f"/api/v1/profiles/{low}/indicators",
        f"/api/v1/profiles/{low}/charts/gaps?format=csv",
        f"/profiles/{good}?run={low}",
    ):
        assert env.client.get(path).status_code == 404, path
    assert env.client.get("/api/v1/indicators").json()["run"] == good
    assert env.client.get("/profiles", follow_redirects=False).headers["location"] == f"/profiles/{good}"


def test_a_viewer_never_sees_a_cell_below_the_minimum(both):
    env, good, _low = both
    env.login("vic")
    everything = "area=all&period=all&population=all&disaggregation=all&indicator=all"
    data, offset = [], 0
    while True:
        page = env.client.get(
            f"/api/v1/profiles/{good}/indicators?{everything}&limit=5000&offset={offset}"
        ).json()
        data += page["data"]
        offset += 5000
        if offset >= page["count"]:
            break
    assert page["for_publication"] is True and len(data) == page["count"] > 1000
    ns = _survey_n(data)
    assert ns and min(ns) >= MIN
    assert any(r["suppressed"] and r["estimate"] is None for r in data)
    body = env.client.get(f"/profiles/{good}/table.csv?{everything}").text
    assert min(_survey_n(csv.DictReader(io.StringIO(body)))) >= MIN
    ws = load_workbook(io.BytesIO(env.client.get(f"/profiles/{good}/table.xlsx?{everything}").content)).active
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    assert min(_survey_n(dict(zip(head, r)) for r in rows[1:])) >= MIN
    for chart in ("gaps", "regions", "pyramid", "trend"):
        for url in (
            f"/profiles/{good}/charts/{chart}.csv?{everything}",
            f"/api/v1/profiles/{good}/charts/{chart}?format=csv",
        ):
            rows = list(csv.DictReader(io.StringIO(env.client.get(url).text)))
            assert all(n >= MIN for n in _survey_n(rows)), url
    for dis in ("total", "sex", "age_band", "region"):
        html = env.client.get(f"/profiles/{good}?population=all&indicator=all&disaggregation={dis}").text
        for tr in re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL):
            if 'class="q ' in tr:  # a survey row: its last number is its sample cases
                cases = re.findall(r'<td class="num">([^<]*)</td>', tr)[-1]
                assert int(re.sub(r"\D", "", cases)) >= MIN, tr


def test_an_analyst_sees_the_run_marked_not_for_publication(both):
    env, good, low = both
    env.login("ana")
    listed = {r["id"]: r for r in env.client.get("/api/v1/profiles").json()["data"]}
    assert listed[low]["for_publication"] is False and listed[good]["for_publication"] is True
    page = env.client.get(f"/profiles/{low}?lang=es").text
    assert 'id="not-for-publication"' in page and "NO APTO PARA PUBLICACIÓN" in page
    assert 'id="not-for-publication"' not in env.client.get(f"/profiles/{good}").text
    everything = "area=all&period=all&population=all&disaggregation=all&indicator=all"
    j = env.client.get(f"/api/v1/profiles/{low}/indicators?{everything}&limit=5000&lang=en").json()
    assert j["for_publication"] is False and "NOT FOR PUBLICATION" in j["notice"]
    assert min(_survey_n(j["data"])) < MIN  # the run's own minimum applies to what analysts see
    r = env.client.get(f"/profiles/{low}/table.csv?lang=fr")
    assert r.text.startswith("# NE PAS PUBLIER") and "NOT-FOR-PUBLICATION" in r.headers["content-disposition"]
    assert "NOT FOR PUBLICATION" in env.client.get(f"/profiles/{low}/full-en.html?lang=en").text


def test_jobs_default_to_the_publication_minimum(both):
    env, _good, _low = both
    csrf = env.login("ana")
    env.client.app.state.services.runner.stop(timeout=1)  # queue only
    job = env.client.post("/api/v1/jobs", json={}, headers={"X-CSRF-Token": csrf}).json()
    assert job["params"]["min_n"] == MIN
    job = env.client.post("/api/v1/jobs", json={"min_n": 5}, headers={"X-CSRF-Token": csrf}).json()
    assert job["params"]["min_n"] == 5


def test_programme_evidence_follows_the_rule(tmp_path):
    from corridor.programme.evidence import read_evidence

    head = ("indicator,population,area,period,disaggregation,disaggregation_value,level,estimate,se,ci_low,ci_high,"
            "ci_level,unit,quality,suppressed,status,source,synthetic")
    path = tmp_path / "evidence.csv"
    path.write_text(
        head + ",n,source_kind\n"
        "unemployment_rate,corridor,CHL,2022,total,_T,,9.5,1.2,7.1,11.9,0.95,percent,reliable,false,ok,survey,false,"
        "12,survey\n"
        "unemployment_rate,natives,CHL,2022,total,_T,,8.0,0.3,7.4,8.6,0.95,percent,reliable,false,ok,survey,false,"
        "900,survey\n",
        encoding="utf-8",
    )
    rows = {r.population: r for r in read_evidence(path, min_n=MIN).rows}
    assert rows["corridor"].suppressed and rows["corridor"].estimate is None and rows["corridor"].se is None
    assert rows["corridor"].suppression_reason == "primary_min_n" and rows["corridor"].n is None
    assert not rows["natives"].suppressed and rows["natives"].estimate == 8.0
    assert not read_evidence(path, min_n=10).rows[0].suppressed
