"""Harmonization speaks the reader's language: its errors, and the notes of its row ledger.

A harmonized source's ledger is stored (the service keeps a registered source's ledger) and read
again later in other languages, so a note is kept as a catalogue id with its parameters and only
rendered when it is shown.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from corridor import i18n
from corridor.cli import main
from corridor.errors import SpecError
from corridor.harmonize import UnknownCodeError, harmonize, load_spec
from corridor.sources.ledger import note_text

SPEC = {
    "name": "test_spec",
    "country": "CHL",
    "columns": {"sex": {"from": "sexo", "codes": {1: "male", 2: "female"}}, "age": "edad",
                "country_birth": {"from": "pais", "codes": {1: "CHL", 2: "VEN"}}},
    "derive": {"migrant_status": None},
    "design": {"weight": "expr"},
}
NOTE = {
    "en": "migrant_status: born outside CHL; where birthplace is missing, citizenship of another country "
          "(migrant_basis says which)",
    "es": "migrant_status: nacido fuera de CHL; si falta el lugar de nacimiento, nacionalidad de otro país "
          "(migrant_basis indica cuál)",
    "fr": "migrant_status : né hors de CHL ; si le lieu de naissance manque, nationalité d'un autre pays "
          "(migrant_basis dit lequel)",
}


def test_ledger_note_is_rendered_in_the_reader_language_after_storage(tmp_path) -> None:
    p = tmp_path / "casen.csv"
    p.write_text("sexo,edad,pais,expr\n1,30,1,10\n2,40,2,10\n")
    with i18n.language("es"):  # made in Spanish, read in French: nothing is fixed at creation
        ledger = harmonize(p, SPEC).ledger
    assert ledger.to_text("fr").splitlines()[-1] == f"note : {NOTE['fr']}"
    assert ledger.to_text("es").splitlines()[-1] == f"nota: {NOTE['es']}"
    stored = json.loads(ledger.to_json())["notes"]  # with its text in the language of the moment, for JSON readers
    assert stored == [{"key": "harmonize.note.migrant_status", "params": {"host": "CHL"}, "text": NOTE["en"]}]
    assert [note_text(n, lang) for n in stored for lang in ("en", "es", "fr")] == [NOTE["en"], NOTE["es"], NOTE["fr"]]
    assert note_text("a spec's own note", "fr") == "a spec's own note"  # text a spec wrote stays as written


@pytest.mark.parametrize("lang", ["es", "fr"])
def test_sources_check_prints_the_note_in_the_language(lang: str) -> None:
    res = CliRunner().invoke(main, ["--lang", lang, "sources", "check", "enusc_2020"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert NOTE[lang] in res.output and "born outside" not in res.output


def test_unknown_code_error_in_spanish_and_french(tmp_path) -> None:
    p = tmp_path / "casen.csv"
    p.write_text("sexo,edad,pais,expr\n1,30,1,10\n3,40,1,10\n2,50,2,10\n3,20,1,10\n")
    with pytest.raises(UnknownCodeError) as err:
        harmonize(p, SPEC)
    es, es_hint = err.value.render("es")
    assert es.endswith("(especificación 'test_spec'): la columna 'sexo' (-> sex) tiene códigos que la especificación "
                       "no asigna: 3 (2 filas); primero en la(s) fila(s) de datos 2, 4"), es
    assert es_hint.startswith("agréguelos en columns.sex.codes")
    fr, fr_hint = err.value.render("fr")
    assert fr.endswith("(spécification 'test_spec') : la colonne 'sexo' (-> sex) a des codes que la spécification "
                       "ne traduit pas : 3 (2 lignes) ; d'abord aux lignes de données 2, 4"), fr
    assert fr_hint.startswith("ajoutez-les sous columns.sex.codes")


def test_spec_errors_in_spanish_and_french() -> None:
    with pytest.raises(SpecError) as err:
        load_spec({**SPEC, "unknown": "drop"})
    assert err.value.render("es") == ("especificación 'test_spec': unknown: 'drop' no es uno de error, missing, reject",
                                      "vea docs/sources.md para el formato de las especificaciones")
    assert err.value.render("fr")[0] == ("spécification 'test_spec' : `unknown:` 'drop' n'est pas l'une des valeurs "
                                         "error, missing, reject")
    assert err.value.render("en")[0] == "spec 'test_spec': unknown: 'drop' is not one of error, missing, reject"
    with pytest.raises(SpecError) as err:
        load_spec("casen_2099")
    assert err.value.render("fr")[0] == "aucune spécification ne s'appelle 'casen_2099'"
