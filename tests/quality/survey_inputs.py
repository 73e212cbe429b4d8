"""The inputs of calidad's assessment, computed from survey microdata for the tests.

A small, self-contained re-computation of what ``calidad::create_mean`` /
``create_prop`` hand to ``assess`` (calidad 0.8.x, ``R/create_external.R``,
``R/create_internal.R``), for a stratified cluster design with
``options(survey.lonely.psu = "certainty")``:

* estimate: the domain's weighted mean sum(w y) / sum(w);
* se: Taylor linearisation as R ``survey::svyby(..., svymean)``: the
  linearised values w (y - mean) / sum(w), zero outside the domain, summed
  per PSU; per stratum n_h / (n_h - 1) * sum((z_hi - mean_h)^2), n_h counting
  the stratum's PSUs in the whole sample; strata with one PSU add nothing;
* n: sample rows in the domain; df: PSUs minus strata with rows in the domain;
* deff: as ``svymean(deff = TRUE)`` on the domain: se^2 / (s^2 (N - n) / (N n)),
  s^2 = n/(n-1) * sum(w (y - mean)^2) / sum(w), N = sum(w) in the domain;
* unweighted: domain rows with y == 1 (calidad's ``get_unweighted``).

The test checks this against R ``survey`` 4.1.1's estimates and standard
errors in the shared data's ``reference_estimates_R_survey.csv`` first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "calidad_ine_chile"


def read(name: str) -> pd.DataFrame:
    """One of the calidad package's datasets (CSV conversion of its .rda)."""
    path = DATA / name
    assert path.exists(), f"reference data not found at {path}"
    return pd.read_csv(path, low_memory=False)


def domain_inputs(
    data: pd.DataFrame,
    y: str,
    domains: list[str],
    *,
    weight: str,
    psu: str,
    strata: str,
    subpop: str | None = None,
) -> pd.DataFrame:
    """Per-domain estimate, se, n, df, deff, unweighted, as calidad's inputs.

    ``subpop`` restricts every domain to the rows where that column is 1, as
    calidad's ``subpop`` argument (the design keeps all its PSUs).
    """
    w = data[weight].to_numpy(float)
    yv = data[y].to_numpy(float)
    h = data[strata].to_numpy()
    psu_key = pd.Series(list(zip(h, data[psu].to_numpy()))).factorize()[0]
    h_key = pd.Series(h).factorize()[0]
    psu_per_stratum = pd.Series(psu_key).groupby(h_key).nunique().to_numpy()
    rows = []
    keep = np.ones(len(data), dtype=bool) if subpop is None else data[subpop].to_numpy() == 1
    for values, index in data.groupby(domains, sort=True).indices.items():
        values = values if isinstance(values, tuple) else (values,)
        inside = np.zeros(len(data), dtype=bool)
        inside[index] = True
        inside &= keep
        if not inside.any():
            continue
        sw = w[inside].sum()
        mean = (w[inside] * yv[inside]).sum() / sw
        u = np.where(inside, w * (yv - mean) / sw, 0.0)
        z = np.bincount(psu_key, weights=u)
        psu_h = pd.Series(h_key).groupby(psu_key).first().to_numpy()
        nh = psu_per_stratum[psu_h]
        mean_h = np.bincount(psu_h, weights=z) / psu_per_stratum
        dev = z - mean_h[psu_h]
        var = np.sum(np.where(nh > 1, nh / np.maximum(nh - 1, 1) * dev**2, 0.0))
        n = int(inside.sum())
        s2 = n / (n - 1) * (w[inside] * (yv[inside] - mean) ** 2).sum() / sw if n > 1 else np.nan
        vsrs = s2 * (sw - n) / (sw * n)
        rows.append(
            dict(
                zip(domains, values),
                estimate=mean,
                se=float(np.sqrt(var)),
                n=n,
                df=int(len(np.unique(psu_key[inside])) - len(np.unique(h_key[inside]))),
                deff=float(var / vsrs) if vsrs > 0 else np.nan,
                unweighted=int((yv[inside] == 1).sum()),
            )
        )
    return pd.DataFrame(rows)
