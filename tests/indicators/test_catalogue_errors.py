"""A wrong definition is refused with a message naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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


def test_file_name_must_match_id(tmp_path: Path) -> None:
    raw = _raw()
    (tmp_path / "informal.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(SpecError, match="name the file informality_rate.yaml"):
        load(tmp_path)


def test_invalid_yaml(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(SpecError, match="not valid YAML"):
        load(tmp_path)
