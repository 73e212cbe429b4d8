"""Uploads that once froze or exhausted the server, sent to a real ``corridor serve`` process.

Real files: an XLSX with one cell at row 1,048,576, an XLSX whose sheet of 2 million tiny rows
compresses to well under a megabyte, a CSV of a million one-letter lines, a CSV with a field over
128 KiB, and a 200 MB body streamed to the sign-in form and to the upload form. While each is
processed, ``/health`` is polled: the typical answer must come within 200 ms (or three times the
machine's own idle answer when other work loads it), and no answer may wait
as long as half the upload's own time (or 2 s, whichever is longer). When the import ran on the
event loop, /health waited for the whole import (4 to 21 s): one answer as slow as the upload
itself. The bounds are generous on purpose: this is a functional check on a 2-core machine shared
with other work, not a timing benchmark. The server's resident
memory must not grow by more than ``MEMORY_BOUND_MIB`` over its level before the uploads, and
nothing may be left on disk.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import httpx
import pytest
from svc_helpers import PASSWORD

MEMORY_BOUND_MIB = 150
HEALTH_TYPICAL_S = 0.2
HEALTH_BOUND_S = 2.0
ROOT = Path(__file__).resolve().parents[2]


def _rss_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(field)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, template_data: Path):
    """``corridor serve`` on a free port over a copy of the started data folder, with its own TMPDIR."""
    base = tmp_path_factory.mktemp("hostile")
    data, tmp = base / "data", base / "tmp"
    shutil.copytree(template_data, data)
    tmp.mkdir()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "TMPDIR": str(tmp),
        "CORRIDOR_SEED_PROFILE": "false",
        "CORRIDOR_ARGON2_TIME_COST": "1",
        "CORRIDOR_ARGON2_MEMORY_KIB": "1024",
        "CORRIDOR_LOG_LEVEL": "warning",
    }
    cmd = [
        sys.executable,
        "-c",
        "from corridor.cli.serve import command; command()",
        "--data-dir",
        str(data),
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise AssertionError("the server did not start: " + proc.stderr.read().decode()[-2000:])
    yield {"url": url, "port": port, "pid": proc.pid, "data": data, "tmp": tmp}
    proc.terminate()
    proc.wait(20)


def _signed_in(url: str, user: str) -> tuple[httpx.Client, str]:
    c = httpx.Client(base_url=url, timeout=120)
    page = c.get("/login")
    pre = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert (
        c.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": pre}).status_code == 303
    )
    acc = c.get("/account")
    return c, re.search(r'name="csrf_token" value="([^"]+)"', acc.text).group(1)


class HealthWatch:
    """Polls /health from another thread while the block runs; keeps every latency."""

    def __init__(self, url: str) -> None:
        self.url, self.lat, self.codes, self.took = url, [], [], 0.0
        self.idle: list[float] = []  # before the upload: how the machine answers without it
        self._stop = threading.Event()

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30) as c:
            while not self._stop.is_set():
                t = time.perf_counter()
                self.codes.append(c.get("/health").status_code)
                self.lat.append(time.perf_counter() - t)
                time.sleep(0.02)

    def __enter__(self) -> HealthWatch:  # noqa: PYI034
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        time.sleep(0.5)
        self.idle, self.lat = self.lat, []
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.took = time.perf_counter() - self._t0
        end = time.monotonic() + 30
        while not self.lat and time.monotonic() < end:  # an upload refused at once: one answer at least
            time.sleep(0.01)
        self._stop.set()
        self._t.join(30)


def _upload(server, name: str, content: bytes) -> tuple[httpx.Response, HealthWatch, float]:
    c, csrf = _signed_in(server["url"], "reg")
    before = _rss_mib(server["pid"], "VmRSS")
    with HealthWatch(server["url"]) as watch:
        r = c.post(
            "/programme/trainings/upload?lang=en",  # the messages checked below, in English
            data={"csrf_token": csrf},
            files={"file": (name, io.BytesIO(content))},
        )
    growth = _rss_mib(server["pid"], "VmHWM") - before
    c.close()
    return r, watch, growth


def _responsive(watch: HealthWatch, took: float) -> None:
    lat, idle = sorted(watch.lat), sorted(watch.idle) or [0.0]
    assert lat and set(watch.codes) == {200}
    # the typical answer: within 200 ms, or within three times the machine's own idle answer when it is
    # busy with other work (the shared machine sometimes answers an idle /health in 100 ms)
    # (the median proper: an upload refused at once leaves two or three answers, and the upper of two is no median)
    typical = max(HEALTH_TYPICAL_S, 3 * statistics.median(idle))
    assert statistics.median(lat) < typical, (
        f"/health latencies {lat[-5:]} s (idle {statistics.median(idle):.3f} s)"
    )
    assert lat[-1] < max(HEALTH_BOUND_S, took / 2), (
        f"/health waited {lat[-1]:.2f} s in an upload of {took:.2f} s"
    )


def _no_leftovers(server) -> None:
    assert list((server["data"] / "uploads").iterdir()) == []
    assert list(server["tmp"].rglob("*")) == []


def _check(r, watch: HealthWatch, growth: float, status: int, *texts: str) -> None:
    assert r.status_code == status, r.text[-2000:]
    for t in texts:
        assert t in r.text, t
    assert str(ROOT) not in r.text and "/tmp" not in r.text
    _responsive(watch, watch.took)
    assert growth < MEMORY_BOUND_MIB, f"the server grew by {growth:.0f} MiB"


def test_xlsx_with_a_cell_at_the_last_row(server, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "session_id",
            "date",
            "region",
            "facility",
            "course",
            "topic",
            "participant_id",
            "profession",
            "sex",
            "pre_score",
        ]
    )
    ws.cell(row=1_048_576, column=1, value="x")
    path = tmp_path / "far.xlsx"
    wb.save(path)
    assert path.stat().st_size < 8000
    r, watch, growth = _upload(server, "far.xlsx", path.read_bytes())
    _check(r, watch, growth, 422, "extends to row 1,048,576", "at most 100,000 rows")
    _no_leftovers(server)


def test_xlsx_that_expands_a_thousand_times(server):
    buf = io.BytesIO()
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData>'
    )
    row = b'<row><c t="inlineStr"><is><t>a</t></is></c></row>'
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"/>',
        )
        with z.open("xl/worksheets/sheet1.xml", "w") as fh:
            fh.write(head)
            for _ in range(2000):
                fh.write(row * 1000)
            fh.write(b"</sheetData></worksheet>")
    assert len(buf.getvalue()) < 1024 * 1024
    r, watch, growth = _upload(server, "bomb.xlsx", buf.getvalue())
    _check(r, watch, growth, 422, "expands", "times")
    _no_leftovers(server)


def test_csv_of_a_million_short_lines(server):
    header = b"session_id,date,region,facility,course,topic,participant_id,profession,sex,pre_score\n"
    body = header + b"a\n" * 1_000_000
    r, watch, growth = _upload(server, "lines.csv", body)
    _check(r, watch, growth, 422, "more than 100,000 rows")
    _no_leftovers(server)


def test_csv_of_a_hundred_thousand_bad_rows_reports_the_first_hundred(server):
    header = b"session_id,date,region,facility,course,topic,participant_id,profession,sex,pre_score\n"
    body = header + b"".join(
        b"S%d,2026-13-01,CL-AN,F%d,CULT-2,T,P%d,nurse,F,50\n" % (i, i, i) for i in range(20_000)
    )
    r, watch, growth = _upload(server, "bad.csv", body)
    _check(r, watch, growth, 422, "20,000 problems", "the first 100 listed", "and 19,900 more")
    _no_leftovers(server)


def test_csv_field_over_128_kib_names_its_line(server):
    header = b"session_id,date,region,facility,course,topic,participant_id,profession,sex,pre_score\n"
    body = header + b"S1,2026-01-01,CL-AN,F,CULT-2,T,P1,nurse,F,50\n" + b"S2," + b"x" * (200 * 1024) + b"\n"
    r, watch, growth = _upload(server, "wide.csv", body)
    _check(r, watch, growth, 422, "line 3")
    _no_leftovers(server)


def _raw(port: int, head: bytes, body_chunks, *, chunked: bool) -> tuple[bytes, int]:
    """Send a request by hand; stop sending when the server answers. (answer, body bytes sent)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(head)
    sent = 0
    s.setblocking(False)
    answer = b""
    try:
        for chunk in body_chunks:
            try:
                answer += s.recv(65536)
            except BlockingIOError:
                pass
            if answer:
                break
            data = b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
            view = memoryview(data)
            while view:
                try:
                    n = s.send(view)
                    view = view[n:]
                except BlockingIOError:
                    time.sleep(0.001)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    s.setblocking(True)
    try:
        while b"\r\n\r\n" not in answer:
            more = s.recv(65536)
            if not more:
                break
            answer += more
    except (ConnectionResetError, TimeoutError):
        pass
    s.close()
    return answer, sent


def _chunks(total: int, size: int = 256 * 1024):
    block = b"z" * size
    for _ in range(total // size):
        yield block


BIG = 200 * 1024 * 1024


def test_a_200_mb_body_to_the_sign_in_form_is_refused_before_it_is_stored(server):
    port = server["port"]
    head = (
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n" % BIG
    )
    t = time.perf_counter()
    answer, sent = _raw(port, head, _chunks(BIG), chunked=False)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < BIG // 10 and time.perf_counter() - t < 5
    head = (
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    answer, sent = _raw(port, head, _chunks(BIG, 4096), chunked=True)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < BIG // 10
    assert b"no-store" in answer.lower() and b"x-content-type-options" in answer.lower()
    _no_leftovers(server)


def test_a_200_mb_upload_is_refused_while_it_streams(server):
    c, csrf = _signed_in(server["url"], "reg")
    cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
    c.close()
    boundary = b"corridorboundary"
    preamble = (
        b'--%s\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n%s\r\n'
        b'--%s\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\nsession_id,date\r\n" % (boundary, csrf.encode(), boundary)
    )
    head = (
        b"POST /programme/trainings/upload HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n"
        b"Content-Type: multipart/form-data; boundary=%s\r\nTransfer-Encoding: chunked\r\n\r\n"
        % (cookie.encode(), boundary)
    )
    before = _rss_mib(server["pid"], "VmRSS")
    with HealthWatch(server["url"]) as watch:
        t = time.perf_counter()
        answer, sent = _raw(server["port"], head, [preamble, *_chunks(BIG)], chunked=True)
        took = time.perf_counter() - t
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
    assert sent < BIG // 4, f"{sent:,} bytes were sent before the refusal"
    _responsive(watch, took)
    assert _rss_mib(server["pid"], "VmHWM") - before < MEMORY_BOUND_MIB
    _no_leftovers(server)


def test_other_accounts_sign_in_during_a_lockout(server):
    url = server["url"]
    c = httpx.Client(base_url=url, timeout=30)
    for _ in range(6):
        page = c.get("/login")
        pre = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        last = c.post("/login", data={"username": "admin", "password": "wrong password", "csrf_token": pre})
    assert last.status_code == 429
    c.close()
    for user in ("ana", "vic"):
        _signed_in(url, user)[0].close()
