"""Errors raised by corridor.

Every error a user can cause is a :class:`CorridorError`; its message says what
is wrong, where (file, column, row, value) and, after ``Hint:``, how to fix it.
The command line and the web service print the message, never a traceback.

Hierarchy::

    CorridorError
    ├── InputError            bad data: missing/non-numeric/missing values, empty files
    │   ├── ColumnNotFoundError
    │   └── MissingValueError
    ├── DesignError           an impossible or inconsistent sample design
    │   └── LonelyPSUError
    ├── EstimationError       a well-formed request that cannot be estimated
    ├── SourceError           a file that cannot be read as stated
    ├── SpecError             a harmonization spec, catalogue entry or config file that is wrong
    └── UnsupportedError      a feature the chosen engine or format does not offer
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from difflib import get_close_matches


class CorridorError(Exception):
    """Base class of every error corridor raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None, detail: str | None = None) -> None:
        self.message = message
        self.hint = hint
        # the original text of a library error this one translates (shown by the CLI's --verbose)
        self.detail = detail
        super().__init__(message if hint is None else f"{message}\nHint: {hint}")


class InputError(CorridorError, ValueError):
    """The data given do not fit what was asked of them."""


class ColumnNotFoundError(InputError, KeyError):
    """A named column is not in the data."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]

    @classmethod
    def from_names(
        cls, missing: Sequence[str], available: Iterable[str], *, where: str = "the data"
    ) -> ColumnNotFoundError:
        available = list(available)
        suggestions = []
        for name in missing:
            suggestions += get_close_matches(name, available, n=2)
        hint = (
            f"did you mean {', '.join(repr(s) for s in dict.fromkeys(suggestions))}?"
            if suggestions
            else f"the columns are: {', '.join(available[:40])}"
            + (" ..." if len(available) > 40 else "")
        )
        names = ", ".join(repr(m) for m in missing)
        noun = "column" if len(missing) == 1 else "columns"
        return cls(f"{noun} {names} not found in {where}", hint=hint)


class MissingValueError(InputError):
    """A column needed by an estimate has missing values and ``na`` is ``"fail"``."""


class DesignError(CorridorError, ValueError):
    """The sample design is inconsistent with the data or with itself."""


class LonelyPSUError(DesignError):
    """A stratum has a single PSU and the design's ``lonely_psu`` rule is ``"fail"``."""


class EstimationError(CorridorError, ValueError):
    """A well-formed request that has no estimate (e.g. an empty domain)."""


class SourceError(CorridorError, OSError):
    """A file cannot be read as stated (encoding, truncation, format)."""


class SpecError(CorridorError, ValueError):
    """A harmonization spec, catalogue entry or configuration file is wrong."""


class UnsupportedError(CorridorError, NotImplementedError):
    """A feature that the chosen engine, format or method does not offer."""


__all__ = [
    "ColumnNotFoundError",
    "CorridorError",
    "DesignError",
    "EstimationError",
    "InputError",
    "LonelyPSUError",
    "MissingValueError",
    "SourceError",
    "SpecError",
    "UnsupportedError",
]
