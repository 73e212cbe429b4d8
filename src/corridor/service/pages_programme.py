"""The programme page: framework, progress, commitments, meetings, partners, reporting periods and their approval,
entered values, training records, revisions, and their forms."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from corridor.errors import CorridorError, InputError
from corridor.i18n import Message
from corridor.programme.report import Fmt, for_programme
from corridor.programme.report import messages as programme_messages
from corridor.service import audit, auth, downloads, programme_cache, programme_view
from corridor.service.deps import Services, allowed, current_user, db, form_writer, off_loop, services
from corridor.service.errors import NotFound, check_id, public, status_of
from corridor.service.files import import_limits, save_upload
from corridor.service.page_common import addr, see_other
from corridor.service.render import render_fragment, render_page
from corridor.service.roles import can

router = APIRouter(include_in_schema=False)


# --- programme -------------------------------------------------------------------------------------------------


# the query parameters of the programme page; a page asked for with others is drawn but not kept
PAGE_PARAMS = frozenset({"lang", "sessions_page", "imports_page", "saved"})
# stands for the form token in a kept page; replaced by the asking session's token when served
_TOKEN_SLOT = "csrf-" + secrets.token_hex(16)


@dataclass(frozen=True)
class _Asker:
    """What the programme's content may know of who asks: the role and organisation decide which forms
    and actions it shows; the user's name and session stay out of it (it is shared by their peers)."""

    role: str
    organisation: str | None


def _programme_page(
    request: Request,
    session: Session,
    sv: Services,
    *,
    error: str | None = None,
    hint: str | None = None,
    form: dict | None = None,
    status_code: int = 200,
) -> Response:
    """The programme page. Its content is drawn for a role and organisation, a language, a version of the
    programme and a page of each list, and kept: every viewer (every partner of one organisation, ...)
    is served the same drawing with their own form token, until the programme changes."""
    prog = programme_view.current(session)
    lang = request.state.lang
    pages = {k: _page_number(request, f"{k}_page") for k in ("sessions", "imports")}
    per = programme_cache.PAGE
    ov, version = (
        programme_cache.versioned(
            session,
            prog,
            lang,
            trainings=((pages["sessions"] - 1) * per, per),
            imports=((pages["imports"] - 1) * per, per),
        )
        if prog
        else (None, None)
    )
    principal = request.state.principal
    asker = _Asker(principal.role, principal.organisation)
    runs = sv.store.ids()[:20]
    saved = request.query_params.get("saved")

    def content(csrf: str | None) -> str:
        return render_fragment(
            "programme_content.html",
            lang,
            {
                "request": request,
                "user": asker,
                "csrf": csrf,
                "can": lambda perm: can(asker.role, perm),
                "p": ov,
                "pm": programme_messages()[lang],
                "pf": for_programme(prog, lang) if prog else Fmt(lang),
                "regions": programme_view.regions(prog) if prog else [],
                "professions": programme_view.PROFESSION_CODES,
                "age_bands": programme_view.AGE_BAND_CODES,
                "courses": sorted((c.code, programme_view.text(c.title, lang)) for c in prog.courses)
                if prog else [],
                "periods": [x.code for x in sorted(prog.periods, key=lambda x: x.start)] if prog else [],
                "organisations": sorted(o.code for o in prog.organisations) if prog else [],
                "runs": runs,
                "statuses": ("planned", "in_progress", "done", "cancelled"),
                "error": error,
                "hint": hint,
                "form": form or {},
                "saved": saved,
                "rows_n": 5,
                "max_mb": sv.settings.upload_max_bytes / 1024 / 1024,
                "pages": pages,
                "per_page": per,
            },
        )

    if error is None and form is None and version is not None and set(request.query_params) <= PAGE_PARAMS:
        key = ("programme", version, asker, tuple(runs), tuple(sorted(request.query_params.multi_items())))
        kept = sv.pages.get_or_make(key, lambda: content(_TOKEN_SLOT))
        html = kept.replace(_TOKEN_SLOT, escape(principal.csrf or ""))
    else:
        html = content(principal.csrf)
    return render_page(request, "programme.html", {"content": html}, status_code=status_code)


def _page_number(request: Request, name: str) -> int:
    raw = request.query_params.get(name, "1")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 100_000 else 1


@router.get("/programme")
def programme(
    *,
    request: Request,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> Response:
    return _programme_page(request, session, sv)


@router.get("/programme/progress.{fmt}")
def programme_progress(
    *,
    request: Request,
    fmt: str,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(allowed("read"))],
) -> Response:
    if fmt not in ("csv", "xlsx"):
        raise NotFound(Message("service.errors.table_format", format=repr(fmt)), hint=Message("service.errors.table_format.hint"))
    rows = programme_view.progress_rows(programme_view.require_programme(session), request.state.lang)
    return downloads.table_response(rows, list(rows[0]) if rows else ["indicator"], fmt, "programme-progress")


@router.post("/programme/trainings")
async def record_training(
    *,
    request: Request,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    form = await form_writer(request, user, "records.write")

    def work() -> Response:
        prog = programme_view.require_programme(session)
        data = {k: str(form.get(k) or "") for k in programme_view.SESSION_FIELDS}
        parts = []
        for i in range(1, programme_view.MAX_PARTICIPANTS + 1):
            if f"p{i}_participant_id" not in form:
                break
            parts.append({k: str(form.get(f"p{i}_{k}") or "") for k in programme_view.PARTICIPANT_FIELDS})
        try:
            batch, n = programme_view.record_session(
                session, prog, data, parts, user, sv.settings.data_dir / "uploads"
            )
        except InputError as exc:
            session.rollback()
            message, hint = public(exc)
            return _programme_page(
                request, session, sv, error=message, hint=hint, form=dict(form), status_code=422
            )
        audit.record(
            session,
            user,
            "training.record",
            f"import {batch.id}",
            detail={"session": data["session_id"], "participants": n},
            address=addr(request),
        )
        programme_cache.commit(session)
        return see_other("/programme?saved=1#trainings")

    return await off_loop(request, work)


@router.post("/programme/trainings/upload")
async def upload_trainings(
    *,
    request: Request,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    """The file is read in a worker thread under hard caps (rows, columns, cells, XLSX expansion), so
    that no upload holds other requests up; a rejected file is deleted once its problems are reported."""
    form = await form_writer(request, user, "records.write")
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise InputError(Message("service.errors.no_upload"), hint=Message("service.errors.no_upload.hint"))
    with sv.imports.hold(user.username):
        path = await save_upload(
            upload,
            sv.settings.data_dir / "uploads",
            max_bytes=sv.settings.upload_max_bytes,
            allowed=(".csv", ".xlsx"),
            quota=(sv.settings.data_dir, sv.settings.uploads_quota_bytes),
        )

        def work() -> Response:
            try:
                prog = programme_view.require_programme(session)
                batch, n = programme_view.import_file(session, prog, path, user, import_limits(sv.settings))
            except CorridorError as exc:
                session.rollback()
                path.unlink(missing_ok=True)
                if status_of(exc) != 422:
                    raise
                message, hint = public(exc)
                return _programme_page(request, session, sv, error=message, hint=hint, status_code=422)
            except BaseException:
                session.rollback()
                path.unlink(missing_ok=True)
                raise
            audit.record(
                session,
                user,
                "training.import",
                f"import {batch.id}",
                detail={"file": path.name, "participants": n},
                address=addr(request),
            )
            programme_cache.commit(session)
            return see_other("/programme?saved=1#imports")

        return await off_loop(request, work)


@router.post("/programme/imports/{import_id}/withdraw")
async def withdraw_import(
    *,
    request: Request,
    import_id: int,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    await form_writer(request, user, "records.write")

    def work() -> Response:
        programme_cache.withdraw(session, sv.settings.data_dir, import_id, user, addr(request))
        return see_other("/programme?saved=1#imports")

    return await off_loop(request, work)


@router.post("/programme/commitments/{code}")
async def commitment_status(
    *,
    request: Request,
    code: str,
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    form = await form_writer(request, user, "commitments.status")

    def work() -> Response:
        prog = programme_view.require_programme(session)
        status = str(form.get("status") or "")
        programme_view.set_commitment_status(session, prog, code, status, user)
        audit.record(
            session,
            user,
            "commitment.status",
            f"commitment {code}",
            detail={"status": status},
            address=addr(request),
        )
        programme_cache.commit(session)
        return see_other("/programme?saved=1#commitments")

    return await off_loop(request, work)


def _form_error(request: Request, session: Session, sv: Services, exc: InputError) -> Response:
    session.rollback()
    message, hint = public(exc)
    return _programme_page(request, session, sv, error=message, hint=hint, status_code=422)


def _done(request: Request, session: Session, user: auth.Principal, action: str, target: str, detail: dict,
          anchor: str) -> Response:
    """Audit the change in its transaction, commit, and go back to the page's section."""
    audit.record(session, user, action, target, detail=detail, address=addr(request))
    programme_cache.commit(session)
    return see_other(f"/programme?saved=1#{anchor}")


# The forms below read their body on the event loop (bounded by the form limit) and do their database
# work in a worker thread, as every other writing page does, so that no write holds other requests up.


@router.post("/programme/values")
async def record_value(
    *,
    request: Request,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    form = await form_writer(request, user, "records.write")
    data = {k: str(form.get(k) or "") for k in ("indicator", "organisation", "period", "area", "value", "sex",
                                                 "age_band", "nationality", "migratory_status", "profession", "note")}

    def work() -> Response:
        prog = programme_view.require_programme(session)
        try:
            row = programme_view.record_entry(session, prog, data, user)
        except InputError as exc:
            return _form_error(request, session, sv, exc)
        return _done(request, session, user, "value.record", f"value {row.id}",
                     {k: v for k, v in data.items() if v}, "values")

    return await off_loop(request, work)


@router.post("/programme/values/{value_id}/delete")
async def delete_value(
    *,
    request: Request,
    value_id: int,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    await form_writer(request, user, "records.write")
    check_id(value_id, Message("service.errors.no_value", id=value_id), Message("service.errors.no_value.hint"))

    def work() -> Response:
        prog = programme_view.require_programme(session)
        try:
            row = programme_view.remove_entry(session, prog, value_id, user)
        except InputError as exc:
            return _form_error(request, session, sv, exc)
        return _done(request, session, user, "value.delete", f"value {value_id}",
                     {"indicator": row.indicator.code}, "values")

    return await off_loop(request, work)


@router.post("/programme/periods")
async def period_action(
    *,
    request: Request,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    form = await form_writer(request, user, "records.write")
    period, org, action = (str(form.get(k) or "") for k in ("period", "organisation", "action"))
    reason = str(form.get("reason") or "") or None

    def work() -> Response:
        prog = programme_view.require_programme(session)
        try:
            t = programme_view.period_action(session, prog, period, org, action, user, reason)
        except InputError as exc:
            return _form_error(request, session, sv, exc)
        return _done(request, session, user, f"period.{action}", f"period {period} of {org}",
                     {"from": t.before, "to": t.after, "reason": reason}, "periods")

    return await off_loop(request, work)


@router.post("/programme/refresh")
async def refresh_evidence(
    *,
    request: Request,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    form = await form_writer(request, user, "programme.edit")
    params = {"run": form.get("run"), "reason": form.get("reason")}

    def work() -> Response:
        programme_view.require_programme(session)
        try:
            job = sv.runner.submit(session, "programme_refresh", params, user.username)
        except InputError as exc:
            return _form_error(request, session, sv, exc)
        audit.record(session, user, "job.start", f"job {job.id}", detail=job.params, address=addr(request))
        session.commit()
        sv.runner.enqueue(job.id)
        return see_other("/jobs")

    return await off_loop(request, work)


@router.post("/programme/meetings/{code}")
async def meeting_minutes(
    *,
    request: Request,
    code: str,
    sv: Annotated[Services, Depends(services)],
    session: Annotated[Session, Depends(db)],
    user: Annotated[auth.Principal, Depends(current_user)],
) -> Response:
    form = await form_writer(request, user, "programme.edit")
    lang = request.state.lang
    minutes, decision = str(form.get("minutes") or "").strip(), str(form.get("decision") or "").strip()

    def work() -> Response:
        from corridor.programme.governance import update_meeting

        prog = programme_view.require_programme(session)
        try:
            update_meeting(session, prog, code, minutes={lang: minutes} if minutes else None,
                           decisions=[{lang: decision}] if decision else [], by=user.username)
        except InputError as exc:
            return _form_error(request, session, sv, exc)
        return _done(request, session, user, "meeting.update", f"meeting {code}",
                     {"minutes": bool(minutes), "decision": bool(decision)}, "meetings")

    return await off_loop(request, work)
