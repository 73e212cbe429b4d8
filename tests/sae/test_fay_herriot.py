"""fay_herriot on corridor's own direct estimates: inputs, out-of-sample areas, smoothing, transforms, labels, errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import corridor as cr
from corridor import datasets
from corridor.errors import ColumnNotFoundError, EstimationError, InputError
from corridor.quality import render_label
from corridor.sae.inputs import area_key
from corridor.sae.result import messages

DESIGN = cr.Design(weights="expr", strata="estrato", ids="cod_upm", lonely_psu="certainty")


@pytest.fixture(scope="module")
def regional() -> tuple[cr.Estimates, pa.Table]:
    """CASEN 2020 (real extract): extreme-poverty share and mean household income by region."""
    casen = datasets.path("casen_2020")
    direct = cr.estimate(casen, DESIGN, cr.Proportion("pobreza"), by="region", na="drop")
    income = cr.estimate(casen, DESIGN, cr.Mean("ing_aut_hog"), by="region", na="drop").to_arrow()
    aux = pa.table({"region": income.column("region"),
                    "income_millions": pa.compute.divide(income.column("estimate"), 1e6)})
    return direct, aux


def test_straight_from_estimate(regional: tuple[cr.Estimates, pa.Table]) -> None:
    direct, aux = regional
    res = cr.fay_herriot(direct, aux, select={"level": 1}, covariates=["income_millions"])
    table = direct.to_arrow().to_pylist()
    mine = {area_key(r["region"]): r for r in table if r["level"] == "1"}
    assert res.fit["area"] == "region" and len(res) == 16
    assert res.fit["estimand"] == "proportion" and "pobreza" in res.fit["estimate_label"]
    for row in res.to_pylist():
        src = mine[row["region"]]
        assert row["direct"] == src["estimate"]
        assert row["direct_se"] == pytest.approx(src["se"], rel=1e-15)
        assert row["vardir"] == pytest.approx(src["se"] ** 2, rel=1e-15)
        assert row["n"] == src["n"]
        assert (row["direct_ci_low"], row["direct_ci_high"]) == (src["ci_low"], src["ci_high"])
        # EBLUP = (1 - B) direct + B synthetic
        assert row["eblup"] == pytest.approx((1 - row["shrinkage"]) * row["direct"]
                                             + row["shrinkage"] * row["synthetic"], rel=1e-12)
        assert row["cv"] == pytest.approx(math.sqrt(row["mse"]) / row["eblup"], rel=1e-12)
        assert row["quality"] in ("reliable", "weakly_reliable", "non_reliable")
        assert row["quality_reason"].startswith("model_cv")
    assert res.ledger == {"rows": 48, "not_selected": 32, "sampled": 16, "without_sample": 0,
                          "auxiliary_rows": 16, "out_of_sample": 0}
    # the same through pandas and a CSV file of the table
    via_pandas = cr.fay_herriot(direct.to_pandas(), aux.to_pandas(), area="region", select={"level": "1"},
                                covariates=["income_millions"])
    assert via_pandas.areas.column("eblup").to_pylist() == res.areas.column("eblup").to_pylist()


def test_out_of_sample_areas_get_synthetic_estimates(regional: tuple[cr.Estimates, pa.Table], tmp_path: Path) -> None:
    direct, aux = regional
    table = direct.to_arrow()
    keep = pa.array([area_key(r) not in ("3", "11", "12") for r in table.column("region").to_pylist()])
    partial = table.filter(keep)
    res = cr.fay_herriot(partial, aux, area="region", select={"level": 1}, covariates=["income_millions"])
    assert res.fit["areas_out_of_sample"] == 3 and res.ledger["out_of_sample"] == 3
    rows = {r["region"]: r for r in res.to_pylist()}
    beta = np.array(res.coefficients.column("beta").to_pylist())
    # independent recomputation of (X'V^-1X)^-1 at the fitted A
    sampled = [r for r in res.to_pylist() if r["in_sample"]]
    X = np.array([[1.0, _aux(aux, r["region"])] for r in sampled])
    w = 1 / (res.fit["refvar"] + np.array([r["vardir"] for r in sampled]))
    q = np.linalg.inv(X.T @ (w[:, None] * X))
    for code in ("3", "11", "12"):
        r = rows[code]
        x = np.array([1.0, _aux(aux, code)])
        assert not r["in_sample"] and r["method"] == "synthetic" and "synthetic" in r["flag"]
        assert r["direct"] is None and r["shrinkage"] == 1.0
        assert r["estimate"] == pytest.approx(x @ beta, rel=1e-12)
        assert r["mse"] == pytest.approx(res.fit["refvar"] + x @ q @ x, rel=1e-10)
    path = res.write(tmp_path / "areas.csv")
    assert path.read_text().splitlines()[0].startswith('"region","in_sample"')
    js = res.write(tmp_path / "areas.json")
    assert '"coefficients"' in js.read_text()


def _aux(aux: pa.Table, code: str) -> float:
    for r, v in zip(aux.column("region").to_pylist(), aux.column("income_millions").to_pylist(), strict=True):
        if area_key(r) == code:
            return v
    raise KeyError(code)


def _toy(n: list[float], p: list[float], var: list[float] | None = None) -> pa.Table:
    var = var or [pi * (1 - pi) / ni * 1.5 for pi, ni in zip(p, n, strict=True)]
    return pa.table({"area": [f"c{i}" for i in range(len(n))], "estimand": ["proportion"] * len(n),
                     "estimate": p, "se": np.sqrt(var), "n": n})


def test_deff_smoothing_pools_the_design_effect() -> None:
    n = [200.0, 150, 80, 40, 9, 5, 3]
    p = [0.2, 0.25, 0.15, 0.3, 0.0, 0.4, 1 / 3]
    var = [pi * (1 - pi) / ni * 2.0 for pi, ni in zip(p, n, strict=True)]
    var[4] = 0.0  # nobody in the sample has the characteristic
    res = cr.fay_herriot(_toy(n, p, var), smoothing="deff", smooth_below_n=30)
    info = res.smoothing
    pool = [0, 1, 2, 3]
    p_bar = sum(n[i] * p[i] for i in pool) / sum(n[i] for i in pool)
    assert info["kind"] == "deff" and info["deff"] == pytest.approx(2.0) and info["p"] == pytest.approx(p_bar)
    rows = res.to_pylist()
    for i, r in enumerate(rows):
        if n[i] < 30:
            assert r["vardir"] == pytest.approx(2.0 * p_bar * (1 - p_bar) / n[i])
            assert "smoothed_variance" in r["flag"]
        else:
            assert r["vardir"] == pytest.approx(var[i])
    with pytest.raises(InputError, match="sampling variance of 0") as err:
        cr.fay_herriot(_toy(n, p, var))
    assert "smoothing=" in err.value.hint


def test_gvf_smoothing_fits_log_variance_on_log_n() -> None:
    n = np.array([400.0, 220, 130, 90, 60, 30, 12, 4])
    var = 3.0 / n**0.9 * np.array([1.1, 0.9, 1.05, 0.95, 1.0, 1.02, 0.4, 7.0])
    table = pa.table({"area": [f"c{i}" for i in range(8)], "estimate": np.linspace(10, 20, 8), "se": np.sqrt(var), "n": n})
    res = cr.fay_herriot(table, smoothing="gvf", smooth_below_n=20)
    a, b = np.polyfit(np.log(n[:6]), np.log(var[:6]), 1)[::-1]
    smear = np.mean(np.exp(np.log(var[:6]) - a - b * np.log(n[:6])))
    assert res.smoothing["slope_log_n"] == pytest.approx(b) and res.smoothing["smearing"] == pytest.approx(smear)
    got = res.areas.column("vardir").to_numpy()
    np.testing.assert_allclose(got[6:], np.exp(a + b * np.log(n[6:])) * smear, rtol=1e-12)
    np.testing.assert_allclose(got[:6], var[:6], rtol=1e-15)


def test_arcsin_model_with_bootstrap() -> None:
    rng = np.random.default_rng(7)
    n = rng.integers(20, 400, size=25).astype(float)
    x = rng.uniform(0, 1, size=25)
    p = np.clip(0.1 + 0.3 * x + rng.normal(0, 0.05, size=25), 0.02, 0.9)
    table = _toy(list(n), list(p)).append_column("x", pa.array(x))
    res = cr.fay_herriot(table, transform="arcsin", mse="bootstrap", reps=200, seed=11, covariates=["x"])
    again = cr.fay_herriot(table, transform="arcsin", mse="bootstrap", reps=200, seed=11, covariates=["x"])
    assert res.areas.column("mse").to_pylist() == again.areas.column("mse").to_pylist()
    rows = res.to_pylist()
    for r in rows:
        assert 0 < r["estimate"] < 1 and 0 <= r["ci_low"] < r["estimate"] < r["ci_high"] <= 1
        assert r["mse"] > 0 and r["g1"] is None
    # variances on the model scale: var / (4 p (1 - p)), the delta method
    psi = res.residual_inputs["psi"]
    np.testing.assert_allclose(psi, (p * (1 - p) / n * 1.5) / (4 * p * (1 - p)), rtol=1e-12)
    assert res.fit["transform"] == "arcsin" and res.fit["reps"] == 200 and res.fit["seed"] == 11
    with pytest.raises(InputError, match="no analytic MSE"):
        cr.fay_herriot(table, transform="arcsin")


def test_bias_corrected_backtransform_is_the_posterior_mean() -> None:
    from corridor.sae.transforms import backward

    rng = np.random.default_rng(3)
    m, s2 = 0.6, 0.04
    draws = rng.normal(m, math.sqrt(s2), size=2_000_000)
    assert backward("arcsin", np.array([m]), s2)[0] == pytest.approx(np.mean(np.sin(draws) ** 2), abs=2e-4)
    assert backward("log", np.array([m]), s2)[0] == pytest.approx(np.mean(np.exp(draws)), rel=5e-4)


def test_log_model_and_bootstrap_agrees_with_analytic_when_untransformed() -> None:
    rng = np.random.default_rng(6)
    m = 40
    x = rng.uniform(0, 2, m)
    psi = rng.uniform(0.5, 2, m)
    y = 5 + 2 * x + rng.normal(0, 1, m) + rng.normal(0, np.sqrt(psi))
    table = pa.table({"area": [str(i) for i in range(m)], "estimate": y, "var": psi, "x": x})
    analytic = cr.fay_herriot(table, se=None, vardir="var", n=None, covariates=["x"])
    boot = cr.fay_herriot(table, se=None, vardir="var", n=None, covariates=["x"], mse="bootstrap", reps=2000, seed=1)
    ratio = boot.areas.column("mse").to_numpy() / analytic.areas.column("mse").to_numpy()
    assert analytic.fit["refvar"] > 1  # away from 0, where the analytic g3 term and the bootstrap part ways
    assert 0.85 < np.median(ratio) < 1.15
    logged = cr.fay_herriot(table, se=None, vardir="var", n=None, covariates=["x"], transform="log",
                            mse="bootstrap", reps=100, seed=2)
    assert all(r["estimate"] > 0 and r["ci_low"] > 0 for r in logged.to_pylist())


def test_quality_labels_judge_the_root_mse_cv() -> None:
    from corridor.sae.quality import model_labels

    codes, reasons, cv = model_labels(np.array([1.0, 1.0, 1.0, 0.0]), np.array([0.15**2, 0.2**2, 0.5**2, 1.0]))
    assert codes == ["reliable", "weakly_reliable", "non_reliable", None]
    assert reasons == ["model_cv<=0.15", "model_cv<=0.3", "model_cv>0.3", "model_cv_undefined"]
    assert cv[:3] == pytest.approx([0.15, 0.2, 0.5]) and np.isinf(cv[3])
    codes, _, _ = model_labels(np.array([1.0]), np.array([0.18**2]), "eclac_2023")
    assert codes == ["reliable"]
    assert [render_label(c, "es") for c in ("reliable", "weakly_reliable")] == ["fiable", "poco fiable"]
    with pytest.raises(InputError, match="chile"):
        model_labels(np.array([1.0]), np.array([0.1]), "eclac_2020")


def test_benchmark_target_must_be_reliable(regional: tuple[cr.Estimates, pa.Table]) -> None:
    direct, aux = regional
    tiny = cr.estimate(datasets.path("casen_2020"), DESIGN, cr.Mean("ing_aut_hog"), na="drop",
                       where="region == 11 and edad >= 90")
    population = pa.table({"region": aux.column("region"), "income_millions": aux.column("income_millions"),
                           "pop": pa.array(np.arange(1, 17, dtype=float) * 1000)})
    with pytest.raises(EstimationError, match="not reliable"):
        cr.fay_herriot(direct, population, select={"level": 1}, covariates=["income_millions"],
                       benchmark="ratio", benchmark_value=tiny, benchmark_weights="pop")
    res = cr.fay_herriot(direct, population, select={"level": 1}, covariates=["income_millions"],
                         benchmark="ratio", benchmark_value=0.05, benchmark_weights="pop")
    assert res.benchmark["aggregate_after"] == pytest.approx(0.05, rel=1e-12)
    with pytest.raises(InputError, match="population"):
        cr.fay_herriot(direct, aux, select={"level": 1}, covariates=["income_millions"], benchmark="raking",
                       benchmark_value=0.05)


@pytest.mark.parametrize(
    ("kwargs", "error", "message", "hint"),
    [
        ({}, InputError, "3 different estimates per area", "select="),
        ({"select": {"level": 1}, "method": "BAYES"}, InputError, "method='BAYES'", "REML"),
        ({"select": {"level": 1}, "covariates": ["nope"]}, ColumnNotFoundError, "'nope'", None),
        ({"select": {"level": 1}, "transform": "logit"}, InputError, "transform='logit'", "arcsin"),
        ({"select": {"level": 1}, "on_nonconvergence": "ignore"}, InputError, "on_nonconvergence", "warn"),
    ],
)
def test_bad_requests_name_what_is_wrong(regional: tuple[cr.Estimates, pa.Table], kwargs: dict, error: type,
                                         message: str, hint: str | None) -> None:
    direct, aux = regional
    with pytest.raises(error, match=message) as err:
        cr.fay_herriot(direct, aux, **kwargs)
    if hint:
        assert hint in (err.value.hint or "")


def test_bad_tables_name_the_area_and_column() -> None:
    direct = pa.table({"area": ["a", "b", "c", "d", "e"], "estimate": [1.0, 2, 3, 4, 5], "se": [0.1] * 5})
    aux = pa.table({"area": ["a", "b", "c", "d", "e"], "x": [1.0, None, 3, 2, 1]})
    with pytest.raises(InputError, match=r"'x' of the auxiliary table is missing for area 'b'"):
        cr.fay_herriot(direct, aux)
    with pytest.raises(InputError, match=r"area 'e' of the direct estimates is not in the auxiliary table"):
        cr.fay_herriot(direct, aux.slice(0, 4).drop(["x"]).append_column("x", pa.array([1.0, 2, 3, 2])))
    dup = pa.concat_tables([direct, direct.slice(1, 1)])
    with pytest.raises(InputError, match=r"area 'b' appears twice in the direct estimates \(rows 2 and 6\)"):
        cr.fay_herriot(dup)
    no_se = direct.set_column(2, "se", pa.array([0.1, None, 0.1, 0.1, 0.1]))
    with pytest.raises(InputError, match="area 'b' has a direct estimate without a usable sampling variance") as err:
        cr.fay_herriot(no_se)
    assert "smoothing" in err.value.hint
    collinear = pa.table({"area": ["a", "b", "c", "d", "e"], "x": [1.0, 2, 3, 4, 5], "z": [2.0, 4, 6, 8, 10]})
    with pytest.raises(InputError, match="'z' is a linear combination"):
        cr.fay_herriot(direct, collinear)
    with pytest.raises(InputError, match="5 sampled areas cannot fit a model with 5 terms"):
        cr.fay_herriot(direct, pa.table({"area": ["a", "b", "c", "d", "e"], "f": ["1", "2", "3", "4", "5"]}),
                       factors=["f"])


def test_messages_exist_in_every_language() -> None:
    # the small-area texts are the catalogue's sae.text.* entries (tests/i18n hold every language complete)
    keys = {lang: set(messages(lang)) for lang in ("es", "fr", "en")}
    assert keys["es"] == keys["en"] == keys["fr"] and len(keys["en"]) > 60
    rng = np.random.default_rng(1)
    table = pa.table({"area": [str(i) for i in range(12)], "estimate": rng.uniform(1, 2, 12), "se": [0.1] * 12,
                      "n": [50.0] * 12})
    res = cr.fay_herriot(table, mse="bootstrap", reps=20, seed=1, smoothing="gvf", benchmark="raking",
                         benchmark_value=1.5, benchmark_weights="n", transform="log")
    texts = {lang: res.summary(lang) for lang in ("es", "fr", "en")}
    assert "Fay–Herriot" in texts["en"] and "bootstrap paramétrico" in texts["es"] and "raking" in texts["fr"]
    assert len({t.splitlines()[0] for t in texts.values()}) == 3


def test_proportion_intervals_stop_at_0_and_1_and_estimates_outside_are_flagged() -> None:
    direct = pa.table({"area": list("abcdef"), "estimand": ["proportion"] * 6,
                       "estimate": [0.01, 0.05, 0.5, 0.55, 0.9, 0.97], "se": [0.01, 0.02, 0.05, 0.05, 0.03, 0.01],
                       "n": [100.0] * 6})
    aux = pa.table({"area": list("abcdefg"), "x": [0.0, 0.1, 0.5, 0.6, 0.9, 1.0, -0.6]})
    rows = cr.fay_herriot(direct, aux).to_pylist()
    for r in rows:
        assert 0.0 <= r["ci_low"] <= r["ci_high"] <= 1.0
    g = rows[-1]
    assert g["estimate"] < 0 and "outside_0_1" in g["flag"] and g["ci_low"] == 0.0
    assert all("outside_0_1" not in (r["flag"] or "") for r in rows[:-1])
