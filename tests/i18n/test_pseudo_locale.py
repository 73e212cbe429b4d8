"""Pseudo-locale runs: what corridor writes in the pseudo-language ``qps`` comes from the catalogue.

In ``qps`` every catalogue text reads accented and bracketed (``⟦ƒíļé ... ŕéáđ⟧``), so a plain
English word left in an error is text that bypassed the catalogue. The values a message quotes
(paths, column names, codes, numbers) and the words of the command line itself stay as written.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from corridor import i18n
from corridor.cli import main

# words that are code, not prose, wherever they appear (command names, options' values)
CODE_WORDS = {"corridor", "Parquet", "PSUs",
              # formats and command names, as typed on the command line
              "csv", "json", "parquet", "stata", "spss", "sas", "ipums", "xlsx", *main.list_commands(None)}
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")


def leaks(text: str, allowed: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Words of plain English in a ``qps`` rendering: text that did not come from the catalogue."""
    found = []
    for line in text.splitlines():
        bare = _QUOTED.sub(" ", line)
        for word in re.findall(r"(?<![\w./<-])[A-Za-z]{3,}(?![\w/.>-])", bare):
            # capitals are metavariables and codes (OPTIONS, DATA, ISO3)
            if word not in allowed and word not in CODE_WORDS and not word.isupper():
                found.append(word)
    return found


def test_leaks_tells_catalogue_text_from_hard_coded_text() -> None:
    assert leaks(i18n.t("error.columns_not_found", i18n.PSEUDO, count=1, names="'edda'", where="'x.csv'")) == []
    assert leaks("⟦éŕŕóŕ: file 'x.csv' does not exist⟧") == ["file", "does", "not", "exist"]
    assert leaks("⟦ĥíñţ: úšé --na-values abc⟧", {"abc"}) == []


def _run(args: list[str], tmp_path: Path) -> str:
    res = CliRunner().invoke(main, args, prog_name="corridor", env={"CORRIDOR_LANG": i18n.PSEUDO})
    assert res.exit_code != 0, res.output
    assert "⟦" in res.output, res.output
    return res.output


def _write(tmp_path: Path, name: str, text: str | bytes) -> str:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return str(p)


# each case: a command line that fails in corridor.sources, estimation, design, estimands, flows,
# calibration, epi, quality or the command line itself
CASES = {
    "file missing": lambda d: ["sources", "describe", str(d / "none.csv")],
    "file empty": lambda d: ["sources", "describe", _write(d, "empty.csv", b"")],
    "header only": lambda d: ["sources", "describe", _write(d, "head.csv", "a,b\n")],
    "bad encoding": lambda d: ["sources", "describe", _write(d, "latin.csv", "a,b\n1,\xe9t\xe9\n".encode("latin-1"))],
    "gzip damaged": lambda d: ["sources", "describe", _write(d, "cut.csv.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 20)],
    "parquet damaged": lambda d: ["sources", "describe", _write(d, "bad.parquet", b"PAR1" + b"\x00" * 40)],
    "unknown format": lambda d: ["sources", "describe", _write(d, "x.unknown", "a\n1\n")],
    "duplicate columns": lambda d: ["sources", "describe", _write(d, "dup.csv", "a,a\n1,2\n")],
    "column not found": lambda d: ["estimate", "demo:casen_2020", "-e", "mean:edda", "--weights", "expr"],
    "bad estimand": lambda d: ["estimate", "demo:casen_2020", "-e", "median-edad", "--weights", "expr"],
    "bad condition": lambda d: ["estimate", "demo:casen_2020", "-e", "mean:edad", "--weights", "expr",
                                "--where", "edad >>> 3"],
    "missing values": lambda d: ["estimate", _write(d, "na.csv", "y,w\n1,1\n,1\n3,2\n"), "-e", "mean:y", "--weights", "w"],
    "negative weight": lambda d: ["estimate", _write(d, "neg.csv", "y,w\n1,1\n2,-1\n3,2\n"), "-e", "mean:y",
                                  "--weights", "w"],
    "lonely psu": lambda d: ["estimate", _write(d, "lonely.csv", "y,w,s,p\n1,1,1,1\n2,1,1,2\n3,2,2,3\n"),
                             "-e", "mean:y", "--weights", "w", "--strata", "s", "--ids", "p"],
    "unknown country": lambda d: ["flows", "stocks", "--origin", "XXX", "--destination", "CHL"],
    "calibration totals": lambda d: ["calibrate", "demo:casen_2020", "--weights", "expr", "--totals",
                                     _write(d, "t.csv", "region,total\n99,5\n"), "--out", str(d / "o.parquet")],
    "small areas select": lambda d: ["small-areas", _write(d, "direct.csv", "area,estimate,se\na,1,0.1\n"),
                                      "--select", "bad"],
    "small areas twice": lambda d: ["small-areas", _write(d, "twice.csv", "area,estimate,se\na,1,0.1\nb,2,0.1\na,3,0.1\n")],
    "small areas level": lambda d: ["small-areas", _write(d, "lvl.csv", "area,estimate,se\na,1,0.1\nb,2,0.1\n"),
                                     "--level", "1.5"],
    "no design": lambda d: ["estimate", "demo:casen_2020", "-e", "mean:edad"],
    "rates combine": lambda d: ["rates", "crude", "--counts", _write(d, "c.csv", "g,cases,population\na,1,10\n"),
                                "--combine", "nonsense"],
    "rates count not whole": lambda d: ["rates", "crude", "--counts", _write(d, "c.csv", "g,cases,population\na,1.5,10\n")],
    "rates zero population": lambda d: ["rates", "crude", "--counts", _write(d, "z.csv", "g,cases,population\na,1,0\n"),
                                        "--by", "g"],
    "quality estimand twice": lambda d: ["quality", "assess", _write(d, "q.csv", "estimand,estimate,se,n,df\nmean,1,0.1,100,10\n"),
                                         "--estimand", "mean"],
    "quality no estimand": lambda d: ["quality", "assess", _write(d, "q2.csv", "estimate,se,n,df\n1,0.1,100,10\n")],
    "flows indices empty": lambda d: ["flows", "indices", "--file", _write(d, "f.csv", "origin,destination,flow\n")],
    "no such command": lambda d: ["profle"],
    "missing option": lambda d: ["profile", "--origin", "COL"],
    "bad choice": lambda d: ["estimate", "demo:casen_2020", "--weights", "expr", "-e", "mean:edad", "--na", "maybe"],
    "unknown language": lambda d: ["sources", "specs", "--lang", "de"],
    "not numbers": lambda d: ["estimate", _write(d, "text.csv", "y,w\n1,1\nabc,1\n3,2\n"), "-e", "mean:y",
                              "--weights", "w", "--na", "fail"],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_errors_come_from_the_catalogue(case: str, tmp_path: Path) -> None:
    args = CASES[case](tmp_path)
    out = _run(args, tmp_path)
    # the words of the command line and the values read from the files come back as written
    allowed = {w for a in args for w in re.findall(r"[A-Za-z]+", a)} | {"abc", "term", "level", "region", "total"}
    assert not leaks(out, allowed), f"{case}: hard-coded English in\n{out}"
