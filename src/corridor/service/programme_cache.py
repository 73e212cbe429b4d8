"""The programme as the service serves it: the overview, computed once per change and language and
served a page at a time, and the writes that change it.

Building the overview reads the whole programme (framework, progress judged on intervals,
commitments, every training session); at a few thousand sessions that is a tenth of a second or
more of work for one page view. The overview is kept per (programme, language) until the programme
changes: every write the service makes bumps a generation, and a fingerprint read from the database
(one query: imports and refreshed observations) catches changes made by the command line; anything
else is picked up within ``MAX_AGE`` seconds. The long lists (training sessions and imports) are
paged.

A write of the service goes through :func:`commit`: the writer builds the new overview itself, after
its commit and before its answer, and until then readers are served the overview as it was before
the write (a read that overlaps a write not yet acknowledged may see either state). So the readers of
a programme being written to never queue behind its rebuilding, and once a write is acknowledged
every reader sees it.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from corridor.i18n import Message
from corridor.programme import models as m
from corridor.service import programme_view
from corridor.service.i18n import LANGS

MAX_AGE = 60.0
PAGE = 50
_lock = threading.Lock()
_building = threading.Lock()  # held while an overview is built
_cache: dict[tuple, tuple[float, dict[str, Any]]] = {}
# the newest overview per language, built after every acknowledged write of the service (see commit)
_latest: dict[str, tuple[tuple, tuple[float, dict[str, Any]]]] = {}
_generation = [0]
_writing = [0]  # writes of the service between their commit's start and their overview's rebuilding


def bump() -> None:
    """The programme changed (a write by the service): forget every kept overview."""
    with _lock:
        _generation[0] += 1
        _cache.clear()
        _latest.clear()


def commit(session: Session) -> None:
    """Commit a write of the service to the programme and rebuild the overview before the write is
    acknowledged (the caller answers after this returns). Readers meanwhile keep the overview of before
    the write instead of waiting for the new one."""
    with _lock:
        _writing[0] += 1
    try:
        session.commit()
        try:
            with _building:
                with _lock:
                    _generation[0] += 1
                    _cache.clear()
                with Session(session.get_bind()) as s:
                    prog = programme_view.current(s)
                    if prog is not None:
                        _build(s, prog, (_generation[0], _fingerprint(s, prog)), LANGS)
        except Exception:  # the write is stored: the next reader builds the overview instead
            logging.getLogger("corridor.service").exception("could not rebuild the programme overview")
            bump()
    finally:
        with _lock:
            _writing[0] -= 1


def _fingerprint(session: Session, prog: m.Programme) -> tuple:
    """What changes when the command line (or another process) writes: imports, refreshed
    observations, revisions (values, commitments, meetings) and period transitions; one query."""
    def newest(col: Any) -> Any:
        return select(func.max(col)).scalar_subquery()

    row = session.execute(
        select(
            select(func.count(m.ImportBatch.id)).where(m.ImportBatch.programme_id == prog.id).scalar_subquery(),
            newest(m.ImportBatch.id),
            newest(m.Observation.refreshed_at),
            newest(m.Revision.id),
            newest(m.PeriodEvent.id),
        )
    ).one()
    return (prog.id, *row)


def _fresh(key: tuple) -> tuple[float, dict[str, Any]] | None:
    with _lock:
        hit = _cache.get(key)
    return hit if hit is not None and time.monotonic() - hit[0] <= MAX_AGE else None


def _build(session: Session, prog: m.Programme, base: tuple, langs: tuple[str, ...]) -> None:
    """Build the overview in ``langs`` under ``base`` (generation, fingerprint) and keep it, unless a write
    bumped the generation meanwhile (then it may lack that write: the next reader builds again)."""
    now = time.monotonic()
    built = programme_view.overviews(session, prog, langs)
    with _lock:
        if base[0] != _generation[0]:
            return
        for code, ov in built.items():
            entry = (now, ov)
            _cache[(*base, code)] = entry
            _latest[code] = ((*base, code), entry)
        while len(_cache) > 12:  # the languages x the latest generations
            _cache.pop(next(iter(_cache)))


def overview(
    session: Session,
    prog: m.Programme,
    lang: str,
    *,
    trainings: tuple[int, int] = (0, PAGE),
    imports: tuple[int, int] = (0, PAGE),
) -> dict[str, Any]:
    """The overview in ``lang`` with one page (offset, limit) of training sessions and of imports, and
    their totals (``trainings_count``, ``imports_count``)."""
    return versioned(session, prog, lang, trainings=trainings, imports=imports)[0]


def versioned(
    session: Session,
    prog: m.Programme,
    lang: str,
    *,
    trainings: tuple[int, int] = (0, PAGE),
    imports: tuple[int, int] = (0, PAGE),
) -> tuple[dict[str, Any], tuple]:
    """The overview as :func:`overview` gives it, and its version: a key that changes whenever the
    overview is built again (what is drawn from the overview can be kept under it)."""
    key = (_generation[0], _fingerprint(session, prog), lang)
    hit = _fresh(key)
    if hit is None:
        with _lock:
            before = _latest.get(lang) if _writing[0] else None
        if before is not None:
            # a write of the service is being committed and its writer builds the overview that shows
            # it: until it is acknowledged, the overview of before the write is the right answer
            key, hit = before
        else:
            # one request builds it, the others asking at the same time wait for that one (after a change
            # by the command line, every client on the page would otherwise build the same overview at once)
            with _building:
                hit = _fresh(key)
                if hit is None:
                    # every language at once: after a change, the page is asked for in all of them
                    _build(session, prog, key[:-1], tuple(dict.fromkeys((lang, *LANGS))))
                    hit = _fresh(key)
                    if hit is None:  # a write bumped the generation meanwhile: this one, unkept
                        hit = (time.monotonic(), programme_view.overview(session, prog, lang))
    full = hit[1]
    out = dict(full)
    for name, (offset, limit) in (("trainings", trainings), ("imports", imports)):
        out[name] = full[name][offset : offset + limit]
        out[f"{name}_count"] = len(full[name])
        out[f"{name}_offset"] = offset
        out[f"{name}_limit"] = limit
    return out, (*key, hit[0])


def withdraw(
    session: Session, data_dir: Path, import_id: int, user: Any, address: str | None
) -> m.ImportBatch:
    """Withdraw an import (partners: their organisation's), audited with its file's SHA-256; the file is
    deleted once the withdrawal is committed."""
    from corridor.service import audit
    from corridor.service.errors import check_id
    from corridor.service.files import discard

    check_id(import_id, Message("service.errors.no_import_id", id=import_id), Message("service.errors.no_import.hint"))
    prog = programme_view.require_programme(session)
    b = programme_view.withdraw_import(session, prog, import_id, user)
    detail = {"file": Path(b.file_name).name, "sha256": b.sha256}
    audit.record(session, user, "training.withdraw", f"import {import_id}", detail=detail, address=address)
    commit(session)
    discard(data_dir, b.file_name)
    return b
