"""``corridor estimate``: design-based estimates from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import yaml

from corridor import datasets
from corridor.design import LONELY_PSU_RULES, REP_TYPES, Design, ReplicateDesign, design_from_dict
from corridor.errors import DesignError, SpecError
from corridor.estimands import parse_estimand
from corridor.estimation import estimate
from corridor.estimation.result import format_table


def _design(opts: dict[str, Any]) -> Any:
    if opts["design"]:
        path = Path(opts["design"])
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise SpecError(f"cannot read the design file {path}: {exc}") from exc
        if not isinstance(spec, dict):
            raise SpecError(f"the design file {path} must hold a mapping such as 'weights: expr'")
        return design_from_dict(spec.get("design", spec))
    if opts["repweights"]:
        return ReplicateDesign(
            repweights=opts["repweights"], weights=opts["weights"], type=opts["rep_type"], scale=opts["scale"],
            rho=opts["rho"], mse=opts["mse"], combined_weights=not opts["rep_multipliers"],
        )
    if not (opts["weights"] or opts["ids"] or opts["strata"] or opts["fpc"]):
        raise DesignError(
            "no sample design given",
            hint="give --weights/--strata/--ids (and --fpc), --repweights, or --design FILE.yaml",
        )
    design = Design(
        weights=opts["weights"], strata=tuple(opts["strata"]), ids=tuple(opts["ids"]), fpc=tuple(opts["fpc"]),
        nest=opts["nest"], lonely_psu=opts["lonely_psu"],
    )
    if opts["replicates"]:
        return design.replicates(opts["replicates"], replicates=opts["n_replicates"], seed=opts["seed"])
    return design


def _df(value: str | None) -> Any:
    if value is None or value in ("design", "domain", "normal"):
        return value
    try:
        return float(value)
    except ValueError as exc:
        raise click.BadParameter("use design, domain, normal or a number", param_hint="--df") from exc


@click.command(context_settings={"max_content_width": 100})
@click.argument("data", required=False)
@click.option("--spec", help="Harmonization spec (a shipped name such as casen_2020, or a YAML file): maps the "
              "source's columns onto corridor's concepts (e.g. migrant_status, sex, region) and gives the design. "
              "DATA may then be omitted to read the file the spec names.")
@click.option("-e", "--estimand", "estimands", multiple=True, required=True,
              help="What to estimate, repeatable: total:VAR, mean:VAR, proportion:VAR[=LEVEL][:METHOD], "
              "ratio:NUM/DEN, quantile:VAR[@P1,P2][:QRULE[:INTERVAL]]. Proportion methods: logit (default), "
              "beta, wilson, xlogit, wald.")
@click.option("--by", multiple=True, help="Domain variable, repeatable (every combination is reported).")
@click.option("--where", help="Subpopulation, computed on the full design, e.g. \"edad >= 15 and sexo == 2\".")
@click.option("--design", type=click.Path(exists=True, dir_okay=False),
              help="YAML/JSON design file (keys: weights, strata, ids, fpc, nest, lonely_psu; or type: replicate "
              "with repweights, rep_type, scale, rscales, rho, mse).")
@click.option("--weights", help="Sampling weight column.")
@click.option("--strata", multiple=True, help="Stratum column (one per stage, first stage first).")
@click.option("--ids", multiple=True, help="Cluster id column per stage, PSU first; omit for element sampling.")
@click.option("--fpc", multiple=True, help="Finite-population correction column per stage (population sizes or fractions).")
@click.option("--nest", is_flag=True, help="PSU ids are numbered within strata.")
@click.option("--lonely-psu", type=click.Choice(LONELY_PSU_RULES), default="fail", show_default=True,
              help="Rule for strata with a single PSU (as R's survey.lonely.psu).")
@click.option("--replicates", type=click.Choice(["JK1", "JKn", "bootstrap"]),
              help="Convert the Taylor design to replicate weights of this type.")
@click.option("--n-replicates", type=int, default=50, show_default=True, help="Bootstrap replicates.")
@click.option("--seed", type=int, help="Seed for bootstrap replicates.")
@click.option("--repweights", help="Regular expression matching replicate-weight columns (a replicate design).")
@click.option("--rep-type", type=click.Choice(REP_TYPES), default="other", show_default=True,
              help="Replicate method, which fixes the variance scale.")
@click.option("--scale", type=float, help="Override the replicate variance scale.")
@click.option("--rho", type=float, help="Fay's rho (rep-type Fay).")
@click.option("--mse", is_flag=True, help="Centre replicate variances at the full-sample estimate.")
@click.option("--rep-multipliers", is_flag=True, help="Replicate columns are multipliers of --weights.")
@click.option("--na", type=click.Choice(["fail", "drop"]), default="fail", show_default=True,
              help="Missing values: stop with an error, or drop them from each estimate (R's na.rm=TRUE).")
@click.option("--level", type=float, default=0.95, show_default=True, help="Confidence level.")
@click.option("--df", "df", help="Interval degrees of freedom: design, domain, normal or a number "
              "(default: design for totals/means/ratios, domain for proportions/quantiles, as R).")
@click.option("--deff", is_flag=True, help="Add design effects.")
@click.option("--compare", "compare", help="Gap between two levels of a --by variable: BY:A:B (A minus B), "
              "with standard errors that carry their covariance.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True,
              help="Output format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (.csv, .json, .parquet).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="Data engine.")
@click.option("--spark-master", help="Spark master URL (engine spark), e.g. local[4] or spark://host:7077.")
@click.option("--memory-limit", default=None, metavar="SIZE",
              help="DuckDB working memory, e.g. 4GB (default 512MB; beyond it large scans spill to a temporary "
              "directory). Engine duckdb only.")
def command(data: str | None, **opts: Any) -> None:
    """Estimate totals, means, proportions, ratios and quantiles from survey microdata.

    DATA is a CSV (optionally gzipped) or Parquet file, or demo:NAME for a dataset shipped with
    corridor (demo:casen_2020). Standard errors, intervals, degrees of freedom and design effects
    follow R's survey package.

    \b
    Example (CASEN 2020 poverty by region):
      corridor estimate demo:casen_2020 --weights expr --strata estrato --ids cod_upm \\
          --lonely-psu certainty --na drop -e proportion:pobreza --by region
    Example (NHANES foreign-born share through a harmonization spec):
      corridor estimate --spec nhanes_2017_2018_demo -e proportion:migrant_status --na drop
    """
    source: Any = datasets.resolve(data) if data else None
    if opts["spec"]:
        from corridor.harmonize import harmonize

        harmonized = harmonize(source, opts["spec"])
        source = harmonized.relation
        has_flags = opts["design"] or opts["weights"] or opts["ids"] or opts["strata"] or opts["repweights"]
        design = _design(opts) if has_flags else design_from_dict(harmonized.design)
        if opts["replicates"] and not has_flags:
            design = design.replicates(opts["replicates"], replicates=opts["n_replicates"], seed=opts["seed"])
    elif source is None:
        raise click.UsageError("give a DATA file or --spec")
    else:
        design = _design(opts)
    ests = [parse_estimand(e) for e in opts["estimands"]]
    engine: Any = opts["engine"]
    if engine == "spark":
        from corridor.engine import get_engine

        engine = get_engine("spark", master=opts["spark_master"]) if opts["spark_master"] else get_engine("spark")
    elif opts["memory_limit"]:
        from corridor.engine import get_engine

        engine = get_engine("duckdb", memory_limit=opts["memory_limit"])
    result = estimate(
        source, design, ests, by=list(opts["by"]), where=opts["where"], na=opts["na"],
        level=opts["level"], df=_df(opts["df"]), deff=opts["deff"], covariance=bool(opts["compare"]), engine=engine,
    )
    if opts["compare"]:
        parts = opts["compare"].split(":")
        if len(parts) != 3:
            raise click.BadParameter("write BY:A:B, e.g. migrant:1:0", param_hint="--compare")
        by, a, b = parts
        result = result.compare(by, _value(result, by, a), _value(result, by, b))
    if opts["output"]:
        path = result.write(opts["output"])
        click.echo(f"wrote {len(result)} rows to {path}", err=True)
        return
    if opts["fmt"] == "csv":
        import pyarrow.csv as pacsv

        sink = sys.stdout.buffer
        pacsv.write_csv(result.table, sink)
    elif opts["fmt"] == "json":
        click.echo(json.dumps(result.to_pylist(), indent=1, default=str))
    else:
        click.echo(format_table(result.table, max_rows=500))


def _value(result: Any, by: str, text: str) -> Any:
    values = {str(v): v for v in result.table[by].to_pylist()} if by in result.table.column_names else {}
    return values.get(text, text)
