"""Background jobs: corridor profiles run one at a time, each in its own process, with progress stored
as they go.

One worker thread runs the queue in order (profiles are heavy; two cores are shared with the
pages). It starts each profile in a separate process, so that the profile's computing never holds
the interpreter the pages are served from (and its memory is returned when it ends); progress
comes back through a pipe. Each step of :func:`corridor.report.build_profile` and of the writing
moves the job's progress; a run is written into a temporary folder and renamed into
``<data>/profiles/<run id>`` only when complete, so pages never see half a profile (a folder left
by a stop or a crash is removed at the next start). Jobs left running by a stopped service are
marked failed on the next start. A run with a ``min_n`` below the service's publication minimum
carries a "not for publication" notice at the top of its own pages and PDFs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import queue
import secrets
import shutil
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from corridor.errors import CorridorError, InputError
from corridor.i18n import Message, language, render
from corridor.service.errors import MAX_ID, public, scrub
from corridor.service.store import Job, RegisteredSource, session_scope, utcnow

log = logging.getLogger("corridor.service.jobs")
KINDS = ("profile", "programme_refresh")
LANGS = ("es", "fr", "en")


def check_params(params: dict[str, Any]) -> dict[str, Any]:
    """Normalise and check a profile job's parameters (the profile itself checks codes again)."""
    out = {
        "origin": str(params.get("origin") or "COL").strip().upper(),
        "destination": str(params.get("destination") or "CHL").strip().upper(),
        "region": (str(params.get("region")).strip().upper() or None) if params.get("region") else None,
        "scheme": str(params.get("scheme") or "chile"),
        "min_n": params.get("min_n") or 30,
        "source": params.get("source") or None,
        "pdf": bool(params.get("pdf", False)),
        "pages": [x for x in (params.get("pages") or LANGS)],
    }
    bad = [x for x in out["pages"] if x not in LANGS]
    if bad:
        raise InputError(Message("service.errors.page_languages", langs=", ".join(map(str, bad))),
                         hint=Message("service.errors.page_languages.hint"))
    for key in ("origin", "destination"):
        if len(out[key]) != 3 or not out[key].isalpha():
            raise InputError(Message("service.errors.not_iso3", key=key, value=repr(out[key])),
                             hint=Message("service.errors.not_iso3.hint"))
    try:
        out["min_n"] = int(out["min_n"])
    except (TypeError, ValueError):
        raise InputError(Message("service.errors.min_n_number", value=repr(out["min_n"])),
                         hint=Message("service.errors.min_n_number.hint")) from None
    if not 1 <= out["min_n"] <= 10_000:
        raise InputError(Message("service.errors.min_n_range", value=out["min_n"]), hint=Message("service.errors.min_n_range.hint"))
    if out["scheme"] not in ("chile", "eclac_2023"):
        raise InputError(Message("service.errors.scheme", scheme=repr(out["scheme"])), hint=Message("service.errors.scheme.hint"))
    if out["source"] is not None:
        try:
            out["source"] = int(out["source"])
        except (TypeError, ValueError):
            out["source"] = -1
        if not 1 <= out["source"] <= MAX_ID:
            raise InputError(Message("service.errors.source_id", source=repr(params.get("source"))),
                             hint=Message("service.errors.source_id.hint"))
    return out


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)


class JobRunner:
    """A queue of jobs and the one thread that runs them (each in a child process when ``isolated``)."""

    def __init__(self, engine: Engine, data_dir: Path, min_n: int = 30, *, isolated: bool = True) -> None:
        self.engine = engine
        self.data_dir = data_dir
        self.min_n = min_n  # the publication minimum, and the default min_n of a run
        self.isolated = isolated
        self._child: Any = None
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.on_done: Any = None  # called with the run id when a profile job has written its run

    def start(self) -> None:
        for tmp in (self.data_dir / "profiles").glob(".tmp-*"):  # a run cut short by a stop or a crash
            shutil.rmtree(tmp, ignore_errors=True)
            log.info("removed the folder of an interrupted profile run", extra={"folder": tmp.name})
        with session_scope(self.engine) as s:
            for job in s.scalars(select(Job).where(Job.status == "running")):
                job.status, job.error, job.finished_at = (
                    "failed",
                    "interrupted: the service stopped while it ran",
                    utcnow(),
                )
            queued = [j.id for j in s.scalars(select(Job).where(Job.status == "queued").order_by(Job.id))]
        for jid in queued:
            self._queue.put(jid)
        self._thread = threading.Thread(target=self._loop, name="corridor-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking jobs; a job in progress is marked failed on the next start if it does not finish."""
        self._stopping.set()
        self._queue.put(None)
        child = self._child
        if child is not None and child.is_alive():
            child.terminate()
        if self._thread is not None:
            self._thread.join(timeout)

    def submit(self, session: Any, kind: str, params: dict[str, Any], username: str | None) -> Job:
        """Queue a job in the caller's transaction; it starts after the caller commits."""
        if kind not in KINDS:
            raise InputError(Message("service.errors.job_kind", kind=repr(kind)),
                             hint=Message("service.errors.use_one_of.hint", allowed=", ".join(KINDS)))
        if kind == "programme_refresh":
            from corridor.service.programme_view import check_refresh_params

            params = check_refresh_params(params, self.data_dir / "profiles")
            job = Job(kind=kind, params=params, status="queued", progress=0.0, message="queued", created_by=username)
            session.add(job)
            session.flush()
            return job
        params = check_params({**params, "min_n": params.get("min_n") or self.min_n})
        if params["source"] is not None and session.get(RegisteredSource, params["source"]) is None:
            raise InputError(Message("service.errors.no_source", id=params["source"]), hint=Message("service.errors.no_source.hint"))
        job = Job(
            kind=kind, params=params, status="queued", progress=0.0, message="queued", created_by=username
        )
        session.add(job)
        session.flush()
        return job

    def enqueue(self, job_id: int) -> None:
        self._queue.put(job_id)

    def idle(self) -> bool:
        return self._queue.unfinished_tasks == 0

    def wait(self, timeout: float | None = None) -> None:
        """Block until the queue is empty (tests and the benchmark)."""
        import time

        end = None if timeout is None else time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if end is not None and time.monotonic() > end:
                raise TimeoutError("jobs still running")
            time.sleep(0.05)

    def _loop(self) -> None:
        while True:
            jid = self._queue.get()
            try:
                if jid is None or self._stopping.is_set():
                    return
                self._run(jid)
            except Exception:  # a worker must survive any job
                log.exception("job %s crashed", jid)
            finally:
                self._queue.task_done()

    def _update(self, jid: int, **values: Any) -> None:
        with session_scope(self.engine) as s:
            job = s.get(Job, jid)
            for k, v in values.items():
                setattr(job, k, v)

    def _run(self, jid: int) -> None:
        with session_scope(self.engine) as s:
            job = s.get(Job, jid)
            if job is None or job.status != "queued":
                return
            job.status, job.started_at, job.message = "running", utcnow(), "starting"
            params, kind, created_by = dict(job.params), job.kind, job.created_by
            data = None
            if params.get("source"):
                src = s.get(RegisteredSource, params["source"])
                data = src.spec or str((self.data_dir / src.path).resolve()) if src else None
        log.info("job started", extra={"job": jid, "params": params})
        params["publication_min_n"] = self.min_n
        progress = lambda frac, msg: self._update(jid, progress=round(frac, 3), **_stored_message(msg))
        try:
            if kind == "programme_refresh":
                from corridor.service import programme_cache
                from corridor.service.programme_view import run_refresh_job

                run_id = run_refresh_job(self.engine, self.data_dir / "profiles", params, created_by)
                programme_cache.bump()  # the overview shows the refreshed evidence at once
            elif self.isolated:
                run_id = self._in_child(params, data, progress)
            else:
                run_id = run_profile(params, self.data_dir / "profiles", data, progress)
        except CorridorError as exc:
            # kept as data (catalogue ids and parameters): each reader sees the error in their language
            with language("en"):
                message, hint = public(exc)
            self._update(
                jid,
                status="failed",
                error=message + (f" (hint: {hint})" if hint else ""),
                error_data=exc.to_dict(),
                finished_at=utcnow(),
                message="failed",
                message_data=None,
            )
            log.info("job failed", extra={"job": jid, "error": message})
            return
        except Exception as exc:  # unexpected: keep the service up and say so
            log.exception("job %s failed unexpectedly", jid)
            internal = Message("service.job_messages.internal_error", error=scrub(f"{type(exc).__name__}: {exc}"))
            self._update(
                jid,
                status="failed",
                error=internal.render("en"),
                error_data=CorridorError(internal).to_dict(),
                finished_at=utcnow(),
                message="failed",
                message_data=None,
            )
            return
        self._update(jid, status="done", progress=1.0, result=run_id, finished_at=utcnow(), message="done",
                     message_data=None)
        log.info("job done", extra={"job": jid, "run": run_id})
        if kind == "profile" and self.on_done is not None:
            self.on_done(run_id)

    def _in_child(self, params: dict[str, Any], data: str | None, progress: Any) -> str:
        """Run the profile in a child process; its progress and outcome come back through a pipe."""
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no copy of the server's threads
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(
            target=_child_main, args=(params, self.data_dir / "profiles", data, send), daemon=True
        )
        child.start()
        send.close()
        self._child = child
        try:
            while True:
                if receive.poll(0.5):
                    try:
                        msg = receive.recv()
                    except EOFError:
                        msg = ("crash", f"the profile process ended (exit code {child.exitcode})")
                    kind = msg[0]
                    if kind == "progress":
                        progress(msg[1], msg[2])
                        continue
                    if kind == "done":
                        return msg[1]
                    if kind == "error":
                        raise CorridorError.from_dict(msg[1])
                    raise RuntimeError(msg[1])
                if not child.is_alive() and not receive.poll(0):
                    raise RuntimeError(f"the profile process ended (exit code {child.exitcode})")
                if self._stopping.is_set():
                    child.terminate()
                    raise RuntimeError("the service stopped while the profile ran")
        finally:
            child.join(5)
            receive.close()
            self._child = None


JOB_NICENESS = 10


def _child_main(params: dict[str, Any], root: Path, data: str | None, send: Any) -> None:
    """The body of a profile process: run it, report progress and the outcome. The process runs at a
    lower CPU priority (``JOB_NICENESS``) than the server, so that a profile being built takes what the
    pages leave of the machine instead of slowing every page down."""
    try:
        os.nice(JOB_NICENESS)
    except (AttributeError, OSError):  # no nice() on this system: same priority
        pass
    try:
        run_id = run_profile(params, root, data, lambda frac, msg: send.send(("progress", frac, msg)))
        send.send(("done", run_id))
    except CorridorError as exc:
        send.send(("error", exc.to_dict()))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which records the failure
        send.send(("crash", f"{type(exc).__name__}: {exc}"))
    finally:
        send.close()


def _stored_message(msg: Any) -> dict[str, Any]:
    """A progress message as the job keeps it: English text, and a catalogue Message as data."""
    if isinstance(msg, Message):
        return {"message": msg.render("en"), "message_data": msg.to_dict()}
    return {"message": str(msg), "message_data": None}


def job_message(job: Any, lang: str) -> str:
    """A job's progress message in ``lang``: from its data (a profile's steps), else the service's own text."""
    from corridor.service.i18n import UI

    if job.message_data:
        return scrub(Message.from_dict(job.message_data).render(lang)) or ""
    return UI(lang).job_text(job.message)


def job_error(job: Any, lang: str) -> str:
    """A failed job's error (and how to fix it) in ``lang``; errors stored before they were kept as data read
    as written (translated when word for word a catalogue message)."""
    from corridor.service.i18n import UI

    if not (job.error or job.error_data):
        return ""
    if job.error_data:
        message, hint = CorridorError.from_dict(job.error_data).render(lang)
        message, hint = scrub(message) or "", scrub(hint)
        return render(Message("service.job_messages.with_hint", message=message, hint=hint), lang) if hint else message
    return UI(lang).job_text(job.error)


def run_profile(params: dict[str, Any], root: Path, data: str | None, progress: Any) -> str:
    """Build a profile and write its run folder; ``progress(fraction, message)`` after each step."""
    import pyarrow.parquet as pq

    from corridor.report import build_profile
    from corridor.report.render import render_html
    from corridor.service.i18n import UI
    from corridor.service.profiles import mark_unpublished

    langs = [x for x in LANGS if x in (params.get("pages") or LANGS)]
    steps = 4 + len(langs) * (2 if params.get("pdf") else 1) + 1
    done = [0]

    def step(msg: str) -> None:
        done[0] += 1
        progress(min(done[0] / steps, 0.99), msg)

    progress(0.0, "starting")
    publication = int(params.get("publication_min_n") or 0)
    unpublished = int(params.get("min_n", 30)) < publication
    profile = build_profile(
        params["origin"],
        params["destination"],
        region=params.get("region"),
        data=data,
        scheme=params.get("scheme", "chile"),
        min_n=int(params.get("min_n", 30)),
        progress=step,
    )
    run_id = new_run_id()
    tmp = root / f".tmp-{run_id}"
    tmp.mkdir(parents=True)
    try:
        pq.write_table(profile.table, tmp / "indicators.parquet")
        for lang in langs:
            html = render_html(profile, lang)
            if unpublished:
                notice = UI(lang).t("not_for_publication", run_min=profile.min_n, min_n=publication)
                html = mark_unpublished(html, notice)
            (tmp / f"profile-{lang}.html").write_text(html, encoding="utf-8")
            step(f"HTML page ({lang})")
            if params.get("pdf"):
                from weasyprint import HTML

                HTML(string=html, base_url=str(tmp)).write_pdf(tmp / f"profile-{lang}.pdf")
                step(f"PDF ({lang})")
        meta = {
            "origin": profile.origin,
            "destination": profile.destination,
            "region": profile.region,
            "highlight": profile.highlight,
            "scheme": profile.scheme,
            "min_n": profile.min_n,
            "publication_min_n": publication or None,
            "for_publication": not unpublished,
            "period": profile.period,
            "synthetic_survey": profile.survey_synthetic,
            "survey_title": profile.survey_title,
            "sources": profile.sources,
            "rows": profile.table.num_rows,
            "unavailable": profile.unavailable,
            "created_at": utcnow().isoformat() + "Z",
            "params": params,
        }
        (tmp / "meta.json").write_text(
            json.dumps(meta, ensure_ascii=False, default=str, indent=1), encoding="utf-8"
        )
        tmp.rename(root / run_id)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    step("stored")
    return run_id


def job_dict(j: Job) -> dict[str, Any]:
    """A job as the API answers it; ``message_text``/``error_text``: its message and error in the reader's language."""
    from corridor.i18n import current
    from corridor.service.i18n import UI

    ui = UI(current() if current() in LANGS else "en")
    return {
        "id": j.id,
        "kind": j.kind,
        "params": j.params,
        "status": j.status,
        "progress": j.progress,
        "message": j.message,
        "error": j.error,
        "message_text": job_message(j, ui.lang),
        "error_text": job_error(j, ui.lang) or None,
        "result": j.result,
        "created_by": j.created_by,
        "created_at": j.created_at.isoformat() + "Z" if j.created_at else None,
        "started_at": j.started_at.isoformat() + "Z" if j.started_at else None,
        "finished_at": j.finished_at.isoformat() + "Z" if j.finished_at else None,
    }
