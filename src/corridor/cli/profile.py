"""``corridor profile``: the corridor profile (HTML, PDF, tidy tables) in one command."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from corridor.cli._messages import Languages, echo_error, flat_langs
from corridor.errors import CorridorError
from corridor.i18n import t

_HELP = """Build the profile of a migration corridor: an HTML page and a PDF with charts and tables, and
the tidy indicator table behind every number (CSV, Parquet, JSON), in Spanish, French or English.

\b
Which source feeds which section is data (the coverage registry, corridor/datasets/coverage.yaml);
the page says what each section rests on and which sections no source covers. Stocks, trends,
regions and the age-sex pyramid come from official aggregate sources shipped with corridor
(INE/SERMIG foreign residents 2018-2022, INE population projections, UN DESA International Migrant
Stock 1990-2019); the labour market and period of arrival from INE's ENUSC 2019 and 2020 microdata
(nationals of Colombia, Venezuela, Peru, Haiti, Bolivia, Argentina or Ecuador in Chile); comuna
context from CASEN 2022 and the 2017 census. Survey indicators carry their design-based standard
error and confidence interval, a publication-quality label (--scheme) and disclosure control
(--min-n); gaps between the corridor's people and natives carry the covariance of the two.

\b
Sections no public source covers by nationality (health, poverty; the disease-burden demo) run on
shipped SYNTHETIC data and are labelled as such, section by section. --data replaces the survey
sources of every survey section with your own microdata.

\b
Examples:
  corridor profile --origin COL --destination CHL --lang es --out perfil
  corridor profile --origin COL --destination CHL --lang es,fr,en --out corridor-profile
  corridor profile --origin COL --destination CHL --region CL-AN --lang fr --out profil
  corridor profile --origin COL --destination CHL --small-areas --lang es --out perfil
  corridor profile --origin COL --destination CHL --calibrate ine --lang fr --out profil
  corridor profile --origin VEN --destination CHL --lang es --out perfil-ven
  corridor profile --origin COL --destination CHL --data casen_2022_spec.yaml --scheme eclac_2023 --min-n 50
  corridor profile --origin COL --destination CHL --engine spark --spark-master 'local[4]' --out profile
"""


class _Progress:
    """Step messages with elapsed time on stderr (quiet with --quiet)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.start = time.monotonic()
        self.step = 0

    def __call__(self, message: str) -> None:
        self.step += 1
        if not self.quiet:
            click.echo(f"[{time.monotonic() - self.start:6.1f}s] {self.step:>2}. {message}", err=True)


@click.command(name="profile", help=_HELP)
@click.option("--origin", required=True, metavar="ISO3", help="Origin country, ISO 3166-1 alpha-3 (e.g. COL).")
@click.option("--destination", required=True, metavar="ISO3", help="Destination country, ISO 3166-1 alpha-3 (e.g. CHL).")
@click.option("--region", metavar="ISO3166-2", default=None,
              help="Region of the destination to highlight, ISO 3166-2 (e.g. CL-AN). Default for Chile: CL-AN (Antofagasta).")
@click.option("--lang", "langs", type=Languages(), multiple=True, default=("en",), show_default=True,
              help="Language(s) of the page, PDF and names: es, fr, en; several as es,fr,en or repeated --lang. "
                   "The profile is computed once and written in each language.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("profile"), show_default=True,
              help="Output folder (created if needed); with several languages, one subfolder per language (OUT/es, OUT/fr...).")
@click.option("--data", metavar="SPEC_OR_FILE", default=None,
              help="Survey microdata for every survey section: a harmonization spec (shipped name or YAML file) or a CSV/Parquet "
                   "file in canonical columns. Default: the sources of the coverage registry (real where they exist, the "
                   "shipped SYNTHETIC sample only for sections no real source covers).")
@click.option("--scheme", type=click.Choice(["chile", "eclac_2023"]), default="chile", show_default=True,
              help="Quality scheme of survey estimates: INE Chile 2020 or ECLAC 2023 (as R package calidad).")
@click.option("--min-n", "min_n", type=int, default=30, show_default=True,
              help="Suppress cells with fewer unweighted sample cases (plus secondary suppression).")
@click.option("--calibrate", metavar="TOTALS", default=None,
              help="Rake the survey's weights to population totals before estimating: 'ine' (INE projections by "
                   "region x sex x age group and INE/SERMIG foreign residents by nationality, of the survey's year), "
                   "an ine:YEAR:VARIABLES:nationality:MIN_AGE spec, or a totals file (term,level,total). The methods "
                   "section says so, with the weights before and after; standard errors account for it.")
@click.option("--small-areas", is_flag=True,
              help="Add the section 'By comuna (model-based)': Fay-Herriot estimates per comuna of the highlighted "
                   "region with intervals and the method stated (shipped data: persons born in Colombia in "
                   "Antofagasta's comunas, from a SYNTHETIC comuna survey and the 2017 census).")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="Data engine of the survey estimates: duckdb (in this process) or spark (a Spark session, local "
                   "or a cluster; needs the corridor[spark] extra and Java 17+). Both give the same table.")
@click.option("--spark-master", metavar="URL",
              help="Spark master URL (with --engine spark), e.g. local[4] or spark://host:7077. Default: the "
                   "process's active session, else local[2].")
@click.option("--spark-handover", metavar="DIR", type=click.Path(file_okay=False),
              help="Folder where the harmonized survey is written as Parquet for Spark to read, and where Spark writes "
                   "the medians' rows for corridor to read (with --engine spark). Default: a temporary folder, removed "
                   "at the end. On a cluster, a folder the driver and every worker read at the same path (a shared "
                   "mount); also CORRIDOR_SPARK_HANDOVER.")
@click.option("--memory-limit", metavar="SIZE", default=None,
              help="DuckDB working memory, e.g. 4GB (default 512MB; beyond it large scans spill to a temporary "
                   "directory). Engine duckdb only.")
@click.option("--no-pdf", is_flag=True, help="Skip the PDF (faster).")
@click.option("--quiet", is_flag=True, help="No progress messages on stderr.")
def command(origin: str, destination: str, region: str | None, langs: tuple[str, ...], out: Path, data: str | None,
            scheme: str, min_n: int, calibrate: str | None, small_areas: bool, engine: str, spark_master: str | None,
            spark_handover: str | None, memory_limit: str | None, no_pdf: bool, quiet: bool) -> None:
    from corridor.engine import get_engine
    from corridor.report import build_profile, write_profile

    progress = _Progress(quiet)
    try:
        languages = flat_langs(langs)
        spark = {k: v for k, v in (("master", spark_master), ("handover", spark_handover)) if v}
        if engine == "spark":
            if memory_limit:
                raise click.UsageError(t("cli.profile.memory_limit_spark"))
            eng = get_engine("spark", **spark)
        else:
            eng = get_engine("duckdb", **({"memory_limit": memory_limit} if memory_limit else {}))
        profile = build_profile(origin, destination, region=region, data=data, scheme=scheme, min_n=min_n, progress=progress,
                                small_areas=small_areas, calibrate=calibrate, engine=eng)
        written = {}
        for lang in languages:
            folder = out / lang if len(languages) > 1 else out
            written[lang] = write_profile(profile, folder, lang, pdf=not no_pdf, progress=progress)
    except CorridorError as exc:
        echo_error(exc)
        sys.exit(2)
    progress(t("cli.profile.done", rows=len(profile.table), scans=profile.scans, langs=", ".join(languages)))
    for lang, paths in written.items():
        for kind, path in paths.items():
            click.echo(f"{kind:8s} {path}" if len(written) == 1 else f"{lang}  {kind:8s} {path}")
