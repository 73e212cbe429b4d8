"""Survey inputs of the indicators: harmonized microdata plus its sample design.

A thin adapter over :func:`corridor.harmonize.harmonize`: a shipped spec name or a spec file is
harmonized; a CSV/Parquet file already in canonical columns (``weight``, ``strata``, ``psu``,
``sex``, ``age``, ``migrant_status``, ``country_origin`` or ``country_birth`` ...) is read as is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from corridor.design import AnyDesign, Design, design_from_dict
from corridor.engine import Engine
from corridor.errors import InputError, SourceError
from corridor.i18n import Message

DATASETS = Path(__file__).resolve().parents[1] / "datasets"
DEFAULT_SPEC = DATASETS / "synthetic_corridor_sample" / "synthetic_corridor_sample.yaml"


@dataclass
class SurveySource:
    """Harmonized microdata (a DuckDB relation in canonical columns), its design and provenance."""

    relation: duckdb.DuckDBPyRelation
    design: AnyDesign
    name: str
    title: str
    publisher: str
    year: int | None
    synthetic: bool
    design_text: str
    country: str | None = None
    min_age: int | None = None      # every person is at least this old (a spec's population.min_age)
    basis: str | None = None        # what migrant status rests on: birth, citizenship, or None (mixed / unknown)

    @property
    def columns(self) -> list[str]:
        """The canonical columns the source has."""
        return list(self.relation.columns)


def load_survey(data: str | Path | None = None, *, con: duckdb.DuckDBPyConnection | None = None,
                engine: Engine | None = None) -> SurveySource:
    """Open a survey: ``None`` (the shipped SYNTHETIC sample), a spec name/file, or a canonical CSV/Parquet file.

    Harmonization is DuckDB SQL (specs and indicator definitions are written in it): it runs on
    ``con``, else on the DuckDB ``engine``'s own connection (so that engine's memory limit covers it),
    else on the process's shared connection. The relation stays lazy; another engine (Spark) reads
    it as a Parquet file DuckDB writes when the engine opens it.
    """
    from corridor.engine.duckdb import DuckDBEngine
    from corridor.harmonize import harmonize, list_specs, load_spec
    from corridor.sources import default_connection

    if con is None and isinstance(engine, DuckDBEngine):
        con = engine.connection

    target = DEFAULT_SPEC if data is None else data
    text = str(target)
    is_spec = text.endswith((".yaml", ".yml")) or text in _spec_names(list_specs)
    if is_spec:
        spec = load_spec(text)
        h = harmonize(None, spec, con=con)
        if not h.design:
            raise InputError(Message("indicators.no_design", source=spec.name), hint=Message("indicators.no_design.hint"))
        title = spec.title or spec.name
        notes = str(spec.raw.get("notes") or "")
        publisher = str(spec.source.get("publisher") or "")
        synthetic = "SYNTHETIC" in f"{title} {notes}".upper()
        return SurveySource(relation=h.relation, design=design_from_dict(h.design), name=spec.name, title=title,
                            publisher=publisher, year=spec.year, synthetic=synthetic,
                            design_text=_describe_design(h.design), country=spec.country, min_age=spec.min_age,
                            basis=_basis(spec))
    path = Path(text)
    if not path.exists():
        raise SourceError(Message("indicators.survey_not_found", path=str(path)),
                          hint=Message("indicators.survey_not_found.hint"))
    con = con or default_connection()
    rel = con.read_parquet(str(path)) if path.suffix in (".parquet", ".pq") else con.read_csv(str(path), sample_size=-1)
    cols = set(rel.columns)
    if "weight" not in cols:
        raise InputError(Message("indicators.no_weight", path=str(path)), hint=Message("indicators.no_weight.hint"))
    d = {"type": "taylor", "weights": "weight", "strata": "strata" if "strata" in cols else None,
         "ids": "psu" if "psu" in cols else None, "lonely_psu": "certainty"}
    synthetic = "synthetic" in cols or "SYNTHETIC" in path.name.upper()
    return SurveySource(relation=rel, design=design_from_dict({k: v for k, v in d.items() if v is not None}),
                        name=path.stem, title=path.name, publisher="", year=None, synthetic=synthetic,
                        design_text=_describe_design(d))


def _basis(spec: Any) -> str | None:
    """``citizenship`` when the spec maps nationality but no birthplace, ``birth`` when it maps birthplace."""
    cols = set(spec.columns)
    if "country_birth" in cols or "country_birth" in spec.derive:
        return "birth"
    return "citizenship" if "country_citizenship" in cols else None


def _spec_names(list_specs: Any) -> set[str]:
    return set(list_specs())


def _describe_design(d: dict[str, Any]) -> str:
    if d.get("type") == "replicate":
        return f"replicate weights ({d.get('rep_type', '')})"
    parts = []
    if d.get("strata"):
        parts.append(f"strata '{d['strata']}'")
    if d.get("ids"):
        parts.append(f"PSUs '{d['ids']}'")
    parts.append(f"weights '{d.get('weights')}'")
    return "stratified cluster sample: " + ", ".join(parts) if d.get("ids") else "weighted sample: " + ", ".join(parts)


def calibrated(source: SurveySource, totals: Any, *, engine: Any = None) -> tuple[SurveySource, Any]:
    """The source with its design raked to population totals (``ine``: INE projections by region x
    sex x age group and INE/SERMIG residents by nationality, of the survey's year; ``ine:...``; or a
    totals file, see :func:`corridor.calibration.read_totals`), and the calibrated design."""
    from dataclasses import replace

    from corridor.calibration import calibrate, official

    if isinstance(totals, str) and totals.split(":")[0] == "ine":
        spec = totals if totals != "ine" else f"ine:{source.year or 2022}"
        totals = official.totals(spec, data=source.relation, engine=engine)
    cal = calibrate(source.relation, source.design, totals, method="raking", engine=engine)
    return replace(source, design=cal), cal


def design_of(source: SurveySource) -> Design | AnyDesign:
    """The source's design (for callers that estimate directly)."""
    return source.design
