"""The result of a small-area model: per-area table, coefficients, fit, diagnostics, and their text in es/fr/en."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from corridor._deps import import_optional
from corridor.errors import InputError
from corridor.estimation.result import format_table
from corridor.i18n import LOCALES, Message, catalogue
from corridor.i18n.catalogue import PSEUDO

LANGS = ("es", "fr", "en")
_LOCALES = LOCALES  # corridor's one mapping of languages to CLDR locales
_TEXT = "sae.text."


def messages(lang: str) -> dict[str, str]:
    """The small-area texts in ``lang`` (es, fr, en, or the tests' pseudo-language): the message
    catalogue's entries ``sae.text.*``, by their name without the prefix."""
    if lang not in (*LANGS, PSEUDO):
        raise InputError(Message("sae.error.language", lang=repr(lang)), hint=Message("sae.error.language.hint"))
    return {k[len(_TEXT):]: v for k, v in catalogue(lang).items() if k.startswith(_TEXT)}


def number(x: float | None, lang: str, digits: int = 4) -> str:
    """``x`` to ``digits`` significant digits with the language's separators; ``—`` if missing."""
    from babel.numbers import format_decimal

    if x is None or not math.isfinite(x):
        return "—"
    if x == 0:
        return "0"
    if abs(x) < 1e-4 or abs(x) >= 1e9:
        mantissa, exp = f"{x:.{digits - 1}e}".split("e")
        return f"{format_decimal(float(mantissa), format='0.' + '0' * (digits - 1), locale=_LOCALES[lang])}e{int(exp)}"
    decimals = max(digits - 1 - math.floor(math.log10(abs(x))), 0)
    fmt = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(round(x, decimals), format=fmt, locale=_LOCALES[lang])


@dataclass
class SmallAreaEstimates:
    """Fay-Herriot estimates: ``areas`` (one row per area), ``coefficients``, ``fit``, ``diagnostics``."""

    areas: pa.Table
    coefficients: pa.Table
    fit: dict[str, Any]
    smoothing: dict[str, Any] | None = None
    benchmark: dict[str, Any] | None = None
    ledger: dict[str, int] = field(default_factory=dict)
    # model-scale vectors of the sampled areas, for the diagnostics (computed when first asked for:
    # the Shapiro-Wilk test needs scipy.stats, a second's import)
    residual_inputs: dict[str, Any] = field(default_factory=dict, repr=False)

    @cached_property
    def diagnostics(self) -> dict[str, Any]:
        """Normality of standardized residuals and random effects; direct vs model CV comparison."""
        from corridor.sae import diagnostics

        r = self.residual_inputs
        out = diagnostics.residual_checks(r["y"], r["synthetic"], r["eblup"], self.fit["refvar"], r["psi"])
        sampled = np.asarray(self.areas.column("in_sample").to_pylist(), dtype=bool)
        direct_cv = np.array(self.areas.column("direct_cv").to_numpy(zero_copy_only=False), dtype=float)
        model_cv = np.array(self.areas.column("cv").to_numpy(zero_copy_only=False), dtype=float)
        out["cv_comparison"] = diagnostics.cv_comparison(direct_cv[sampled], model_cv[sampled])
        return out

    def __len__(self) -> int:
        return self.areas.num_rows

    def to_arrow(self) -> pa.Table:
        return self.areas

    def to_pandas(self) -> Any:
        import_optional("pandas", feature="to_pandas()")
        return self.areas.to_pandas()

    def to_polars(self) -> Any:
        pl = import_optional("polars", feature="to_polars()")
        return pl.from_arrow(self.areas)

    def to_pylist(self) -> list[dict[str, Any]]:
        return self.areas.to_pylist()

    def plot_data(self) -> pa.Table:
        """Direct vs model estimates with their intervals, one row per area (for a chart)."""
        cols = [self.fit["area"], "in_sample", "n", "direct", "direct_ci_low", "direct_ci_high", "estimate",
                "ci_low", "ci_high", "method", "quality"]
        return self.areas.select(cols)

    def cv_table(self) -> pa.Table:
        """Direct CV vs model CV per area (model CV from the root MSE)."""
        return self.areas.select([self.fit["area"], "in_sample", "n", "direct_cv", "cv", "shrinkage"])

    def model_info(self) -> dict[str, Any]:
        """Everything but the per-area table, as plain JSON-ready values."""
        return _plain({"fit": self.fit, "coefficients": self.coefficients.to_pylist(), "diagnostics": self.diagnostics,
                       "smoothing": self.smoothing, "benchmark": self.benchmark, "ledger": self.ledger})

    def write(self, path: str | Path) -> Path:
        """Write the per-area table (CSV, Parquet or JSON by suffix; JSON also holds the model)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            pq.write_table(self.areas, path)
        elif suffix == ".json":
            payload = {"areas": _plain(self.areas.to_pylist()), **self.model_info()}
            path.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
        elif suffix in (".csv", ".txt"):
            import pyarrow.csv as pacsv

            pacsv.write_csv(self.areas, path)
        else:
            raise InputError(Message("sae.error.write_format", path=str(path), suffix=repr(path.suffix)),
                             hint=Message("sae.error.write_format.hint"))
        return path

    def summary(self, lang: str = "en") -> str:
        """The model in words and numbers, in es/fr/en."""
        t = messages(lang)
        f = self.fit

        def n_(x: Any, digits: int = 4) -> str:
            return number(x, lang, digits)

        lines = [t["title"], t["estimate_of"].format(label=f["estimate_label"])]
        lines.append(t["fit_line"].format(
            refvar=n_(f["refvar"]), refvar_se=n_(f["refvar_se"]), method=t[f"method_{f['method']}"],
            state=t["converged"] if f["converged"] else t["not_converged"], iterations=f["iterations"],
            gap=n_(f["gap"], 2), tol=n_(f["tol"], 2), stopping=t[f"stopping_{f['stopping']}"]))
        if f["boundary"]:
            lines.append(t["boundary"])
        if f["transform"]:
            lines.append(t[f"transform_{f['transform']}"].format(backtransform=t[f"backtransform_{f['backtransform']}"]))
        lines.append(t["mse_analytic"] if f["mse"] == "analytic"
                     else t["mse_bootstrap"].format(reps=f["reps"], seed=f["seed"]))
        lines.append(t["areas_line"].format(sampled=f["areas_sampled"], out=f["areas_out_of_sample"]))
        if self.smoothing:
            s = self.smoothing
            which = (t["smoothing_below"].format(n=n_(s["below_n"])) if "below_n" in s else t["smoothing_all"])
            if s["kind"] == "deff":
                lines.append(t["smoothing_deff"].format(which=which, deff=n_(s["deff"]), areas=s["pooled_areas"]))
            else:
                lines.append(t["smoothing_gvf"].format(which=which, a=n_(s["intercept"]), b=n_(s["slope_log_n"]),
                                                       areas=s["pooled_areas"]))
        if self.benchmark:
            lines.append(t[f"benchmark_{self.benchmark['kind']}"].format(target=n_(self.benchmark["target"])))
        lines.append(self.quality_rule(lang))
        lines.append("")
        lines.append(t["coefficients"])
        rows = [[t["term"], t["coefficient"], t["std_error"], t["pvalue"]]]
        for c in self.coefficients.to_pylist():
            rows.append([c["term"], n_(c["beta"]), n_(c["std_error"]), n_(c["pvalue"], 3)])
        lines += _aligned(rows)
        lines.append("")
        cmp_ = self.diagnostics["cv_comparison"]
        lines.append(t["cv_table"])
        for key, part in (("cv_direct", "direct"), ("cv_model", "model")):
            stats = {k: n_(v, 3) for k, v in cmp_[part].items()}
            lines.append("  " + t["cv_row"].format(name=t[key], stats=t["cv_stats"].format(**stats)))
        lines.append(t["cv_lower_in"].format(k=cmp_["areas_cv_lower"], m=cmp_["areas_compared"]))
        r, u = self.diagnostics["standardized_residuals"], self.diagnostics["random_effects"]
        lines.append(t["normality"].format(w=n_(r["shapiro_w"], 3), p=n_(r["shapiro_p"], 3),
                                           w2=n_(u["shapiro_w"], 3), p2=n_(u["shapiro_p"], 3)))
        return "\n".join(lines)

    def quality_rule(self, lang: str = "en") -> str:
        """The sentence that says how the model estimates' quality labels were judged."""
        from corridor.quality import get_scheme

        t = messages(lang)
        scheme = get_scheme(self.fit["scheme"])
        keys = ("cv_lower_ine", "cv_upper_ine") if scheme.name == "chile" else ("cv_lower_cepal", "cv_upper_cepal")
        text = t["quality_rule"].format(scheme=t[f"scheme_{scheme.name}"], lower=number(scheme.params[keys[0]], lang),
                                        upper=number(scheme.params[keys[1]], lang))
        if self.fit.get("estimand") == "proportion" and scheme.name == "chile":
            text += " " + t["quality_rule_proportion"]
        return text

    def __repr__(self) -> str:
        shown = [c for c in self.areas.column_names if c not in ("g1", "g2", "g3", "ci_level", "quality_reason",
                                                                 "direct_ci_low", "direct_ci_high", "vardir")]
        return format_table(self.areas.select(shown), max_rows=30)


def _aligned(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            for r in rows]


def _plain(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if math.isfinite(v) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x
