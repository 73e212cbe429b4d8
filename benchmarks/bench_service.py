"""Benchmark: a bounded load test of the web service on loopback.

Starts ``corridor serve`` in a subprocess on 127.0.0.1 with a fresh data folder (the first
profile is built by the seeded job), then, in the same run:

* baseline: VIEWERS concurrent clients fetch the static stylesheet and ``/health`` (the floor of
  the stack: uvicorn + middleware, no database or page work);
* corridor: VIEWERS concurrent signed-in viewers browse profile pages (filters, three languages),
  the tidy-table API, chart and table downloads, the catalogue and the programme page, while an
  analyst runs a profile job (polling its progress) and a partner records training sessions.

Bounded by REQUESTS per phase and a time limit. Prints throughput, latency percentiles and
errors for both phases and their ratio, the server's CPU time per request of the load (less
disturbed by other work on the machine than the times), its peak resident memory, the job's duration,
and checks that no write was lost (every recorded session is in the programme afterwards).
``--sessions N`` first records N training sessions, so that the programme page is measured with
a long history. ``--before SRC`` runs the same load, in the same run and first, against the
source tree SRC (e.g. a checkout of an older commit) and prints the ratios of this tree to it.
Each kind of request's p50/p90/p99 and the slowest 1% of requests (when in the load they were sent)
say what makes the tail; ``--py-spy FILE`` samples this tree's server with py-spy during the load.
Run: ``PYTHONPATH=src python benchmarks/bench_service.py [VIEWERS] [REQUESTS] [--sessions N] [--before SRC]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TIME_LIMIT = 240.0
PASSWORD = "bench passphrase 123"
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s(pid: int) -> float:
    """CPU time (user + system) the process has used so far, in seconds, its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def helper_cpu_s(pid: int) -> dict[int, float]:
    """CPU time of each process the server started that runs at its priority (the chart-drawing
    processes; not the profile job's child, which runs at a lower one), by pid."""
    def stat(p: str) -> list[str]:
        return Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()

    own_nice = stat(str(pid))[16]
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                children.setdefault(int(stat(d)[1]), []).append(int(d))
            except (OSError, IndexError):
                pass
    out, todo = {}, list(children.get(pid, []))
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            f = stat(str(p))
        except OSError:
            continue
        if f[16] == own_nice:
            out[p] = (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    return out


async def sign_in(base: str, user: str) -> tuple[httpx.AsyncClient, str]:
    c = httpx.AsyncClient(base_url=base, timeout=120)
    page = await c.get("/login")
    pre = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = await c.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": pre})
    if r.status_code != 303:
        raise SystemExit(f"sign-in of {user} failed: {r.status_code}")
    acc = await c.get("/account")
    return c, re.search(r'name="csrf_token" value="([^"]+)"', acc.text).group(1)


def summary(name: str, lat: list[float], errors: int, wall: float) -> dict:
    if not lat:
        raise SystemExit(f"{name}: no request was answered")
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0]] * 99
    out = {
        "requests": len(lat),
        "errors": errors,
        "wall_s": wall,
        "rps": len(lat) / wall,
        "p50_ms": 1000 * q[49],
        "p90_ms": 1000 * q[89],
        "p99_ms": 1000 * q[98],
        "max_ms": 1000 * max(lat),
    }
    print(
        f"{name:<9} {out['requests']:>6} req  {out['errors']:>3} errors  {out['rps']:8.1f} req/s  "
        f"p50 {out['p50_ms']:7.1f} ms  p90 {out['p90_ms']:7.1f} ms  p99 {out['p99_ms']:8.1f} ms  max {out['max_ms']:8.1f} ms"
    )
    return out


KINDS: dict[str, list[float]] = {}
# every request of the last phase: (start in s from the phase's start, latency in s, url)
TIMELINE: list[tuple[float, float, str]] = []


def kind_of(url: str) -> str:
    path = url.split("?")[0]
    if path.startswith("/api/"):
        return "api table"
    if "/charts/" in path or path.endswith((".csv", ".xlsx")):
        return "download"
    if path.startswith("/profiles/"):
        return "profile page"
    return path.strip("/") + " page" if path.count("/") == 1 and path != "/health" else path


async def hammer(
    clients: list[httpx.AsyncClient], urls: list[str], total: int
) -> tuple[list[float], int, float, list[str]]:
    KINDS.clear()
    TIMELINE.clear()
    lat: list[float] = []
    errors: list[str] = []
    it = itertools.cycle(urls)
    left = [total]
    t0 = time.perf_counter()

    async def worker(c: httpx.AsyncClient) -> None:
        while left[0] > 0 and time.perf_counter() - t0 < TIME_LIMIT:
            left[0] -= 1
            url = next(it)
            s = time.perf_counter()
            try:
                r = await c.get(url)
                if r.status_code >= 400:
                    errors.append(f"{r.status_code} {url}")
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__} {url}")
            lat.append(time.perf_counter() - s)
            KINDS.setdefault(kind_of(url), []).append(lat[-1])
            TIMELINE.append((s - t0, lat[-1], url))

    await asyncio.gather(*(worker(c) for c in clients))
    return lat, len(errors), time.perf_counter() - t0, errors[:5]


def training(sid: str, i: int) -> dict:
    return {
        "session_id": sid,
        "date": "2026-06-01",  # the demo programme's draft period
        "region": "CL-AN",
        "facility": f"Bench facility {sid}",
        "course": "CULT-2",
        "organisation": "REGIONAL-HEALTH-AN",
        "topic": "Load test",
        "participants": [
            {
                "participant_id": f"{sid}-{k}",
                "profession": "nurse",
                "sex": "F",
                "pre_score": 50,
                "post_score": 60,
            }
            for k in range(3)
        ],
    }


async def seed_sessions(client: httpx.AsyncClient, csrf: str, n: int) -> None:
    """N training sessions recorded as one uploaded file (the history is setup, not the measure; the
    sessions recorded during the load go through the API one at a time)."""
    cols = ("session_id", "date", "region", "facility", "course", "organisation", "topic", "participant_id",
            "profession", "sex", "pre_score", "post_score")
    lines = [",".join(cols)]
    for i in range(n):
        s = training(f"SEED-{i:05d}", i)
        for p in s["participants"]:
            lines.append(",".join(str({**s, **p}[c]) for c in cols))
    r = await client.post(
        "/programme/trainings/upload",
        data={"csrf_token": csrf},
        files={"file": ("seed.csv", ("\n".join(lines) + "\n").encode(), "text/csv")},
    )
    if r.status_code != 303:
        raise SystemExit(f"seeding {n} sessions failed: {r.status_code} {r.text[-300:]}")


async def stored_sessions(admin: httpx.AsyncClient) -> set[str]:
    """Every training session the programme API lists (paged where the service pages)."""
    out: set[str] = set()
    offset = 0
    while True:
        prog = (await admin.get(f"/api/v1/programme?trainings_limit=1000&trainings_offset={offset}")).json()
        page = prog["trainings"]
        out |= {s["session_id"] for s in page}
        if "trainings_count" not in prog or offset + len(page) >= prog["trainings_count"] or not page:
            return out
        offset += len(page)


async def measure(
    src: Path, viewers: int, requests: int, sessions: int, log: Path | None = None, spy: Path | None = None
) -> dict:
    """One service from the source tree ``src``: baseline and mixed load; returns the figures."""
    data = Path(tempfile.mkdtemp(prefix="corridor-bench-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": str(src / "src"),
        "CORRIDOR_ADMIN_USER": "admin",
        "CORRIDOR_ADMIN_PASSWORD": PASSWORD,
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
    if log is not None:
        env["CORRIDOR_LOG_LEVEL"] = "info"
    sink = open(log, "w") if log is not None else subprocess.DEVNULL  # noqa: ASYNC230, SIM115
    proc = subprocess.Popen(cmd, env=env, stdout=sink, stderr=sink)  # noqa: ASYNC220
    try:
        t0 = time.perf_counter()
        async with httpx.AsyncClient(base_url=base, timeout=5) as c:
            while True:
                try:
                    h = (await c.get("/health")).json()
                    if h["profiles"] >= 1:
                        break
                except httpx.HTTPError:
                    pass
                if time.perf_counter() - t0 > 600:
                    raise SystemExit("the first profile was not built within 10 minutes")
                await asyncio.sleep(1)
        print(
            f"service up with its first profile in {time.perf_counter() - t0:.1f} s (seeded job, cold start)"
        )
        admin, csrf = await sign_in(base, "admin")
        for name, role, org in (
            ("analyst", "analyst", None),
            ("viewer", "viewer", None),
            ("partner", "partner", "REGIONAL-HEALTH-AN"),
        ):
            r = await admin.post(
                "/api/v1/users",
                json={"username": name, "password": PASSWORD, "role": role, "organisation": org},
                headers={"X-CSRF-Token": csrf},
            )
            r.raise_for_status()
        run_id = (await admin.get("/api/v1/profiles")).json()["data"][0]["id"]
        analyst, acsrf = await sign_in(base, "analyst")
        if sessions:
            t = time.perf_counter()
            await seed_sessions(analyst, acsrf, sessions)
            print(f"{sessions} training sessions recorded first in {time.perf_counter() - t:.1f} s")
        viewer_sessions = [await sign_in(base, "viewer") for _ in range(4)]
        clients = [viewer_sessions[i % len(viewer_sessions)][0] for i in range(viewers)]

        # baseline: the stack's floor
        lat, err, wall, _ = await hammer(clients, ["/static/corridor.css", "/health"], requests)
        base_s = summary("baseline", lat, err, wall)

        urls = []
        for lang in ("es", "fr", "en"):
            urls += [
                f"/profiles/{run_id}?lang={lang}",
                f"/profiles/{run_id}?lang={lang}&indicator=unemployment_rate&disaggregation=sex",
                f"/profiles/{run_id}?lang={lang}&area=CL-AN",
                f"/api/v1/indicators?lang={lang}&population=corridor",
                f"/api/v1/indicators?lang={lang}&area=all&disaggregation=region&indicator=migrant_stock",
                f"/profiles/{run_id}/table.csv?lang={lang}&indicator=informality_rate",
                f"/profiles/{run_id}/charts/regions.csv?lang={lang}",
                f"/indicators?lang={lang}",
                f"/programme?lang={lang}",
            ]
        partner, pcsrf = await sign_in(base, "partner")
        job = (
            await analyst.post(
                "/api/v1/jobs", json={"origin": "COL", "destination": "CHL"}, headers={"X-CSRF-Token": acsrf}
            )
        ).json()
        job_t0 = time.perf_counter()
        recorded: list[str] = []
        write_times: list[float] = []

        async def partner_writes() -> None:
            w0 = time.perf_counter()
            for i in range(10):
                sid = f"BENCH-{i:02d}"
                r = await partner.post(
                    "/api/v1/programme/trainings", json=training(sid, i), headers={"X-CSRF-Token": pcsrf}
                )
                if r.status_code == 201:
                    recorded.append(sid)
                write_times.append(time.perf_counter() - w0)
                await asyncio.sleep(0.5)

        async def job_watch() -> float:
            while True:
                j = (await analyst.get(f"/api/v1/jobs/{job['id']}")).json()
                if j["status"] in ("done", "failed"):
                    return time.perf_counter() - job_t0 if j["status"] == "done" else float("nan")
                await asyncio.sleep(1)

        cpu0 = cpu_s(proc.pid)
        helpers0 = helper_cpu_s(proc.pid)
        spying = None
        if spy is not None:  # py-spy samples the server (its threads; the job's child too) during the load
            spying = subprocess.Popen(  # noqa: ASYNC220
                ["py-spy", "record", "--subprocesses", "--nonblocking", "--gil", "--format", "raw", "--rate", "100",
                 "-o", str(spy), "-p", str(proc.pid)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        load = asyncio.create_task(hammer(clients, urls, requests))
        writes = asyncio.create_task(partner_writes())
        lat, err, wall, samples = await load
        await writes
        cpu = cpu_s(proc.pid) - cpu0
        helpers = sum(v - helpers0.get(p, 0.0) for p, v in helper_cpu_s(proc.pid).items())
        if spying is not None:
            spying.send_signal(2)  # py-spy writes its samples on SIGINT
            spying.wait(30)
        job_s = await job_watch()
        corr = summary("corridor", lat, err, wall)
        for k, v in sorted(KINDS.items()):
            q = statistics.quantiles(v, n=100) if len(v) > 1 else [v[0]] * 99
            print(
                f"  {k:<16} {len(v):>5} req  p50 {1000 * q[49]:7.1f} ms  p90 {1000 * q[89]:7.1f} ms  "
                f"p99 {1000 * q[98]:8.1f} ms  max {1000 * max(v):8.1f} ms"
            )
        # the requests that make the tail: which they are and when in the load they were sent (a first
        # draw, a write's rebuild and a pause of the whole server look different here)
        tail = sorted(TIMELINE, key=lambda t: -t[1])[: max(1, len(lat) // 100)]
        print(f"  slowest {len(tail)} (the p99 tail): sent at +s, took ms, url")
        for start, took, url in sorted(tail):
            print(f"    +{start:6.2f}  {1000 * took:7.0f}  {url}")
        print(f"  partner writes answered at +s: {', '.join(f'{t:.2f}' for t in write_times)}")
        if samples:
            print("first errors:", samples)
        print(
            f"ratio corridor/baseline: p50 x{corr['p50_ms'] / base_s['p50_ms']:.1f}, "
            f"p99 x{corr['p99_ms'] / base_s['p99_ms']:.1f}, throughput x{corr['rps'] / base_s['rps']:.2f}"
        )
        print(
            f"server CPU during the load: {cpu + helpers:.1f} s, {1000 * (cpu + helpers) / len(lat):.1f} ms per request "
            f"(of which its chart-drawing processes {helpers:.1f} s; the job's child process not included; "
            "a measure that a busy machine disturbs less than times)"
        )
        rss = peak_rss_mib(proc.pid)
        print(f"profile job during the load: {job_s:.1f} s; server peak RSS {rss:.0f} MiB")
        stored = await stored_sessions(admin)
        lost = [s for s in recorded if s not in stored]
        print(f"writes: {len(recorded)}/10 training sessions recorded during the load, {len(lost)} lost")
        for c in {id(c): c for c in clients + [admin, analyst, partner]}.values():
            await c.aclose()
        kinds = {k: statistics.median(v) for k, v in KINDS.items()}
        return {
            "baseline": base_s,
            "load": corr,
            "kinds": kinds,
            "job_s": job_s,
            "rss_mib": rss,
            "cpu_ms_per_request": 1000 * (cpu + helpers) / len(lat),
            "lost": len(lost),
        }
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)  # the service's data folder of this run (profiles, database)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("viewers", nargs="?", type=int, default=20, help="concurrent clients (default 20)")
    ap.add_argument("requests", nargs="?", type=int, default=1500, help="requests per phase (default 1500)")
    ap.add_argument("--sessions", type=int, default=0, help="training sessions recorded before the load")
    ap.add_argument("--before", type=Path, help="a source tree measured first with the same load")
    ap.add_argument("--server-log", type=Path, help="keep the server's log of this tree's run in this file")
    ap.add_argument("--py-spy", type=Path, help="sample this tree's server with py-spy during the load into this file")
    a = ap.parse_args()
    runs = [("before", a.before.resolve())] if a.before else []
    runs.append(("this tree" if a.before else "", ROOT))
    out = {}
    for name, src in runs:
        if name:
            print(f"== {name}: {src}")
        log = a.server_log if src == ROOT else None
        out[name] = await measure(src, a.viewers, a.requests, a.sessions, log, a.py_spy if src == ROOT else None)
    if a.before:
        b, n = out["before"]["load"], out["this tree"]["load"]
        print(
            f"== this tree / before, same load: throughput x{n['rps'] / b['rps']:.2f}, "
            f"p50 x{n['p50_ms'] / b['p50_ms']:.2f}, p99 x{n['p99_ms'] / b['p99_ms']:.2f}, "
            f"errors {b['errors']} -> {n['errors']}"
        )
        cb, cn = out["before"]["cpu_ms_per_request"], out["this tree"]["cpu_ms_per_request"]
        print(f"  server CPU per request {cb:.1f} -> {cn:.1f} ms (x{cn / cb:.2f})")
        for k in sorted(set(out["before"]["kinds"]) & set(out["this tree"]["kinds"])):
            kb, kn = out["before"]["kinds"][k], out["this tree"]["kinds"][k]
            print(f"  {k:<16} p50 {1000 * kb:7.1f} -> {1000 * kn:7.1f} ms  (x{kn / kb:.2f})")


if __name__ == "__main__":
    asyncio.run(main())
