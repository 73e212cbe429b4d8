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
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import yaml
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, select_autoescape

from corridor._deps import import_optional
from corridor.errors import SpecError
from corridor.programme import models as m
from corridor.programme import periods as pm
from corridor.programme import sdg
from corridor.programme.activities import attendances, compute_metric, for_indicator
from corridor.programme.progress import Progress, overdue, programme_progress

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGS = ("es", "fr", "en")
COUNT_UNITS = ("persons", "count", "cases", "sessions", "number", "permits")


@cache
def messages() -> dict:
    """Interface texts by language (``templates/messages.yaml``)."""
    return yaml.safe_load((TEMPLATES / "messages.yaml").read_text(encoding="utf-8"))


def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True)


class Fmt:
    """Locale-aware formatting of the values a report shows, each with its unit."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.msg = messages()[lang]
        # the locale's own percent pattern (e.g. French "15,0 %"), with one decimal
        self._pct1 = Locale.parse(lang).percent_formats[None].pattern.replace("#,##0", "#,##0.0", 1)

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
        return format_date(d, format="long", locale=self.lang) if d else ""

    def short_date(self, d: dt.date | dt.datetime | None) -> str:
        return format_date(d, format="medium", locale=self.lang) if d else ""

    def number(self, v: float | None, unit: str) -> str:
        """The bare number as the unit shows it (no unit label)."""
        if v is None:
            return "–"
        if unit == "percent":
            return format_percent(v / 100, format=self._pct1, locale=self.lang)
        if unit == "proportion":
            return format_percent(v, format=self._pct1, locale=self.lang)
        if unit in COUNT_UNITS:
            return format_decimal(round(v), format="#,##0", locale=self.lang)
        if unit == "ratio":
            return format_decimal(v, format="#,##0.00", locale=self.lang)
        return format_decimal(v, format="#,##0.0", locale=self.lang)

    def unit(self, unit: str) -> str:
        return self.msg["units"].get(unit, unit)

    def value(self, v: float | None, unit: str) -> str:
        """The number with its unit where the number alone does not say it (``29.6 per 100,000``)."""
        text = self.number(v, unit)
        if v is None or unit in ("percent", "proportion", "ratio", "number"):
            return text
        return f"{text} {self.unit(unit)}"

    def ci(self, lo: float | None, hi: float | None, unit: str) -> str:
        if lo is None or hi is None:
            return "–"
        if lo == hi:
            return self.number(lo, unit)
        return f"{self.number(lo, unit)} – {self.number(hi, unit)}"

    def pct(self, v: float | None) -> str:
        return "–" if v is None else format_percent(v, format="#,##0%", locale=self.lang)

    def money(self, amount: Decimal | float | None, currency: str) -> str:
        if amount is None:
            return "–"
        return format_currency(amount, currency, format="¤#,##0", locale=self.lang, currency_digits=False)

    def dimension(self, dim: dict) -> str:
        """``sex: women`` style text of a disaggregation cell."""
        parts = []
        for k, v in sorted((dim or {}).items()):
            label = self.msg["dimensions"].get(k, k)
            values = self.msg["dimension_values"]
            value = values.get(k, {}).get(v) or values["_any"].get(v, v)
            parts.append(f"{label}: {value}")
        return ", ".join(parts)


def _chart(p: Progress) -> dict | None:
    """Geometry of a small interval chart (actual with CI, target line, baseline tick) in a 300x46 box."""
    if p.actual is None:
        return None
    vals = [v for v in (p.ci_low, p.ci_high, p.target, p.baseline, p.actual, p.expected) if v is not None]
    lo, hi = min(vals), max(vals)
    pad = (hi - lo) * 0.12 or abs(hi) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad

    def x(v: float) -> float:
        return round(10 + 280 * (v - lo) / (hi - lo), 1)

    return {"ci_low": x(p.ci_low), "ci_high": x(p.ci_high), "actual": x(p.actual), "target": x(p.target),
            "baseline": None if p.baseline is None else x(p.baseline),
            "expected": None if p.expected is None else x(p.expected), "status": p.status}


def _observed(o: m.Observation | dict | None, unit: str, f: Fmt) -> str:
    """``18.1% (14.2% – 22.8%)`` for a stored value (an observation, or a revision's side)."""
    if o is None:
        return "–"
    get = (lambda k: o.get(k)) if isinstance(o, dict) else (lambda k: getattr(o, k))
    if get("estimate") is None:
        return f.msg["not_available"]
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
        where = [str(dim.pop(k)) for k in ("organisation", "area") if dim.get(k)]
        what = [f"{f.msg['subjects'].get(r.subject, r.subject)} {r.code}", *([r.period] if r.period else []),
                *(where if r.subject == "value" else []), *([f.dimension(dim)] if dim else [])]
        row = {"when": f.short_date(r.at), "at": r.at.isoformat(timespec="minutes"), "by": r.by, "why": r.why or "",
               "what": " · ".join(what), "before": before, "after": after}
        log.append(row)
        if r.subject == "baseline":
            by_cell[(r.code, r.period, tuple(sorted(r.dimension.items())))].append(row)
    return log, {"by_cell": by_cell, "firsts": firsts}


def _matrix(programme: m.Programme, f: Fmt, cell_revisions: dict) -> list[dict]:
    """The results matrix, grouped by line of work (results with no line first: the programme's)."""
    msg = f.msg
    orgs = {o.id: o for o in programme.organisations}

    def ind_row(ind: m.Indicator) -> dict:
        base = next((o for o in ind.observations if o.kind == "baseline" and not o.dimension), None)
        base_dims = [o for o in ind.observations if o.kind == "baseline" and o.dimension]
        if ind.source_kind == "evidence":  # the source's full title is in the evidence table above
            src = ind.source
            verif = f"{msg['evidence_source']}: {src['indicator']} · {src['population']} · {src['area']}"
        elif ind.source_kind == "activities":
            verif = msg["training_records"]
        else:
            verif = msg["partner_entries"]
        if ind.verification:
            verif = f"{f.t(ind.verification)} ({verif})"
        targets = []
        for t in sorted(ind.targets, key=lambda t: (t.period_start, sorted(t.dimension.items()))):
            dim = f.dimension(t.dimension)
            targets.append(f"{t.period}{' (' + dim + ')' if dim else ''}: "
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
                else f"{f.pct(p.progress)} ({f.pct(p.progress_low)} – {f.pct(p.progress_high)})"),
            "synthetic": p.synthetic or bool(p.source and p.source.upper().startswith("SYNTHETIC")),
            "chart": _chart(p), "note": p.note,
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
                    rows.append({"value": f.dimension({name: v}).split(": ", 1)[1], "cells": row})
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
    events = [{**e, "when": f.short_date(e["at"]), "to_text": f.msg["period_states"][e["to"]],
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
                            "population": ind.source["population"], "area": ind.source["area"], "period": o.period,
                            "dimension": f.dimension(o.dimension), "estimate": _observed(o, ind.unit, f),
                            "quality": f.quality(o.quality), "source": o.source or "", "synthetic": o.synthetic,
                            "note": o.note or "",
                            "sdg": sdg.tags_for(ind.source["indicator"], ind.source["population"])})
    return out


def build_context(programme: m.Programme, lang: str = "en", *, by_sdg: bool = False,
                  now: dt.datetime | None = None, today: dt.date | None = None) -> dict:
    """Everything the template needs, already translated and formatted."""
    if lang not in LANGS:
        raise SpecError(f"report language {lang!r} is not supported", hint="use es, fr or en")
    f = Fmt(lang)
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
        sdg_groups = [{"code": c, "kind": msg["sdg_kinds"][sdg.kind(c)], "title": sdg.title(c, lang),
                       "indicators": [f"{i.code} {f.t(i.title)}" for i in v]} for c, v in groups.items()]
    counts = Counter(p.status for p in progress)
    return {
        "lang": lang, "msg": msg, "synthetic": synthetic,
        "title": f.t(programme.title), "summary": f.t(programme.summary), "code": programme.code,
        "generated": format_datetime(now, format="medium", locale=lang), "today": f.date(today),
        "corridor": f"{programme.origin} → {programme.destination}",
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
        "meetings": [{"title": f.t(mt.title), "place": mt.place, "minutes": f.t(mt.minutes),
                      "date": f.date(mt.held_on) or f.t(mt.date_note) or msg["date_unknown"],
                      "participants": [f.t(p.organisation.name) for p in mt.participants],
                      "decisions": [f.t(d.text) for d in sorted(mt.decisions, key=lambda d: d.position)]}
                     for mt in sorted(programme.meetings, key=lambda mt: mt.held_on or dt.date.min)],
        "matrix": _matrix(programme, f, rev["by_cell"]),
        "commitments": [{"code": c.code, "text": f.t(c.text), "owner": f.t(c.owner.name),
                         "due": (f.t(c.due_note) or f.date(c.due_date)) if (c.due_note or c.due_date) else "–",
                         "status": msg["commitment_statuses"][c.status], "overdue": overdue(c, today),
                         "done_on": f.date(c.done_on) if c.done_on else "",
                         "updated": (f"{f.short_date(c.updated_at)}, {c.updated_by}" if c.updated_at else "")}
                        for c in sorted(programme.commitments, key=lambda c: c.due_date or dt.date.max)],
        "progress": _progress_rows(progress, f), "status_counts": [(msg["statuses"][s], counts[s])
                                                                   for s in msg["statuses"] if counts[s]],
        "disaggregations": _disaggregations(programme, f), "periods": _periods(programme, f),
        "trainings": trainings, "finance": finance, "revisions": log, "first_values": rev["firsts"],
        "sdg_programme": [(c, msg["sdg_kinds"][sdg.kind(c)], sdg.title(c, lang)) for c in programme.sdg],
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
