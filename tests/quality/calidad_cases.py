"""The calidad 0.8.2 reference cases (tests/reference/calidad) as corridor sees them.

``cases.json`` lists each case: a prepared extract of calidad's own data, a
``create_*`` kind with calidad's arguments and the ``assess`` calls;
``datasets.json`` holds, per extract, the R code that prepared it (run by
``make_reference.R``) and the design; :data:`PREPARE` does the same
preparation in pandas. ``expected/<id>.json`` is calidad's answer.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from shared_data import shared_file

from corridor import Design

HERE = Path(__file__).resolve().parents[1] / "reference" / "calidad"
CASES: list[dict[str, Any]] = json.loads((HERE / "cases.json").read_text())
DATASETS: dict[str, dict[str, Any]] = json.loads((HERE / "datasets.json").read_text())
BY_ID = {c["id"]: c for c in CASES}
SCHEMES = ("chile", "eclac_2020", "eclac_2023", "chile_economics")
KINDS = ("mean", "total", "size", "prop", "ratio", "median")

_MISSING = {"NA": None, "NaN": None, "Inf": math.inf, "-Inf": -math.inf}


def expected(case_id: str) -> dict[str, Any]:
    return json.loads((HERE / "expected" / f"{case_id}.json").read_text())


def kind_of(case: dict[str, Any]) -> str:
    """The case's kind, with a ratio (create_prop with a denominator) told apart from a proportion."""
    return "ratio" if case["kind"] == "prop" and case["args"].get("denominator") else case["kind"]


def estimand_of(case: dict[str, Any]) -> str:
    return {"mean": "mean", "total": "total", "size": "size", "prop": "prop", "ratio": "ratio",
            "median": "median"}[kind_of(case)]


def r_table(spec: dict[str, Any]) -> pa.Table:
    """A table written by make_reference.R (columns, types, data) as Arrow; NA and NaN become null."""
    arrays = {}
    for name, kind, values in zip(spec["columns"], spec["types"], (spec["data"][c] for c in spec["columns"]),
                                  strict=True):
        if kind == "number":
            # numbers are written as text with 17 significant digits (exact doubles)
            arrays[name] = pa.array([_MISSING[v] if v in _MISSING else float(v) for v in values], pa.float64())
        else:
            arrays[name] = pa.array(values, pa.string())
    return pa.table(arrays)


def key(value: Any) -> str:
    """A domain value as R's as.character writes it (1, not 1.0)."""
    if value is None:
        return "NA"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def keys(table: pa.Table, columns: list[str]) -> list[tuple[str, ...]]:
    return [tuple(key(v) for v in row) for row in zip(*(table.column(c).to_pylist() for c in columns), strict=True)] \
        if columns else [()] * table.num_rows


def domains(case: dict[str, Any]) -> list[str]:
    d = case["args"].get("domains")
    return [p.strip() for p in d.split("+")] if d else []


@cache
def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(shared_file("calidad_ine_chile", name), low_memory=False)


def _epf_households() -> pd.DataFrame:
    return _read("epf_personas.csv.gz").drop_duplicates("folio", keep="first").reset_index(drop=True)


def _ene() -> pd.DataFrame:
    d = _read("ene.csv.gz").copy()
    cae = d["cae_especifico"]
    d["fdt"] = cae.between(1, 9).astype(int)
    d["ocupado"] = cae.between(1, 7).astype(int)
    d["desocupado"] = cae.between(8, 9).astype(int)
    d["mujer"] = (d["sexo"] == 2).astype(int)
    d["hombre"] = (d["sexo"] == 1).astype(int)
    return d


def _casen() -> pd.DataFrame:
    d = _read("casen_2020.csv.gz").copy()
    d["ing_wa"] = d["ing_aut_hog"].where(d["activ"].notna())
    d["pobre"] = d["pobreza"].isin([1, 2]).astype(float).where(d["pobreza"].notna())
    d["pobreza_valida"] = d["pobreza"].notna().astype(int)
    d["ocupado"] = (d["activ"] == 1).astype(float).where(d["activ"].notna())
    return d


def _enusc_kish() -> pd.DataFrame:
    d = _read("enusc.csv.gz")
    return d[d["Kish"] == 1].reset_index(drop=True)


PREPARE = {
    "epf_households": _epf_households,
    "epf_persons": lambda: _read("epf_personas.csv.gz"),
    "ene": _ene,
    "casen": _casen,
    "enusc_2023_households": lambda: _read("enusc_2023.csv.gz"),
    "enusc_2023_persons": lambda: _read("enusc_2023.csv.gz"),
    "enusc_2019_kish": _enusc_kish,
    "ele7": lambda: _read("ELE7.csv"),
}


def data(name: str) -> pd.DataFrame:
    return PREPARE[name]()


def design(name: str) -> Design:
    d = DATASETS[name]["design"]
    return Design(weights=d["weights"], strata=d["strata"], ids=d["ids"], fpc=d.get("fpc"), lonely_psu="certainty")


def n_obj_table() -> pd.DataFrame:
    """ELE7_n_obj keyed as calidad's tests key it (activity letter, size as text)."""
    t = _read("ELE7_n_obj.csv")
    return pd.DataFrame({"cod_tamano": t["cod_tamano"].astype(str), "n_obj": t["n_obj"].astype(float),
                         "cod_actividad": t["cod_actividad_letra"]})


def assess_args(args: dict[str, Any]) -> dict[str, Any]:
    """calidad's assess arguments as corridor's (table_n_obj names the prepared target table)."""
    out = dict(args)
    if "table_n_obj" in out:
        out["table_n_obj"] = n_obj_table()
    return out


def close(got: np.ndarray, want: np.ndarray, rtol: float = 1e-8) -> np.ndarray:
    """Element-wise agreement to ``rtol`` relative (absolute below 1e-300), nulls with nulls."""
    got, want = np.asarray(got, float), np.asarray(want, float)
    both_nan = np.isnan(got) & np.isnan(want)
    with np.errstate(invalid="ignore"):
        ok = np.abs(got - want) <= rtol * np.maximum(np.abs(want), 1e-300)
    return both_nan | ok | (got == want)
