"""Migration flows: from stocks (migest methods), census transitions, and indices of flow tables.

* :mod:`~corridor.flows.stocks`: stock differencing and rates (``ffs_diff``, ``ffs_rates``).
* :mod:`~corridor.flows.demographic`: demographic accounting (``ffs_demo``).
* :mod:`~corridor.flows.ipf`: ``ipf2``, ``ipf3``, ``cm2``, ``cm3`` and the vectorised IPF engine;
  :mod:`~corridor.flows.newton` the Newton solver for large tables.
* :mod:`~corridor.flows.indices`, :mod:`~corridor.flows.gini`, :mod:`~corridor.flows.age`:
  migration indices (intensity, impact, connectivity, distance, age profiles).
* :mod:`~corridor.flows.convergence`: what every iterative fit reports and does when it fails.
* :mod:`~corridor.flows.uncertainty`: intervals by parametric resampling of the inputs.
* :mod:`~corridor.flows.census`: transition tables from estimated flows with SEs.
* :mod:`~corridor.flows.undesa`: the shipped UN DESA International Migrant Stock tables.

Administrative series (SERMIG permits and other counts by nationality) are read and coded by
:mod:`corridor.harmonize.admin`.
"""

from __future__ import annotations

from corridor.flows.age import index_age, index_age_rc
from corridor.flows.convergence import Convergence
from corridor.flows.demographic import DemographicAccount, DemographicFlows, ffs_demo, ffs_demo_series, sum_od
from corridor.flows.indices import index_connectivity, index_distance, index_impact, index_intensity
from corridor.flows.ipf import cm2, cm3, fit_margins, ipf2, ipf3
from corridor.flows.stocks import ffs_diff, ffs_rates
from corridor.flows.uncertainty import FlowIntervals, ffs_demo_intervals, ffs_stock_intervals

__all__ = [
    "Convergence",
    "DemographicAccount",
    "DemographicFlows",
    "FlowIntervals",
    "cm2",
    "cm3",
    "ffs_demo",
    "ffs_demo_intervals",
    "ffs_demo_series",
    "ffs_diff",
    "ffs_rates",
    "ffs_stock_intervals",
    "fit_margins",
    "index_age",
    "index_age_rc",
    "index_connectivity",
    "index_distance",
    "index_impact",
    "index_intensity",
    "ipf2",
    "ipf3",
    "sum_od",
]
