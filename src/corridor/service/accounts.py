"""Account lifecycle: revoke tokens, deactivate and reactivate users, change roles and passwords.

Each operation works in the caller's transaction and returns what the audit entry needs; the
routes (API and pages) write that entry in the same transaction. Taking access away takes effect
at the next request: every request looks its token or session up, with the user's current state.
A password change or a deactivation ends all of the user's sessions. The service never leaves
itself without an active administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from corridor.errors import InputError
from corridor.i18n import Message
from corridor.service import auth
from corridor.service.errors import Conflict, Forbidden, NotFound, check_id
from corridor.service.roles import ROLES
from corridor.service.store import ApiToken, User, get_or_404, utcnow


def get_user(session: Session, user_id: int) -> User:
    return get_or_404(session, User, user_id, Message("service.errors.no_user", id=user_id),
                      Message("service.errors.no_user.hint"))


def tokens_of(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int, actor: auth.Principal, *, owner_id: int | None) -> ApiToken:
    """Revoke a token; ``owner_id`` restricts it to that user's tokens (users revoking their own)."""
    check_id(token_id, Message("service.errors.no_token", id=token_id), Message("service.errors.no_token.hint"))
    tok = session.get(ApiToken, token_id)
    if tok is None or (owner_id is not None and tok.user_id != owner_id):
        raise NotFound(Message("service.errors.no_token", id=token_id), hint=Message("service.errors.no_token.hint"))
    if not tok.revoked:
        tok.revoked, tok.revoked_at, tok.revoked_by = True, utcnow(), actor.username
    return tok


def _active_admins(session: Session) -> int:
    return (
        session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.active)) or 0
    )


def _keep_an_admin(session: Session, user: User, actor: auth.Principal, what: str) -> None:
    if user.id == actor.id:
        # what: "deactivate" or "change_role"
        raise Conflict(Message(f"service.errors.own_account.{what}"), hint=Message("service.errors.own_account.hint"))
    if user.role == "admin" and user.active and _active_admins(session) <= 1:
        raise Conflict(Message("service.errors.last_admin", user=user.username),
                       hint=Message("service.errors.last_admin.hint"))


def set_active(session: Session, user_id: int, active: bool, actor: auth.Principal) -> tuple[User, int]:
    """Deactivate (ending every session; tokens stop working) or reactivate a user."""
    user = get_user(session, user_id)
    ended = 0
    if not active and user.active:
        _keep_an_admin(session, user, actor, "deactivate")
        user.active = False
        ended = auth.end_all_sessions(session, user.id)
    elif active:
        user.active = True
    return user, ended


def set_role(
    session: Session, user_id: int, role: str, organisation: str | None, actor: auth.Principal
) -> tuple[User, str]:
    """Change a user's role (and organisation, which partners need); returns the user and the old role."""
    user = get_user(session, user_id)
    if role not in ROLES:
        raise InputError(Message("service.errors.role", role=repr(role), allowed=", ".join(ROLES)),
                         hint=Message("service.errors.role.hint"))
    organisation = (organisation or "").strip() or None
    if role == "partner" and not (organisation or user.organisation):
        raise InputError(Message("service.errors.partner_organisation"), hint=Message("service.errors.partner_organisation.hint"))
    old = user.role
    if old == "admin" and role != "admin":
        _keep_an_admin(session, user, actor, "change_role")
    user.role = role
    if organisation is not None:
        if len(organisation) > 80:
            raise InputError(Message("service.errors.organisation_long"), hint=Message("service.errors.organisation_long.hint"))
        user.organisation = organisation
    return user, old


def set_password(session: Session, user: User, new_password: str) -> int:
    """Set a new password (Argon2id; CPU-heavy: call from a worker thread); ends every session."""
    auth.check_password_strength(new_password)
    if len(new_password) > 1024:
        raise InputError(Message("service.errors.password_long"), hint=Message("service.errors.password_long.hint"))
    user.password_hash = auth.hash_password(new_password)
    return auth.end_all_sessions(session, user.id)


def user_row(session: Session, user: User) -> dict[str, Any]:
    """A user as the administration lists them: the account and its tokens."""
    return {**auth.user_dict(user), "tokens": [auth.token_dict(t) for t in tokens_of(session, user.id)]}


# --- the same changes, with what the audit log records of them (pages and API share these) -------------------


@dataclass(frozen=True)
class Change:
    """An account change made, as the audit log records it."""

    action: str
    target: str
    detail: dict[str, Any]


def creation(session: Session, username: str, password: str, role: str, organisation: str | None) -> Change:
    u = auth.create_user(session, username, password, role, organisation)
    return Change("user.create", f"user {u.username}", {"role": u.role, "organisation": u.organisation})


def role_change(
    session: Session, user_id: int, role: str | None, organisation: str | None, actor: auth.Principal
) -> Change:
    u, old = set_role(session, user_id, role or get_user(session, user_id).role, organisation, actor)
    return Change(
        "user.role", f"user {u.username}", {"from": old, "to": u.role, "organisation": u.organisation}
    )


def activation(session: Session, user_id: int, active: bool, actor: auth.Principal) -> Change:
    u, ended = set_active(session, user_id, active, actor)
    action = "user.reactivate" if active else "user.deactivate"
    return Change(action, f"user {u.username}", {"sessions_ended": ended})


def password_reset(session: Session, user_id: int, new_password: str) -> Change:
    u = get_user(session, user_id)
    ended = set_password(session, u, new_password)
    return Change("user.password", f"user {u.username}", {"by": "admin", "sessions_ended": ended})


def own_password(
    session: Session,
    limiter: auth.LoginLimiter,
    principal: auth.Principal,
    current: str,
    new: str,
    address: str | None,
) -> Change:
    """A user's own change: the current password first (throttled like a sign-in)."""
    user = get_user(session, principal.id)
    key = limiter.key(user.username, address)
    limiter.check(key)
    if not auth.verify_password(user, current):
        limiter.fail(key)
        raise Forbidden(Message("service.errors.password_wrong"), hint=Message("service.errors.password_wrong.hint"))
    limiter.clear(key)
    if current == new:
        raise InputError(Message("service.errors.password_same"), hint=Message("service.errors.password_same.hint"))
    ended = set_password(session, user, new)
    return Change("user.password", f"user {principal.username}", {"by": "self", "sessions_ended": ended})


def token_revocation(session: Session, token_id: int, actor: auth.Principal, owner_id: int) -> Change:
    owner = get_user(session, owner_id)
    tok = revoke_token(session, token_id, actor, owner_id=owner.id)
    return Change("token.revoke", f"token {tok.id}", {"name": tok.name, "owner": owner.username})
