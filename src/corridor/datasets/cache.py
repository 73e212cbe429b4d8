"""A cache on disk of results derived from shipped data, kept between runs.

Some results depend only on files that do not change between runs (the shipped aggregate tables
harmonized by their specs): computing them again in every run is a fixed cost of every profile.
They are kept as JSON under a key that hashes everything they are made from: the content and
place of every file read (specs, data), corridor's own code and the versions of the libraries
that parse and compute them. A changed file gives another key, so a stale entry is never read; entries are
written whole (a temporary file renamed into place), and a cache that cannot be read or written
is skipped: the result is then computed as if there were none.

The folder is ``CORRIDOR_CACHE_DIR`` if set (``off`` turns the cache off), else
``$XDG_CACHE_HOME/corridor``, else ``~/.cache/corridor``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from corridor._deps import cache_folder

FORMAT = 1  # raise when the layout of an entry changes


def folder() -> Path | None:
    """The cache folder, or None when the cache is off or corridor's code on disk is not the code this
    process runs (changed since it was loaded): its results would be filed under the new code's key,
    and the new code's results read by the old code."""
    base = cache_folder()
    if base is None or _code_state()[1]:
        return None
    return base


# libraries whose versions can change what a cached result holds (parsing, arithmetic, code tables)
PACKAGES = ("duckdb", "pyarrow", "numpy", "pandas", "scipy", "narwhals", "pycountry", "pyyaml")


def code_digest() -> str:
    """A hash of corridor's code (every Python and YAML file of the package but the shipped data) and of
    the versions of :data:`PACKAGES`: any change of the code that made an entry makes another key."""
    return _code_state()[0]


@lru_cache(maxsize=1)
def _code_state() -> tuple[str, bool]:
    """:func:`code_digest`, and whether a file hashed changed after this process loaded corridor."""
    from corridor._deps import LOADED_AT

    pkg = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    changed = False
    for p in sorted(pkg.rglob("*")):
        rel = p.relative_to(pkg)
        shipped_data = rel.parts[0] == "datasets" and len(rel.parts) > 2  # hashed as the files an entry reads
        if p.suffix in (".py", ".yaml", ".yml") and "__pycache__" not in rel.parts and not shipped_data:
            h.update(str(rel).encode() + b"\0" + p.read_bytes() + b"\0")
            changed = changed or p.stat().st_mtime > LOADED_AT
    for name in PACKAGES:
        try:
            h.update(f"{name}={version(name)}\0".encode())
        except PackageNotFoundError:
            h.update(f"{name}=?\0".encode())
    return h.hexdigest(), changed


def key(kind: str, files: Iterable[Path], extra: Iterable[str] = ()) -> str:
    """A key of ``kind`` over the files' paths and contents, corridor's code (:func:`code_digest`) and ``extra``."""
    h = hashlib.sha256(f"{kind}\0{FORMAT}\0{code_digest()}\0".encode())
    for p in sorted({Path(f).resolve() for f in files}):
        h.update(str(p).encode() + b"\0")
        try:
            h.update(p.read_bytes())
        except OSError:
            h.update(b"\0missing\0")
        h.update(b"\0")
    for e in extra:
        h.update(e.encode() + b"\0")
    return h.hexdigest()


def remember(kind: str, files: Iterable[Path], extra: Iterable[str], compute: Callable[[], Any]) -> Any:
    """``compute()`` (a JSON value), or the entry kept for the same files, code and ``extra``."""
    if folder() is None:
        return compute()
    k = key(kind, files, extra)
    hit = load(kind, k)
    if hit is not None:
        return hit
    value = compute()
    store(kind, k, value)
    return value


def load(kind: str, k: str) -> Any:
    """The entry of ``kind`` under key ``k``, or None (none, unreadable, or the cache is off)."""
    base = folder()
    if base is None:
        return None
    try:
        with open(base / kind / f"{k}.json", encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def store(kind: str, k: str, value: Any) -> None:
    """Keep ``value`` (JSON) under key ``k``; nothing happens if the folder cannot be written."""
    base = folder()
    if base is None:
        return
    target = base / kind / f"{k}.json"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(value, f)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except (OSError, TypeError, ValueError):
        pass
