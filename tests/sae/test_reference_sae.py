"""corridor.fay_herriot against R sae 1.3 (tests/reference/sae): every case, both stopping rules."""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import corridor as cr
from corridor.errors import EstimationError

HERE = Path(__file__).resolve().parents[1] / "reference" / "sae"
CASES = sorted(p.stem for p in (HERE / "cases").glob("SAE*.json"))
RTOL = 1e-9  # the issue asks 1e-6; corridor follows sae's arithmetic step for step


def load(case: str) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = json.loads((HERE / "cases" / f"{case}.json").read_text())
    expected = json.loads((HERE / "expected" / f"{case}.json").read_text())
    return spec, expected


def run(spec: dict[str, Any], **options: Any) -> cr.SmallAreaEstimates:
    return cr.fay_herriot(
        HERE / "cases" / spec["data"], area=spec["area"], estimate=spec["response"], se=None,
        vardir=spec["vardir"], n=None, covariates=spec.get("covariates", []), factors=spec.get("factors", []),
        intercept=spec.get("intercept", True), method=spec["method"], **options)


def sae_rule(spec: dict[str, Any]) -> dict[str, Any]:
    return {"stopping": "sae", "tol": spec.get("precision", 1e-4), "maxit": spec.get("maxiter", 100)}


def compare(result: cr.SmallAreaEstimates, expected: dict[str, Any], rtol: float) -> None:
    fit = expected["fit"]
    assert result.fit["refvar"] == pytest.approx(fit["refvar"], rel=rtol)
    for key in ("loglike", "AIC", "BIC", "KIC"):
        assert result.fit[key] == pytest.approx(fit["goodness"][key], rel=rtol), key
    coefs = result.coefficients.to_pylist()
    assert [c["term"] for c in coefs] == [c["term"] for c in expected["coefficients"]]
    for got, want in zip(coefs, expected["coefficients"], strict=True):
        assert got["beta"] == pytest.approx(want["beta"], rel=rtol)
        assert got["std_error"] == pytest.approx(want["std_error"], rel=rtol)
        assert got["zvalue"] == pytest.approx(want["tvalue"], rel=rtol)
        assert got["pvalue"] == pytest.approx(want["pvalue"], rel=max(rtol, 1e-12) * 100, abs=1e-300)
    rows = result.to_pylist()
    assert len(rows) == len(expected["areas"])
    area = result.fit["area"]
    for got, want in zip(rows, expected["areas"], strict=True):
        assert got[area] == str(want["area"])
        assert got["direct"] == pytest.approx(want["direct"], rel=1e-15)
        assert got["eblup"] == pytest.approx(want["eblup"], rel=rtol)
        assert got["mse"] == pytest.approx(want["mse"], rel=rtol)
        assert got["estimate"] == got["eblup"]
        assert got["rmse"] == pytest.approx(math.sqrt(want["mse"]), rel=rtol)


@pytest.mark.parametrize("case", [c for c in CASES if load(c)[1]["fit"]["convergence"]])
def test_sae_stopping_rule_reproduces_sae(case: str) -> None:
    spec, expected = load(case)
    result = run(spec, **sae_rule(spec))
    assert result.fit["converged"] is True
    assert result.fit["iterations"] == expected["fit"]["iterations"]
    compare(result, expected, RTOL)


CONVERGED = [c for c in CASES if load(c)[0].get("precision", 1e-4) <= 1e-10]


@pytest.mark.parametrize("case", CONVERGED)
def test_default_fit_reaches_the_optimum(case: str) -> None:
    """corridor's default (strict) stopping gives sae's results iterated to PRECISION=1e-12."""
    spec, expected = load(case)
    result = run(spec)
    assert result.fit["stopping"] == "strict" and result.fit["converged"]
    compare(result, expected, 1e-8)


def test_default_precision_is_not_the_optimum() -> None:
    """sae's 1e-4 rule stops 6e-6 away from the REML optimum on milk; the strict rule does not."""
    spec, default = load("SAE01")
    _, converged = load("SAE04")
    strict = run(spec)
    assert strict.fit["refvar"] == pytest.approx(converged["fit"]["refvar"], rel=1e-9)
    assert abs(strict.fit["refvar"] / default["fit"]["refvar"] - 1) > 5e-6
    assert strict.fit["gap"] <= 1e-10


def test_nonconvergence_raises_or_flags() -> None:
    spec, expected = load("SAE15")
    assert expected["fit"]["convergence"] is False and expected["fit"]["iterations"] == 2
    with pytest.raises(EstimationError, match="did not converge in 2 iterations") as err:
        run(spec, **sae_rule(spec))
    assert "maxit" in (err.value.hint or "")
    # the relative change and the tolerance are written as the reader's language writes numbers
    gap = float(re.search(r"last relative change ([0-9.e+-]+),", err.value.message).group(1))
    assert 1e-4 <= gap < 1
    fr, _ = err.value.render("fr")
    assert f"dernière variation relative {gap:.3g}".replace(".", ",") in fr and "tol 0,0001)" in fr, fr
    assert f"último cambio relativo {gap:.3g}".replace(".", ",") in err.value.render("es")[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(spec, on_nonconvergence="warn", **sae_rule(spec))
    assert any("did not converge" in str(w.message) for w in caught)
    assert result.fit["converged"] is False and result.fit["iterations"] == 2
    assert result.fit["gap"] >= 1e-4
    assert all("not_converged" in (r["flag"] or "") for r in result.to_pylist())
    assert "NO CONVERGIÓ" in result.summary("es")


def test_coefficients_match_model_matrix_names() -> None:
    spec, _ = load("SAE08")
    result = run(spec, **sae_rule(spec))
    assert result.coefficients.column("term").to_pylist() == ["area", "workdays"]
    assert np.all(np.asarray(result.areas.column("in_sample").to_pylist()))
