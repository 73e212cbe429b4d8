"""Readers given no connection are safe to call from many threads at once (the service's pages do).

The shared database is reached through one connection per thread: on a single shared connection
a second call while one runs is refused ("connection is busy"), or reads the other call's result.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from corridor.engine.duckdb import shared_connection
from corridor.indicators.catalogue import _expression_problem
from corridor.sources import read_source


def test_readers_and_indicator_parsing_from_many_threads(tmp_path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("id,w,y\n" + "".join(f"{i},{1 + i % 3},{i % 7}\n" for i in range(2000)))

    def work(i: int) -> tuple[int, float, str | None]:
        src = read_source(path)
        total = src.relation.aggregate("sum(y)").fetchall()[0][0]
        return src.relation.count("*").fetchall()[0][0], total, _expression_problem(f"age + {i} > 3")

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(200)))
    expected_total = sum(i % 7 for i in range(2000))
    assert all(r == (2000, expected_total, None) for r in results)


def test_each_thread_has_its_own_connection_to_one_database() -> None:
    shared_connection().execute("CREATE OR REPLACE TABLE corridor_thread_probe AS SELECT 42 AS x")
    seen: list[tuple[object, int]] = []  # the connections themselves: a dead thread's could share an id

    def probe() -> None:
        con = shared_connection()
        seen.append((con, con.execute("SELECT x FROM corridor_thread_probe").fetchall()[0][0]))

    threads = [threading.Thread(target=probe) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [x for _, x in seen] == [42, 42, 42]  # the same database
    assert len({id(c) for c, _ in seen} | {id(shared_connection())}) == 4  # a connection per thread
    shared_connection().execute("DROP TABLE corridor_thread_probe")
