"""IATI results and finance export (IATI Activity Standard 2.03), schema- and ruleset-clean.

One ``iati-activity`` per programme: identifier, reporting organisation, title and description,
one ``participating-org`` per partner and role as the programme file declares them (with the
partner's organisation identifier where it has one), status and dates consistent with each other,
recipient countries with their shares, DAC sectors with their shares, SDG tags (goals: tag
vocabulary 2; targets: 3), budgets per line of work and period, transactions (incoming funds,
commitments, disbursements, expenditures) in the programme's currency, and one ``result`` per
impact/outcome/output/activity with its indicators (``@measure`` 1 unit / 2 percentage,
``@ascending``, SDG indicator references at indicator level only, vocabulary 9), baselines,
targets and actuals per period, with ``dimension`` for disaggregations.

IATI has no field for uncertainty, so the interval, SE, quality label, source and the judgement
go into each value's ``comment``. Every narrative is written in the export's language first and
in the programme's other languages after it (``xml:lang``). The output is validated against
the official 2.03 schema (``schemas/iati-2.03``); :mod:`corridor.programme.iati_rules` evaluates
the IATI Standard's ``standard`` ruleset on it.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

from corridor._deps import import_optional
from corridor.errors import EstimationError, SpecError, UnsupportedError
from corridor.i18n import Lines, Message
from corridor.programme import models as m
from corridor.programme import sdg
from corridor.programme.iati_codes import ACTIVITY_STATUS, TRANSACTION_TYPE
from corridor.programme.progress import indicator_progress
from corridor.programme.report import Fmt, messages

SCHEMA = Path(__file__).resolve().parent / "schemas" / "iati-2.03" / "iati-activities-schema.xsd"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
LANGS = ("es", "fr", "en")
RESULT_TYPE = {"output": "1", "outcome": "2", "impact": "3", "activity": "9"}
SDG_INDICATORS = "9"  # IATI IndicatorVocabulary: UN Sustainable Development Goals (SDG) Indicators
SDG_GOALS, SDG_TARGETS = "2", "3"  # IATI TagVocabulary


def _narratives(parent: ET.Element, texts: dict | None, lang: str) -> None:
    """The text in the export's language, then in the others (``xml:lang``)."""
    texts = {k: v for k, v in (texts or {}).items() if v}
    first = lang if lang in texts else ("en" if "en" in texts else next(iter(texts), None))
    if first is None:
        return
    n = ET.SubElement(parent, "narrative")
    if first != lang:
        n.set(XML_LANG, first)
    n.text = texts[first]
    for other in sorted(k for k in texts if k != first):
        n = ET.SubElement(parent, "narrative", {XML_LANG: other})
        n.text = texts[other]


def _text_el(parent: ET.Element, tag: str, texts: dict | None, lang: str, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    _narratives(el, texts, lang)
    return el


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    v = value * 100 if unit == "proportion" else value
    return f"{v:.6g}" if abs(v) < 1e15 else repr(v)


def _comment(parent: ET.Element, texts: dict[str, str], lang: str) -> None:
    _text_el(parent, "comment", texts, lang)


def _describe(o: m.Observation, unit: str, status: str | None = None) -> dict[str, str]:
    """The comment of a baseline or actual, in every language."""
    out = {}
    for lang in LANGS:
        f, msg = Fmt(lang), messages()[lang]["iati"]
        parts = []
        # the numbers of a comment are text for people: the language's separators and minus sign
        # (the value attributes stay machine-readable)
        if o.ci_low is not None and o.ci_high is not None and o.ci_level is not None and o.ci_low != o.ci_high:
            parts.append(msg["ci"].format(level=f.pct(o.ci_level), low=f.number(o.ci_low, unit),
                                          high=f.number(o.ci_high, unit)))
        if o.se not in (None, 0.0):
            # a standard error keeps its decimals even when the value is a count ("SE 0.8", not "SE 1")
            se_unit = unit if unit in ("ratio", "percent", "proportion") else "decimal"
            parts.append(msg["se"].format(se=f.number(o.se, se_unit)))
        if o.n is not None:
            parts.append(msg["n"].format(n=f.number(o.n, "count")))
        if o.quality:
            parts.append(msg["quality"].format(label=f.quality(o.quality)))
        source = f.source(o.source) if o.source else ""
        if source:
            parts.append(msg["source"].format(source=source))
        if o.synthetic and f.synthetic() not in source and "SYNTHETIC" not in source:
            parts.append(f.synthetic())
        parts.append(msg["unit"].format(unit=f.unit(unit) if unit != "proportion" else f.unit("percent")))
        if status:
            parts.append(status)
        out[lang] = messages()[lang]["list_sep"].join(parts)  # French spaces its semicolons
    return out


def consistency_problems(programme: m.Programme, today: dt.date) -> list[Message]:
    """Status, dates and results that contradict each other (IATI's activity dates and status guidance)."""
    code = ACTIVITY_STATUS.get(programme.status, "1")
    problems: list[Message] = []
    actuals = any(o.kind == "actual" for r in programme.results for i in r.indicators for o in i.observations)
    spent = any(t.kind in ("disbursement", "expenditure") for t in programme.transactions)
    if code == "1" and (actuals or spent or programme.actual_start):
        problems.append(Message("programme.errors.iati.pipeline_started", programme=programme.code))
    if code in ("2", "3", "4") and programme.actual_start is None:
        problems.append(Message("programme.errors.iati.no_actual_start", programme=programme.code, status=repr(programme.status)))
    if code in ("3", "4") and programme.actual_end is None:
        problems.append(Message("programme.errors.iati.no_actual_end", programme=programme.code, status=repr(programme.status)))
    if code == "2" and programme.actual_end is not None:
        problems.append(Message("programme.errors.iati.ended_in_implementation", programme=programme.code,
                                day=str(programme.actual_end)))
    for what, day in (("actual_start", programme.actual_start), ("actual_end", programme.actual_end)):
        if day is not None and day > today:
            problems.append(Message("programme.errors.iati.date_in_future", programme=programme.code, field=what, day=str(day)))
    if code == "1" and not (programme.start_date and programme.end_date):
        problems.append(Message("programme.errors.iati.needs_dates", programme=programme.code))
    return problems


def build_activity(programme: m.Programme, *, lang: str = "en", now: dt.datetime | None = None) -> ET.Element:
    """The ``iati-activities`` element for one programme (not yet validated)."""
    if lang not in LANGS:
        raise SpecError(Message("programme.errors.iati.language", lang=repr(lang)), hint=Message("programme.errors.languages.hint"))
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0, tzinfo=None)
    problems = consistency_problems(programme, now.date())
    if problems:
        raise SpecError(Message("programme.errors.iati.inconsistent", problems=Lines(problems)),
                        hint=Message("programme.errors.iati.inconsistent.hint"))
    stamp = now.isoformat() + "Z"
    root = ET.Element("iati-activities", {"version": "2.03", "generated-datetime": stamp})
    attrs = {"last-updated-datetime": stamp, XML_LANG: lang}
    if programme.currency:
        attrs["default-currency"] = programme.currency
    act = ET.SubElement(root, "iati-activity", attrs)
    orgs = {o.code: o for o in programme.organisations}
    reporting = orgs.get(programme.reporting_org or "")
    if reporting is None or not reporting.iati_ref:
        raise UnsupportedError(Message("programme.errors.iati.no_reporting_org", programme=programme.code),
                               hint=Message("programme.errors.iati.no_reporting_org.hint"))
    ET.SubElement(act, "iati-identifier").text = programme.iati_identifier or f"{reporting.iati_ref}-{programme.code}"
    ro = ET.SubElement(act, "reporting-org", {"ref": reporting.iati_ref, **({"type": reporting.iati_type}
                                                                        if reporting.iati_type else {})})
    _narratives(ro, reporting.name, lang)
    _text_el(act, "title", programme.title, lang)
    _text_el(act, "description", programme.summary or programme.title, lang, type="1")
    for o in sorted(programme.organisations, key=lambda o: o.code):
        for role in o.iati_roles:
            a = {"role": role}
            if o.iati_ref:
                a["ref"] = o.iati_ref
            if o.iati_type:
                a["type"] = o.iati_type
            _text_el(act, "participating-org", o.name, lang, **a)
    ET.SubElement(act, "activity-status", {"code": ACTIVITY_STATUS[programme.status]})
    for kind, day in (("1", programme.start_date), ("2", programme.actual_start), ("3", programme.end_date),
                      ("4", programme.actual_end)):
        if day is not None:
            ET.SubElement(act, "activity-date", {"type": kind, "iso-date": day.isoformat()})
    countries = programme.recipient_countries or []
    for c in countries:
        a2 = _alpha2(c["code"])
        if a2:
            a = {"code": a2}
            if len(countries) > 1 or c.get("percentage") not in (None, 100):
                a["percentage"] = _value(float(c["percentage"]), "number")
            ET.SubElement(act, "recipient-country", a)
    for s in programme.sectors or []:
        a = {"vocabulary": str(s["vocabulary"]), "code": str(s["code"])}
        if s.get("percentage") is not None:
            a["percentage"] = _value(float(s["percentage"]), "number")
        ET.SubElement(act, "sector", a)
    for vocab, code in _tags(programme):
        el = ET.SubElement(act, "tag", {"vocabulary": vocab, "code": code})
        _narratives(el, {k: sdg.title(code, k) for k in LANGS}, lang)
    for b in sorted(programme.budget_lines, key=lambda b: (b.period_start, b.code)):
        be = ET.SubElement(act, "budget", {"type": "2" if b.revised else "1", "status": "1"})
        ET.SubElement(be, "period-start", {"iso-date": b.period_start.isoformat()})
        ET.SubElement(be, "period-end", {"iso-date": b.period_end.isoformat()})
        ET.SubElement(be, "value", _currency(b.currency, programme, {"value-date": b.value_date.isoformat()})
                      ).text = str(b.amount)
    for t in sorted(programme.transactions, key=lambda t: (t.date, t.code)):
        te = ET.SubElement(act, "transaction", {"ref": t.code})
        ET.SubElement(te, "transaction-type", {"code": TRANSACTION_TYPE[t.kind]})
        ET.SubElement(te, "transaction-date", {"iso-date": t.date.isoformat()})
        ET.SubElement(te, "value", _currency(t.currency, programme, {"value-date": t.date.isoformat()})
                      ).text = str(t.amount)
        if t.description:
            _text_el(te, "description", t.description, lang)
        for tag, org in (("provider-org", t.provider), ("receiver-org", t.receiver)):
            if org is not None:
                _text_el(te, tag, org.name, lang, **({"ref": org.iati_ref} if org.iati_ref else {}))
    order = {lvl: i for i, lvl in enumerate(("impact", "outcome", "output", "activity"))}
    for res in sorted(programme.results, key=lambda r: (order[r.level], r.position)):
        _result(act, res, lang, now.date())
    return root


def _currency(cur: str, programme: m.Programme, attrs: dict) -> dict:
    return attrs if cur == programme.currency else {"currency": cur, **attrs}


def _tags(programme: m.Programme) -> list[tuple[str, str]]:
    """SDG goals and targets the programme, its results and indicators are tagged with."""
    codes = set(programme.sdg or [])
    for r in programme.results:
        codes |= set(r.sdg or [])
        for i in r.indicators:
            codes |= set(i.sdg or [])
    goals = {sdg.goal(c) for c in codes}
    targets = {sdg.target(c) for c in codes if sdg.target(c)}
    return ([(SDG_GOALS, g) for g in sorted(goals, key=sdg.sort_key)]
            + [(SDG_TARGETS, t) for t in sorted(targets, key=sdg.sort_key)])


def _alpha2(alpha3: str) -> str | None:
    pycountry = import_optional("pycountry", feature="IATI country codes")
    c = pycountry.countries.get(alpha_3=alpha3)
    return c.alpha_2 if c else None


def _result(act: ET.Element, res: m.Result, lang: str, today: dt.date) -> None:
    r = ET.SubElement(act, "result", {"type": RESULT_TYPE[res.level], "aggregation-status": "0"})
    _text_el(r, "title", {k: f"{res.code} {v}" for k, v in res.title.items()}, lang)
    for ind in sorted(res.indicators, key=lambda i: i.position):
        unit = ind.unit
        el = ET.SubElement(r, "indicator", {"measure": ind.measure, "ascending": "1" if ind.ascending else "0"})
        _text_el(el, "title", {k: f"{ind.code} {v}" for k, v in ind.title.items()}, lang)
        missing = [o for o in ind.observations if o.kind == "baseline" and o.estimate is None]
        description = dict(ind.definition or {})
        if missing:
            for k in LANGS:
                note = messages()[k]["iati"]["no_baseline"].format(period=missing[0].period,
                                                                   note=Fmt(k).source(missing[0].note or ""))
                description[k] = f"{description.get(k, '')} {note}".strip()
        if description:
            _text_el(el, "description", description, lang)
        for code in ind.sdg or []:
            if sdg.kind(code) == "indicator":
                ET.SubElement(el, "reference", {"vocabulary": SDG_INDICATORS, "code": code})
        progress = {(p.period, tuple(sorted(p.dimension.items()))): p for p in indicator_progress(ind, today=today)}
        for b in sorted((o for o in ind.observations if o.kind == "baseline" and o.estimate is not None),
                        key=lambda o: sorted((o.dimension or {}).items())):
            be = ET.SubElement(el, "baseline", {"year": str(b.period_start.year),
                                                "iso-date": b.period_start.isoformat(), "value": _value(b.estimate, unit)})
            for k, v in sorted((b.dimension or {}).items()):
                ET.SubElement(be, "dimension", {"name": k, "value": str(v)})
            _comment(be, _describe(b, unit), lang)
        periods = sorted({(t.period, t.period_start, t.period_end) for t in ind.targets}, key=lambda x: x[1])
        for period, start, end in periods:
            pe = ET.SubElement(el, "period")
            ET.SubElement(pe, "period-start", {"iso-date": start.isoformat()})
            ET.SubElement(pe, "period-end", {"iso-date": end.isoformat()})
            for t in sorted((t for t in ind.targets if t.period == period), key=lambda t: sorted(t.dimension.items())):
                te = ET.SubElement(pe, "target", {"value": _value(t.value, unit)})
                for k, v in sorted((t.dimension or {}).items()):
                    ET.SubElement(te, "dimension", {"name": k, "value": str(v)})
                p = progress.get((period, tuple(sorted((t.dimension or {}).items()))))
                if p is not None:
                    _comment(te, {k: messages()[k]["iati"]["status"].format(
                        status=messages()[k]["statuses"][p.status], conf=Fmt(k).pct(ind.confidence)) for k in LANGS},
                        lang)
            actuals = [o for o in ind.observations if o.kind == "actual" and o.period == period]
            for a in sorted(actuals, key=lambda o: sorted((o.dimension or {}).items())):
                if a.estimate is None:
                    continue
                ae = ET.SubElement(pe, "actual", {"value": _value(a.estimate, unit)})
                for k, v in sorted((a.dimension or {}).items()):
                    ET.SubElement(ae, "dimension", {"name": k, "value": str(v)})
                _comment(ae, _describe(a, unit), lang)


def to_xml(root: ET.Element) -> bytes:
    """Serialise with an XML declaration, indented."""
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def schema_errors(xml: bytes) -> list[str]:
    """Errors of ``xml`` against the IATI 2.03 activity schema (empty when valid)."""
    etree = import_optional("lxml.etree", feature="IATI schema validation")
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    doc = etree.fromstring(xml)
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def export_iati(programme: m.Programme, *, lang: str = "en", now: dt.datetime | None = None,
                validate: bool = True) -> bytes:
    """IATI 2.03 XML of the programme, validated against the schema and the ``standard`` ruleset."""
    xml = to_xml(build_activity(programme, lang=lang, now=now))
    if validate:
        from corridor.programme.iati_rules import evaluate

        errors = schema_errors(xml)
        failed = [r for r in evaluate(xml, now=now) if r.failed]
        if errors or failed:
            # the schema's and the ruleset's own words (English), for whoever fixes corridor
            raise EstimationError(Message("programme.errors.iati.invalid", programme=programme.code,
                                          errors="; ".join(errors[:5] + [f"rule {r.id}: {r.message}" for r in failed[:5]])),
                                  hint=Message("programme.errors.iati.invalid.hint"))
    return xml
