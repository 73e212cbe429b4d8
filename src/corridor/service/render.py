"""Server-rendered pages: one Jinja2 environment, autoescaped, with the user's language."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from corridor.service.i18n import LANG_NAMES, LANGS, UI
from corridor.service.roles import can

TEMPLATES = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def env() -> Environment:
    e = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the templates ship with the package: no stat of the file at every page
    )
    e.globals["urlencode"] = urlencode
    return e


def page_context(request: Request) -> dict[str, Any]:
    lang = getattr(request.state, "lang", "en")
    principal = getattr(request.state, "principal", None)
    role = principal.role if principal else None

    def with_lang(code: str) -> str:
        q = dict(request.query_params)
        q["lang"] = code
        return request.url.path + "?" + urlencode(q)

    return {
        "request": request,
        "ui": UI(lang),
        "lang": lang,
        "langs": LANGS,
        "lang_names": LANG_NAMES,
        "with_lang": with_lang,
        "user": principal,
        "csrf": principal.csrf if principal else None,
        "can": lambda perm: can(role, perm),
        "path": request.url.path,
    }


def render_page(
    request: Request,
    template: str,
    ctx: dict[str, Any],
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render ``template`` with the common context (user, language, CSRF token) plus ``ctx``."""
    html = env().get_template(template).render(**page_context(request), **ctx)
    return HTMLResponse(html, status_code=status_code, headers=headers)


def render_fragment(template: str, lang: str, ctx: dict[str, Any]) -> str:
    """A part of a page that is the same for every user (no user, no form token): it can be cached."""
    return (
        env().get_template(template).render(ui=UI(lang), lang=lang, langs=LANGS, lang_names=LANG_NAMES, **ctx)
    )
