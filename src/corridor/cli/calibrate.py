"""``corridor calibrate``: weights calibrated to population totals, written with the data."""

from __future__ import annotations

import copy
import json
from typing import Any

import click

from corridor import datasets
from corridor.cli import estimate as _estimate
from corridor.cli._calibration import _engine, calibrated, design_for_estimate

METHODS = ("linear", "raking", "logit", "rake", "poststratify")
# the design options are corridor estimate's own, so that both commands read a design alike
_DESIGN = ("design", "weights", "strata", "ids", "fpc", "nest", "lonely_psu", "replicates", "n_replicates", "seed",
           "repweights", "rep_type", "scale", "rho", "mse", "rep_multipliers")


@click.command(context_settings={"max_content_width": 100})
@click.argument("data")
@click.option("--totals", required=True,
              help="Population totals: a CSV or Parquet file with columns term, level, total (one row per level of "
              "a categorical term such as region or sex:age_group; one row with an empty level for a numeric term "
              "or (Intercept)), or ine:YEAR:region,sex,age_group[:nationality] for the shipped INE projections and "
              "INE/SERMIG foreign-resident estimates (see docs/calibration.md).")
@click.option("--method", type=click.Choice(METHODS), default="linear", show_default=True,
              help="linear (GREG), raking or logit distance (Newton, as R's calibrate); rake (iterative proportional "
              "fitting of the margins, as R's rake); poststratify (one term: the post-strata).")
@click.option("--bounds", type=float, nargs=2, metavar="LOW HIGH", help="Bounds of the g-weights (calibrated / design "
              "weight); required by logit.")
@click.option("--bounds-const", is_flag=True, help="The bounds are for the calibrated weights themselves.")
@click.option("--trim", type=float, nargs=2, metavar="LOW HIGH",
              help="Clip the g-weights after calibrating and spread the clipped weight over the other rows.")
@click.option("--maxit", type=int, help="Most Newton steps (default 50) or raking sweeps (default 100; R's rake: 10).")
@click.option("--epsilon", type=float, help="Stopping rule: largest misfit / (1 + |total|) (default 1e-7); for rake, "
              "largest change of a cell between sweeps (default 1e-10; below 1 a fraction of the weights' sum; R: 1).")
@click.option("--variance", help="Variance column of the calibration model (heteroskedastic GREG).")
@click.option("--aggregate-stage", type=int, help="Keep weights constant within the clusters of this stage.")
@click.option("--on-nonconvergence", type=click.Choice(["error", "warn"]), default="error", show_default=True,
              help="warn: keep the last iterate, flag every estimate made with the file calibration_not_converged.")
@click.option("--weight-name", help="Name of the calibrated weight column (default: the weight column + _cal).")
@click.option("-o", "--out", required=True, type=click.Path(dir_okay=False),
              help="Output file, .parquet (the calibration is described in its metadata) or .csv (described in "
              "OUT.calibration.json).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Format of the summary printed.")
@click.option("--lang", type=click.Choice(["es", "fr", "en"]), default=None,
              help="Language of the summary and of messages (default: corridor --lang, CORRIDOR_LANG, the system "
              "locale, else en).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="Data engine.")
@click.option("--spark-master", help="Spark master URL (engine spark).")
@click.option("--memory-limit", metavar="SIZE", help="DuckDB working memory, e.g. 4GB (default 512MB).")
def command(data: str, **opts: Any) -> None:
    """Calibrate a survey's weights to population totals and write the data with the calibrated weights.

    DATA is a CSV or Parquet file (or demo:NAME). The design options are those of corridor estimate.
    Replicate designs (--replicates, --repweights) are calibrated replicate by replicate and the
    recalibrated replicate weights are written too. Estimating from the output file with corridor
    estimate (without design options) applies the recorded calibration, so standard errors account
    for it.

    \b
    Example (CASEN 2020 raked to school-type-like margins; see docs/calibration.md):
      corridor calibrate demo:casen_2020 --weights expr --strata estrato --ids cod_upm \\
          --lonely-psu certainty --totals totals.csv --method raking --out casen_cal.parquet
    """
    from corridor.calibration import messages, output

    with messages.language(opts["lang"]):
        source: Any = datasets.resolve(data)
        design = _estimate._design(opts)
        engine = _engine(opts)
        cal = calibrated(source, design, opts["totals"], opts, engine)
        base_weights = getattr(getattr(design, "design", design), "weights", None)
        name = opts["weight_name"] or (f"{base_weights}_cal" if base_weights else "weight_cal")
        path = output.write(cal, source, opts["out"], weight_name=name, engine=engine)
        if opts["fmt"] == "json":
            click.echo(json.dumps(cal.summary(), indent=1, default=float))
        else:
            click.echo(summary_text(cal))
        click.echo(messages.t("cli.wrote", path=path, rows=cal.n_rows, column=name), err=True)


def summary_text(cal: Any) -> str:
    """The calibration in a few lines: method, convergence, weights before and after, every total."""
    from corridor.calibration.messages import current, t
    from corridor.i18n import localize_number

    lang = current()

    def num(value: float, spec: str) -> str:  # aligned as English writes it, with the language's separators
        return localize_number(format(value, spec), lang)

    lines = [t("cli.method", method=t(f"method.{cal.method}"), n=cal.n_rows),
             t("cli.converged" if cal.converged else "cli.not_converged", n=cal.iterations, gap=float(cal.gap))]
    if cal.flag:
        lines.append(t("flagged", flag=cal.flag))
    b, a = cal.weights["before"], cal.weights["after"]
    lines.append(t("cli.weights"))
    lines.append(f"  {'':10}{t('cli.sum'):>16}{t('cli.min'):>12}{t('cli.max'):>12}")
    lines.append(f"  {t('cli.before'):10}{num(b['sum'], '16,.2f')}{num(b['min'], '12.4g')}{num(b['max'], '12.4g')}")
    lines.append(f"  {t('cli.after'):10}{num(a['sum'], '16,.2f')}{num(a['min'], '12.4g')}{num(a['max'], '12.4g')}")
    lines.append(t("cli.g", low=float(a["g_min"]), high=float(a["g_max"]), cv=float(a["g_cv"])))
    lines.append(t("cli.check"))
    rows = cal.check.to_pylist()
    width = max([len(r["term"]) + len(r["level"] or "") + 1 for r in rows] + [10])
    lines.append(f"  {t('cli.term'):{width}}{t('cli.total'):>16}{t('cli.before'):>16}{t('cli.after'):>16}")
    for r in rows:
        label = r["term"] + (f"={r['level']}" if r["level"] else "")
        lines.append(f"  {label:{width}}{num(r['total'], '16,.2f')}{num(r['before'], '16,.2f')}{num(r['after'], '16,.2f')}")
    return "\n".join(lines)


def _adopt_design_options() -> None:
    """Give ``command`` corridor estimate's design options (the same objects' copies, the same help)."""
    options = [copy.copy(p) for p in _estimate.command.params if p.name in _DESIGN]
    command.params[1:1] = options


_adopt_design_options()
__all__ = ["calibrated", "command", "design_for_estimate", "summary_text"]
