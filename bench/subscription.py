"""Command commit → read model applied: PostgreSQL LISTEN/NOTIFY against the 50 ms poll (and SQLite's poll).

One process: a writer records "initiate" commands at random intervals (so the poll's phase is random), the
projection runner runs in its thread, and a watcher reads the tracking positions every millisecond without
waking the runner. Modes: PostgreSQL with NOTIFY and a 30 s safety poll; PostgreSQL polling every 50 ms
(JOINTINSPECT_LISTEN=false); SQLite polling every 50 ms.

    python bench/subscription.py [--commands 100]

PostgreSQL from JOINTINSPECT_BENCH_DATABASE_URL; the run makes and drops its own databases. Ends with TARGET lines.
"""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, datetime

from _common import FreshDatabases, bench_database_url, percentile, print_table, redact, target_line  # noqa: I001


def measure(database_url: str, listen: bool, commands: int) -> tuple[list[float], list[float]]:
    """Milliseconds from each command's commit to every projection having applied it, and (NOTIFY only) to
    the listener having received its notification."""
    from api.bootstrap import build_services
    from api.settings import Settings
    from domain.usecases import Actor
    from domain.clock import SHANGHAI, FakeClock

    settings = Settings(database_url=database_url, env="test", listen=listen, safety_poll_seconds=30.0,
                        projection_poll_seconds=0.05)
    services = build_services(settings, FakeClock(datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)))
    services.runner.start()
    services.start_listening()
    if services.listener is not None:
        services.listener.connected.wait(10)
    latencies, notified = [], []
    rng = random.Random(7)
    try:
        for n in range(commands):
            time.sleep(rng.uniform(0.05, 0.15))
            position = services.app.initiate_task(
                Actor("scjg", "scjg"), title=f"延迟测量 {n}", planned=True, items=["食品经营检查"],
                responding_departments=["wlj", "gxj"], window_start=date(2026, 3, 9), window_end=date(2026, 4, 30),
                note="").position
            committed = time.perf_counter()
            while services.listener is not None and services.listener.last_position < position:
                time.sleep(0.0002)
            if services.listener is not None:
                notified.append((time.perf_counter() - committed) * 1000)
            while services.runner.lowest_position() < position:
                time.sleep(0.001)
            latencies.append((time.perf_counter() - committed) * 1000)
    finally:
        services.close()
    return latencies, notified


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commands", type=int, default=100)
    args = parser.parse_args()
    databases = FreshDatabases(bench_database_url())
    print(f"PostgreSQL {databases.server_version()} at {redact(bench_database_url())}; {args.commands} commands per mode")
    results = {}
    try:
        results["postgresql NOTIFY (safety poll 30 s)"], notified = measure(databases.create("notify"), True,
                                                                           args.commands)
        results["postgresql poll 50 ms"], _ = measure(databases.create("poll"), False, args.commands)
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite poll 50 ms"], _ = measure(f"sqlite:///{tmp}/store.db", True, args.commands)
        results["(postgresql: commit → NOTIFY received)"] = notified
    finally:
        databases.close()
    print_table(["mode", "p50 ms", "mean ms", "p95 ms", "max ms"], [
        [mode, f"{percentile(v, 50):.1f}", f"{statistics.fmean(v):.1f}", f"{percentile(v, 95):.1f}",
         f"{max(v):.1f}"] for mode, v in results.items()])
    notify, poll = results["postgresql NOTIFY (safety poll 30 s)"], results["postgresql poll 50 ms"]
    print(target_line("notify_received_p95_ms", percentile(notified, 95), "<", 5, 1))
    print(target_line("notify_vs_poll_p50_speedup", percentile(poll, 50) / percentile(notify, 50), ">", 1))


if __name__ == "__main__":
    main()
