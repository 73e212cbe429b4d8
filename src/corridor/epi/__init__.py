"""Disease burden: crude, standardised and relative rates with confidence intervals.

Functions take an aggregate table (pandas, pyarrow or polars) plus column names and return a
tidy pandas DataFrame with the group columns and ``count``, ``population``, ``value``,
``lowercl``, ``uppercl``, ``confidence``, ``method``, ``statistic``:

* :func:`crude_rate`: exact (Garwood) or Byar's Poisson limits, chosen by count as PHE does;
* :func:`proportion`: Wilson score limits;
* :func:`dsr`: directly standardised rates with Dobson et al. (1991) limits against ESP 2013,
  the WHO World Standard 2000-2025 or a user-supplied standard; no DSR below 10 events;
* :func:`isr`: indirectly standardised ratios (SMR) and rates;
* :func:`rate_ratio`: crude or standardised rate ratios between groups (migrants vs natives);
* :func:`join_denominators`: attach population denominators to a count table;
  :func:`add_group`: add a group made of others (e.g. all migrants).

Survey-estimated denominators (``population_se=``) carry their variance into the interval by
the delta method on the log scale (:mod:`corridor.epi.denominators`).
"""

from __future__ import annotations

from corridor.epi.indirect import isr
from corridor.epi.inputs import add_group, join_denominators
from corridor.epi.rates import crude_rate, proportion
from corridor.epi.ratios import rate_ratio
from corridor.epi.standardize import dsr
from corridor.epi.standards import standard_population

__all__ = [
    "add_group",
    "crude_rate",
    "dsr",
    "isr",
    "join_denominators",
    "proportion",
    "rate_ratio",
    "standard_population",
]
