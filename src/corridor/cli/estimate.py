"""``corridor estimate``: design-based estimates from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import yaml

from corridor import datasets
from corridor.cli.sources import RENAME_HELP, parse_renames
from corridor.design import LONELY_PSU_RULES, REP_TYPES, Design, ReplicateDesign, design_from_dict
from corridor.errors import DesignError, SpecError
from corridor.estimands import parse_estimand
from corridor.estimation import estimate
from corridor.estimation.result import format_table
from corridor.i18n import Message
from corridor.sources import FORMATS


def _design(opts: dict[str, Any]) -> Any:
    if opts["design"]:
        path = Path(opts["design"])
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise SpecError(Message("cli.err.design_file_unreadable", path=str(path), error=str(exc))) from exc
        if not isinstance(spec, dict):
            raise SpecError(Message("cli.err.design_file_mapping", path=str(path)))
        return design_from_dict(spec.get("design", spec))
    if opts["repweights"]:
        return ReplicateDesign(
            repweights=opts["repweights"], weights=opts["weights"], type=opts["rep_type"], scale=opts["scale"],
            rho=opts["rho"], mse=opts["mse"], combined_weights=not opts["rep_multipliers"],
        )
    if not (opts["weights"] or opts["ids"] or opts["strata"] or opts["fpc"]):
        raise DesignError(Message("cli.err.no_design"), hint=Message("cli.err.no_design.hint"))
    design = Design(
        weights=opts["weights"], strata=tuple(opts["strata"]), ids=tuple(opts["ids"]), fpc=tuple(opts["fpc"]),
        nest=opts["nest"], lonely_psu=opts["lonely_psu"],
    )
    if opts["replicates"]:
        return design.replicates(opts["replicates"], replicates=opts["n_replicates"], seed=opts["seed"])
    return design


def design_options(f: Any) -> Any:
    """The options that describe a design (a file, or weights, strata, ids, fpc, nest, lonely-PSU rule)."""
    options = [
        click.option("--design", type=click.Path(exists=True, dir_okay=False),
                     help="YAML/JSON design file (keys: weights, strata, ids, fpc, nest, lonely_psu; or type: "
                     "replicate with repweights, rep_type, scale, rscales, rho, mse)."),
        click.option("--weights", help="Sampling weight column."),
        click.option("--strata", multiple=True, help="Stratum column (one per stage, first stage first)."),
        click.option("--ids", multiple=True, help="Cluster id column per stage, PSU first; omit for element sampling."),
        click.option("--fpc", multiple=True,
                     help="Finite-population correction column per stage (population sizes or fractions)."),
        click.option("--nest", is_flag=True, help="PSU ids are numbered within strata."),
        click.option("--lonely-psu", type=click.Choice(LONELY_PSU_RULES), default="fail", show_default=True,
                     help="Rule for strata with a single PSU (as R's survey.lonely.psu)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _df(value: str | None) -> Any:
    if value is None or value in ("design", "domain", "normal"):
        return value
    try:
        return float(value)
    except ValueError as exc:
        raise click.BadParameter(Message("cli.estimate.df_value").render(), param_hint="--df") from exc


@click.command(context_settings={"max_content_width": 100})
@click.argument("data", required=False)
@click.option("--spec", help="Harmonization spec (a shipped name such as casen_2020, or a YAML file): maps the "
              "source's columns onto corridor's concepts (e.g. migrant_status, sex, region) and gives the design. "
              "DATA may then be omitted to read the file the spec names.")
@click.option("-e", "--estimand", "estimands", multiple=True, required=True,
              help="What to estimate, repeatable: total:VAR, mean:VAR, proportion:VAR[=LEVEL][:METHOD], "
              "ratio:NUM/DEN, quantile:VAR[@P1,P2][:QRULE[:INTERVAL]]. Proportion methods: logit (default), "
              "beta, wilson, xlogit, wald. Quantile intervals: mean (default), beta, xlogit, asin; quantile "
              "(replicate designs); score (Taylor designs).")
@click.option("--by", multiple=True, help="Domain variable, repeatable (every combination is reported).")
@click.option("--where", help="Subpopulation, computed on the full design, e.g. \"edad >= 15 and sexo == 2\".")
@design_options
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
@click.option("--calibrate", metavar="TOTALS", help="Calibrate the design to population totals first (a totals file "
              "term,level,total or ine:..., see corridor calibrate --help); standard errors account for it.")
@click.option("--calibrate-method", type=click.Choice(["linear", "raking", "logit", "rake", "poststratify"]),
              default="linear", show_default=True, help="Calibration method of --calibrate.")
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
@click.option("--input-format", type=click.Choice(FORMATS),
              help="Format of DATA when its extension does not say (csv, parquet, stata, spss, sas, ipums, xlsx).")
@click.option("--encoding", help="Text encoding of a CSV file (default utf-8), e.g. latin-1.")
@click.option("--delimiter", help="CSV delimiter (default: detected from the header).")
@click.option("--decimal", type=click.Choice([".", ","]), help="Decimal mark of a CSV file's numbers: ',' for files "
              "written as 1,5 (Spanish and French spreadsheets); default '.'.")
@click.option("--sheet", help="XLSX sheet name or number (0 = first).")
@click.option("--header-row", type=int, help="XLSX header row (1-based, as Excel numbers rows).")
@click.option("--rename", "renames", multiple=True, metavar="POS=NAME", help=RENAME_HELP)
@click.option("--na-values", "na_values", multiple=True, metavar="TEXT",
              help="Text that means a missing value in numeric columns, repeatable, e.g. --na-values NS/NR. Any "
              "other text in a column estimated as numbers is an error naming its values and lines.")
@click.option("--drop-rejected", is_flag=True,
              help="Estimate without the rows the spec rejects (e.g. missing or negative weights); without it "
              "such rows are an error. The count is printed and kept in the result.")
@click.option("--labels", "labels_file", type=click.Path(exists=True, dir_okay=False),
              help="YAML code table for the printed table, a label per code of each column (default: the labels of a "
              "Stata/SPSS/IPUMS file, a spec's labels, or a FILE.labels.yaml beside DATA).")
@click.option("--codes", is_flag=True, help="Print raw codes instead of value labels.")
@click.option("--verbose", is_flag=True, help="On an error, also print the reader's or engine's own message.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="Data engine.")
@click.option("--spark-master", help="Spark master URL (engine spark), e.g. local[4] or spark://host:7077.")
@click.option("--memory-limit", default=None, metavar="SIZE",
              help="DuckDB working memory, e.g. 4GB (default 512MB; beyond it large scans spill to a temporary "
              "directory). Engine duckdb only.")
def command(data: str | None, **opts: Any) -> None:
    """Estimate totals, means, proportions, ratios and quantiles from survey microdata.

    DATA is a file of any format `corridor sources describe` reads (CSV, optionally gzipped,
    Parquet, Stata .dta, SPSS .sav, SAS, XLSX, an IPUMS .xml codebook), or demo:NAME for a
    dataset shipped with corridor (demo:casen_2020). Standard errors, intervals, degrees of
    freedom and design effects follow R's survey package. Rows with weight 0 are outside the
    sample (as R's subset()); their count is printed. The table shows value labels and numbers
    with thousands separators; --format csv/json give exact values.

    \b
    Example (CASEN 2020 poverty by region):
      corridor estimate demo:casen_2020 --weights expr --strata estrato --ids cod_upm \\
          --lonely-psu certainty --na drop -e proportion:pobreza --by region
    Example (NHANES foreign-born share through a harmonization spec):
      corridor estimate --spec nhanes_2017_2018_demo -e proportion:migrant_status --na drop
    """
    click.get_current_context().meta["corridor.verbose"] = opts["verbose"]
    source: Any = datasets.resolve(data) if data else None
    read = _read_options(opts)
    harmonized = None
    if opts["spec"]:
        from corridor.harmonize import harmonize

        if read:
            raise click.UsageError(Message("cli.estimate.read_with_spec").render())
        harmonized = harmonize(source, opts["spec"])
        source = harmonized
        has_flags = opts["design"] or opts["weights"] or opts["ids"] or opts["strata"] or opts["repweights"]
        design = _design(opts) if has_flags else design_from_dict(harmonized.design)
        if opts["replicates"] and not has_flags:
            design = design.replicates(opts["replicates"], replicates=opts["n_replicates"], seed=opts["seed"])
        if opts["calibrate"]:
            from corridor.cli._calibration import design_for_estimate

            design = design_for_estimate(source, opts, lambda _opts: design)
    elif source is None:
        raise click.UsageError(Message("cli.estimate.no_data").render())
    else:
        from corridor.cli._calibration import design_for_estimate

        design = design_for_estimate(source, opts, _design)
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
        na_values=list(opts["na_values"]), read=read or None,
        drop_rejected=True if opts["drop_rejected"] else None,
    )
    meta = result.meta
    if harmonized is not None:
        click.echo(harmonized.ledger.to_text(), err=True)
    for note in meta.get("notes", []):
        click.echo(Message("cli.note", note=note).render(), err=True)
    if opts["compare"]:
        parts = opts["compare"].split(":")
        if len(parts) != 3:
            raise click.BadParameter(Message("cli.estimate.compare_format").render(), param_hint="--compare")
        by, a, b = parts
        result = result.compare(by, _value(result, by, a), _value(result, by, b))
    if opts["output"]:
        path = result.write(opts["output"])
        click.echo(Message("cli.wrote_rows", count=len(result), path=str(path)).render(), err=True)
        return
    if opts["fmt"] == "csv":
        import pyarrow.csv as pacsv

        sink = sys.stdout.buffer
        pacsv.write_csv(result.table, sink)
    elif opts["fmt"] == "json":
        click.echo(json.dumps(result.to_json(), indent=1, default=str, ensure_ascii=False))
    else:
        labels = None if opts["codes"] else _labels(meta, opts["labels_file"], source, harmonized)
        click.echo(format_table(result.table, max_rows=500, labels=labels))


def _read_options(opts: dict[str, Any]) -> dict[str, Any]:
    read: dict[str, Any] = {}
    for key, name in (("input_format", "format"), ("encoding", "encoding"), ("delimiter", "delimiter"),
                      ("decimal", "decimal"), ("header_row", "header_row")):
        if opts[key] is not None:
            read[name] = opts[key]
    if opts["sheet"] is not None:
        read["sheet"] = int(opts["sheet"]) if opts["sheet"].isdigit() else opts["sheet"]
    if opts["renames"]:
        read["rename"] = parse_renames(opts["renames"])
    return read


def _labels(meta: dict[str, Any], labels_file: str | None, source: Any, harmonized: Any) -> dict[str, dict[Any, str]]:
    """Value labels for the printed table: the file's own, a spec's, a code table beside the data, --labels."""
    labels: dict[str, dict[Any, str]] = {k: dict(v) for k, v in (meta.get("value_labels") or {}).items()}
    if harmonized is not None:
        for col, table in (harmonized.value_labels or {}).items():
            labels.setdefault(col, dict(table))
    files = []
    if isinstance(source, str | Path) and harmonized is None:
        p = Path(source)
        name = p.name
        for suffix in (".gz", ".bz2"):
            name = name.removesuffix(suffix)
        files.append(p.with_name(name.rsplit(".", 1)[0] + ".labels.yaml"))
    if labels_file:
        files.append(Path(labels_file))
    for f in files:
        if not f.exists():
            continue
        try:
            table = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SpecError(Message("cli.err.code_table_unreadable", path=str(f), error=str(exc)),
                            hint=Message("cli.err.code_table.hint")) from exc
        if not isinstance(table, dict) or not all(isinstance(v, dict) for v in table.values()):
            raise SpecError(Message("cli.err.code_table_shape", path=str(f)), hint=Message("cli.err.code_table.hint"))
        for col, codes in table.items():
            labels.setdefault(str(col), {}).update({k: str(v) for k, v in codes.items()})
    return labels


def _value(result: Any, by: str, text: str) -> Any:
    values = {str(v): v for v in result.table[by].to_pylist()} if by in result.table.column_names else {}
    return values.get(text, text)
