"""Roles and what each may do.

* ``admin``: everything, including users and the audit log;
* ``analyst``: register sources, run profiles, edit the programme (all organisations' records);
* ``partner``: read, and record or withdraw the activity records of its own organisation, and
  update the status of the commitments its organisation owns;
* ``viewer``: read published outputs only.
"""

from __future__ import annotations

from corridor.i18n import Message
from corridor.service.errors import Forbidden

ROLES = ("admin", "analyst", "partner", "viewer")

PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "profiles.unpublished": frozenset({"admin", "analyst"}),  # runs below the publication minimum
    "sources.read": frozenset({"admin", "analyst"}),
    "sources.write": frozenset({"admin", "analyst"}),
    "jobs.read": frozenset({"admin", "analyst"}),
    "jobs.run": frozenset({"admin", "analyst"}),
    "programme.edit": frozenset({"admin", "analyst"}),
    "records.write": frozenset({"admin", "analyst", "partner"}),
    "commitments.status": frozenset({"admin", "analyst", "partner"}),
    "tokens.own": frozenset(ROLES),
    "users.admin": frozenset({"admin"}),
    "audit.read": frozenset({"admin"}),
}


def can(role: str | None, permission: str) -> bool:
    """Whether ``role`` holds ``permission``."""
    return role in PERMISSIONS.get(permission, frozenset())


def require(user: object, permission: str) -> None:
    """Raise Forbidden unless the user's role holds ``permission``."""
    role = getattr(user, "role", None)
    if not can(role, permission):
        raise Forbidden(Message("service.errors.role_permission", role=Message(f"service.roles.{role}") if role else "-",
                                permission=permission),
                        hint=Message("service.errors.role_permission.hint"))


def require_org(user: object, organisation: str | None, what: Message) -> None:
    """Partners may act only on records of their own organisation; other writing roles on any."""
    if getattr(user, "role", None) != "partner":
        return
    mine = getattr(user, "organisation", None)
    if not mine or organisation != mine:
        none = Message("service.errors.none")
        raise Forbidden(Message("service.errors.not_yours", what=what, organisation=organisation or none, mine=mine or none),
                        hint=Message("service.errors.not_yours.hint"))
