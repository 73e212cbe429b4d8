"""The command line's language and its way of printing errors, shared by every command."""

from __future__ import annotations

import inspect
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


def add_lang_option(command: click.Command, path: str | None = None) -> click.Command:
    """``command`` (and every sub-command of a group) with a ``--lang`` option for its messages,
    and its ``--help`` read from the catalogue in the current language.

    A command that has its own ``--lang`` (the languages of the documents it writes) keeps it;
    its first language is then the language of the messages too."""
    path = path or command.name or "corridor"
    command.context_class = Context
    _help_in_language(command)
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            add_lang_option(sub, f"{path}.{name}")
    own = [p for p in command.params if "--lang" in getattr(p, "opts", ())]
    if not own:
        command.params.append(click.Option(["--lang", "message_lang"], type=click.Choice(i18n.LANGS), expose_value=False,
                                           is_eager=True, callback=set_message_language, help=LANG_HELP))
    elif own[0].callback is None:
        own[0].callback = set_message_language
    _texts_in_language(command, path)
    return command


# --- help texts from the catalogue ----------------------------------------------------------------------
#
# The English text stays in the code beside its option (click reads it there); the catalogue holds it
# under an id made of the command's path: cli.help.PATH (the command's text), cli.short.PATH (its line
# in its group's list), cli.epilog.PATH, cli.option.PATH.PARAM, cli.summary.NAME (its line in
# `corridor --help`). A text whose English changed in the code and not in the catalogue shows in
# English (as gettext does with a stale entry); the tests hold both in step.


def help_key(kind: str, path: str, param: str | None = None) -> str:
    """The catalogue id of a help text: ``kind`` is help, short, epilog, option or summary."""
    return f"cli.{kind}.{path}" + (f".{param}" if param else "")


def help_source(text: str) -> str:
    """A help text as the catalogue keeps it: without the code's indentation and click's ``\\b`` lines
    (which keep a paragraph, such as an example, from being re-wrapped)."""
    paras = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(p.removeprefix("\b\n") for p in paras)


def help_in_language(key: str, text: str | None) -> str | None:
    """``text`` (the English of the code) in the current language, from the catalogue entry ``key``.

    Paragraphs that click must not re-wrap in English keep that mark in the translation (the
    translation has the same paragraphs)."""
    if not text:
        return text
    lang = i18n.current()
    entry = i18n.entries("en").get(key)
    if lang == "en" or entry is None or entry.source != help_source(text):
        return text
    translated = i18n.catalogue(lang)[key]
    paras = inspect.cleandoc(text).split("\n\n")
    out = translated.split("\n\n")
    if len(out) != len(paras):
        return translated
    return "\n\n".join(("\b\n" + o) if p.startswith("\b\n") else o for p, o in zip(paras, out, strict=True))


def help_texts(command: click.Command, path: str) -> dict[str, str]:
    """Every help text of ``command`` (not of its sub-commands) by catalogue id, in the code's English."""
    texts = getattr(command, "_corridor_texts", None)
    if texts is not None:
        return dict(texts)
    out = {}
    for kind, text in (("help", command.help), ("short", command.short_help), ("epilog", command.epilog)):
        if text:
            out[help_key(kind, path)] = text
    for p in command.params:
        if isinstance(p, click.Option) and p.help:
            out["cli.option.lang" if p.help == LANG_HELP else help_key("option", path, p.name)] = p.help
    return out


def _texts_in_language(command: click.Command, path: str) -> None:
    """Set ``command``'s help texts in the current language each time they are shown."""
    if getattr(command, "_corridor_texts", None) is not None:
        return
    english = help_texts(command, path)
    command._corridor_texts = english  # type: ignore[attr-defined]
    options = {p: ("cli.option.lang" if p.help == LANG_HELP else help_key("option", path, p.name))
               for p in command.params if isinstance(p, click.Option) and p.help}
    originals = {p: p.help for p in options}

    def in_language() -> None:
        for tp in paths:
            tp.name = _path_name(tp)
        for kind in ("help", "short", "epilog"):
            key = help_key(kind, path)
            if key in english:
                setattr(command, "short_help" if kind == "short" else kind, help_in_language(key, english[key]))
        for p, key in options.items():
            p.help = help_in_language(key, originals[p])

    paths = [p.type for p in command.params if isinstance(p.type, click.Path)]
    for tp in paths:
        _path_named_in_language(tp)

    format_help, short_help = command.format_help, command.get_short_help_str

    def format_help_in_language(ctx: click.Context, formatter: click.HelpFormatter) -> None:
        in_language()
        format_help(ctx, formatter)

    def short_help_in_language(limit: int = 45) -> str:
        in_language()
        return short_help(limit)

    command.format_help = format_help_in_language  # type: ignore[method-assign]
    command.get_short_help_str = short_help_in_language  # type: ignore[method-assign]


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


def _path_name(tp: click.Path) -> str:
    """What a path option takes, in the current language: click names it once, when the command's
    module is imported (the FILE / DIRECTORY of --help, the 'File' of its errors)."""
    if tp.file_okay and not tp.dir_okay:
        return i18n.text("click.file")
    if tp.dir_okay and not tp.file_okay:
        return i18n.text("click.directory")
    return i18n.text("click.path")


def _path_named_in_language(tp: click.Path) -> None:
    if getattr(tp, "_corridor_named", False):
        return
    convert = tp.convert

    def convert_in_language(value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        tp.name = _path_name(tp)
        return convert(value, param, ctx)

    tp.convert = convert_in_language  # type: ignore[method-assign]
    tp._corridor_named = True  # type: ignore[attr-defined]
