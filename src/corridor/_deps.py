"""Optional dependencies: imported only when a feature needs them."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

# when this process loaded corridor (the package imports this module first): code on disk newer than
# this is not the code running (an update in place under a running service), and the disk cache must
# not file results made by the old code under the new code's key
LOADED_AT = time.time()

from corridor.errors import UnsupportedError

_EXTRA_OF = {
    "pyspark": "spark",
    "pyreadstat": "stats-io",
    "ipumspy": "stats-io",
    "openpyxl": "xlsx",
    "weasyprint": "pdf",
    "matplotlib": "report",
    "fastapi": "web",
    "starlette": "web",
    "pydantic": "web",
    "argon2": "web",
    "uvicorn": "web",
    "anyio": "web",
    "sqlalchemy": "programme",
    "alembic": "programme",
    "psycopg": "programme",
    "lxml": "programme",
    "pandas": "pandas",
    "polars": "polars",
}


def import_optional(name: str, *, feature: str | None = None) -> ModuleType:
    """Import an optional package or raise an error that names the extra to install."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        from corridor.i18n import Message

        top = name.split(".")[0]
        extra = _EXTRA_OF.get(top)
        hint = Message("deps.install_extra", extra=extra) if extra else Message("deps.install_package", package=top)
        message = (Message("deps.feature_needs", feature=_feature(feature), package=top) if feature
                   else Message("deps.needs", package=top))
        raise UnsupportedError(message, hint=hint) from exc


def _feature(text: str) -> object:
    """A feature named in English (``"reading XLSX tables"``) as its catalogue message (``deps.features.*``),
    so that it reads in the reader's language; a command's name (``corridor serve``) stays as written."""
    from corridor.i18n import Message, entries

    for key, entry in entries("en").items():
        if key.startswith("deps.features.") and entry.source == text:
            return Message(key)
    return text


def is_loaded(name: str) -> bool:
    """Whether a package is already imported (checks without importing it)."""
    return name in sys.modules


@contextlib.contextmanager
def single_thread_blas() -> Iterator[None]:
    """Run BLAS/LAPACK single-threaded (through threadpoolctl).

    Newton steps are many small (n x n) products and solves: threading inside each one costs
    more than it gains, badly so on a busy machine (a 500 x 500 eigen decomposition: 0.3 s on
    one thread, 4 s on two threads of a loaded machine).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # without it BLAS keeps its own threading
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def cache_folder() -> Path | None:
    """The folder of corridor's cache on disk, or None when it is off: ``CORRIDOR_CACHE_DIR`` if set
    (``off`` turns it off), else ``$XDG_CACHE_HOME/corridor``, else ``~/.cache/corridor``."""
    given = os.environ.get("CORRIDOR_CACHE_DIR")
    if given is not None:
        return None if given.strip().lower() in ("", "off", "0", "none") else Path(given).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "corridor"
