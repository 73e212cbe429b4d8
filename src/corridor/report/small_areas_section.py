"""The profile's "By comuna (model-based)" section: Fay-Herriot estimates per comuna of the region.

What it estimates: the share of the population born in the origin country in each comuna of the
highlighted region (Colombia-born in Antofagasta's nine comunas, 2022). No public survey gives
the comuna together with the country of birth, so the direct estimates come from the SYNTHETIC
comuna sample shipped with corridor (``datasets/synthetic_comuna_sample``), labelled synthetic
wherever they appear; the auxiliary variable is real: the share born in the origin per comuna in
the 2017 census (``datasets/census2017_comunas``), and the benchmark weights are INE's 2022
comuna populations (``datasets/ine_population_projections``).

The model (:func:`corridor.fay_herriot`): arcsin-transformed Fay-Herriot model fitted by REML on
design-effect-smoothed variances (a comuna of 24 persons with no Colombian in the sample has a
direct variance of 0), MSEs by parametric bootstrap, areas without a sample predicted from the
census, and a ratio benchmark to the region's own direct estimate (reliable), weighted by the
comunas' populations. Direct cells go through the profile's quality labels and disclosure
control; model cells carry the model's labels (CV from the root MSE).
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from corridor.datasets import root as datasets_root
from corridor.design import Design
from corridor.estimands import Proportion
from corridor.estimation import estimate
from corridor.sae import SmallAreaEstimates, fay_herriot

REGION = "CL-AN"
REGION_CUT = "2"
ORIGIN = "COL"
PERIOD = 2022
REPS = 500
SEED = 2026
INDICATOR = "share_born_in_origin"
_DESIGN = Design(weights="weight", strata="stratum", ids="psu")


def _files() -> dict[str, Path]:
    root = datasets_root()
    return {"sample": root / "synthetic_comuna_sample" / "synthetic_comuna_sample_SYNTHETIC.parquet",
            "census": root / "census2017_comunas" / "census2017_comunas.csv.gz",
            "projections": root / "ine_population_projections"
            / "ine_proyecciones_region_antofagasta_comuna_anio_sexo_edad5.csv"}


def applies(origin: str, destination: str, highlight: str | None) -> bool:
    """Whether the shipped data cover the section for this corridor and region."""
    return (origin, destination, highlight) == (ORIGIN, "CHL", REGION) and all(p.exists() for p in _files().values())


def auxiliaries() -> pa.Table:
    """Per comuna of the region: name, 2022 population (INE projections), 2017 census share born in Colombia."""
    files = _files()
    proj = pacsv.read_csv(files["projections"], convert_options=pacsv.ConvertOptions(
        column_types={"cut_comuna": pa.string()}))
    proj = proj.filter(pc.equal(proj["year"], PERIOD))
    pop = proj.group_by(["cut_comuna", "comuna"]).aggregate([("population", "sum")]).sort_by("cut_comuna")
    census = pacsv.read_csv(files["census"], convert_options=pacsv.ConvertOptions(
        column_types={"Codigo_region": pa.string(), "Codigo_comuna": pa.string()}))
    census = census.filter(pc.equal(census["Codigo_region"], REGION_CUT))
    # empty birthplace cells are zeros (see the dataset's PROVENANCE.md)
    born = {c: (b or 0.0) / p for c, b, p in zip(census["Codigo_comuna"].to_pylist(),
                                                  census["LugarNacimiento_Colombia"].to_pylist(),
                                                  census["PERSONAS"].to_pylist(), strict=True)}
    codes = pop["cut_comuna"].to_pylist()
    return pa.table({"comuna": codes, "comuna_name": pop["comuna"], "population": pop["population_sum"],
                     "census_share": [born[c] for c in codes]})


@cache
def model(scheme: str = "chile") -> tuple[SmallAreaEstimates, pa.Table, pa.Table]:
    """The fitted model, the region's direct estimate (the benchmark) and the comunas' direct estimates."""
    sample = _files()["sample"]
    direct = estimate(sample, _DESIGN, Proportion("born_colombia"), by="comuna", deff=True, df="domain")
    region = estimate(sample, _DESIGN, Proportion("born_colombia"), deff=True).to_arrow()
    region = region.filter(pc.equal(region["level"], "1"))
    result = fay_herriot(direct, auxiliaries(), area="comuna", select={"level": "1"}, covariates=["census_share"],
                         smoothing="deff", transform="arcsin", mse="bootstrap", reps=REPS, seed=SEED,
                         benchmark="ratio", benchmark_value=region, benchmark_weights="population", scheme=scheme)
    comunas = direct.to_arrow()
    return result, region, comunas.filter(pc.equal(comunas["level"], "1"))


def comuna_rows(scheme: str = "chile") -> list[dict[str, Any]]:
    """Tidy rows: the direct estimate (source_kind ``survey``) and the model estimate (``model``) per comuna."""
    from corridor.indicators.table import finish

    result, _, direct = model(scheme)
    common = {"indicator": INDICATOR, "population": "all", "area": REGION, "period": PERIOD,
              "disaggregation": "comuna", "level": None, "estimand": "proportion", "unit": "percent",
              "synthetic": True}
    direct_rows = [{**common, "disaggregation_value": d["comuna"], **{k: d[k] for k in (
        "estimate", "se", "ci_low", "ci_high", "ci_level", "cv", "df", "deff", "n")}, "unweighted": d["n_cases"],
        "status": "ok", "source_kind": "survey", "source": "SYNTHETIC comuna survey sample (corridor)",
        "note": "direct estimate (design-based, synthetic sample)", "suppressed": False}
        for d in direct.to_pylist()]
    model_rows = []
    for r in result.to_pylist():
        code = r["comuna"]
        model_rows.append({**common, "disaggregation_value": code, "estimate": 100 * r["estimate"],
                           "se": 100 * r["rmse"], "ci_low": 100 * r["ci_low"], "ci_high": 100 * r["ci_high"],
                           "ci_level": r["ci_level"], "cv": r["cv"], "n": None if r["n"] is None else int(r["n"]),
                           "quality": r["quality"], "quality_reason": r["quality_reason"], "quality_scheme": scheme,
                           "suppressed": False, "status": "ok", "source_kind": "model",
                           "source": "Fay-Herriot model: synthetic survey sample, census 2017, INE projections 2022",
                           "note": f"{r['method']}; {r['flag'] or ''}".rstrip("; ")})
    table = finish(direct_rows, scheme=scheme)
    return table.to_pylist() + model_rows


def _pct(x: float | None, loc: Any, digits: int = 1) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else loc.num(x, digits)


def comunas_chart(items: list[dict[str, Any]], loc: Any, title: str, labels: dict[str, str],
                  benchmark: float | None) -> str:
    """Direct vs model estimate per comuna with their intervals (percent), as inline SVG (drawn from
    shipped data only, so kept in the disk cache as the profile's other charts: ``charts.kept``)."""
    return _kept_comunas_chart()(items, loc, title, labels, benchmark)


@cache
def _kept_comunas_chart() -> Any:
    from corridor.report.charts import kept  # matplotlib: only when a chart is drawn

    return kept(_comunas_chart)


def _comunas_chart(items: list[dict[str, Any]], loc: Any, title: str, labels: dict[str, str],
                   benchmark: float | None) -> str:
    import matplotlib.pyplot as plt

    from corridor.report.charts import _RC, CORRIDOR, MIGRANT, _svg, _titled

    chart_id = "comunas-model"
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.2, 0.42 * len(items) + 1.1))
        ys = list(range(len(items)))[::-1]
        # the axis follows the model intervals; a direct interval beyond it ends in an arrow head
        right = 1.5 * max([it["high"] for it in items] + [it["direct"] or 0 for it in items])
        for y, it in zip(ys, items, strict=True):
            if it["direct"] is not None and it["direct_low"] is not None and it["direct_high"] is not None:
                ax.plot([it["direct_low"], min(it["direct_high"], right)], [y + 0.15] * 2, color=MIGRANT, lw=1.5)
                if it["direct_high"] > right:
                    ax.plot([right], [y + 0.15], ">", color=MIGRANT, ms=5, clip_on=False)
            if it["direct"] is not None:
                ax.plot([it["direct"]], [y + 0.15], "o", mfc="white", mec=MIGRANT, ms=5)
            ax.plot([it["low"], it["high"]], [y - 0.15] * 2, color=CORRIDOR, lw=2.2)
            ax.plot([it["model"]], [y - 0.15], "o" if it["in_sample"] else "D", color=CORRIDOR, ms=5)
        if benchmark is not None:
            ax.axvline(benchmark, color="#444", lw=0.8, ls=":")
        ax.set_yticks(ys, [it["name"] for it in items])
        ax.set_ylim(-0.8, len(items) - 0.2)
        ax.set_xlim(0, right)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: loc.pct(x, 0)))
        ax.grid(axis="x", color="#eee", lw=0.6)
        handles = [plt.Line2D([], [], color=MIGRANT, marker="o", mfc="white", label=labels["direct"]),
                   plt.Line2D([], [], color=CORRIDOR, marker="o", label=labels["model"]),
                   plt.Line2D([], [], color=CORRIDOR, marker="D", lw=0, label=labels["synthetic"])]
        if benchmark is not None:
            handles.append(plt.Line2D([], [], color="#444", ls=":", label=labels["benchmark"]))
        ax.legend(handles=handles, frameon=False, loc="upper center", bbox_to_anchor=(0.45, -0.08), ncol=2, fontsize=7)
        return _titled(_svg(fig, chart_id), chart_id, title)


def comunas_context(loc: Any, origin_name: str, scheme: str = "chile") -> dict[str, Any]:
    """Table rows, chart and method statement of the section in one language."""
    from corridor.sae.result import messages

    t = messages(loc.lang)
    result, region, _ = model(scheme)
    names = {r["comuna"]: r["comuna_name"] for r in auxiliaries().to_pylist()}
    pops = {r["comuna"]: r["population"] for r in auxiliaries().to_pylist()}
    shown = {r["disaggregation_value"]: r for r in comuna_rows(scheme) if r["source_kind"] == "survey"}
    rows, items = [], []
    for r in sorted(result.to_pylist(), key=lambda r: -pops[r["comuna"]]):
        d = shown.get(r["comuna"])
        visible = d is not None and not d["suppressed"] and d["estimate"] is not None
        if d is None:
            why = t["section_no_sample"]
        elif not visible:
            why = loc.suppression(d["suppression_reason"])
        else:
            why = ""
        rows.append({
            "name": names[r["comuna"]], "n": "—" if r["n"] is None else loc.num(r["n"]),
            "direct": _pct(d["estimate"], loc) if visible else "—",
            "direct_cv": loc.pct(100 * d["cv"], 0) if visible and d["cv"] is not None
            and math.isfinite(d["cv"]) else "—",
            "direct_quality": loc.quality(d["quality"]) if visible else "",
            "direct_why": why,
            "model": _pct(100 * r["estimate"], loc),
            "ci": f"[{_pct(100 * r['ci_low'], loc)}; {_pct(100 * r['ci_high'], loc)}]",
            "cv": loc.pct(100 * r["cv"], 0),
            "quality": loc.quality(r["quality"]),
            "kind": t["kind_eblup"] if r["in_sample"] else t["kind_synthetic"],
        })
        items.append({"name": names[r["comuna"]], "in_sample": r["in_sample"],
                      "direct": d["estimate"] if visible else None,
                      "direct_low": d["ci_low"] if visible else None, "direct_high": d["ci_high"] if visible else None,
                      "model": 100 * r["estimate"], "low": 100 * r["ci_low"], "high": 100 * r["ci_high"]})
    target = region.to_pylist()[0]["estimate"]
    region_name = loc.region(REGION)
    labels = {"direct": t["section_legend_direct"], "model": t["section_legend_model"],
              "synthetic": t["section_legend_synthetic"], "benchmark": t["section_legend_benchmark"]}
    chart = comunas_chart(items, loc, t["section_chart"].format(origin=origin_name, region=region_name, year=PERIOD),
                          labels, 100 * target)
    summary = result.summary(loc.lang).split("\n\n")[0].splitlines()[2:]  # fit, method, areas, smoothing, benchmark, labels
    return {
        "title": t["section_title"], "rows": rows, "chart": chart,
        "text": t["section_text"].format(origin=origin_name, region=region_name, year=PERIOD),
        "synthetic": t["section_synthetic"], "method": summary,
        "columns": {k: t[k] for k in ("area", "n", "direct", "direct_cv", "model_estimate", "model_cv", "quality")}
        | {"interval": t["interval"].format(level=95), "kind": t["section_kind"]},
        "sources": t["section_sources"], "method_title": t["section_method"],
    }


def not_covered(loc: Any, origin_name: str, region_name: str | None) -> dict[str, str]:
    """Title and sentence of the section when it was asked for but no shipped data cover it."""
    from corridor.sae.result import messages

    t = messages(loc.lang)
    return {"title": t["section_title"], "text": t["section_not_covered"].format(
        origin=origin_name, region=region_name or "—")}
