"""Labels in es/fr/en, calidad's own strings, and the table-level publication rule."""

from __future__ import annotations

import pandas as pd
import pytest

from corridor.errors import InputError, UnsupportedError
from corridor.quality import (
    add_labels,
    assess,
    calidad_label,
    is_publishable,
    publishable,
    render_label,
    render_suppression,
)
from corridor.quality.schemes import SCHEMES

from .tables import table


def test_every_code_of_every_scheme_has_a_label_in_each_language():
    for scheme in SCHEMES.values():
        for code in scheme.codes:
            labels = {lang: render_label(code, lang) for lang in ("es", "fr", "en")}
            assert all(labels.values()), (scheme.name, code)
    assert render_label(None, "fr") == "non évaluée"


def test_spanish_labels_are_ines_and_english_ones_calidads():
    # INE Chile publishes fiable / poco fiable / no fiable (calidad <= 0.2.0 printed them too)
    assert [render_label(c, "es") for c in SCHEMES["chile"].codes] == ["fiable", "poco fiable", "no fiable"]
    # calidad >= 0.3.0 prints reliable / weakly reliable / non-reliable
    assert [calidad_label(c, "chile") for c in SCHEMES["chile"].codes] == [
        "reliable",
        "weakly reliable",
        "non-reliable",
    ]
    assert calidad_label("weakly_reliable", "eclac_2023") == "weakly-reliable"
    assert calidad_label("suppress", "eclac_2020") == "supress"
    assert render_label("weakly_reliable", "fr") == "peu fiable"


def test_add_labels_renders_the_quality_column():
    t = assess(
        table(
            {"estimate": 100.0, "se": 10.0},
            {"estimate": 100.0, "se": 20.0},
            {"estimate": 100.0, "se": 0.0},
            n=100,
            df=20,
        ),
        "chile",
    )
    assert add_labels(t, "es").column("quality_label").to_pylist() == ["fiable", "poco fiable", "no evaluada"]
    assert add_labels(t.to_pandas(), "en-GB")["quality_label"].tolist() == [
        "reliable",
        "weakly reliable",
        "not assessed",
    ]


def test_suppression_reasons_have_sentences():
    assert render_suppression("secondary", "es") == "suprimida para proteger otra celda"
    assert render_suppression(None, "en") == ""


def test_unknown_language_code_or_scheme_is_a_user_error():
    with pytest.raises(InputError, match="unsupported language 'de'"):
        render_label("reliable", "de")
    with pytest.raises(InputError, match="unknown quality code 'good'"):
        render_label("good")
    with pytest.raises(InputError, match="does not belong to scheme"):
        calidad_label("publish", "chile")


def test_publishable_rounds_the_share_like_calidad():
    # 1 reliable of 2 = 50.00% -> publish; 1 of 3 = 33.33% -> do not publish
    two = assess(table({"estimate": 100.0, "se": 10.0}, {"estimate": 100.0, "se": 50.0}, n=100, df=20))
    assert is_publishable(two)
    three = assess(
        table(
            {"estimate": 100.0, "se": 10.0},
            {"estimate": 100.0, "se": 50.0},
            {"estimate": 100.0, "se": 40.0},
            n=100,
            df=20,
        )
    )
    result = publishable(three)
    assert result.to_pylist() == [{"cells": 3, "reliable": 1, "pct_reliable": 33.33, "publish": False}]


def test_publishable_skips_cells_without_n_df_or_cv_like_calidad():
    t = assess(
        table({"estimate": 100.0, "se": 10.0}, {"estimate": 100.0, "se": 50.0, "df": None}, n=100, df=20)
    )
    assert publishable(t).to_pylist()[0]["cells"] == 1


def test_publishable_refuses_eclac_2020_codes():
    t = assess(table({"estimate": 100.0, "se": 10.0}, n=300, df=20, deff=1.0, unweighted=300), "eclac_2020")
    with pytest.raises(UnsupportedError, match="ECLAC 2020"):
        publishable(t)


def test_publishable_by_group_returns_pandas_for_pandas():
    t = assess(
        table(
            {"estimate": 100.0, "se": 10.0, "region": "a"},
            {"estimate": 100.0, "se": 50.0, "region": "b"},
            n=100,
            df=20,
        )
    ).to_pandas()
    out = publishable(t, by=["region"])
    assert isinstance(out, pd.DataFrame)
    assert out.publish.tolist() == [True, False]


def test_an_empty_table_is_not_publishable():
    empty = assess(table({"estimate": 1.0, "se": 0.1}, n=100, df=20).slice(0, 0))
    assert empty.num_rows == 0
    assert publishable(empty).to_pylist() == [
        {"cells": 0, "reliable": 0, "pct_reliable": None, "publish": False}
    ]
    assert not is_publishable(empty)
