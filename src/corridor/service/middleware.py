"""The outermost layer of every request, in plain ASGI so that it wraps even the server-error answers.

It gives each request an id and its language, enforces the request-body limit of its route
class *as the body streams in* (before routing, authentication or any parsing: a declared
``Content-Length`` over the limit is answered 413 without reading a byte, a streamed body is cut
at the limit), puts the security headers and ``Cache-Control: no-store`` on every answer
(including 413s and 500s), and logs one JSON line per request.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.requests import Request

from corridor.i18n import language as i18n_language
from corridor.service.i18n import pick_lang

log = logging.getLogger("corridor.service")
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)
# multipart posts that carry a file; their limit is upload_max_bytes plus the form around the file
UPLOAD_ROUTES = frozenset({"/programme/trainings/upload", "/sources"})
MULTIPART_SLACK = 64 * 1024


@dataclass(frozen=True)
class BodyLimits:
    """Largest request body per route class, in bytes."""

    login: int
    form: int
    api: int
    upload: int

    def of(self, method: str, path: str) -> tuple[str, int]:
        if path == "/login":
            return "login", self.login
        if path.startswith("/api/"):
            return "api", self.api
        if method == "POST" and path in UPLOAD_ROUTES:
            return "upload", self.upload + MULTIPART_SLACK
        return "form", self.form


class _BodyTooLarge(Exception):
    pass


def size_text(n: int) -> str:
    """Bytes as a short text (KiB, MiB)."""
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.0f} MiB"
    return f"{max(n // 1024, 1)} KiB"


class Frame:
    """Request id, language, body limit, security headers and the request log line."""

    def __init__(self, app: Any, *, limits: BodyLimits, default_lang: str, secure_cookies: bool) -> None:
        self.app = app
        self.limits = limits
        self.default_lang = default_lang
        self.secure = secure_cookies

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        rid = uuid.uuid4().hex[:12]
        req = Request(scope)
        q = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
        lang = pick_lang(q, req.cookies.get("lang"), req.headers.get("accept-language"), self.default_lang)
        state = scope.setdefault("state", {})
        state.update(request_id=rid, lang=lang, principal=None)
        set_lang = bool(q and q[:2].lower() == lang)
        kind, limit = self.limits.of(scope["method"], scope["path"])
        status = [0]
        received = [0]
        over = [False]
        started = [False]
        replaced = [False]

        async def send_framed(message: dict) -> None:
            if message["type"] == "http.response.start":
                started[0] = True
                status[0] = message["status"]
                h = MutableHeaders(scope=message)
                h["X-Request-ID"] = rid
                if "content-security-policy" not in h:
                    h["Content-Security-Policy"] = CSP
                h["X-Content-Type-Options"] = "nosniff"
                h["Referrer-Policy"] = "same-origin"
                if "x-frame-options" not in h:
                    h["X-Frame-Options"] = "SAMEORIGIN"
                h["Cross-Origin-Opener-Policy"] = "same-origin"
                if not scope["path"].startswith("/static/"):
                    h["Cache-Control"] = "no-store"
                if self.secure:
                    h["Strict-Transport-Security"] = "max-age=31536000"
                if set_lang:
                    cookie = f"lang={lang}; Max-Age={365 * 86400}; Path=/; SameSite=lax"
                    h.append("Set-Cookie", cookie + ("; Secure" if self.secure else ""))
            await send(message)

        async def refuse_too_large() -> None:
            from corridor.service.answers import error_response, say

            replaced[0] = True
            resp = error_response(
                req,
                413,
                say(req, "err_413", limit=size_text(limit)),
                say(req, "hint_413"),
                headers={"Connection": "close"},
            )
            await resp(scope, receive, send_framed)

        async def limited_receive() -> dict:
            message = await receive()
            if message["type"] == "http.request":
                received[0] += len(message.get("body", b""))
                if received[0] > limit:
                    over[0] = True
                    raise _BodyTooLarge
            return message

        async def send_inner(message: dict) -> None:
            if over[0]:  # whatever the application made of a cut body, the answer is 413
                if message["type"] == "http.response.start" and not replaced[0]:
                    await refuse_too_large()
                return
            await send_framed(message)

        # corridor's own messages (errors of the engine, the sources, the programme) render in the
        # request's language; the context is copied into the worker threads of the request
        with i18n_language(lang):
            try:
                declared = req.headers.get("content-length")
                if declared is not None and (not declared.isdigit() or int(declared) > limit):
                    over[0] = True
                    await refuse_too_large()
                else:
                    await self.app(scope, limited_receive, send_inner)
            except Exception as exc:
                if over[0]:
                    if not started[0]:
                        await refuse_too_large()
                else:
                    if not isinstance(exc, _BodyTooLarge):
                        log.error(
                            "unhandled error",
                            exc_info=(type(exc), exc, exc.__traceback__),
                            extra={"request_id": rid, "path": scope["path"]},
                        )
                    if not started[0]:
                        from corridor.service.answers import handle_server_error

                        await (await handle_server_error(req, exc))(scope, receive, send_framed)
        principal = state.get("principal")
        log.info(
            "request",
            extra={
                "request_id": rid,
                "method": scope["method"],
                "path": scope["path"],
                "status": status[0],
                "ms": round(1000 * (time.perf_counter() - t0), 1),
                "user": getattr(principal, "username", None),
                "client": (scope.get("client") or (None,))[0],
                **({"body_limit": kind, "refused_bytes": received[0]} if over[0] else {}),
            },
        )
