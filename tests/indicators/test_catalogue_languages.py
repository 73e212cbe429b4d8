"""Every indicator of the catalogue is documented in Spanish, French and English."""

from __future__ import annotations

import copy

import pytest
import yaml

from corridor.errors import SpecError
from corridor.indicators import load
from corridor.indicators.catalogue import DEFINITIONS, LANGUAGES, parse

CATALOGUE = load()


@pytest.mark.parametrize("ind_id", list(CATALOGUE))
def test_name_and_definition_in_every_language(ind_id: str) -> None:
    ind = CATALOGUE[ind_id]
    for lang in LANGUAGES:
        assert ind.label(lang).strip(), f"{ind_id}: no name in {lang}"
        assert len(ind.describe(lang)) > 20, f"{ind_id}: no real definition in {lang}"
    # the three languages are translations, not copies
    assert len({ind.label(lang) for lang in LANGUAGES} | {ind.describe(lang) for lang in LANGUAGES}) >= 4


@pytest.mark.parametrize("key", ["name", "definition"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_missing_language_is_refused(key: str, lang: str) -> None:
    raw = yaml.safe_load((DEFINITIONS / "unemployment_rate.yaml").read_text(encoding="utf-8"))
    broken = copy.deepcopy(raw)
    del broken[key][lang]
    with pytest.raises(SpecError, match=f"{key} has no text in {lang}"):
        parse(broken)
    broken[key][lang] = "  "
    with pytest.raises(SpecError, match=lang):
        parse(broken)


def test_v1_set_is_complete() -> None:
    """The v1 indicator set of the corridor profile (migration, labour, health, poverty)."""
    expected = {
        "migrant_stock", "population_share", "sex_ratio", "age_structure", "median_age", "regional_distribution",
        "years_since_arrival", "recent_migrant_share", "education_level", "labour_force_participation_rate",
        "employment_to_population_ratio", "unemployment_rate", "informality_rate", "median_labour_income",
        "overqualification_rate", "health_insurance_coverage", "uninsured_share", "unmet_health_need", "health_care_use",
        "good_self_rated_health", "income_poverty_rate",
    }
    assert expected <= set(CATALOGUE)


def test_sdg_tags_and_standards() -> None:
    assert "8.5.2" in CATALOGUE["unemployment_rate"].sdg
    assert "8.3.1" in CATALOGUE["informality_rate"].sdg
    assert "1.2.1" in CATALOGUE["income_poverty_rate"].sdg
    # every indicator is disaggregated by migratory status: target 17.18 (17.18.1 measures statistical capacity)
    assert all("17.18" in i.sdg and "17.18.1" not in i.sdg for i in CATALOGUE.values())
    # the insurance indicators relate to UHC (target 3.8) but are not the 3.8.1 service-coverage index
    assert CATALOGUE["uninsured_share"].sdg == ("3.8", "17.18")
    assert CATALOGUE["health_insurance_coverage"].sdg == ("3.8", "17.18")
    from corridor.programme import sdg

    # every tag is a code of the UN framework
    assert [(i.id, code) for i in CATALOGUE.values() for code in i.sdg if code not in sdg.framework()] == []
    assert all(sdg.check_code(code) == code for i in CATALOGUE.values() for code in i.sdg)
    assert CATALOGUE["unemployment_rate"].standard.startswith("ILO 19th ICLS")
    assert CATALOGUE["informality_rate"].standard.startswith("ILO 21st ICLS")
