"""Monte Carlo check of the denominator-uncertainty interval (seeded, small, fast).

Model: the count is Poisson(lambda * N); the population is a survey estimate, normal around the
true N with standard error cv * N, independent of the count. The delta-method (log scale)
interval should cover the true rate about 95% of the time and match the spread of the simulated
log rates; the classical interval, which ignores the denominator's error, undercovers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from corridor.epi import crude_rate, dsr, standard_population

RNG_SEED = 20240611
SIMS = 4000


def test_crude_rate_coverage_and_width():
    rng = np.random.default_rng(RNG_SEED)
    true_rate, pop, cv = 2e-3, 100_000, 0.10
    counts = rng.poisson(true_rate * pop, SIMS)
    pops = rng.normal(pop, cv * pop, SIMS)
    data = pd.DataFrame({"sim": np.arange(SIMS), "count": counts, "pop": pops, "se": cv * pops})
    widened = crude_rate(data, "count", "pop", population_se="se", multiplier=1)
    classical = crude_rate(data.drop(columns="se"), "count", "pop", multiplier=1)

    def coverage(out):
        return np.mean((out["lowercl"] <= true_rate) & (true_rate <= out["uppercl"]))

    assert 0.93 <= coverage(widened) <= 0.97
    assert coverage(classical) < 0.85  # log half-width 0.14 where 0.24 is needed: about 75% coverage
    log_rates = np.log(counts / pops)
    empirical = np.quantile(log_rates, 0.975) - np.quantile(log_rates, 0.025)
    width = np.median(np.log(widened["uppercl"]) - np.log(widened["lowercl"]))
    assert 0.9 <= width / empirical <= 1.1


def test_dsr_coverage_with_estimated_populations():
    rng = np.random.default_rng(RNG_SEED + 1)
    std = standard_population("esp2013")
    ages = std["age"].to_numpy()
    pops = std["population"].to_numpy() * 20 + 50_000
    rates = np.linspace(2e-4, 6e-3, len(ages))
    cv = 0.08  # per band; the ratio estimator's bias (about cv^2) stays small against the SE
    sims = 1500
    counts = rng.poisson(rates * pops, (sims, len(ages)))
    est = rng.normal(pops, cv * pops, (sims, len(ages)))
    data = pd.DataFrame(
        {
            "sim": np.repeat(np.arange(sims), len(ages)),
            "age": np.tile(ages, sims),
            "count": counts.ravel(),
            "pop": est.ravel(),
            "se": (cv * est).ravel(),
        }
    )
    truth = np.sum(std["population"].to_numpy() * rates) / std["population"].sum()
    out = dsr(data, "count", "pop", "age", "sim", population_se="se", multiplier=1)
    classical = dsr(data.drop(columns="se"), "count", "pop", "age", "sim", multiplier=1)
    cover = np.mean((out["lowercl"] <= truth) & (truth <= out["uppercl"]))
    cover_classical = np.mean((classical["lowercl"] <= truth) & (truth <= classical["uppercl"]))
    assert 0.92 <= cover <= 0.98
    spread = np.std(np.log(out["value"]))
    predicted = np.mean(np.log(out["uppercl"] / out["lowercl"])) / 2 / 1.959964
    assert abs(predicted / spread - 1) < 0.1
    assert cover_classical < 0.85  # the survey error dominates the Poisson error here
