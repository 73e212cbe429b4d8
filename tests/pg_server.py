"""The PostgreSQL server the postgres-marked tests use.

``CORRIDOR_TEST_POSTGRES_URL`` names a running server when it is set (``scripts/services.sh`` sets it).
Otherwise the tests start a throw-away cluster themselves from Debian's ``postgresql`` binaries, as
the browser tests find Chromium: on a loopback port chosen free, with its socket inside its own data
folder, stopped and removed at the end of the session. Without either, the tests fail and say what to
install; a PostgreSQL test is never skipped in silence.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_ENV = "CORRIDOR_TEST_POSTGRES_URL"
MISSING = (
    f"PostgreSQL not found: {PG_ENV} is not set and no /usr/lib/postgresql/*/bin/initdb is installed. "
    "Hint: run scripts/system-deps.sh (Debian's postgresql), or set "
    f"{PG_ENV}=postgresql+psycopg://USER@127.0.0.1:PORT/DBNAME"
)


def pg_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], as_postgres: bool) -> None:
    # initdb refuses to run as root: a root session runs the server as the postgres user
    if as_postgres:
        cmd = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{c}'" for c in cmd)]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")


@contextmanager
def throwaway_server(bindir: Path) -> Iterator[str]:
    """Start a cluster in a fresh temporary folder; yield its URL; stop it and delete the folder."""
    root = os.geteuid() == 0
    data = Path(tempfile.mkdtemp(prefix="corridor-test-pg-"))
    if root:
        shutil.chown(data, "postgres")
    port = _free_port()
    _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"], root)
    opts = (f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off")
    _run([str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(data / "log"), "-w", "start"], root)
    try:
        _run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "corridor_test"],
             root)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/corridor_test"
    finally:
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], root)
        shutil.rmtree(data, ignore_errors=True)
