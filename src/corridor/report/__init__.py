"""The corridor profile: HTML page, PDF and tidy indicator table in es / fr / en.

>>> from corridor.report import build_profile, write_profile
>>> p = build_profile("COL", "CHL")                      # doctest: +SKIP
>>> write_profile(p, "out", lang="es")                    # doctest: +SKIP
"""

from __future__ import annotations

from corridor.report.profile import Profile, build_profile
from corridor.report.write import indicator_table, write_profile, write_tables

__all__ = ["Profile", "build_profile", "indicator_table", "write_profile", "write_tables"]
