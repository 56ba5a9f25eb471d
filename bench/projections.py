"""Projections at scale on PostgreSQL: rebuild from 1,000,000 events beside the raw read of the log, the
late-response list over 100,000+ tasks, and draw-time overlap flags for 10,000 subjects.

1. A year of joint tasks (bench/_history.py: the domain objects themselves, every rule checked) is built in two
   worker processes, turned into stored events by the application's mapper, and inserted into the recorder's
   events table 5,000 rows per statement (no HTTP, no commands; the recorder's ORM path was 3x slower).
2. The raw read: the whole notification log read with `recorder.select_notifications` in batches of 5,000 and
   each notification decoded with `app.mapper.to_domain_event` — the floor under any projection.
3. `runner.rebuild_all(processes)` as `jointinspect projections rebuild` runs it: every projection's tables
   emptied and the log replayed into them, the projections shared out among `--processes` forked processes (default
   the CPU count; each reads the log for its share, each batch read and decoded once for the projections it
   holds); events/s = log length / seconds. The target ratio is that over the raw read's events/s (one process).
4. `projections.queries.late_responses` (GET /oversight/late-responses) on the rebuilt tables: varied
   departments and pages.
5. `projections.subject_overlap.overlap_flags` (what a draw's execution records) for 10,000 drawn subjects.

    python bench/projections.py [--events 1000000] [--runs 200]

Prints figures and ends with one TARGET line per target; nothing is asserted.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, time as clock_time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # else this file shadows the projections package

from _common import FreshDatabases, StealMeter, bench_database_url, percentile, redact, target_line  # noqa: I001
from _history import BENCH_TODAY, DEPARTMENTS, code_of, write_history
from sqlalchemy import func, select, text

from api.bootstrap import Services, build_services
from api.settings import Settings
from domain.clock import SHANGHAI, FakeClock
from projections.queries import late_responses
from projections.runner import share_out
from projections.subject_overlap import LIVE, overlap_flags
from projections.tables import overlap_tasks, task_departments, task_summary

READ_BATCH = 5000


def raw_read(services: Services) -> tuple[int, float]:
    """Read and decode the whole log, as a projection must at the least."""
    app, position, count = services.app, 0, 0
    started = time.perf_counter()
    while True:
        notifications = app.recorder.select_notifications(position, READ_BATCH, inclusive_of_start=False)
        if not notifications:
            break
        for notification in notifications:
            app.mapper.to_domain_event(notification)
        count += len(notifications)
        position = notifications[-1].id
    return count, time.perf_counter() - started


def rebuild_all(services: Services, processes: int) -> tuple[int, float]:
    started = time.perf_counter()
    passed = services.runner.rebuild_all(processes)
    seconds = time.perf_counter() - started
    with services.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does to the rebuilt tables soon after
    return passed, seconds


def time_late_responses(services: Services, runs: int) -> tuple[list[float], int]:
    """`runs` calls with a random department filter (or none) and page, as the office pages through the list."""
    rnd = random.Random(11)
    timings, total = [], 0
    for n in range(runs + 10):
        department = None if rnd.random() < 0.3 else rnd.choice(DEPARTMENTS)
        page_size = rnd.choice((20, 50, 100))
        page = 1 if rnd.random() < 0.6 else rnd.randint(2, 20)
        started = time.perf_counter()
        result = late_responses(services.engine, today=BENCH_TODAY, department=department,
                                offset=(page - 1) * page_size, limit=page_size)
        if n >= 10:  # the first ten warm the pool and the caches
            timings.append((time.perf_counter() - started) * 1000)
        if department is None:
            total = result.total
    return timings, total


def time_overlap_flags(services: Services, subjects: int, count: int, repeat: int = 3) -> tuple[list[float], int]:
    rnd = random.Random(13)
    timings, flagged = [], 0
    for _ in range(repeat):
        codes = [code_of(n) for n in rnd.sample(range(subjects), count)]
        started = time.perf_counter()
        with services.engine.connect() as conn:
            flags = overlap_flags(conn, codes, year=BENCH_TODAY.year, task_id="bench-new-task")
        timings.append(time.perf_counter() - started)
        flagged = len(flags)
    return timings, flagged


def counts(services: Services) -> dict[str, int]:
    with services.engine.connect() as conn:
        return {
            "tasks": conn.execute(select(func.count()).select_from(task_summary)).scalar_one(),
            "department rows": conn.execute(select(func.count()).select_from(task_departments)).scalar_one(),
            "open tasks": conn.execute(select(func.count()).select_from(overlap_tasks)
                                       .where(overlap_tasks.c.status.in_(LIVE))).scalar_one(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--subjects", type=int, default=400_000, help="the pool draws pick subjects from")
    parser.add_argument("--flag-subjects", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200, help="late-response queries timed")
    parser.add_argument("--workers", type=int, default=2, help="processes building the events")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="processes rebuilding")
    args = parser.parse_args()
    admin = bench_database_url()
    with FreshDatabases(admin, prefix="jointinspect_bench_projections") as databases:
        url = databases.create("store")
        print(f"PostgreSQL {databases.server_version()} via {redact(admin).rsplit('/', 1)[0]}")
        clock = FakeClock(datetime.combine(BENCH_TODAY, clock_time(9), tzinfo=SHANGHAI))
        services = build_services(Settings(database_url=url, env="test", listen=False), clock)
        try:
            run(services, args)
        finally:
            services.close()


def run(services: Services, args: argparse.Namespace) -> None:
    written, tasks, seconds = write_history(services, args.events, args.subjects, args.workers)
    print(f"wrote {written:,} events of {tasks:,} tasks in {seconds:.1f} s ({written / seconds:,.0f} events/s)")
    with StealMeter() as read_steal:
        read, read_seconds = raw_read(services)
    raw_rate = read / read_seconds
    print(f"raw read = select_notifications in batches of {READ_BATCH:,} + mapper.to_domain_event for each: "
          f"{read:,} events in {read_seconds:.1f} s = {raw_rate:,.0f} events/s (the floor under any projection; "
          f"{read_steal})")
    with StealMeter() as rebuild_steal:
        passed, rebuild_seconds = rebuild_all(services, args.processes)
    rebuild_rate = passed / rebuild_seconds
    shares = share_out(services.runner.projections, args.processes)
    print(f"rebuild of all {len(services.runner.projections)} projections in {len(shares)} process(es) ("
          f"{'; '.join(', '.join(p.name for p in share) for share in shares)}): {passed:,} log positions in "
          f"{rebuild_seconds:.1f} s = {rebuild_rate:,.0f} events/s = {rebuild_rate / raw_rate:.2f} of the raw read "
          f"({rebuild_steal})")
    figures = counts(services)
    print("read model: " + ", ".join(f"{k} {v:,}" for k, v in figures.items()))
    with StealMeter() as late_steal:
        timings, late_total = time_late_responses(services, args.runs)
    print(f"late responses: {late_total:,} in the office's unfiltered list; {len(timings)} queries "
          f"(random department or none, page sizes 20/50/100, pages 1-20): p50 {percentile(timings, 50):.1f} ms, "
          f"p99 {percentile(timings, 99):.1f} ms, max {max(timings):.1f} ms ({late_steal})")
    with StealMeter() as flags_steal:
        flag_timings, flagged = time_overlap_flags(services, args.subjects, args.flag_subjects)
    print(f"overlap flags for {args.flag_subjects:,} drawn subjects against {figures['open tasks']:,} open tasks: "
          f"{flagged:,} flagged; runs {' '.join(f'{s:.3f}' for s in flag_timings)} s ({flags_steal})")
    print(target_line("projection_rebuild_vs_raw_read_ratio", rebuild_rate / raw_rate, ">=", 0.25))
    print(target_line("late_responses_p99_ms_100k_tasks", percentile(timings, 99), "<", 100, digits=1))
    print(target_line("overlap_flags_seconds_10k_vs_100k", statistics.median(flag_timings), "<", 1, digits=3))


if __name__ == "__main__":
    main()
