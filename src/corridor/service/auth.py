"""Sign-in, sessions, CSRF tokens, API tokens and login rate limiting.

Passwords are hashed with Argon2id (argon2-cffi, RFC 9106 parameters); a hash made with older
parameters is upgraded at the next sign-in. A session is a random token in an HttpOnly,
SameSite=Lax cookie; the database keeps only its SHA-256 and the session's CSRF token, which
every form post (field ``csrf_token``) and every cookie-authenticated API write (header
``X-CSRF-Token``) must carry. API tokens (``Authorization: Bearer crd_...``) are shown once and
stored hashed; they expire (``token_days``) and can be revoked, and every request checks both, so
a revoked token or a deactivated account is refused at once. Failed sign-ins are limited per
(account, client address) in a sliding window: one account's lockout never blocks another
account, and behind a trusted reverse proxy the client address is the real client's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from corridor.errors import InputError
from corridor.i18n import Message
from corridor.service.errors import Conflict, CSRFError, NotAuthenticated, RateLimited
from corridor.service.roles import ROLES
from corridor.service.store import ApiToken, User, WebSession, utcnow

if TYPE_CHECKING:
    from starlette.requests import Request

COOKIE = "corridor_session"
PRE_COOKIE = "corridor_pre"
TOKEN_PREFIX = "crd_"
MIN_PASSWORD = 10
_hasher = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile


def configure_hasher(time_cost: int | None = None, memory_kib: int | None = None) -> None:
    """Set the Argon2id cost (``None`` keeps argon2-cffi's defaults); stored hashes are upgraded at sign-in."""
    global _hasher
    defaults = PasswordHasher()
    _hasher = PasswordHasher(
        time_cost=time_cost or defaults.time_cost,
        memory_cost=memory_kib or defaults.memory_cost,
        parallelism=defaults.parallelism,
    )


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password``."""
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(Message("service.errors.password_short", count=len(password), min=MIN_PASSWORD),
                         hint=Message("service.errors.password_short.hint"))


def create_user(
    session: Session, username: str, password: str, role: str, organisation: str | None = None
) -> User:
    """Add a user (role one of admin, analyst, partner, viewer; partners need an organisation)."""
    username = (username or "").strip()
    if not username or len(username) > 80 or not all(c.isalnum() or c in "._-@" for c in username):
        raise InputError(Message("service.errors.username", user=repr(username)), hint=Message("service.errors.username.hint"))
    if role not in ROLES:
        raise InputError(Message("service.errors.role", role=repr(role), allowed=", ".join(ROLES)),
                         hint=Message("service.errors.role.hint"))
    if role == "partner" and not organisation:
        raise InputError(Message("service.errors.partner_organisation"), hint=Message("service.errors.partner_organisation.hint"))
    check_password_strength(password)
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(Message("service.errors.user_exists", user=repr(username)), hint=Message("service.errors.another_name.hint"))
    user = User(
        username=username, password_hash=hash_password(password), role=role, organisation=organisation or None
    )
    session.add(user)
    session.flush()
    return user


class LoginLimiter:
    """Sliding-window count of failed sign-ins per key (account and client address); thread-safe, in memory."""

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts, self.window = attempts, window
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(username: str, address: str | None) -> str:
        return f"{username.strip().lower()}|{address or '?'}"

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def check(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            q = self._recent(key, now)
            if len(q) >= self.attempts:
                wait = int(q[0] + self.window - now) + 1
                raise RateLimited(
                    Message("service.errors.sign_in_limit", count=wait),
                    hint=Message("service.errors.sign_in_limit.hint"),
                    retry_after=wait,
                )
            if not q:
                self._fails.pop(key, None)  # keep the table to keys with recent failures

    def fail(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(key, now).append(now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)


def verify_password(user: User | None, password: str) -> bool:
    """Whether ``password`` is the active ``user``'s (the same Argon2 work when there is no such user)."""
    if user is None or not user.active:
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(
    session: Session, limiter: LoginLimiter, username: str, password: str, address: str | None
) -> User:
    """The user whose password matches, or NotAuthenticated (RateLimited after too many failures of this
    account from this address). CPU-heavy (Argon2): call it from a worker thread."""
    key = limiter.key(username, address)
    limiter.check(key)
    user = session.scalar(select(User).where(User.username == username.strip()))
    if not verify_password(user, password):
        limiter.fail(key)
        raise NotAuthenticated(Message("service.errors.sign_in_wrong"), hint=Message("service.errors.sign_in_wrong.hint"))
    limiter.clear(key)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_session(session: Session, user: User, hours: float) -> tuple[str, WebSession]:
    """A new session for ``user``: the cookie token (returned once) and its row."""
    from sqlalchemy import delete

    session.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
    token = secrets.token_urlsafe(32)
    row = WebSession(
        token_hash=_sha(token),
        user_id=user.id,
        csrf=secrets.token_urlsafe(32),
        expires_at=utcnow() + dt.timedelta(hours=hours),
    )
    session.add(row)
    return token, row


def end_session(session: Session, token: str | None) -> None:
    if token:
        row = session.scalar(select(WebSession).where(WebSession.token_hash == _sha(token)))
        if row is not None:
            session.delete(row)


def end_all_sessions(session: Session, user_id: int) -> int:
    """Sign a user out everywhere; how many sessions were ended."""
    from sqlalchemy import delete

    return session.execute(delete(WebSession).where(WebSession.user_id == user_id)).rowcount or 0


MAX_TOKEN_DAYS = 3650


def new_api_token(session: Session, user: Any, name: str, days: float | None = None) -> tuple[str, ApiToken]:
    """A new API token for ``user`` (a User or Principal; the secret is returned once, only its hash is
    stored), expiring after ``days`` (``None`` or 0: never)."""
    name = (name or "").strip()[:80] or "token"
    if days is not None and not 0 <= days <= MAX_TOKEN_DAYS:
        raise InputError(Message("service.errors.token_days", days=days),
                         hint=Message("service.errors.token_days.hint", max=MAX_TOKEN_DAYS))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(days=days) if days else None
    row = ApiToken(user_id=user.id, name=name, token_hash=_sha(secret), expires_at=expires)
    session.add(row)
    session.flush()
    return secret, row


@dataclass(frozen=True)
class Principal:
    """Who is asking, and how they proved it (a snapshot: usable after the request's session closed)."""

    id: int
    username: str
    role: str
    organisation: str | None
    via: str  # "session" or "token"
    csrf: str | None = None

    @classmethod
    def of(cls, user: User, via: str, csrf: str | None = None) -> Principal:
        return cls(user.id, user.username, user.role, user.organisation, via, csrf)


def identify(session: Session, request: Request) -> Principal | None:
    """The principal of a request (bearer token first, then session cookie), or None."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        secret = header[7:].strip()
        tok = session.scalar(select(ApiToken).where(ApiToken.token_hash == _sha(secret)))
        user = session.get(User, tok.user_id) if tok is not None else None
        now = utcnow()
        why = (
            "service.errors.token_invalid"
            if user is None
            else "service.errors.token_revoked"
            if tok.revoked
            else "service.errors.token_expired"
            if tok.expires_at is not None and tok.expires_at <= now
            else "service.errors.token_deactivated"
            if not user.active
            else None
        )
        if why:
            raise NotAuthenticated(Message(why), hint=Message("service.errors.token.hint"))
        if tok.last_used_at is None or (now - tok.last_used_at).total_seconds() > 60:
            tok.last_used_at = now
        return Principal.of(user, "token")
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    found = session.execute(
        select(WebSession.expires_at, WebSession.csrf, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == _sha(cookie))
    ).first()
    if found is None or found[0] < utcnow() or not found[2].active:
        return None
    return Principal.of(found[2], "session", found[1])


def check_csrf(principal: Principal, supplied: str | None) -> None:
    """Cookie-authenticated writes must carry the session's CSRF token; token-authenticated ones need none."""
    if principal.via == "token":
        return
    if not supplied or not principal.csrf or not hmac.compare_digest(str(supplied), principal.csrf):
        raise CSRFError(Message("service.errors.csrf"), hint=Message("service.errors.csrf.hint"))


def pre_token(secret_key: str, value: str | None) -> str:
    """The anonymous CSRF token of the sign-in form (an HMAC of a random cookie value)."""
    return hmac.new(secret_key.encode(), (value or "").encode(), hashlib.sha256).hexdigest()


def check_pre_token(secret_key: str, cookie: str | None, supplied: str | None) -> None:
    if not cookie or not supplied or not hmac.compare_digest(pre_token(secret_key, cookie), str(supplied)):
        raise CSRFError(Message("service.errors.csrf_sign_in"), hint=Message("service.errors.csrf_sign_in.hint"))


def token_dict(t: ApiToken) -> dict[str, Any]:
    """A token as listed (never its secret)."""
    now = utcnow()
    return {
        "id": t.id,
        "name": t.name,
        "created_at": t.created_at.isoformat() + "Z" if t.created_at else None,
        "expires_at": t.expires_at.isoformat() + "Z" if t.expires_at else None,
        "last_used_at": t.last_used_at.isoformat() + "Z" if t.last_used_at else None,
        "revoked": bool(t.revoked),
        "active": not t.revoked and (t.expires_at is None or t.expires_at > now),
    }


def user_dict(user: Any) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "organisation": user.organisation,
        "active": getattr(user, "active", True),
    }
