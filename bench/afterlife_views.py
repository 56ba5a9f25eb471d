"""A province-year's afterlife on PostgreSQL (issue 17): the office's oversight views over 1,000,000 results and
10,000 objections and 10,000 requests, and sealing a 50-subject task's archive files. (Credit feedback over a
million results is bench/afterlife.py: together they would not finish within 10 minutes.)

1. A fresh store gets the demo accounts and checklist, and one 50-subject task (scjg leads, wlj joins) drawn,
   matched, both departments' results recorded and published, 10 objections and 10 requests on it, through the use
   cases in this process.
2. The read tables then get, straight (INSERT … SELECT generate_series, then ANALYZE): 1,000,000 results (1 % not
   published, a fifth of those past their deadline), 10,000 objections and 10,000 requests (a twentieth overdue),
   and 50,000 completed tasks' archive rows (1 % overdue), as the projections would have them.
3. A real `jointinspect serve` (two API processes per CPU) and a projection worker serve it. Each oversight view (overdue results per
   subject, overdue objections, overdue requests, the quarter's requests summary, overdue archives) is read 200
   times by one office client after a warm-up read; p99 of each. Target: every view's p99 < 100 ms.
4. The lead seals the 50 subjects' files (POST /joint-tasks/{id}/archives), timed to the answer, with the server's
   resident memory (its processes together) sampled every 20 ms: peak minus the level before. Targets < 10 s and
   < 200 MB.

    python bench/afterlife_views.py [--results 1000000] [--reads 200]

Ends with one TARGET line per target.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))
from _common import FreshDatabases, bench_database_url, percentile, redact, serve, target_line  # noqa: E402

from domain.clock import SHANGHAI, FakeClock  # noqa: E402

SUBJECTS = 50
PREPARED_AT = datetime(2026, 3, 11, 10, tzinfo=SHANGHAI)  # the day after the visit: results recorded, published
SERVED_AT = "2026-03-12T10:00:00+08:00"


def prepare(url: str) -> str:
    """The 50-subject task, completed, with objections and requests; returns its id."""
    import results as results_bench

    from api.bootstrap import build_services
    from api.demo import ITEM_OWNERS
    from api.settings import Settings
    from domain.usecases import Actor

    results_bench.BATCH = SUBJECTS  # its big task: 50 subjects, wlj's entries prepared
    _, batch = results_bench.prepare(url, 0, 0)
    services = build_services(Settings(database_url=url, env="test", listen=False), FakeClock(PREPARED_AT))
    app = services.app
    try:
        task_id = UUID(batch["task_id"])
        scjg, wlj = Actor("scjg", "scjg"), Actor("wlj", "wlj")
        app.record_results(task_id, wlj, [entry | {"inspected_on": date(2026, 3, 10)} for entry in batch["results"]])
        task = app.get_task(task_id)
        own = task.allowed_result_items("scjg", ITEM_OWNERS)
        app.record_results(task_id, scjg, [
            {"subject_code": s, "item_ids": own, "methods": ["on_site"], "outcome": "pass", "findings": "未发现问题",
             "inspector_ids": task.matchings["scjg"]["teams"][s], "inspected_on": date(2026, 3, 10)}
            for s in task.drawn_subjects])
        for rid, result in app.get_task(task_id).results.items():
            app.publish_result(UUID(rid), Actor(result["department"], result["department"]))
        task = app.get_task(task_id)
        contact = {"name": "王经理", "phone": "0851-1234567"}
        for n, (rid, result) in enumerate(list(task.results.items())[:10]):
            app.lodge_objection(UUID(rid), Actor(result["department"], result["department"]),
                                reason=f"结果有误（{n}）", contact=contact, via="clerk")
        for n, subject in enumerate(task.drawn_subjects[:10]):
            app.raise_request(task_id, wlj, subject=subject, content=f"咨询许可办理（{n}）", contact={},
                              via="inspector", on_spot_answer="已现场说明" if n % 2 else "")
        services.runner.catch_up()
        return str(task_id)
    finally:
        services.close()


def fill(url: str, results: int) -> None:
    """The province-year in the read tables, as the projections would have them."""
    from sqlalchemy import create_engine, text

    from projections.tables import enterprise_requests, inspection_results, objections, task_archives, task_summary

    tables = (inspection_results, objections, enterprise_requests, task_archives)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for table in tables:
                for index in table.indexes:
                    conn.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
            conn.execute(text("""
                INSERT INTO inspection_results
                SELECT md5(i::text)::uuid::text, md5((i / 20)::text)::uuid::text,
                       (ARRAY['scjg','wlj','gxj','yjj','sthj','jtj','wjw'])[i % 7 + 1],
                       '91' || lpad((i / 3)::text, 16, '0'), '检查对象' || (i / 3),
                       '["item-1"]', '["on_site"]', 'pass', '未发现问题', '', '', '', '[]',
                       DATE '2025-03-01' + (i % 365), DATE '2025-03-29' + (i % 365),
                       TIMESTAMPTZ '2025-03-02 02:00+00' + (i % 365) * INTERVAL '1 day', 'bench', false, NULL,
                       false,
                       CASE WHEN i % 100 = 0 THEN NULL
                            ELSE TIMESTAMPTZ '2025-03-10 02:00+00' + (i % 365) * INTERVAL '1 day' END,
                       false, 1, NULL, i
                FROM generate_series(1, :n) AS i"""), {"n": results})
            # of the unpublished (1 %), a fifth past their deadline on the served day: the rest due after it
            conn.execute(text("""UPDATE inspection_results SET publish_deadline = DATE '2026-04-30'
                                 WHERE published_at IS NULL AND position % 500 <> 0"""))
            conn.execute(text("""
                INSERT INTO task_summary (task_id, title, lead_department, initiator_role, planned, status, items,
                                          window_start, window_end, pushed_at, response_deadline,
                                          deadline_provisional, updated_at, position)
                SELECT md5('t' || i)::uuid::text, '联合任务' || i, 'scjg', 'department', true, 'published', '[]',
                       DATE '2025-03-01', DATE '2025-04-30', TIMESTAMPTZ '2025-03-01 01:00+00', DATE '2025-03-03',
                       false, TIMESTAMPTZ '2025-06-01 01:00+00', i
                FROM generate_series(1, 50000) AS i"""))
            conn.execute(text("""
                INSERT INTO task_archives
                SELECT md5('t' || i)::uuid::text, TIMESTAMPTZ '2025-06-01 01:00+00' + (i % 300) * INTERVAL '1 day',
                       CASE WHEN i % 100 = 0 THEN DATE '2026-03-01' ELSE DATE '2026-06-01' END, 20,
                       CASE WHEN i % 100 = 0 THEN 0 ELSE 20 END, NULL, false, i
                FROM generate_series(1, 50000) AS i"""))
            conn.execute(text("""
                INSERT INTO objections
                SELECT md5('o' || i)::uuid::text, md5((i / 20)::text)::uuid::text, md5(i::text)::uuid::text,
                       (ARRAY['scjg','wlj','gxj','yjj','sthj','jtj','wjw'])[i % 7 + 1],
                       '91' || lpad(i::text, 16, '0'), '检查对象' || i, 1, 'enterprise', '结果有误', '{}',
                       CASE WHEN i % 10 = 0 THEN 'received' WHEN i % 10 = 1 THEN 'reviewed' ELSE 'answered' END,
                       TIMESTAMPTZ '2025-04-01 02:00+00' + (i % 340) * INTERVAL '1 day',
                       CASE WHEN i % 40 = 0 THEN DATE '2026-03-01' ELSE DATE '2026-05-01' END,
                       CASE WHEN i % 10 = 0 THEN NULL ELSE 'upheld' END, '', NULL, NULL, false,
                       CASE WHEN i % 40 = 1 THEN DATE '2026-03-01' WHEN i % 10 = 0 THEN NULL
                            ELSE DATE '2026-05-01' END,
                       '', NULL, false, i
                FROM generate_series(1, 10000) AS i"""))
            conn.execute(text("""
                INSERT INTO enterprise_requests
                SELECT md5('q' || i)::uuid::text, md5((i / 20)::text)::uuid::text, '91' || lpad(i::text, 16, '0'),
                       '检查对象' || i, (ARRAY['scjg','wlj','gxj','yjj','sthj','jtj','wjw'])[i % 7 + 1],
                       (ARRAY['scjg','wlj','gxj','yjj','sthj','jtj','wjw'])[i % 7 + 1], 'inspector', '咨询', '{}',
                       CASE WHEN i % 10 = 0 THEN 'open' ELSE 'answered' END, i % 3 = 0,
                       TIMESTAMPTZ '2026-01-01 02:00+00' + (i % 70) * INTERVAL '1 day',
                       CASE WHEN i % 20 = 0 THEN DATE '2026-03-01' ELSE DATE '2026-04-30' END,
                       CASE WHEN i % 11 = 0 THEN 1 ELSE 0 END, '', NULL, i % 17 = 0, i
                FROM generate_series(1, 10000) AS i"""))
            for table in tables:
                for index in table.indexes:
                    index.create(conn)
            for table in (*tables, task_summary):
                conn.execute(text(f"ANALYZE {table.name}"))
    finally:
        engine.dispose()


def measure_views(base_url: str, token: str, reads: int) -> dict[str, list[float]]:
    import httpx

    views = {"overdue_result_subjects": "/oversight/overdue-results/subjects",
             "overdue_objections": "/oversight/overdue-objections",
             "overdue_requests": "/oversight/overdue-requests",
             "requests_summary": "/oversight/requests-summary?year=2026&quarter=1",
             "overdue_archives": "/oversight/overdue-archives"}
    timings: dict[str, list[float]] = {}
    with httpx.Client(base_url=base_url + "/api/v1", timeout=60,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        for name, path in views.items():
            client.get(path).raise_for_status()  # warm: the plan cached, the pages in memory
            samples = []
            for _ in range(reads):
                started = time.perf_counter()
                answer = client.get(path)
                samples.append((time.perf_counter() - started) * 1000)
                answer.raise_for_status()
            timings[name] = samples
            print(f"  {name}: {answer.json()['total']} rows; p50 {percentile(samples, 50):.1f} ms, "
                  f"p99 {percentile(samples, 99):.1f} ms")
    return timings


def measure_archive(base_url: str, token: str, task_id: str, pid: int) -> tuple[float, int, int]:
    """Seconds to seal the task's files, the server's peak resident growth, and the files' total size."""
    import httpx
    from results import sampled

    def seal() -> Any:
        answer = httpx.post(f"{base_url}/api/v1/joint-tasks/{task_id}/archives", timeout=300,
                            headers={"Authorization": f"Bearer {token}"})
        answer.raise_for_status()
        return answer

    elapsed, peak, answer = sampled(pid, seal)
    listed = httpx.get(f"{base_url}/api/v1/joint-tasks/{task_id}/archives", timeout=60,
                       headers={"Authorization": f"Bearer {token}"}).json()
    assert len(answer.json()["archived"]) == SUBJECTS == listed["total"], answer.text
    return elapsed, peak, sum(i["size"] for i in listed["items"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    from commands import projection_worker
    from results import tokens

    admin = bench_database_url()
    with FreshDatabases(admin, prefix="jointinspect_bench_afterlife_views") as databases:
        url = databases.create("store")
        print(f"PostgreSQL {databases.server_version()} via {redact(admin).rsplit('/', 1)[0]}")
        started = time.perf_counter()
        task_id = prepare(url)
        print(f"a {SUBJECTS}-subject task completed with objections and requests in "
              f"{time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        fill(url, args.results)
        print(f"{args.results:,} results, 10,000 objections, 10,000 requests, 50,000 archive rows written and "
              f"indexed in {time.perf_counter() - started:.0f} s")
        workers = 2 * (os.cpu_count() or 1)
        # as ARCHITECTURE.md deploys it: API processes and one projection worker, each in its own process
        with serve(url, now=SERVED_AT, extra_env={"JOINTINSPECT_WORKERS": str(workers),
                                                  "JOINTINSPECT_RUN_PROJECTIONS": "false"}) as server, \
                projection_worker(url, True, now=SERVED_AT):
            auth = tokens(server.base_url, ["office", "scjg"])
            print(f"server: {workers} API processes; oversight views, {args.reads} reads each, one client:")
            timings = measure_views(server.base_url, auth["office"], args.reads)
            seconds, peak, size = measure_archive(server.base_url, auth["scjg"], task_id, server.pid)
            print(f"archive of {SUBJECTS} subjects: {seconds:.2f} s, {size / 1e3:.0f} kB of files, "
                  f"server peak +{peak / 1e6:.0f} MB")
    worst = max(percentile(samples, 99) for samples in timings.values())
    print(target_line("oversight_views_worst_p99_ms", worst, "<", 100.0, digits=1))
    print(target_line("archive_50_subjects_seconds", seconds, "<", 10.0))
    print(target_line("archive_50_subjects_peak_mb", peak / 1e6, "<", 200.0, digits=0))


if __name__ == "__main__":
    main()
