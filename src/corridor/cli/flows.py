"""``corridor flows``: migration flows from stocks, administrative series and indices."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import click
import numpy as np

from corridor.errors import ColumnNotFoundError, InputError, SourceError
from corridor.i18n import Message, current, localize_number, t

FORMATS = click.Choice(["text", "csv", "json"])


def _pct(level: float) -> str:
    from babel.numbers import format_percent

    from corridor.i18n import LOCALES

    return format_percent(level, locale=LOCALES.get(current(), "en_GB"))


def _int(n: int) -> str:
    return localize_number(f"{n:,}", current())


def _num(x: float) -> str:
    return localize_number(f"{x:g}", current())


def _emit(rows: list[dict[str, Any]], fmt: str, header: list[str] | None = None, notes: list[str] | None = None) -> None:
    if fmt == "json":
        click.echo(json.dumps({"rows": rows, "notes": notes or []}, indent=2, default=float, ensure_ascii=False))
        return
    cols = header or (list(rows[0]) if rows else [])
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
        click.echo(buf.getvalue().rstrip("\n"))
        return
    def cell(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            return localize_number(f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}", current())
        return str(v)
    table = [[cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(line[i]) for line in table)) if table else len(c) for i, c in enumerate(cols)]
    click.echo("  ".join(c.rjust(w) for c, w in zip(cols, widths)))
    for line in table:
        click.echo("  ".join(v.rjust(w) for v, w in zip(line, widths)))
    for note in notes or []:
        click.echo(Message("cli.note", note=note).render())


@click.group(name="flows")
def command() -> None:
    """Migration flows: estimated from stock tables (with intervals), administrative series, indices.

    \b
    Examples:
      corridor flows stocks --origin COL --destination CHL
      corridor flows stocks --origin VEN --destination CHL --method diff-return --relative-error 0.05
      corridor flows demo --origin COL --destination CHL --demography vital.csv
      corridor flows permits --file residencias_2023.csv --nationality COL --by region
      corridor flows indices --file flows.csv
    """


def _common_interval_options(f):
    from corridor.flows.uncertainty import DEFAULT_REL_ERROR, DEFAULT_RESAMPLES, DEFAULT_SEED

    f = click.option("--seed", "random_seed", type=int, default=DEFAULT_SEED, show_default=True,
                     help="Random seed of the resampling (results are reproducible).")(f)
    f = click.option("--distribution", type=click.Choice(["gamma", "normal", "lognormal"]), default="gamma",
                     show_default=True, help="Distribution of each resampled stock (mean = published value).")(f)
    f = click.option("--level", type=float, default=0.95, show_default=True, help="Confidence level of the intervals.")(f)
    f = click.option("--resamples", type=int, default=DEFAULT_RESAMPLES, show_default=True,
                     help="Number of parametric resamples of the stocks (the corridor profile uses the "
                          "same default, so a flow has one interval).")(f)
    f = click.option("--relative-error", type=float, default=DEFAULT_REL_ERROR, show_default=True,
                     help="Assumed relative error (coefficient of variation) of each bilateral stock; "
                          "0 gives point estimates only.")(f)
    f = click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help="Output format.")(f)
    return f


@command.command("stocks")
@click.option("--origin", required=True, help="Country of birth, ISO 3166-1 alpha-3 (e.g. COL).")
@click.option("--destination", required=True, help="Country of residence, ISO alpha-3 (e.g. CHL).")
@click.option("--method", type=click.Choice(["diff-zero", "diff-return", "dennett"]), default="diff-zero",
              show_default=True,
              help="diff-zero: increases in the bilateral stock (decreases = 0); diff-return: decreases "
                   "of the reverse stock count as returns; dennett: start-stock shares of the global "
                   "flow sum |change in residence totals|.")
@_common_interval_options
def stocks_cmd(origin: str, destination: str, method: str, fmt: str, relative_error: float, resamples: int,
               level: float, distribution: str, random_seed: int) -> None:
    """Flows from ORIGIN to DESTINATION by period from the shipped UN DESA bilateral stocks (1990-2019).

    Needs no births or deaths. Each period's flow comes with a percentile interval
    from resampling every bilateral stock with the given relative error.
    """
    from corridor.flows.undesa import SOURCE_2019, corridor_flows

    rows = corridor_flows(origin, destination, method=method, rel_error=relative_error, n_resamples=resamples,
                          level=level, random_state=random_seed, distribution=distribution)
    notes = [
        t("cli.flows.note_source_stocks", source=SOURCE_2019),
        t("cli.flows.note_interval_stocks", level=_pct(level), resamples=_int(resamples), distribution=distribution,
          error=_num(relative_error)),
    ]
    _emit(rows, fmt, ["period", "origin", "destination", "stock_start", "stock_end", "flow", "lower", "upper", "se"], notes)


def _read_demography(path: Path, years: list[int]) -> dict[str, dict[int, dict[str, float]]]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise SourceError(Message("cli.err.unreadable", path=str(path), error=str(exc.strerror)),
                          hint=Message("cli.err.unreadable.hint")) from None
    need = ["year", "iso3", "population", "births", "deaths"]
    if not rows:
        raise InputError(Message("cli.err.empty", path=str(path)), hint=Message("cli.err.empty.hint_demography"))
    missing = [c for c in need if c not in rows[0]]
    if missing:
        raise ColumnNotFoundError.from_names(missing, list(rows[0]), where=str(path))
    out: dict[str, dict[int, dict[str, float]]] = {}
    for line, r in enumerate(rows, start=2):
        try:
            y = int(r["year"])
            vals = {k: float(r[k]) if r[k] not in ("", None) else np.nan for k in ("population", "births", "deaths")}
        except ValueError:
            raise InputError(Message("cli.err.demography_number", path=str(path), line=line),
                             hint=Message("cli.err.demography_number.hint")) from None
        out.setdefault(r["iso3"].strip().upper(), {})[y] = vals
    for iso, by_year in out.items():
        absent = [y for y in years if y not in by_year]
        if absent:
            raise InputError(Message("cli.err.demography_years", path=str(path), iso=iso,
                                     years=", ".join(map(str, absent))),
                             hint=Message("cli.err.demography_years.hint", years=", ".join(map(str, years))))
    return out


@command.command("demo")
@click.option("--origin", required=True, help="Country of birth, ISO alpha-3.")
@click.option("--destination", required=True, help="Country of residence, ISO alpha-3.")
@click.option("--demography", "demography", required=True, type=click.Path(path_type=Path),
              help="CSV with columns year, iso3, population, births, deaths: population at each stock year "
                   "(1990, 1995, ..., 2019) and births/deaths over the period starting that year. The "
                   "countries listed form the system.")
@click.option("--match-birthplace", type=click.Choice(["rescale", "open", "open-dr", "rescale-adjust-zero-fb"]),
              default="rescale", show_default=True, help="How birthplace totals are made to match (migest).")
@click.option("--no-stayers", is_flag=True, help="Independence model instead of the minimum-migration (stayer) model.")
@click.option("--death-method", type=click.Choice(["proportion", "accounting"]), default="proportion",
              show_default=True, help="Deaths by birthplace: in proportion to the start stocks, or by accounting "
                                      "(an IPF fit to deaths by birthplace and by residence).")
@click.option("--solver", type=click.Choice(["auto", "ipf", "newton"]), default="auto", show_default=True,
              help="Fit of the birthplace-total rescaling: IPF (migest's iterations), Newton, or auto "
                   "(IPF up to 60 countries).")
@click.option("--tol", type=float, default=1e-3, show_default=True,
              help="IPF tolerance: largest change of a fitted cell between sweeps (migest/mipfp).")
@click.option("--maxit", type=int, default=100_000, show_default=True, help="IPF iteration limit.")
@click.option("--death-tol", type=float, default=1e-5, show_default=True,
              help="Tolerance of the deaths fit (--death-method accounting): largest margin gap.")
@click.option("--death-maxit", type=int, default=500, show_default=True,
              help="Iteration limit of the deaths fit (--death-method accounting).")
@click.option("--newton-tol", type=float, default=1e-10, show_default=True,
              help="Newton tolerance: largest margin gap relative to the table total.")
@click.option("--newton-maxit", type=int, default=30, show_default=True, help="Newton iteration limit.")
@click.option("--on-nonconvergence", type=click.Choice(["raise", "warn"]), default="raise", show_default=True,
              help="A fit that does not meet its tolerance: stop with an error (raise) or keep its last "
                   "iterate and flag every row 'not_converged' (warn).")
@_common_interval_options
def demo_cmd(origin: str, destination: str, demography: Path, match_birthplace: str, no_stayers: bool,
             death_method: str, solver: str, tol: float, maxit: int, death_tol: float, death_maxit: int,
             newton_tol: float, newton_maxit: int, on_nonconvergence: str, fmt: str,
             relative_error: float, resamples: int, level: float, distribution: str, random_seed: int) -> None:
    """Demographic-accounting flows (Abel's method) from UN DESA stocks plus your births and deaths.

    Native-born stocks are population minus the foreign-born stock. The relative
    error applies to the foreign-born (bilateral) stocks. Every iterative fit reports its
    iterations and final gap in the notes; one that does not converge is an error (or, with
    --on-nonconvergence warn, flags the rows).
    """
    from corridor.flows.uncertainty import ffs_demo_intervals
    from corridor.flows.undesa import load_bilateral_2019

    data = load_bilateral_2019()
    demo = _read_demography(demography, data.years)
    keep = [k for k, iso in enumerate(data.iso3) if iso in demo]
    if len(keep) < 2:
        raise InputError(Message("cli.err.demography_countries", path=str(demography)),
                         hint=Message("cli.err.demography_countries.hint"))
    codes = [data.iso3[k] for k in keep]
    for c in (origin.upper(), destination.upper()):
        if c not in codes:
            raise InputError(Message("cli.err.demography_country", iso=c, path=str(demography)),
                             hint=Message("cli.err.demography_country.hint"))
    s = data.stocks[:, keep][:, :, keep].copy()
    n_years, n = s.shape[0], s.shape[1]
    idx = np.arange(n)
    pop = np.array([[demo[c][y]["population"] for c in codes] for y in data.years])
    native = pop - s.sum(axis=1)
    if (native < 0).any():
        y, k = (int(v) for v in np.argwhere(native < 0)[0])
        raise InputError(Message("cli.err.population_below_stock", iso=codes[k], year=int(data.years[y]),
                                 population=float(pop[y, k]), stock=float(s[y].sum(axis=0)[k])),
                         hint=Message("cli.err.population_below_stock.hint"))
    s[:, idx, idx] = native
    births = np.array([[demo[c][y]["births"] for c in codes] for y in data.years[:-1]])
    deaths = np.array([[demo[c][y]["deaths"] for c in codes] for y in data.years[:-1]])
    rel = np.full((n, n), relative_error)
    rel[idx, idx] = 0.0
    i, j = codes.index(origin.upper()), codes.index(destination.upper())
    res = ffs_demo_intervals(
        s, births, deaths, rel_error=rel, n_resamples=resamples, level=level, random_state=random_seed,
        distribution=distribution, select=lambda x: x[..., i, j], labels=codes,  # type: ignore[arg-type]
        match_birthplace_tot_method=match_birthplace, stayer_assumption=not no_stayers, death_method=death_method,
        solver=solver, tol=tol, maxit=maxit, death_tol=death_tol, death_maxit=death_maxit, newton_tol=newton_tol,
        newton_maxit=newton_maxit, on_nonconvergence=on_nonconvergence,
    )
    flag = ",".join(res.flags) or None
    rows = [{
        "period": f"{data.years[p]}-{data.years[p + 1]}", "origin": codes[i], "destination": codes[j],
        "flow": float(res.point[p]), "lower": float(res.lower[p]), "upper": float(res.upper[p]), "se": float(res.se[p]),
        "flag": flag,
    } for p in range(n_years - 1)]
    notes = [
        t("cli.flows.note_source_demo", source=data.source, file=str(demography)),
        t("cli.flows.note_system", countries=n, file=str(demography), match=match_birthplace,
          model=t("cli.flows.model_independence" if no_stayers else "cli.flows.model_stayers")),
        t("cli.flows.note_interval_demo", level=_pct(level), resamples=_int(resamples), distribution=distribution,
          error=_num(relative_error)),
        *(t("cli.flows.note_fit", fit=c.message()) for c in res.convergence),
    ]
    if res.flags:
        batches = res.settings.get("resample_batches_not_converged", 0)
        notes.append(t("cli.flows.note_not_converged", batches=batches))
    _emit(rows, fmt, ["period", "origin", "destination", "flow", "lower", "upper", "se", "flag"], notes)


@command.command("permits")
@click.option("--file", "path", required=True, type=click.Path(path_type=Path),
              help="SERMIG residence-permit table (semicolon-separated; columns comuna, cut_comuna, region, "
                   "cut_region, año, pais, n, residencia, estado).")
@click.option("--nationality", help="ISO alpha-3 code or Spanish name (e.g. COL).")
@click.option("--by", default="nationality", show_default=True,
              help="Comma-separated groups: nationality, region, comuna, permit, status.")
@click.option("--region", help="Keep one region (name as in the file, e.g. Antofagasta).")
@click.option("--permit", type=click.Choice(["Temporal", "Definitiva"]), help="Temporary or permanent residence.")
@click.option("--status", type=click.Choice(["Otorgadas", "Acogidas"]), help="Granted or accepted for processing.")
@click.option("--top", type=int, default=0, help="Show only the largest N groups (0 = all).")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help="Output format.")
def permits_cmd(path: Path, nationality: str | None, by: str, region: str | None, permit: str | None,
                status: str | None, top: int, fmt: str) -> None:
    """Residence permits by nationality, area and period (SERMIG administrative data)."""
    from corridor.harmonize.admin import sermig_permits

    groups = tuple(b.strip() for b in by.split(",") if b.strip())
    series = sermig_permits(path, by=groups, nationality=nationality, region=region, permit=permit, status=status)
    rows = sorted(series.rows, key=lambda r: -r["count"])
    if top > 0:
        rows = rows[:top]
    header = [*groups, *(["iso3"] if "nationality" in groups or nationality else []), "period", "count", "change", "pct_change"]
    _emit(rows, fmt, header, [t("cli.flows.note_source", source=series.source)])


@command.command("indices")
@click.option("--file", "path", required=True, type=click.Path(path_type=Path),
              help="CSV of flows in long form (origin, destination, flow columns).")
@click.option("--origin-col", default="orig", show_default=True)
@click.option("--dest-col", default="dest", show_default=True)
@click.option("--flow-col", default="flow", show_default=True)
@click.option("--uncorrected", is_flag=True, help="Plane & Mulligan's Gini denominator instead of Bell et al.'s.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help="Output format.")
def indices_cmd(path: Path, origin_col: str, dest_col: str, flow_col: str, uncorrected: bool, fmt: str) -> None:
    """Connectivity, inequality and Gini spatial-focusing indices of a flow matrix (Bell et al. 2002)."""
    from corridor.flows.indices import index_connectivity, matrix_from_long

    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except OSError as exc:
        raise SourceError(Message("cli.err.unreadable", path=str(path), error=str(exc.strerror)),
                          hint=Message("cli.err.unreadable.hint")) from None
    if not rows:
        raise InputError(Message("cli.err.empty", path=str(path)), hint=Message("cli.err.empty.hint_flows"))
    missing = [c for c in (origin_col, dest_col, flow_col) if c not in rows[0]]
    if missing:
        raise ColumnNotFoundError.from_names(missing, list(rows[0]), where=str(path))
    try:
        values = [float(r[flow_col]) for r in rows]
    except ValueError:
        raise InputError(Message("cli.err.flows_number", path=str(path), column=repr(flow_col)),
                         hint=Message("cli.err.flows_number.hint")) from None
    m, _ = matrix_from_long([r[origin_col] for r in rows], [r[dest_col] for r in rows], values)
    res = index_connectivity(m, gini_corrected=not uncorrected)
    _emit([{"measure": k, "value": v} for k, v in res.items()], fmt, ["measure", "value"])
