"""What the service refuses reads in the reader's language: an upload's problems one per line, a form's
errors, the API's errors, and a registered source's ledger notes (kept as catalogue ids, shown in each
reader's language)."""

from __future__ import annotations

import html
import io

from svc_helpers import training_form

BAD_DATE = (
    "session_id,date,region,facility,course,topic,participant_id,profession,sex,pre_score,post_score\n"
    "R1,2026-02-30,CL-AN,CESFAM Sur,CULT-2,Culture,Q1,nurse,F,40,55\n"
)


def _upload(env, csrf, lang: str):
    return env.client.post(
        f"/programme/trainings/upload?lang={lang}", data={"csrf_token": csrf},
        files={"file": ("records.csv", io.BytesIO(BAD_DATE.encode()), "text/csv")}, follow_redirects=False)


def test_import_problems_in_spanish_and_french(env):
    csrf = env.login("reg")
    r = _upload(env, csrf, "es")
    text = html.unescape(r.text)
    assert r.status_code == 422
    assert "1 problema en los registros de capacitación records-" in text, text
    assert ", fila 2, columna 'date', valor '2026-02-30': no es una fecha (AAAA-MM-DD)" in text
    assert "corrija estas filas e importe de nuevo el archivo completo" in text
    assert "is not a date" not in text and "nothing was imported" not in text
    r = _upload(env, csrf, "fr")
    text = html.unescape(r.text)
    assert r.status_code == 422
    assert "1 problème dans les registres de formation records-" in text and "rien n'a été importé" in text, text
    assert ", ligne 2, colonne 'date', valeur '2026-02-30' : n'est pas une date (AAAA-MM-JJ)" in text
    assert "corrigez ces lignes et importez de nouveau tout le fichier" in text


def test_form_errors_in_spanish_and_french(env):
    csrf = env.login("reg")
    data = training_form(csrf)
    data["p1_pre_score"] = "140"
    r = env.client.post("/programme/trainings?lang=es", data=data)
    text = html.unescape(r.text)
    assert r.status_code == 422
    assert "valor '140': es mayor que 100; los puntajes van de 0 a 100" in text, text
    assert "no se importó nada" in text and "is above 100" not in text
    values = {"csrf_token": csrf, "indicator": "OP1.1.1", "period": "2026", "area": "CL-XX", "value": "-2"}
    r = env.client.post("/programme/values?lang=fr", data=values)
    text = html.unescape(r.text)
    assert r.status_code == 422
    assert ("valeur de OP1.1.1 : la zone 'CL-XX' n'est ni une région (ISO 3166-2) ni un pays du programme ; "
            "valeur de OP1.1.1 : la valeur '-2' n'est pas un effectif (un nombre, 0 ou plus)") in text, text
    assert "corrigez la valeur et saisissez-la de nouveau ; rien n'a été écrit" in text
    # a partner acting for another organisation, through the API, in Spanish
    r = env.client.post("/api/v1/programme/values?lang=es", headers={"X-CSRF-Token": csrf},
                        json={"indicator": "OP1.1.1", "period": "2026", "area": "CL-AN", "value": 5,
                              "organisation": "CIVIL-SOCIETY"})
    assert r.status_code == 403
    assert r.json()["error"] == "usted registra para REGIONAL-HEALTH-AN, no para CIVIL-SOCIETY", r.json()
    assert r.json()["hint"] == "los socios registran solo los datos de su propia organización"


def test_api_errors_and_sign_in_in_french(env):
    r = env.client.get("/api/v1/jobs/999?lang=fr")
    assert r.status_code == 401 and r.json()["error"] == "connectez-vous d'abord", r.json()
    env.login("ana")
    r = env.client.get("/api/v1/jobs/999?lang=fr")
    assert r.status_code == 404
    assert (r.json()["error"], r.json()["hint"]) == ("il n'y a pas de tâche 999", "voyez /api/v1/jobs")
    r = env.client.get("/api/v1/jobs/999?lang=en")
    assert (r.json()["error"], r.json()["hint"]) == ("there is no job 999", "see /api/v1/jobs")


def test_registered_source_note_in_each_readers_language(env):
    """The ledger of a source registered with a spec is stored once; its note reads in each reader's language."""
    import shutil
    from pathlib import Path

    import corridor

    persons = Path(corridor.__file__).parent / "datasets" / "enusc_nationality" / "enusc_2020_persons.parquet"
    shutil.copy(persons, env.settings.data_dir / "enusc.parquet")
    csrf = env.login("admin")
    r = env.client.post("/api/v1/sources?lang=es", headers={"X-CSRF-Token": csrf},
                        json={"name": "ENUSC", "path": "enusc.parquet", "spec": "enusc_2020"})
    assert r.status_code in (200, 201), r.text
    page = {lang: html.unescape(env.client.get(f"/sources?lang={lang}").text) for lang in ("es", "fr", "en")}
    assert "migrant_status: nacido fuera de CHL; si falta el lugar de nacimiento" in page["es"]
    assert "migrant_status : né hors de CHL ; si le lieu de naissance manque" in page["fr"]
    assert "migrant_status: born outside CHL; where birthplace is missing" in page["en"]
    api = env.client.get("/api/v1/sources?lang=fr").json()["data"][0]["ledger"]["notes"]
    assert api[0].startswith("migrant_status : né hors de CHL")
