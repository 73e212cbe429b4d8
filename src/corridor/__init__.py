"""corridor: migration-corridor statistics with correct survey standard errors.

>>> import corridor as cr
>>> design = cr.Design(weights="expr", strata="estrato", ids="cod_upm")
>>> # cr.estimate("casen_2020.csv.gz", design, cr.Proportion("pobreza"), by="region")
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING

# _deps is the first of corridor's modules loaded: it records when this process loaded corridor
# (the disk cache compares the code's files with that time)
from corridor import _deps, errors, estimands  # noqa: F401 - _deps for that time only
from corridor.design import Design, Replicated, ReplicateDesign, design_from_dict
from corridor.estimands import Mean, Proportion, Quantile, Ratio, Total
from corridor.estimation import Estimates, estimate

if TYPE_CHECKING:
    from corridor.calibration import Calibrated, calibrate, poststratify, rake

__version__ = "0.1.0"


def __getattr__(name: str):
    # small-area estimation and calibration load on first use: an estimate needs neither, and
    # calibration's modules (with pyarrow.compute) are a tenth of a second of every process's start
    if name in ("fay_herriot", "SmallAreaEstimates"):
        from corridor import sae

        return getattr(sae, name)
    if name in ("Calibrated", "calibrate", "poststratify", "rake"):
        from corridor import calibration

        return getattr(calibration, name)
    # a subpackage by name (cr.calibration.CalibrationError, cr.flows.ipf2), imported on first use
    # as `import corridor.calibration` would: `import corridor` alone does not load them
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'corridor' has no attribute {name!r}")


__all__ = [
    "Calibrated",
    "Design",
    "Estimates",
    "Mean",
    "Proportion",
    "Quantile",
    "Ratio",
    "ReplicateDesign",
    "Replicated",
    "SmallAreaEstimates",
    "Total",
    "__version__",
    "calibrate",
    "design_from_dict",
    "errors",
    "estimands",
    "estimate",
    "fay_herriot",
    "poststratify",
    "rake",
]
