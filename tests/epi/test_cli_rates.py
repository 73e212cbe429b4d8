"""`corridor rates` on the shipped demo tables (counts SYNTHETIC, populations INE/SERMIG + INE)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from corridor.epi import dsr, rate_ratio
from corridor.epi.inputs import join_denominators
from corridor.errors import InputError

SRC = Path(__file__).resolve().parents[2] / "src" / "corridor"
DEMO = SRC / "datasets" / "demo_notifications"
COUNTS = str(DEMO / "notifications_SYNTHETIC.csv")
POP = str(DEMO / "population_antofagasta_2018_2022.csv")


@pytest.fixture(scope="module")
def command():
    from corridor.cli.rates import command

    return command


def _demo() -> pd.DataFrame:
    return join_denominators(pd.read_csv(COUNTS), pd.read_csv(POP), "cases", "population")


@pytest.mark.parametrize("sub", ["crude", "dsr", "isr", "ratio", "proportion"])
def test_help_is_complete(command, sub):
    result = CliRunner().invoke(command, [sub, "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--counts", "--population", "--by", "--confidence", "--output"):
        assert option in result.output
    assert "Usage:" in result.output


def test_group_help_lists_methods(command):
    result = CliRunner().invoke(command, ["--help"])
    assert result.exit_code == 0
    for word in ("crude", "dsr", "isr", "ratio", "proportion", "Dobson", "SYNTHETIC"):
        assert word in result.output


def test_dsr_csv_matches_api(command, tmp_path):
    out = tmp_path / "dsr.csv"
    result = CliRunner().invoke(
        command,
        [
            "dsr",
            "--counts",
            COUNTS,
            "--population",
            POP,
            "--by",
            "disease",
            "--by",
            "population_group",
            "--standard",
            "who2000",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    got = pd.read_csv(out)
    expected = dsr(
        _demo(), "cases", "population", "age_group", ["disease", "population_group"], standard="who2000"
    )
    pd.testing.assert_series_equal(got["value"], expected["value"], check_dtype=False)
    assert list(got.columns) == list(expected.columns)


def test_ratio_json(command, tmp_path):
    out = tmp_path / "rr.json"
    result = CliRunner().invoke(
        command,
        [
            "ratio",
            "--counts",
            COUNTS,
            "--population",
            POP,
            "--by",
            "disease",
            "--compare",
            "population_group",
            "--reference",
            "rest",
            "--numerator",
            "colombia",
            "--confidence",
            "95",
            "--confidence",
            "99.8",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    records = json.loads(out.read_text())
    assert len(records) == 6 and {r["group"] for r in records} == {"colombia"}
    api = rate_ratio(_demo(), "cases", "population", "population_group", "rest", "colombia", "disease")
    assert records[0]["value"] == pytest.approx(api["value"].iloc[0], rel=1e-9)


def test_xlsx_counts(command, tmp_path):
    counts = pd.read_csv(COUNTS)
    xlsx = tmp_path / "counts.xlsx"
    counts[counts["disease"] == "tuberculosis"].to_excel(xlsx, sheet_name="tb", index=False)
    result = CliRunner().invoke(
        command,
        ["crude", "--counts", str(xlsx), "--sheet", "tb", "--population", POP, "--by", "population_group"],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(pd.io.common.StringIO(result.output))
    assert list(table["population_group"]) == ["colombia", "other_foreign", "rest"]


def test_user_mistake_is_a_corridor_error_naming_the_row(command, tmp_path):
    bad = pd.read_csv(COUNTS)
    bad.loc[7, "cases"] = -3
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    result = CliRunner().invoke(command, ["crude", "--counts", str(path), "--population", POP])
    assert isinstance(result.exception, InputError)
    assert "negative count -3" in result.exception.message and "row" in result.exception.message


def test_count_without_population_is_reported():
    counts = pd.DataFrame({"year": [2018, 2030], "cases": [1, 2]})
    pop = pd.DataFrame({"year": [2018], "population": [100]})
    with pytest.raises(InputError, match=r"row 2 \(year=2030\) has no population"):
        join_denominators(counts, pop, "cases", "population")


def test_absent_cells_count_zero():
    counts = pd.DataFrame({"year": [2018], "disease": ["tb"], "cases": [4]})
    pop = pd.DataFrame({"year": [2018, 2019], "population": [100, 120]})
    joined = join_denominators(counts, pop, "cases", "population")
    assert joined.sort_values("year")["cases"].tolist() == [4, 0]


def test_combine_adds_all_migrants(command):
    result = CliRunner().invoke(
        command,
        [
            "crude",
            "--counts",
            COUNTS,
            "--population",
            POP,
            "--by",
            "population_group",
            "--combine",
            "population_group:all_foreign=colombia,other_foreign",
        ],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(pd.io.common.StringIO(result.output)).set_index("population_group")
    assert (
        table.loc["all_foreign", "count"]
        == table.loc["colombia", "count"] + table.loc["other_foreign", "count"]
    )
    assert table.loc["all_foreign", "population"] == (
        table.loc["colombia", "population"] + table.loc["other_foreign", "population"]
    )


def test_add_group_rejects_unknown_members():
    from corridor.epi import add_group

    data = pd.DataFrame({"grp": ["a", "b"], "cases": [1, 2]})
    with pytest.raises(InputError, match="group\\(s\\) 'c' not in column 'grp'"):
        add_group(data, "grp", "ab", ["a", "c"])


def test_mistake_under_the_corridor_command_prints_message_and_exits_2(command, tmp_path):
    from corridor.cli import _Group

    corridor = _Group("corridor")
    corridor.add_command(command, "rates")
    bad = pd.read_csv(COUNTS)
    bad["cases"] = bad["cases"].astype(float)
    bad.loc[3, "cases"] = 1.5
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    result = CliRunner().invoke(corridor, ["rates", "dsr", "--counts", str(path), "--population", POP])
    assert result.exit_code == 2
    assert "non-integer count 1.5" in result.output and "hint:" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("lang", "message", "hint"), [
    ("en", "column 'cases' of the data has a non-integer count 1.5 at row 10 (age_group='15-19')",
     "hint: counts must be whole numbers; weighted or estimated counts are not Poisson counts"),
    ("es", "en los datos, la columna 'cases' tiene un conteo no entero 1,5 en la fila 10 (age_group='15-19')",
     "sugerencia: los conteos deben ser números enteros; los conteos ponderados o estimados no son conteos de Poisson"),
    ("fr", "dans les données, la colonne 'cases' a un effectif non entier 1,5 à la ligne 10 (age_group='15-19')",
     ("conseil : les effectifs doivent être des nombres entiers ; des effectifs pondérés ou estimés ne sont pas "
      "des effectifs de Poisson")),
])
def test_input_errors_read_in_the_users_language(tmp_path, lang, message, hint):
    """`corridor rates` names the file's column and row in the reader's language, numbers with its decimal mark."""
    from corridor.cli import main

    bad = pd.read_csv(COUNTS)
    bad["cases"] = bad["cases"].astype(float)
    bad.loc[3, "cases"] = 1.5
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    result = CliRunner().invoke(main, ["--lang", lang, "rates", "dsr", "--counts", str(path), "--population", POP])
    assert result.exit_code == 2
    assert message in result.output and hint in result.output, result.output


@pytest.mark.parametrize(("lang", "message", "wrote"), [
    ("es", "en los datos, la columna 'population' tiene una población cero (0) en la fila 7 (age_group='10-14')",
     "1 fila escrita en"),
    ("fr", "dans les données, la colonne 'population' a une population nulle (0) à la ligne 7 (age_group='10-14')",
     "1 ligne écrite dans"),
])
def test_population_errors_and_output_lines_in_the_users_language(tmp_path, lang, message, wrote):
    from corridor.cli import main

    pop = pd.read_csv(POP)
    pop.loc[2, "population"] = 0
    pop_path = tmp_path / "pop.csv"
    pop.to_csv(pop_path, index=False)
    result = CliRunner().invoke(main, ["--lang", lang, "rates", "crude", "--counts", COUNTS, "--population", str(pop_path),
                                       "--by", "age_group"])
    assert result.exit_code == 2 and message in result.output, result.output
    out = tmp_path / "crude.csv"
    result = CliRunner().invoke(main, ["--lang", lang, "rates", "crude", "--counts", COUNTS, "--population", POP,
                                       "-o", str(out)])
    assert result.exit_code == 0 and f"{wrote} {out}" in result.output, result.output


def test_count_without_population_is_reported_in_the_users_language():
    from corridor import i18n

    counts = pd.DataFrame({"year": [2018, 2030], "cases": [1, 2]})
    pop = pd.DataFrame({"year": [2018], "population": [100]})
    with i18n.language("fr"), pytest.raises(InputError) as err:
        join_denominators(counts, pop, "cases", "population")
    assert err.value.render("fr") == ("la ligne 2 (year=2030) du tableau des effectifs n'a pas de population",
                                      "chaque effectif a besoin d'une cellule de population avec les mêmes year")
    assert err.value.render("es")[0] == "la fila 2 (year=2030) de la tabla de conteos no tiene población"
