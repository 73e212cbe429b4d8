"""Data shipped with corridor (real public extracts and labelled synthetic demo data).

Each folder holds the files and a PROVENANCE.md. ``path("casen_2020")`` finds
a dataset's main file; the command line accepts ``demo:NAME`` for it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from corridor.errors import SourceError
from corridor.i18n import Message

# a dataset whose folder holds more than its data names the file every command reads as demo:NAME
# (a folder is read by calibrate but not by estimate or quality)
_MAIN_FILES = {"casen_2020": "casen_2020.csv.gz",
               "synthetic_corridor_sample": "synthetic_corridor_sample_SYNTHETIC.parquet"}


def root() -> Path:
    """The folder of the shipped datasets."""
    return Path(str(resources.files("corridor") / "datasets"))


def available() -> list[str]:
    """Names of the shipped datasets."""
    return sorted(p.name for p in root().iterdir() if p.is_dir() and not p.name.startswith("_"))


def path(name: str) -> Path:
    """The main file of a shipped dataset (or the folder when it has several files)."""
    folder = root() / name
    if not folder.is_dir():
        raise SourceError(Message("datasets.no_dataset", name=repr(name)),
                          hint=Message("datasets.no_dataset.hint", names=", ".join(available())))
    main = _MAIN_FILES.get(name)
    return folder / main if main else folder


def resolve(data: str) -> str | Path:
    """``demo:NAME`` to a shipped file; anything else unchanged."""
    if data.startswith("demo:"):
        return path(data.removeprefix("demo:"))
    return data
