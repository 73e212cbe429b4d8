"""Joining a notification count table to its population denominators."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from corridor.epi import _validate as v
from corridor.errors import InputError
from corridor.i18n import Message


def join_denominators(
    counts: Any,
    population: Any,
    count: str,
    population_column: str,
    *,
    on: Sequence[str] | None = None,
    fill_zero: bool = True,
    extra_population_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Attach populations to counts, matching on the columns the two tables share (or ``on``).

    Notification tables often list only cells with cases: with ``fill_zero`` (default) every
    population cell appears in the result for every combination of the count table's own key
    columns (e.g. disease), with a count of 0 where the count table has no row. A count row
    with no matching population row is an error naming the row, as is a population cell given
    twice.
    """
    c = v.as_frame(counts, where=v.COUNT_TABLE)
    p = v.as_frame(population, where=v.POPULATION_TABLE)
    v.require_columns(c, [count], where=v.COUNT_TABLE)
    v.require_columns(p, [population_column, *extra_population_columns], where=v.POPULATION_TABLE)
    if on is None:
        on = [col for col in c.columns if col in p.columns and col not in (count, population_column)]
    on = list(on)
    if not on:
        raise InputError(Message("epi.no_shared_column"), hint=Message("epi.no_shared_column.hint"))
    v.require_columns(c, on, where=v.COUNT_TABLE)
    v.require_columns(p, on, where=v.POPULATION_TABLE)
    p = p[on + [population_column, *extra_population_columns]]
    dup = p.duplicated(on)
    if dup.any():
        pos = int(dup.to_numpy().nonzero()[0][0])
        raise InputError(Message("epi.population_cell_twice", row=v.describe_row(p, pos, on)),
                         hint=Message("epi.population_cell_twice.hint"))
    own = [col for col in c.columns if col not in on and col != count and col not in p.columns]
    keys = [col for col in own if not pd.api.types.is_float_dtype(c[col])]
    c = c.astype({col: p[col].dtype for col in on if c[col].dtype != p[col].dtype}, errors="ignore")
    merged = c.merge(p, on=on, how="left", indicator=True)
    orphan = (merged["_merge"] == "left_only").to_numpy().nonzero()[0]
    if orphan.size:
        pos = int(orphan[0])
        raise InputError(Message("epi.no_population", row=v.describe_row(c, pos, on)),
                         hint=Message("epi.no_population.hint", keys=", ".join(on)))
    if not fill_zero:
        return merged.drop(columns="_merge")
    combos = c[keys].drop_duplicates() if keys else pd.DataFrame(index=[0])
    grid = p.merge(combos, how="cross")
    c_keys = c[on + keys + [count]]
    if c_keys.duplicated(on + keys).any():
        c_keys = c_keys.groupby(on + keys, as_index=False, sort=False, dropna=False)[count].sum(min_count=1)
    full = grid.merge(c_keys.assign(_listed=True), on=on + keys, how="left")
    absent = full["_listed"].isna()
    full[count] = full[count].astype(float).mask(absent, 0.0)
    return full[on + keys + [count, population_column, *extra_population_columns]]


def add_group(data: Any, column: str, name: str, members: Sequence[object]) -> pd.DataFrame:
    """Append copies of the rows whose ``column`` is in ``members``, relabelled ``name``.

    E.g. ``add_group(data, "population_group", "all_foreign", ["colombia", "other_foreign"])``
    adds an "all migrants" group next to the corridor's migrants, so that rates and rate ratios
    can be computed for both in one call (the functions sum the rows of a group). The groups
    listed must be disjoint populations.
    """
    df = v.as_frame(data)
    v.require_columns(df, [column])
    present = set(pd.unique(df[column]))
    unknown = [m for m in members if m not in present]
    if unknown:
        raise InputError(Message("epi.groups_unknown", groups=", ".join(repr(m) for m in unknown), column=column),
                         hint=Message("epi.groups_are.hint", groups=", ".join(repr(g) for g in sorted(map(str, present)))))
    if name in present:
        raise InputError(Message("epi.group_exists", column=column, name=name), hint=Message("epi.group_exists.hint"))
    extra = df[df[column].isin(list(members))].copy()
    if isinstance(extra[column].dtype, pd.CategoricalDtype):
        df = df.assign(**{column: df[column].cat.add_categories([name])})
        extra[column] = extra[column].cat.add_categories([name])
    extra[column] = name
    return pd.concat([df, extra], ignore_index=True)
