"""The programme proposal/report a binational meeting works from (HTML and PDF; es, fr, en).

Sections: context and evidence (agreements, studies, the evidence table with
quality labels and sources), partners, meetings, the logical framework (lines
of work, results, indicators, baselines, targets, means of verification, SDG
tags), commitments with owners and dates, progress against targets with
intervals, training records, and notes on methods. Data labelled SYNTHETIC
anywhere put a banner on every page. Rendered with Jinja2 (autoescaped); the
PDF is printed from the same HTML with WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, select_autoescape

from corridor._deps import import_optional
from corridor.errors import SpecError
from corridor.programme import models as m
from corridor.programme import sdg
from corridor.programme.activities import attendances, compute_metric
from corridor.programme.evidence import read_evidence
from corridor.programme.progress import Progress, programme_progress

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANGS = ("es", "fr", "en")


@cache
def messages() -> dict:
    """Interface texts by language (``templates/messages.yaml``)."""
    return yaml.safe_load((TEMPLATES / "messages.yaml").read_text(encoding="utf-8"))


def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                       trim_blocks=True, lstrip_blocks=True)


class _Fmt:
    """Locale-aware formatting of the values a report shows."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        # the locale's own percent pattern (e.g. French "15,0 %"), with one decimal
        self._pct1 = Locale.parse(lang).percent_formats[None].pattern.replace("#,##0", "#,##0.0", 1)

    def t(self, texts: dict | None) -> str:
        if not texts:
            return ""
        return texts.get(self.lang) or texts.get("en") or next(iter(texts.values()))

    def quality(self, label: str | None) -> str:
        """A quality label in the report's language (labels not in the list are shown as given)."""
        return messages()[self.lang]["quality_labels"].get(label, label) if label else ""

    def date(self, d: dt.date | None) -> str:
        return format_date(d, format="long", locale=self.lang) if d else ""

    def value(self, v: float | None, unit: str) -> str:
        if v is None:
            return "–"
        if unit in ("proportion", "percentage"):
            return format_percent(v, format=self._pct1, locale=self.lang)
        if unit in ("persons", "count"):
            return format_decimal(round(v), format="#,##0", locale=self.lang)
        return format_decimal(v, format="#,##0.0", locale=self.lang)

    def ci(self, lo: float | None, hi: float | None, unit: str) -> str:
        if lo is None or hi is None:
            return "–"
        if lo == hi:
            return self.value(lo, unit)
        return f"{self.value(lo, unit)} – {self.value(hi, unit)}"

    def pct(self, v: float | None) -> str:
        return "–" if v is None else format_percent(v, format="#,##0%", locale=self.lang)


def _chart(p: Progress, lang: str, msg: dict) -> dict | None:
    """Geometry of a small interval chart (actual with CI, target line, baseline tick) in a 300x46 box."""
    if p.actual is None:
        return None
    vals = [v for v in (p.ci_low, p.ci_high, p.target, p.baseline, p.actual) if v is not None]
    lo, hi = min(vals), max(vals)
    pad = (hi - lo) * 0.12 or abs(hi) * 0.1 or 1.0
    lo, hi = lo - pad, hi + pad

    def x(v: float) -> float:
        return round(10 + 280 * (v - lo) / (hi - lo), 1)

    return {"ci_low": x(p.ci_low), "ci_high": x(p.ci_high), "actual": x(p.actual), "target": x(p.target),
            "baseline": None if p.baseline is None else x(p.baseline), "status": p.status}


def build_context(programme: m.Programme, lang: str = "en", *, by_sdg: bool = False,
                  now: dt.datetime | None = None) -> dict:
    """Everything the template needs, already translated and formatted."""
    if lang not in LANGS:
        raise SpecError(f"report language {lang!r} is not supported", hint="use es, fr or en")
    msg = messages()[lang]
    f = _Fmt(lang)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    orgs = {o.code: o for o in programme.organisations}
    evidence = read_evidence(programme.evidence_path) if programme.evidence_path else []
    progress = programme_progress(programme)
    records = attendances(programme)
    synthetic = any(r.synthetic for r in evidence) or any(b.synthetic for b in programme.imports)

    partners: dict[str, list] = {}
    for o in sorted(programme.organisations, key=lambda o: (m.ORGANISATION_KINDS.index(o.kind), o.code)):
        partners.setdefault(msg["kinds"][o.kind], []).append(f.t(o.name))
    lines = []
    results_by_line: dict = {}
    for r in sorted(programme.results, key=lambda r: r.position):
        results_by_line.setdefault(r.line_id, []).append(r)
    prog_by_ind: dict[str, list[Progress]] = {}
    for p in progress:
        prog_by_ind.setdefault(p.indicator, []).append(p)

    def ind_row(ind: m.Indicator) -> dict:
        base = next((o for o in ind.observations if o.kind == "baseline" and not o.dimension), None)
        if ind.source_kind == "evidence":
            verif = base.source if base and base.source else msg["source"]
        elif ind.source_kind == "activities":
            verif = msg["training_records"]
        else:
            verif = ""
        if ind.verification:
            verif = f.t(ind.verification)
        targets = []
        for t in sorted(ind.targets, key=lambda t: (t.period_start, sorted(t.dimension.items()))):
            dim = ", ".join(f"{v}" for _, v in sorted(t.dimension.items()))
            targets.append(f"{t.period}{' (' + dim + ')' if dim else ''}: {f.value(t.value, ind.unit)}")
        return {
            "code": ind.code, "title": f.t(ind.title), "unit": ind.unit,
            "baseline": (f"{f.value(base.estimate, ind.unit)} ({base.period})" if base else "–"),
            "baseline_ci": (f.ci(base.ci_low, base.ci_high, ind.unit) if base and base.ci_level else ""),
            "baseline_quality": f.quality(base.quality) if base else None,
            "targets": targets, "verification": verif, "sdg": ind.sdg,
            "direction": "↑" if ind.ascending else "↓",
        }

    for lw in sorted(programme.lines_of_work, key=lambda lw: lw.position):
        lines.append({
            "code": lw.code, "title": f.t(lw.title),
            "results": [{"code": r.code, "level": msg["levels"][r.level], "title": f.t(r.title),
                         "sdg": [(c, sdg.title(c, lang)) for c in r.sdg],
                         "indicators": [ind_row(i) for i in sorted(r.indicators, key=lambda i: i.position)]}
                        for r in results_by_line.get(lw.id, [])],
        })
    progress_rows = []
    for p in progress:
        dim = ", ".join(str(v) for _, v in sorted(p.dimension.items()))
        progress_rows.append({
            "indicator": p.indicator, "title": f.t(p.indicator_title), "dimension": dim, "period": p.period,
            "baseline": f.value(p.baseline, p.unit), "target": f.value(p.target, p.unit),
            "actual": f.value(p.actual, p.unit), "ci": f.ci(p.ci_low, p.ci_high, p.unit),
            "confidence": f.pct(p.confidence), "quality": f.quality(p.quality), "status": p.status,
            "status_text": msg["statuses"][p.status],
            "progress": "–" if p.progress is None else (
                f.pct(p.progress) if p.progress_low == p.progress_high
                else f"{f.pct(p.progress)} ({f.pct(p.progress_low)} – {f.pct(p.progress_high)})"),
            "synthetic": bool(p.source and p.source.upper().startswith("SYNTHETIC")),
            "chart": _chart(p, lang, msg), "note": p.note,
        })
    # training tables: distinct professionals by region x profession
    trained = {}
    if records:
        regions = sorted({r.region for r in records})
        profs = [k for k in msg["professions"] if any(r.profession == k for r in records)]
        counts = Counter()
        for reg in regions:
            for pr in profs:
                counts[(reg, pr)] = len({r.participant for r in records if r.region == reg and r.profession == pr})
        gains = []
        for reg in [None, *regions]:
            sub = [r for r in records if reg is None or r.region == reg]
            g = compute_metric("mean_score_gain", sub)
            gains.append({"region": reg or msg["total"], "n": g.n, "mean": f.value(g.estimate, "points"),
                          "ci": f.ci(g.ci_low, g.ci_high, "points"),
                          "sessions": len({r.session for r in sub})})
        trained = {
            "regions": regions, "professions": [(p, msg["professions"][p]) for p in profs],
            "counts": {f"{a}|{b}": c for (a, b), c in counts.items()},
            "row_totals": {reg: len({r.participant for r in records if r.region == reg}) for reg in regions},
            "col_totals": {p: len({r.participant for r in records if r.profession == p}) for p in profs},
            "total": len({r.participant for r in records}), "gains": gains,
            "synthetic": any(b.synthetic for b in programme.imports),
        }
    sdg_groups = []
    if by_sdg:
        inds = [i for r in programme.results for i in r.indicators]
        groups = sdg.group_by_sdg(inds, lambda i: i.sdg or i.result.sdg)
        sdg_groups = [{"code": c, "title": sdg.title(c, lang), "indicators": [f"{i.code} {f.t(i.title)}" for i in v]}
                      for c, v in groups.items()]
    units = {i.source["indicator"]: i.unit for res in programme.results for i in res.indicators
             if i.source_kind == "evidence"}

    def unit_of(name: str) -> str:
        return units.get(name) or ("proportion" if name.endswith(("_share", "_proportion")) else "count")

    evidence_rows = [{
        "indicator": r.indicator, "population": r.population, "area": r.area, "period": r.period,
        "estimate": f.value(r.estimate, unit_of(r.indicator)),
        "ci": (f.ci(r.ci_low, r.ci_high, unit_of(r.indicator)) if r.ci_low is not None else "–"),
        "quality": f.quality(r.quality), "source": r.source or "", "synthetic": r.synthetic,
        "sdg": sdg.tags_for(r.indicator, r.population),
    } for r in evidence]
    return {
        "lang": lang, "msg": msg, "synthetic": synthetic,
        "title": f.t(programme.title), "summary": f.t(programme.summary), "code": programme.code,
        "generated": format_datetime(now, format="medium", locale=lang),
        "corridor": f"{programme.origin} → {programme.destination}",
        "agreements": [{"title": f.t(a.title), "date": f.date(a.signed_on), "purpose": f.t(a.purpose),
                        "parties": [f.t(p.organisation.name) for p in a.parties], "source": a.source}
                       for a in sorted(programme.agreements, key=lambda a: a.signed_on or dt.date.max)],
        "documents": [{"title": f.t(d.title), "year": d.year,
                       "authors": [f.t(orgs[c].name) for c in d.authors if c in orgs],
                       "funders": [f.t(orgs[c].name) for c in d.funders if c in orgs]} for d in programme.documents],
        "evidence": evidence_rows,
        "partners": partners,
        "meetings": [{"title": f.t(mt.title), "place": mt.place,
                      "date": f.date(mt.held_on) or f.t(mt.date_note) or msg["date_unknown"],
                      "participants": [f.t(p.organisation.name) for p in mt.participants],
                      "decisions": [f.t(d.text) for d in sorted(mt.decisions, key=lambda d: d.position)]}
                     for mt in programme.meetings],
        "lines": lines,
        "commitments": [{"text": f.t(c.text), "owner": f.t(c.owner.name),
                         "due": (f.t(c.due_note) or f.date(c.due_date)) if (c.due_note or c.due_date) else "–",
                         "status": msg["commitment_statuses"][c.status]}
                        for c in sorted(programme.commitments, key=lambda c: c.due_date or dt.date.max)],
        "progress": progress_rows, "trained": trained, "sdg_groups": sdg_groups,
        "methods_text": msg["methods_text"].format(
            conf=f.pct(progress[0].confidence if progress else 0.95)),
    }


def render_html(programme: m.Programme, lang: str = "en", *, by_sdg: bool = False,
                now: dt.datetime | None = None) -> str:
    """The report as a standalone HTML page."""
    return _env().get_template("report.html.j2").render(**build_context(programme, lang, by_sdg=by_sdg, now=now))


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote."""

    html: Path
    pdf: Path | None
    pages: int | None


def write_report(programme: m.Programme, out_dir: str | Path, lang: str = "en", *, pdf: bool = True,
                 by_sdg: bool = False, now: dt.datetime | None = None) -> ReportFiles:
    """Write ``programme-report-<lang>.html`` (and ``.pdf``) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html = render_html(programme, lang, by_sdg=by_sdg, now=now)
    html_path = out / f"programme-report-{lang}.html"
    html_path.write_text(html, encoding="utf-8")
    if not pdf:
        return ReportFiles(html_path, None, None)
    weasyprint = import_optional("weasyprint", feature="PDF reports")
    pdf_path = out / f"programme-report-{lang}.pdf"
    document = weasyprint.HTML(string=html, base_url=str(out)).render()
    document.write_pdf(pdf_path)
    return ReportFiles(html_path, pdf_path, len(document.pages))
