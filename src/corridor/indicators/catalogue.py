"""The indicator catalogue: one YAML definition per indicator in ``definitions/``.

Each definition states, in one place: the id; name and definition in Spanish, French and
English; the population (universe) it refers to; how it is computed (a share with a numerator
condition, a mean or median of a variable, a distribution over categories, or, for aggregate
sources, a named method); its unit; the standard it follows; the canonical concepts it needs
(``corridor.harmonize.CONCEPTS``); its SDG tags; and the disaggregations that make sense.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from corridor.errors import SpecError
from corridor.harmonize import CONCEPTS
from corridor.i18n import Message
from corridor.i18n.catalogue import PSEUDO, pseudo

# libyaml's loader when PyYAML was built with it (the same objects, about 10x faster)
_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
LANGUAGES = ("es", "fr", "en")
TYPES = ("total", "share", "rate", "mean", "median", "ratio", "distribution")
SURVEY_TYPES = ("share", "rate", "mean", "median", "distribution")
POPULATIONS = ("corridor", "migrants", "natives")
DISAGGREGATIONS = ("sex", "age_band", "region")
AGGREGATE_METHODS = ("stock", "population_share", "sex_ratio", "age_structure", "median_age", "region_distribution")
_REQUIRED = ("id", "domain", "name", "definition", "population", "type", "unit", "source", "standard", "concepts")
_ALLOWED = set(_REQUIRED) | {"method", "populations", "universe", "numerator", "variable", "categories", "sdg",
                             "sdg_note", "disaggregations", "order", "min_age"}
# concepts that are not measured person attributes (aggregate cell counts, derived bands)
_EXTRA_CONCEPTS = {"age_band"}


# What a definition's expressions (universe, numerator, variable, categories.expr) may contain, as
# DuckDB parses them: columns that are canonical concepts, constants, comparisons, AND/OR/NOT,
# IN, IS [NOT] NULL, BETWEEN, CASE, CAST, arithmetic and a few text and number functions. No
# subquery, table function (read_csv...), star or window: a YAML definition reaches the engine as
# SQL text, so this is what keeps a user's definition from reading files or other tables.
_NODE_CLASSES = {"COLUMN_REF", "CONSTANT", "COMPARISON", "CONJUNCTION", "CASE", "CAST", "BETWEEN", "OPERATOR", "FUNCTION"}
_OPERATORS = {"OPERATOR_NOT", "OPERATOR_IS_NULL", "OPERATOR_IS_NOT_NULL", "COMPARE_IN", "COMPARE_NOT_IN"}
_FUNCTIONS = {"+", "-", "*", "/", "%", "//", "substr", "substring", "lower", "upper", "trim", "length", "coalesce",
              "abs", "round", "floor", "ceil", "least", "greatest", "concat", "||", "prefix", "starts_with"}


def _expression_problem(text: str) -> str | None:
    """Why a definition's SQL expression is not allowed (None: allowed)."""
    from corridor.sources import default_connection

    parsed = json.loads(default_connection().execute("SELECT json_serialize_sql(?)", [f"SELECT {text}"]).fetchall()[0][0])
    if parsed.get("error") or len(parsed["statements"]) != 1:
        message = str(parsed.get("error_message") or "")
        # a second statement after ';' makes the whole text a non-SELECT
        return message if message and "Only SELECT" not in message else "it is not one expression"
    node = parsed["statements"][0]["node"]
    if node.get("type") != "SELECT_NODE" or node.get("from_table", {}).get("type") != "EMPTY" \
            or len(node.get("select_list", [])) != 1 or node.get("modifiers") or node.get("where_clause"):
        return "it is not one expression"

    def walk(value: Any) -> str | None:
        if isinstance(value, list):
            return next((p for p in map(walk, value) if p), None)
        if not isinstance(value, dict):
            return None
        cls = value.get("class")
        if cls is not None:
            if cls not in _NODE_CLASSES:
                return f"{cls.lower()} is not allowed"
            if cls == "OPERATOR" and value.get("type") not in _OPERATORS:
                return f"operator {value.get('type')} is not allowed"
            if cls == "FUNCTION" and (value.get("function_name") not in _FUNCTIONS or value.get("schema")
                                      or value.get("catalog")):
                return f"function {value.get('function_name')}() is not allowed"
            if cls == "COLUMN_REF":
                name = ".".join(value.get("column_names", []))
                if name not in CONCEPTS and name not in _EXTRA_CONCEPTS:
                    return f"{name!r} is not a canonical concept"
        return next((p for p in map(walk, value.values()) if p), None)

    return walk(node["select_list"])


@dataclass(frozen=True)
class Indicator:
    """One indicator definition (see the module docstring)."""

    id: str
    domain: str
    name: dict[str, str]
    definition: dict[str, str]
    population: str
    type: str
    unit: str
    source: str
    standard: str
    concepts: tuple[str, ...]
    method: str | None = None
    populations: tuple[str, ...] = POPULATIONS
    universe: str | None = None
    numerator: str | None = None
    variable: str | None = None
    categories: dict[str, Any] | None = None
    sdg: tuple[str, ...] = ()
    sdg_note: str | None = None
    disaggregations: tuple[str, ...] = ()
    order: int = 0
    min_age: int | None = None
    path: Path | None = field(default=None, compare=False)

    def label(self, lang: str = "en") -> str:
        """The indicator's name in ``lang`` (es, fr, en; the pseudo-language of the tests marks the English)."""
        return pseudo(self.name["en"]) if lang == PSEUDO else self.name[_lang(lang)]

    def describe(self, lang: str = "en") -> str:
        """The indicator's definition in ``lang``."""
        return pseudo(self.definition["en"]) if lang == PSEUDO else self.definition[_lang(lang)]

    @property
    def levels(self) -> tuple[str, ...]:
        """The categories of a distribution (empty otherwise)."""
        return tuple(self.categories["levels"]) if self.categories else ()

    def missing_concepts(self, columns: set[str] | list[str], *, source_min_age: int | None = None) -> list[str]:
        """The concepts this indicator needs that a source with ``columns`` lacks.

        An indicator of ages ``min_age``+ needs ``age``, unless every person of the source is that
        old (``source_min_age``, a spec's ``population.min_age``: e.g. a survey of persons 15+).
        """
        have = set(columns)
        missing = [c for c in self.concepts if c not in have]
        if self.min_age and "age" not in have and not (source_min_age is not None and source_min_age >= self.min_age):
            missing.append("age")
        return missing

    def universe_sql(self, columns: set[str] | list[str]) -> str:
        """The universe as a condition on canonical columns: ``universe`` and, with ``age``, the age floor."""
        parts = [f"({self.universe})"] if self.universe else []
        if self.min_age and "age" in set(columns):
            parts.append(f"age >= {int(self.min_age)}")
        return " AND ".join(parts) or "TRUE"


def _lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise SpecError(Message("indicators.language", lang=lang), hint=Message("indicators.language.hint"))
    return lang


def parse(raw: dict[str, Any], path: Path | None = None) -> Indicator:
    """Check one definition and build its :class:`Indicator`; a mistake raises SpecError naming the file and key."""
    where = Message("indicators.where", name=str(path.name if path else raw.get("id", "?")))
    if not isinstance(raw, dict):
        raise SpecError(Message("indicators.not_mapping", where=where), hint=Message("indicators.not_mapping.hint"))
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise SpecError(Message("indicators.missing_keys", where=where, keys=", ".join(missing)),
                        hint=Message("indicators.see_docs.hint"))
    extra = set(raw) - _ALLOWED
    if extra:
        raise SpecError(Message("indicators.unknown_keys", where=where, keys=", ".join(sorted(extra))),
                        hint=Message("indicators.unknown_keys.hint", allowed=", ".join(sorted(_ALLOWED))))
    for key in ("name", "definition"):
        texts = raw[key]
        if not isinstance(texts, dict):
            raise SpecError(Message("indicators.texts_not_mapping", where=where, key=key),
                            hint=Message("indicators.texts_not_mapping.hint", key=key))
        absent = [lg for lg in LANGUAGES if not str(texts.get(lg) or "").strip()]
        if absent:
            raise SpecError(Message("indicators.texts_missing", where=where, key=key, langs=", ".join(absent)),
                            hint=Message("indicators.texts_missing.hint"))
    if raw["type"] not in TYPES:
        raise SpecError(Message("indicators.bad_type", where=where, type=raw["type"], types=", ".join(TYPES)),
                        hint=Message("indicators.bad_type.hint"))
    if raw["source"] not in ("survey", "aggregate"):
        raise SpecError(Message("indicators.bad_source", where=where, source=raw["source"]),
                        hint=Message("indicators.bad_source.hint"))
    unknown = [c for c in raw["concepts"] if c not in CONCEPTS and c not in _EXTRA_CONCEPTS]
    if unknown:
        raise SpecError(Message("indicators.unknown_concepts", where=where, concepts=", ".join(unknown)),
                        hint=Message("indicators.unknown_concepts.hint"))
    if raw["source"] == "aggregate":
        if raw.get("method") not in AGGREGATE_METHODS:
            raise SpecError(Message("indicators.aggregate_method", where=where, methods=", ".join(AGGREGATE_METHODS)),
                            hint=Message("indicators.aggregate_method.hint"))
    else:
        t = raw["type"]
        if t not in SURVEY_TYPES:
            raise SpecError(Message("indicators.survey_type", where=where, types=", ".join(SURVEY_TYPES), type=t),
                            hint=Message("indicators.survey_type.hint"))
        if not raw.get("universe"):
            raise SpecError(Message("indicators.no_universe", where=where), hint=Message("indicators.no_universe.hint"))
        need = {"share": "numerator", "rate": "numerator", "mean": "variable", "median": "variable", "distribution": "categories"}[t]
        if not raw.get(need):
            raise SpecError(Message("indicators.type_needs", where=where, type=t, need=need),
                            hint=Message("indicators.see_docs.hint"))
        for key, text in (("universe", raw.get("universe")), ("numerator", raw.get("numerator")),
                          ("variable", raw.get("variable")),
                          ("categories.expr", (raw.get("categories") or {}).get("expr"))):
            if text is None:
                continue
            problem = _expression_problem(str(text))
            if problem:
                raise SpecError(Message("indicators.expression_not_allowed", where=where, key=key, text=str(text),
                                        problem=problem),
                                hint=Message("indicators.expression_not_allowed.hint"))
    pops = tuple(raw.get("populations") or POPULATIONS)
    bad = [p for p in pops if p not in POPULATIONS]
    if bad:
        raise SpecError(Message("indicators.unknown_populations", where=where, populations=", ".join(bad)),
                        hint=Message("indicators.use.hint", known=", ".join(POPULATIONS)))
    min_age = raw.get("min_age")
    if min_age is not None and (not isinstance(min_age, int) or isinstance(min_age, bool) or min_age < 0):
        raise SpecError(Message("indicators.min_age", where=where, value=min_age), hint=Message("indicators.min_age.hint"))
    dis = tuple(raw.get("disaggregations") or ())
    bad = [d for d in dis if d not in DISAGGREGATIONS]
    if bad:
        raise SpecError(Message("indicators.unknown_disaggregations", where=where, names=", ".join(bad)),
                        hint=Message("indicators.use.hint", known=", ".join(DISAGGREGATIONS)))
    return Indicator(
        id=raw["id"], domain=raw["domain"], name=dict(raw["name"]), definition=dict(raw["definition"]),
        population=raw["population"], type=raw["type"], unit=raw["unit"], source=raw["source"], standard=raw["standard"],
        concepts=tuple(raw["concepts"]), method=raw.get("method"), populations=pops, universe=raw.get("universe"),
        numerator=raw.get("numerator"), variable=raw.get("variable"), categories=raw.get("categories"),
        sdg=tuple(str(s) for s in raw.get("sdg") or ()), sdg_note=raw.get("sdg_note"), disaggregations=dis,
        order=int(raw.get("order", 0)), min_age=min_age, path=path,
    )


def load(folder: str | Path | None = None) -> dict[str, Indicator]:
    """All definitions of ``folder`` (default: the shipped catalogue), by id, in catalogue order."""
    if folder is None:
        return dict(_shipped())
    return _read(Path(folder))


@lru_cache(maxsize=1)
def _shipped() -> tuple[tuple[str, Indicator], ...]:
    return tuple(_read(DEFINITIONS).items())


def _read(folder: Path) -> dict[str, Indicator]:
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise SpecError(Message("indicators.no_definitions", folder=str(folder)), hint=Message("indicators.no_definitions.hint"))
    out: dict[str, Indicator] = {}
    for f in files:
        try:
            raw = yaml.load(f.read_text(encoding="utf-8"), Loader=_SAFE)
        except yaml.YAMLError as exc:
            raise SpecError(Message("indicators.not_yaml", name=f.name, error=str(exc)),
                            hint=Message("indicators.not_yaml.hint")) from None
        ind = parse(raw, f)
        if ind.id != f.stem:
            raise SpecError(Message("indicators.id_not_file", name=f.name, id=ind.id), hint=Message("indicators.id_not_file.hint", id=ind.id))
        out[ind.id] = ind
    return dict(sorted(out.items(), key=lambda kv: (kv[1].order, kv[0])))


def get(indicator_id: str) -> Indicator:
    """One shipped indicator by id."""
    cat = load()
    if indicator_id not in cat:
        raise SpecError(Message("indicators.unknown", id=indicator_id), hint=Message("indicators.unknown.hint", known=", ".join(cat)))
    return cat[indicator_id]
