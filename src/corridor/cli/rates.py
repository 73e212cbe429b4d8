"""``corridor rates``: crude, standardised and relative rates from count and population tables."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pandas as pd

from corridor.epi import crude_rate, dsr, isr, proportion, rate_ratio
from corridor.epi.inputs import add_group, join_denominators
from corridor.errors import InputError
from corridor.i18n import Message


def read_table(path: Path, sheet: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX table through corridor's sources layer (encoding and delimiter checks)."""
    from corridor.sources.read import detect_format, read_source

    options: dict[str, Any] = {}
    if sheet is not None:
        if detect_format(path) != "xlsx":
            raise InputError(Message("cli.err.sheet_not_xlsx", path=str(path)), hint=Message("cli.err.sheet_not_xlsx.hint"))
        options["sheet"] = sheet
    return read_source(path, **options).relation.df()


def write_table(table: pd.DataFrame, output: str | None) -> None:
    """Write CSV (default, or to stdout) or JSON (records) by the output's suffix."""
    if output in (None, "-"):
        table.to_csv(sys.stdout, index=False)
        return
    path = Path(output)
    if path.suffix.lower() == ".json":
        table.to_json(path, orient="records", indent=1, force_ascii=False)
    elif path.suffix.lower() in (".csv", ".txt"):
        table.to_csv(path, index=False)
    else:
        raise InputError(Message("cli.err.output_format", path=str(output), suffix=repr(path.suffix)),
                         hint=Message("cli.err.output_format.hint_rates"))
    click.echo(Message("cli.wrote_rows", count=len(table), path=str(path)).render(), err=True)


def _load(
    counts: Path,
    population: Path | None,
    sheet: str | None,
    count_col: str,
    pop_col: str,
    se_col: str | None,
    fill_zero: bool,
    combine: tuple[str, ...] = (),
) -> pd.DataFrame:
    data = read_table(counts, sheet)
    if population is not None:
        extra = [se_col] if se_col else []
        data = join_denominators(
            data,
            read_table(population),
            count_col,
            pop_col,
            fill_zero=fill_zero,
            extra_population_columns=extra,
        )
    for spec in combine:
        column, _, rest = spec.partition(":")
        name, _, members = rest.partition("=")
        if not (column and name and members):
            raise InputError(Message("cli.err.combine", value=repr(spec)), hint=Message("cli.err.combine.hint"))
        if column in data:  # groups typed on the command line are text
            data[column] = data[column].astype(str)
        data = add_group(data, column, name, [m.strip() for m in members.split(",")])
    return data


def _shape(missing: str, wide: bool) -> dict[str, str]:
    """The --missing and --wide options as keyword arguments of the rate functions."""
    return {"missing": missing, "layout": "wide" if wide else "long"}


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--counts",
            "counts",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            required=True,
            help="Count table, CSV or XLSX (one row per cell).",
        ),
        click.option("--sheet", help="Sheet of an XLSX count table (default: the first)."),
        click.option(
            "--population",
            "population",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Population table (CSV/XLSX), matched to the counts on the columns both share. "
            "Omit it when the count table has a population column.",
        ),
        click.option("--count-column", default="cases", show_default=True, help="Column of the counts."),
        click.option(
            "--population-column", default="population", show_default=True, help="Column of the populations."
        ),
        click.option(
            "--se-column",
            help="Column of the populations' standard errors (survey-estimated "
            "denominators); widens the intervals by the delta method on the log scale.",
        ),
        click.option(
            "--by",
            "by",
            multiple=True,
            help="Group column; repeat for several. Rows of a "
            "group are summed; without --by, one result for all rows.",
        ),
        click.option(
            "--confidence",
            multiple=True,
            type=float,
            default=(0.95,),
            show_default=True,
            help="Confidence level (0.95 or 95); repeat for several.",
        ),
        click.option(
            "--fill-zero/--no-fill-zero",
            default=True,
            show_default=True,
            help="Population cells absent from the count table count 0 cases.",
        ),
        click.option(
            "--combine",
            multiple=True,
            metavar="COLUMN:NAME=A,B",
            help="Add a group NAME to COLUMN made of the disjoint groups A, B..., e.g. "
            "population_group:all_foreign=colombia,other_foreign. Repeatable.",
        ),
        click.option(
            "--allow-count-above-population",
            is_flag=True,
            help="Accept counts above their population (recurrent events, person-time).",
        ),
        click.option(
            "--missing",
            type=click.Choice(["error", "zero", "keep"]),
            default="error",
            show_default=True,
            help="Missing counts: error, zero (count 0, as PHE's DSR and ISR functions do) or keep "
            "(a missing result for that group).",
        ),
        click.option(
            "--wide",
            is_flag=True,
            help="One row per group with lower95_0cl, upper95_0cl, lower99_8cl... (PHE's wide names) "
            "instead of one row per confidence level.",
        ),
        click.option("--output", "-o", help="Output file, .csv or .json (default: CSV on standard output)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group(name="rates")
def command() -> None:
    """Disease burden: rates, standardised rates and rate ratios with confidence intervals.

    Reads a count table (e.g. notifications by year, sex, age group and population group) and a
    population table, matches them on their shared columns and writes a tidy table with the
    columns group..., count, population, value, lowercl, uppercl, confidence, method, statistic.

    \b
    Methods (as PHE's PHEindicatormethods and R's epitools; Dobson et al. 1991; Fay & Feuer 1997;
    Wilson 1927):
      crude       rates with exact Poisson limits below 10 cases, Byar's from 10 (--method
                  byar-epitools: epitools' x + 0.5 variant)
      dsr         directly age-standardised rates, Dobson limits (--method gamma: Fay-Feuer, as
                  epitools::ageadjust.direct), no DSR below 10 cases (--min-count)
      isr         indirectly standardised ratios (SMR) or rates against a reference table
                  (--observed-totals: counts per group instead of per age band)
      ratio       rate ratios of groups against a reference group, crude or standardised
      proportion  proportions with Wilson score limits

    \b
    Example, from the repository's root (demo data shipped in
    src/corridor/datasets/demo_notifications, counts SYNTHETIC):
      corridor rates dsr \\
        --counts src/corridor/datasets/demo_notifications/notifications_SYNTHETIC.csv \\
        --population src/corridor/datasets/demo_notifications/population_antofagasta_2018_2022.csv \\
        --by disease --by year --by population_group --standard who2000 -o dsr.csv
    """


@command.command("crude", short_help="Crude rates with exact/Byar's limits.")
@_common
@click.option("--multiplier", default=100_000.0, show_default=True, help="Rate per this many.")
@click.option(
    "--method",
    type=click.Choice(["auto", "exact", "byar", "byar-epitools"]),
    default="auto",
    show_default=True,
    help="Poisson limits: auto = exact below 10 cases, Byar's from 10 (PHE); byar-epitools = "
    "Byar's with x + 0.5 in both limits (epitools::pois.byar).",
)
def crude_command(
    counts,
    sheet,
    population,
    count_column,
    population_column,
    se_column,
    by,
    confidence,
    fill_zero,
    combine,
    allow_count_above_population,
    output,
    missing,
    wide,
    multiplier,
    method,
) -> None:
    """Crude rates per MULTIPLIER with exact or Byar's Poisson limits."""
    data = _load(counts, population, sheet, count_column, population_column, se_column, fill_zero, combine)
    out = crude_rate(
        data,
        count_column,
        population_column,
        list(by),
        multiplier=multiplier,
        confidence=list(confidence),
        method=method,
        population_se=se_column,
        allow_count_above_population=allow_count_above_population,
        **_shape(missing, wide),
    )
    write_table(out, output)


def _standard_option(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--age-column",
        default="age_group",
        show_default=True,
        help="Column of the age bands (0-4, 5-9, ..., 80+; also '00 A 04', '80 y más').",
    )(func)
    return click.option(
        "--standard",
        default="esp2013",
        show_default=True,
        help="Standard population: esp2013 (European 2013), who2000 (WHO World "
        "2000-2025), a CSV file with two columns, age band and population, or plain numbers "
        "separated by commas, one per age band, youngest first (as PHE's stdpop vector).",
    )(func)


def _standard(value: str) -> Any:
    if value.lower() in ("esp2013", "who2000", "esp", "who"):
        return value
    if "," in value and not Path(value).exists():
        try:
            return [float(part) for part in value.split(",")]
        except ValueError:
            raise InputError(Message("cli.err.standard_numbers", value=repr(value)),
                             hint=Message("cli.err.standard_numbers.hint")) from None
    path = Path(value)
    if not path.exists():
        raise InputError(Message("cli.err.standard_unknown", value=repr(value)),
                         hint=Message("cli.err.standard_unknown.hint"))
    return read_table(path)


@command.command("dsr", short_help="Age-standardised rates with Dobson or gamma limits.")
@_common
@_standard_option
@click.option("--multiplier", default=100_000.0, show_default=True, help="Rate per this many.")
@click.option(
    "--min-count",
    default=10,
    show_default=True,
    help="No DSR when a group's total count is below this (PHE: 10; 0 for a value in every group, "
    "as epitools).",
)
@click.option(
    "--method",
    type=click.Choice(["dobson", "gamma"]),
    default="dobson",
    show_default=True,
    help="Interval: dobson (Dobson et al. 1991, PHE) or gamma (Fay & Feuer 1997, "
    "epitools::ageadjust.direct, US NCHS).",
)
def dsr_command(
    counts,
    sheet,
    population,
    count_column,
    population_column,
    se_column,
    by,
    confidence,
    fill_zero,
    combine,
    allow_count_above_population,
    output,
    missing,
    wide,
    standard,
    age_column,
    multiplier,
    min_count,
    method,
) -> None:
    """Directly age-standardised rates with Dobson or Fay-Feuer gamma limits.

    Every group needs every age band of the standard (or of a coarsening of it, e.g. 0-4 ... 80+).
    """
    data = _load(counts, population, sheet, count_column, population_column, se_column, fill_zero, combine)
    out = dsr(
        data,
        count_column,
        population_column,
        age_column,
        list(by),
        standard=_standard(standard),
        multiplier=multiplier,
        confidence=list(confidence),
        min_count=min_count,
        population_se=se_column,
        allow_count_above_population=allow_count_above_population,
        missing=missing,
        method=method,
        layout="wide" if wide else "long",
    )
    write_table(out, output)


@command.command("ratio", short_help="Rate ratios against a reference group.")
@_common
@click.option("--compare", required=True, help="Column of the groups compared (e.g. population_group).")
@click.option("--reference", "reference", required=True, help="Reference group (e.g. rest).")
@click.option("--numerator", multiple=True, help="Group(s) compared to the reference (default: all others).")
@click.option("--standardised", is_flag=True, help="Ratio of age-standardised rates instead of crude rates.")
@_standard_option
@click.option(
    "--method",
    type=click.Choice(["exact", "wald"]),
    default="exact",
    show_default=True,
    help="Crude ratio interval: exact conditional (binomial) or Wald on the log scale.",
)
def ratio_command(
    counts,
    sheet,
    population,
    count_column,
    population_column,
    se_column,
    by,
    confidence,
    fill_zero,
    combine,
    allow_count_above_population,
    output,
    missing,
    wide,
    compare,
    reference,
    numerator,
    standardised,
    standard,
    age_column,
    method,
) -> None:
    """Rate ratios of groups (e.g. migrants) against a reference group (e.g. natives)."""
    data = _load(counts, population, sheet, count_column, population_column, se_column, fill_zero, combine)
    if compare in data:  # groups typed on the command line are text
        data[compare] = data[compare].astype(str)
    out = rate_ratio(
        data,
        count_column,
        population_column,
        compare,
        reference,
        list(numerator) or None,
        list(by),
        age=age_column if standardised else None,
        standard=_standard(standard) if standardised else None,
        confidence=list(confidence),
        method=method,
        population_se=se_column,
        allow_count_above_population=allow_count_above_population,
        **_shape(missing, wide),
    )
    write_table(out, output)


@command.command("isr", short_help="Indirectly standardised ratios (SMR) or rates.")
@_common
@click.option(
    "--reference-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="Reference counts and populations by age band (CSV/XLSX).",
)
@click.option("--reference-count-column", default="cases", show_default=True)
@click.option("--reference-population-column", default="population", show_default=True)
@click.option(
    "--age-column", default="age_group", show_default=True, help="Column of the age bands in both tables."
)
@click.option(
    "--kind",
    type=click.Choice(["ratio", "rate"]),
    default="ratio",
    show_default=True,
    help="ratio: observed/expected (SMR); rate: the ratio times the reference crude rate.",
)
@click.option("--multiplier", type=float, help="Default 1 for ratios (100 for SMR x 100), 100000 for rates.")
@click.option(
    "--observed-totals",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Observed counts per group (CSV/XLSX with the --by columns and the count column), when "
    "counts are not known by age band (PHE's observed_totals). The count table then gives the "
    "populations by age band.",
)
@click.option(
    "--method",
    type=click.Choice(["auto", "exact", "byar", "byar-epitools"]),
    default="auto",
    show_default=True,
    help="Poisson limits of the observed count (as for crude rates).",
)
def isr_command(
    counts,
    sheet,
    population,
    count_column,
    population_column,
    se_column,
    by,
    confidence,
    fill_zero,
    combine,
    allow_count_above_population,
    output,
    missing,
    wide,
    reference_file,
    reference_count_column,
    reference_population_column,
    age_column,
    kind,
    multiplier,
    observed_totals,
    method,
) -> None:
    """Indirectly standardised ratios (SMR) or rates with exact/Byar's limits."""
    if se_column:
        raise InputError(Message("cli.err.se_column_isr"), hint=Message("cli.err.se_column_isr.hint"))
    if observed_totals is not None and population is not None:
        raise InputError(Message("cli.err.observed_totals"), hint=Message("cli.err.observed_totals.hint"))
    if observed_totals is None:
        data = _load(counts, population, sheet, count_column, population_column, None, fill_zero, combine)
    else:
        data = _load(counts, None, sheet, count_column, population_column, None, fill_zero, combine)
    out = isr(
        data,
        count_column,
        population_column,
        age_column,
        list(by),
        reference=read_table(reference_file),
        reference_count=reference_count_column,
        reference_population=reference_population_column,
        observed_totals=None if observed_totals is None else read_table(observed_totals),
        kind=kind,
        multiplier=multiplier,
        confidence=list(confidence),
        method=method,
        missing=missing,
        allow_count_above_population=allow_count_above_population,
        layout="wide" if wide else "long",
    )
    write_table(out, output)


@command.command("proportion", short_help="Proportions with Wilson limits.")
@_common
@click.option("--multiplier", default=1.0, show_default=True, help="1 for proportions, 100 for percentages.")
def proportion_command(
    counts,
    sheet,
    population,
    count_column,
    population_column,
    se_column,
    by,
    confidence,
    fill_zero,
    combine,
    allow_count_above_population,
    output,
    missing,
    wide,
    multiplier,
) -> None:
    """Proportions count/denominator with Wilson score limits (denominator from --population-column)."""
    if se_column:
        raise InputError(Message("cli.err.se_column_proportion"), hint=Message("cli.err.se_column_proportion.hint"))
    data = _load(counts, population, sheet, count_column, population_column, None, fill_zero, combine)
    out = proportion(
        data,
        count_column,
        population_column,
        list(by),
        multiplier=multiplier,
        confidence=list(confidence),
        **_shape(missing, wide),
    )
    write_table(out, output)
