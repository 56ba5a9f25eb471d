"""Credit feedback at scale on PostgreSQL (R-OVER-2): 1,000,000 published results applied to the subject directory.

1. A fresh database (FreshDatabases, `JOINTINSPECT_BENCH_DATABASE_URL`) with the schema, and a directory of one
   subject per three results (INSERT … SELECT generate_series; mixed risk levels, some tags). 2 % of the results'
   subjects are not in the directory.
2. The results as JointTask records them: ResultRecorded then ResultPublished for each (20 results a task, two
   departments, inspection dates over 22 months, outcomes in realistic shares), 1 % of them then corrected
   (ResultCorrected of the outcome). Built here, turned into stored events by the application's mapper and COPYed
   into the recorder's events table (untimed).
3. Timed: a ProjectionRunner holding only CreditFeedbackProjection catches up from position 0 with the rebuild's
   batch size (20,000 positions), as `jointinspect projections rebuild credit_feedback` does on a new store: the
   log read by topic, each event decoded, each batch applied in memory and written with one executemany per table,
   in one transaction with its tracking row.
4. Checked: every subject in the directory with a current published `unreachable` result is on the abnormal list.
   With `--replay`, the runner's rebuild (which passes over every effect already applied) is timed too and the
   directory compared before and after.

    python bench/afterlife.py [--results 1000000] [--replay]

About 8 minutes at a million results on 2 cores; --replay re-reads the whole log once more (it took 290 s there
before a replay stopped reading the subjects of results already applied).

Prints figures and ends with the TARGET line (minutes for 1,000,000 results; a smaller --results is scaled up
linearly and says so). Nothing is asserted.
"""
from __future__ import annotations

import argparse
import io
import random
import sys
import time
import uuid
from datetime import date, datetime, time as clock_time, timedelta
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # else bench/ shadows the projections package

from _common import FreshDatabases, StealMeter, bench_database_url, host_speed_ms, redact, target_line  # noqa: I001
from sqlalchemy import text

from api.bootstrap import Services, build_services
from api.settings import Settings
from domain.clock import SHANGHAI, FakeClock
from domain.joint_task import JointTask
from projections.credit_feedback import CreditFeedbackProjection
from projections.runner import REBUILD_BATCH_SIZE, ProjectionRunner

RESULTS_PER_TASK = 20
OUTCOMES = {"pass": 70, "rectified": 12, "not_operating": 5, "unreachable": 5, "transferred": 4, "refused": 2,
            "closed": 1.5, "judicial": 0.5}
CORRECTED = 0.01
NOT_IN_DIRECTORY = 0.02
FIRST_DAY = date(2025, 1, 2)
DAYS = 660
COPY_CHUNK = 100_000
ACTORS = {d: {"user": d, "department": d, "office": False} for d in ("scjg", "wlj")}


def code_of(n: int) -> str:
    return f"91{n:016d}"


def fill_directory(services: Services, subjects: int) -> None:
    """`subjects` subjects, codes 0 … subjects-1 (results also name codes beyond: not in the directory)."""
    with services.engine.begin() as conn:
        conn.execute(text("""
            INSERT INTO subjects (code, name, region, industry, risk_level, credit_class, tags, created_at, updated_at)
            SELECT '91' || lpad(i::text, 16, '0'), '检查对象' || i, '城关区', '餐饮',
                   (ARRAY['', 'low', 'medium', 'medium', 'high'])[i % 5 + 1], 'B',
                   CASE WHEN i % 4 = 0 THEN '冷链' ELSE '' END, now(), now()
            FROM generate_series(0, :last) AS i"""), {"last": subjects - 1})
        conn.execute(text("ANALYZE subjects"))


def task_events(rnd: random.Random, n: int, codes: int) -> list[Any]:
    """One task's results: recorded, published, and the odd correction, in log order."""
    task, version = uuid.uuid5(uuid.NAMESPACE_URL, f"jointinspect:bench-afterlife:{n}"), 0
    recorded, published, corrected = [], [], []
    outcomes, weights = list(OUTCOMES), list(OUTCOMES.values())
    for k in range(RESULTS_PER_TASK):
        department = "scjg" if k % 2 else "wlj"
        subject, day = code_of(rnd.randrange(codes)), FIRST_DAY + timedelta(days=rnd.randrange(DAYS))
        rid, outcome = str(uuid.uuid5(task, f"{department}:{k}")), rnd.choices(outcomes, weights)[0]
        at = datetime.combine(day + timedelta(days=3), clock_time(10), tzinfo=SHANGHAI)
        fields = {"item_ids": ["item-1"], "methods": ["on_site"], "outcome": outcome, "findings": "现场核查",
                  "measures": "当场责令改正" if outcome == "rectified" else "",
                  "transferred_to": "区局 案号X" if outcome in ("transferred", "judicial") else "", "inspected_on": day}
        recorded.append(dict(result_id=rid, department=department, subject=subject, subject_name="检查对象",
                             fields=fields, inspectors=["a", "b"], confidential_note="", publish_deadline=day,
                             deadline_from=day, publish_days=20, report_late=False, review_required=False, at=at,
                             actor=ACTORS[department]))
        published.append(dict(result_id=rid, subject=subject, late=False, at=at + timedelta(hours=1),
                              actor=ACTORS[department]))
        if rnd.random() < CORRECTED:
            corrected.append(dict(result_id=rid, subject=subject, version=2, reason="更正", approver="x",
                                  changes={"outcome": "pass" if outcome != "pass" else "unreachable"},
                                  at=at + timedelta(days=5), actor=ACTORS[department], objection_id=None))
    events = []
    for cls, kwargs in ([(JointTask.ResultRecorded, r) for r in recorded]
                        + [(JointTask.ResultPublished, p) for p in published]
                        + [(JointTask.ResultCorrected, c) for c in corrected]):
        version += 1
        events.append(cls(originator_id=task, originator_version=version, timestamp=kwargs["at"], **kwargs))
    return events


def all_events(results: int, codes: int) -> Iterator[Any]:
    rnd = random.Random(17)
    for n in range(results // RESULTS_PER_TASK):
        yield from task_events(rnd, n, codes)


def write_log(services: Services, results: int, codes: int) -> int:
    """Encode the events with the application's mapper and COPY them into the events table; returns how many."""
    mapper, table = services.app.mapper, services.app.recorder.events_table_name  # type: ignore[attr-defined]
    written, buffer = 0, io.StringIO()
    raw = services.engine.raw_connection()
    try:
        for event in all_events(results, codes):
            stored = mapper.to_stored_event(event)
            buffer.write(f"{stored.originator_id}\t{stored.originator_version}\t{stored.topic}\t"
                         f"\\\\x{stored.state.hex()}\n")
            written += 1
            if written % COPY_CHUNK == 0:
                _copy(raw, table, buffer)
                buffer = io.StringIO()
        _copy(raw, table, buffer)
    finally:
        raw.close()
    return written


def _copy(raw: Any, table: str, buffer: io.StringIO) -> None:
    buffer.seek(0)
    with raw.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} (originator_id, originator_version, topic, state) FROM STDIN", buffer)
    raw.commit()


def figures(services: Services) -> dict[str, int]:
    queries = {
        "subjects on the abnormal list": "SELECT count(*) FROM subjects WHERE abnormal_operation",
        "subjects deregistered": "SELECT count(*) FROM subjects WHERE deregistered",
        "subjects high-risk": "SELECT count(*) FROM subjects WHERE risk_level = 'high'",
        "subjects low-risk": "SELECT count(*) FROM subjects WHERE risk_level = 'low'",
        "change-log rows": "SELECT count(*) FROM change_log WHERE action = 'credit_feedback'",
        "results applied": "SELECT count(*) FROM credit_feedback WHERE published",
        "results not in the directory": "SELECT count(*) FROM credit_feedback WHERE skipped IS NOT NULL",
        # the check: a current published `unreachable` result of a subject in the directory leaves it listed
        "unreachable yet not listed (must be 0)": """
            SELECT count(DISTINCT s.code) FROM credit_feedback f JOIN subjects s ON s.code = f.subject_code
            WHERE f.published AND f.outcome = 'unreachable' AND NOT s.abnormal_operation""",
    }
    with services.engine.connect() as conn:
        return {name: int(conn.execute(text(sql)).scalar_one()) for name, sql in queries.items()}


def directory_digest(services: Services) -> str:
    with services.engine.connect() as conn:
        return str(conn.execute(text(
            "SELECT md5(string_agg(code || abnormal_operation || deregistered || risk_level || tags, ',' "
            "ORDER BY code)) FROM subjects")).scalar_one())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--replay", action="store_true", help="also time the rebuild that passes over every effect")
    args = parser.parse_args()
    admin = bench_database_url()
    with FreshDatabases(admin, prefix="jointinspect_bench_afterlife") as databases:
        url = databases.create("store")
        print(f"PostgreSQL {databases.server_version()} via {redact(admin).rsplit('/', 1)[0]}; host speed "
              f"{host_speed_ms():.0f} ms")
        clock = FakeClock(datetime(2026, 11, 20, 9, tzinfo=SHANGHAI))
        services = build_services(Settings(database_url=url, env="test", listen=False, run_projections=False), clock)
        try:
            run(services, args)
        finally:
            services.close()


def run(services: Services, args: argparse.Namespace) -> None:
    results = args.results - args.results % RESULTS_PER_TASK
    subjects = results // 3
    codes = int(subjects / (1 - NOT_IN_DIRECTORY))
    started = time.perf_counter()
    fill_directory(services, subjects)
    written = write_log(services, results, codes)
    print(f"{subjects:,} subjects and {written:,} events of {results:,} results written in "
          f"{time.perf_counter() - started:.0f} s")
    runner = ProjectionRunner(services.app, services.engine, [CreditFeedbackProjection()])
    with StealMeter() as steal:
        started = time.perf_counter()
        passed = runner.catch_up(REBUILD_BATCH_SIZE)
        seconds = time.perf_counter() - started
    print(f"credit feedback applied: {passed:,} log positions in {seconds:.1f} s = {passed / seconds:,.0f} events/s, "
          f"{results / seconds:,.0f} results/s ({steal})")
    for name, value in figures(services).items():
        print(f"  {name}: {value:,}")
    if args.replay:
        before = directory_digest(services)
        started = time.perf_counter()
        runner.rebuild("credit_feedback")
        replay = time.perf_counter() - started
        print(f"replay from zero (every effect passed over): {replay:.1f} s; directory "
              f"{'unchanged' if directory_digest(services) == before else 'CHANGED'}")
    minutes = seconds / 60 * (1_000_000 / results)
    if results != 1_000_000:
        print(f"(scaled linearly from {results:,} results to 1,000,000)")
    print(target_line("credit_feedback_1m_results_minutes", minutes, "<", 10))


if __name__ == "__main__":
    main()
