"""Build the programme layer's reference files from their public sources (run by hand, offline).

    python scripts/make_programme_reference.py \
        --sdg-xlsx "Global Indicator Framework after 2023 refinement.English.xlsx" \
        --sdg-translations PATH/sdg-translations \
        --iati-codelists PATH/IATI-Codelists --iati-nonembedded PATH/IATI-Codelists-NonEmbedded \
        --iati-rulesets PATH/IATI-Rulesets --org-id-register PATH/register

Paths to the repositories are git directories or work trees; files are read from the branches
named in PROVENANCE.md (``git show BRANCH:PATH``). Writes into
``src/corridor/programme/reference/``:

* ``sdg_framework.csv``: every goal, target and indicator code of the official UN list with its
  title in en (from the UNSD file) and es/fr (official translations, as compiled by Open SDG);
* ``iati_codelists.csv``: the IATI 2.03 codes the export uses (list, code, name en/fr);
* ``iati_rulesets_standard.json``: the IATI Standard's ``standard`` ruleset, unchanged;
* ``org_id_prefixes.csv``: the organisation-identifier list codes of org-id.guide.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import yaml

OUT = Path(__file__).resolve().parents[1] / "src" / "corridor" / "programme" / "reference"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CODELISTS = {  # list -> (repository, path)
    "ActivityStatus": ("embedded", "xml/ActivityStatus.xml"),
    "ActivityDateType": ("embedded", "xml/ActivityDateType.xml"),
    "BudgetType": ("embedded", "xml/BudgetType.xml"),
    "BudgetStatus": ("embedded", "xml/BudgetStatus.xml"),
    "OrganisationRole": ("embedded", "xml/OrganisationRole.xml"),
    "TransactionType": ("embedded", "xml/TransactionType.xml"),
    "Currency": ("nonembedded", "xml/Currency.xml"),
    "OrganisationType": ("nonembedded", "xml/OrganisationType.xml"),
    "Sector": ("nonembedded", "xml/Sector.xml"),
    "SectorVocabulary": ("nonembedded", "xml/SectorVocabulary.xml"),
    "TagVocabulary": ("nonembedded", "xml/TagVocabulary.xml"),
    "IndicatorVocabulary": ("nonembedded", "xml/IndicatorVocabulary.xml"),
}


def git_show(repo: Path, ref: str, path: str) -> bytes:
    gitdir = repo / ".git" if (repo / ".git").exists() else repo
    return subprocess.run(["git", "--git-dir", str(gitdir), "show", f"{ref}:{path}"], check=True,
                          capture_output=True).stdout


def sdg_rows(xlsx: Path, translations: Path, ref: str) -> list[dict]:
    ws = openpyxl.load_workbook(xlsx, read_only=True).worksheets[0]
    goal_re = re.compile(r"^Goal (\d+)\.\s*(.*)$", re.DOTALL)
    target_re = re.compile(r"^(\d+\.(?:\d+|[a-z]))\s+(.*)$", re.DOTALL)
    ind_re = re.compile(r"^(\d+\.(?:\d+|[a-z])\.\d+)\s+(.*)$", re.DOTALL)
    rows: dict[str, dict] = {}
    for row in ws.iter_rows(values_only=True):
        left, indicator = row[1], row[2]
        for text in (left, indicator):
            if not isinstance(text, str):
                continue
            text = " ".join(text.split())
            for kind, rx in (("goal", goal_re), ("indicator", ind_re), ("target", target_re)):
                m = rx.match(text)
                if m:
                    rows.setdefault(m.group(1), {"code": m.group(1), "kind": kind, "title_en": m.group(2).strip()})
                    break
    names = {"goal": "global_goals", "target": "global_targets", "indicator": "global_indicators"}
    for lang in ("es", "fr"):
        for kind, fname in names.items():
            doc = yaml.safe_load(git_show(translations, ref, f"translations/{lang}/{fname}.yml"))
            for key, title in doc.items():
                if not key.endswith("-title"):
                    continue
                code = key[: -len("-title")].replace("-", ".")
                if code in rows and rows[code]["kind"] == kind:
                    rows[code][f"title_{lang}"] = unicodedata.normalize("NFC", " ".join(str(title).split()))
    def order(code: str) -> tuple:
        return tuple(int(p) if p.isdigit() else 100 + ord(p) for p in code.split("."))
    return [rows[c] for c in sorted(rows, key=order)]


def codelist_rows(embedded: Path, nonembedded: Path) -> list[dict]:
    out = []
    for name, (which, path) in CODELISTS.items():
        repo, ref = (embedded, "version-2.03") if which == "embedded" else (nonembedded, "HEAD")
        root = ET.fromstring(git_show(repo, ref, path))
        for item in root.iter("codelist-item"):
            if item.get("status") == "withdrawn":
                continue
            texts = {n.get(XML_LANG, "en"): unicodedata.normalize("NFC", (n.text or "").strip())
                     for n in item.findall("name/narrative")}
            out.append({"list": name, "code": item.findtext("code").strip(), "name_en": texts.get("en", ""),
                        "name_fr": texts.get("fr", "")})
    return out


def write_csv(path: Path, rows: list[dict], fields: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in fields})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sdg-xlsx", type=Path, required=True)
    ap.add_argument("--sdg-translations", type=Path, required=True)
    ap.add_argument("--sdg-translations-ref", default="HEAD")
    ap.add_argument("--iati-codelists", type=Path, required=True)
    ap.add_argument("--iati-nonembedded", type=Path, required=True)
    ap.add_argument("--iati-rulesets", type=Path, required=True)
    ap.add_argument("--org-id-register", type=Path, required=True)
    a = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    sdg = sdg_rows(a.sdg_xlsx, a.sdg_translations, a.sdg_translations_ref)
    write_csv(OUT / "sdg_framework.csv", sdg, ["code", "kind", "title_en", "title_es", "title_fr"])
    write_csv(OUT / "iati_codelists.csv", codelist_rows(a.iati_codelists, a.iati_nonembedded),
              ["list", "code", "name_en", "name_fr"])
    (OUT / "iati_rulesets_standard.json").write_bytes(
        git_show(a.iati_rulesets, "version-2.03", "rulesets/standard.json"))
    listing = subprocess.run(["git", "--git-dir", str(a.org_id_register / ".git" if (a.org_id_register / ".git").exists()
                                                       else a.org_id_register), "ls-tree", "-r", "--name-only", "HEAD",
                              "lists"], check=True, capture_output=True, text=True).stdout.split()
    prefixes = []
    for path in listing:
        if path.endswith(".json"):
            doc = json.loads(git_show(a.org_id_register, "HEAD", path))
            prefixes.append({"code": doc["code"], "name": (doc.get("name") or {}).get("en", ""),
                             "deprecated": str(bool(doc.get("deprecated"))).lower()})
    write_csv(OUT / "org_id_prefixes.csv", sorted(prefixes, key=lambda r: r["code"]), ["code", "name", "deprecated"])
    print(f"{len(sdg)} SDG codes; wrote {OUT}")


if __name__ == "__main__":
    main()
