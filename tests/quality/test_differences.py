"""Where corridor deliberately differs from calidad 0.8.2 (docs/quality.md, "Where corridor differs").

Each difference listed there has a test: here, or in test_calidad_create.py / test_calidad_assess.py /
test_gaps.py / test_create_inputs.py where it shows on calidad's own data (the docs name the test).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from corridor import Design
from corridor.errors import UnsupportedError
from corridor.quality import assess, create_mean

from .tables import table


def test_rows_without_n_df_or_cv_are_kept_with_a_reason():
    """calidad's assess_ine drops them from its output; corridor keeps them, unlabelled, saying why."""
    t = table({"estimate": 100.0, "se": 5.0, "n": None, "df": 30}, {"estimate": 100.0, "se": 5.0, "n": 300, "df": 30})
    out = assess(t, "chile").to_pylist()
    assert len(out) == 2
    assert (out[0]["label"], out[0]["quality"], out[0]["quality_reason"]) == (None, None, "missing:n")
    assert out[0]["eval_n"] is None and out[0]["eval_df"] == "sufficient df"
    assert out[1]["label"] == "reliable"


def test_ratio_rule_switch_leaves_proportions_alone():
    """calidad switches its whole create_prop table to the CV rule (ratio_between_0_1 = FALSE, or one ratio
    above 1); corridor switches the ratios of that variable only: a proportion keeps INE's SE rule."""
    t = table(
        {"estimand": "proportion", "estimate": 0.5, "se": 0.06, "variable": "p"},
        {"estimand": "ratio", "estimate": 1.5, "se": 0.06, "variable": "r"},
        n=100, df=20,
    )
    for out in (assess(t, "chile"), assess(t, "chile", ratio_between_0_1=False)):
        assert out.column("quality_reason").to_pylist() == ["se<=p^(2/3)/9", "cv<=0.15"]


def test_domain_columns_keep_their_name_and_type():
    """calidad lower-cases the variable names and turns domain values into text; corridor keeps both."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"Region": np.repeat([1, 2], 100), "h": np.repeat([1, 2, 3, 4], 50),
                          "psu": np.repeat(np.arange(20), 10), "w": rng.uniform(1, 9, 200), "y": rng.normal(5, 1, 200)})
    out = create_mean(frame, Design(weights="w", strata="h", ids="psu"), "y", domains="Region")
    assert out.column_names[0] == "Region" and pa.types.is_integer(out.schema.field("Region").type)


def test_cells_without_a_target_sample_size_are_not_recovered():
    """chile_economics: calidad stops when table_n_obj misses a cell with n < 30 (and requires one target per
    row); corridor judges such a cell as not having recovered its target (non-reliable when n < 30)."""
    t = table({"region": "a", "estimate": 10.0, "se": 1.0, "n": 20, "df": 19},
              {"region": "b", "estimate": 10.0, "se": 1.0, "n": 20, "df": 19})
    targets = pa.table({"region": ["a"], "n_obj": [15.0]})
    out = assess(t, "chile_economics", domain_info=True, table_n_obj=targets).to_pylist()
    assert [r["compliance_rate"] for r in out] == [pytest.approx(20 / 15), None]
    assert [r["eval_compliance_rate"] for r in out] == ["sufficient rate", "insufficient rate"]
    assert [r["label"] for r in out] == ["reliable", "non-reliable"]


def test_publish_with_an_eclac_scheme_is_an_error():
    """calidad ignores publish = TRUE outside INE's schemes; corridor says it has no meaning there."""
    t = table({"estimate": 10.0, "se": 1.0, "n": 200, "df": 19, "deff": 1.2})
    with pytest.raises(UnsupportedError, match="publish=True is INE Chile's table criterion"):
        assess(t, "eclac_2023", publish=True)
    assert assess(t, "chile", publish=True).column("pass").to_pylist() == ["100% reliable estimates"]
