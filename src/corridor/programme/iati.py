"""IATI-compatible results export (IATI Activity Standard 2.03).

One ``iati-activity`` per programme with the elements the 2.03 schema requires
(identifier, reporting organisation, title, description, participating
organisations, status, dates) and one ``result`` per outcome/output of the
framework: ``indicator`` (``@measure`` 1 unit / 2 percentage, ``@ascending``),
SDG ``reference`` (IndicatorVocabulary 9), ``baseline`` (``@year``, ``@value``),
and ``period`` elements with every ``target`` and ``actual`` (with
``dimension`` for disaggregations). IATI has no field for uncertainty, so the
confidence interval, quality label, source and the met / not-yet-demonstrated
judgement go in each value's ``comment``. Proportions are written as
percentages, as measure 2 expects.

The output is validated against the official IATI 2.03 activity schema shipped
in ``schemas/iati-2.03`` (IATI Standard, CC BY 4.0; see PROVENANCE.md there).
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

from corridor._deps import import_optional
from corridor.errors import EstimationError, UnsupportedError
from corridor.programme import models as m
from corridor.programme.progress import indicator_progress

SCHEMA = Path(__file__).resolve().parent / "schemas" / "iati-2.03" / "iati-activities-schema.xsd"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ACTIVITY_STATUS = {"pipeline": "1", "implementation": "2", "completion": "3", "post-completion": "4",
                   "cancelled": "5", "suspended": "6"}
RESULT_TYPE = {"output": "1", "outcome": "2", "impact": "3"}
ROLE = {"funder": "1", "ministry": "2"}  # everyone else: 4 Implementing
SDG_VOCABULARY = "9"  # IATI IndicatorVocabulary: UN Sustainable Development Goals (SDG) Indicators
STATUS_TEXT = {"met": "target met at the stated confidence", "not_met": "target not met",
               "not_yet_demonstrated": "not yet demonstrated (the interval straddles the target)",
               "no_data": "no data"}


def _narratives(parent: ET.Element, texts: dict | None, default_lang: str) -> None:
    texts = texts or {"en": ""}
    for lang in [default_lang] + sorted(k for k in texts if k != default_lang):
        if lang not in texts:
            continue
        n = ET.SubElement(parent, "narrative")
        if lang != default_lang:
            n.set(XML_LANG, lang)
        n.text = texts[lang]


def _text_el(parent: ET.Element, tag: str, texts: dict | None, lang: str, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    _narratives(el, texts, lang)
    return el


def _fmt(value: float | None, pct: bool) -> str:
    if value is None:
        return ""
    v = value * 100 if pct else value
    return f"{v:.6g}"


def _comment(parent: ET.Element, text: str) -> None:
    c = ET.SubElement(parent, "comment")
    ET.SubElement(c, "narrative").text = text


def _alpha2(alpha3: str) -> str | None:
    pycountry = import_optional("pycountry", feature="IATI country codes")
    c = pycountry.countries.get(alpha_3=alpha3)
    return c.alpha_2 if c else None


def build_activity(programme: m.Programme, *, lang: str = "en", now: dt.datetime | None = None) -> ET.Element:
    """The ``iati-activities`` element for one programme (not yet validated)."""
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0, tzinfo=None)
    stamp = now.isoformat() + "Z"
    root = ET.Element("iati-activities", {"version": "2.03", "generated-datetime": stamp})
    act = ET.SubElement(root, "iati-activity", {"last-updated-datetime": stamp, XML_LANG: lang})
    orgs = {o.code: o for o in programme.organisations}
    reporting = orgs.get(programme.reporting_org or "")
    if reporting is None or not reporting.iati_ref:
        raise UnsupportedError(
            f"programme {programme.code} names no reporting organisation with an IATI identifier",
            hint="set programme: reporting_org: CODE and give that organisation an iati_ref")
    ET.SubElement(act, "iati-identifier").text = programme.iati_identifier or f"{reporting.iati_ref}-{programme.code}"
    ro = ET.SubElement(act, "reporting-org", {"ref": reporting.iati_ref, **({"type": reporting.iati_type}
                                                                        if reporting.iati_type else {})})
    _narratives(ro, reporting.name, lang)
    _text_el(act, "title", programme.title, lang)
    _text_el(act, "description", programme.summary or programme.title, lang, type="1")
    for o in sorted(programme.organisations, key=lambda o: o.code):
        attrs = {"role": ROLE.get(o.kind, "4")}
        if o.iati_ref:
            attrs["ref"] = o.iati_ref
        if o.iati_type:
            attrs["type"] = o.iati_type
        _text_el(act, "participating-org", o.name, lang, **attrs)
    ET.SubElement(act, "activity-status", {"code": ACTIVITY_STATUS.get(programme.status, "1")})
    dates = []
    if programme.start_date:
        dates.append(("1", programme.start_date))
    if programme.end_date:
        dates.append(("3", programme.end_date))
    if not dates:
        signed = sorted(a.signed_on for a in programme.agreements if a.signed_on)
        if not signed:
            raise UnsupportedError(f"programme {programme.code} has no start date for IATI",
                                   hint="add programme: start_date: YYYY-MM-DD to the programme file")
        dates.append(("2", signed[0]))
    for kind, day in dates:
        ET.SubElement(act, "activity-date", {"type": kind, "iso-date": day.isoformat()})
    for alpha3 in programme.countries or []:
        a2 = _alpha2(alpha3)
        if a2:
            ET.SubElement(act, "recipient-country", {"code": a2})
    for res in sorted(programme.results, key=lambda r: r.position):
        _result(act, res, lang)
    return root


def _result(act: ET.Element, res: m.Result, lang: str) -> None:
    r = ET.SubElement(act, "result", {"type": RESULT_TYPE[res.level], "aggregation-status": "0"})
    _text_el(r, "title", res.title, lang)
    ET.SubElement(r, "reference", {"vocabulary": "99", "code": res.code})
    for ind in sorted(res.indicators, key=lambda i: i.position):
        pct = ind.measure == "2"
        el = ET.SubElement(r, "indicator", {"measure": ind.measure, "ascending": "1" if ind.ascending else "0"})
        _text_el(el, "title", ind.title, lang)
        if ind.definition:
            _text_el(el, "description", ind.definition, lang)
        for code in ind.sdg or res.sdg or []:
            ET.SubElement(el, "reference", {"vocabulary": SDG_VOCABULARY, "code": code})
        progress = {(p.period, tuple(sorted(p.dimension.items()))): p for p in indicator_progress(ind)}
        for b in [o for o in ind.observations if o.kind == "baseline"]:
            be = ET.SubElement(el, "baseline", {"year": str(b.period_start.year), "iso-date": b.period_start.isoformat(),
                                                "value": _fmt(b.estimate, pct)})
            for k, v in sorted((b.dimension or {}).items()):
                ET.SubElement(be, "dimension", {"name": k, "value": str(v)})
            _comment(be, _describe(b, pct))
        periods = sorted({(t.period, t.period_start, t.period_end) for t in ind.targets}, key=lambda x: x[1])
        for period, start, end in periods:
            pe = ET.SubElement(el, "period")
            ET.SubElement(pe, "period-start", {"iso-date": start.isoformat()})
            ET.SubElement(pe, "period-end", {"iso-date": end.isoformat()})
            for t in sorted((t for t in ind.targets if t.period == period), key=lambda t: sorted(t.dimension.items())):
                te = ET.SubElement(pe, "target", {"value": _fmt(t.value, pct)})
                for k, v in sorted((t.dimension or {}).items()):
                    ET.SubElement(te, "dimension", {"name": k, "value": str(v)})
                p = progress.get((period, tuple(sorted((t.dimension or {}).items()))))
                if p is not None:
                    _comment(te, f"status: {STATUS_TEXT[p.status]} ({ind.confidence:.0%} confidence)")
            actuals = [o for o in ind.observations if o.kind == "actual" and o.period == period]
            for a in sorted(actuals, key=lambda o: sorted((o.dimension or {}).items())):
                if a.estimate is None:
                    continue
                ae = ET.SubElement(pe, "actual", {"value": _fmt(a.estimate, pct)})
                for k, v in sorted((a.dimension or {}).items()):
                    ET.SubElement(ae, "dimension", {"name": k, "value": str(v)})
                _comment(ae, _describe(a, pct))


def _describe(o: m.Observation, pct: bool) -> str:
    parts = []
    if o.ci_low is not None and o.ci_high is not None and o.ci_level is not None:
        parts.append(f"{o.ci_level:.0%} CI {_fmt(o.ci_low, pct)} to {_fmt(o.ci_high, pct)}")
    if o.se not in (None, 0.0):
        parts.append(f"SE {_fmt(o.se, pct)}")
    if o.n is not None:
        parts.append(f"n {o.n}")
    if o.quality:
        parts.append(f"quality: {o.quality}")
    if o.source:
        parts.append(f"source: {o.source}")
    if pct:
        parts.append("values in percent")
    return "; ".join(parts) or "exact value"


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
    """IATI 2.03 XML of the programme's results, validated against the schema."""
    xml = to_xml(build_activity(programme, lang=lang, now=now))
    if validate:
        errors = schema_errors(xml)
        if errors:
            raise EstimationError(
                f"the IATI export of {programme.code} does not validate against IATI 2.03: " + "; ".join(errors[:5]),
                hint="this is a defect in corridor; please report it with the programme file")
    return xml
