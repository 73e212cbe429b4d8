"""What assess and suppress say when the table does not fit."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest

from corridor import i18n
from corridor.errors import ColumnNotFoundError, InputError, SpecError
from corridor.quality import assess, suppress

from .tables import table


def test_missing_column_names_it_and_suggests():
    t = table({"estimate": 1.0, "se": 0.1, "n": 100}).rename_columns(
        ["estimand", "variable", "level", "estimate", "se", "cv", "n_obs"]
    )
    with pytest.raises(ColumnNotFoundError, match="'n'"):
        assess(t)


def test_eclac_without_design_effects_is_an_error_not_a_pass():
    t = table({"estimate": 1.0, "se": 0.1}, n=100, df=10)
    for scheme in ("eclac_2023", "eclac_2020"):
        with pytest.raises(InputError, match="'ess must be used!'") as err:
            assess(t, scheme)
        assert "deff=True" in err.value.hint
    # a column of nulls (the engine's table estimated without deff=True) is no better
    nulls = t.append_column("deff", pa.array([None], pa.float64()))
    with pytest.raises(InputError, match="needs the effective sample size"):
        assess(nulls, "eclac_2020")
    # an ESS without deff does for ECLAC 2020, not for 2023 (which judges deff itself)
    with_ess = t.append_column("ess", pa.array([80.0]))
    assert assess(with_ess, "eclac_2020").column("quality").to_pylist() == ["suppress"]
    with pytest.raises(InputError, match="'deff must be used!'"):
        assess(with_ess, "eclac_2023")


def test_eclac_proportions_need_the_unweighted_count():
    t = table({"estimand": "proportion", "estimate": 0.2, "se": 0.01}, n=100, df=10, deff=1.2)
    t = t.drop_columns(["unweighted"]) if "unweighted" in t.column_names else t
    with pytest.raises(InputError, match="unweighted count") as err:
        assess(t, "eclac_2023")
    assert "unweighted_column='n'" in err.value.hint
    out = assess(t, "eclac_2023", unweighted_column="n").to_pylist()[0]
    assert out["quality"] == "reliable"


def test_unknown_scheme_parameter_and_estimand_are_reported():
    t = table({"estimate": 1.0, "se": 0.1}, n=100, df=10)
    with pytest.raises(SpecError, match="unknown quality scheme 'ine'"):
        assess(t, "ine")
    with pytest.raises(SpecError, match="no parameter 'cv_upper'") as err:
        assess(t, "chile", cv_upper=0.2)
    assert "cv_upper_ine" in err.value.hint
    bad = table({"estimand": "median", "estimate": 1.0, "se": 0.1}, n=100, df=10)
    with pytest.raises(InputError, match="unknown estimand 'median' in column 'estimand', row 0"):
        assess(bad)


def test_non_numeric_column_is_reported():
    t = table({"estimate": 1.0, "se": 0.1}, df=10).append_column("n", pa.array(["many"]))
    with pytest.raises(InputError, match="column 'n' must be numeric"):
        assess(t)


def test_polars_in_polars_out():
    t = pl.from_arrow(table({"estimate": 100.0, "se": 10.0}, n=100, df=20))
    out = assess(t)
    assert isinstance(out, pl.DataFrame)
    assert out["quality"].to_list() == ["reliable"]
    assert isinstance(suppress(out, by=[]), pl.DataFrame)


def test_not_a_table():
    with pytest.raises(InputError, match="pyarrow Table or a pandas/polars DataFrame"):
        assess([{"estimate": 1.0}])


def test_mistakes_read_in_the_users_language():
    t = table({"estimate": 1.0, "se": 0.1}, n=100, df=10)
    with pytest.raises(SpecError) as err:
        assess(t, "chile", cv_upper=0.2)
    message, hint = err.value.render("fr")
    assert message == "le schéma 'chile' n'a pas de paramètre 'cv_upper'"
    assert hint is not None and hint.startswith("vouliez-vous dire 'cv_upper_ine' ? ses paramètres sont : ")
    message, hint = err.value.render("es")
    assert message == "el esquema 'chile' no tiene el parámetro 'cv_upper'"
    assert hint is not None and hint.startswith("¿quiso decir 'cv_upper_ine'? sus parámetros son: ")
    with pytest.raises(InputError) as err:
        assess([{"estimate": 1.0}])
    assert err.value.render("fr")[0] == "le tableau des estimations doit être une Table pyarrow ou un DataFrame pandas/polars, pas list"
    with i18n.language("es"), pytest.raises(ColumnNotFoundError, match="no .* en la tabla de estimaciones"):
        assess(table({"estimate": 1.0, "se": 0.1}, df=10))
