"""Oversight `?as_of=`: the cost of replaying the log into a throwaway read store, per event.

Records tasks (initiate, two responses, one of them late) through the application, then times, for instants at
¼, ½ and the whole of the log: the bisection that finds the last position, the replay (events/s), a repeated
request served from the cache, and the late-responses query on the replayed store.

    python bench/as_of.py [--tasks 2000]

PostgreSQL from JOINTINSPECT_BENCH_DATABASE_URL (own database, dropped), and a SQLite file. Ends with TARGET lines.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, datetime, timedelta

from _common import FreshDatabases, bench_database_url, print_table, redact, target_line  # noqa: I001


def measure(database_url: str, tasks: int) -> list[list[str]]:
    from api.bootstrap import build_services
    from api.settings import Settings
    from domain.usecases import Actor
    from domain.clock import SHANGHAI, FakeClock
    from domain.working_days import local_date
    from projections import queries

    clock = FakeClock(datetime(2026, 3, 2, 9, tzinfo=SHANGHAI))
    services = build_services(Settings(database_url=database_url, env="test", listen=False), clock)
    instants = []
    try:
        for n in range(tasks):
            task = services.app.initiate_task(
                Actor("scjg", "scjg"), title=f"回看测量 {n}", planned=True, items=["食品经营检查"],
                responding_departments=["wlj", "gxj"], window_start=date(2026, 3, 9), window_end=date(2026, 4, 30),
                note="").aggregate_id
            services.app.respond(task, Actor("wlj", "wlj"), "accept", ["食品经营检查"], "")
            clock.advance(timedelta(minutes=1))
            instants.append(clock.now())
        clock.advance(timedelta(days=3))
        rows = []
        for share in (0.25, 0.5, 1.0):
            instant = instants[int(len(instants) * share) - 1]
            started = time.perf_counter()
            position = services.past.last_position_at(instant)
            bisect_ms = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            store = services.past.at(instant)
            replay_s = time.perf_counter() - started
            started = time.perf_counter()
            services.past.at(instant + timedelta(seconds=1))
            cached_ms = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            with store.lock:
                queries.late_responses(store.engine, today=local_date(instant) + timedelta(days=3), department=None,
                                       offset=0, limit=50)
            query_ms = (time.perf_counter() - started) * 1000
            rows.append([services.engine.dialect.name, str(position), f"{store.events / replay_s:,.0f}",
                         f"{replay_s:.2f}", f"{bisect_ms:.1f}", f"{cached_ms:.1f}", f"{query_ms:.1f}"])
    finally:
        services.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=2000)
    args = parser.parse_args()
    databases = FreshDatabases(bench_database_url())
    print(f"PostgreSQL {databases.server_version()} at {redact(bench_database_url())}; {args.tasks} tasks, "
          f"{2 * args.tasks} events")
    try:
        rows = measure(databases.create("asof"), args.tasks)
        with tempfile.TemporaryDirectory() as tmp:
            rows += measure(f"sqlite:///{tmp}/store.db", args.tasks)
    finally:
        databases.close()
    print_table(["store", "events ≤ as_of", "replay events/s", "replay s", "bisect ms", "cached ms", "query ms"],
                rows)
    slowest = min(float(r[2].replace(",", "")) for r in rows)
    print(target_line("as_of_replay_events_per_s", slowest, ">=", 2000, 0))


if __name__ == "__main__":
    main()
