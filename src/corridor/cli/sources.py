"""``corridor sources``: describe a data file, check a harmonization spec against its file."""

from __future__ import annotations

import json
from typing import Any

import click

from corridor.i18n import Message, t
from corridor.sources.describe import describe, describe_text
from corridor.sources.read import FORMATS, read_source

RENAME_HELP = ("Rename a column of the file by position (counting from 1), repeatable, e.g. --rename 7=expr_2021; "
               "needed when two columns share a name.")


def parse_renames(items: tuple[str, ...] | list[str]) -> dict[Any, str]:
    """``--rename POS=NAME`` (or ``OLD=NEW``) options as the readers' ``rename`` mapping."""
    rename: dict[Any, str] = {}
    for item in items:
        key, eq, new = item.partition("=")
        if not eq or not new:
            raise click.BadParameter(t("cli.rename_format", value=item), param_hint="--rename")
        rename[int(key) if key.strip().isdigit() else key.strip()] = new.strip()
    return rename


def _options(encoding: str | None, delimiter: str | None, sheet: str | None, header_row: int | None) -> dict:
    opts: dict = {}
    if encoding:
        opts["encoding"] = encoding
    if delimiter:
        opts["delimiter"] = delimiter
    if sheet is not None:
        opts["sheet"] = int(sheet) if sheet.isdigit() else sheet
    if header_row is not None:
        opts["header_row"] = header_row
    return opts


@click.group("sources")
def command() -> None:
    """Read data files and check harmonization specs."""


@command.command("describe")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="File format (default: from the extension).")
@click.option("--encoding", help="Text encoding of a CSV file (default utf-8), e.g. latin-1.")
@click.option("--delimiter", help="CSV delimiter (default: detected from the header).")
@click.option("--decimal", type=click.Choice([".", ","]), help="Decimal mark of a CSV file's numbers (',' for 1,5).")
@click.option("--sheet", help="XLSX sheet name or number (0 = first).")
@click.option("--header-row", type=int, help="XLSX header row (1-based).")
@click.option("--rename", "renames", multiple=True, metavar="POS=NAME", help=RENAME_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def describe_cmd(file: str, fmt: str | None, encoding: str | None, delimiter: str | None, decimal: str | None,
                 sheet: str | None, header_row: int | None, renames: tuple[str, ...], as_json: bool) -> None:
    """Columns, types, labels, missing and distinct counts, and frequent values of FILE."""
    opts = _options(encoding, delimiter, sheet, header_row)
    if renames:  # the duplicate-column error's hint names --rename: describe takes it as estimate does
        opts["rename"] = parse_renames(renames)
    src = read_source(file, fmt, **opts, decimal=decimal)
    info = describe(src)
    click.echo(json.dumps(info, ensure_ascii=False, default=str, indent=2) if as_json else describe_text(info))


@command.command("check")
@click.argument("spec")
@click.option("--file", "file", type=click.Path(dir_okay=False), help="Data file (default: the file the spec names).")
@click.option("--unknown", type=click.Choice(["error", "missing", "reject"]), help="Override the spec's action for unknown codes.")
@click.option("--json", "as_json", is_flag=True, help="Print the ledger and design as JSON.")
def check_cmd(spec: str, file: str | None, unknown: str | None, as_json: bool) -> None:
    """Apply SPEC (a shipped spec's name or a YAML path) to its file and print the row ledger."""
    from corridor.harmonize import harmonize

    h = harmonize(file, spec, unknown=unknown)
    if as_json:
        click.echo(json.dumps({"spec": h.spec, "columns": h.types, "design": h.design, "ledger": h.ledger.as_dict()},
                              ensure_ascii=False, default=str, indent=2))
        return
    click.echo(Message("cli.sources.spec_columns", spec=h.spec, count=len(h.columns), columns=", ".join(h.columns)).render())
    design = {k: v for k, v in h.design.items() if v not in (None, False)}
    click.echo(Message("cli.sources.design", design=", ".join(f"{k}={v}" for k, v in design.items())).render())
    click.echo(h.ledger.to_text())


@command.command("specs")
def specs_cmd() -> None:
    """List the specs shipped with corridor."""
    from corridor.harmonize import list_specs, load_spec

    for name in list_specs():
        click.echo(f"{name:<40} {load_spec(name).title}")
