"""Load a programme from its YAML file into the database, all or nothing.

The whole file is checked first (references between organisations, meetings,
lines of work and results; SDG codes; every indicator's source exists in the
evidence table or among the activity metrics) and every problem is reported
with the file and line. Only then is the programme written, in one
transaction: a file that fails leaves the database exactly as it was. Loading
a programme whose code is already in the database replaces its definition
(partners, meetings, framework ...) and keeps its activity records.
"""

from __future__ import annotations

import datetime as dt
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from corridor.errors import SourceError, SpecError
from corridor.programme import models as m
from corridor.programme.activities import METRICS
from corridor.programme.evidence import read_evidence, select
from corridor.programme.refresh import period_bounds, refresh_observations
from corridor.programme.sdg import check_code

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

LANGS = ("es", "fr", "en")
MEASURES = {"proportion": "2", "percentage": "2", "persons": "1", "count": "1", "points": "1",
            "rate": "1", "number": "1"}


class LineDict(dict):
    """A mapping read from YAML that remembers its line number."""

    line: int = 0


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    out = LineDict(loader.construct_mapping(node, deep=True))
    out.line = node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def fail(self, node: Any, message: str) -> None:
        line = getattr(node, "line", None)
        self.problems.append(f"{self.path}, line {line}: {message}" if line else f"{self.path}: {message}")

    def need(self, node: LineDict, key: str, what: str) -> Any:
        if not isinstance(node, dict) or key not in node or node[key] in (None, ""):
            self.fail(node, f"{what} has no {key!r}")
            return None
        return node[key]

    def text(self, node: LineDict, key: str, what: str, *, required: bool = True) -> dict | None:
        value = node.get(key) if isinstance(node, dict) else None
        if value is None:
            if required:
                self.fail(node, f"{what} has no {key!r}")
            return None
        if isinstance(value, str):
            return {"en": value}
        if not isinstance(value, dict) or not set(value) <= set(LANGS):
            self.fail(node, f"{what}: {key!r} must be a text or a mapping of es/fr/en texts")
            return None
        return {k: str(v) for k, v in value.items()}

    def date(self, node: LineDict, key: str, what: str) -> dt.date | None:
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(node, f"{what}: {key} {value!r} is not a date (YYYY-MM-DD)")
            return None


def read_spec(path: str | Path) -> dict:
    """Parse and check a programme YAML file; return the checked spec or raise SpecError."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"programme file {path} does not exist", hint="give the path of a programme YAML file")
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise SpecError(f"{path} is not valid YAML: {exc}", hint="check indentation and quoting") from exc
    if not isinstance(doc, dict) or "programme" not in doc:
        raise SpecError(f"{path} has no 'programme' section",
                        hint="see docs/programme.md for the layout of a programme file")
    ck = _Checker(path)
    spec = _check(doc, ck, path)
    _check_unique(doc, ck)
    if ck.problems:
        shown = "\n  ".join(ck.problems[:20])
        more = f"\n  ... and {len(ck.problems) - 20} more" if len(ck.problems) > 20 else ""
        raise SpecError(f"{len(ck.problems)} problem(s) in programme file {path}:\n  {shown}{more}",
                        hint="fix the lines named above; the database was not changed")
    return spec


def _check(doc: dict, ck: _Checker, path: Path) -> dict:
    prog = doc["programme"]
    spec: dict = {"path": path}
    p = {
        "code": ck.need(prog, "code", "programme"),
        "title": ck.text(prog, "title", "programme"),
        "summary": ck.text(prog, "summary", "programme", required=False),
        "countries": list(prog.get("countries") or []),
        "status": str(prog.get("status", "pipeline")),
        "start_date": ck.date(prog, "start_date", "programme"),
        "end_date": ck.date(prog, "end_date", "programme"),
        "iati_identifier": prog.get("iati_identifier"),
        "reporting_org": prog.get("reporting_org"),
    }
    corridor = prog.get("corridor") or {}
    p["origin"], p["destination"] = corridor.get("origin"), corridor.get("destination")
    for key in ("origin", "destination"):
        if not (isinstance(p[key], str) and len(p[key]) == 3 and p[key].isupper()):
            ck.fail(prog, f"programme corridor {key} {p[key]!r} is not an ISO 3166-1 alpha-3 code")
    evidence_rows = []
    if prog.get("evidence"):
        ev = Path(str(prog["evidence"]))
        ev = ev if ev.is_absolute() else (path.parent / ev)
        p["evidence_path"] = str(ev.resolve())
        try:
            evidence_rows = read_evidence(ev)
        except (SourceError, SpecError, ValueError) as exc:
            ck.fail(prog, f"evidence table: {exc}")
    else:
        p["evidence_path"] = None
    spec["programme"] = p

    orgs = {}
    for o in doc.get("organisations") or []:
        code = ck.need(o, "code", "organisation")
        kind = o.get("kind")
        if kind not in m.ORGANISATION_KINDS:
            ck.fail(o, f"organisation {code}: kind {kind!r} is not one of {', '.join(m.ORGANISATION_KINDS)}")
        if code in orgs:
            ck.fail(o, f"organisation code {code!r} is used twice")
        orgs[code] = {"code": code, "kind": kind, "name": ck.text(o, "name", f"organisation {code}"),
                      "country": o.get("country"), "region": o.get("region"),
                      "iati_ref": o.get("iati_ref"), "iati_type": (str(o["iati_type"]) if o.get("iati_type") else None)}
    spec["organisations"] = list(orgs.values())

    def org_ref(node: Any, code: Any, what: str) -> None:
        if code not in orgs:
            close = get_close_matches(str(code), list(orgs), n=1)
            ck.fail(node, f"{what} names organisation {code!r}, which is not in 'organisations'"
                    + (f" (did you mean {close[0]!r}?)" if close else ""))

    spec["agreements"] = []
    for a in doc.get("agreements") or []:
        code = ck.need(a, "code", "agreement")
        for party in a.get("parties") or []:
            org_ref(a, party, f"agreement {code}")
        spec["agreements"].append({"code": code, "title": ck.text(a, "title", f"agreement {code}"),
                                   "signed_on": ck.date(a, "signed_on", f"agreement {code}"),
                                   "purpose": ck.text(a, "purpose", f"agreement {code}", required=False),
                                   "source": a.get("source"), "parties": list(a.get("parties") or [])})
    spec["documents"] = []
    for d in doc.get("documents") or []:
        code = ck.need(d, "code", "document")
        for ref in list(d.get("authors") or []) + list(d.get("funders") or []):
            org_ref(d, ref, f"document {code}")
        spec["documents"].append({"code": code, "kind": str(d.get("kind", "other")),
                                  "title": ck.text(d, "title", f"document {code}"), "year": d.get("year"),
                                  "authors": list(d.get("authors") or []), "funders": list(d.get("funders") or []),
                                  "sources": list(d.get("sources") or []), "url": d.get("url")})
    meetings = {}
    for mt in doc.get("meetings") or []:
        code = ck.need(mt, "code", "meeting")
        for ref in mt.get("participants") or []:
            org_ref(mt, ref, f"meeting {code}")
        decisions = []
        for dec in mt.get("decisions") or []:
            decisions.append({"en": dec} if isinstance(dec, str) else {k: str(v) for k, v in dec.items()})
        meetings[code] = {"code": code, "title": ck.text(mt, "title", f"meeting {code}"),
                          "held_on": ck.date(mt, "held_on", f"meeting {code}"),
                          "date_note": ck.text(mt, "date_note", f"meeting {code}", required=False),
                          "place": mt.get("place"), "source": mt.get("source"),
                          "participants": list(mt.get("participants") or []), "decisions": decisions}
    spec["meetings"] = list(meetings.values())
    lines = {}
    for i, lw in enumerate(doc.get("lines_of_work") or [], start=1):
        code = ck.need(lw, "code", "line of work")
        lines[code] = {"code": code, "position": i, "title": ck.text(lw, "title", f"line of work {code}")}
    spec["lines_of_work"] = list(lines.values())

    def line_ref(node: Any, code: Any, what: str) -> None:
        if code is not None and code not in lines:
            ck.fail(node, f"{what} names line of work {code!r}, which is not in 'lines_of_work'")

    spec["commitments"] = []
    for c in doc.get("commitments") or []:
        code = ck.need(c, "code", "commitment")
        org_ref(c, c.get("owner"), f"commitment {code}")
        line_ref(c, c.get("line"), f"commitment {code}")
        if c.get("meeting") is not None and c["meeting"] not in meetings:
            ck.fail(c, f"commitment {code} names meeting {c['meeting']!r}, which is not in 'meetings'")
        status = c.get("status", "planned")
        if status not in m.COMMITMENT_STATUSES:
            ck.fail(c, f"commitment {code}: status {status!r} is not one of {', '.join(m.COMMITMENT_STATUSES)}")
        spec["commitments"].append({"code": code, "owner": c.get("owner"), "line": c.get("line"),
                                    "meeting": c.get("meeting"), "text": ck.text(c, "text", f"commitment {code}"),
                                    "due_date": ck.date(c, "due_date", f"commitment {code}"),
                                    "due_note": ck.text(c, "due_note", f"commitment {code}", required=False),
                                    "status": status})
    results = {}
    for i, r in enumerate(doc.get("results") or [], start=1):
        code = ck.need(r, "code", "result")
        line_ref(r, r.get("line"), f"result {code}")
        level = r.get("level")
        if level not in m.RESULT_LEVELS:
            ck.fail(r, f"result {code}: level {level!r} is not one of {', '.join(m.RESULT_LEVELS)}")
        sdgs = _sdgs(r, ck, f"result {code}")
        indicators = [_indicator(ind, j, ck, evidence_rows, p["evidence_path"])
                      for j, ind in enumerate(r.get("indicators") or [], start=1)]
        if not indicators:
            ck.fail(r, f"result {code} has no indicators")
        results[code] = {"code": code, "position": i, "line": r.get("line"), "parent": r.get("parent"),
                         "level": level, "title": ck.text(r, "title", f"result {code}"), "sdg": sdgs,
                         "indicators": indicators, "node": r}
    for res in results.values():
        if res["parent"] is not None and res["parent"] not in results:
            ck.fail(res["node"], f"result {res['code']} names parent {res['parent']!r}, which is not a result")
    spec["results"] = list(results.values())
    return spec


def _check_unique(doc: dict, ck: _Checker) -> None:
    """Codes are unique within each section (organisations are checked where they are read)."""
    sections = ["agreements", "documents", "meetings", "lines_of_work", "commitments", "results"]
    for section in sections:
        seen: set = set()
        for node in doc.get(section) or []:
            code = node.get("code") if isinstance(node, dict) else None
            if code in seen:
                ck.fail(node, f"{section}: code {code!r} is used twice")
            seen.add(code)
    for res in doc.get("results") or []:
        seen = set()
        for ind in (res.get("indicators") if isinstance(res, dict) else None) or []:
            code = ind.get("code") if isinstance(ind, dict) else None
            if code in seen:
                ck.fail(ind, f"result {res.get('code')}: indicator code {code!r} is used twice")
            seen.add(code)


def _sdgs(node: LineDict, ck: _Checker, what: str) -> list[str]:
    out = []
    for code in node.get("sdg") or []:
        try:
            out.append(check_code(str(code), where=f"{what}: "))
        except SpecError as exc:
            ck.fail(node, exc.message)
    return out


def _indicator(ind: LineDict, pos: int, ck: _Checker, evidence_rows: list, evidence_path: str | None) -> dict:
    code = ck.need(ind, "code", "indicator")
    what = f"indicator {code}"
    unit = str(ind.get("unit", "number"))
    if unit not in MEASURES:
        ck.fail(ind, f"{what}: unit {unit!r} is not one of {', '.join(MEASURES)}")
    confidence = float(ind.get("confidence", 0.95))
    if not 0 < confidence < 1:
        ck.fail(ind, f"{what}: confidence {confidence} must be between 0 and 1 (e.g. 0.95)")
    source = ind.get("source") or {}
    out: dict = {"code": code, "position": pos, "title": ck.text(ind, "title", what),
                 "definition": ck.text(ind, "definition", what, required=False), "unit": unit,
                 "measure": MEASURES.get(unit, "1"), "ascending": bool(ind.get("ascending", True)),
                 "confidence": confidence, "disaggregation": list(ind.get("disaggregation") or []),
                 "verification": ck.text(ind, "verification", what, required=False),
                 "sdg": _sdgs(ind, ck, what), "targets": [], "baseline": None}
    series: dict = {}
    if "evidence" in source:
        ev = source["evidence"] or {}
        out["source_kind"], out["source"] = "evidence", {
            "indicator": ev.get("indicator"), "population": ev.get("population"), "area": ev.get("area"),
            "disaggregation": ev.get("disaggregation", "total")}
        if evidence_path is None:
            ck.fail(ind, f"{what} takes its values from the evidence table, but the programme names none "
                    "(add programme: evidence: FILE)")
        elif evidence_rows:
            series = select(evidence_rows, **out["source"])
            if not series:
                known = sorted({r.indicator for r in evidence_rows})
                close = get_close_matches(str(ev.get("indicator")), known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
                ck.fail(ind, f"{what} names evidence indicator {ev.get('indicator')!r} for population "
                        f"{ev.get('population')!r}, area {ev.get('area')!r}, which is not in the evidence "
                        f"table {evidence_path}{hint}")
    elif "activities" in source:
        metric = (source["activities"] or {}).get("metric")
        out["source_kind"], out["source"] = "activities", {"metric": metric}
        if metric not in METRICS:
            ck.fail(ind, f"{what} names activity metric {metric!r}, which does not exist "
                    f"(known: {', '.join(METRICS)})")
        bad = [d for d in out["disaggregation"] if d not in ("region", "profession", "sex", "topic")]
        if bad:
            ck.fail(ind, f"{what}: cannot disaggregate training records by {', '.join(map(repr, bad))} "
                    "(use region, profession, sex or topic)")
    elif "manual" in source:
        out["source_kind"], out["source"] = "manual", {}
    else:
        ck.fail(ind, f"{what} has no source: give source: {{evidence: {{...}}}} or source: {{activities: {{metric: ...}}}}")
        out["source_kind"], out["source"] = "manual", {}
    base = ind.get("baseline")
    if base is not None:
        period = str(base.get("period", ""))
        try:
            period_bounds(period)
        except ValueError:
            ck.fail(base, f"{what}: baseline period {period!r} is not a year or an interval START/END")
        if out["source_kind"] == "evidence" and series and "value" not in base and period not in series:
            ck.fail(base, f"{what}: the evidence table has no {out['source']['indicator']!r} for period "
                    f"{period!r} (it has {', '.join(sorted(series))})")
        out["baseline"] = {"period": period, "value": base.get("value")}
    for t in ind.get("targets") or []:
        period = str(t.get("period", ""))
        try:
            start, end = period_bounds(period)
        except ValueError:
            ck.fail(t, f"{what}: target period {period!r} is not a year or an interval START/END")
            continue
        value = t.get("value")
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            ck.fail(t, f"{what}: target value {value!r} is not a number")
            continue
        dim = dict(t.get("dimension") or {})
        if any(k not in out["disaggregation"] for k in dim):
            ck.fail(t, f"{what}: target dimension {sorted(dim)} is not among the indicator's disaggregation "
                    f"{out['disaggregation']}")
        out["targets"].append({"period": period, "period_start": start, "period_end": end,
                               "value": float(value), "dimension": dim})
    return out


def load_programme(session: Session, path: str | Path, *, now: dt.datetime | None = None) -> m.Programme:
    """Check ``path`` and write its programme in the session's transaction (the caller commits).

    Raises SpecError (listing file and line of every problem) before writing anything.
    """
    from sqlalchemy import delete
    from sqlalchemy import select as sa_select

    spec = read_spec(path)
    p = spec["programme"]
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    prog = session.scalars(sa_select(m.Programme).where(m.Programme.code == p["code"])).one_or_none()
    if prog is None:
        prog = m.Programme(code=p["code"])
        session.add(prog)
    else:
        for model in (m.Result, m.Commitment, m.Meeting, m.Agreement, m.Document, m.LineOfWork, m.Organisation):
            session.execute(delete(model).where(model.programme_id == prog.id))
        session.expire(prog)
    for key in ("title", "summary", "origin", "destination", "countries", "status", "start_date", "end_date",
                "iati_identifier", "reporting_org", "evidence_path"):
        setattr(prog, key, p[key])
    prog.source_file, prog.loaded_at = str(Path(path).resolve()), now
    session.flush()

    orgs = {o["code"]: m.Organisation(programme_id=prog.id, **o) for o in spec["organisations"]}
    session.add_all(orgs.values())
    lines = {lw["code"]: m.LineOfWork(programme_id=prog.id, **lw) for lw in spec["lines_of_work"]}
    session.add_all(lines.values())
    for a in spec["agreements"]:
        ag = m.Agreement(programme_id=prog.id, **{k: v for k, v in a.items() if k != "parties"})
        ag.parties = [m.AgreementParty(organisation=orgs[c]) for c in a["parties"]]
        session.add(ag)
    for d in spec["documents"]:
        session.add(m.Document(programme_id=prog.id, **d))
    meetings = {}
    for mt in spec["meetings"]:
        row = m.Meeting(programme_id=prog.id, **{k: v for k, v in mt.items() if k not in ("participants", "decisions")})
        row.participants = [m.MeetingParticipant(organisation=orgs[c]) for c in mt["participants"]]
        row.decisions = [m.Decision(position=i, text=t) for i, t in enumerate(mt["decisions"], start=1)]
        meetings[mt["code"]] = row
        session.add(row)
    for c in spec["commitments"]:
        session.add(m.Commitment(programme_id=prog.id, code=c["code"], text=c["text"], owner=orgs[c["owner"]],
                                 line=lines.get(c["line"]), meeting=meetings.get(c["meeting"]),
                                 due_date=c["due_date"], due_note=c["due_note"], status=c["status"]))
    results = {}
    for r in spec["results"]:
        res = m.Result(programme_id=prog.id, code=r["code"], position=r["position"], level=r["level"],
                       title=r["title"], sdg=r["sdg"], line=lines.get(r["line"]))
        for ind in r["indicators"]:
            row = m.Indicator(**{k: v for k, v in ind.items() if k not in ("targets", "baseline")})
            row.targets = [m.Target(**t) for t in ind["targets"]]
            row.source = {**row.source, "baseline": ind["baseline"]}
            res.indicators.append(row)
        results[r["code"]] = res
        session.add(res)
    session.flush()
    for r in spec["results"]:
        if r["parent"]:
            results[r["code"]].parent_id = results[r["parent"]].id
    session.flush()
    refresh_observations(session, prog, now=now)
    return prog
