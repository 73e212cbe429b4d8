"""``corridor small-areas``: Fay-Herriot small-area estimates from a table of direct estimates."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import click

from corridor.errors import InputError
from corridor.i18n import Message

_EPILOG = """\b
Examples (from the repository root):
  corridor estimate demo:casen_2020 --weights expr --strata estrato --ids cod_upm \\
      --lonely-psu certainty --na drop -e proportion:pobreza --by region -o direct.csv
  corridor small-areas direct.csv --select level=1 --method REML --out areas.csv
  corridor small-areas tests/reference/sae/data/milk.csv --area SmallArea --estimate-column yi \\
      --vardir-column var --factor MajorArea --stopping sae --tol 1e-4 --lang es
"""


def _none(value: str) -> str | None:
    return None if value == "none" else value


def _select(values: tuple[str, ...]) -> dict[str, str] | None:
    out = {}
    for v in values:
        col, sep, val = v.partition("=")
        if not sep or not col:
            raise InputError(Message("sae.error.select_option", value=repr(v)), hint=Message("sae.error.select_option.hint"))
        out[col.strip()] = val.strip()
    return out or None


@click.command(name="small-areas", epilog=_EPILOG)
@click.argument("direct", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--aux", "aux", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Area-level auxiliary table (CSV, Parquet, XLSX): one row per area of the larger area. Areas "
              "without a direct estimate get synthetic estimates. Default: covariates from DIRECT.")
@click.option("--area", help="Area column, in both tables (default: 'area' or the single domain of DIRECT).")
@click.option("-x", "--covariate", "covariates", multiple=True,
              help="Auxiliary column used as a covariate; repeatable (default: every numeric column of --aux).")
@click.option("--factor", "factors", multiple=True, help="Categorical covariate (treatment dummies); repeatable.")
@click.option("--no-intercept", is_flag=True, help="Fit the model without an intercept.")
@click.option("--method", type=click.Choice(["REML", "ML", "FH"], case_sensitive=False), default="REML",
              show_default=True, help="Estimator of the random-effect variance (FH: moment method).")
@click.option("--transform", type=click.Choice(["none", "arcsin", "log"]), default="none", show_default=True,
              help="Fit the model to arcsin(sqrt(p)) (proportions) or log(y); needs --mse bootstrap.")
@click.option("--backtransform", type=click.Choice(["bias-corrected", "naive"]), default="bias-corrected",
              show_default=True, help="How predictions of a transformed model are taken back.")
@click.option("--mse", type=click.Choice(["analytic", "bootstrap"]), default="analytic", show_default=True,
              help="Prasad-Rao analytic MSE, or parametric bootstrap.")
@click.option("--reps", type=int, default=500, show_default=True, help="Bootstrap replicates.")
@click.option("--seed", type=int, default=1, show_default=True, help="Bootstrap seed.")
@click.option("--smoothing", type=click.Choice(["none", "deff", "gvf"]), default="none", show_default=True,
              help="Replace direct variances by smoothed ones: pooled design effect (proportions) or a "
              "generalized variance function log(var) ~ log(n).")
@click.option("--smooth-below-n", type=float,
              help="Smooth only areas with fewer sample cases than this (default: every area).")
@click.option("--zero-variance", type=click.Choice(["error", "keep"]), default="error", show_default=True,
              help="What to do with a direct estimate whose variance is 0.")
@click.option("--benchmark", type=click.Choice(["none", "raking", "ratio"]), default="none", show_default=True,
              help="Make the estimates add up to the larger area's direct estimate.")
@click.option("--benchmark-value", type=float, help="The larger area's reliable direct estimate.")
@click.option("--benchmark-weights", help="Column of population sizes that weight the areas in the aggregate.")
@click.option("--select", multiple=True, metavar="COLUMN=VALUE",
              help="Keep the DIRECT rows with COLUMN=VALUE (e.g. level=1 or variable=pobreza); repeatable.")
@click.option("--estimate-column", default="estimate", show_default=True, help="Column of the direct estimates.")
@click.option("--se-column", default="se", show_default=True, help="Column of their standard errors.")
@click.option("--vardir-column", help="Column of sampling variances (instead of --se-column).")
@click.option("--n-column", default="n", show_default=True, help="Column of the areas' sample sizes.")
@click.option("--tol", type=float, help="Convergence tolerance (default 1e-10 strict, 1e-4 sae).")
@click.option("--maxit", type=int, default=100, show_default=True, help="Maximum iterations.")
@click.option("--stopping", type=click.Choice(["strict", "sae"]), default="strict", show_default=True,
              help="strict: iterate to the optimum; sae: R sae's loop and stopping rule.")
@click.option("--on-nonconvergence", type=click.Choice(["raise", "warn"]), default="raise", show_default=True,
              help="Fail, or flag every estimate, when the fit does not converge.")
@click.option("--scheme", type=click.Choice(["chile", "eclac_2023"]), default="chile", show_default=True,
              help="Whose CV limits label the model estimates (CV from the root MSE).")
@click.option("--level", type=float, default=0.95, show_default=True, help="Level of the intervals.")
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False),
              help="Per-area table: .csv, .parquet or .json (JSON also holds the model). Default: CSV on stdout.")
@click.option("--coefficients", "coef_out", type=click.Path(dir_okay=False), help="Write the coefficients (CSV).")
@click.option("--model-info", "info_out", type=click.Path(dir_okay=False),
              help="Write fit, coefficients, diagnostics, smoothing, benchmark and row ledger (JSON).")
@click.option("--lang", type=click.Choice(["es", "fr", "en"]), default="en", show_default=True,
              help="Language of the summary printed on standard error.")
@click.option("-q", "--quiet", is_flag=True, help="No summary.")
def command(direct: Path, aux: Path | None, **o: Any) -> None:
    """Small-area (Fay-Herriot) estimates from DIRECT, a table of direct estimates per area.

    DIRECT is what `corridor estimate ... --by AREA -o direct.csv` writes (estimate, se, n per
    area), or any table with an area column, estimates and standard errors or variances. The
    model borrows strength from area-level auxiliaries (--aux) through a regression with a
    random area effect: each area gets its EBLUP (a weighted mean of its direct estimate and the
    regression's prediction, the weight falling as its sampling variance grows), its MSE, a
    root-MSE CV and a quality label judged on it; areas of --aux without a sample get the
    regression's synthetic estimate and its MSE.
    """
    from corridor.sae import fay_herriot

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fay_herriot(
            direct, aux, area=o["area"], covariates=list(o["covariates"]) or (None if aux else []),
            factors=list(o["factors"]), intercept=not o["no_intercept"], method=o["method"].upper(),
            transform=_none(o["transform"]), backtransform=o["backtransform"], mse=o["mse"], reps=o["reps"],
            seed=o["seed"], smoothing=_none(o["smoothing"]), smooth_below_n=o["smooth_below_n"],
            zero_variance=o["zero_variance"], benchmark=_none(o["benchmark"]), benchmark_value=o["benchmark_value"],
            benchmark_weights=o["benchmark_weights"], select=_select(o["select"]), estimate=o["estimate_column"],
            se=None if o["vardir_column"] else o["se_column"], vardir=o["vardir_column"], n=o["n_column"],
            tol=o["tol"], maxit=o["maxit"], stopping=o["stopping"], on_nonconvergence=o["on_nonconvergence"],
            scheme=o["scheme"], level=o["level"])
    for w in caught:
        click.secho(Message("cli.warning", message=str(w.message)).render(), err=True, fg="yellow")
    if not o["quiet"]:
        click.echo(result.summary(o["lang"]), err=True)
    if o["out"] in (None, "-"):
        import pyarrow.csv as pacsv

        sink = sys.stdout.buffer
        pacsv.write_csv(result.areas, sink)
        sink.flush()
    else:
        path = result.write(o["out"])
        from corridor.sae.result import messages

        click.echo(messages(o["lang"])["wrote"].format(n=len(result), path=path), err=True)
    if o["coef_out"]:
        import pyarrow.csv as pacsv

        pacsv.write_csv(result.coefficients, o["coef_out"])
    if o["info_out"]:
        Path(o["info_out"]).write_text(json.dumps(result.model_info(), indent=1, ensure_ascii=False), encoding="utf-8")
