"""SDG tags are checked against the UN list of goals, targets and indicators (shipped, with provenance)."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from corridor.errors import SpecError
from corridor.programme import sdg

from .conftest import DEMO_YAML


def test_the_list_is_the_un_framework():
    fw = sdg.framework()
    kinds = [c.kind for c in fw.values()]
    assert (kinds.count("goal"), kinds.count("target"), kinds.count("indicator")) == (17, 169, 248)
    assert sdg.title("17.18.1", "en") == "Statistical capacity indicator for Sustainable Development Goal monitoring"
    assert "migratory status" in sdg.title("17.18", "en") and "estatus migratorio" in sdg.title("17.18", "es")
    assert sdg.title("3.c.1", "fr") == "Densité et répartition du personnel de santé"
    assert sdg.title("11.5.3", "es") == sdg.title("11.5.3", "en")  # added in 2023, no translation published


@pytest.mark.parametrize("code", ["3", "3.8", "3.8.1", "3.c", "3.c.1", "10.7.2", "17.18", "17"])
def test_goals_targets_and_indicators_are_accepted(code):
    assert sdg.check_code(code) == code


@pytest.mark.parametrize(("bad", "near"), [("3.8.9", "3.8.1, 3.8.2"), ("18.1.1", None), ("3.z.1", None),
                                           ("0.1.1", None), ("3.8.1.2", None), ("SDG3", None)])
def test_unknown_codes_are_errors(bad, near):
    with pytest.raises(SpecError, match="is not an SDG goal, target or indicator") as err:
        sdg.check_code(bad)
    if near:
        assert f"codes near it: {near}" in err.value.hint


def test_demo_tags_are_the_corrected_ones():
    doc = yaml.safe_load(DEMO_YAML.read_text(encoding="utf-8"))
    tags = set(doc["programme"]["sdg"])
    for r in doc["results"]:
        tags |= set(r.get("sdg") or [])
        for i in r["indicators"]:
            tags |= set(i.get("sdg") or [])
    assert "17.18.1" not in tags and "3.c.1" not in tags  # not what these results measure
    assert {"17.18", "3.c", "3.8"} <= tags
    for code in tags:
        sdg.check_code(code)


def test_demo_indicator_tags_are_the_indicators_they_measure():
    """An indicator-level tag says the indicator measures that SDG indicator: only the tuberculosis
    rate per 100,000 does (3.3.2, incidence per 100,000); HIV notification ratios are not 3.3.1's new
    infections per 1,000 uninfected, and syphilis, insurance, self-rated health and training counts
    have no SDG indicator (their results carry the targets)."""
    doc = yaml.safe_load(DEMO_YAML.read_text(encoding="utf-8"))
    tagged = {i["code"]: i.get("sdg") for r in doc["results"] for i in r["indicators"] if i.get("sdg")}
    assert tagged == {"OC2.4": ["3.3.2"]}
    tb = next(i for r in doc["results"] for i in r["indicators"] if i["code"] == "OC2.4")
    assert tb["source"]["evidence"]["indicator"] == "notification_dsr_tuberculosis" and tb["unit"] == "per_100000"
    assert sdg.kind("3.3.2") == "indicator" and sdg.title("3.3.2", "en") == "Tuberculosis incidence per 100,000 population"


def test_tags_for_catalogue_indicators():
    assert sdg.tags_for("uninsured_share", "corridor") == ["3.8", "17.18"]
    assert sdg.tags_for("notification_dsr_syphilis", "gap") == ["3.3", "17.18"]
    assert sdg.tags_for("notification_dsr_tuberculosis", "corridor") == ["3.3.2", "17.18"]
    assert sdg.tags_for("notification_rate_tuberculosis", "natives") == ["3.3.2", "17.18"]
    assert sdg.tags_for("notification_dsr_ratio_tuberculosis", "gap") == ["3.3", "17.18"]
    assert sdg.tags_for("notification_rate_ratio_tuberculosis", "gap") == ["3.3", "17.18"]
    assert sdg.tags_for("notification_count_tuberculosis", "corridor") == ["3.3", "17.18"]
    assert sdg.tags_for("notification_rate_hiv", "corridor") == ["3.3", "17.18"]
    assert sdg.tags_for("unemployment_rate", "all") == ["8.5.2"]


@given(st.lists(st.tuples(st.text(max_size=3), st.lists(st.sampled_from(["3", "3.8", "3.8.1", "17.18", "3.c"]),
                                                        max_size=3, unique=True)), max_size=20))
def test_grouping_keeps_every_tag_once_in_order(items):
    groups = sdg.group_by_sdg(items, lambda x: x[1])
    assert sum(len(v) for v in groups.values()) == sum(len(x[1]) for x in items)
    assert list(groups) == sorted(groups, key=sdg.sort_key)
