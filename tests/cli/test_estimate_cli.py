"""`corridor estimate` as an analyst uses it: shipped data, design flags or file, formats, errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from reference.survey_cases import DATA, load

from corridor.cli import main

CASEN = ["demo:casen_2020", "--weights", "expr", "--strata", "estrato", "--ids", "cod_upm",
         "--lonely-psu", "certainty", "--na", "drop"]


def invoke(*args: str) -> object:
    return CliRunner().invoke(main, ["estimate", *args], catch_exceptions=False)


def test_readme_command_prints_poverty_by_region() -> None:
    res = invoke(*CASEN, "-e", "proportion:pobreza", "--by", "region")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].split()[:4] == ["region", "estimand", "variable", "level"]
    assert len(lines) == 1 + 16 * 3


def test_json_output_matches_r_reference(tmp_path) -> None:
    _, expected = load("P03")
    res = invoke(str(DATA / "apiclus1.csv"), "--ids", "dnum", "--weights", "pw", "--fpc", "fpc",
                 "-e", "mean:api00", "--format", "json")
    row = json.loads(res.stdout)["rows"][0]
    assert row["estimate"] == pytest.approx(expected["results"][0]["estimate"], rel=1e-10)
    assert row["se"] == pytest.approx(expected["results"][0]["se"], rel=1e-8)


def test_design_file_and_output_file(tmp_path) -> None:
    design = tmp_path / "design.yaml"
    design.write_text("ids: [dnum]\nweights: pw\nfpc: [fpc]\n")
    out = tmp_path / "res.csv"
    res = invoke(str(DATA / "apiclus1.csv"), "--design", str(design), "-e", "ratio:api.stu/enroll",
                 "--by", "stype", "-o", str(out))
    assert res.exit_code == 0
    text = out.read_text().splitlines()
    assert text[0].startswith('"stype","estimand"')
    assert len(text) == 4


def test_compare_prints_the_gap() -> None:
    res = invoke(str(DATA / "apiclus1.csv"), "--ids", "dnum", "--weights", "pw", "--fpc", "fpc",
                 "-e", "mean:api00", "--by", "stype", "--compare", "stype:E:H", "--format", "json")
    row = json.loads(res.stdout)["rows"][0]
    assert row["estimate"] == pytest.approx(30.296626984127, rel=1e-10)  # R svycontrast, see r_extra


def test_user_mistakes_print_a_message_not_a_traceback() -> None:
    res = CliRunner().invoke(main, ["estimate", *CASEN, "-e", "mean:ingreso"])
    assert res.exit_code == 2
    assert "error: column 'ingreso' not found" in res.output
    assert "hint:" in res.output
    assert "Traceback" not in res.output
    res = CliRunner().invoke(main, ["estimate", "demo:casen_2020", "-e", "mean:edad"])
    assert res.exit_code == 2 and "no sample design given" in res.output
    res = CliRunner().invoke(main, ["estimate", "missing.csv", "--weights", "w", "-e", "mean:y"])
    assert res.exit_code == 2 and "file 'missing.csv' does not exist" in res.output


def test_help_documents_every_option() -> None:
    res = CliRunner().invoke(main, ["estimate", "--help"])
    assert res.exit_code == 0
    from corridor.cli.estimate import command

    for param in command.params:
        if param.param_type_name == "option":
            assert param.help, f"option {param.name} has no help text"
            assert param.opts[-1] in res.output


def test_spec_gives_canonical_names_and_the_design() -> None:
    """NHANES 2017-2018 foreign-born share 0.1561858 (SE 0.01213676), R survey 4.1.1 in shared SOURCES.md."""
    res = invoke("--spec", "nhanes_2017_2018_demo", "-e", "proportion:migrant_status=migrant", "--na", "drop",
                 "--format", "json")
    assert res.exit_code == 0, res.output
    row = json.loads(res.stdout)["rows"][0]
    assert round(row["estimate"], 7) == 0.1561858
    assert round(row["se"], 8) == 0.01213676
    assert row["df"] == 15


def test_memory_limit_option() -> None:
    """A small working memory gives the same table (DuckDB spills instead of failing); nonsense is explained."""
    plain = invoke(*CASEN, "-e", "proportion:pobreza", "--by", "region", "--format", "csv")
    small = invoke(*CASEN, "-e", "proportion:pobreza", "--by", "region", "--format", "csv", "--memory-limit", "200MB")
    assert small.exit_code == 0, small.output
    a, b = (list(csv.reader(io.StringIO(r.output))) for r in (plain, small))
    assert a[0] == b[0] and len(a) == len(b) == 1 + 16 * 3
    for row_a, row_b in zip(a[1:], b[1:], strict=True):  # parallel sums may differ in the last digits
        for x, y in zip(row_a, row_b, strict=True):
            try:
                assert float(x) == pytest.approx(float(y), rel=1e-12)
            except ValueError:
                assert x == y
    bad = CliRunner().invoke(main, ["estimate", *CASEN, "-e", "mean:edad", "--memory-limit", "lots"])
    assert bad.exit_code == 2 and "memory limit 'lots' is not understood" in bad.output
    # the engine's errors read in the user's language
    es = CliRunner().invoke(main, ["--lang", "es", "estimate", *CASEN, "-e", "mean:edad", "--memory-limit", "lots"])
    assert es.exit_code == 2 and "no se entiende el límite de memoria 'lots'" in es.output
    assert "escríbalo, por ejemplo, como 512MB o 4GB" in es.output
    fr = CliRunner().invoke(main, ["--lang", "fr", "estimate", *CASEN, "-e", "mean:edad", "--memory-limit", "lots"])
    assert fr.exit_code == 2 and "limite de mémoire 'lots' incomprise :" in fr.output


@pytest.mark.parametrize(("lang", "total", "mean"), [("es", "19.545.799", "37,4696"), ("fr", "19\u202f545\u202f799", "37,4696"),
                                                     ("en", "19,545,799", "37.4696")])
def test_terminal_numbers_use_the_languages_separators(lang: str, total: str, mean: str) -> None:
    """In Spanish '385,974' reads as a decimal number: the table writes numbers as the language does
    (exact values stay in --format csv/json, with a decimal point)."""
    res = invoke(*CASEN, "-e", "mean:edad", "--lang", lang)
    assert res.exit_code == 0, res.output
    row = res.output.splitlines()[1]
    assert total in row and mean in row, row
    res = invoke(*CASEN, "-e", "mean:edad", "--lang", lang, "--format", "csv")
    assert ",37.469" in res.output and ",19545799," in res.output  # exact, with a decimal point


def test_demo_synthetic_sample_is_read_as_its_file() -> None:
    """demo:synthetic_corridor_sample (the README's calibrate example) is estimable as well, as its Parquet file."""
    from corridor import datasets

    args = ["--weights", "weight", "--strata", "strata", "--ids", "psu", "-e", "proportion:country_citizenship=COL",
            "--where", 'region == "CL-AN"', "--format", "json"]
    by_name = CliRunner().invoke(main, ["estimate", "demo:synthetic_corridor_sample", *args])
    assert by_name.exit_code == 0, by_name.output
    path = datasets.path("synthetic_corridor_sample")
    assert path.name == "synthetic_corridor_sample_SYNTHETIC.parquet"
    by_path = CliRunner().invoke(main, ["estimate", str(path), *args])
    row, again = json.loads(by_name.stdout)["rows"][0], json.loads(by_path.stdout)["rows"][0]
    # the same rows and counts; the numbers to the last bits only, as two scans of one file give them
    # (DuckDB adds up in parallel, in an order that differs between runs by about 1e-16)
    assert row.keys() == again.keys()
    for k, v in row.items():
        assert v == (pytest.approx(again[k], rel=1e-12, abs=0) if isinstance(v, float) else again[k]), k
    assert row["n"] == 2049 and row["estimate"] == pytest.approx(0.0513075, rel=1e-5)
