"""Registered data sources: a file in the data folder, read once for its columns and row ledger.

Microdata are never served: the service keeps the file's name, columns and types, row count and
ledger (rows read, kept, filtered, rejected, unknown codes), and a profile job may use it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.errors import InputError
from corridor.i18n import Message
from corridor.service.errors import Conflict
from corridor.service.files import safe_path
from corridor.service.store import RegisteredSource, get_or_404
from corridor.sources.ledger import note_text


def register(
    session: Session, data_dir: Path, name: str, rel_path: str, spec: str | None, username: str | None
) -> RegisteredSource:
    """Read ``rel_path`` (inside ``data_dir``), optionally through a shipped harmonization spec, and register it."""
    from corridor.engine.duckdb import connect
    from corridor.harmonize import harmonize, list_specs
    from corridor.sources import detect_format, read_source

    name = (name or "").strip()
    if not name or len(name) > 120:
        raise InputError(Message("service.errors.source_name"), hint=Message("service.errors.source_name.hint"))
    if session.scalar(select(RegisteredSource).where(RegisteredSource.name == name)) is not None:
        raise Conflict(Message("service.errors.source_exists", name=repr(name)), hint=Message("service.errors.another_name.hint"))
    path = safe_path(data_dir, rel_path)
    fmt = detect_format(path)
    if fmt == "xlsx":
        from corridor.sources.bounded import Limits, check_xlsx

        check_xlsx(path, Limits(), name=path.name)
    con = connect()  # the engine's settings (memory limit), closed with the request
    try:
        if spec:
            if spec not in list_specs():
                raise InputError(Message("service.errors.spec_not_shipped", spec=repr(spec)),
                                 hint=Message("service.errors.use_one_of.hint", allowed=", ".join(list_specs())))
            src = harmonize(str(path), spec, con=con)
        else:
            src = read_source(path, con=con)
        columns = [{"name": c, "type": t} for c, t in src.types.items()]
        ledger = src.ledger.as_dict()
        ledger["source"] = str(path.relative_to(data_dir.resolve()))
        rows = src.ledger.kept if spec else src.ledger.read
    finally:
        con.close()
    row = RegisteredSource(
        name=name,
        path=str(path.relative_to(data_dir.resolve())),
        format=fmt,
        spec=spec or None,
        rows=rows,
        columns=columns,
        ledger=ledger,
        registered_by=username,
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, source_id: int) -> RegisteredSource:
    return get_or_404(session, RegisteredSource, source_id, Message("service.errors.no_source", id=source_id),
                      Message("service.errors.no_source.hint"))


def as_dict(s: RegisteredSource) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "path": s.path,
        "format": s.format,
        "spec": s.spec,
        "rows": s.rows,
        "columns": s.columns,
        # notes in the reader's language (the stored ledger keeps catalogue notes as ids with parameters)
        "ledger": {**s.ledger, "notes": [note_text(n) for n in (s.ledger or {}).get("notes", [])],
                   **{k: [{**line, "rule": note_text(line["rule"])} for line in s.ledger.get(k, [])]
                      for k in ("filtered", "rejected")}} if s.ledger else s.ledger,
        "registered_by": s.registered_by,
        "registered_at": s.registered_at.isoformat() + "Z",
    }
