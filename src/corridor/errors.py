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
    ├── UnsupportedError      a feature the chosen engine or format does not offer
    └── EngineMemoryError     the engine's working memory is too small for a scan (not the data's fault)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from difflib import get_close_matches
from typing import Any

from corridor.i18n import Message, render

Text = str | Message


class CorridorError(Exception):
    """Base class of every error corridor raises on purpose.

    The message and the hint are :class:`~corridor.i18n.Message` objects (an id of corridor's
    message catalogue with its parameters) or plain strings. A Message is rendered when it is
    read, in the reader's language: ``exc.message`` and ``str(exc)`` in the current language
    (``corridor.i18n.language``), ``exc.render("fr")`` in French. ``to_dict``/``from_dict`` keep
    an error as data (a failed job's error is shown later in the language of whoever reads it).
    """

    def __init__(self, message: Text, *, hint: Text | None = None, detail: str | None = None) -> None:
        self.msg = message
        self.hint_msg = hint
        # the original text of a library error this one translates (shown by the CLI's --verbose)
        self.detail = detail
        super().__init__(message)

    @property
    def message(self) -> str:
        """The message in the current language."""
        return render(self.msg)

    @property
    def hint(self) -> str | None:
        """How to fix it, in the current language (None if there is no hint)."""
        return None if self.hint_msg is None else render(self.hint_msg)

    @property
    def key(self) -> str | None:
        """The catalogue id of the message (None for a message written as plain text)."""
        return self.msg.key if isinstance(self.msg, Message) else None

    def render(self, lang: str | None = None) -> tuple[str, str | None]:
        """The message and the hint in ``lang``."""
        return render(self.msg, lang), (None if self.hint_msg is None else render(self.hint_msg, lang))

    def text(self, lang: str | None = None) -> str:
        """The message and, on a second line, the hint, in ``lang``."""
        message, hint = self.render(lang)
        return message if hint is None else f"{message}\n{render(Message('error.hint', hint=hint), lang)}"

    def __str__(self) -> str:
        return self.text()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.msg, self.hint_msg, self.detail, dict(self.__dict__)))

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON-able data: its class, message and hint (as catalogue ids with parameters, or text)."""
        return {"type": type(self).__name__, "message": _text_to_data(self.msg), "hint": _text_to_data(self.hint_msg),
                "detail": self.detail}

    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> CorridorError:
        """The error ``to_dict`` gave (its class if corridor.errors has it, else CorridorError)."""
        cls = globals().get(str(data.get("type")), CorridorError)
        if not (isinstance(cls, type) and issubclass(cls, CorridorError)):
            cls = CorridorError
        err = cls.__new__(cls)
        CorridorError.__init__(err, _text_from_data(data.get("message")) or "", hint=_text_from_data(data.get("hint")),
                               detail=data.get("detail"))
        return err


def _rebuild(cls: type[CorridorError], msg: Text, hint: Text | None, detail: str | None,
             state: dict[str, Any]) -> CorridorError:
    err = cls.__new__(cls)
    CorridorError.__init__(err, msg, hint=hint, detail=detail)
    err.__dict__.update(state)
    return err


def _text_to_data(value: Text | None) -> Any:
    return value.to_dict() if isinstance(value, Message) else value


def _text_from_data(value: Any) -> Text | None:
    return Message.from_dict(value) if isinstance(value, dict) else value


class InputError(CorridorError, ValueError):
    """The data given do not fit what was asked of them."""


class ColumnNotFoundError(InputError, KeyError):
    """A named column is not in the data."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.text()

    @classmethod
    def from_names(
        cls, missing: Sequence[str], available: Iterable[str], *, where: Text = "the data"
    ) -> ColumnNotFoundError:
        available = list(available)
        suggestions = []
        for name in missing:
            suggestions += get_close_matches(name, available, n=2)
        if suggestions:
            hint = Message("error.did_you_mean", names=", ".join(repr(s) for s in dict.fromkeys(suggestions)))
        else:
            hint = Message("error.columns_are", columns=", ".join(available[:40]) + (" ..." if len(available) > 40 else ""))
        names = ", ".join(repr(m) for m in missing)
        if where == "the data":
            where = Message("error.the_data")
        return cls(Message("error.columns_not_found", count=len(missing), names=names, where=where), hint=hint)


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


class EngineMemoryError(CorridorError):
    """The engine ran out of the working memory it was given during a scan.

    Kept apart from :class:`SourceError`: the file is sound, and an explanation of a damaged
    file would send the user to rewrite a good one.
    """

    @classmethod
    def of(cls, engine_text: str, where: Text | None = None) -> EngineMemoryError:
        """From the engine's own text (kept as ``detail``); ``where``: the file or data being read."""
        first = engine_text.strip().splitlines()[0] if engine_text.strip() else ""
        first = first.split("Error: ", 1)[-1]
        message = (Message("engine.out_of_memory_reading", where=where, error=first) if where is not None
                   else Message("engine.out_of_memory", error=first))
        return cls(message, hint=Message("engine.out_of_memory.hint"), detail=engine_text)


__all__ = [
    "ColumnNotFoundError",
    "CorridorError",
    "DesignError",
    "EngineMemoryError",
    "EstimationError",
    "InputError",
    "LonelyPSUError",
    "MissingValueError",
    "SourceError",
    "SpecError",
    "UnsupportedError",
]
