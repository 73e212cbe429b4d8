"""Writing a :class:`~corridor.report.profile.Profile`: the HTML page, the PDF and the indicator tables.

Kept apart from :mod:`corridor.report.profile` (which computes) so that imports flow one way:
``write`` -> ``render`` -> ``sections`` -> ``profile``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from corridor.errors import InputError
from corridor.i18n import Message
from corridor.report.locale import check_lang, extra_label
from corridor.report.profile import Profile, Progress
from corridor.report.render import render_html


def indicator_table(profile: Profile, lang: str) -> pa.Table:
    """The tidy table with the indicator's name in ``lang`` as a second column."""
    names = [profile.catalogue[i].label(lang) if i in profile.catalogue else extra_label(i, lang) for i in profile.table.column("indicator").to_pylist()]
    return profile.table.add_column(1, "indicator_name", pa.array(names, pa.string()))


def write_tables(profile: Profile, out: Path, lang: str) -> dict[str, Path]:
    """The tidy indicator table as CSV, Parquet and JSON (records, with a metadata header)."""
    t = indicator_table(profile, lang)
    paths = {"csv": out / "indicators.csv", "parquet": out / "indicators.parquet", "json": out / "indicators.json"}
    pacsv.write_csv(t, paths["csv"])
    pq.write_table(t, paths["parquet"])
    meta = {"origin": profile.origin, "destination": profile.destination, "quality_scheme": profile.scheme,
            "min_n": profile.min_n, "synthetic_survey": profile.survey_synthetic, "sources": profile.sources,
            "section_sources": profile.extra.get("section_sources", []), "coverage": profile.coverage,
            "synthetic_sections": profile.synthetic_sections}
    paths["json"].write_text(json.dumps({"metadata": meta, "data": t.to_pylist()}, ensure_ascii=False, default=str, indent=1),
                             encoding="utf-8")
    return paths


def write_profile(profile: Profile, out: str | Path, lang: str = "en", *, pdf: bool = True,
                  progress: Progress | None = None) -> dict[str, Path]:
    """Write ``profile.html``, ``profile.pdf`` and ``indicators.{csv,parquet,json}`` into ``out``."""

    say = progress or (lambda _m: None)
    check_lang(lang)
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(Message("profile.errors.out_folder", folder=out, reason=exc.strerror),
                         hint=Message("profile.errors.out_folder.hint")) from None
    say(Message("profile.progress.html"))
    html = render_html(profile, lang)
    paths = {"html": out / "profile.html"}
    paths["html"].write_text(html, encoding="utf-8")
    say(Message("profile.progress.tables"))
    paths.update(write_tables(profile, out, lang))
    if pdf:
        say(Message("profile.progress.pdf"))
        from weasyprint import HTML

        paths["pdf"] = out / "profile.pdf"
        HTML(string=html, base_url=str(out)).write_pdf(paths["pdf"])
    return paths
