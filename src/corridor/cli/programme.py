"""``corridor programme``: a binational programme, its results framework and activity records."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from corridor.errors import CorridorError, InputError, SpecError

DEMO_DIR = Path(__file__).resolve().parents[1] / "datasets" / "programme_demo"
DEMO_YAML = DEMO_DIR / "programme.yaml"
DEMO_TRAININGS = DEMO_DIR / "trainings_SYNTHETIC.csv"


class _Group(click.Group):
    """Prints corridor errors as message + hint (exit 2) when the group runs on its own."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CorridorError as exc:
            click.secho(f"error: {exc.message}", err=True, fg="red")
            if exc.hint:
                click.echo(f"hint: {exc.hint}", err=True)
            sys.exit(2)


def _db_given(db: str | None) -> bool:
    from corridor.programme.db import ENV_URL

    return bool(db or os.environ.get(ENV_URL))


@contextmanager
def _session(db: str | None, *, migrate: bool = True) -> Iterator:
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
        raise SpecError(f"no programme {code!r} in the database",
                        hint=f"programmes there: {', '.join(p.code for p in progs) or 'none'}")
    if len(progs) == 1:
        return progs[0]
    if not progs:
        return None
    raise SpecError(f"the database holds {len(progs)} programmes: {', '.join(p.code for p in progs)}",
                    hint="choose one with --programme CODE")


@contextmanager
def _programme(db: str | None, code: str | None) -> Iterator:
    """The programme to read: from the database, or the shipped demo when none is configured or stored."""
    from corridor.programme.db import DEFAULT_URL

    default_file = Path(DEFAULT_URL.removeprefix("sqlite:///"))
    if _db_given(db) or default_file.exists():
        with _session(db) as session:
            prog = _pick(session, code)
            if prog is not None:
                yield prog
                return
            if _db_given(db):
                raise InputError("the programme database holds no programme",
                                 hint="load one with `corridor programme load FILE`")
    click.echo("note: no programme database; using the shipped Chile-Colombia demo "
               "(training records and survey rows in it are SYNTHETIC)", err=True)
    with _session("sqlite://") as session:
        from corridor.programme.activities import import_trainings
        from corridor.programme.load import load_programme
        from corridor.programme.refresh import refresh_observations

        prog = load_programme(session, DEMO_YAML)
        import_trainings(session, prog, DEMO_TRAININGS)
        refresh_observations(session, prog)
        yield prog


@click.group(name="programme", cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", metavar="URL", default=None,
              help="Database URL: sqlite:///file.sqlite (default: ./corridor-programme.sqlite, or "
                   "$CORRIDOR_PROGRAMME_DB) or postgresql+psycopg://user@host:port/dbname.")
@click.pass_context
def command(ctx: click.Context, db: str | None) -> None:
    """Binational programmes: agreements, partners, meetings, commitments, results framework,
    training records, progress against targets, the programme report and an IATI export.

    Without a database, read-only commands (progress, report, export-iati) use the shipped
    Chile-Colombia demo programme, whose training records are SYNTHETIC.

    \b
    Example:
      corridor programme load programme.yaml
      corridor programme import-trainings trainings.csv
      corridor programme progress
      corridor programme report --lang es --out report/
    """
    ctx.obj = {"db": db}


@command.command("init")
@click.pass_obj
def init_cmd(obj: dict) -> None:
    """Create or upgrade the programme database (applies the migrations)."""
    from corridor.programme import db as dbm

    engine = dbm.make_engine(obj["db"])
    before = dbm.current_revision(engine)
    dbm.upgrade(engine)
    after = dbm.current_revision(engine)
    engine.dispose()
    click.echo(f"database {dbm.database_url(obj['db'])}: schema at revision {after}"
               + ("" if before == after else f" (was {before or 'empty'})"))


@command.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def load_cmd(obj: dict, file: Path) -> None:
    """Create or update a programme from its YAML FILE (all or nothing).

    Loading a programme code that is already stored replaces its definition and keeps its
    training records. See docs/programme.md for the file layout.
    """
    from corridor.programme.load import load_programme

    with _session(obj["db"]) as session:
        prog = load_programme(session, file)
        n_ind = sum(len(r.indicators) for r in prog.results)
        click.echo(f"loaded programme {prog.code}: {len(prog.organisations)} organisations, "
                   f"{len(prog.meetings)} meetings, {len(prog.lines_of_work)} lines of work, "
                   f"{len(prog.results)} results, {n_ind} indicators")


@command.command("import-trainings")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--programme", "code", metavar="CODE", help="Programme code (needed when the database holds several).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Reference date for the no-future-dates check (default: today).")
@click.pass_obj
def import_cmd(obj: dict, file: Path, code: str | None, today: dt.datetime | None) -> None:
    """Import training records from a CSV or XLSX FILE (e.g. a KoboToolbox/ODK export).

    One row per participant: session_id, date, region, facility, topic, trainers,
    line_of_work, participant_id, profession, sex, pre_score, post_score. Any bad row
    stops the import and nothing is written.
    """
    from corridor.programme.activities import import_trainings
    from corridor.programme.refresh import refresh_observations

    with _session(obj["db"]) as session:
        prog = _pick(session, code)
        if prog is None:
            raise InputError("the programme database holds no programme",
                             hint="load one first with `corridor programme load FILE`")
        batch, ledger = import_trainings(session, prog, file, today=today.date() if today else None)
        refresh_observations(session, prog)
        click.echo(f"imported {ledger.rows_imported} participant rows in {ledger.sessions} sessions from {file} "
                   f"(rows read {ledger.rows_read} = imported {ledger.rows_imported} + blank {ledger.rows_blank})"
                   + (" [SYNTHETIC]" if batch.synthetic else ""))


@command.command("refresh")
@click.option("--programme", "code", metavar="CODE", help="Programme code.")
@click.pass_obj
def refresh_cmd(obj: dict, code: str | None) -> None:
    """Re-read the evidence table and the training records into the stored baselines and actuals.

    Run it when the evidence table behind the programme has been regenerated (e.g. a new
    corridor profile with a new survey round).
    """
    from corridor.programme.refresh import refresh_observations

    with _session(obj["db"]) as session:
        prog = _pick(session, code)
        if prog is None:
            raise InputError("the programme database holds no programme",
                             hint="load one first with `corridor programme load FILE`")
        n = refresh_observations(session, prog)
        click.echo(f"refreshed {n} baselines and actuals of programme {prog.code}")


@command.command("progress")
@click.option("--programme", "code", metavar="CODE", help="Programme code.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_obj
def progress_cmd(obj: dict, code: str | None, fmt: str) -> None:
    """Progress against every target, with intervals and a met / not-yet-demonstrated judgement."""
    from corridor.programme.progress import programme_progress

    with _programme(obj["db"], code) as prog:
        rows = [p.as_dict() for p in programme_progress(prog)]
    for r in rows:
        r["indicator_title"] = r["indicator_title"].get("en", "")
        r["dimension"] = ";".join(f"{k}={v}" for k, v in r["dimension"].items())
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

    click.echo(f"{'indicator':<10} {'period':<7} {'dimension':<12} {'baseline':>9} {'target':>8} {'actual':>8} "
               f"{'interval':>19}  status")
    for r in rows:
        ci = "-" if r["ci_low"] is None else f"[{g(r['ci_low'])}, {g(r['ci_high'])}]"
        click.echo(f"{r['indicator']:<10} {r['period']:<7} {r['dimension'] or 'total':<12} {g(r['baseline']):>9} "
                   f"{g(r['target']):>8} {g(r['actual']):>8} {ci:>19}  {r['status']}")


@command.command("report")
@click.option("--programme", "code", metavar="CODE", help="Programme code.")
@click.option("--lang", "langs", type=click.Choice(["es", "fr", "en"]), multiple=True,
              help="Language (repeat for several; default: es, fr and en).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("programme-report"),
              show_default=True, help="Output directory.")
@click.option("--pdf/--no-pdf", default=True, show_default=True, help="Also write a PDF of each language.")
@click.option("--by-sdg", is_flag=True, help="Add a section grouping the indicators by SDG indicator.")
@click.pass_obj
def report_cmd(obj: dict, code: str | None, langs: tuple[str, ...], out_dir: Path, pdf: bool, by_sdg: bool) -> None:
    """Write the programme proposal/report (HTML, and PDF) for a binational meeting."""
    from corridor.programme.report import write_report

    with _programme(obj["db"], code) as prog:
        for lang in langs or ("es", "fr", "en"):
            files = write_report(prog, out_dir, lang, pdf=pdf, by_sdg=by_sdg)
            click.echo(f"wrote {files.html}" + (f", {files.pdf} ({files.pages} pages)" if files.pdf else ""))


@command.command("export-iati")
@click.option("--programme", "code", metavar="CODE", help="Programme code.")
@click.option("--lang", type=click.Choice(["es", "fr", "en"]), default="en", show_default=True,
              help="Default language of the narratives (the others are added with xml:lang).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("programme-iati.xml"), show_default=True, help="Output file ('-' for standard output).")
@click.pass_obj
def iati_cmd(obj: dict, code: str | None, lang: str, out_file: Path) -> None:
    """Export the results framework as IATI 2.03 activity XML, validated against the IATI schema."""
    from corridor.programme.iati import export_iati

    with _programme(obj["db"], code) as prog:
        xml = export_iati(prog, lang=lang)
    if str(out_file) == "-":
        click.echo(xml.decode("utf-8"), nl=False)
    else:
        out_file.write_bytes(xml)
        click.echo(f"wrote {out_file} (IATI 2.03, valid against the activity schema)")
