"""What create_* say when the request or the data do not fit (calidad's checks, with corridor's hints)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from corridor import Design
from corridor.errors import ColumnNotFoundError, InputError, MissingValueError, UnsupportedError
from corridor.quality import create, create_mean, create_prop, create_size

DESIGN = Design(weights="w", strata="h", ids="psu", lonely_psu="certainty")


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 400
    return pd.DataFrame({
        "h": np.repeat(np.arange(4), n // 4), "psu": np.repeat(np.arange(40), n // 40), "w": rng.uniform(5, 50, n),
        "y": rng.normal(100, 20, n), "d": rng.integers(0, 2, n), "sub": (np.arange(n) % 3 > 0).astype(int),
        "region": np.tile([1, 2], n // 2), "txt": ["a"] * n,
    })


def test_size_and_prop_need_a_dummy(frame):
    with pytest.raises(InputError, match="needs a 0/1 variable.*'y'.*calidad: 'It seems yor are not using a dummy") as e:
        create_size(frame, DESIGN, "y")
    assert "recode 'y'" in e.value.hint
    with pytest.raises(InputError, match="needs a 0/1 variable"):
        create_prop(frame, DESIGN, "y", domains="region")


def test_a_mean_of_a_dummy_warns_as_calidad(frame):
    with pytest.warns(UserWarning, match="looks like a proportion"):
        create_mean(frame, DESIGN, "d")


def test_subpop_must_be_a_complete_dummy(frame):
    frame.loc[3, "sub"] = None
    with pytest.raises(MissingValueError, match="subpopulation column 'sub' has 1 missing"):
        create_mean(frame, DESIGN, "y", subpop="sub")
    frame.loc[3, "sub"] = 2
    with pytest.raises(InputError, match="values other than 0 and 1"):
        create_mean(frame, DESIGN, "y", subpop="sub")


def test_missing_values_need_rm_na(frame):
    frame.loc[[1, 5, 9], "y"] = None
    with pytest.raises(MissingValueError, match="'y' has 3 missing values") as e:
        create_mean(frame, DESIGN, "y", domains="region")
    assert "rm_na=True" in e.value.hint
    out = create_mean(frame, DESIGN, "y", domains="region", rm_na=True, deff=True)
    assert sum(out.column("n").to_pylist()) == 397
    # missing values outside the subpopulation do not matter (calidad subsets first)
    frame["sub"] = 1
    frame.loc[[1, 5, 9], "sub"] = 0
    assert create_mean(frame, DESIGN, "y", subpop="sub").num_rows == 1


def test_options_that_belong_to_another_kind(frame):
    with pytest.raises(InputError, match="log_cv is an option of create_prop"):
        create_mean(frame, DESIGN, "y", log_cv=True)
    with pytest.raises(InputError, match="denominator= makes a ratio"):
        create("mean", frame, DESIGN, "y", denominator="w")
    with pytest.raises(InputError, match="ECLAC 2020 has no rule for a ratio") as e:
        create_prop(frame, DESIGN, "d", denominator="sub", eclac_input=True)
    assert "scheme='eclac_2023'" in e.value.hint
    assert "log_cv" in create_prop(frame, DESIGN, "d", denominator="sub", eclac_input=True,
                                   scheme="eclac_2023").column_names
    with pytest.raises(UnsupportedError, match="a median has no design effect"):
        create("median", frame, DESIGN, "y", eclac_input=True)
    with pytest.raises(InputError, match="unknown kind 'average'"):
        create("average", frame, DESIGN, "y")  # type: ignore[arg-type]


def test_columns_are_named_and_checked(frame):
    with pytest.raises(ColumnNotFoundError, match="'regoin' not found") as e:
        create_mean(frame, DESIGN, "y", domains="regoin")
    assert "region" in e.value.hint
    with pytest.raises(InputError, match="'txt' is not numeric.*character vector"):
        create_mean(frame, DESIGN, "txt")


def test_ess_without_deff_warns_and_domains_may_be_a_list(frame):
    with pytest.warns(UserWarning, match="ess needs the design effect"):
        out = create_mean(frame, DESIGN, "y", domains=["region"], ess=True)
    assert "ess" not in out.column_names
    assert out.column_names[:6] == ["region", "stat", "se", "df", "n", "cv"]
