"""Rows of the same group and age band (e.g. comunas) are pooled before standardising."""

from __future__ import annotations

import numpy as np
import pandas as pd

from corridor.epi import dsr, standard_population

AGES = standard_population("esp2013")["age"].tolist()


def _split(table: pd.DataFrame, parts: int, rng: np.random.Generator) -> pd.DataFrame:
    """Split each row's count and population into ``parts`` disjoint cells (comunas)."""
    pieces = []
    for _, row in table.iterrows():
        share = rng.dirichlet(np.ones(parts))
        pop = np.maximum(1, np.round(share * row["pop"])).astype(int)
        pop[-1] = row["pop"] - pop[:-1].sum()
        counts = rng.multinomial(row["count"], pop / pop.sum())
        pieces.append(
            pd.DataFrame(
                {"area": row["area"], "age": row["age"], "comuna": range(parts), "count": counts, "pop": pop}
            )
        )
    return pd.concat(pieces, ignore_index=True)


def test_pooled_cells_equal_presummed_table():
    rng = np.random.default_rng(3)
    table = pd.DataFrame(
        {
            "area": np.repeat(["a", "b"], 19),
            "age": AGES * 2,
            "count": rng.integers(0, 60, 38),
            "pop": rng.integers(3_000, 9_000, 38),
        }
    )
    split = _split(table, 4, rng)
    pd.testing.assert_frame_equal(
        dsr(split, "count", "pop", "age", "area"),
        dsr(table, "count", "pop", "age", "area"),
        check_exact=False,
        rtol=1e-12,
    )


def test_event_frequency_rows_split_by_comuna_pool_too():
    rng = np.random.default_rng(4)
    table = pd.DataFrame(
        {
            "age": np.repeat(AGES, 2),
            "freq": [1, 2] * 19,
            "people": rng.integers(0, 30, 38),
            "pop": np.repeat(rng.integers(3_000, 9_000, 19), 2),
        }
    )
    doubled = pd.concat([table.assign(comuna=1), table.assign(comuna=2)])
    once = dsr(table, "people", "pop", "age", event_frequency="freq")
    twice = dsr(doubled, "people", "pop", "age", event_frequency="freq")
    np.testing.assert_allclose(twice["value"], once["value"], rtol=1e-12)  # same rates, twice the people
    assert twice["count"].iloc[0] == 2 * once["count"].iloc[0]


def test_zero_standard_errors_reproduce_dobson_exactly():
    rng = np.random.default_rng(5)
    table = pd.DataFrame(
        {"age": AGES, "count": rng.integers(0, 40, 19), "pop": rng.integers(1_000, 5_000, 19), "se": 0.0}
    )
    with_se = dsr(table, "count", "pop", "age", population_se="se", confidence=[0.95, 0.998])
    plain = dsr(table.drop(columns="se"), "count", "pop", "age", confidence=[0.95, 0.998])
    np.testing.assert_array_equal(
        with_se[["value", "lowercl", "uppercl"]], plain[["value", "lowercl", "uppercl"]]
    )
    assert list(with_se["method"]) == ["Dobson", "Dobson"]
