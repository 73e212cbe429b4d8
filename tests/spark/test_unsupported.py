"""What the Spark engine cannot do fails with an error that names it (UnsupportedError), never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pytest

import corridor as cr
from corridor import i18n
from corridor.engine import spark as spark_module
from corridor.engine.spark import SparkEngine
from corridor.errors import InputError, SourceError, UnsupportedError
from spark.agree import QUIET_PANDAS3

pytestmark = [pytest.mark.spark, QUIET_PANDAS3]


@pytest.mark.parametrize("suffix", ["zst", "xz", "zip"])
def test_compressions_spark_cannot_read_are_named(suffix: str, tmp_path: Path, spark_engine: SparkEngine) -> None:
    path = tmp_path / f"survey.csv.{suffix}"
    path.write_bytes(b"\x28\xb5\x2f\xfd")
    with pytest.raises(UnsupportedError, match=rf"cannot read compressed \.{suffix} files.*\nHint: .*gzip"):
        cr.estimate(path, cr.Design(weights="w"), cr.Mean("y"), engine=spark_engine)


def test_dotted_names_without_the_narwhals_bridge_are_named(
    monkeypatch: pytest.MonkeyPatch, spark_engine: SparkEngine
) -> None:
    """Should a Narwhals release drop the Spark frame the quoting bridge extends, dotted names fail clearly."""
    monkeypatch.setattr(spark_module, "SparkLikeLazyFrame", None)
    df = spark_engine.session.createDataFrame(pa.table({"api.stu": [1.0], "w": [1.0]}))
    with pytest.raises(UnsupportedError, match=r"names contain dots or backticks: \['api.stu'\]\nHint: rename"):
        spark_engine.open(df)


def test_missing_java_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(spark_module.shutil, "which", lambda name: None)
    with pytest.raises(UnsupportedError, match=r"needs Java \(17 or later\).*\nHint: .*openjdk-17-jre-headless"):
        spark_module._create_session("local[1]", {})


def test_missing_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if not installed
    with pytest.raises(UnsupportedError, match=r"(?s)the Spark engine needs the package 'pyspark'.*corridor\[spark\]"):
        SparkEngine()
    with pytest.raises(UnsupportedError, match="the Spark engine"):
        cr.estimate("x.parquet", cr.Design(weights="w"), cr.Mean("y"), engine="spark")


def test_bad_inputs_are_input_or_source_errors(tmp_path: Path, spark_engine: SparkEngine) -> None:
    with pytest.raises(SourceError, match="file not found"):
        spark_engine.open(tmp_path / "absent.parquet")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(SourceError, match="is empty"):
        spark_engine.open(tmp_path / "empty.csv")
    with pytest.raises(InputError, match="cannot read data of type dict with the Spark engine"):
        spark_engine.open({"y": [1.0]})
    (tmp_path / "notes.json").write_text("{}")
    with pytest.raises(SourceError, match=r"do not know how to read"):
        spark_engine.open(tmp_path / "notes.json")
    with i18n.language("fr"), pytest.raises(SourceError, match=r"impossible de savoir comment lire .*notes\.json") as err:
        spark_engine.open(tmp_path / "notes.json")
    assert "ou un dossier de fichiers Parquet" in (err.value.render("fr")[1] or "")
    with i18n.language("es"), pytest.raises(SourceError, match=r"archivo no encontrado: .*absent\.parquet"):
        spark_engine.open(tmp_path / "absent.parquet")
