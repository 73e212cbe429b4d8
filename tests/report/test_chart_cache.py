"""The charts of published tables are kept in the disk cache: the same SVG, byte for byte, drawn or read back;
an entry is found only for the same arguments, and a broken cache only costs the drawing."""

from __future__ import annotations

import json

import numpy as np
import pytest
from babel.numbers import format_decimal

from corridor.report import charts
from corridor.report.locale import LOCALES, Locale

SERMIG = [(2018, 146_582.0), (2019, 161_153.0), (2020, 174_634.0), (2021, 185_445.0), (2022, 189_524.0)]
UNDESA = [(1990, 1_666.0), (2000, 4_095.0), (2010, 12_929.0), (2019, 120_626.0)]


def _trend(lang: str = "en", title: str = "Colombians in Chile", sermig=SERMIG) -> str:
    return charts.trend_chart(sermig, UNDESA, Locale(lang), title, labels=("INE/SERMIG", "UN DESA"))


@pytest.fixture
def drawn(monkeypatch):
    """How many charts matplotlib draws (``_svg`` is where every chart is drawn)."""
    count = [0]
    svg = charts._svg

    def counted(fig, chart_id):
        count[0] += 1
        return svg(fig, chart_id)

    monkeypatch.setattr(charts, "_svg", counted)
    return count


def _entries(folder):
    return sorted((folder / "charts").glob("*.json")) if (folder / "charts").exists() else []


def test_a_kept_chart_is_the_drawn_one_byte_for_byte(tmp_path, monkeypatch, drawn):
    monkeypatch.setenv("CORRIDOR_CACHE_DIR", "off")
    off = _trend()
    assert drawn[0] == 1 and not _entries(tmp_path)
    monkeypatch.setenv("CORRIDOR_CACHE_DIR", str(tmp_path))
    first = _trend()
    assert drawn[0] == 2 and len(_entries(tmp_path)) == 1
    again = charts.trend_chart(SERMIG, UNDESA, Locale("en"), "Colombians in Chile", ("INE/SERMIG", "UN DESA"))
    assert drawn[0] == 2  # read back (the labels given by position or by name are the same arguments)
    assert off == first == again
    assert json.loads(_entries(tmp_path)[0].read_text(encoding="utf-8")) == off


def test_every_chart_of_the_page_is_kept(tmp_path, monkeypatch, drawn):
    monkeypatch.setenv("CORRIDOR_CACHE_DIR", str(tmp_path))
    loc = Locale("fr")
    calls = [
        lambda: charts.region_chart([("CL-AN", "Antofagasta", 32_842.0), ("CL-RM", "Metropolitana", 90_000.0)],
                                    "CL-AN", loc, "Par région"),
        lambda: charts.pyramid_chart(["0-4", "5-9"], {("0-4", "male"): 3.5, ("5-9", "female"): 4.25},
                                     {("0-4", "male"): 5.0}, loc, "Pyramide", "Colombiens"),
        lambda: charts.ratio_chart([("VIH", 2.0, 1.5, 2.5, ""), ("TB", None, None, None, "non publié")], loc, "Ratios",
                                   "rapport"),
        lambda: charts.flows_chart([("2000-2005", 1_000.0, 800.0, None), ("2005-2010", 2_500.0, None, 3_000.0)], loc,
                                   "Flux"),
    ]
    svgs = [c() for c in calls]
    assert drawn[0] == 4 and len(_entries(tmp_path)) == 4
    assert [c() for c in calls] == svgs and drawn[0] == 4


@pytest.mark.parametrize("change", [
    lambda: _trend(title="Colombians in Chile, 2022"),             # a title
    lambda: _trend(lang="es"),                                      # the locale's language
    lambda: _trend(sermig=SERMIG[:-1] + [(2022, 189_525.0)]),       # a value
    lambda: _trend(sermig=SERMIG[:-1] + [(2022, 189_524)]),         # the same number as an int
    lambda: charts.trend_chart(SERMIG, UNDESA, Locale("en"), "Colombians in Chile", labels=("SERMIG", "UN DESA")),
])
def test_another_argument_is_another_entry(tmp_path, monkeypatch, drawn, change):
    monkeypatch.setenv("CORRIDOR_CACHE_DIR", str(tmp_path))
    _trend()
    change()
    assert drawn[0] == 2 and len(_entries(tmp_path)) == 2


def test_the_key_tells_minus_zero_and_types_apart():
    def key(*values):
        return charts._key("f", {"x": values})

    assert key(0.0) != key(-0.0)
    assert key(1) != key(1.0) != key(True)
    assert key(np.float64(1.0)) != key(1.0)
    assert key({"a": 1, "b": 2}) != key({"b": 2, "a": 1})  # a dict in its order
    assert key([1, 2]) != key((1, 2))
    assert key(Locale("en")) != key(Locale("fr"))
    with pytest.raises(charts._Unkeyed):
        key(object())


def test_a_broken_cache_only_costs_the_drawing(tmp_path, monkeypatch, drawn):
    monkeypatch.setenv("CORRIDOR_CACHE_DIR", str(tmp_path))
    svg = _trend()
    (entry,) = _entries(tmp_path)
    entry.write_text('{"truncated', encoding="utf-8")  # unreadable: drawn again, and written whole again
    assert _trend() == svg and drawn[0] == 2
    assert json.loads(entry.read_text(encoding="utf-8")) == svg
    assert not list((tmp_path / "charts").glob(".*.tmp"))
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("CORRIDOR_CACHE_DIR", str(blocked))  # a folder that cannot be made
    assert _trend() == svg and drawn[0] == 3


def test_an_argument_the_key_cannot_hold_is_drawn_each_time(tmp_path, monkeypatch, drawn):
    class Title(str):
        pass

    monkeypatch.setenv("CORRIDOR_CACHE_DIR", str(tmp_path))
    svg = _trend(title=Title("Colombians in Chile"))
    assert _trend(title=Title("Colombians in Chile")) == svg == _trend()
    assert drawn[0] == 3 and len(_entries(tmp_path)) == 1


def test_the_undecorated_chart_always_draws(tmp_path, monkeypatch, drawn):
    monkeypatch.setenv("CORRIDOR_CACHE_DIR", str(tmp_path))
    svg = _trend()
    assert charts.trend_chart.__wrapped__(SERMIG, UNDESA, Locale("en"), "Colombians in Chile",
                                          labels=("INE/SERMIG", "UN DESA")) == svg
    assert drawn[0] == 2


@pytest.mark.parametrize("lang", ["es", "fr", "en"])
def test_numbers_read_as_babel_writes_them(lang):
    """``Locale.num`` writes each number as babel formats it, -0.0 and 0 included."""
    loc = Locale(lang)
    values = [0.0, -0.0, 0, 1, -1, 0.5, 1.5, 2.5, -2.5, 0.125, 1_234_567.891, -0.4, 10**20, np.float64(-0.0),
              np.float64(2.5), np.int64(7), np.float32(0.1), float("inf")]
    for x in values:
        for digits in (0, 1, 2, 3):
            expected = format_decimal(x, format="#,##0" + ("." + "0" * digits if digits else ""), locale=LOCALES[lang])
            assert loc.num(x, digits) == expected and loc.num(x, digits) == expected, (x, digits)
    assert loc.num(-0.0) != loc.num(0.0)
