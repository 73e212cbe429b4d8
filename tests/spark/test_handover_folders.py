"""Hand-over folders that killed processes left behind are removed by the next engine on the same host."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from corridor.engine.spark import _folder_prefix, sweep_stale_folders


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _folder(parent: Path, name: str) -> Path:
    path = parent / name
    (path / "rows-1").mkdir(parents=True)
    (path / "rows-1" / "part-00000.parquet").write_bytes(b"PAR1")
    return path


def test_stale_folders_of_this_host_are_removed_and_others_kept(tmp_path: Path) -> None:
    dead, prefix = _dead_pid(), _folder_prefix()
    stale = _folder(tmp_path, f"{prefix}{dead}-abc")
    live = _folder(tmp_path, f"{prefix}{os.getpid()}-def")
    other_host = _folder(tmp_path, f"corridor-spark-elsewhere_node7-{dead}-ghi")  # another driver's, on a shared folder
    legacy = _folder(tmp_path, f"corridor-spark-{dead}-jkl")
    unrelated = _folder(tmp_path, "corridor-spark-notes")
    assert sweep_stale_folders(tmp_path) == [stale]
    assert not stale.exists() and live.exists() and other_host.exists() and legacy.exists() and unrelated.exists()
    # in the machine's own temporary folder, folders named before the host was part of the name go too
    assert sweep_stale_folders(tmp_path, legacy=True) == [legacy]
    assert live.exists() and other_host.exists() and unrelated.exists()
