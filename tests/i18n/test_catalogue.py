"""The message catalogue itself: complete translations, the same placeholders, every id the code uses."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from corridor import i18n
from corridor.i18n.catalogue import PSEUDO, entries, pseudo

SRC = Path(__file__).resolve().parents[2] / "src" / "corridor"
TRANSLATED = ("es", "fr")


def fields(text: str) -> set[str]:
    return {f"{name}!{conv}" if conv else name for _, name, _, conv in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(lang: str) -> None:
    template, tr = entries("en"), entries(lang)
    missing = [k for k in template if k not in tr or tr[k].text is None]
    stale = [k for k in template if k in tr and tr[k].source != template[k].source]
    extra = [k for k in tr if k not in template]
    assert not missing, f"{lang}: {len(missing)} messages untranslated or fuzzy: {missing[:20]}"
    assert not stale, f"{lang}: translations of an older English text (run scripts/messages.py missing {lang}): {stale[:20]}"
    assert not extra, f"{lang}: ids the template no longer has: {extra[:20]}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders(lang: str) -> None:
    template, tr = entries("en"), entries(lang)
    bad = [k for k, e in template.items() if k in tr and tr[k].text and fields(tr[k].text) != fields(e.source)]
    assert not bad, f"{lang}: placeholders differ from the English in {bad}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_differ_from_english_unless_marked(lang: str) -> None:
    """An 'identical' translation is either a proper title (flagged) or a word the languages share."""
    template, tr = entries("en"), entries(lang)
    same = [k for k, e in template.items()
            if not e.proper and k in tr and tr[k].text == e.source and len(re.findall(r"[A-Za-z]{4,}", e.source)) >= 3]
    assert not same, f"{lang}: left in English: {same}"


def test_french_punctuation_is_spaced() -> None:
    """French puts a (narrow) space before : ; ? ! outside code and URLs."""
    bad = []
    for k, e in entries("fr").items():
        text = e.text or ""
        while re.search(r"\{[^{}]*\}", text):  # fields, and code examples in braces ({column: {code: label}})
            text = re.sub(r"\{[^{}]*\}", "", text)
        text = re.sub(r"`[^`]*`|https?://\S+|\d+:\d+|[a-z]+:[A-Za-z]", "", text)
        if re.search(r"[^\s\u00a0\u202f(][:;?!](\s|$)", text):
            bad.append((k, e.text))
    assert not bad, f"French punctuation without its space: {bad[:10]}"


def test_pseudo_language_keeps_fields_and_markup() -> None:
    assert pseudo("column {name!r} in <b>{where}</b>") == "⟦çóļúɱñ {name!r} íñ <b>{where}</b>⟧"
    for key, e in entries("en").items():
        assert fields(i18n.catalogue(PSEUDO)[key]) == fields(e.source), key


CALLS = {"Message", "t", "text", "get"}


def _catalogue_calls(path: Path) -> list[tuple[str, int]]:
    """Literal ids given to corridor.i18n's Message/t/text/get in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = path.parent == SRC / "i18n"
    names = set(CALLS) if own else set()
    module_aliases = {"i18n"} if own else set()
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and n.module == "corridor.i18n":
            names |= {a.asname or a.name for a in n.names if a.name in CALLS}
        elif isinstance(n, ast.ImportFrom) and n.module == "corridor":
            module_aliases |= {a.asname or a.name for a in n.names if a.name == "i18n"}
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        f = node.func
        hit = (isinstance(f, ast.Name) and f.id in names) or (
            isinstance(f, ast.Attribute) and f.attr in CALLS and isinstance(f.value, ast.Name) and f.value.id in module_aliases)
        first = node.args[0]
        if hit and isinstance(first, ast.Constant) and isinstance(first.value, str):
            out.append((first.value, node.lineno))
    return out


def test_every_message_id_in_the_code_exists() -> None:
    """Every literal id passed to Message / t / text / get is in the catalogue (a typo would show an id)."""
    known = set(entries("en"))
    bad, seen = [], 0
    for path in SRC.rglob("*.py"):
        for key, line in _catalogue_calls(path):
            seen += 1
            if key not in known and f"{key}.other" not in known:
                bad.append(f"{path.relative_to(SRC)}:{line}: {key}")
    assert seen > 10
    assert not bad, "message ids missing from the catalogue:\n" + "\n".join(bad)


def _message_calls(path: Path) -> list[tuple[str, set[str], int]]:
    """``Message("id", name=...)`` calls with a literal id and named parameters only: (id, names, line)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Message" and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                and node.keywords and all(k.arg is not None for k in node.keywords)):
            out.append((node.args[0].value, {str(k.arg) for k in node.keywords}, node.lineno))
    return out


def test_every_message_call_gives_the_fields_of_its_text() -> None:
    """A field the call does not give, or ``count=`` for a text with no plural forms, would show the
    message's id and parameters instead of its text (rendering falls back so as not to hide an error)."""
    en = entries("en")
    forms = ("zero", "one", "two", "few", "many", "other")
    bad = []
    for path in SRC.rglob("*.py"):
        for key, given, line in _message_calls(path):
            keys = [key] if key in en else [k for k in en if k.startswith(key + ".") and k.rsplit(".", 1)[1] in forms]
            need = {name.split(".")[0].split("[")[0] for k in keys
                    for _, name, _, _ in string.Formatter().parse(en[k].source) if name} - {"count"}
            if need - given:
                bad.append(f"{path.relative_to(SRC)}:{line}: {key} lacks {sorted(need - given)}")
    assert not bad, "\n".join(bad)


def test_a_count_without_plural_forms_is_a_field() -> None:
    assert i18n.t("sources.at_line", "en", count=3, line=7) == " at line 7"
    assert i18n.Message("cli.wrote_rows", count=1, path="x.csv").render("en") == "wrote 1 row to x.csv"
    assert i18n.Message("cli.wrote_rows", count=12345, path="x.csv").render("fr") == "12\u202f345 lignes écrites dans x.csv"


def test_plural_forms_follow_the_language() -> None:
    assert i18n.t("error.columns_not_found", "en", count=1, names="'a'", where="x") == "column 'a' not found in x"
    assert i18n.t("error.columns_not_found", "fr", count=2, names="'a', 'b'", where="x").startswith("colonnes")
    # French counts 0 and 1 as singular
    assert i18n.t("error.columns_not_found", "fr", count=0, names="", where="x").startswith("colonne ")


def test_numbers_in_messages_follow_the_language() -> None:
    """A number field with a format takes the reader's separators; a bare field (a code, a year) does not."""
    gap, tol = 0.009931, 1e-4
    key = "sae.error.not_converged"
    fr = i18n.t(key, "fr", method="REML", iterations=2, gap=gap, tol=tol)
    assert fr.endswith("(dernière variation relative 0,00993, tol 0,0001)"), fr
    assert i18n.t(key, "es", method="REML", iterations=2, gap=gap, tol=tol).endswith("(último cambio relativo 0,00993, tol 0,0001)")
    assert i18n.t(key, "en", method="REML", iterations=2, gap=gap, tol=tol).endswith("(last relative change 0.00993, tol 0.0001)")
    assert i18n.t("sources.at_line", "fr", line=12345) == " à la ligne 12\u202f345"
    assert i18n.t("sources.at_line", "es", line=12345) == " en la línea 12.345"
    assert i18n.t("sources.bad_byte_at_line", "es", line=12345, byte=b"x") == "línea 12345, byte b'x'"
    assert i18n.t("sae.error.benchmark_unreliable", "es", target=0.375, scheme="'chile'", quality="review",
                  reason="n").startswith("la estimación de referencia del ajuste 0,375 no es fiable")
    assert i18n.t("calibration.cli.converged", "fr", n=3, gap=0.00123) == "convergé en 3 itérations (plus grand écart relatif 0,00123)"
    assert i18n.t("cli.err.population_below_stock", "es", iso="CHL", year=2020, population=12345.0,
                  stock=23456.0).startswith("CHL 2020: la población 12.345 es menor que su stock de nacidos en el extranjero 23.456")


def test_language_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CORRIDOR_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    assert i18n.from_environment(system_locale=True) is None
    monkeypatch.setenv("LANG", "fr_CA.UTF-8")
    assert i18n.from_environment(system_locale=True) == "fr"
    assert i18n.from_environment() is None  # the library itself ignores the system locale
    monkeypatch.setenv("LC_ALL", "C")
    assert i18n.from_environment(system_locale=True) == "en"
    monkeypatch.setenv("CORRIDOR_LANG", "es")
    assert i18n.from_environment(system_locale=True) == "es"
    assert i18n.current() == "es"
    with i18n.language("fr"):
        assert i18n.current() == "fr"
    assert i18n.current() == "es"


def test_languages_parsed_from_lists() -> None:
    assert i18n.parse_langs(("es,fr", "en", "fr")) == ["es", "fr", "en"]
    with pytest.raises(Exception, match="'de'"):
        i18n.parse_langs("es,de")


def test_list_joined_as_the_language_writes_it() -> None:
    assert i18n.join(["a", "b", "c"], "es") == "a, b y c"
    assert i18n.join(["a", "b"], "fr", style="or") == "a ou b"


LOCALE = SRC / "i18n" / "locale"
FILES = [LOCALE / "corridor.pot", *(LOCALE / lang / "LC_MESSAGES" / "corridor.po" for lang in TRANSLATED)]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.parent.name if p.suffix == ".po" else "template")
def test_no_message_is_flagged_as_a_printf_format(path: Path) -> None:
    """The texts are str.format strings ('%' is literal: "95% interval"); a python-format flag would make
    gettext's tools check them as printf formats (Babel adds it to any text with '%' and a letter)."""
    flagged = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("#,") and "python-format" in {f.strip() for f in line[2:].split(",")}:
            flagged.append(next((x for x in lines[i:] if x.startswith("msgctxt")), line))
    assert not flagged, f"{path.name}: flagged python-format: {flagged[:10]}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_gettext_finds_no_format_errors(lang: str, tmp_path: Path) -> None:
    """`msgfmt -c` (GNU gettext's own check of formats, plural forms and headers) accepts the translation."""
    import shutil
    import subprocess

    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU gettext's msgfmt is not installed (Debian package gettext)")
    po = LOCALE / lang / "LC_MESSAGES" / "corridor.po"
    res = subprocess.run([msgfmt, "-c", "-o", str(tmp_path / "corridor.mo"), str(po)], capture_output=True, text=True,
                         check=False)
    errors = [line for line in res.stderr.splitlines() if "warning:" not in line]
    assert res.returncode == 0 and not errors, res.stderr


@pytest.mark.parametrize("lang", TRANSLATED)
def test_babel_check_finds_no_errors(lang: str) -> None:
    """Babel's own checks (plural forms; printf formats where a message is flagged so in the file)."""
    from babel.messages.pofile import read_po

    po = LOCALE / lang / "LC_MESSAGES" / "corridor.po"
    with po.open("rb") as fh:
        cat = read_po(fh)
    flagged = {m.context for m in cat if m.id}  # Babel re-derives python-format from the text when reading:
    in_file = set(re.findall(r'^#, .*python-format.*\nmsgctxt "([^"]+)"', po.read_text(encoding="utf-8"), re.MULTILINE))
    for m in cat:
        if m.id and m.context not in in_file:
            m.flags.discard("python-format")
    problems = [(m.context, [str(e) for e in errs]) for m, errs in cat.check()]
    assert flagged and not problems, problems[:10]
