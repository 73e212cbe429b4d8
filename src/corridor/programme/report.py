"""The programme proposal/report a binational meeting works from (HTML and PDF; es, fr, en).

Sections: context and the evidence behind the framework (corridor's own estimates, with
intervals, units, quality labels and sources); partners and their IATI roles; meetings with
minutes and decisions; the results matrix (IOM's layout: results at every level, indicators
with definition, unit, baseline with its interval and revisions, targets per period, means of
verification, collection method, frequency, responsible partner, assumptions and risks);
commitments with an overdue flag; progress against targets (finished and open periods);
disaggregated values; reporting periods and their approval; training records by course;
finance; the revision log; SDG tags; notes on methods. Data labelled SYNTHETIC anywhere put a
banner on every page. Rendered with Jinja2 (autoescaped); the PDF is printed from the same HTML
with WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, select_autoescape

from corridor._deps import import_optional
from corridor.errors import SpecError
from corridor.i18n import LOCALES, PSEUDO, Message, catalogue, has, moment, place_name, translate_known
from corridor.i18n import t as i18n_t
from corridor.programme import models as m
from corridor.programme import periods as pm
from corridor.programme import sdg
from corridor.programme.activities import attendances, compute_metric, for_indicator
from corridor.programme.demo import DEMO_USER
from corridor.programme.progress import Progress, overdue, programme_progress

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGS = ("es", "fr", "en")
COUNT_UNITS = ("persons", "count", "cases", "sessions", "number", "permits")


@cache
def messages() -> dict:
    """Interface texts by language, nested as their ids (``programme.levels.outcome`` ->
    ``messages()[lang]["levels"]["outcome"]``), from corridor's message catalogue."""
    out: dict = {}
    for lang in (*LANGS, PSEUDO):
        tree: dict = {}
        for key, value in catalogue(lang).items():
            if not key.startswith("programme.") or key.startswith("programme.errors."):
                continue  # errors are raised as messages, not read by the report's templates
            *path, leaf = key.split(".")[1:]
            node = tree
            for part in path:
                node = node.setdefault(part, {})
            node[leaf] = value
        out[lang] = tree
    return out


def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True)


MINUS = "\u2212"  # the typographic minus: "-23 %" reads as a dash beside a range's en dash


def _minus(text: str) -> str:
    """A formatted number with the typographic minus instead of the hyphen CLDR's patterns print."""
    return MINUS + text[1:] if text.startswith("-") else text


class Fmt:
    """Locale-aware formatting of the values a report shows, each with its unit."""

    def __init__(self, lang: str, courses: dict[str, str] | None = None) -> None:
        self.lang = lang
        self.msg = messages()[lang]
        # the CLDR locale of every corridor output in this language (es_CL, fr_FR, en_GB), so that the report's
        # numbers and dates read as the profile's
        self._locale = "en" if lang == PSEUDO else lang  # the language of names (countries, SDG titles)
        self._cldr = LOCALES[lang]
        self.courses = courses or {}
        self.orgs: dict[str, str] = {}
        self.units: dict[str, str] = {}
        # the locale's own percent pattern (e.g. French "15,0 %"), with one decimal
        self._pct0 = Locale.parse(self._cldr).percent_formats[None].pattern
        self._pct1 = self._pct0.replace("#,##0", "#,##0.0", 1)

    def t(self, texts: dict | None) -> str:
        if not texts:
            return ""
        return texts.get(self.lang) or texts.get("en") or next(iter(texts.values()))

    def quality(self, label: str | None) -> str:
        """A quality label in the report's language (labels not in the list are shown as given)."""
        if not label:
            return ""
        return self.msg["quality_labels"].get(label.replace("_", " "), label)

    def date(self, d: dt.date | None) -> str:
        return format_date(d, format="long", locale=self._cldr) if d else ""

    def short_date(self, d: dt.date | dt.datetime | None) -> str:
        return format_date(d, format="medium", locale=self._cldr) if d else ""

    def number(self, v: float | None, unit: str) -> str:
        """The bare number as the unit shows it (no unit label)."""
        if v is None:
            return "–"
        loc = self._cldr
        if unit == "percent":
            return _minus(format_percent(v / 100, format=self._pct1, locale=loc))
        if unit == "proportion":
            return _minus(format_percent(v, format=self._pct1, locale=loc))
        if unit in COUNT_UNITS:
            return _minus(format_decimal(round(v), format="#,##0", locale=loc))
        if unit == "ratio":
            return _minus(format_decimal(v, format="#,##0.00", locale=loc))
        return _minus(format_decimal(v, format="#,##0.0", locale=loc))

    def unit(self, unit: str, count: float | None = None) -> str:
        """The unit's name; for counts (``persons``...) in the number's singular or plural."""
        if count is not None and unit in COUNT_UNITS and has(f"programme.unit_count.{unit}.other"):
            return i18n_t(f"programme.unit_count.{unit}", self.lang, count=round(count))
        return self.msg["units"].get(unit, unit)

    def value(self, v: float | None, unit: str) -> str:
        """The number with its unit where the number alone does not say it (``29.6 per 100,000``, ``1 person``)."""
        text = self.number(v, unit)
        if v is None or unit in ("percent", "proportion", "ratio", "number"):
            return text
        return f"{text} {self.unit(unit, v)}"

    def ci(self, lo: float | None, hi: float | None, unit: str) -> str:
        if lo is None or hi is None:
            return "–"
        if lo == hi:
            return self.number(lo, unit)
        return f"{self.number(lo, unit)} – {self.number(hi, unit)}"

    def pct(self, v: float | None) -> str:
        """A share as a whole percentage in the locale's form (``67 %``, ``−23 %``)."""
        return "–" if v is None else _minus(format_percent(v, format=self._pct0, locale=self._cldr))

    def money(self, amount: Decimal | float | None, currency: str) -> str:
        if amount is None:
            return "–"
        # the language's own pattern without cents: 90 000 $US in French, US$90.000 in Spanish (not $US90 000)
        pattern = re.sub(r"\.0+", "", Locale.parse(self._cldr).currency_formats["standard"].pattern)
        return format_currency(amount, currency, format=pattern, locale=self._cldr,
                               currency_digits=False).replace("-", MINUS)

    def actor(self, name: str | None) -> str:
        """Who made a change: a login name as written; the shipped demo's records in the language."""
        return i18n_t("programme.demo_user", self.lang) if name == DEMO_USER else (name or "")

    def area(self, code: str | None) -> str:
        """A country (ISO 3166-1 alpha-3) or region (ISO 3166-2) by its name in the language."""
        if not code:
            return ""
        from corridor.report.locale import country_name, region_name

        if len(code) == 3 and code.isalpha() and code.isupper():
            name = country_name(code, self._locale)
        else:
            name = region_name(code)
        return name

    def population(self, code: str | None) -> str:
        """The population an evidence cell describes (``corridor``, ``gap``...) in words."""
        if not code:
            return ""
        return self.msg.get("populations", {}).get(code, code)

    def series(self, indicator_id: str, fallback: str = "") -> str:
        """A corridor indicator by its name (the catalogue's, else the disease-burden names, else ``fallback``)."""
        from corridor.indicators import catalogue as indicators

        try:
            names = indicators.get(indicator_id).name
        except Exception:  # noqa: BLE001 - an id the shipped catalogue lacks (burden rates, a custom folder)
            names = {}
        if names:
            return names.get(self._locale) or names.get("en") or fallback
        from corridor.report.locale import extra_label

        label = extra_label(indicator_id, self._locale)
        return label if label != indicator_id else (fallback or indicator_id)

    def source(self, text: str | None) -> str:
        """A source as the evidence names it, in the language when the catalogue knows its wording."""
        return translate_known(text or "", self.lang)

    def synthetic(self) -> str:
        return self.msg["synthetic_label"]

    def day(self, value: str | dt.date | dt.datetime | None) -> str:
        """A date (or an ISO date string, as pages and the API carry them) in the language's medium form."""
        if not value:
            return ""
        value = moment(value)
        if isinstance(value, str):
            return value
        if isinstance(value, dt.datetime) and (value.hour or value.minute):
            return format_datetime(value, format="medium", locale=self._cldr)
        return self.short_date(value)

    def org(self, code: str | None) -> str:
        """A partner by its name (its code when unknown)."""
        return self.orgs.get(code or "", code or "")

    def kind(self, code: str) -> str:
        """A partner's kind in the singular (``Ministry``)."""
        return self.msg.get("kind_names", {}).get(code, code)

    def level(self, code: str) -> str:
        return self.msg["levels"].get(code, code)

    def stored(self, value: dict | None, unit: str = "number") -> str:
        """One side of a revision as stored (an estimate, an entered value or a status) in words."""
        if not value:
            return "–"
        if "estimate" in value:
            return _observed(value, unit, self)
        if "value" in value:
            return self.value(value["value"], unit)
        status = value.get("status")
        return self.msg["commitment_statuses"].get(status, status) if status else "–"

    def why(self, text: str | None) -> str:
        return _why(text, self)


    def dimension(self, dim: dict) -> str:
        """``sex: women`` style text of a disaggregation cell."""
        parts = []
        for k, v in sorted((dim or {}).items()):
            label = self.msg["dimensions"].get(k, k)
            parts.append(f"{label}{self.msg['label_sep']}{self.dimension_value(k, v)}")
        return ", ".join(parts)

    def dimension_value(self, name: str, value: str) -> str:
        """One value of a disaggregation in words: regions and countries by name, professions, courses."""
        values = self.msg["dimension_values"]
        known = values.get(name, {}).get(value) or values["_any"].get(value)
        if known:
            return known
        if name in ("region", "area") or (name == "country" and len(str(value)) == 3):
            return self.area(str(value))
        if name == "nationality" and len(str(value)) == 3:
            return self.area(str(value))
        if name == "profession":
            return self.msg["professions"].get(value, value)
        if name == "course":
            return self.courses.get(value, value)
        if name == "organisation":
            return self.orgs.get(value, value)
        return str(value)


def for_programme(programme: m.Programme, lang: str) -> Fmt:
    """A formatter that also names the programme's partners and courses."""
    f = Fmt(lang)
    f.courses = {c.code: f.t(c.title) for c in programme.courses}
    f.orgs = {o.code: f.t(o.name) for o in programme.organisations}
    f.units = {i.code: i.unit for r in programme.results for i in r.indicators}
    return f


CHART_WIDTH, CHART_HEIGHT = 150, 46  # px: wide enough to tell an interval from the target, with a labelled axis


def _ticks(lo: float, hi: float) -> list[float]:
    """Two or three round values inside [lo, hi] for the chart's axis."""
    import math

    span = hi - lo
    step = 10 ** math.floor(math.log10(span)) if span > 0 else 1.0
    for mult in (5, 2, 1, 0.5, 0.2, 0.1):
        s = step * mult
        first = math.ceil(lo / s) * s
        ticks = [first + i * s for i in range(int((hi - first) / s) + 1)]
        if len(ticks) >= 2:
            return [round(v, 10) for v in ticks][:3] if len(ticks) <= 3 else [ticks[0], ticks[len(ticks) // 2], ticks[-1]]
    return [lo, hi]


def _chart(p: Progress, f: Fmt | None = None) -> dict | None:
    """Geometry of a small interval chart (actual with CI, target line, baseline tick) above an axis
    with labelled ticks, in a CHART_WIDTH x CHART_HEIGHT box."""
    if p.actual is None:
        return None
    vals = [v for v in (p.ci_low, p.ci_high, p.target, p.baseline, p.actual, p.expected) if v is not None]
    lo, hi = min(vals), max(vals)
    pad = (hi - lo) * 0.12 or abs(hi) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad
    left, right = 12, CHART_WIDTH - 12

    def x(v: float) -> float:
        return round(left + (right - left) * (v - lo) / (hi - lo), 1)

    ticks = [{"x": x(v), "label": f.number(v, p.unit) if f else f"{v:g}"} for v in _ticks(lo, hi)]
    return {"ci_low": x(p.ci_low), "ci_high": x(p.ci_high), "actual": x(p.actual), "target": x(p.target),
            "baseline": None if p.baseline is None else x(p.baseline),
            "expected": None if p.expected is None else x(p.expected), "status": p.status,
            "width": CHART_WIDTH, "height": CHART_HEIGHT, "left": left, "right": right, "ticks": ticks,
            "axis": (i18n_t("programme.chart_axis", f.lang, low=ticks[0]["label"], high=ticks[-1]["label"])
                     if ticks and f else "")}


def _observed(o: m.Observation | dict | None, unit: str, f: Fmt) -> str:
    """``18.1% (14.2% – 22.8%)`` for a stored value (an observation, or a revision's side)."""
    if o is None:
        return "–"
    get = (lambda k: o.get(k)) if isinstance(o, dict) else (lambda k: getattr(o, k))
    if get("estimate") is None:
        return str(f.msg["not_available"])
    text = f.value(get("estimate"), unit)
    if get("ci_level") and get("ci_low") is not None and get("ci_low") != get("ci_high"):
        text += f" ({f.ci(get('ci_low'), get('ci_high'), unit)})"
    return text


def _revisions(programme: m.Programme, f: Fmt, units: dict[str, str]) -> tuple[list[dict], dict]:
    """The revision log (changes only: first values are counted, not listed) and, per indicator and
    period, the revisions of its baselines."""
    log, by_cell = [], defaultdict(list)
    firsts = 0
    for r in sorted(programme.revisions, key=lambda r: (r.at, r.id)):
        unit = units.get(r.code, "number")
        if r.before is None and r.subject in ("baseline", "actual", "value"):
            firsts += 1
            continue
        if r.subject == "value":
            before = "–" if r.before is None else f.value(r.before["value"], unit)
            after = "–" if r.after is None else f.value(r.after["value"], unit)
        elif r.subject in ("baseline", "actual"):
            before, after = _observed(r.before, unit, f), _observed(r.after, unit, f)
        else:
            before = (r.before or {}).get("status", "–")
            after = (r.after or {}).get("status", "–")
            before = f.msg["commitment_statuses"].get(before, before)
            after = f.msg["commitment_statuses"].get(after, after)
        # an entered value is a partner's, for an area: both name the cell along with its disaggregation
        dim = dict(r.dimension or {})
        org, area = dim.pop("organisation", None), dim.pop("area", None)
        where = [f.org(org)] * bool(org) + [f.area(area)] * bool(area) if r.subject == "value" else []
        what = [f"{f.msg['subjects'].get(r.subject, r.subject)} {r.code}", *([r.period] if r.period else []),
                *where, *([f.dimension(dim)] if dim else [])]
        row = {"when": f.short_date(r.at), "at": r.at.isoformat(timespec="minutes"), "by": f.actor(r.by), "why": _why(r.why, f),
               "what": " · ".join(what), "before": before, "after": after}
        log.append(row)
        if r.subject == "baseline":
            by_cell[(r.code, r.period, tuple(sorted(r.dimension.items())))].append(row)
    return log, {"by_cell": by_cell, "firsts": firsts}


def _why(why: str | None, f: Fmt) -> str:
    """The reason of a revision; the reasons corridor itself writes read in the report's language."""
    if not why:
        return ""
    if why.startswith("imported from ") and "\n" not in why:
        return i18n_t("programme.revision_reasons.imported_from", f.lang, file=why.removeprefix("imported from "))
    return f.source(why)


def _matrix(programme: m.Programme, f: Fmt, cell_revisions: dict) -> list[dict]:
    """The results matrix, grouped by line of work (results with no line first: the programme's)."""
    msg = f.msg
    orgs = {o.id: o for o in programme.organisations}

    def ind_row(ind: m.Indicator) -> dict:
        base = next((o for o in ind.observations if o.kind == "baseline" and not o.dimension), None)
        base_dims = [o for o in ind.observations if o.kind == "baseline" and o.dimension]
        if ind.source_kind == "evidence":  # the source's full title is in the evidence table above
            src = ind.source
            verif = (f"{msg['evidence_source']}{msg['label_sep']}{f.series(src['indicator'], f.t(ind.title))} · "
                     f"{f.population(src['population'])} · {f.area(src['area'])}")
        elif ind.source_kind == "activities":
            verif = msg["training_records"]
        else:
            verif = msg["partner_entries"]
        if ind.verification:
            verif = f"{f.t(ind.verification)} ({verif})"
        targets = []
        for t in sorted(ind.targets, key=lambda t: (t.period_start, sorted(t.dimension.items()))):
            dim = f.dimension(t.dimension)
            targets.append(f"{t.period}{' (' + dim + ')' if dim else ''}{msg['label_sep']}"
                           f"{'≤' if not ind.ascending else '≥'} {f.value(t.value, ind.unit)}")
        revised = cell_revisions.get((ind.code, base.period, ())) if base else None
        responsible = orgs.get(ind.responsible_id)
        return {
            "code": ind.code, "title": f.t(ind.title), "definition": f.t(ind.definition), "unit": f.unit(ind.unit),
            "unit_code": ind.unit, "direction": msg["higher_better"] if ind.ascending else msg["lower_better"],
            "disaggregation": [msg["dimensions"].get(d, d) for d in ind.disaggregation],
            "baseline": {
                "text": (f.value(base.estimate, ind.unit) if base and base.estimate is not None
                         else (msg["not_available"] if base else "–")),
                "period": base.period if base else None,
                "ci": (f.ci(base.ci_low, base.ci_high, ind.unit) if base and base.ci_level and base.ci_low is not None
                       and base.ci_low != base.ci_high else ""),
                "ci_level": f.pct(base.ci_level) if base and base.ci_level else "",
                "quality": f.quality(base.quality) if base else "",
                "note": "",  # the profile's own note is shown with the cell in the evidence table
                "synthetic": bool(base and base.synthetic),
                "estimate": repr(base.estimate) if base and base.estimate is not None else "",
                "ci_low": repr(base.ci_low) if base and base.ci_low is not None else "",
                "ci_high": repr(base.ci_high) if base and base.ci_high is not None else "",
                "revised": revised or [],
                "by_dimension": [{"dimension": f.dimension(o.dimension), "text": f.value(o.estimate, ind.unit),
                                  "ci": f.ci(o.ci_low, o.ci_high, ind.unit) if o.ci_level else ""}
                                 for o in sorted(base_dims, key=lambda o: sorted(o.dimension.items()))],
            },
            "targets": targets, "verification": verif,
            "collection": f.t(ind.collection_method),
            "frequency": msg["frequencies"].get(ind.frequency, ind.frequency or ""),
            "responsible": f.t(responsible.name) if responsible else "",
            "sdg": [(c, sdg.title(c, f.lang)) for c in ind.sdg],
        }

    def res_row(r: m.Result) -> dict:
        return {"code": r.code, "level": msg["levels"][r.level], "level_code": r.level, "title": f.t(r.title),
                "sdg": [(c, sdg.title(c, f.lang)) for c in r.sdg], "assumptions": f.t(r.assumptions),
                "risks": f.t(r.risks),
                "indicators": [ind_row(i) for i in sorted(r.indicators, key=lambda i: i.position)]}

    order = {lvl: i for i, lvl in enumerate(m.RESULT_LEVELS)}
    results = sorted(programme.results, key=lambda r: (order[r.level], r.position))
    groups = []
    general = [r for r in results if r.line_id is None]
    if general:
        groups.append({"code": "", "title": msg["programme_level"], "results": [res_row(r) for r in general]})
    for lw in sorted(programme.lines_of_work, key=lambda lw: lw.position):
        groups.append({"code": lw.code, "title": f.t(lw.title),
                       "results": [res_row(r) for r in results if r.line_id == lw.id]})
    return groups


def _progress_rows(progress: list[Progress], f: Fmt) -> list[dict]:
    out = []
    for p in progress:
        out.append({
            "indicator": p.indicator, "title": f.t(p.indicator_title), "dimension": f.dimension(p.dimension),
            "period": p.period, "open": p.open,
            "baseline": f.value(p.baseline, p.unit), "target": f.value(p.target, p.unit),
            "actual": f.value(p.actual, p.unit), "ci": f.ci(p.ci_low, p.ci_high, p.unit),
            "expected": f.value(p.expected, p.unit) if p.expected is not None else "",
            "as_of": f.short_date(p.as_of) if p.as_of else "",
            "quality": f.quality(p.quality), "status": p.status, "status_text": f.msg["statuses"][p.status],
            "progress": "–" if p.progress is None else (
                f.pct(p.progress) if p.progress_low == p.progress_high
                else i18n_t("programme.progress_range", f.lang, value=f.pct(p.progress), low=f.pct(p.progress_low),
                            high=f.pct(p.progress_high))),
            "synthetic": p.synthetic or bool(p.source and p.source.upper().startswith("SYNTHETIC")),
            "chart": _chart(p, f), "note": f.source(p.note) if p.note else p.note,
            "actual_number": f.number(p.actual, p.unit),
        })
    return out


def _disaggregations(programme: m.Programme, f: Fmt) -> list[dict]:
    """For each disaggregated indicator: values by dimension value (rows) and period (columns)."""
    out = []
    for res in sorted(programme.results, key=lambda r: r.position):
        for ind in sorted(res.indicators, key=lambda i: i.position):
            obs = [o for o in ind.observations if o.dimension]
            if not obs:
                continue
            periods = sorted({o.period for o in obs}, key=lambda p: (len(p), p))
            targets = {(t.period, tuple(sorted(t.dimension.items()))): t.value for t in ind.targets if t.dimension}
            tables = []
            for name in ind.disaggregation:
                cells = {(o.period, o.dimension.get(name)): o for o in obs if list(o.dimension) == [name]}
                values = sorted({v for _, v in cells})
                if not values:
                    continue
                rows = []
                for v in values:
                    row = []
                    for p in periods:
                        o = cells.get((p, v))
                        text = _observed(o, ind.unit, f) if o else "–"
                        tgt = targets.get((p, ((name, v),)))
                        row.append({"text": text, "target": f.value(tgt, ind.unit) if tgt is not None else ""})
                    rows.append({"value": f.dimension_value(name, v), "cells": row})
                tables.append({"name": f.msg["dimensions"].get(name, name), "rows": rows})
            if tables:
                out.append({"code": ind.code, "title": f.t(ind.title), "periods": periods, "tables": tables,
                            "unit": f.unit(ind.unit)})
    return out


def _periods(programme: m.Programme, f: Fmt) -> dict:
    periods = sorted(programme.periods, key=lambda p: p.start)
    owners = sorted({a.organisation.code for p in periods for a in p.approvals})
    names = {o.code: f.t(o.name) for o in programme.organisations}
    grid = [{"period": p.code, "states": [{"state": pm.state(p, next(o for o in programme.organisations
                                                                       if o.code == code)),
                                           "text": f.msg["period_states"][pm.state(p, next(
                                               o for o in programme.organisations if o.code == code))]}
                                          for code in owners]} for p in periods]
    events = [{**e, "when": f.short_date(e["at"]), "by": f.actor(e.get("by")), "to_text": f.msg["period_states"][e["to"]],
               "from_text": f.msg["period_states"][e["from"]], "unlock": e["from"] == "locked"}
              for e in pm.history(programme)]
    return {"owners": [(c, names.get(c, c)) for c in owners], "grid": grid,
            "unlocks": [e for e in events if e["unlock"] or e["to"] == "draft"], "events": len(events)}


def _trainings(programme: m.Programme, f: Fmt) -> dict:
    records = attendances(programme)
    if not records:
        return {}
    msg = f.msg
    courses = {c.code: c for c in programme.courses}
    results = {r.id: r for r in programme.results}
    by_course = []
    for code in sorted({r.course for r in records if r.course}):
        c = courses.get(code)
        sub = [r for r in records if r.course == code]
        g = compute_metric("mean_score_gain", sub)
        by_course.append({"code": code, "title": f.t(c.title) if c else code,
                          "output": results[c.result_id].code if c and c.result_id in results else "–",
                          "line": c.line.code if c and c.line else "–",
                          "sessions": len({r.session for r in sub}), "trained": len({r.participant for r in sub}),
                          "mean": f.value(g.estimate, "points"), "ci": f.ci(g.ci_low, g.ci_high, "points")})
    outputs = []
    for res in sorted(programme.results, key=lambda r: r.position):
        for ind in res.indicators:
            if ind.source_kind != "activities" or ind.source.get("metric") != "professionals_trained":
                continue
            mine = for_indicator(records, ind)
            if not mine:
                continue
            regions = sorted({r.region for r in mine})
            profs = [k for k in msg["professions"] if any(r.profession == k for r in mine)]
            counts = Counter()
            for reg in regions:
                for pr in profs:
                    counts[(reg, pr)] = len({r.participant for r in mine if r.region == reg and r.profession == pr})
            outputs.append({
                "code": res.code, "title": f.t(res.title), "regions": regions,
                "region_names": {reg: f.area(reg) for reg in regions},
                "professions": [(p, msg["professions"][p]) for p in profs],
                "counts": {f"{a}|{b}": c for (a, b), c in counts.items()},
                "row_totals": {reg: len({r.participant for r in mine if r.region == reg}) for reg in regions},
                "col_totals": {p: len({r.participant for r in mine if r.profession == p}) for p in profs},
                "total": len({r.participant for r in mine}),
            })
    return {"by_course": by_course, "outputs": outputs, "synthetic": any(b.synthetic for b in programme.imports)}


def _finance(programme: m.Programme, f: Fmt) -> dict:
    if not programme.budget_lines and not programme.transactions:
        return {}
    cur = programme.currency or "USD"
    lines = {lw.id: lw for lw in programme.lines_of_work}
    years = sorted({b.period_start.year for b in programme.budget_lines}
                   | {t.date.year for t in programme.transactions})
    rows = []
    for lw in [*sorted(programme.lines_of_work, key=lambda x: x.position), None]:
        lid = lw.id if lw else None
        budget = {y: sum((b.amount for b in programme.budget_lines if b.line_id == lid and b.period_start.year == y),
                         Decimal(0)) for y in years}
        spent = {y: sum((t.amount for t in programme.transactions if t.kind == "expenditure" and t.line_id == lid
                         and t.date.year == y), Decimal(0)) for y in years}
        if not any(budget.values()) and not any(spent.values()):
            continue
        rows.append({"line": lw.code if lw else f.msg["no_line"],
                     "cells": [{"budget": f.money(budget[y], cur), "spent": f.money(spent[y], cur)} for y in years],
                     "budget": f.money(sum(budget.values()), cur), "spent": f.money(sum(spent.values()), cur),
                     "share": f.pct(float(sum(spent.values()) / sum(budget.values()))) if sum(budget.values()) else "–"})
    totals = {kind: sum((t.amount for t in programme.transactions if t.kind == kind), Decimal(0))
              for kind in m.TRANSACTION_KINDS}
    transactions = [{"date": f.short_date(t.date), "kind": f.msg["transaction_kinds"][t.kind],
                     "amount": f.money(t.amount, t.currency), "provider": f.t(t.provider.name) if t.provider else "",
                     "receiver": f.t(t.receiver.name) if t.receiver else "",
                     "line": lines[t.line_id].code if t.line_id in lines else ""}
                    for t in sorted(programme.transactions, key=lambda t: (t.date, t.code)) if t.kind != "expenditure"]
    return {"currency": cur, "years": years, "rows": rows, "synthetic": programme.finance_synthetic,
            "totals": [(f.msg["transaction_kinds"][k], f.money(v, cur)) for k, v in totals.items() if v],
            "budget_total": f.money(sum((b.amount for b in programme.budget_lines), Decimal(0)), cur),
            "transactions": transactions}


def _evidence(programme: m.Programme, f: Fmt) -> list[dict]:
    """The evidence cells the framework uses (baselines and actuals from corridor's tidy table)."""
    out = []
    for res in sorted(programme.results, key=lambda r: r.position):
        for ind in sorted(res.indicators, key=lambda i: i.position):
            if ind.source_kind != "evidence":
                continue
            for o in sorted(ind.observations, key=lambda o: (o.period, sorted((o.dimension or {}).items()))):
                out.append({"indicator": ind.code, "series": ind.source["indicator"],
                            "series_name": f.series(ind.source["indicator"], f.t(ind.title)),
                            "population": f.population(ind.source["population"]), "area": f.area(ind.source["area"]),
                            "period": o.period,
                            "dimension": f.dimension(o.dimension), "estimate": _observed(o, ind.unit, f),
                            "quality": f.quality(o.quality), "source": f.source(o.source), "synthetic": o.synthetic,
                            # a source that says SYNTHETIC itself needs no label in front of it
                            "label": o.synthetic and "SYNTHETIC" not in (o.source or "").upper(),
                            "note": f.source(o.note) if o.note else "",
                            "sdg": sdg.tags_for(ind.source["indicator"], ind.source["population"])})
    return out


def _sections(msg: dict, **present: bool) -> dict[str, dict]:
    """The report's sections in order, each with the number the contents and its heading both show."""
    order = ["context", "partners", "meetings", "matrix", "commitments", "progress", "disaggregation", "periods",
             "trainings", "finance", "revisions", "by_sdg", "methods"]
    optional = {"disaggregation": "disaggregations", "trainings": "trainings", "finance": "finance", "by_sdg": "by_sdg"}
    out, n = {}, 0
    for key in order:
        if key in optional and not present.get(optional[key]):
            continue
        n += 1
        out[key] = {"number": n, "title": msg[key], "anchor": "sdg" if key == "by_sdg" else key}
    return out


def build_context(programme: m.Programme, lang: str = "en", *, by_sdg: bool = False,
                  now: dt.datetime | None = None, today: dt.date | None = None) -> dict:
    """Everything the template needs, already translated and formatted."""
    if lang not in LANGS and lang != PSEUDO:
        raise SpecError(Message("programme.errors.report.language", lang=repr(lang)), hint=Message("programme.errors.languages.hint"))
    f = for_programme(programme, lang)
    msg = f.msg
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    today = today or now.date()
    orgs = {o.code: o for o in programme.organisations}
    progress = programme_progress(programme, today=today)
    units = {i.code: i.unit for r in programme.results for i in r.indicators}
    log, rev = _revisions(programme, f, units)
    evidence = _evidence(programme, f)
    trainings = _trainings(programme, f)
    finance = _finance(programme, f)
    synthetic = (any(e["synthetic"] for e in evidence) or any(b.synthetic for b in programme.imports)
                 or programme.finance_synthetic
                 or any(v.synthetic for r in programme.results for i in r.indicators for v in i.values))
    partners: dict[str, list] = {}
    for o in sorted(programme.organisations, key=lambda o: (m.ORGANISATION_KINDS.index(o.kind), o.code)):
        roles = ", ".join(msg["iati_roles"].get(r, r) for r in o.iati_roles)
        partners.setdefault(msg["kinds"][o.kind], []).append(
            {"name": f.t(o.name), "roles": roles, "ref": o.iati_ref or ""})
    sdg_groups = []
    if by_sdg:
        inds = [i for r in programme.results for i in r.indicators]
        groups = sdg.group_by_sdg(inds, lambda i: i.sdg or i.result.sdg)
        sdg_groups = [{"code": c, "kind": msg["sdg_kinds"][sdg.kind(c)], "title": sdg.title(c, f._locale),
                       "indicators": [f"{i.code} {f.t(i.title)}" for i in v]} for c, v in groups.items()]
    counts = Counter(p.status for p in progress)
    disaggregations = _disaggregations(programme, f)
    return {
        "sections": _sections(msg, disaggregations=bool(disaggregations), trainings=bool(trainings),
                              finance=bool(finance), by_sdg=bool(sdg_groups)),
        "synthetic_label": f.synthetic(),
        "lang": lang, "msg": msg, "synthetic": synthetic,
        "title": f.t(programme.title), "summary": f.t(programme.summary), "code": programme.code,
        "generated": format_datetime(now, format="medium", locale=f._cldr), "today": f.date(today),
        "corridor": f"{f.area(programme.origin)} → {f.area(programme.destination)}",
        "status": msg["activity_statuses"].get(programme.status, programme.status),
        "dates": {"start": f.date(programme.actual_start or programme.start_date), "end": f.date(programme.end_date)},
        "evidence_meta": programme.evidence_meta or {},
        "agreements": [{"title": f.t(a.title), "date": f.date(a.signed_on), "purpose": f.t(a.purpose),
                        "parties": [f.t(p.organisation.name) for p in a.parties], "source": a.source}
                       for a in sorted(programme.agreements, key=lambda a: a.signed_on or dt.date.max)],
        "documents": [{"title": f.t(d.title), "year": d.year,
                       "authors": [f.t(orgs[c].name) for c in d.authors if c in orgs],
                       "funders": [f.t(orgs[c].name) for c in d.funders if c in orgs]} for d in programme.documents],
        "evidence": evidence, "partners": partners,
        "meetings": [{"title": f.t(mt.title), "place": place_name(mt.place, f._locale), "minutes": f.t(mt.minutes),
                      "date": f.date(mt.held_on) or f.t(mt.date_note) or msg["date_unknown"],
                      "participants": [f.t(p.organisation.name) for p in mt.participants],
                      "decisions": [f.t(d.text) for d in sorted(mt.decisions, key=lambda d: d.position)]}
                     for mt in sorted(programme.meetings, key=lambda mt: mt.held_on or dt.date.min)],
        "matrix": _matrix(programme, f, rev["by_cell"]),
        "commitments": [{"code": c.code, "text": f.t(c.text), "owner": f.t(c.owner.name),
                         "due": (f.t(c.due_note) or f.date(c.due_date)) if (c.due_note or c.due_date) else "–",
                         "status": msg["commitment_statuses"][c.status], "overdue": overdue(c, today),
                         "done_on": f.date(c.done_on) if c.done_on else "",
                         "updated": (f"{f.short_date(c.updated_at)}, {f.actor(c.updated_by)}" if c.updated_at else "")}
                        for c in sorted(programme.commitments, key=lambda c: c.due_date or dt.date.max)],
        "progress": _progress_rows(progress, f), "status_counts": [(msg["statuses"][s], counts[s])
                                                                   for s in msg["statuses"] if counts[s]],
        "disaggregations": disaggregations, "periods": _periods(programme, f),
        "trainings": trainings, "finance": finance, "revisions": log, "first_values": rev["firsts"],
        "sdg_programme": [(c, msg["sdg_kinds"][sdg.kind(c)], sdg.title(c, f._locale)) for c in programme.sdg],
        "sdg_groups": sdg_groups,
        "methods_text": msg["methods_text"].format(conf=f.pct(progress[0].confidence if progress else 0.95)),
    }


def render_html(programme: m.Programme, lang: str = "en", *, by_sdg: bool = False,
                now: dt.datetime | None = None, today: dt.date | None = None) -> str:
    """The report as a standalone HTML page."""
    ctx = build_context(programme, lang, by_sdg=by_sdg, now=now, today=today)
    return _env().get_template("report.html.j2").render(**ctx)


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote."""

    html: Path
    pdf: Path | None
    pages: int | None


def write_report(programme: m.Programme, out_dir: str | Path, lang: str = "en", *, pdf: bool = True,
                 by_sdg: bool = False, now: dt.datetime | None = None,
                 today: dt.date | None = None) -> ReportFiles:
    """Write ``programme-report-<lang>.html`` (and ``.pdf``) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html = render_html(programme, lang, by_sdg=by_sdg, now=now, today=today)
    html_path = out / f"programme-report-{lang}.html"
    html_path.write_text(html, encoding="utf-8")
    if not pdf:
        return ReportFiles(html_path, None, None)
    weasyprint = import_optional("weasyprint", feature="PDF reports")
    pdf_path = out / f"programme-report-{lang}.pdf"
    document = weasyprint.HTML(string=html, base_url=str(out)).render()
    document.write_pdf(pdf_path)
    return ReportFiles(html_path, pdf_path, len(document.pages))
