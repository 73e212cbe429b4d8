"""The ``corridor`` command line.

Each sub-command lives in its own module of this package and exposes a click
object named ``command``. Modules are imported only when their command runs,
so ``corridor --help`` and the light core never import an optional extra;
:class:`~corridor.errors.CorridorError` becomes a message and exit status 2.

Messages follow the user's language: ``--lang`` (on ``corridor`` or on any command), else
``CORRIDOR_LANG``, else the system locale (LC_ALL, LC_MESSAGES, LANG), else English.
"""

from __future__ import annotations

import importlib
import sys
from difflib import get_close_matches

import click

from corridor import i18n
from corridor.cli._messages import (
    LANG_HELP,
    Context,
    add_lang_option,
    echo_error,
    help_in_language,
    set_message_language,
    translate_click,
)
from corridor.errors import CorridorError, UnsupportedError
from corridor.i18n import t

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
    context_class = Context
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in _COMMANDS:
            return None
        module, short = _COMMANDS[name]
        if ctx.resilient_parsing or "--help" in sys.argv[1:2]:
            # top-level help: describe without importing
            short = help_in_language(f"cli.summary.{name}", short) or short
            return click.Command(name, help=short, short_help=short)
        try:
            command = importlib.import_module(module).command
        except ImportError as exc:
            raise click.ClickException(t("cli.missing_extra", command=name, module=exc.name or "?")) from exc
        return add_lang_option(command, name)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in _COMMANDS:
            near = get_close_matches(name, list(_COMMANDS), n=2, cutoff=0.6)
            hint = (" " + t("cli.did_you_mean", names=i18n.join([repr(n) for n in near], style="or"))) if near else ""
            ctx.fail(t("cli.no_such_command", name=name, hint=hint, commands=", ".join(sorted(_COMMANDS))))
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except CorridorError as exc:
            echo_error(exc, verbose=bool(ctx.meta.get("corridor.verbose")))
            sys.exit(2)

    def main(self, *args, **kwargs):
        # the environment's language until a --lang says otherwise (click's own parse errors included)
        translate_click()
        with i18n.language(i18n.from_environment(system_locale=True)):
            return super().main(*args, **kwargs)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="corridor")
@click.option("--lang", type=click.Choice(i18n.LANGS), callback=set_message_language, expose_value=False,
              is_eager=True, help=LANG_HELP)
def main() -> None:
    """corridor: migration-corridor statistics with correct survey standard errors.

    Design-based estimates (totals, means, proportions, ratios, quantiles,
    domain contrasts) from survey microdata, corridor profiles, disease rates,
    flows and programme monitoring, in Spanish, French and English.
    """


__all__ = ["UnsupportedError", "main"]


add_lang_option(main, "corridor")
