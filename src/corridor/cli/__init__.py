"""The ``corridor`` command line.

Each sub-command lives in its own module of this package and exposes a click
object named ``command``. Modules are imported only when their command runs,
so ``corridor --help`` and the light core never import an optional extra;
:class:`~corridor.errors.CorridorError` becomes a message and exit status 2.
"""

from __future__ import annotations

import importlib
import sys
from difflib import get_close_matches

import click

from corridor.errors import CorridorError, UnsupportedError

# name -> (module defining ``command``, one-line help shown by ``corridor --help``)
_COMMANDS: dict[str, tuple[str, str]] = {
    "profile": ("corridor.cli.profile", "The corridor profile: HTML, PDF and indicator table in es/fr/en."),
    "estimate": ("corridor.cli.estimate", "Design-based estimates (totals, means, proportions, ratios, quantiles)."),
    "quality": ("corridor.cli.quality", "Quality inputs and labels as INE Chile's calidad (INE, ECLAC schemes)."),
    "calibrate": ("corridor.cli.calibrate", "Calibrate survey weights to population totals (linear, raking, logit, rake)."),
    "sources": ("corridor.cli.sources", "Describe files and check harmonization specs, with the row ledger."),
    "rates": ("corridor.cli.rates", "Disease rates: crude, age-standardised, indirect, rate ratios."),
    "flows": ("corridor.cli.flows", "Migration flows: from stocks (migest methods) with intervals, permits, indices."),
    "serve": ("corridor.cli.serve", "The web service and dashboard (profiles, catalogue, programme, API)."),
    "programme": ("corridor.cli.programme", "The binational programme: load, import trainings, progress, report."),
    "small-areas": ("corridor.cli.small_areas", "Small-area (Fay-Herriot) estimates from direct estimates per area."),
}


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in _COMMANDS:
            return None
        module, short = _COMMANDS[name]
        if ctx.resilient_parsing or "--help" in sys.argv[1:2]:
            # top-level help: describe without importing
            return click.Command(name, help=short, short_help=short)
        try:
            return importlib.import_module(module).command
        except ImportError as exc:
            missing = exc.name or "a package"
            raise click.ClickException(
                f"'corridor {name}' needs {missing!r}, which is not installed; "
                f"install the extras with `pip install 'corridor[all]'`"
            ) from exc

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in _COMMANDS:
            near = get_close_matches(name, list(_COMMANDS), n=2, cutoff=0.6)
            hint = f" Did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
            ctx.fail(f"No such command {name!r}.{hint} The commands are: {', '.join(sorted(_COMMANDS))}.")
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CorridorError as exc:
            click.secho(f"error: {exc.message}", err=True, fg="red")
            if exc.hint:
                click.echo(f"hint: {exc.hint}", err=True)
            if exc.detail and ctx.meta.get("corridor.verbose"):
                click.echo("the reader's own message:\n" + exc.detail.rstrip(), err=True)
            elif exc.detail:
                click.echo("(--verbose shows the reader's own message)", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="corridor")
def main() -> None:
    """corridor: migration-corridor statistics with correct survey standard errors.

    Design-based estimates (totals, means, proportions, ratios, quantiles,
    domain contrasts) from survey microdata, corridor profiles, disease rates,
    flows and programme monitoring, in Spanish, French and English.
    """


__all__ = ["UnsupportedError", "main"]
