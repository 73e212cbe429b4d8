"""A wrong definition is refused with a message naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from corridor import i18n
from corridor.errors import SpecError
from corridor.indicators.catalogue import DEFINITIONS, load, parse


def _raw() -> dict:
    return yaml.safe_load((DEFINITIONS / "informality_rate.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": "average"}, "type 'average' is not one of"),
        ({"concepts": ["informal", "shoe_size"]}, "unknown concept"),
        ({"numerator": None}, "a rate needs 'numerator'"),
        ({"universe": None}, "need a universe"),
        ({"populations": ["martians"]}, "unknown population"),
        ({"disaggregations": ["planet"]}, "unknown disaggregation"),
        ({"colour": "red"}, "unknown key"),
    ],
)
def test_bad_definitions(change: dict, message: str) -> None:
    raw = {**_raw(), **change}
    with pytest.raises(SpecError, match=message):
        parse(raw)


def test_bad_definitions_read_in_the_users_language() -> None:
    raw = {**_raw(), "type": "average"}
    with pytest.raises(SpecError) as err:
        parse(raw, DEFINITIONS / "informality_rate.yaml")
    message, hint = err.value.render("fr")
    assert message == ("définition d'indicateur informality_rate.yaml : le type 'average' n'est pas l'un de total, share, rate, mean, median, ratio, distribution"), message
    assert hint == "écrivez `type:` suivi de l'un d'eux"
    message, hint = err.value.render("es")
    assert message == ("definición de indicador informality_rate.yaml: el tipo 'average' no es uno de total, share, rate, mean, median, ratio, distribution"), message
    assert hint == "escriba type: seguido de uno de ellos"
    with i18n.language("es"), pytest.raises(SpecError, match=r"min_age debe ser un número entero de años, no -3"):
        parse({**_raw(), "min_age": -3})


def test_file_name_must_match_id(tmp_path: Path) -> None:
    raw = _raw()
    (tmp_path / "informal.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(SpecError, match="name the file informality_rate.yaml"):
        load(tmp_path)


def test_invalid_yaml(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML"):
        load(tmp_path)


@pytest.mark.parametrize(
    ("key", "text", "problem"),
    [
        ("universe", "age >= 15 AND (SELECT count(*) FROM read_csv('/etc/passwd')) > 0", "subquery is not allowed"),
        ("numerator", "read_text('/etc/passwd') IS NOT NULL", r"function read_text\(\) is not allowed"),
        ("numerator", "getenv('HOME') = 'x'", r"function getenv\(\) is not allowed"),
        ("universe", "shoe_size > 40", "'shoe_size' is not a canonical concept"),
        ("numerator", "informal; DROP TABLE x", "it is not one expression"),
    ],
)
def test_definition_expressions_outside_the_whitelist_are_refused(key: str, text: str, problem: str) -> None:
    """A YAML definition reaches the engine as SQL: no subquery, file-reading function or unknown column."""
    with pytest.raises(SpecError, match=rf"(?s)informality_rate.yaml: {key} .* is not allowed: {problem}.*Hint: write a condition"):
        parse({**_raw(), key: text}, DEFINITIONS / "informality_rate.yaml")


def test_every_shipped_expression_is_inside_the_whitelist() -> None:
    """The shipped catalogue uses comparisons, IN, IS NULL, CASE and substr only: all allowed."""
    shipped = load()
    assert len(shipped) >= 20
    assert any(i.categories and "CASE" in i.categories["expr"] for i in shipped.values())
    assert any(i.numerator and "substr(" in i.numerator for i in shipped.values())
