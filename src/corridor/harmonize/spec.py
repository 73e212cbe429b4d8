"""Harmonization specs: one YAML file per source, loaded and checked here.

A spec states its source (file, format, reader options, publisher,
codebook), how each canonical concept is obtained from the source's columns
(``from`` a column with ``codes``/``ranges``/a code ``table``, a constant
``value`` or an SQL ``expr``), derived concepts, row filters and rejections,
and the sample design. :func:`corridor.harmonize.apply.harmonize` applies it.
See ``docs/sources.md`` for the format.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from corridor.design import LONELY_PSU_RULES, REP_TYPES
from corridor.errors import SpecError
from corridor.harmonize.concepts import CONCEPTS
from corridor.i18n import Message

# libyaml's loader when PyYAML was built with it (the same objects, about 10x faster)
_SAFE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

UNKNOWN_ACTIONS = ("error", "missing", "reject")
TABLES = ("country", "cl_region", "cl_region_geo", "cl_comuna", "co_department")
BUILTIN_DERIVED = ("migrant_status", "age_group", "country_origin")
_COLUMN_KEYS = {"from", "value", "expr", "type", "codes", "ranges", "table", "via", "missing", "other", "unknown", "note"}
_TOP_KEYS = {
    "name", "title", "kind", "source", "country", "year", "unknown", "filters", "reject", "reshape",
    "columns", "derive", "design", "notes", "drop_rejected", "labels", "population",
}
_POPULATION_KEYS = {"min_age", "description"}
_DESIGN_KEYS = {"weight", "strata", "psu", "fpc", "nest", "lonely_psu", "replicate", "unit"}
LONELY_PSU = LONELY_PSU_RULES
REPLICATE_TYPES = REP_TYPES  # the estimation engine's replicate methods
# what a spec's source.options may give the readers (each applies to the formats that use it)
READER_OPTIONS = ("encoding", "delimiter", "decimal", "header", "nullstr", "na_values", "types", "sheet",
                  "header_row", "last_row", "chunksize", "data", "rename")


@dataclass
class ColumnRule:
    """How one canonical column is obtained."""

    target: str
    source: str | None = None
    value: Any = None
    expr: str | None = None
    dtype: str | None = None
    codes: dict[Any, Any] = field(default_factory=dict)
    ranges: list[tuple[float, float, Any]] = field(default_factory=list)
    table: str | None = None
    via_labels: bool = False
    missing: list[Any] = field(default_factory=list)
    other: Any = None
    has_other: bool = False
    unknown: str | None = None
    constant: bool = False

    @property
    def is_coded(self) -> bool:
        return bool(self.codes or self.ranges or self.table or self.missing)


@dataclass
class Spec:
    """A loaded, validated harmonization spec."""

    name: str
    title: str = ""
    kind: str = "microdata"
    source: dict[str, Any] = field(default_factory=dict)
    country: str | None = None
    year: int | None = None
    unknown: str = "error"
    filters: list[dict[str, str]] = field(default_factory=list)
    reject: list[dict[str, str]] = field(default_factory=list)
    reshape: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, ColumnRule] = field(default_factory=dict)
    derive: dict[str, Any] = field(default_factory=dict)
    design: dict[str, Any] = field(default_factory=dict)
    population: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    drop_rejected: bool = False  # estimate without rejected rows (else they are an error)
    labels: dict[str, dict[Any, str]] = field(default_factory=dict)  # value labels of canonical columns

    @property
    def min_age(self) -> int | None:
        """The youngest age the source covers (``population: {min_age: 15}``), when it covers part of the ages."""
        value = self.population.get("min_age")
        return None if value is None else int(value)

    @property
    def format(self) -> str | None:
        return self.source.get("format")

    @property
    def reader_options(self) -> dict[str, Any]:
        return dict(self.source.get("options") or {})

    def where(self) -> Message:
        """How to name this spec in a message (rendered in the reader's language)."""
        return _where(self.name, self.path)

    def resolve_file(self) -> Path | None:
        """The data file the spec names: next to the spec, as given, in each folder of ``CORRIDOR_DATA``, in corridor's datasets."""
        name = self.source.get("file")
        if not name:
            return None
        candidates = [Path(name).expanduser()]
        if self.path is not None:
            candidates.insert(0, self.path.parent / name)
        for root in filter(None, os.environ.get("CORRIDOR_DATA", "").split(os.pathsep)):
            candidates.append(Path(root) / name)
        candidates.append(Path(__file__).resolve().parents[1] / "datasets" / name)
        for c in candidates:
            if c.exists():
                return c
        return candidates[-1] if not Path(name).is_absolute() else Path(name)

    def source_columns(self) -> list[str]:
        """Source columns named by ``from`` (SQL expressions are checked when applied)."""
        cols = [r.source for r in self.columns.values() if r.source]
        return list(dict.fromkeys(cols))


def spec_files(*specs: str | Path) -> list[Path]:
    """The files the specs read: each spec's YAML and its data file (as :meth:`Spec.resolve_file` finds it)."""
    out: list[Path] = []
    for spec in specs:
        s = load_spec(spec)
        out += [p for p in (s.path, s.resolve_file()) if p is not None]
    return out


def list_specs() -> list[str]:
    """Names of the specs shipped with corridor."""
    return sorted(p.stem for p in (Path(__file__).parent / "specs").glob("*.yaml"))


def load_spec(spec: str | Path | dict[str, Any]) -> Spec:
    """Load a spec from a YAML path, a shipped spec's name (e.g. ``"casen_2020"``) or a dict."""
    if isinstance(spec, Spec):
        return spec
    path: Path | None = None
    if isinstance(spec, dict):
        raw = spec
    else:
        text = str(spec)
        p = Path(text).expanduser()
        if not p.exists() and "/" not in text and not text.endswith((".yaml", ".yml")):
            p = Path(__file__).parent / "specs" / f"{text}.yaml"
            if not p.exists():
                raise SpecError(Message("harmonize.spec_not_shipped", name=repr(text)),
                                hint=Message("harmonize.spec_not_shipped.hint", specs=", ".join(list_specs())))
        if not p.exists():
            raise SpecError(Message("harmonize.spec_file_missing", path=repr(str(p))), hint=Message("harmonize.spec_file_missing.hint"))
        try:
            raw = yaml.load(p.read_text(encoding="utf-8"), Loader=_SAFE)
        except yaml.YAMLError as exc:
            raise SpecError(Message("harmonize.spec_not_yaml", path=repr(str(p)), error=str(exc)),
                            hint=Message("harmonize.spec_not_yaml.hint")) from exc
        path = p.resolve()
    if not isinstance(raw, dict):
        raise SpecError(Message("harmonize.spec_not_mapping", spec=repr(str(spec))), hint=Message("harmonize.spec_format.hint"))
    return _parse(raw, path)


def _where(name: object, path: Path | None) -> Message:
    if path:
        return Message("harmonize.where_spec_file", name=repr(str(name)), path=str(path))
    return Message("harmonize.where_spec", name=repr(str(name)))


def _fail(where: Message, problem: Message, hint: Message | None = None) -> SpecError:
    """The error ``problem`` in the spec ``where`` (hint: the docs of the format, unless given)."""
    return SpecError(Message("harmonize.in_spec", where=where, problem=problem), hint=hint or Message("harmonize.spec_format.hint"))


def _parse(raw: dict[str, Any], path: Path | None) -> Spec:
    name = raw.get("name") or (path.stem if path else None)
    if not name:
        raise SpecError(Message("harmonize.spec.no_name"), hint=Message("harmonize.spec_format.hint"))
    where = _where(name, path)
    extra = set(raw) - _TOP_KEYS
    if extra:
        raise _fail(where, Message("harmonize.spec.unknown_keys", keys=", ".join(sorted(extra))), Message("harmonize.spec.allowed_keys", keys=", ".join(sorted(_TOP_KEYS))))
    options = (raw.get("source") or {}).get("options") or {}
    wrong = sorted(set(options) - set(READER_OPTIONS)) if isinstance(options, dict) else ["options"]
    if wrong:  # a misspelt option (delimeter: ';') would otherwise be ignored by the reader
        raise SpecError(Message("harmonize.unknown_reader_option", where=where, options=", ".join(map(str, wrong))),
                        hint=Message("harmonize.unknown_reader_option.hint", allowed=", ".join(READER_OPTIONS)))
    unknown = raw.get("unknown", "error")
    if unknown not in UNKNOWN_ACTIONS:
        raise _fail(where, Message("harmonize.spec.unknown_action", value=repr(unknown), allowed=", ".join(UNKNOWN_ACTIONS)))
    columns = {t: _parse_column(where, t, r) for t, r in (raw.get("columns") or {}).items()}
    design = dict(raw.get("design") or {})
    bad = set(design) - _DESIGN_KEYS
    if bad:
        raise _fail(where, Message("harmonize.spec.design_unknown_keys", keys=", ".join(sorted(bad))), Message("harmonize.spec.allowed_keys", keys=", ".join(sorted(_DESIGN_KEYS))))
    if design.get("lonely_psu", "certainty") not in LONELY_PSU:
        raise _fail(where, Message("harmonize.spec.lonely_psu", value=repr(design["lonely_psu"]), allowed=", ".join(LONELY_PSU)))
    rep = design.get("replicate")
    if rep is not None and (not isinstance(rep, dict) or not rep.get("columns") or rep.get("type") not in REPLICATE_TYPES):
        raise _fail(where, Message("harmonize.spec.replicate"), Message("harmonize.spec.replicate.hint", types=", ".join(REPLICATE_TYPES)))
    for key in ("weight", "strata", "psu", "fpc"):
        if design.get(key) is not None:
            if key in columns:
                raise _fail(where, Message("harmonize.spec.design_and_columns", key=repr(key)))
            columns[key] = ColumnRule(target=key, **_source_or_expr(design[key]))
    derive = dict(raw.get("derive") or {})
    for target, rule in derive.items():
        if target not in CONCEPTS:
            raise _fail(where, Message("harmonize.spec.derive_not_concept", target=repr(target)), Message("harmonize.spec.concepts", concepts=", ".join(CONCEPTS)))
        if not isinstance(rule, str | dict) and rule is not None:
            raise _fail(where, Message("harmonize.spec.derive_rule", target=target))
        if isinstance(rule, dict) and target not in BUILTIN_DERIVED:
            raise _fail(where, Message("harmonize.spec.derive_options", target=target, builtin=", ".join(BUILTIN_DERIVED)))
    labels = raw.get("labels") or {}
    if not isinstance(labels, dict) or not all(isinstance(v, dict) for v in labels.values()):
        raise _fail(where, Message("harmonize.spec.labels", form="{code: label}"), Message("harmonize.spec.example", example="labels: {region: {CL-AN: Antofagasta}}"))
    population = raw.get("population") or {}
    if not isinstance(population, dict) or set(population) - _POPULATION_KEYS:
        raise _fail(where, Message("harmonize.spec.population"), Message("harmonize.spec.example", example="population: {min_age: 15, description: persons aged 15 or over}"))
    if population.get("min_age") is not None and (not isinstance(population["min_age"], int) or population["min_age"] < 0):
        raise _fail(where, Message("harmonize.spec.min_age", value=repr(population["min_age"])))
    filters = [_rule_item(where, "filters", f, "rule") for f in raw.get("filters") or []]
    rejects = [_rule_item(where, "reject", f, "reason") for f in raw.get("reject") or []]
    return Spec(
        name=str(name), title=raw.get("title", ""), kind=raw.get("kind", "microdata"),
        source=dict(raw.get("source") or {}), country=raw.get("country"), year=raw.get("year"),
        unknown=unknown, filters=filters, reject=rejects, reshape=dict(raw.get("reshape") or {}),
        columns=columns, derive=derive, design=design, population=dict(population), path=path, raw=raw,
        drop_rejected=bool(raw.get("drop_rejected", False)),
        labels={str(k): {c: str(v) for c, v in t.items()} for k, t in labels.items()},
    )


def _source_or_expr(value: Any) -> dict[str, Any]:
    text = str(value)
    if text.replace("_", "").isalnum() or (text.startswith('"') and text.endswith('"')):
        return {"source": text.strip('"')}
    return {"expr": text}


def _rule_item(where: Message, key: str, item: Any, label: str) -> dict[str, str]:
    if not isinstance(item, dict) or "where" not in item:
        raise _fail(where, Message("harmonize.spec.rule_item", key=key, label=repr(label)))
    return {"where": str(item["where"]), label: str(item.get(label) or item["where"])}


def _parse_column(where: Message, target: str, rule: Any) -> ColumnRule:
    if target not in CONCEPTS and not target.startswith("repw_"):
        raise _fail(where, Message("harmonize.spec.column_not_concept", target=repr(target)), Message("harmonize.spec.concepts", concepts=", ".join(CONCEPTS)))
    if isinstance(rule, str):
        rule = {"from": rule}
    if not isinstance(rule, dict):
        raise _fail(where, Message("harmonize.spec.column_rule", target=target))
    extra = set(rule) - _COLUMN_KEYS
    if extra:
        raise _fail(where, Message("harmonize.spec.column_unknown_keys", target=target, keys=", ".join(sorted(extra))), Message("harmonize.spec.allowed_keys", keys=", ".join(sorted(_COLUMN_KEYS))))
    kinds = [k for k in ("from", "value", "expr") if k in rule]
    if len(kinds) != 1:
        raise _fail(where, Message("harmonize.spec.column_kind", target=target))
    if rule.get("unknown") not in (None, *UNKNOWN_ACTIONS):
        raise _fail(where, Message("harmonize.spec.column_unknown_action", target=target, allowed=", ".join(UNKNOWN_ACTIONS)))
    if rule.get("table") not in (None, *TABLES):
        raise _fail(where, Message("harmonize.spec.column_table", target=target, table=repr(rule["table"]), allowed=", ".join(TABLES)))
    codes = dict(rule.get("codes") or {})
    missing = list(rule.get("missing") or [])
    for code, value in list(codes.items()):
        if value is None:
            missing.append(code)
            del codes[code]
    ranges = []
    for item in rule.get("ranges") or []:
        if not isinstance(item, list | tuple) or len(item) != 3:
            raise _fail(where, Message("harmonize.spec.column_ranges", target=target))
        ranges.append((float(item[0]), float(item[1]), item[2]))
    allowed = CONCEPTS[target].values if target in CONCEPTS else None
    if allowed:
        outputs = list(codes.values()) + [r[2] for r in ranges] + ([rule["other"]] if rule.get("other") is not None else [])
        if "value" in rule and rule["value"] is not None:
            outputs.append(rule["value"])
        bad = [v for v in outputs if v not in allowed]
        if bad:
            raise _fail(where, Message("harmonize.spec.column_value", target=target, value=repr(bad[0])), Message("harmonize.spec.allowed_values", values=", ".join(allowed)))
    return ColumnRule(
        target=target, source=rule.get("from"), value=rule.get("value"), expr=rule.get("expr"),
        dtype=rule.get("type"), codes=codes, ranges=ranges, table=rule.get("table"),
        via_labels=rule.get("via") == "labels", missing=missing, other=rule.get("other"),
        has_other="other" in rule, unknown=rule.get("unknown"), constant="value" in rule,
    )
