"""Results (issue 16) against PostgreSQL: recording them over HTTP, a 1,000-result batch, the public search over
millions of published results and the national export.

1. A fresh store gets the demo accounts and checklist, subjects and inspectors, and `--tasks` joint tasks (scjg
   leads, wlj joins) each with its own `--subjects` drawn subjects, the day agreed and both teams matched (through
   the use cases, in this process), plus one task with 1,000 drawn subjects. A real `jointinspect serve` (two
   API processes per CPU, as bench/commands.py; its clock the day after the visits) and a projection worker then
   serve it.
2. Baseline: the command bench's operation (initiate + 3 responses; bench/commands.py) with 8 clients, commands/s.
3. Single results: 8 clients each POST one result at a time (a distinct subject and department each); results/s,
   as a ratio to the baseline measured on the same server in the same run. Target ≥ 0.5.
4. Batch: wlj records its 1,000 results of the big task in one POST /results/batch. Target < 5 s.
5. Public search: `--published` published results are written straight into the results read model (the
   projection's table, with its indexes, then ANALYZE), 1 in 50 of them wjw's; after each query has run once
   (the steady state, caches warm), 8 anonymous clients search GET /public/results by a subject code and by a
   fragment of a name. Targets p99 < 50 ms and < 200 ms.
6. Export: wjw's 100,000 published results as XLSX (GET /results/export), timed to the last byte, with the
   server's resident memory (its processes together) sampled every 20 ms: peak minus the level before. Targets < 15 s, < 300 MB.

PostgreSQL from JOINTINSPECT_BENCH_DATABASE_URL; the databases are made for the run and dropped. Run:
`python bench/results.py [--published 5000000] [--seconds 10]`. Ends with one TARGET line per target.
"""
from __future__ import annotations

import argparse
import itertools
import os
import sys
import threading
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    FreshDatabases, bench_database_url, percentile, redact, run_phase, serve, target_line,
)

from domain.clock import SHANGHAI, FakeClock  # noqa: E402

PREPARED_AT = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)  # a Monday: tasks pushed, days agreed, drawn, matched
SERVED_AT = "2026-03-11T10:00:00+08:00"  # the day after the visits
VISIT = date(2026, 3, 10)
BATCH = 1000
CLIENTS = 8
REGIONS = ["城关区", "东城区", "西城区", "高新区", "开发区", "南湖区", "北山区", "江北区"]
KINDS = ["餐饮店", "超市", "药店", "加油站", "旅馆", "网吧", "书店", "诊所", "物流公司", "建材商行"]


def prepare(url: str, tasks: int, per_task: int) -> tuple[list[dict], dict]:
    """The store; returns the single entries to record (task, department, body) and the batch task's entries."""
    from sqlalchemy import insert

    from api.accounts import hash_password
    from api.bootstrap import build_services
    from api.demo import DEMO_PASSWORD, ITEM_IDS, ITEM_OWNERS, load_accounts, load_checklist
    from api.http.schemas import DrawCriteriaIn
    from api.settings import Settings
    from api.storage.draws import SqlSubjectPool
    from api.storage.tables import inspectors, subjects
    from domain.codes import generate_resident_id, generate_uscc
    from domain.usecases import Actor

    services = build_services(Settings(database_url=url, env="test", listen=False), FakeClock(PREPARED_AT))
    app = services.app
    app.subject_pool = SqlSubjectPool(wait_for_head=lambda: None, lowest_position=services.runner.lowest_position)
    try:
        with services.engine.begin() as conn:
            load_accounts(conn, hash_password(DEMO_PASSWORD))
        load_checklist(services)
        now = datetime.now(timezone.utc)
        regions = [(f"测试区{t}", per_task) for t in range(tasks)] + [("批量区", BATCH)]
        rows, n = [], 0
        for region, count in regions:
            for _ in range(count):
                rows.append({"code": generate_uscc(n), "name": f"{region}第{n}号餐饮店", "region": region,
                             "industry": "餐饮", "credit_class": "B", "risk_level": "medium", "created_at": now,
                             "updated_at": now})
                n += 1
        people = [{"resident_id": generate_resident_id(i), "name": f"检查员{i}", "gender": "male",
                   "department_code": department, "post": "科员", "certificate_no": f"执法证{i:05d}",
                   "certificate_expires": date(2027, 12, 31), "status": "active", "created_at": now,
                   "updated_at": now} for i, department in enumerate(["scjg", "wlj"] * 40)]
        with services.engine.begin() as conn:
            conn.execute(insert(subjects), rows)
            conn.execute(insert(inspectors), people)
        items = [ITEM_IDS["食品经营检查"], ITEM_IDS["文化市场经营检查"]]
        entries: list[dict] = []
        batch: dict = {}
        for t, (region, count) in enumerate(regions):
            task = app.initiate(Actor("scjg", "scjg"), items=items, responding_departments=["wlj"],
                                title=f"结果基准任务 {t}", planned=True, window_start=date(2026, 3, 9),
                                window_end=date(2026, 4, 30), note="").aggregate_id
            app.respond(task, Actor("wlj", "wlj"), "accept", [ITEM_IDS["文化市场经营检查"]], "")
            app.propose_day(task, Actor("scjg", "scjg"), VISIT)
            app.agree_day(task, Actor("wlj", "wlj"))
            criteria = DrawCriteriaIn.model_validate({"region": region, "count": count}).model_dump(
                mode="json", exclude_none=True)
            committed = app.commit_draw(task, Actor("scjg", "scjg"), criteria=criteria, witnesses=[
                {"name": "张律师", "role": "legal_adviser"}], redraw_of=None, reason="", approver="")
            services.runner.catch_up()
            app.execute_draw(task, Actor("scjg", "scjg"), committed.id)
            for department in ("scjg", "wlj"):
                match = app.commit_matching(task, Actor(department, department), team_size=2)
                app.execute_matching(task, Actor(department, department), match.id)
            aggregate = app.get_task(task)
            for department in ("scjg", "wlj") if region != "批量区" else ("wlj",):
                teams = aggregate.matchings[department]["teams"]
                own = aggregate.allowed_result_items(department, ITEM_OWNERS)
                bodies = [{"subject_code": s, "item_ids": own, "methods": ["on_site"], "outcome": "pass",
                           "findings": "未发现问题", "inspector_ids": teams[s], "inspected_on": VISIT.isoformat()}
                          for s in aggregate.drawn_subjects]
                if region == "批量区":
                    batch = {"task_id": str(task), "results": bodies}
                else:
                    entries.extend({"task_id": str(task), "user": department, "body": b} for b in bodies)
        services.runner.catch_up()
        # Clerks of different tasks record at once (one clerk enters a task's results one after the other): the
        # entries go round the tasks, so concurrent clients rarely write to the same task.
        by_task: dict[str, list[dict]] = {}
        for entry in entries:
            by_task.setdefault(entry["task_id"], []).append(entry)
        rounds = itertools.zip_longest(*by_task.values())
        return [e for round_ in rounds for e in round_ if e is not None], batch
    finally:
        services.close()


def tokens(base_url: str, users: list[str]) -> dict[str, str]:
    import httpx

    from api.demo import DEMO_PASSWORD

    with httpx.Client(base_url=base_url + "/api/v1", timeout=30) as client:
        return {u: client.post("/auth/login", json={"username": u, "password": DEMO_PASSWORD}).json()["access_token"]
                for u in users}


def measure_singles(base_url: str, auth: dict[str, str], entries: list[dict], seconds: float, server_pid: int,
                    pg_match: str) -> Any:
    from commands import KeepAliveClient

    queue = iter(entries)
    lock = threading.Lock()

    def make_operation(index: int):  # type: ignore[no-untyped-def]
        client = KeepAliveClient(base_url + "/api/v1")

        def operation() -> list[float]:
            with lock:
                entry = next(queue)  # StopIteration: too few prepared entries (raise --tasks)
            started = time.perf_counter()
            status, answer = client.post(f"/joint-tasks/{entry['task_id']}/results", entry["body"],
                                         {"Authorization": f"Bearer {auth[entry['user']]}"})
            if status != 201:
                raise RuntimeError(f"POST results → {status} {str(answer)[:300]}")
            return [(time.perf_counter() - started) * 1000]
        return operation

    return run_phase("results", CLIENTS, seconds, 2.0, make_operation, server_pid=server_pid,
                     postgres_match=pg_match)


def fill_published(url: str, count: int) -> None:
    """`count` published results straight into the read model's table (as the projection would have them)."""
    from sqlalchemy import create_engine, text

    from projections.tables import inspection_results

    regions = "ARRAY[" + ",".join(f"'{r}'" for r in REGIONS) + "]"
    kinds = "ARRAY[" + ",".join(f"'{k}'" for k in KINDS) + "]"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for index in inspection_results.indexes:
                conn.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
            conn.execute(text(f"""
                INSERT INTO inspection_results
                SELECT md5(i::text)::uuid::text, md5((i / 20)::text)::uuid::text,
                       CASE WHEN i % 50 = 0 THEN 'wjw' ELSE (ARRAY['scjg','wlj','gxj','yjj','sthj','jtj'])[i % 6 + 1] END,
                       '91' || lpad((i / 3)::text, 16, '0'),
                       ({regions})[i % 8 + 1] || '第' || ((i / 3) % 5000) || '号' || ({kinds})[(i / 3) % 10 + 1],
                       '["item-' || (i % 40) || '"]', '["on_site"]',
                       (ARRAY['pass','pass','pass','rectified','transferred','unreachable'])[i % 6 + 1],
                       '现场核查未发现问题', '', '', '', '[]',
                       DATE '2025-01-01' + (i % 400), DATE '2025-02-01' + (i % 400),
                       TIMESTAMPTZ '2025-01-02 02:00+00' + (i % 400) * INTERVAL '1 day', 'bench',
                       false, NULL, false,
                       TIMESTAMPTZ '2025-01-05 02:00+00' + (i % 400) * INTERVAL '1 day' + (i % 86400) * INTERVAL '1 second',
                       false, 1, NULL, i
                FROM generate_series(1, :count) AS i"""), {"count": count})
            for index in inspection_results.indexes:
                index.create(conn)
            conn.execute(text("ANALYZE inspection_results"))
    finally:
        engine.dispose()


def measure_search(base_url: str, queries: list[str], seconds: float, once: bool = False) -> list[float]:
    """CLIENTS anonymous clients cycling through `queries` for `seconds` (`once`: each query once, spread over the
    clients); each GET's latency in ms."""
    import http.client
    from urllib.parse import quote, urlsplit

    parts = urlsplit(base_url)
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine = []
        mine_only = queries[offset % CLIENTS::CLIENTS] if once else None
        for q in mine_only if once else itertools.islice(itertools.cycle(queries), offset, None):
            if not once and time.perf_counter() > stop:
                break
            started = time.perf_counter()
            connection.request("GET", f"/api/v1/public/results?q={quote(q)}")
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"search {q} → {response.status}")
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n if once else n * 7,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def rss_bytes(root: int) -> int:
    """Resident memory of the server: its process and every process under it (the uvicorn workers)."""
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        try:
            with open(f"/proc/{pid}/status") as status:
                total += next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:")), 0)
            with open(f"/proc/{pid}/task/{pid}/children") as children:
                pending.extend(int(c) for c in children.read().split())
        except OSError:
            continue  # gone meanwhile
    return total


def sampled(pid: int, work: Any) -> tuple[float, int, Any]:
    """Run `work()`: its seconds, the server's peak resident growth meanwhile (sampled every 20 ms), its value."""
    baseline, peak, done = rss_bytes(pid), 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_bytes(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    try:
        value = work()
    finally:
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
    return elapsed, max(0, peak - baseline), value


def measure_export(base_url: str, token: str, pid: int) -> tuple[float, int, int]:
    """Seconds to the last byte, the server's peak resident growth, and the bytes received."""
    import httpx

    def export() -> Any:
        response = httpx.get(base_url + "/api/v1/results/export", params={"format": "xlsx"},
                             headers={"Authorization": f"Bearer {token}"}, timeout=300)
        response.raise_for_status()
        return response

    elapsed, peak, response = sampled(pid, export)
    return elapsed, peak, len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--subjects", type=int, default=20, help="drawn subjects per task")
    parser.add_argument("--published", type=int, default=5_000_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    import commands
    from commands import login as command_tokens
    from commands import measure_http, projection_worker

    commands.WINDOW = (date(2026, 3, 16), date(2026, 4, 30))  # the command bench's tasks, after the served day

    admin = bench_database_url()
    with FreshDatabases(admin, prefix="jointinspect_bench_results") as databases:
        url = databases.create("store")
        db_name = url.rsplit("/", 1)[1]
        print(f"PostgreSQL {databases.server_version()} via {redact(admin).rsplit('/', 1)[0]}")
        started = time.perf_counter()
        entries, batch = prepare(url, args.tasks, args.subjects)
        print(f"prepared {args.tasks} tasks × {args.subjects} subjects and a {BATCH}-subject task "
              f"in {time.perf_counter() - started:.0f} s")
        # As ARCHITECTURE.md deploys it and bench/commands.py measures it: API processes (two per CPU) and one
        # projection worker, each in its own process
        workers = 2 * (os.cpu_count() or 1)
        with serve(url, now=SERVED_AT, extra_env={"JOINTINSPECT_WORKERS": str(workers),
                                                  "JOINTINSPECT_RUN_PROJECTIONS": "false"}) as server, \
                projection_worker(url, True, now=SERVED_AT):
            print(f"server: {workers} API processes and a projection worker")
            baseline = measure_http(server.base_url, command_tokens(server.base_url), CLIENTS, args.seconds, 2.0,
                                    False, server.pid, None, db_name)
            auth = tokens(server.base_url, ["scjg", "wlj", "wjw"])
            singles = measure_singles(server.base_url, auth, entries, args.seconds, server.pid, db_name)
            base_rate, rate = baseline.commands / baseline.seconds, singles.commands / singles.seconds
            print(f"commands (initiate + 3 responses), {CLIENTS} clients: {base_rate:.1f}/s; single results: "
                  f"{rate:.1f}/s, p99 {singles.percentile(99):.1f} ms; errors {baseline.errors + singles.errors}")
            t0 = time.perf_counter()
            import httpx

            answer = httpx.post(f"{server.base_url}/api/v1/joint-tasks/{batch['task_id']}/results/batch",
                                json={"results": batch["results"]}, timeout=120,
                                headers={"Authorization": f"Bearer {auth['wlj']}"})
            batch_seconds = time.perf_counter() - t0
            answer.raise_for_status()
            print(f"batch of {len(batch['results'])} results: {batch_seconds:.2f} s")

            t0 = time.perf_counter()
            fill_published(url, args.published)
            print(f"{args.published:,} published results written and indexed in {time.perf_counter() - t0:.0f} s")
            codes = [f"91{(i * 7919 % (args.published // 3)):016d}" for i in range(200)]
            fragments = [f"{REGIONS[i % 8]}第{(i * 37) % 5000}号{KINDS[(i * 3) % 10][:1]}" for i in range(200)]
            measure_search(server.base_url, codes + fragments, 0.0, once=True)  # steady state: the cache warmed
            by_code = measure_search(server.base_url, codes, args.seconds)
            by_name = measure_search(server.base_url, fragments, args.seconds)
            print(f"public search, {CLIENTS} clients: by code p50 {percentile(by_code, 50):.1f} ms, p99 "
                  f"{percentile(by_code, 99):.1f} ms ({len(by_code)}); by name fragment p50 "
                  f"{percentile(by_name, 50):.1f} ms, p99 {percentile(by_name, 99):.1f} ms ({len(by_name)})")
            export_seconds, export_peak, size = measure_export(server.base_url, auth["wjw"], server.pid)
            rows = args.published // 50
            print(f"export of {rows:,} published results (wjw) as XLSX: {export_seconds:.1f} s, "
                  f"{size / 1e6:.1f} MB, server peak +{export_peak / 1e6:.0f} MB")
    print(target_line("results_vs_commands_rate_ratio_8_clients", rate / base_rate, ">=", 0.5))
    print(target_line("result_batch_1000_seconds", batch_seconds, "<", 5.0))
    print(target_line("public_search_by_code_p99_ms", percentile(by_code, 99), "<", 50.0, digits=1))
    print(target_line("public_search_by_name_p99_ms", percentile(by_name, 99), "<", 200.0, digits=1))
    print(target_line("export_100k_xlsx_seconds", export_seconds, "<", 15.0, digits=1))
    print(target_line("export_100k_xlsx_peak_mb", export_peak / 1e6, "<", 300.0, digits=0))


if __name__ == "__main__":
    main()
