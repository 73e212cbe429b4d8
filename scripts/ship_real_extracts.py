"""Write the real-data extracts shipped in ``src/corridor/datasets`` from the shared public files.

Run from the repository root, with the shared data folder beside the clone (or ``CORRIDOR_SHARED``
set to the folder holding ``data/``)::

    .venv/bin/python scripts/ship_real_extracts.py

* ENUSC 2020 and 2019 (INE Chile, person files with nationality): the columns the profile and
  the specs use, values unchanged, as zstd-compressed Parquet (``datasets/enusc_nationality``);
* CASEN 2022 comuna shares and the 2017 census comuna table: the files unchanged, gzip-compressed
  (``datasets/casen2022_comunas``, ``datasets/census2017_comunas``).

Each folder's PROVENANCE.md states the origin, the changes and the terms; this script prints the
SHA-256 of every input and output so that PROVENANCE.md can be checked against a new run.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CORRIDOR_SHARED", ROOT.parent / "shared")) / "data"
OUT = ROOT / "src" / "corridor" / "datasets"

# Column subsets (names as in the files). 2019 numbers the labour roster R13-R19 (rph_p16 is empty).
ENUSC = {
    "enusc_2020": ("enusc_2020_etiq.csv.gz", [
        "rph_ID", "enc_region", "rph_edad", "rph_sexo", "rph_nacionalidad", "rph_migracion",
        "rph_p9", "rph_p10", "rph_p11", "rph_p12", "rph_p13", "rph_p14", "Fact_Pers", "VarStrat", "Conglomerado"]),
    "enusc_2019": ("enusc_2019.csv.gz", [
        "rph_id", "enc_region", "enc_region16fix", "rph_edad", "rph_sexo", "rph_nacionalidad", "rph_migracion",
        "rph_p13", "rph_p14", "rph_p15", "rph_p16", "rph_p17", "rph_p18", "rph_p19", "fact_pers", "varstrat",
        "conglomerado"]),
}
COPIES = {
    "casen2022_comunas/casen2022_comunas.csv.gz": "casen2022_comunas/casen_comunas.csv",
    "census2017_comunas/census2017_comunas.csv.gz": "census2017_comunas/consolidado_censo_241022.csv",
}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main() -> None:
    con = duckdb.connect()
    folder = OUT / "enusc_nationality"
    folder.mkdir(parents=True, exist_ok=True)
    for name, (file, columns) in ENUSC.items():
        src = SHARED / "enusc_nationality" / file
        out = folder / f"{name}_persons.parquet"
        cols = ", ".join(f'"{c}"' for c in columns)
        con.execute(f"COPY (SELECT {cols} FROM read_csv('{src}', sample_size = -1)) TO '{out}' "
                    "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 19)")
        rows = con.sql(f"SELECT count(*) FROM '{out}'").fetchall()[0][0]
        print(f"{src.name} sha256 {sha256(src)} -> {out.relative_to(ROOT)} ({rows} rows, {out.stat().st_size} bytes)")
    for target, source in COPIES.items():
        src, out = SHARED / source, OUT / target
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(src, "rb") as fin, gzip.GzipFile(out, "wb", compresslevel=9, mtime=0) as fout:
            shutil.copyfileobj(fin, fout)
        print(f"{src.name} sha256 {sha256(src)} -> {out.relative_to(ROOT)} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
