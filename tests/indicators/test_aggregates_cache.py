"""The shipped aggregate tables, harmonized once and kept on disk between runs (corridor.datasets.cache)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from corridor.indicators import aggregates
from corridor.sources import default_connection


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CORRIDOR_CACHE_DIR", str(folder))
    aggregates._cached.cache_clear()
    yield folder
    aggregates._cached.cache_clear()


def _fresh(origin: str = "COL", destination: str = "CHL") -> aggregates.AggregateInputs:
    return aggregates._read(origin, destination, default_connection())


def test_a_cached_result_is_the_fresh_one(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = aggregates.load_aggregates("COL", "CHL")
    assert first == _fresh()
    assert len(list((cache_dir / "aggregates").glob("*.json"))) == 1
    # a new process (the memory cache cleared) reads the entry instead of harmonizing again
    aggregates._cached.cache_clear()
    monkeypatch.setattr(aggregates, "_read", lambda *a: pytest.fail("harmonized again"))
    again = aggregates.load_aggregates("COL", "CHL")
    assert again == first
    assert list(again.cells) == list(first.cells)  # the same order, so sums over cells add up alike


def test_each_corridor_has_its_own_entry(cache_dir: Path) -> None:
    col, ven = aggregates.load_aggregates("COL", "CHL"), aggregates.load_aggregates("VEN", "CHL")
    assert col != ven
    assert len(list((cache_dir / "aggregates").glob("*.json"))) == 2


def test_a_changed_table_is_read_again(cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a copy of the projections' spec and table, so that the table can change
    spec = aggregates.PROJECTIONS_SPEC
    copy = tmp_path / "proj"
    shutil.copytree(spec.parent, copy)
    monkeypatch.setattr(aggregates, "PROJECTIONS_SPEC", copy / spec.name)
    before = aggregates.load_aggregates("COL", "CHL")
    data = next(copy.glob("*.csv"))
    lines = data.read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",")[1:] == ["year", "sex", "age_group", "population"]
    # a cell of a year the foreign residents' table also has (the projections are read for those years)
    k = next(i for i, line in enumerate(lines[1:], 1) if line.split(",")[1] == "2020")
    cell = lines[k].split(",")
    cell[-1] = str(int(cell[-1]) + 1000)
    lines[k] = ",".join(cell)
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    aggregates._cached.cache_clear()
    after = aggregates.load_aggregates("COL", "CHL")
    assert after == _fresh()
    assert after != before
    assert sum(after.cells.values()) == pytest.approx(sum(before.cells.values()) + 1000)
    assert len(list((cache_dir / "aggregates").glob("*.json"))) == 2


def test_a_damaged_entry_is_computed_again(cache_dir: Path) -> None:
    aggregates.load_aggregates("COL", "CHL")
    (entry,) = (cache_dir / "aggregates").glob("*.json")
    entry.write_text('{"cells": [[', encoding="utf-8")
    aggregates._cached.cache_clear()
    assert aggregates.load_aggregates("COL", "CHL") == _fresh()


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORRIDOR_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    aggregates._cached.cache_clear()
    try:
        assert aggregates.load_aggregates("COL", "CHL") == _fresh()
    finally:
        aggregates._cached.cache_clear()
    assert not any(tmp_path.iterdir())


def test_an_unwritable_folder_only_costs_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("CORRIDOR_CACHE_DIR", str(blocked))
    aggregates._cached.cache_clear()
    try:
        assert aggregates.load_aggregates("COL", "CHL") == _fresh()
    finally:
        aggregates._cached.cache_clear()


def test_code_changed_on_disk_after_loading_turns_the_cache_off(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """corridor updated in place under a running process: the code on disk (which the keys hash) is not
    the code running, so the process neither files its results under the new code's key nor reads the
    new code's results: it computes without the cache."""
    from corridor import _deps
    from corridor.datasets import cache

    cache._code_state.cache_clear()
    try:
        assert cache.folder() == cache_dir
        charts = Path(cache.__file__).resolve().parents[1] / "report" / "charts.py"
        # the process loaded corridor before the charts' code was last written (an update in place)
        monkeypatch.setattr(_deps, "LOADED_AT", charts.stat().st_mtime - 1)
        cache._code_state.cache_clear()
        assert cache.folder() is None
        calls = []
        assert cache.remember("kind", [], ["x"], lambda: calls.append(1) or 7) == 7
        assert cache.remember("kind", [], ["x"], lambda: calls.append(1) or 7) == 7
        assert calls == [1, 1] and not (cache_dir / "kind").exists()
    finally:
        cache._code_state.cache_clear()
