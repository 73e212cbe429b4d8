"""Harmonization: map each source's columns and codes onto corridor's canonical concepts.

>>> from corridor.harmonize import harmonize
>>> h = harmonize(None, "casen_2020")            # doctest: +SKIP
>>> h.relation.columns, h.design["weights"]      # doctest: +SKIP
"""

from __future__ import annotations

from corridor.harmonize.apply import UnknownCodeError, harmonize
from corridor.harmonize.concepts import CONCEPTS, Concept
from corridor.harmonize.spec import Spec, list_specs, load_spec, spec_files

__all__ = ["CONCEPTS", "Concept", "Spec", "UnknownCodeError", "harmonize", "list_specs", "load_spec", "spec_files"]
