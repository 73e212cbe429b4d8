"""The row ledger: an account of every row a read or a harmonization touched.

Invariant: ``read == kept + sum(filtered) + sum(rejected)``. Unknown codes and
values that could not be converted are listed with their counts, whether they
stopped the read, were mapped to missing or caused a rejection.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from corridor.i18n import Message

# a note is text as a spec wrote it, or a catalogue message (an id with parameters) rendered in the
# language of whoever reads the ledger: a harmonized source is stored (the service's registered
# sources keep its ledger) and read again in other languages; stored, a message is a mapping
Note = str | Message | dict[str, Any]


def note_text(note: Note, lang: str | None = None) -> str:
    """A ledger note in ``lang`` (default: the current language)."""
    from corridor.i18n import render, translate_known

    if isinstance(note, dict) and "key" in note:
        note = Message.from_dict(note)
    if isinstance(note, Message):
        return render(note, lang)
    return translate_known(str(note), lang)


def _note_data(note: Note) -> Any:
    # a message keeps its id and parameters and, for who reads the JSON, its text in the current language
    if isinstance(note, Message):
        return {**note.to_dict(), "text": note.render()}
    return note


@dataclass
class LedgerLine:
    """Rows removed by one rule (a filter) or for one reason (a rejection)."""

    rule: Note  # a spec's own words, or a catalogue message (a rule corridor applies)
    count: int
    examples: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"rule": _note_data(self.rule), "count": self.count, "examples": list(self.examples)}

    def text(self, lang: str | None = None) -> str:
        return note_text(self.rule, lang)


@dataclass
class UnknownCode:
    """A value of a source column that the spec does not map."""

    column: str
    value: Any
    count: int
    action: str  # "error", "missing" or "reject"
    target: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "target": self.target,
            "value": self.value,
            "count": self.count,
            "action": self.action,
        }


@dataclass
class RowLedger:
    """Counts of rows read, kept, filtered (per rule) and rejected (per reason).

    Row numbers in ``examples`` are 1-based data rows (the header is not counted).
    """

    source: str = ""
    read: int = 0
    filtered: list[LedgerLine] = field(default_factory=list)
    rejected: list[LedgerLine] = field(default_factory=list)
    unknown: list[UnknownCode] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    @property
    def n_filtered(self) -> int:
        return sum(line.count for line in self.filtered)

    @property
    def n_rejected(self) -> int:
        return sum(line.count for line in self.rejected)

    @property
    def kept(self) -> int:
        return self.read - self.n_filtered - self.n_rejected

    def balanced(self) -> bool:
        """Whether every row read is kept, filtered or rejected (always true by construction)."""
        return self.kept >= 0 and self.read == self.kept + self.n_filtered + self.n_rejected

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "read": self.read,
            "kept": self.kept,
            "filtered": [line.as_dict() for line in self.filtered],
            "rejected": [line.as_dict() for line in self.rejected],
            "unknown_codes": [u.as_dict() for u in self.unknown],
            "notes": [_note_data(n) for n in self.notes],
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, default=str, **kwargs)

    def to_text(self, lang: str | None = None) -> str:
        """The ledger for people, in ``lang`` (default: the current language); its rules are named as the
        spec names them, the rules corridor itself applies (a weight missing or negative) in the language."""
        from corridor.i18n import current, localize_number, t

        lang = lang or current()

        def num(n: int) -> str:
            return localize_number(f"{n:,}", lang)

        def label(key: str) -> str:
            return t(f"sources.ledger.{key}", lang)

        width = max(15, max(len(label(k)) for k in ("read", "kept", "filtered", "rejected")) + 2)
        lines = [f"{label('read'):<{width}}{num(self.read):>12}  {self.source}".rstrip()]
        for line in self.filtered:
            lines.append(f"  {label('filtered'):<{width - 2}}{num(line.count):>12}  {line.text(lang)}")
        for line in self.rejected:
            ex = ("  " + t("sources.ledger.examples", lang, rows=", ".join(map(str, line.examples)))) if line.examples else ""
            lines.append(f"  {label('rejected'):<{width - 2}}{num(line.count):>12}  {line.text(lang)}{ex}")
        lines.append(f"{label('kept'):<{width}}{num(self.kept):>12}")
        if self.unknown:
            lines.append(label("unknown"))
            for u in self.unknown:
                to = f" -> {u.target}" if u.target else ""
                lines.append(f"  {u.column}{to} = {u.value!r}: "
                             + t("sources.ledger.unknown_rows", lang, count=u.count, rows=num(u.count), action=u.action))
        for note in self.notes:
            lines.append(t("cli.note", lang, note=note_text(note, lang)))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()
