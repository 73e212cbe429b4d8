"""The indicator catalogue and its computation for corridor migrants, all migrants and natives.

* :func:`load` / :func:`get`: the definitions in ``definitions/*.yaml`` (names and definitions in
  es/fr/en, population, computation, unit, standard, concepts, SDG tags);
* :func:`load_survey` and :func:`compute_survey`: survey indicators with gaps, standard errors,
  quality labels and disclosure control;
* :func:`compute_aggregates`: stocks, shares, sex ratios, age structure and regional distribution
  from official aggregate tables (INE/SERMIG, INE projections, UN DESA).
"""

from __future__ import annotations

from corridor.indicators.aggregates import AggregateInputs, compute_aggregates, load_aggregates
from corridor.indicators.catalogue import Indicator, get, load
from corridor.indicators.compute import SurveyResult, compute_survey
from corridor.indicators.survey import SurveySource, load_survey
from corridor.indicators.table import COLUMNS

__all__ = [
    "COLUMNS",
    "AggregateInputs",
    "Indicator",
    "SurveyResult",
    "SurveySource",
    "compute_aggregates",
    "compute_survey",
    "get",
    "load",
    "load_aggregates",
    "load_survey",
]
