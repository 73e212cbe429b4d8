"""``corridor programme``: a binational programme, its results framework, monitoring data and reports."""

from __future__ import annotations

import csv
import datetime as dt
import getpass
import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from corridor.cli._messages import echo_error
from corridor.errors import CorridorError, InputError, SpecError
from corridor.i18n import Message, t


class _Group(click.Group):
    """Prints corridor errors as message + hint (exit 2) when the group runs on its own."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CorridorError as exc:
            echo_error(exc)
            sys.exit(2)


def _need_programme_extra() -> None:
    """Without the programme extra's packages, an error naming the extra to install (not a traceback)."""
    from corridor._deps import import_optional

    for package in ("sqlalchemy", "alembic"):
        import_optional(package, feature="corridor programme")


def _db_given(db: str | None) -> bool:
    _need_programme_extra()
    from corridor.programme.db import ENV_URL

    return bool(db or os.environ.get(ENV_URL))


@contextmanager
def _session(db: str | None, *, migrate: bool = True) -> Iterator:
    _need_programme_extra()
    from corridor.programme import db as dbm

    engine = dbm.make_engine(db)
    if migrate:
        dbm.ensure_schema(engine)
    try:
        with dbm.session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def _pick(session, code: str | None):
    from sqlalchemy import select

    from corridor.programme.models import Programme

    progs = list(session.scalars(select(Programme).order_by(Programme.code)))
    if code is not None:
        for p in progs:
            if p.code == code:
                return p
        raise SpecError(Message("cli.programme.no_such_programme", code=code),
                        hint=Message("cli.programme.programmes_there", codes=", ".join(p.code for p in progs))
                        if progs else Message("cli.programme.load_first"))
    if len(progs) == 1:
        return progs[0]
    if not progs:
        return None
    raise SpecError(Message("cli.programme.several", n=len(progs), codes=", ".join(p.code for p in progs)),
                    hint=Message("cli.programme.choose_one"))


def _stored(session, code: str | None):
    prog = _pick(session, code)
    if prog is None:
        raise InputError(Message("cli.programme.empty_database"), hint=Message("cli.programme.load_first"))
    return prog


@contextmanager
def _programme(db: str | None, code: str | None) -> Iterator:
    """The programme to read: from the database, or the shipped demo when none is configured or stored."""
    _need_programme_extra()
    from corridor.programme.db import DEFAULT_URL

    default_file = Path(DEFAULT_URL.removeprefix("sqlite:///"))
    if _db_given(db) or default_file.exists():
        with _session(db) as session:
            prog = _pick(session, code)
            if prog is not None:
                yield prog
                return
            if _db_given(db):
                raise InputError(Message("cli.programme.empty_database"), hint=Message("cli.programme.load_first"))
    click.echo(t("cli.programme.using_demo"), err=True)
    with _session("sqlite://") as session:
        from corridor.programme.demo import load_demo

        yield load_demo(session)


def _state(code: str) -> str:
    """A period's approval state in words."""
    return t(f"programme.period_states.{code}")


def _today(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


TODAY = click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                     help="Judge open periods and overdue commitments as of this date (default: today).")
PROGRAMME = click.option("--programme", "code", metavar="CODE", help="Programme code (when the database holds several).")


@click.group(name="programme", cls=_Group,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", metavar="URL", default=None,
              help="Database URL: sqlite:///file.sqlite (default: ./corridor-programme.sqlite, or "
                   "$CORRIDOR_PROGRAMME_DB) or postgresql+psycopg://user@host:port/dbname.")
@click.option("--user", "user", metavar="NAME", default=None,
              help="Who makes the changes, kept with every revision and approval (default: your login name).")
@click.pass_context
def command(ctx: click.Context, db: str | None, user: str | None) -> None:
    """Binational programmes: agreements, partners, meetings, commitments, a results matrix linked to
    corridor's own evidence, training records and partner entries, reporting periods with approval,
    finance, progress against targets, the programme report and an IATI export.

    Without a database, read-only commands (progress, report, export-iati) use the shipped
    Chile-Colombia demo programme, whose monitoring data are SYNTHETIC.

    \b
    Example:
      corridor profile --origin COL --destination CHL --out profile/
      corridor programme load programme.yaml
      corridor programme refresh --from-profile profile/
      corridor programme import-trainings trainings.csv --org REGIONAL-HEALTH-AN
      corridor programme record OP1.1.1 --org CIVIL-SOCIETY --period 2026 --area CL-AN --value 120
      corridor programme period submit 2026 --org CIVIL-SOCIETY
      corridor programme report --lang es --out report/
    """
    try:
        default_user = getpass.getuser()
    except (KeyError, OSError):
        default_user = "unknown"
    ctx.obj = {"db": db, "user": user or default_user}


@command.command("init")
@click.pass_obj
def init_cmd(obj: dict) -> None:
    """Create or upgrade the programme database (applies the migrations)."""
    _need_programme_extra()
    from corridor.programme import db as dbm

    engine = dbm.make_engine(obj["db"])
    before = dbm.current_revision(engine)
    dbm.upgrade(engine)
    after = dbm.current_revision(engine)
    engine.dispose()
    if before == after:
        click.echo(t("cli.programme.schema_at", url=dbm.database_url(obj["db"]), revision=after))
    else:
        click.echo(t("cli.programme.schema_upgraded", url=dbm.database_url(obj["db"]), revision=after,
                     before=before or t("cli.programme.schema_empty")))


def _summary(s) -> str:
    return t("cli.programme.summary", added=s.added, revised=s.revised, removed=s.removed, unchanged=s.unchanged)


@command.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def load_cmd(obj: dict, file: Path) -> None:
    """Create or update a programme from its YAML FILE (all or nothing).

    Loading a programme code that is already stored updates its definition and keeps its
    records, entries, approvals and revisions. Commitments and meetings are taken from the file
    only the first time: later changes made with `corridor programme commitment`/`meeting`, the
    API or the service are kept. See docs/programme.md for the file layout.
    """
    from corridor.programme.load import load_programme

    with _session(obj["db"]) as session:
        prog = load_programme(session, file, by=obj["user"])
        n_ind = sum(len(r.indicators) for r in prog.results)
        click.echo(t("cli.programme.loaded", code=prog.code, organisations=len(prog.organisations),
                     meetings=len(prog.meetings), lines=len(prog.lines_of_work), results=len(prog.results),
                     indicators=n_ind, periods=len(prog.periods), values=_summary(prog.loaded_summary)))
        kept = {c.code for c in prog.commitments} | {mt.code for mt in prog.meetings}
        seeded = {c for _, c in prog.loaded_seeded}
        if kept - seeded:
            click.echo(t("cli.programme.kept", codes=", ".join(sorted(kept - seeded))))
        if not prog.evidence_path:
            n_ev = sum(i.source_kind == "evidence" for r in prog.results for i in r.indicators)
            if n_ev:
                click.echo(t("cli.programme.evidence_missing", n=n_ev))


@command.command("import-trainings")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@PROGRAMME
@click.option("--org", "org", metavar="CODE", help="Partner that ran the sessions (when the file has no "
              "organisation column).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Reference date for the no-future-dates check (default: today).")
@click.pass_obj
def import_cmd(obj: dict, file: Path, code: str | None, org: str | None, today: dt.datetime | None) -> None:
    """Import training records from a CSV or XLSX FILE (e.g. a KoboToolbox/ODK export).

    One row per participant: session_id, date, region, facility, course, topic, trainers,
    line_of_work, organisation, participant_id, profession, sex, age or age_band, nationality,
    migratory_status, pre_score, post_score. Courses come from the programme's catalogue; a
    session in a period the partner submitted, had approved or locked is refused. Any bad row
    stops the import and nothing is written.
    """
    from corridor.programme.activities import import_trainings
    from corridor.programme.refresh import refresh_observations

    with _session(obj["db"]) as session:
        prog = _stored(session, code)
        batch, ledger = import_trainings(session, prog, file, today=_today(today), organisation=org,
                                         by=obj["user"])
        s = refresh_observations(session, prog, by=obj["user"], kinds=("activities",),
                                 why=f"training records {file.name} imported (import {batch.id})")
        click.echo(t("cli.programme.imported_trainings_synthetic" if batch.synthetic else "cli.programme.imported_trainings",
                     rows=ledger.rows_imported, sessions=ledger.sessions, file=file, read=ledger.rows_read,
                     blank=ledger.rows_blank, values=_summary(s)))


@command.command("refresh")
@PROGRAMME
@click.option("--from-profile", "profile", type=click.Path(path_type=Path), default=None,
              help="A corridor profile's folder (or its indicators.csv/.parquet) to take the evidence from; "
                   "it becomes the programme's evidence.")
@click.option("--reason", default=None, help="Why the evidence changed (kept with every revision).")
@click.pass_obj
def refresh_cmd(obj: dict, code: str | None, profile: Path | None, reason: str | None) -> None:
    """Re-read the evidence, training records and entries into the stored baselines and actuals.

    Every value that changes is a revision (who, when, from, to, why) and the report shows it.
    Evidence links by identity (catalogue id, population, area, period, disaggregation) and unit:
    a profile that lacks a linked series, or gives it in another unit, is refused with both sides
    named, and nothing is written. Values of periods that are submitted, approved or locked are
    not changed: the refresh is refused.
    """
    from corridor.programme.evidence import read_evidence
    from corridor.programme.refresh import refresh_observations

    with _session(obj["db"]) as session:
        prog = _stored(session, code)
        evidence = None
        if profile is not None:
            evidence = read_evidence(profile)
            prog.evidence_path = str(Path(profile).resolve())
            prog.evidence_meta = {k: v for k, v in evidence.meta.items()}
        elif prog.evidence_path:
            evidence = read_evidence(prog.evidence_path)
            prog.evidence_meta = dict(evidence.meta)
        why = (f"evidence refreshed from {evidence.path} (sha256 {evidence.meta['sha256'][:12]})" if evidence
               else "refresh")
        if reason:
            why += f": {reason}"
        s = refresh_observations(session, prog, by=obj["user"], why=why, evidence=evidence)
        if evidence:
            click.echo(t("cli.programme.refreshed_from", code=prog.code, values=_summary(s), path=evidence.path))
        else:
            click.echo(t("cli.programme.refreshed", code=prog.code, values=_summary(s)))


@command.command("record")
@click.argument("indicator", required=False)
@PROGRAMME
@click.option("--org", "org", metavar="CODE", help="Partner entering the value.")
@click.option("--period", metavar="CODE", help="Reporting period (e.g. 2026 or 2026-Q1).")
@click.option("--area", metavar="CODE", help="ISO 3166-2 region (CL-AN) or programme country (CHL).")
@click.option("--value", metavar="N", help="The count.")
@click.option("--dim", "dims", multiple=True, metavar="NAME=VALUE",
              help="One disaggregation cell (sex=F, age_band=25-44, nationality=COL, migratory_status=migrant, "
                   "profession=nurse); without it the value is the total.")
@click.option("--note", default=None, help="A note kept with the value.")
@click.option("--file", "file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A CSV/XLSX of values (indicator, organisation, period, area, value, sex, age_band, nationality, "
                   "migratory_status, profession, note), imported all or nothing.")
@click.option("--delete", "delete_id", type=int, default=None, metavar="ID", help="Remove the entered value ID.")
@click.pass_obj
def record_cmd(obj: dict, indicator: str | None, code: str | None, org: str | None, period: str | None,
               area: str | None, value: str | None, dims: tuple[str, ...], note: str | None, file: Path | None,
               delete_id: int | None) -> None:
    """Enter values of indicators with `source: manual` (line of work 1 reach and the like).

    \b
    corridor programme record OP1.1.1 --org CIVIL-SOCIETY --period 2026 --area CL-AN --value 120
    corridor programme record OP1.1.1 --org CIVIL-SOCIETY --period 2026 --area CL-AN --dim sex=F --value 70
    corridor programme record --file values.csv
    corridor programme record --delete 42
    """
    from corridor.programme.refresh import refresh_observations
    from corridor.programme.values import delete_value, import_values, record_value

    with _session(obj["db"]) as session:
        prog = _stored(session, code)
        if delete_id is not None:
            row = delete_value(session, prog, delete_id, by=obj["user"], why=note)
            msg = f"removed value {delete_id} of {row.indicator.code}"
            said = t("cli.programme.value_removed", id=delete_id, indicator=row.indicator.code)
        elif file is not None:
            n = import_values(session, prog, file, by=obj["user"], organisation=org)
            msg = f"imported {n} values from {file}"
            said = t("cli.programme.values_imported", n=n, file=file)
        else:
            missing = [n for n, v in (("INDICATOR", indicator), ("--org", org), ("--period", period),
                                      ("--area", area), ("--value", value)) if v in (None, "")]
            if missing:
                raise InputError(Message("cli.programme.value_needs", names=", ".join(missing)),
                                 hint=Message("cli.programme.see_record_help"))
            cell = {}
            for d in dims:
                if "=" not in d:
                    raise InputError(Message("cli.programme.bad_dim", value=repr(d)), hint=Message("cli.programme.bad_dim.hint"))
                k, v = d.split("=", 1)
                cell[k.strip()] = v.strip()
            row = record_value(session, prog, indicator=indicator, organisation=org, period=period, area=area,
                               value=value, dimension=cell, note=note, by=obj["user"])
            where = ", ".join([row.organisation.code, row.period.code, row.area,
                               *(f"{k}={v}" for k, v in row.dimension.items())])
            msg = f"recorded {row.indicator.code} = {row.value:g} ({where}); id {row.id}"
            said = t("cli.programme.value_recorded", indicator=row.indicator.code, value=f"{row.value:g}", where=where,
                     id=row.id)
        s = refresh_observations(session, prog, by=obj["user"], kinds=("manual",), why=msg)
        click.echo(t("cli.programme.with_values", said=said, values=_summary(s)))


@command.command("period")
@click.argument("action", type=click.Choice(["status", "submit", "return", "approve", "lock", "unlock"]))
@click.argument("period", required=False)
@PROGRAMME
@click.option("--org", "orgs", multiple=True, metavar="CODE", help="Partner (repeat; --all-partners for every one).")
@click.option("--all-partners", is_flag=True, help="Every partner with data in the programme.")
@click.option("--reason", default=None, help="Why (required to return or unlock; kept with the change).")
@click.pass_obj
def period_cmd(obj: dict, action: str, period: str | None, code: str | None, orgs: tuple[str, ...],
               all_partners: bool, reason: str | None) -> None:
    """Reporting periods: show their approval state, or move a partner's period along.

    draft -> submit -> submitted -> approve -> approved -> lock -> locked; return (to draft) and
    unlock (administrators, with a reason) go back. Only draft data can change.
    """
    from corridor.programme import periods as pm
    
    with _session(obj["db"]) as session:
        prog = _stored(session, code)
        if action == "status":
            owners = sorted(pm.partners_with_data(prog) | {a.organisation.code for p in prog.periods for a in p.approvals})
            orgs_by = {o.code: o for o in prog.organisations}
            click.echo(f"{t('cli.programme.period'):<10}" + " ".join(f"{o:<20}" for o in owners))
            for p in sorted(prog.periods, key=lambda p: p.start):
                click.echo(f"{p.code:<10}" + " ".join(f"{_state(pm.state(p, orgs_by[o])):<20}" for o in owners))
            return
        if period is None:
            raise InputError(Message("cli.programme.period_needed", action=action),
                             hint=Message("cli.programme.period_needed.hint", action=action))
        targets = sorted(pm.partners_with_data(prog)) if all_partners else list(orgs)
        if not targets:
            raise InputError(Message("cli.programme.partners_needed"), hint=Message("cli.programme.see_help"))
        for org in targets:
            moved = pm.transition(session, prog, period, org, action, by=obj["user"], reason=reason)
            click.echo(t("cli.programme.period_moved", period=moved.period, organisation=moved.organisation,
                         before=_state(moved.before), after=_state(moved.after)))


@command.command("commitment")
@click.argument("commitment")
@PROGRAMME
@click.option("--status", type=click.Choice(["planned", "in_progress", "done", "cancelled"]), default=None)
@click.option("--done-on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Date it was done.")
@click.option("--due", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="(New) due date.")
@click.option("--add", "add_text", default=None, metavar="TEXT", help="Create the commitment with this text.")
@click.option("--owner", default=None, metavar="ORG", help="Owner of a new commitment.")
@click.option("--meeting", default=None, metavar="CODE", help="Meeting that agreed a new commitment.")
@click.option("--lang", type=click.Choice(["es", "fr", "en"]), default="en", show_default=True,
              help="Language of TEXT.")
@click.pass_obj
def commitment_cmd(obj: dict, commitment: str, code: str | None, status: str | None, done_on: dt.datetime | None,
                   due: dt.datetime | None, add_text: str | None, owner: str | None, meeting: str | None,
                   lang: str) -> None:
    """Add a commitment, or change its status, due date or completion date (kept across reloads).

    \b
    corridor programme commitment PROPOSAL-OCT --status done --done-on 2015-10-14
    corridor programme commitment FOCAL-POINTS --add "Name focal points" --owner MINSAL-CHL --due 2027-03-31
    """
    from corridor.programme.governance import add_commitment, update_commitment

    with _session(obj["db"]) as session:
        prog = _stored(session, code)
        if add_text is not None:
            c = add_commitment(session, prog, code=commitment, text={lang: add_text}, owner=owner,
                               due=_today(due), meeting=meeting, by=obj["user"])
            click.echo(t("cli.programme.commitment_added", code=c.code, owner=c.owner.code, due=c.due_date or "—"))
            return
        c = update_commitment(session, prog, commitment, status=status, done_on=_today(done_on), due=_today(due),
                              by=obj["user"])
        status = t(f"programme.commitment_statuses.{c.status}")
        click.echo(t("cli.programme.commitment_done", code=c.code, status=status, date=c.done_on) if c.done_on
                   else t("cli.programme.commitment_status", code=c.code, status=status))


@command.command("meeting")
@click.argument("meeting")
@PROGRAMME
@click.option("--add", "title", default=None, metavar="TITLE", help="Create the meeting with this title.")
@click.option("--date", "held_on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
@click.option("--place", default=None)
@click.option("--participant", "participants", multiple=True, metavar="ORG", help="Participant (repeat).")
@click.option("--minutes", default=None, metavar="TEXT", help="The meeting's minutes (replaces earlier minutes "
              "in that language).")
@click.option("--decision", "decisions", multiple=True, metavar="TEXT", help="Add a decision (repeat).")
@click.option("--lang", type=click.Choice(["es", "fr", "en"]), default="en", show_default=True,
              help="Language of the texts given.")
@click.pass_obj
def meeting_cmd(obj: dict, meeting: str, code: str | None, title: str | None, held_on: dt.datetime | None,
                place: str | None, participants: tuple[str, ...], minutes: str | None, decisions: tuple[str, ...],
                lang: str) -> None:
    """Add a meeting, or record its minutes and decisions (kept across reloads).

    \b
    corridor programme meeting STEERING-2026 --add "Steering committee 2026" --date 2026-11-25 --place Antofagasta \\
        --participant IOM --participant MINSAL-CHL
    corridor programme meeting STEERING-2026 --minutes "The committee reviewed ..." --decision "Extend LW3 to Arica"
    """
    from corridor.programme.governance import add_meeting, update_meeting

    with _session(obj["db"]) as session:
        prog = _stored(session, code)
        if title is not None:
            add_meeting(session, prog, code=meeting, title={lang: title}, held_on=_today(held_on), place=place,
                        participants=list(participants), by=obj["user"])
        mt = update_meeting(session, prog, meeting, minutes={lang: minutes} if minutes else None,
                            decisions=[{lang: d} for d in decisions], by=obj["user"])
        click.echo(t("cli.programme.meeting_minutes" if mt.minutes else "cli.programme.meeting",
                     count=len(mt.decisions), code=mt.code))


@command.command("progress")
@PROGRAMME
@TODAY
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_obj
def progress_cmd(obj: dict, code: str | None, today: dt.datetime | None, fmt: str) -> None:
    """Progress against every target, with intervals, judged met / not yet demonstrated / not met, and for
    open periods on track / off track against the trajectory."""
    from corridor.programme.progress import programme_progress

    with _programme(obj["db"], code) as prog:
        rows = [p.as_dict() for p in programme_progress(prog, today=_today(today))]
    for r in rows:
        r["indicator_title"] = r["indicator_title"].get("en", "")
        r["dimension"] = ";".join(f"{k}={v}" for k, v in r["dimension"].items())
        r["as_of"] = r["as_of"].isoformat() if r["as_of"] else None
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["indicator"])
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buf.getvalue(), nl=False)
        return

    def g(v: float | None) -> str:
        return "-" if v is None else f"{v:.4g}"

    h = {k: t(f"cli.programme.progress_head.{k}") for k in
         ("indicator", "period", "dimension", "baseline", "target", "actual", "interval", "expected", "status")}
    click.echo(f"{h['indicator']:<10} {h['period']:<7} {h['dimension']:<16} {h['baseline']:>9} {h['target']:>8} "
               f"{h['actual']:>8} {h['interval']:>19} {h['expected']:>9}  {h['status']}")
    total = t("cli.programme.total")
    for r in rows:
        ci = "-" if r["ci_low"] is None else f"[{g(r['ci_low'])}, {g(r['ci_high'])}]"
        status = t(f"programme.statuses.{r['status']}")
        click.echo(f"{r['indicator']:<10} {r['period']:<7} {r['dimension'] or total:<16} {g(r['baseline']):>9} "
                   f"{g(r['target']):>8} {g(r['actual']):>8} {ci:>19} {g(r['expected']):>9}  {status}")


@command.command("report")
@PROGRAMME
@TODAY
@click.option("--lang", "langs", type=click.Choice(["es", "fr", "en"]), multiple=True,
              help="Language (repeat for several; default: es, fr and en).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("programme-report"),
              show_default=True, help="Output directory.")
@click.option("--pdf/--no-pdf", default=True, show_default=True, help="Also write a PDF of each language.")
@click.option("--by-sdg", is_flag=True, help="Add a section grouping the indicators by SDG goal, target or indicator.")
@click.pass_obj
def report_cmd(obj: dict, code: str | None, today: dt.datetime | None, langs: tuple[str, ...], out_dir: Path,
               pdf: bool, by_sdg: bool) -> None:
    """Write the programme proposal/report (HTML, and PDF) with its results matrix, for a binational meeting."""
    from corridor.programme.report import write_report

    with _programme(obj["db"], code) as prog:
        for lang in langs or ("es", "fr", "en"):
            files = write_report(prog, out_dir, lang, pdf=pdf, by_sdg=by_sdg, today=_today(today))
            click.echo(t("cli.programme.wrote_pdf", html=files.html, pdf=files.pdf, count=files.pages) if files.pdf
                       else t("cli.programme.wrote", html=files.html))


def _rules_lines(xml: bytes) -> tuple[str, list[str], int]:
    from corridor.programme.iati_rules import evaluate, summary

    results = evaluate(xml)
    s = summary(results)
    head = t("cli.programme.iati_rules", checks=s["evaluated"], rules=s["rules"], passed=s["passed"], errors=s["errors"],
             warnings=s["warnings"], not_applicable=s["not_applicable"])
    return head, [f"  {r.severity} {r.id} {r.element}: {r.message}" for r in results if r.passed is False], s["errors"]


@command.command("export-iati")
@PROGRAMME
@click.option("--lang", type=click.Choice(["es", "fr", "en"]), default="en", show_default=True,
              help="Language of the narratives (the others follow with xml:lang).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("programme-iati.xml"), show_default=True, help="Output file ('-' for standard output).")
@click.pass_obj
def iati_cmd(obj: dict, code: str | None, lang: str, out_file: Path) -> None:
    """Export the programme as IATI 2.03 activity XML (results, budgets, transactions), validated
    against the IATI schema and the IATI Standard's ruleset."""
    from corridor.programme.iati import export_iati

    with _programme(obj["db"], code) as prog:
        xml = export_iati(prog, lang=lang)
    if str(out_file) == "-":
        click.echo(xml.decode("utf-8"), nl=False)
        return
    out_file.write_bytes(xml)
    head, _, _ = _rules_lines(xml)
    click.echo(t("cli.programme.iati_written", file=out_file) + "\n" + head)


@command.command("check-iati")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def check_iati_cmd(file: Path) -> None:
    """Check any IATI 2.03 activity FILE against the schema and the IATI Standard's ruleset."""
    from corridor._deps import import_optional

    import_optional("lxml", feature="corridor programme check-iati")
    from corridor.programme.iati import schema_errors

    xml = file.read_bytes()
    errors = schema_errors(xml)
    click.echo(t("cli.programme.schema_errors", count=len(errors)) if errors else t("cli.programme.schema_valid"))
    for e in errors[:20]:
        click.echo(f"  {e}")
    head, lines, n_errors = _rules_lines(xml)
    click.echo(head)
    for line in lines:
        click.echo(line)
    if errors or n_errors:
        sys.exit(1)
