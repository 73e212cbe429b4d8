"""corridor: migration-corridor statistics with correct survey standard errors.

>>> import corridor as cr
>>> design = cr.Design(weights="expr", strata="estrato", ids="cod_upm")
>>> # cr.estimate("casen_2020.csv.gz", design, cr.Proportion("pobreza"), by="region")
"""

from __future__ import annotations

from corridor.design import Design, ReplicateDesign, Replicated, design_from_dict
from corridor.estimands import Mean, Proportion, Quantile, Ratio, Total
from corridor import errors
from corridor import estimands
from corridor.estimation import Estimates, estimate

__version__ = "0.1.0"

__all__ = [
    "Design",
    "Estimates",
    "Mean",
    "Proportion",
    "Quantile",
    "Ratio",
    "ReplicateDesign",
    "Replicated",
    "Total",
    "__version__",
    "design_from_dict",
    "errors",
    "estimate",
]
