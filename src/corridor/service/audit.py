"""The audit log: every write, with who, what and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.service.store import AuditEntry


def record(
    session: Session,
    user: Any,
    action: str,
    target: str | None = None,
    *,
    detail: dict[str, Any] | None = None,
    address: str | None = None,
) -> AuditEntry:
    """Add an audit entry to the session's transaction (written with the change it describes)."""
    entry = AuditEntry(
        username=getattr(user, "username", None),
        role=getattr(user, "role", None),
        action=action,
        target=target,
        detail=detail or {},
        address=address,
    )
    session.add(entry)
    return entry


def record_change(session: Session, user: Any, change: Any, address: str | None) -> AuditEntry:
    """Audit an account change (:class:`corridor.service.accounts.Change`)."""
    return record(session, user, change.action, change.target, detail=change.detail, address=address)


def entries(session: Session, *, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
    """The newest entries first."""
    return list(
        session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit).offset(offset))
    )


def as_dict(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at.isoformat() + "Z",
        "user": e.username,
        "role": e.role,
        "action": e.action,
        "target": e.target,
        "detail": e.detail,
        "address": e.address,
    }
