"""The command line's language and its way of printing errors, shared by every command."""

from __future__ import annotations

from typing import Any

import click

from corridor import i18n
from corridor.errors import CorridorError
from corridor.i18n import t

LANG_HELP = "Language of messages: es, fr or en (default: CORRIDOR_LANG, else the system locale, else en)."


class Languages(click.ParamType):
    """``es``, ``es,fr,en``: languages corridor writes, in the order given."""

    name = "LANG[,LANG...]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, ...]:
        if isinstance(value, tuple | list):
            return tuple(value)
        parts = [p.strip().lower() for p in str(value).split(",") if p.strip()]
        bad = [p for p in parts if p not in i18n.LANGS]
        if bad or not parts:
            self.fail(t("cli.bad_lang", value=bad[0] if bad else value), param, ctx)
        return tuple(parts)


def flat_langs(values: Any) -> list[str]:
    """The languages of a repeated ``--lang`` of type :class:`Languages`, without repeats."""
    out: list[str] = []
    for v in values or ():
        for lang in (v if isinstance(v, tuple | list) else (v,)):
            if lang not in out:
                out.append(lang)
    return out


def set_message_language(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Callback of ``--lang``: messages in that language from now on (the first, when several are given).

    A command's own default (``profile``'s English documents) does not override the language the
    user chose with ``corridor --lang`` or ``CORRIDOR_LANG``."""
    if param.name and ctx.get_parameter_source(param.name) is click.core.ParameterSource.DEFAULT:
        return value
    langs = flat_langs(value) if isinstance(value, tuple | list) else ([value] if value else [])
    if langs:
        i18n.set_language(langs[0])
    return value


class _Formatter(click.HelpFormatter):
    def write_heading(self, heading: str) -> None:
        # "Options:" in English, "Options :" in French
        self.write(f"{'':>{self.current_indent}}{t('click.heading', heading=heading)}\n")


class Context(click.Context):
    """click's context with headings of ``--help`` written as the language writes them."""

    formatter_class = _Formatter


def add_lang_option(command: click.Command) -> click.Command:
    """``command`` (and every sub-command of a group) with a ``--lang`` option for its messages.

    A command that has its own ``--lang`` (the languages of the documents it writes) keeps it;
    its first language is then the language of the messages too."""
    command.context_class = Context
    _help_in_language(command)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_lang_option(sub)
    own = [p for p in command.params if "--lang" in getattr(p, "opts", ())]
    if not own:
        command.params.append(click.Option(["--lang", "message_lang"], type=click.Choice(i18n.LANGS), expose_value=False,
                                           is_eager=True, callback=set_message_language, help=LANG_HELP))
    elif own[0].callback is None:
        own[0].callback = set_message_language
    return command


def _help_in_language(command: click.Command) -> None:
    # click builds the --help option once, possibly before --lang is read; its text is read again when shown
    if getattr(command, "_corridor_help", False):
        return
    built = command.get_help_option

    def get_help_option(ctx: click.Context) -> click.Option | None:
        option = built(ctx)
        if option is not None:
            option.help = i18n.text("click.help_option")
        return option

    command.get_help_option = get_help_option  # type: ignore[method-assign]
    command._corridor_help = True  # type: ignore[attr-defined]


def echo_error(exc: CorridorError, *, verbose: bool = False) -> None:
    """A corridor error on stderr: the message, the hint, and the reader's own text when asked for."""
    click.secho(t("cli.error", message=exc.message), err=True, fg="red")
    if exc.hint:
        click.echo(t("cli.hint", hint=exc.hint), err=True)
    if exc.detail and verbose:
        click.echo(t("cli.detail") + "\n" + exc.detail.rstrip(), err=True)
    elif exc.detail:
        click.echo(t("cli.detail_verbose"), err=True)


def _click_key(msgid: str) -> str | None:
    return _click_keys().get(msgid)


_CLICK_KEYS: dict[str, str] = {}


def _click_keys() -> dict[str, str]:
    if not _CLICK_KEYS:
        _CLICK_KEYS.update({e.source: k for k, e in i18n.entries("en").items() if k.startswith("click.")})
    return _CLICK_KEYS


def _click_gettext(msgid: str) -> str:
    key = _click_key(msgid)
    return i18n.text(key) if key else msgid


def _click_ngettext(singular: str, plural: str, n: int) -> str:
    return _click_gettext(singular if n == 1 else plural)


def translate_click() -> None:
    """Click marks its own texts (usage, parse errors, ``--help``) for gettext; they read from
    corridor's catalogue (entries ``click.*``, whose English is click's text) in the current language."""
    import importlib

    for name in ("core", "exceptions", "formatting", "parser", "types", "decorators", "termui", "utils"):
        module = importlib.import_module(f"click.{name}")
        if getattr(module, "_", None) is not None:
            module._ = _click_gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is not None:
            module.ngettext = _click_ngettext  # type: ignore[attr-defined]
