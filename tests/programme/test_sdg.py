"""SDG tags: code validation, titles in three languages, grouping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corridor.errors import SpecError
from corridor.programme import sdg


@pytest.mark.parametrize("code", ["3.8.1", "3.3.1", "3.3.2", "8.5.2", "8.3.1", "1.2.1", "10.7.2", "17.18.1", "3.c.1"])
def test_catalogue_codes_are_valid_and_titled(code):
    assert sdg.check_code(code) == code
    for lang in ("es", "fr", "en"):
        assert sdg.title(code, lang) != code


@pytest.mark.parametrize("bad", ["3.8", "18.1.1", "3.z.1", "0.1.1", "3.8.1.2", "SDG3"])
def test_bad_codes(bad):
    with pytest.raises(SpecError, match="is not an SDG indicator code"):
        sdg.check_code(bad)


def test_tags_for_catalogue_indicators():
    assert sdg.tags_for("uninsured_share", "born_COL") == ["3.8.1", "17.18.1"]
    assert sdg.tags_for("unemployment_rate", "native") == ["8.5.2", "17.18.1"]
    assert sdg.tags_for("unemployment_rate", "all") == ["8.5.2"]


@given(st.lists(st.tuples(st.text(max_size=3), st.lists(st.sampled_from(list(sdg.SDG_INDICATORS)), max_size=3,
                                                        unique=True)), max_size=20))
def test_grouping_keeps_every_tag_once_in_order(items):
    groups = sdg.group_by_sdg(items, lambda x: x[1])
    assert sum(len(v) for v in groups.values()) == sum(len(x[1]) for x in items)
    assert list(groups) == sorted(groups, key=sdg.sort_key)
    for code, members in groups.items():
        assert all(code in x[1] for x in members)
