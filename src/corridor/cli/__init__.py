"""The ``corridor`` command line.

Each sub-command lives in its own module of this package and exposes a click
object named ``command``; this module only assembles them and turns
:class:`~corridor.errors.CorridorError` into a message and exit status 2.
"""

from __future__ import annotations

import importlib
import sys

import click

from corridor.errors import CorridorError

# (module, command name): each module defines ``command``.
_COMMANDS: tuple[tuple[str, str], ...] = (
    ("corridor.cli.estimate", "estimate"),
    ("corridor.cli.programme", "programme"),
    ("corridor.cli.sources", "sources"),
    ("corridor.cli.rates", "rates"),
)


class _Group(click.Group):
    def invoke(self, ctx: click.Context):  # noqa: ANN201
        try:
            return super().invoke(ctx)
        except CorridorError as exc:
            click.secho(f"error: {exc.message}", err=True, fg="red")
            if exc.hint:
                click.echo(f"hint: {exc.hint}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="corridor")
def main() -> None:
    """corridor: migration-corridor statistics with correct survey standard errors.

    Design-based estimates (totals, means, proportions, ratios, quantiles,
    domain contrasts) from survey microdata, corridor profiles, disease rates,
    flows and programme monitoring, in Spanish, French and English.
    """


for _module, _name in _COMMANDS:
    main.add_command(importlib.import_module(_module).command, _name)
