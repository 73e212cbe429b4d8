"""Load a programme from its YAML file into the database, all or nothing.

The whole file is checked first (references between organisations, meetings, lines of work,
courses and results; SDG codes against the UN list; IATI codes; every evidence indicator linked
by identity, with its unit and disaggregations, to the evidence table; activity metrics) and
every problem is reported with the file and line. Only then is the programme written, in one
transaction: a file that fails leaves the database exactly as it was.

Loading a programme whose code is already stored updates its definition in place, matched by
code (partners, lines of work, courses, results, indicators, targets, periods, finance), so
stored values, entries, approvals and revisions stay attached. Commitments and meetings are
seeded by the file: once in the database they change through the command line, the API or the
service, and a reload neither overwrites nor removes them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from difflib import get_close_matches
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from corridor.errors import CorridorError, SourceError, SpecError
from corridor.i18n import Lines, Message
from corridor.programme import iati_codes
from corridor.programme import models as m
from corridor.programme.activities import DISAGGREGATIONS, METRICS
from corridor.programme.evidence import EvidenceKey, link, read_evidence
from corridor.programme.periods import build_periods
from corridor.programme.refresh import RefreshSummary, period_bounds, refresh_observations
from corridor.programme.sdg import check_code
from corridor.programme.values import ADDITIVE_UNITS
from corridor.programme.values import DIMENSIONS as VALUE_DIMENSIONS

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

LANGS = ("es", "fr", "en")
# units: those of corridor's tidy indicator table, and counts/scores of monitoring data
UNITS = ("percent", "proportion", "persons", "cases", "count", "sessions", "number", "points", "per_100000",
         "per_1000", "ratio", "years", "permits", "currency_month", "males_per_100_females")
UNIT_ALIASES = {"percentage": "percent"}
FREQUENCIES = ("monthly", "quarterly", "biannual", "annual", "biennial", "per_session", "once")


def measure(unit: str) -> str:
    """IATI indicator measure: 2 (percentage) for percents and proportions, else 1 (unit)."""
    return "2" if unit in ("percent", "proportion") else "1"


class LineDict(dict):
    """A mapping read from YAML that remembers its line number."""

    line: int = 0


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when built with it
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    out = LineDict(loader.construct_mapping(node, deep=True))
    out.line = node.start_mark.line + 1
    return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Message] = []

    def fail(self, node: Any, message: Message | str) -> None:
        line = getattr(node, "line", None)
        self.problems.append(Message("programme.errors.load.at_line", path=str(self.path), line=line, problem=message) if line
                             else Message("programme.errors.load.at_file", path=str(self.path), problem=message))

    def need(self, node: LineDict, key: str, what: Message) -> Any:
        if not isinstance(node, dict) or key not in node or node[key] in (None, ""):
            self.fail(node, Message("programme.errors.load.has_no", what=what, key=repr(key)))
            return None
        return node[key]

    def text(self, node: LineDict, key: str, what: Message | None, *, required: bool = True) -> dict | None:
        value = node.get(key) if isinstance(node, dict) else None
        if value is None:
            if required:
                self.fail(node, Message("programme.errors.load.has_no", what=what, key=repr(key)))
            return None
        if isinstance(value, str):
            return {"en": value}
        if not isinstance(value, dict) or not set(value) <= set(LANGS):
            self.fail(node, Message("programme.errors.load.text_form", what=what or "-", key=repr(key)))
            return None
        return {k: str(v) for k, v in value.items()}

    def date(self, node: LineDict, key: str, what: Message) -> dt.date | None:
        value = node.get(key)
        if value is None:
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(node, Message("programme.errors.load.not_a_date", what=what, key=key, value=repr(value)))
            return None

    def period(self, node: LineDict, value: Any, what: Message) -> tuple[dt.date, dt.date] | None:
        try:
            return period_bounds(str(value))
        except ValueError:
            self.fail(node, Message("programme.errors.load.not_a_period", what=what, value=repr(value)))
            return None

    def money(self, node: LineDict, key: str, what: Message) -> Decimal | None:
        try:
            out = Decimal(str(node.get(key)))
            if not out.is_finite() or out < 0:
                raise InvalidOperation
            return out
        except (InvalidOperation, ValueError):
            self.fail(node, Message("programme.errors.load.not_an_amount", what=what, key=key, value=repr(node.get(key))))
            return None


def read_spec(path: str | Path) -> dict:
    """Parse and check a programme YAML file; return the checked spec or raise SpecError."""
    path = Path(path)
    if not path.exists():
        raise SourceError(Message("programme.errors.load.no_file", path=str(path)), hint=Message("programme.errors.load.no_file.hint"))
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        raise SpecError(Message("programme.errors.load.not_yaml", path=str(path), error=str(exc)),
                        hint=Message("programme.errors.load.not_yaml.hint")) from exc
    if not isinstance(doc, dict) or "programme" not in doc:
        raise SpecError(Message("programme.errors.load.no_section", path=str(path)), hint=Message("programme.errors.load.no_section.hint"))
    ck = _Checker(path)
    spec = _check(doc, ck, path)
    _check_unique(doc, ck)
    if ck.problems:
        more = [Message("programme.errors.and_more", count=len(ck.problems) - 20)] if len(ck.problems) > 20 else []
        raise SpecError(Message("programme.errors.load.problems", count=len(ck.problems), path=str(path),
                                problems=Lines([*ck.problems[:20], *more])),
                        hint=Message("programme.errors.load.problems.hint"))
    return spec


def _what(kind: str, code: Any = None) -> Message:
    """How a programme file's problems name the thing at fault: ``organisation IOM``, ``indicator OP1.1``."""
    return Message(f"programme.errors.load.what.{kind}", code=code)


def _sdgs(node: Any, ck: _Checker, what: Message) -> list[str]:
    out = []
    for code in (node.get("sdg") if isinstance(node, dict) else None) or []:
        try:
            out.append(check_code(code))
        except SpecError as exc:
            ck.fail(node, Message("programme.errors.load.sdg_tag", what=what, problem=exc.msg, hint=exc.hint_msg or ""))
    return out


def _programme_section(prog: LineDict, ck: _Checker, path: Path) -> dict:
    p = {
        "code": ck.need(prog, "code", _what("programme")),
        "title": ck.text(prog, "title", _what("programme")),
        "summary": ck.text(prog, "summary", _what("programme"), required=False),
        "countries": list(prog.get("countries") or []),
        "status": str(prog.get("status", "pipeline")),
        "start_date": ck.date(prog, "start_date", _what("programme")),
        "end_date": ck.date(prog, "end_date", _what("programme")),
        "actual_start": ck.date(prog, "actual_start", _what("programme")),
        "actual_end": ck.date(prog, "actual_end", _what("programme")),
        "iati_identifier": prog.get("iati_identifier"),
        "reporting_org": prog.get("reporting_org"),
        "sdg": _sdgs(prog, ck, _what("programme")),
    }
    corridor = prog.get("corridor") or {}
    p["origin"], p["destination"] = corridor.get("origin"), corridor.get("destination")
    for key in ("origin", "destination"):
        if not (isinstance(p[key], str) and len(p[key]) == 3 and p[key].isupper()):
            ck.fail(prog, Message("programme.errors.load.corridor_iso3", key=key, value=repr(p[key])))
    if p["status"] not in iati_codes.ACTIVITY_STATUS:
        ck.fail(prog, Message("programme.errors.load.status", status=repr(p["status"]),
                              allowed=", ".join(iati_codes.ACTIVITY_STATUS)))
    if p["start_date"] and p["end_date"] and p["start_date"] > p["end_date"]:
        ck.fail(prog, Message("programme.errors.load.start_after_end", start=str(p["start_date"]), end=str(p["end_date"])))
    rc = prog.get("recipient_countries")
    if rc is None:
        p["recipient_countries"] = [{"code": c, "percentage": 100} for c in p["countries"][:1]] \
            if len(p["countries"]) == 1 else []
        if len(p["countries"]) > 1:
            ck.fail(prog, Message("programme.errors.load.recipient_shares",
                                  example="recipient_countries: [{code: CHL, percentage: 70}, {code: COL, percentage: 30}]"))
    else:
        p["recipient_countries"] = [{"code": str(c.get("code")), "percentage": c.get("percentage")} for c in rc]
        shares = [c.get("percentage") for c in rc]
        if any(not isinstance(s, (int, float)) or isinstance(s, bool) or not 0 <= s <= 100 for s in shares):
            ck.fail(prog, Message("programme.errors.load.recipient_percentage"))
        elif abs(sum(shares) - 100) > 1e-9:
            ck.fail(prog, Message("programme.errors.load.recipient_sum", total=sum(shares)))
        for c in p["recipient_countries"]:
            if c["code"] not in p["countries"]:
                ck.fail(prog, Message("programme.errors.load.recipient_country", code=repr(c["code"]),
                                      countries=", ".join(map(str, p["countries"]))))
    sectors = []
    for s in prog.get("sectors") or []:
        voc, code = str(s.get("vocabulary", "1")), str(s.get("code"))
        if voc == "1" and not iati_codes.known("Sector", code):
            ck.fail(s, Message("programme.errors.load.sector", code=repr(code)))
        sectors.append({"vocabulary": voc, "code": code, "percentage": s.get("percentage")})
    if not sectors:
        ck.fail(prog, Message("programme.errors.load.no_sectors",
                              example="sectors: [{vocabulary: 1, code: 12261, percentage: 100}]"))
    by_voc: dict[str, list] = {}
    for s in sectors:
        by_voc.setdefault(s["vocabulary"], []).append(s["percentage"])
    for voc, shares in by_voc.items():
        if len(shares) > 1 and (any(not isinstance(x, (int, float)) for x in shares) or abs(sum(shares) - 100) > 1e-9):
            ck.fail(prog, Message("programme.errors.load.sector_shares", vocabulary=voc))
    p["sectors"] = sectors
    p["evidence_path"] = None
    if prog.get("evidence"):
        ev = Path(str(prog["evidence"]))
        p["evidence_path"] = str((ev if ev.is_absolute() else (path.parent / ev)).resolve())
    rp = prog.get("reporting_periods") or {"frequency": "year"}
    if isinstance(rp, dict):
        if p["start_date"] is None or p["end_date"] is None:
            ck.fail(prog, Message("programme.errors.load.periods_need_dates"))
            p["periods"] = []
        else:
            try:
                p["periods"] = build_periods(p["start_date"], p["end_date"], str(rp.get("frequency", "year")))
            except SpecError as exc:
                ck.fail(prog, exc.msg)
                p["periods"] = []
    else:
        p["periods"] = []
        for item in rp:
            b = ck.period(item, item.get("code"), _what("reporting_period"))
            if b:
                p["periods"].append((str(item["code"]), *b))
    return p


def _check(doc: dict, ck: _Checker, path: Path) -> dict:
    spec: dict = {"path": path}
    p = spec["programme"] = _programme_section(doc["programme"], ck, path)
    evidence = None
    if p["evidence_path"] and Path(p["evidence_path"]).exists():
        try:
            evidence = read_evidence(p["evidence_path"])
        except (SourceError, SpecError, ValueError) as exc:
            ck.fail(doc["programme"], Message("programme.errors.load.evidence_table",
                                              problem=exc.msg if isinstance(exc, CorridorError) else str(exc)))
    spec["evidence_found"] = evidence is not None
    orgs = {}
    for o in doc.get("organisations") or []:
        code = ck.need(o, "code", _what("organisation"))
        kind = o.get("kind")
        if kind not in m.ORGANISATION_KINDS:
            ck.fail(o, Message("programme.errors.load.org_kind", code=code, kind=repr(kind),
                               allowed=", ".join(m.ORGANISATION_KINDS)))
        if code in orgs:
            ck.fail(o, Message("programme.errors.load.org_twice", code=repr(code)))
        itype = str(o["iati_type"]) if o.get("iati_type") else None
        if itype and not iati_codes.known("OrganisationType", itype):
            ck.fail(o, Message("programme.errors.load.org_iati_type", code=code, type=repr(itype)))
        ref = o.get("iati_ref")
        if ref and not iati_codes.org_id_prefix(str(ref)):
            ck.fail(o, Message("programme.errors.load.org_iati_ref", code=code, ref=repr(ref)))
        roles = [str(r) for r in (o.get("iati_roles") or [])]
        for r in roles:
            if not iati_codes.known("OrganisationRole", r):
                ck.fail(o, Message("programme.errors.load.org_iati_role", code=code, role=repr(r)))
        orgs[code] = {"code": code, "kind": kind, "name": ck.text(o, "name", _what("organisation", code)),
                      "country": o.get("country"), "region": o.get("region"), "iati_ref": ref,
                      "iati_type": itype, "iati_roles": roles}
    spec["organisations"] = list(orgs.values())
    if p["reporting_org"] and p["reporting_org"] not in orgs:
        ck.fail(doc["programme"], Message("programme.errors.load.reporting_org", code=repr(p["reporting_org"])))

    def org_ref(node: Any, code: Any, what: Message) -> None:
        if code not in orgs:
            close = get_close_matches(str(code), list(orgs), n=1)
            ck.fail(node, Message("programme.errors.load.unknown_org", what=what, code=repr(code),
                                  close=Message("programme.errors.load.did_you_mean", name=repr(close[0])) if close
                                  else ""))

    spec["agreements"] = []
    for a in doc.get("agreements") or []:
        code = ck.need(a, "code", _what("agreement"))
        for party in a.get("parties") or []:
            org_ref(a, party, _what("agreement", code))
        spec["agreements"].append({"code": code, "title": ck.text(a, "title", _what("agreement", code)),
                                   "signed_on": ck.date(a, "signed_on", _what("agreement", code)),
                                   "purpose": ck.text(a, "purpose", _what("agreement", code), required=False),
                                   "source": a.get("source"), "parties": list(a.get("parties") or [])})
    spec["documents"] = []
    for d in doc.get("documents") or []:
        code = ck.need(d, "code", _what("document"))
        for ref in list(d.get("authors") or []) + list(d.get("funders") or []):
            org_ref(d, ref, _what("document", code))
        spec["documents"].append({"code": code, "kind": str(d.get("kind", "other")),
                                  "title": ck.text(d, "title", _what("document", code)), "year": d.get("year"),
                                  "authors": list(d.get("authors") or []), "funders": list(d.get("funders") or []),
                                  "sources": list(d.get("sources") or []), "url": d.get("url")})
    meetings = {}
    for mt in doc.get("meetings") or []:
        code = ck.need(mt, "code", _what("meeting"))
        for ref in mt.get("participants") or []:
            org_ref(mt, ref, _what("meeting", code))
        decisions = [{"en": dec} if isinstance(dec, str) else {k: str(v) for k, v in dec.items()}
                     for dec in mt.get("decisions") or []]
        meetings[code] = {"code": code, "title": ck.text(mt, "title", _what("meeting", code)),
                          "held_on": ck.date(mt, "held_on", _what("meeting", code)),
                          "date_note": ck.text(mt, "date_note", _what("meeting", code), required=False),
                          "place": mt.get("place"), "source": mt.get("source"),
                          "minutes": ck.text(mt, "minutes", _what("meeting", code), required=False),
                          "participants": list(mt.get("participants") or []), "decisions": decisions}
    spec["meetings"] = list(meetings.values())
    lines = {}
    for i, lw in enumerate(doc.get("lines_of_work") or [], start=1):
        code = ck.need(lw, "code", _what("line_of_work"))
        lines[code] = {"code": code, "position": i, "title": ck.text(lw, "title", _what("line_of_work", code))}
    spec["lines_of_work"] = list(lines.values())

    def line_ref(node: Any, code: Any, what: Message) -> None:
        if code is not None and code not in lines:
            ck.fail(node, Message("programme.errors.load.unknown_line", what=what, code=repr(code)))

    spec["commitments"] = []
    for c in doc.get("commitments") or []:
        code = ck.need(c, "code", _what("commitment"))
        org_ref(c, c.get("owner"), _what("commitment", code))
        line_ref(c, c.get("line"), _what("commitment", code))
        if c.get("meeting") is not None and c["meeting"] not in meetings:
            ck.fail(c, Message("programme.errors.load.unknown_meeting", what=_what("commitment", code),
                               code=repr(c["meeting"])))
        status = c.get("status", "planned")
        if status not in m.COMMITMENT_STATUSES:
            ck.fail(c, Message("programme.errors.load.commitment_status", code=code, status=repr(status),
                               allowed=", ".join(m.COMMITMENT_STATUSES)))
        spec["commitments"].append({"code": code, "owner": c.get("owner"), "line": c.get("line"),
                                    "meeting": c.get("meeting"), "text": ck.text(c, "text", _what("commitment", code)),
                                    "due_date": ck.date(c, "due_date", _what("commitment", code)),
                                    "due_note": ck.text(c, "due_note", _what("commitment", code), required=False),
                                    "status": status, "done_on": ck.date(c, "done_on", _what("commitment", code))})
    result_codes = {r.get("code") for r in doc.get("results") or [] if isinstance(r, dict)}
    courses = {}
    for c in doc.get("courses") or []:
        code = ck.need(c, "code", _what("course"))
        line_ref(c, c.get("line"), _what("course", code))
        if c.get("result") is None or c.get("result") not in result_codes:
            ck.fail(c, Message("programme.errors.load.course_result", code=code, result=repr(c.get("result"))))
        courses[code] = {"code": code, "title": ck.text(c, "title", _what("course", code)), "line": c.get("line"),
                         "result": c.get("result")}
    spec["courses"] = list(courses.values())
    results = {}
    for i, r in enumerate(doc.get("results") or [], start=1):
        code = ck.need(r, "code", _what("result"))
        line_ref(r, r.get("line"), _what("result", code))
        level = r.get("level")
        if level not in m.RESULT_LEVELS:
            ck.fail(r, Message("programme.errors.load.result_level", code=code, level=repr(level),
                               allowed=", ".join(m.RESULT_LEVELS)))
        sdgs = _sdgs(r, ck, _what("result", code))
        indicators = [_indicator(ind, j, ck, evidence, p, orgs, courses)
                      for j, ind in enumerate(r.get("indicators") or [], start=1)]
        if not indicators:
            ck.fail(r, Message("programme.errors.load.result_no_indicators", code=code))
        results[code] = {"code": code, "position": i, "line": r.get("line"), "parent": r.get("parent"),
                         "level": level, "title": ck.text(r, "title", _what("result", code)), "sdg": sdgs,
                         "assumptions": ck.text(r, "assumptions", _what("result", code), required=False),
                         "risks": ck.text(r, "risks", _what("result", code), required=False),
                         "indicators": indicators, "node": r}
    for res in results.values():
        if res["parent"] is not None and res["parent"] not in results:
            ck.fail(res["node"], Message("programme.errors.load.result_parent", code=res["code"], parent=repr(res["parent"])))
    spec["results"] = list(results.values())
    spec["finance"] = _finance(doc.get("finance"), ck, orgs, lines, p)
    return spec


def _finance(fin: Any, ck: _Checker, orgs: dict, lines: dict, p: dict) -> dict:
    out: dict = {"currency": None, "synthetic": False, "budget": [], "transactions": []}
    if not fin:
        return out
    cur = str(fin.get("currency") or "")
    if not iati_codes.known("Currency", cur):
        ck.fail(fin, Message("programme.errors.load.finance_currency", currency=repr(cur)))
    out["currency"], out["synthetic"] = cur, bool(fin.get("synthetic", False))
    for b in fin.get("budget") or []:
        code = ck.need(b, "code", _what("budget_line"))
        if b.get("line") is not None and b.get("line") not in lines:
            ck.fail(b, Message("programme.errors.load.unknown_line", what=_what("budget_line", code), code=repr(b.get("line"))))
        bounds = ck.period(b, b.get("period"), _what("budget_line", code))
        amount = ck.money(b, "amount", _what("budget_line", code))
        if bounds and (bounds[1] - bounds[0]).days > 366:
            ck.fail(b, Message("programme.errors.load.budget_period", code=code))
        b_cur = str(b.get("currency") or cur)
        if not iati_codes.known("Currency", b_cur):
            ck.fail(b, Message("programme.errors.load.budget_currency", code=code, currency=repr(b_cur)))
        if bounds and amount is not None:
            out["budget"].append({"code": code, "line": b.get("line"), "title": ck.text(b, "title", None, required=False),
                                  "period_start": bounds[0], "period_end": bounds[1], "amount": amount,
                                  "currency": b_cur, "value_date": ck.date(b, "value_date", _what("budget_line", code))
                                  or bounds[0], "revised": bool(b.get("revised", False))})
    for t in fin.get("transactions") or []:
        code = ck.need(t, "code", _what("transaction"))
        kind = t.get("type")
        if kind not in m.TRANSACTION_KINDS:
            ck.fail(t, Message("programme.errors.load.transaction_type", code=code, type=repr(kind),
                               allowed=", ".join(m.TRANSACTION_KINDS)))
        for role in ("provider", "receiver"):
            if t.get(role) is not None and t[role] not in orgs:
                ck.fail(t, Message("programme.errors.load.transaction_org", code=code, role=role, org=repr(t[role])))
        if t.get("line") is not None and t.get("line") not in lines:
            ck.fail(t, Message("programme.errors.load.unknown_line", what=_what("transaction", code), code=repr(t.get("line"))))
        day = ck.date(t, "date", _what("transaction", code))
        if day is None:
            ck.fail(t, Message("programme.errors.load.transaction_no_date", code=code))
        elif day > dt.date.today():
            ck.fail(t, Message("programme.errors.load.transaction_future", code=code, day=str(day)))
        amount = ck.money(t, "amount", _what("transaction", code))
        t_cur = str(t.get("currency") or cur)
        if day and amount is not None:
            out["transactions"].append({"code": code, "kind": kind, "date": day, "amount": amount, "currency": t_cur,
                                        "line": t.get("line"), "provider": t.get("provider"),
                                        "receiver": t.get("receiver"),
                                        "description": ck.text(t, "description", None, required=False)})
    return out


def _check_unique(doc: dict, ck: _Checker) -> None:
    """Codes are unique within each section, indicator codes within the programme."""
    sections = ["agreements", "documents", "meetings", "lines_of_work", "commitments", "results", "courses"]
    for section in sections:
        seen: set = set()
        for node in doc.get(section) or []:
            code = node.get("code") if isinstance(node, dict) else None
            if code in seen:
                ck.fail(node, Message("programme.errors.load.code_twice", section=section, code=repr(code)))
            seen.add(code)
    seen = set()
    for res in doc.get("results") or []:
        for ind in (res.get("indicators") if isinstance(res, dict) else None) or []:
            code = ind.get("code") if isinstance(ind, dict) else None
            if code in seen:
                ck.fail(ind, Message("programme.errors.load.indicator_twice", result=res.get("code"), code=repr(code)))
            seen.add(code)


def _indicator(ind: LineDict, pos: int, ck: _Checker, evidence: Any, p: dict, orgs: dict, courses: dict) -> dict:
    code = ck.need(ind, "code", _what("indicator"))
    what = _what("indicator", code)
    unit = UNIT_ALIASES.get(str(ind.get("unit", "")), str(ind.get("unit", "")))
    if unit not in UNITS:
        ck.fail(ind, Message("programme.errors.load.unit", what=what, unit=repr(ind.get("unit")), allowed=", ".join(UNITS)))
    confidence = float(ind.get("confidence", 0.95))
    if not 0 < confidence < 1:
        ck.fail(ind, Message("programme.errors.load.confidence", what=what, value=confidence))
    freq = ind.get("frequency")
    if freq is not None and freq not in FREQUENCIES:
        ck.fail(ind, Message("programme.errors.load.frequency", what=what, value=repr(freq), allowed=", ".join(FREQUENCIES)))
    responsible = ind.get("responsible")
    if responsible is not None and responsible not in orgs:
        ck.fail(ind, Message("programme.errors.load.responsible", what=what, code=repr(responsible)))
    source = ind.get("source") or {}
    disagg = [str(d) for d in ind.get("disaggregation") or []]
    out: dict = {"code": code, "position": pos, "title": ck.text(ind, "title", what),
                 "definition": ck.text(ind, "definition", what, required=False), "unit": unit,
                 "measure": measure(unit), "ascending": bool(ind.get("ascending", True)),
                 "confidence": confidence, "disaggregation": disagg,
                 "verification": ck.text(ind, "verification", what, required=False),
                 "collection_method": ck.text(ind, "collection_method", what, required=False),
                 "frequency": freq, "responsible": responsible, "sdg": _sdgs(ind, ck, what),
                 "targets": [], "baseline": None, "trajectory": []}
    series = None
    if isinstance(source, dict) and "evidence" in source:
        ev = source["evidence"] or {}
        key = EvidenceKey.from_spec(ev)
        out["source_kind"] = "evidence"
        out["source"] = {"indicator": key.indicator, "population": key.population, "area": key.area,
                         "level": key.level, "source": key.source}
        for field in ("indicator", "population", "area"):
            if not ev.get(field):
                ck.fail(ind, Message("programme.errors.load.evidence_link", what=what, field=repr(field)))
        if evidence is not None and key.indicator and key.population and key.area:
            series = link(evidence, key, unit=unit, dimensions=disagg, what=what)
            for problem in series.problems:
                ck.fail(ind, problem)
    elif isinstance(source, dict) and "activities" in source:
        act = source["activities"] or {}
        metric = act.get("metric")
        out["source_kind"] = "activities"
        out["source"] = {"metric": metric, **({"courses": list(act["courses"])} if act.get("courses") else {})}
        if metric not in METRICS:
            ck.fail(ind, Message("programme.errors.load.metric", what=what, metric=repr(metric), known=", ".join(METRICS)))
        for c in act.get("courses") or []:
            if c not in courses:
                ck.fail(ind, Message("programme.errors.load.unknown_course", what=what, code=repr(c)))
        bad = [d for d in disagg if d not in DISAGGREGATIONS]
        if bad:
            ck.fail(ind, Message("programme.errors.load.disaggregate_trainings", what=what, bad=", ".join(map(repr, bad)),
                                 allowed=", ".join(DISAGGREGATIONS)))
    elif isinstance(source, dict) and "manual" in source:
        out["source_kind"], out["source"] = "manual", {}
        if unit not in ADDITIVE_UNITS:
            ck.fail(ind, Message("programme.errors.load.manual_unit", what=what, unit=repr(unit),
                                 allowed=", ".join(ADDITIVE_UNITS)))
        bad = [d for d in disagg if d not in (*VALUE_DIMENSIONS, "region", "country")]
        if bad:
            ck.fail(ind, Message("programme.errors.load.disaggregate_values", what=what, bad=", ".join(map(repr, bad)),
                                 allowed=", ".join(VALUE_DIMENSIONS)))
    else:
        ck.fail(ind, Message("programme.errors.load.no_source", what=what, evidence="source: {evidence: {...}}",
                             activities="source: {activities: {metric: ...}}", manual="source: {manual: {}}"))
        out["source_kind"], out["source"] = "manual", {}
    if isinstance(source, dict) and "cumulative" in source:
        out["source"]["cumulative"] = bool(source["cumulative"])
    base = ind.get("baseline")
    if base is not None:
        period = str(base.get("period", ""))
        ck.period(base, period, Message("programme.errors.load.what.baseline", what=what))
        if series is not None and not series.problems and "value" not in base \
                and period not in {c[0] for c in series.cells}:
            ck.fail(base, Message("programme.errors.load.baseline_period", what=what,
                                  indicator=repr(out["source"]["indicator"]), period=repr(period),
                                  periods=", ".join(series.periods())))
        out["baseline"] = {"period": period, "value": base.get("value")}
    elif out["source_kind"] == "evidence":
        ck.fail(ind, Message("programme.errors.load.baseline_needed", what=what, example='baseline: {period: "2022"}'))
    for t in ind.get("targets") or []:
        period = str(t.get("period", ""))
        bounds = ck.period(t, period, Message("programme.errors.load.what.target", what=what))
        if bounds is None:
            continue
        value = t.get("value")
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            ck.fail(t, Message("programme.errors.load.target_value", what=what, value=repr(value)))
            continue
        dim = {str(k): str(v) for k, v in dict(t.get("dimension") or {}).items()}
        if any(k not in disagg for k in dim):
            ck.fail(t, Message("programme.errors.load.target_dimension", what=what, dimension=", ".join(sorted(dim)),
                               disaggregation=", ".join(disagg) or "-"))
        elif series is not None and not series.problems:
            for k, v in dim.items():
                have = {val for _, dims in series.cells for kk, val in dims if kk == k}
                if v not in have:
                    ck.fail(t, Message("programme.errors.load.target_cell", what=what, cell=f"{k}={v!r}", name=k,
                                       values=", ".join(sorted(have))))
        out["targets"].append({"period": period, "period_start": bounds[0], "period_end": bounds[1],
                               "value": float(value), "dimension": dim})
    for point in ind.get("trajectory") or []:
        day = ck.date(point, "date", Message("programme.errors.load.what.trajectory", what=what))
        value = point.get("value")
        if day is None or not isinstance(value, (int, float)):
            ck.fail(point, Message("programme.errors.load.trajectory_point", what=what))
            continue
        out["trajectory"].append({"date": day.isoformat(), "value": float(value)})
    return out


# --- writing ------------------------------------------------------------------------------------------------


def _upsert(existing: dict, code: str, factory: Any, values: dict) -> Any:
    row = existing.get(code)
    if row is None:
        row = factory(**values)
    else:
        for k, v in values.items():
            setattr(row, k, v)
    return row


def _refuse_removal(session: Session, programme: m.Programme, spec: dict) -> None:
    """A reload may not remove partners, courses, indicators or periods that data depend on."""
    from sqlalchemy import func, select

    problems: list[Message] = []
    keep_orgs = {o["code"] for o in spec["organisations"]}
    for o in programme.organisations:
        if o.code in keep_orgs:
            continue
        used = sum(session.scalar(select(func.count()).select_from(model).where(col == o.id)) or 0 for model, col in (
            (m.TrainingSession, m.TrainingSession.organisation_id), (m.ManualValue, m.ManualValue.organisation_id),
            (m.PeriodApproval, m.PeriodApproval.organisation_id), (m.ImportBatch, m.ImportBatch.organisation_id)))
        if used:
            problems.append(Message("programme.errors.load.keep_organisation", organisation=o.code, count=used))
    keep_courses = {c["code"] for c in spec["courses"]}
    for c in programme.courses:
        if c.code not in keep_courses and session.scalar(
                select(func.count()).select_from(m.TrainingSession).where(m.TrainingSession.course_id == c.id)):
            problems.append(Message("programme.errors.load.keep_course", course=c.code))
    keep_inds = {i["code"] for r in spec["results"] for i in r["indicators"]}
    for r in programme.results:
        for i in r.indicators:
            if i.code not in keep_inds and i.values:
                problems.append(Message("programme.errors.load.keep_indicator", indicator=i.code, count=len(i.values)))
    keep_periods = {c for c, _, _ in spec["programme"]["periods"]}
    for per in programme.periods:
        if per.code not in keep_periods and (per.approvals or session.scalar(
                select(func.count()).select_from(m.ManualValue).where(m.ManualValue.period_id == per.id))):
            problems.append(Message("programme.errors.load.keep_period", period=per.code))
    if problems:
        raise SpecError(Message("programme.errors.load.would_remove", path=str(spec["path"]), problems=Lines(problems)),
                        hint=Message("programme.errors.load.would_remove.hint"))


def load_programme(session: Session, path: str | Path, *, now: dt.datetime | None = None,
                   by: str = "corridor") -> m.Programme:
    """Check ``path`` and write its programme in the session's transaction (the caller commits).

    Raises SpecError (listing file and line of every problem) before writing anything.
    """
    from sqlalchemy import delete
    from sqlalchemy import select as sa_select

    spec = read_spec(path)
    p = spec["programme"]
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    prog = session.scalars(sa_select(m.Programme).where(m.Programme.code == p["code"])).one_or_none()
    new = prog is None
    if new:
        prog = m.Programme(code=p["code"])
        session.add(prog)
    else:
        _refuse_removal(session, prog, spec)
    for key in ("title", "summary", "origin", "destination", "countries", "status", "start_date", "end_date",
                "actual_start", "actual_end", "iati_identifier", "reporting_org", "evidence_path",
                "recipient_countries", "sectors", "sdg"):
        setattr(prog, key, p[key])
    prog.currency, prog.finance_synthetic = spec["finance"]["currency"], spec["finance"]["synthetic"]
    prog.source_file, prog.loaded_at = str(Path(path).resolve()), now
    session.flush()

    old_orgs = {o.code: o for o in prog.organisations}
    orgs = {o["code"]: _upsert(old_orgs, o["code"], m.Organisation, o) for o in spec["organisations"]}
    prog.organisations = list(orgs.values())
    old_lines = {lw.code: lw for lw in prog.lines_of_work}
    lines = {lw["code"]: _upsert(old_lines, lw["code"], m.LineOfWork, lw) for lw in spec["lines_of_work"]}
    prog.lines_of_work = list(lines.values())
    old_periods = {pr.code: pr for pr in prog.periods}
    prog.periods = [_upsert(old_periods, c, m.ReportingPeriod, {"code": c, "start": a, "end": b})
                    for c, a, b in p["periods"]]
    session.flush()
    for model in (m.Agreement, m.Document, m.BudgetLine, m.FinanceTransaction):
        session.execute(delete(model).where(model.programme_id == prog.id))
    for a in spec["agreements"]:
        ag = m.Agreement(programme_id=prog.id, **{k: v for k, v in a.items() if k != "parties"})
        ag.parties = [m.AgreementParty(organisation=orgs[c]) for c in a["parties"]]
        session.add(ag)
    for d in spec["documents"]:
        session.add(m.Document(programme_id=prog.id, **d))
    # meetings and commitments: seeded by the file, then owned by the database
    meetings = {mt.code: mt for mt in prog.meetings}
    seeded = []
    for mt in spec["meetings"]:
        if mt["code"] in meetings:
            continue
        row = m.Meeting(programme_id=prog.id, **{k: v for k, v in mt.items() if k not in ("participants", "decisions")})
        row.participants = [m.MeetingParticipant(organisation=orgs[c]) for c in mt["participants"]]
        row.decisions = [m.Decision(position=i, text=t) for i, t in enumerate(mt["decisions"], start=1)]
        meetings[mt["code"]] = row
        session.add(row)
        seeded.append(("meeting", mt["code"]))
    known_commitments = {c.code for c in prog.commitments}
    for c in spec["commitments"]:
        if c["code"] in known_commitments:
            continue
        session.add(m.Commitment(programme_id=prog.id, code=c["code"], text=c["text"], owner=orgs[c["owner"]],
                                 line=lines.get(c["line"]), meeting=meetings.get(c["meeting"]),
                                 due_date=c["due_date"], due_note=c["due_note"], status=c["status"],
                                 done_on=c["done_on"], updated_at=now, updated_by=by))
        seeded.append(("commitment", c["code"]))
    session.flush()
    old_results = {r.code: r for r in prog.results}
    old_inds = {i.code: i for r in prog.results for i in r.indicators}
    results = {}
    for r in spec["results"]:
        res = _upsert(old_results, r["code"], m.Result, {
            "programme_id": prog.id, "code": r["code"], "position": r["position"], "level": r["level"],
            "title": r["title"], "sdg": r["sdg"], "line": lines.get(r["line"]), "assumptions": r["assumptions"],
            "risks": r["risks"]})
        session.add(res)
        results[r["code"]] = res
    session.flush()
    keep_inds = set()
    for r in spec["results"]:
        res = results[r["code"]]
        for ind in r["indicators"]:
            values = {k: v for k, v in ind.items() if k not in ("targets", "baseline", "responsible")}
            values["source"] = {**ind["source"], "baseline": ind["baseline"]}
            values["responsible"] = orgs.get(ind["responsible"]) if ind["responsible"] else None
            row = _upsert(old_inds, ind["code"], m.Indicator, values)
            row.result = res
            session.add(row)
            session.flush()
            session.execute(delete(m.Target).where(m.Target.indicator_id == row.id))
            row.targets = [m.Target(indicator_id=row.id, **t) for t in ind["targets"]]
            keep_inds.add(ind["code"])
    for code, row in old_inds.items():
        if code not in keep_inds:
            session.delete(row)
    for code, row in old_results.items():
        if code not in results:
            session.delete(row)
    session.flush()
    for r in spec["results"]:
        results[r["code"]].parent_id = results[r["parent"]].id if r["parent"] else None
    old_courses = {c.code: c for c in prog.courses}
    prog.courses = [_upsert(old_courses, c["code"], m.Course, {
        "code": c["code"], "title": c["title"], "line": lines.get(c["line"]), "result": results[c["result"]]})
        for c in spec["courses"]]
    fin = spec["finance"]
    for b in fin["budget"]:
        session.add(m.BudgetLine(programme_id=prog.id, **{**b, "line": lines.get(b["line"])}))
    for t in fin["transactions"]:
        session.add(m.FinanceTransaction(programme_id=prog.id, code=t["code"], kind=t["kind"], date=t["date"],
                                         amount=t["amount"], currency=t["currency"], line=lines.get(t["line"]),
                                         provider=orgs.get(t["provider"]), receiver=orgs.get(t["receiver"]),
                                         description=t["description"]))
    session.flush()
    prog.loaded_seeded = seeded  # type: ignore[attr-defined]  # reported by the command line
    summary = refresh_observations(session, prog, now=now, by=by, why=f"programme file {Path(path).name} loaded")
    prog.loaded_summary = summary  # type: ignore[attr-defined]
    return prog


__all__ = ["UNITS", "RefreshSummary", "load_programme", "measure", "read_spec"]
