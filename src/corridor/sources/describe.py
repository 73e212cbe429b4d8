"""Describe a source: columns, types, labels, non-missing and distinct counts, frequent values."""

from __future__ import annotations

from typing import Any

from corridor.sources.source import Source, quote_ident


def describe(source: Source, *, top: int = 8, max_distinct: int = 30) -> dict[str, Any]:
    """One aggregate scan for counts, then value frequencies for columns with few distinct values."""
    cols = source.columns
    aggs = ["count(*)"]
    for c in cols:
        q = quote_ident(c)
        aggs += [f"count({q})", f"approx_count_distinct({q})"]
    row = source.relation.aggregate(", ".join(aggs)).fetchall()[0]
    n = int(row[0])
    out: dict[str, Any] = {"path": source.where, "format": source.format, "rows": n, "columns": []}
    for i, (c, t) in enumerate(source.types.items()):
        nonnull, distinct = int(row[1 + 2 * i]), int(row[2 + 2 * i])
        info: dict[str, Any] = {
            "name": c,
            "type": t,
            "label": source.variable_labels.get(c, ""),
            "non_missing": nonnull,
            "missing": n - nonnull,
            "distinct": distinct,
        }
        labels = source.value_labels.get(c, {})
        if distinct <= max_distinct:
            q = quote_ident(c)
            freq = source.relation.aggregate(f"{q} AS v, count(*) AS n", q).order("n DESC").limit(top).fetchall()
            info["values"] = [
                {"value": v, "count": int(k), **({"label": labels.get(v)} if labels.get(v) is not None else {})}
                for v, k in freq
            ]
        out["columns"].append(info)
    return out


def describe_text(info: dict[str, Any], lang: str | None = None) -> str:
    """Plain-text rendering of :func:`describe`'s result, in ``lang`` (default: the current language)."""
    from corridor.i18n import current, localize_number, t

    lang = lang or current()

    def num(n: int) -> str:
        return localize_number(f"{n:,}", lang)

    lines = [f"{info['path']}  " + t("sources.describe.head", lang, format=info["format"], rows=num(info["rows"]),
                                      columns=len(info["columns"]))]
    missing, distinct = t("sources.describe.missing", lang), t("sources.describe.distinct", lang)
    for c in info["columns"]:
        label = f"  {c['label']}" if c["label"] else ""
        lines.append(f"  {c['name']:<24} {c['type']:<10} {missing} {num(c['missing']):>9}  {distinct} ~{num(c['distinct'])}{label}")
        for v in c.get("values", []):
            lab = f" = {v['label']}" if "label" in v else ""
            lines.append(f"      {v['value']!r}{lab}: {num(v['count'])}")
    return "\n".join(lines)
