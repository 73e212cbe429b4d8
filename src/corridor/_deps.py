"""Optional dependencies: imported only when a feature needs them."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from corridor.errors import UnsupportedError

_EXTRA_OF = {
    "pyspark": "spark",
    "pyreadstat": "stats-io",
    "ipumspy": "stats-io",
    "openpyxl": "xlsx",
    "weasyprint": "pdf",
    "matplotlib": "report",
    "fastapi": "web",
    "uvicorn": "web",
    "sqlalchemy": "programme",
    "alembic": "programme",
    "psycopg": "programme",
    "pandas": "pandas",
    "polars": "polars",
}


def import_optional(name: str, *, feature: str | None = None) -> ModuleType:
    """Import an optional package or raise an error that names the extra to install."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        top = name.split(".")[0]
        extra = _EXTRA_OF.get(top)
        what = feature or f"this feature"
        hint = (
            f"install it with `pip install 'corridor[{extra}]'`"
            if extra
            else f"install it with `pip install {top}`"
        )
        raise UnsupportedError(f"{what} needs the package {top!r}, which is not installed", hint=hint) from exc


def is_loaded(name: str) -> bool:
    """Whether a package is already imported (checks without importing it)."""
    return name in sys.modules
