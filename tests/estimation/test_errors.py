"""Bad input gets a typed error that says what, where and how to fix it."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import corridor as cr
from corridor import errors
from corridor.estimation.replicates import replicate_covariance, replicate_variance

DESIGN = cr.Design(weights="w", strata="h", ids="psu")


def table(**over: list) -> pa.Table:
    cols = {"h": [1, 1, 2, 2], "psu": [1, 2, 3, 4], "w": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 2.0, 3.0, 4.0],
            "g": ["a", "a", "b", "b"]}
    cols.update(over)
    return pa.table(cols)


def test_missing_column_is_named_with_a_suggestion() -> None:
    with pytest.raises(errors.ColumnNotFoundError, match=r"'yy' not found.*\n.*did you mean 'y'"):
        cr.estimate(table(), DESIGN, cr.Mean("yy"))


def test_text_weights_are_refused() -> None:
    with pytest.raises(errors.InputError, match=r"weight column 'w'.*not numbers: 'x' \(1 row, first at row 3\)"):
        cr.estimate(table(w=["1", "2", "x", "4"]), DESIGN, cr.Mean("y"))


def test_missing_and_non_positive_weights() -> None:
    with pytest.raises(errors.InputError, match=r"1 missing values \(first at rows 2\)"):
        cr.estimate(table(w=[1.0, None, 3.0, 4.0]), DESIGN, cr.Mean("y"))
    with pytest.raises(errors.InputError, match=r"negative values \(minimum -1; first at rows 2\)"):
        cr.estimate(table(w=[1.0, -1.0, 3.0, 4.0]), DESIGN, cr.Mean("y"))


def test_missing_values_fail_by_default_and_drop_on_request() -> None:
    with pytest.raises(errors.MissingValueError, match=r"column 'y'.*1 missing values.*\n.*na='drop'"):
        cr.estimate(table(y=[1.0, None, 3.0, 4.0]), DESIGN, cr.Mean("y"))
    row = cr.estimate(table(y=[1.0, None, 3.0, 4.0]), DESIGN, cr.Mean("y"), na="drop").to_pylist()[0]
    assert row["n"] == 3
    assert row["estimate"] == pytest.approx((1 + 9 + 16) / 8)


def test_psus_reused_across_strata_need_nest() -> None:
    tbl = table(psu=[1, 2, 1, 2])
    with pytest.raises(errors.DesignError, match=r"PSU [12] .*appears in 2 strata.*\n.*nest=True"):
        cr.estimate(tbl, DESIGN, cr.Mean("y"))
    nested = cr.Design(weights="w", strata="h", ids="psu", nest=True)
    assert cr.estimate(tbl, nested, cr.Mean("y")).to_pylist()[0]["se"] > 0


def test_single_psu_strata_fail_under_the_default_rule() -> None:
    tbl = table(h=[1, 1, 1, 2])
    with pytest.raises(errors.LonelyPSUError, match=r"stratum 2 has only one PSU.*\n.*lonely_psu="):
        cr.estimate(tbl, DESIGN, cr.Mean("y"))
    # a stratum code read as a number is named as written, not as 141022.0
    with pytest.raises(errors.LonelyPSUError, match=r"stratum 141022 has only one PSU"):
        cr.estimate(table(h=[1.0, 1.0, 1.0, 141022.0]), DESIGN, cr.Mean("y"))
    ok = cr.Design(weights="w", strata="h", ids="psu", lonely_psu="remove")
    assert cr.estimate(tbl, ok, cr.Mean("y")).to_pylist()[0]["se"] > 0


def test_empty_domains_are_reported_and_flagged() -> None:
    tbl = table(g=["a", "b", "a", "a"], k=["x", "x", "y", "y"])
    rows = cr.estimate(tbl, DESIGN, cr.Mean("y"), by=["g", "k"]).to_pylist()
    cells = {(r["g"], r["k"]): r for r in rows}
    assert set(cells) == {("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")}
    assert cells[("b", "y")]["flag"] == "empty_domain"
    assert cells[("b", "y")]["n"] == 0
    assert cells[("b", "y")]["estimate"] is None
    assert cells[("a", "x")]["flag"] is None


@pytest.mark.parametrize("design", [DESIGN, cr.Design(weights="w", strata="h"),
                                    cr.ReplicateDesign(["r1", "r2"], weights="w", type="JK1")])
@pytest.mark.parametrize("estimand", [cr.Mean("y"), cr.Total("y"), cr.Ratio("y", "w"),
                                      cr.Proportion("g", level="a"), cr.Quantile("y", probs=(0.5,))])
def test_a_subpopulation_without_rows_is_an_empty_domain(design, estimand) -> None:
    """A condition that selects no row gives the empty_domain flag, as an empty --by cell does, on every
    design (a clustered design failed inside the variance with ValueError), also with design effects and
    covariances."""
    tbl = table(r1=[0.0, 4.0, 3.0, 4.0], r2=[2.0, 0.0, 3.0, 4.0])
    for options in ({}, {"deff": True}, {"covariance": True}):
        if isinstance(estimand, cr.Quantile) and options:
            continue  # quantiles have neither
        res = cr.estimate(tbl, design, estimand, where="y > 100", **options)
        rows = res.to_pylist()
        assert rows and all(r["flag"] == "empty_domain" and r["n"] == 0 and r["estimate"] is None
                            and r["se"] is None for r in rows), rows


@pytest.mark.parametrize("design", [DESIGN, cr.Design(weights="w", strata="h")])
@pytest.mark.parametrize("estimand", [cr.Mean("y"), cr.Total("y"), cr.Ratio("y", "w")])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_nan_and_infinite_values_are_named_never_estimated(design, estimand, bad) -> None:
    """A NaN used to make its sums read as "no data": a mean of 0 with SE 0, or a null estimate with a
    zero_denominator flag for a NaN weight. Now every such value is an error naming column and row."""
    with pytest.raises(errors.InputError, match=r"numeric column 'y' in the data .*\(1 row, first at row 2\) \(NaN or infinite"):
        cr.estimate(table(y=[1.0, bad, 3.0, 4.0]), design, estimand)
    # (a weight of -inf is first of all negative, and said so)
    with pytest.raises(errors.InputError, match=r"weight column 'w' in the data .*(first at row 3\) \(NaN or infinite"
                                                r"|negative values \(minimum -inf; first at rows 3\))"):
        cr.estimate(table(w=[1.0, 2.0, bad, 4.0]), design, estimand)
    # polars keeps NaN apart from null: the same error; turned into nulls, they are missing values
    import polars as pl

    frame = pl.from_arrow(table(y=[1.0, bad, 3.0, 4.0]))
    with pytest.raises(errors.InputError, match="NaN or infinite"):
        cr.estimate(frame, design, estimand)
    if math.isnan(bad):
        row = cr.estimate(frame.with_columns(pl.col("y").fill_nan(None)), design, estimand, na="drop").to_pylist()[0]
        assert row["n"] == 3 and row["flag"] is None


def test_an_empty_domain_on_replicates_has_no_variance_and_raises_no_warning() -> None:
    """A proportion's logit interval on a replicate design took the replicates' log-odds of an empty
    domain (all -inf) into NaN arithmetic that warned 'invalid value encountered in subtract'."""
    import warnings

    tbl = table(r1=[0.0, 4.0, 3.0, 4.0], r2=[2.0, 0.0, 3.0, 4.0])
    design = cr.ReplicateDesign(["r1", "r2"], weights="w", type="JK1")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rows = cr.estimate(tbl, design, cr.Proportion("g", level="a"), where="y > 100").to_pylist()
    assert [(r["flag"], r["se"], r["ci_low"], r["ci_high"]) for r in rows] == [("empty_domain", None, None, None)]
    # the variance itself: defined for finite replicate estimates only, NaN by decision otherwise
    theta = np.array([0.5, np.nan, -np.inf, 0.25])
    reps = np.array([[0.25, 0.75], [np.nan, np.nan], [-np.inf, -np.inf], [0.25, np.nan]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        var = replicate_variance(theta, reps, 0.5, np.ones(2), mse=False)
        mse = replicate_variance(theta, reps, 0.5, np.ones(2), mse=True)
        cov = replicate_covariance(theta, reps, 0.5, np.ones(2), mse=False)
    np.testing.assert_array_equal(var, [0.0625, np.nan, np.nan, np.nan])  # 0.5 * (0.25**2 + 0.25**2)
    np.testing.assert_array_equal(mse, [0.0625, np.nan, np.nan, np.nan])
    assert cov[0, 0] == 0.0625 and np.isnan(cov[1:, :]).all() and np.isnan(cov[:, 1:]).all()


def test_nan_replicate_weight_is_named() -> None:
    tbl = table(r1=[2.0, 0.0, 2.0, 1.0], r2=[0.0, 2.0, float("nan"), 1.0])
    with pytest.raises(errors.InputError, match=r"replicate weight column 'r2' .*first at row 3"):
        cr.estimate(tbl, cr.ReplicateDesign(["r1", "r2"], weights="w", type="JK1"), cr.Mean("y"))


def test_nan_in_a_csv_is_named_by_line_and_is_missing_when_declared(tmp_path) -> None:
    p = tmp_path / "nan.csv"
    p.write_text("w,y\n1,2\n1,NaN\n2,4\n")
    # the error quotes the file's own text (read as a number it printed as DuckDB's 'nan')
    with pytest.raises(errors.InputError, match=r"'NaN' \(1 row, first at line 3\)"):
        cr.estimate(p, cr.Design(weights="w"), cr.Mean("y"))
    spelled = tmp_path / "inf.csv"
    spelled.write_text("w,y\n1,2\n1,-Infinity\n2,4\n1, NaN\n1,nan\n")
    with pytest.raises(errors.InputError, match=r"'-Infinity' \(1 row, first at line 3\), ' NaN' \(1 row, first at "
                                                r"line 5\), 'nan' \(1 row, first at line 6\)"):
        cr.estimate(spelled, cr.Design(weights="w"), cr.Mean("y"))
    row = cr.estimate(p, cr.Design(weights="w"), cr.Mean("y"), na_values=["NaN"], na="drop").to_pylist()[0]
    assert row["estimate"] == pytest.approx((2 + 8) / 3) and row["n"] == 2


def test_a_categorical_by_column_with_nulls_groups_them() -> None:
    """A pandas categorical (dictionary-encoded) domain column with a null failed with IndexError."""
    import pandas as pd

    frame = pd.DataFrame({"w": [1.0, 1.0, 2.0, 1.0], "y": [1.0, 2.0, 3.0, 5.0],
                          "g": pd.Categorical(["a", None, "b", "a"], categories=["a", "b"])})
    plain = pa.table({"w": [1.0, 1.0, 2.0, 1.0], "y": [1.0, 2.0, 3.0, 5.0], "g": ["a", None, "b", "a"]})
    got = {r["g"]: (r["estimate"], r["se"], r["n"]) for r in cr.estimate(frame, cr.Design(weights="w"), cr.Mean("y"),
                                                                     by="g").to_pylist()}
    want = {r["g"]: (r["estimate"], r["se"], r["n"]) for r in cr.estimate(plain, cr.Design(weights="w"), cr.Mean("y"),
                                                                      by="g").to_pylist()}
    assert got == want and set(got) == {"a", "b", None}


def test_replicate_columns_of_the_wrong_count_or_type() -> None:
    tbl = table(r1=[1.5, 2.0, 3.0, 4.0], r2=["a", "b", "c", "d"])
    with pytest.raises(errors.InputError, match="replicate weight column 'r2'"):
        cr.estimate(tbl, cr.ReplicateDesign(["r1", "r2"], weights="w", type="JK1"), cr.Mean("y"))
    with pytest.raises(errors.InputError, match="2 rscales given for 1 replicate"):
        cr.estimate(tbl, cr.ReplicateDesign(["r1"], weights="w", type="other", rscales=(1, 1), scale=1), cr.Mean("y"))
    with pytest.raises(errors.ColumnNotFoundError, match="no column matches"):
        cr.estimate(tbl, cr.ReplicateDesign("^zz", weights="w", type="JK1"), cr.Mean("y"))


def test_design_options_are_validated() -> None:
    with pytest.raises(errors.DesignError, match="lonely_psu='never'"):
        cr.Design(lonely_psu="never")  # type: ignore[arg-type]
    with pytest.raises(errors.DesignError, match="Fay design needs rho"):
        cr.ReplicateDesign(["r1"], type="Fay")


def test_bad_where_and_estimand_text() -> None:
    with pytest.raises(errors.InputError, match="cannot read the condition"):
        cr.estimate(table(), DESIGN, cr.Mean("y"), where="y >>> 2")
    with pytest.raises(errors.EstimationError, match="unknown estimand 'median'"):
        cr.estimands.parse_estimand("median:y")


def test_fpc_must_be_constant_within_strata_and_not_exceed_the_population() -> None:
    with pytest.raises(errors.DesignError, match="varies within a stratum"):
        cr.estimate(table(N=[10.0, 11.0, 10.0, 10.0]), cr.Design(weights="w", strata="h", ids="psu", fpc="N"), cr.Mean("y"))
    with pytest.raises(errors.DesignError, match="more than 100% sampling"):
        cr.estimate(table(N=[1.5, 1.5, 1.5, 1.5]), cr.Design(weights="w", strata="h", ids="psu", fpc="N"), cr.Mean("y"))


def test_categorical_rows_count_their_cases() -> None:
    rows = cr.estimate(table(), DESIGN, cr.Proportion("g")).to_pylist()
    assert {r["level"]: r["n_cases"] for r in rows} == {"a": 2, "b": 2}
    assert all(r["n"] == 4 for r in rows)
    assert cr.estimate(table(), DESIGN, cr.Mean("y")).to_pylist()[0]["n_cases"] is None


def test_engine_out_of_memory_is_not_a_damaged_file(tmp_path: Path) -> None:
    """A sound Parquet file whose scan needs more than the engine's working memory is named with the
    memory at fault and how to give more; before, it was explained as a damaged file to write again."""
    import pyarrow.parquet as pq

    from corridor.engine.duckdb import DuckDBEngine
    from corridor.errors import EngineMemoryError, SourceError

    rng = np.random.default_rng(1)
    n = 100_000
    cols = {"w": 1 + rng.random(n), "y": rng.random(n), "d": rng.integers(0, 5, n)}
    cols.update({f"rw{i}": 1 + rng.random(n) for i in range(40)})
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table(cols), path, row_group_size=n)  # one wide row group, as replicate files often are
    design = cr.ReplicateDesign(repweights="^rw", weights="w", type="JK1")
    with pytest.raises(EngineMemoryError) as info:
        cr.estimate(str(path), design, cr.Mean("y"), by="d", engine=DuckDBEngine(memory_limit="8MB"))
    assert not isinstance(info.value, SourceError)
    message, hint = info.value.render("en")
    assert f"ran out of its working memory while reading '{path}'" in message and "not at fault" in message
    assert hint is not None and "--memory-limit 2GB" in hint and "smaller row groups" in hint
    assert "no tiene la culpa" in info.value.render("es")[0]
    # with room it is estimated
    res = cr.estimate(str(path), design, cr.Mean("y"), by="d", engine=DuckDBEngine(memory_limit="1GB"))
    assert res.table.num_rows == 5
