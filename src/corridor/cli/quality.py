"""``corridor quality``: calidad's create_* and assess from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import pyarrow as pa

from corridor import datasets
from corridor.cli.estimate import _design, design_options
from corridor.errors import InputError, SourceError
from corridor.estimation.result import format_table
from corridor.i18n import Message
from corridor.quality import SCHEMES, assess, create
from corridor.quality.create import KINDS

_EPILOG_CREATE = """\b
Example (ENE unemployment by region and sex, labour force as subpopulation, INE's t = 2 for the ENE,
judged by INE Chile's 2020 standard; calidad: create_prop("desocupado", "region+sexo", subpop = "fdt",
design = dc, eclac_input = TRUE, ci = TRUE, ajuste_ene = TRUE) %>% assess()):
  corridor quality create prop ene.csv --var desocupado --domains region+sexo --subpop fdt \\
      --weights fact_cal --strata estrato_unico --ids conglomerado --lonely-psu certainty \\
      --eclac-input --ci --ajuste-ene --scheme chile
"""


@click.group(context_settings={"max_content_width": 100})
def command() -> None:
    """Quality inputs and labels as INE Chile's R package calidad 0.8.2 makes them.

    `create` estimates what calidad's create_mean / create_total / create_size / create_prop return
    (same options, same columns) and, with --scheme, labels it; `assess` labels a table made by
    `create`, by `corridor estimate`, or by calidad itself, with every criterion behind each label.
    Schemes: chile (INE 2020), eclac_2023, eclac_2020, chile_economics (INE 2024, economic surveys).
    """


def _write(table: pa.Table, fmt: str, output: str | None) -> None:
    if output:
        path = Path(output)
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, path)
        elif suffix == ".json":
            path.write_text(json.dumps(table.to_pylist(), indent=1, default=str), encoding="utf-8")
        elif suffix == ".csv":
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, path)
        else:
            raise InputError(Message("cli.err.output_format", path=str(path), suffix=repr(suffix)),
                             hint=Message("cli.err.output_format.hint_quality"))
        click.echo(Message("cli.wrote_rows", count=table.num_rows, path=str(path)).render(), err=True)
        return
    if fmt == "csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, sys.stdout.buffer)
    elif fmt == "json":
        click.echo(json.dumps(table.to_pylist(), indent=1, default=str))
    else:
        click.echo(format_table(table, max_rows=500))


def _params(items: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise click.BadParameter(Message("cli.err.quality_param", item=item).render(), param_hint="--param")
    return out


def _assess_options(f: Any) -> Any:
    for decorator in reversed([
        click.option("--domain-info", is_flag=True, help="calidad's domain_info (ECLAC 2023, economic surveys)."),
        click.option("--low-df-justified", is_flag=True, help="calidad's low_df_justified (ECLAC 2023)."),
        click.option("--ratios-by-cv", is_flag=True,
                     help="Judge ratios by their CV even when none exceeds 1 (calidad's ratio_between_0_1 = FALSE)."),
        click.option("--publish", is_flag=True, help="Add INE's table verdict (publication, pass)."),
        click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
                     help="Override a threshold by its calidad name, e.g. n=30, cv_upper_ine=0.25 (repeatable)."),
        click.option("--n-obj", "n_obj", type=click.Path(exists=True, dir_okay=False),
                     help="CSV of target sample sizes: the domain columns and n_obj (chile_economics)."),
        click.option("--names", type=click.Choice(["calidad", "corridor"]), default="calidad", show_default=True,
                     help="Name the criteria as calidad (eval_n, label...) or as corridor (quality_n...)."),
        click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
                     show_default=True, help="Output format."),
        click.option("-o", "--output", type=click.Path(dir_okay=False),
                     help="Write to this file (.csv, .json, .parquet)."),
    ]):
        f = decorator(f)
    return f


def _assess(table: pa.Table, scheme: str, opts: dict[str, Any], estimand: str | None = None) -> pa.Table:
    n_obj = None
    if opts["n_obj"]:
        import pyarrow.csv as pacsv

        n_obj = pacsv.read_csv(opts["n_obj"])
    return assess(
        table, scheme, estimand=estimand, publish=opts["publish"], domain_info=opts["domain_info"],
        low_df_justified=opts["low_df_justified"], ratio_between_0_1=not opts["ratios_by_cv"],
        table_n_obj=n_obj, names=opts["names"], **_params(opts["params"]),
    )


@command.command("create", epilog=_EPILOG_CREATE, context_settings={"max_content_width": 100})
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("data")
@click.option("--var", required=True, help="The variable (a 0/1 variable for size and prop; a ratio's numerator).")
@click.option("--denominator", help="A ratio's denominator (prop only).")
@click.option("--domains", help="Domain variables joined by +, e.g. region+sexo (as calidad).")
@click.option("--subpop", help="A 0/1 column: only its 1s are estimated (as calidad's subpop).")
@design_options
@click.option("--ci", is_flag=True, help="Add t, lower, upper.")
@click.option("--ajuste-ene", is_flag=True, help="t = 2 in the interval (INE's rule for the ENE).")
@click.option("--ci-logit", is_flag=True, help="A logit interval (prop only).")
@click.option("--rm-na", is_flag=True, help="Leave out rows where the variable is missing (calidad's rm.na).")
@click.option("--deff", is_flag=True, help="Add the design effect.")
@click.option("--ess", is_flag=True, help="Add the effective sample size n / deff (needs --deff).")
@click.option("--unweighted", is_flag=True, help="Add the unweighted count of cases.")
@click.option("--rel-error", is_flag=True, help="Add the relative error qt(0.975, df) * cv.")
@click.option("--log-cv", is_flag=True, help="Add the log-CV (prop only).")
@click.option("--eclac-input", is_flag=True, help="Add every input of ECLAC's schemes (deff, ess, unweighted, log_cv).")
@click.option("--df-type", type=click.Choice(["chile", "eclac"]), default="chile", show_default=True,
              help="size only: count n and df on the rows with var == 1 (chile) or on every row (eclac).")
@click.option("--eclac-scheme", type=click.Choice(["eclac_2020", "eclac_2023"]), default="eclac_2020",
              show_default=True, help="prop only: the ECLAC scheme of --eclac-input (eclac_2020 refuses ratios).")
@click.option("--scheme", type=click.Choice(list(SCHEMES)), help="Also label the table by this scheme.")
@_assess_options
def create_command(kind: str, data: str, **opts: Any) -> None:
    """Estimate calidad's create_KIND table from DATA (CSV, Parquet, or demo:NAME) and optionally label it.

    KIND is mean, total, size (the population with a 0/1 characteristic), prop (a proportion of a 0/1
    variable, or a ratio with --denominator) or median. The columns are calidad's: stat, se, df, n, cv,
    then deff, unweighted, t, lower, upper, relative_error, log_cv, ess as asked; then estimand and
    variable. Without --rm-na a missing value is an error.
    """
    source = datasets.resolve(data)
    design = _design({**opts, "repweights": None, "replicates": None})  # a replicate design comes from --design
    table = create(
        kind, source, design, opts["var"], denominator=opts["denominator"], domains=opts["domains"],  # type: ignore[arg-type]
        subpop=opts["subpop"], ci=opts["ci"], ess=opts["ess"], ajuste_ene=opts["ajuste_ene"], rm_na=opts["rm_na"],
        deff=opts["deff"], rel_error=opts["rel_error"], unweighted=opts["unweighted"],
        eclac_input=opts["eclac_input"], log_cv=opts["log_cv"], ci_logit=opts["ci_logit"],
        df_type=opts["df_type"], scheme=opts["eclac_scheme"],
    )
    if opts["scheme"]:
        table = _assess(table, opts["scheme"], opts)
    _write(table, opts["fmt"], opts["output"])


@command.command("assess", context_settings={"max_content_width": 100})
@click.argument("table", type=click.Path(exists=True, dir_okay=False))
@click.option("--scheme", type=click.Choice(list(SCHEMES)), default="chile", show_default=True,
              help="The quality standard.")
@click.option("--estimand", type=click.Choice(["mean", "total", "size", "prop", "ratio", "median"]),
              help="The kind of estimate, for a table without an estimand column (e.g. one written by calidad).")
@_assess_options
def assess_command(table: str, scheme: str, estimand: str | None, **opts: Any) -> None:
    """Label every row of TABLE (CSV, Parquet or JSON) by SCHEME, with every criterion behind the label.

    TABLE is a table written by `corridor quality create`, by `corridor estimate` (with --deff for the
    ECLAC schemes, --df domain for calidad's degrees of freedom) or by calidad in R (stat, se, df, n,
    cv, ...; give --estimand). Adds calidad's criterion columns and label, then quality,
    quality_reason and quality_scheme.

    \b
    Example:
      corridor quality assess desocupados.csv --estimand prop --scheme eclac_2023
    """
    _write(_assess(_read(table), scheme, opts, estimand), opts["fmt"], opts["output"])


def _read(path: str) -> pa.Table:
    suffix = Path(path).suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path)
        if suffix == ".json":
            return pa.Table.from_pylist(json.loads(Path(path).read_text(encoding="utf-8")))
        import pyarrow.csv as pacsv

        return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(null_values=["", "NA", "NaN"]))
    except (OSError, ValueError, pa.ArrowInvalid) as exc:
        raise SourceError(Message("cli.err.table_unreadable", path=str(path), error=str(exc)),
                          hint=Message("cli.err.table_unreadable.hint")) from exc
