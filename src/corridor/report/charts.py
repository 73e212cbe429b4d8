"""Charts of the profile as inline SVG (matplotlib, Agg-free SVG backend, text kept as text).

The charts of the published tables (trend, regions, pyramid, rate ratios, flows, the comunas' model) are
kept in corridor's disk cache (:mod:`corridor.datasets.cache`) under a key of everything that makes
their SVG: see :func:`kept`.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import io
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter

from corridor.datasets import cache
from corridor.report.locale import Locale, messages

CORRIDOR = "#c0392b"
NATIVE = "#2c6e9b"
MIGRANT = "#8e8e8e"
HIGHLIGHT = "#e67e22"
_RC = {"svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 9, "axes.spines.top": False,
       "axes.spines.right": False, "axes.titlesize": 10}


_Draw = TypeVar("_Draw", bound=Callable[..., str])


class _Unkeyed(Exception):
    """An argument the cache cannot key exactly: the chart is drawn, not kept."""


def kept(draw: _Draw) -> _Draw:
    """``draw`` (a chart of published tables) with its SVG kept in corridor's disk cache between runs.

    The same inputs make the same SVG, byte for byte; drawing one costs 50-300 ms of matplotlib, reading it
    back a millisecond. The key (:func:`_key`) holds everything that makes the SVG: the function's name,
    all its arguments as exact values (floats by ``repr``, so 1, 1.0 and -0.0 differ; a dict in its order),
    a :class:`Locale` as its language with the digest of that language's messages (the locale keeps no
    other state that reaches a chart), corridor's code (:func:`corridor.datasets.cache.code_digest`),
    the versions of matplotlib, babel and Python, matplotlib's settings in force (``rcParams``) and the
    font files it draws with. An argument of any other type is not keyed: that chart is drawn each time.
    Entries are written whole (a temporary file renamed into place); an unreadable entry or folder
    means drawing, and ``CORRIDOR_CACHE_DIR=off`` turns the cache off. ``draw.__wrapped__`` always draws."""
    signature = inspect.signature(draw)
    name = f"{draw.__module__}.{draw.__qualname__}"

    @functools.wraps(draw)
    def cached(*args: Any, **kwargs: Any) -> str:
        if cache.folder() is None:
            return draw(*args, **kwargs)
        try:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            k = _key(name, bound.arguments)
        except (_Unkeyed, TypeError):
            return draw(*args, **kwargs)
        hit = cache.load("charts", k)
        if isinstance(hit, str):
            return hit
        svg = draw(*args, **kwargs)
        cache.store("charts", k, svg)
        return svg

    return cached  # type: ignore[return-value]


def _key(name: str, arguments: dict[str, Any]) -> str:
    langs: set[str] = set()
    plain = repr(tuple((n, _plain(v, langs)) for n, v in arguments.items()))
    return cache.key("charts", (), extra=(name, plain, *(_messages_digest(lang) for lang in sorted(langs)),
                                          _versions(), _settings_digest()))


_SCALARS = (str, int, float, bool, type(None))


def _plain(x: Any, langs: set[str]) -> Any:
    """``x`` as plain values whose ``repr`` names it exactly (types included); the languages of its locales
    go to ``langs``. Raises :class:`_Unkeyed` for a type it does not know."""
    t = type(x)
    if t in _SCALARS:
        return x
    if t is Locale:
        langs.add(x.lang)
        return ("Locale", x.lang)
    if t is list or t is tuple:
        return (t.__name__, tuple(_plain(v, langs) for v in x))
    if t is dict:
        return ("dict", tuple((_plain(k, langs), _plain(v, langs)) for k, v in x.items()))
    if isinstance(x, np.generic) and x.dtype.kind in "biuf":
        return ("numpy", x.dtype.str, x.tobytes())
    raise _Unkeyed(t.__name__)


@functools.cache
def _messages_digest(lang: str) -> str:
    """The digest of a language's profile messages (what ``Locale.t`` reads; the catalogue is not code)."""
    return lang + ":" + hashlib.sha256(json.dumps(messages(lang), sort_keys=True).encode()).hexdigest()


@functools.cache
def _versions() -> str:
    import babel

    return f"python={sys.version_info[0]}.{sys.version_info[1]} matplotlib={matplotlib.__version__} babel={babel.__version__}"


def _settings_digest() -> str:
    """matplotlib's settings in force (the charts set theirs over them) and the font files of the text."""
    from matplotlib import font_manager

    h = hashlib.sha256(repr(sorted(dict.items(plt.rcParams))).encode())
    for weight in ("normal", "bold"):
        font = font_manager.findfont(font_manager.FontProperties(family=_RC["font.family"], weight=weight))
        try:
            st = os.stat(font)
            h.update(f"\0{font}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        except OSError:
            h.update(f"\0{font}\0?".encode())
    return h.hexdigest()


def _svg(fig: Any, chart_id: str) -> str:
    buf = io.StringIO()
    box: list[Any] = []
    # The chart is drawn once at the figure's size and its tight box (what bbox_inches="tight" keeps)
    # is read from that same drawing, then the SVG's viewport is cropped to it: "tight" lays the
    # figure out in a drawing of its own before drawing it again, twice the time for the same picture.
    cid = fig.canvas.mpl_connect("draw_event", lambda e: box.append(fig.get_tightbbox(e.renderer)))
    with plt.rc_context({"svg.hashsalt": chart_id}):
        fig.savefig(buf, format="svg")
        fig.canvas.mpl_disconnect(cid)
        text = _cropped(buf.getvalue(), box[0] if box else None, fig.get_size_inches(), plt.rcParams["savefig.pad_inches"])
        if text is None:
            buf = io.StringIO()
            fig.savefig(buf, format="svg", bbox_inches="tight")
            text = buf.getvalue()
    plt.close(fig)
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.DOTALL)
    # ids unique per chart in a page holding several
    text = re.sub(r'id="([^"]+)"', lambda m: f'id="{chart_id}-{m.group(1)}"', text)
    text = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{chart_id}-{m.group(1)})", text)
    text = re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{chart_id}-{m.group(1)}"', text)
    return text.replace("<svg ", f'<svg role="img" aria-labelledby="{chart_id}-title" class="chart" data-chart="{chart_id}" ', 1)


def _cropped(svg: str, box: Any, size: Any, pad: float) -> str | None:
    """The SVG drawn at the figure's size with its viewport cut to ``box`` (inches, from the bottom
    left) plus ``pad`` inches each side, and the figure's background stretched over that viewport
    (a label may reach past the figure's edge, as "tight" draws it); None if the SVG is not as expected."""
    if box is None:
        return None
    height = float(size[1])
    x0, y0, x1, y1 = box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad
    root = re.search(r'<svg [^>]*?(width="[^"]*" height="[^"]*" viewBox="[^"]*")', svg)
    patch = re.search(r'<g id="figure_1">\s*<g id="patch_1">\s*<path d="([^"]*)"', svg)
    if root is None or patch is None:
        return None
    # SVG counts points (1/72 inch) from the top left
    left, top, w, h = x0 * 72, (height - y1) * 72, (x1 - x0) * 72, (y1 - y0) * 72
    view = f'width="{w:.6g}pt" height="{h:.6g}pt" viewBox="{left:.6g} {top:.6g} {w:.6g} {h:.6g}"'
    background = f"M {left:.6g} {top + h:.6g} L {left + w:.6g} {top + h:.6g} L {left + w:.6g} {top:.6g} L {left:.6g} {top:.6g} z"
    return (svg[:root.start(1)] + view + svg[root.end(1):patch.start(1)] + background + svg[patch.end(1):])


def _titled(svg: str, chart_id: str, title: str) -> str:
    i = svg.index(">") + 1
    safe = title.replace("&", "&amp;").replace("<", "&lt;")
    return svg[:i] + f'<title id="{chart_id}-title">{safe}</title>' + svg[i:]


@kept
def trend_chart(sermig: Sequence[tuple[int, float]], undesa: Sequence[tuple[int, float]], loc: Locale, title: str,
                labels: tuple[str, str]) -> str:
    """Stock over time: INE/SERMIG (2018-2022) and UN DESA (1990-2019) series; ``labels`` name them
    in the legend (INE/SERMIG, UN DESA), each with what it counts (nationality, country of birth)."""
    sermig_label, undesa_label = labels
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.2, 3.0))
        if undesa:
            ax.plot([y for y, _ in undesa], [v for _, v in undesa], "o--", color=MIGRANT, label=undesa_label)
        if sermig:
            ax.plot([y for y, _ in sermig], [v for _, v in sermig], "o-", color=CORRIDOR, lw=2, label=sermig_label)
            y, v = sermig[-1]
            ax.annotate(loc.num(v), (y, v), textcoords="offset points", xytext=(-4, 8), ha="right", color=CORRIDOR, fontweight="bold")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: loc.num(x)))
        ax.set_ylabel(loc.t("persons"))
        ax.set_ylim(bottom=0)
        ax.legend(frameon=False, loc="upper left")
        ax.grid(axis="y", color="#ddd", lw=0.6)
        return _titled(_svg(fig, "trend"), "trend", title)


@kept
def pyramid_chart(ages: Sequence[str], corridor: dict[tuple[str, str], float], natives: dict[tuple[str, str], float],
                  loc: Locale, title: str, corridor_label: str) -> str:
    """Age-sex pyramid: bars for corridor migrants, outline steps for natives (percent of each group)."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.2, 4.2))
        y = list(range(len(ages)))
        m = [-(corridor.get((a, "male")) or 0) for a in ages]
        f = [corridor.get((a, "female")) or 0 for a in ages]
        ax.barh(y, m, color=CORRIDOR, alpha=0.85, height=0.85, label=corridor_label)
        ax.barh(y, f, color=CORRIDOR, alpha=0.55, height=0.85)
        nm = [-(natives.get((a, "male")) or 0) for a in ages]
        nf = [natives.get((a, "female")) or 0 for a in ages]
        ax.step(nm, y, where="mid", color=NATIVE, lw=1.6, label=loc.t("natives"))
        ax.step(nf, y, where="mid", color=NATIVE, lw=1.6)
        ax.set_yticks(y, list(ages))
        lim = max(max(map(abs, m + nm + f + nf)), 1) * 1.1
        ax.set_xlim(-lim, lim)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: loc.num(abs(x), 0)))
        ax.set_xlabel(loc.t("percent_of_group"))
        ax.axvline(0, color="#444", lw=0.6)
        ax.text(-lim * 0.97, len(ages) - 0.6, loc.t("men"), ha="left", fontweight="bold")
        ax.text(lim * 0.97, len(ages) - 0.6, loc.t("women"), ha="right", fontweight="bold")
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
        return _titled(_svg(fig, "pyramid"), "pyramid", title)


@kept
def region_chart(values: Sequence[tuple[str, str, float | None]], highlight: str | None, loc: Locale, title: str) -> str:
    """Horizontal bars by region (code, name, value), the highlighted region in another colour; a region
    without a value (not published, suppressed) is listed at the bottom with a dash and no bar, never as 0."""
    with plt.rc_context(_RC):
        rows = sorted(values, key=lambda r: (r[2] is not None, r[2] or 0))
        fig, ax = plt.subplots(figsize=(7.2, 0.26 * len(rows) + 0.8))
        colors = [HIGHLIGHT if c == highlight else CORRIDOR for c, _, _ in rows]
        bars = ax.barh([n for _, n, _ in rows], [v or 0 for _, _, v in rows], color=colors)
        for b, (c, _, v) in zip(bars, rows):
            ax.text(b.get_width(), b.get_y() + b.get_height() / 2, " " + loc.num(v), va="center", fontsize=8,
                    fontweight="bold" if c == highlight else "normal")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: loc.num(x)))
        ax.set_xlabel(loc.t("persons"))
        shown = [v for _, _, v in rows if v is not None]
        ax.set_xlim(0, max(shown) * 1.18 if shown else 1)
        return _titled(_svg(fig, "regions"), "regions", title)


def gap_chart(items: Sequence[tuple[str, float | None, float | None, float | None, bool]], loc: Locale, title: str, chart_id: str) -> str:
    """Gaps with 95% intervals: (label, estimate, low, high, suppressed); suppressed gaps are listed without a point."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.2, 0.34 * len(items) + 0.9))
        y = list(range(len(items)))[::-1]
        for yi, (label, est, lo, hi, sup) in zip(y, items):
            if sup or est is None:
                ax.text(0, yi, loc.t("suppressed"), va="center", ha="center", fontsize=7, color="#777")
                continue
            if lo is not None and hi is not None:
                ax.plot([lo, hi], [yi, yi], color=CORRIDOR, lw=2)
            ax.plot([est], [yi], "o", color=CORRIDOR)
        ax.set_yticks(y, [i[0] for i in items])
        ax.axvline(0, color="#444", lw=0.8)
        ax.set_xlabel(loc.t("unit_pp"))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: loc.signed(x, 0)))
        ax.grid(axis="x", color="#eee", lw=0.6)
        return _titled(_svg(fig, chart_id), chart_id, title)


@kept
def ratio_chart(items: Sequence[tuple[str, float | None, float | None, float | None, str]], loc: Locale, title: str,
                axis_label: str, chart_id: str = "rate-ratios") -> str:
    """Rate ratios with 95% intervals on a log axis: (label, ratio, low, high, note); a row without a ratio shows its note."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.2, 0.3 * len(items) + 0.9))
        y = list(range(len(items)))[::-1]
        shown = [v for _, est, lo, hi, _ in items if est is not None for v in (est, lo, hi) if v is not None and v > 0]
        lo_lim, hi_lim = (min(shown + [0.5]) / 1.3, max(shown + [2.0]) * 1.3)
        ax.set_xscale("log")
        ax.set_xlim(lo_lim, hi_lim)
        for yi, (_label, est, lo, hi, note) in zip(y, items):
            if est is None:
                ax.text(lo_lim * 1.05, yi, note, va="center", ha="left", fontsize=7, color="#777")
                continue
            if lo is not None and hi is not None:
                ax.plot([lo, hi], [yi, yi], color=CORRIDOR, lw=2)
            ax.plot([est], [yi], "o", color=CORRIDOR)
            # the value sits above its own point, not at the end of the whisker where it reads as the limit
            ax.annotate(loc.num(est, 2), (est, yi), textcoords="offset points", xytext=(0, 4), ha="center",
                        va="bottom", fontsize=7)
        ax.set_yticks(y, [i[0] for i in items])
        ax.set_ylim(-0.7, len(items) - 0.3)
        ax.axvline(1.0, color="#444", lw=0.8)
        ticks = [t for t in (0.25, 0.5, 1, 2, 4, 8, 16) if lo_lim <= t <= hi_lim]
        ax.set_xticks(ticks)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: loc.num(x, 2 if x < 1 else 0)))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda x, _: ""))
        ax.set_xlabel(axis_label)
        ax.grid(axis="x", color="#eee", lw=0.6)
        return _titled(_svg(fig, chart_id), chart_id, title)


@kept
def flows_chart(items: Sequence[tuple[str, float, float | None, float | None]], loc: Locale, title: str,
                chart_id: str = "flows") -> str:
    """Estimated flows by period (label, flow, low, high) as bars with 95% interval whiskers."""
    with plt.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(7.2, 2.4))
        x = list(range(len(items)))
        flows = [f for _, f, _, _ in items]
        ax.bar(x, flows, color=CORRIDOR, alpha=0.8, width=0.6)
        lows = [f - (lo if lo is not None else f) for _, f, lo, _ in items]
        highs = [(hi if hi is not None else f) - f for _, f, _, hi in items]
        ax.errorbar(x, flows, yerr=[lows, highs], fmt="none", ecolor="#333", capsize=4, lw=1.2)
        for xi, f, hi in zip(x, flows, highs):
            ax.annotate(loc.num(f), (xi, f + hi), textcoords="offset points", xytext=(0, 3), ha="center", fontsize=7)
        ax.set_xticks(x, [label for label, _, _, _ in items])
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: loc.num(v)))
        ax.set_ylabel(loc.t("persons"))
        ax.set_ylim(bottom=0)
        ax.grid(axis="y", color="#ddd", lw=0.6)
        return _titled(_svg(fig, chart_id), chart_id, title)
