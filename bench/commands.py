"""Commands over HTTP against PostgreSQL, beside the raw append rate of the same event store.

One operation is "initiate + 3 responses" (4 commands): the lead department (scjg) initiates a joint task pushed
to wlj, gxj and yjj, then each of the three accepts it. Measured, after a warm-up, with 1 and 8 concurrent clients:

- http: the deployment ARCHITECTURE.md describes: a real `jointinspect serve` (API only; stateless API processes,
  by default two per CPU, `--workers 1` for a single one) and one `jointinspect projections run` worker, each in
  its own process, woken by LISTEN/NOTIFY; each client is a thread with its own keep-alive connection
  (`KeepAliveClient`). Latency is per command, as the client sees it. `--projections-in-api` runs the projections
  inside the API process instead (the `make run` set-up).
- raw:  `domain.usecases.JointInspect` in this process on a database of its own, no HTTP: initiate_task and
  three respond calls, each saved separately (4 appends per operation), from 1 and 8 threads.

Both stores are fresh PostgreSQL databases made on the server of JOINTINSPECT_BENCH_DATABASE_URL (default
postgresql+psycopg2://postgres@127.0.0.1:5432/test) and dropped at the end; the database named in the URL is
only used to connect. Run: `python bench/commands.py [--seconds 15] [--warmup 3]`.

Targets (from the issue): HTTP commands/s with 8 clients ≥ 0.6 × the raw appends/s with 8 threads, and the p99
command latency with 8 clients < 50 ms. The last lines are one `TARGET …` line per target.
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import urlsplit

if str(Path(__file__).resolve().parent) not in sys.path:  # imported by another bench script: already there, after
    sys.path.append(str(Path(__file__).resolve().parent))  # the project, which must stay first (see _common)
from _common import (  # noqa: E402  (the path line above makes bench/ importable however it is run)
    BENCH_NOW, ROOT, FreshDatabases, PhaseResult, bench_database_url, print_table, redact, run_phase, serve,
    target_line,
)
from api.demo import demo_item_id  # noqa: E402

LEAD = "scjg"
RESPONDERS = ("wlj", "gxj", "yjj")
# The demo checklist's joint items 食品经营检查 (scjg), 文化市场经营检查 (wlj), 工业产品生产许可检查 (gxj),
# 消防安全检查 (yjj), by id as the UI sends them; each responder accepts its own (R-JOINT-3)
ITEM_CODES = {"scjg": "SCJG-C-01", "wlj": "WLJ-C-01", "gxj": "GXJ-C-01", "yjj": "YJJ-C-01"}
ITEMS = [demo_item_id(code) for code in ITEM_CODES.values()]
ACCEPTED_ITEMS = {department: [demo_item_id(code)] for department, code in ITEM_CODES.items()}
WINDOW = (date(2026, 3, 9), date(2026, 4, 30))

RATIO_TARGET = 0.6
P99_TARGET_MS = 50.0
NOISY_SHARE = 0.10  # warn when other work takes more than this share of all CPUs during a phase


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0, help="measured time per phase")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up time per phase, not measured")
    parser.add_argument("--clients", default="1,8", help="concurrencies to measure (the targets need 8)")
    parser.add_argument("--idempotency-keys", action="store_true",
                        help="send an Idempotency-Key with every HTTP command (adds a lookup and a row each)")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1),
                        help="API processes (jointinspect serve --workers): stateless replicas, two per CPU (see "
                             "README, JOINTINSPECT_WORKERS)")
    parser.add_argument("--projections-in-api", action="store_true",
                        help="run the projections inside the API process, not in their own worker process")
    parser.add_argument("--server-log-level", default="warning",
                        help="the server's JOINTINSPECT_LOG_LEVEL (info adds an access-log line per request)")
    args = parser.parse_args(argv)
    concurrencies = sorted({int(c) for c in args.clients.split(",") if c.strip()})
    if not concurrencies or min(concurrencies) < 1:
        parser.error("--clients needs positive integers, e.g. 1,8")

    url = bench_database_url()
    began = time.perf_counter()
    print('bench/commands.py: "initiate + 3 responses" (4 commands per operation) over HTTP vs the raw event store')
    raw: dict[int, PhaseResult] = {}
    http: dict[int, PhaseResult] = {}
    with FreshDatabases(url) as databases:
        print(f"PostgreSQL {databases.server_version()} via {redact(url).rsplit('/', 1)[0]}; "
              f"throwaway databases {databases.prefix}_raw and {databases.prefix}_http (dropped at the end)")
        print(f"{args.seconds:g} s measured after {args.warmup:g} s warm-up per phase; "
              f"{os.cpu_count()} CPUs; clock at {BENCH_NOW}")
        print()
        raw_url = databases.create("raw")
        http_url = databases.create("http")

        for n in concurrencies:
            raw[n] = measure_raw(raw_url, n, args.seconds, args.warmup, databases.prefix)
            report_progress(raw[n])
        prepare_accounts(http_url)
        separate = not args.projections_in_api
        server_env = {"JOINTINSPECT_WORKERS": str(args.workers)}
        if separate:
            server_env["JOINTINSPECT_RUN_PROJECTIONS"] = "false"
        with serve(http_url, log_level=args.server_log_level, extra_env=server_env) as server, \
                projection_worker(http_url, separate) as worker_pid:
            print(f"  (server: pid {server.pid}, {server.base_url}, {args.workers} uvicorn worker(s), projections "
                  f"{f'in their own process, pid {worker_pid}' if separate else 'in the API process'}; "
                  "the CPU columns count them apart)")
            tokens = login(server.base_url)
            for n in concurrencies:
                http[n] = measure_http(server.base_url, tokens, n, args.seconds, args.warmup, args.idempotency_keys,
                                       server.pid, worker_pid, databases.prefix)
                report_progress(http[n])
        stored = {"raw": count_events(raw_url), "http": count_events(http_url)}
    print()

    print_results(raw, http)
    print()
    sent = {"raw": sum(r.commands + r.warmup_commands for r in raw.values()),
            "http": sum(r.commands + r.warmup_commands for r in http.values())}
    print(f"events stored: raw {stored['raw']} for {sent['raw']} commands, "
          f"http {stored['http']} for {sent['http']} commands (warm-up included)")
    for n in concurrencies:
        print(f"ratio http/raw, {n} client{'s' if n > 1 else ''}: "
              f"{ratio(http[n], raw[n]):.2f}  ({http[n].commands_per_second:.0f} commands/s ÷ "
              f"{raw[n].commands_per_second:.0f} appends/s)")
    print(f"total run time: {time.perf_counter() - began:.0f} s")
    problems = [f"{r.label} x{r.threads}: {e}" for r in (*raw.values(), *http.values()) for e in r.errors]
    for problem in problems[:10]:
        print(f"ERROR {problem}")
    cpus = os.cpu_count() or 1
    for r in (*raw.values(), *http.values()):
        if r.cpu and r.seconds and r.cpu.other / r.seconds / cpus > NOISY_SHARE:
            print(f"WARNING: work outside this run used {r.cpu.other / r.seconds / cpus:.0%} of the machine during "
                  f"{r.label} x{r.threads}; its figures (and the ratios) are unreliable: rerun on a quiet machine")
        if r.cpu and r.seconds and r.cpu.stolen / r.seconds / cpus > NOISY_SHARE:
            print(f"WARNING: the hypervisor stole {r.cpu.stolen / r.seconds / cpus:.0%} of this virtual machine's "
                  f"CPUs during {r.label} x{r.threads}; every figure of it is slower than the code: rerun when the "
                  f"host is quieter")
    print()

    top = 8 if 8 in concurrencies else max(concurrencies)
    suffix = f"{top}_client{'s' if top > 1 else ''}"
    print(target_line(f"http_vs_raw_ratio_{suffix}", ratio(http[top], raw[top]), ">=", RATIO_TARGET, 2))
    print(target_line(f"p99_ms_{suffix}", http[top].percentile(99), "<", P99_TARGET_MS, 1))
    return 1 if problems else 0


# ---- raw: the application in this process, no HTTP -------------------------------------------------------
def measure_raw(database_url: str, threads: int, seconds: float, warmup: float, pg_match: str) -> PhaseResult:
    from api.storage import eventstore as store
    from api.storage.official_calendar import ChineseCalendarSchedule
    from domain.usecases import Actor, JointInspect
    from domain.clock import StartedClock

    app = JointInspect(store.environment(database_url),
                       clock=StartedClock(datetime.fromisoformat(BENCH_NOW)), official=ChineseCalendarSchedule())
    lead = Actor(user=LEAD, department=LEAD)
    responders = [Actor(user=code, department=code) for code in RESPONDERS]
    serial = itertools.count(1)

    def make_operation(index: int):  # type: ignore[no-untyped-def]
        def operation() -> list[float]:
            latencies = []
            t0 = time.perf_counter()
            task_id = app.initiate_task(lead, title=f"餐饮单位食品安全联合检查 {next(serial)}", planned=True,
                                        items=ITEMS, responding_departments=list(RESPONDERS),
                                        window_start=WINDOW[0], window_end=WINDOW[1], note="").aggregate_id
            t1 = time.perf_counter()
            latencies.append((t1 - t0) * 1000)
            for actor in responders:
                app.respond(task_id, actor, "accept", ACCEPTED_ITEMS[actor.department], "")
                t0, t1 = t1, time.perf_counter()
                latencies.append((t1 - t0) * 1000)
            return latencies
        return operation

    try:
        return run_phase("raw", threads, seconds, warmup, make_operation, postgres_match=pg_match)
    finally:
        app.close()


@contextmanager
def projection_worker(database_url: str, enabled: bool, now: str = BENCH_NOW) -> Iterator[int | None]:
    """`jointinspect projections run` in its own process, as a deployment would run it; yields its pid."""
    if not enabled:
        yield None
        return
    env = dict(os.environ, JOINTINSPECT_DATABASE_URL=database_url, JOINTINSPECT_ENV="test",
               JOINTINSPECT_NOW=now, JOINTINSPECT_LOG_LEVEL="warning")
    process = subprocess.Popen([sys.executable, "-m", "api.cli", "projections", "run"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL)
    try:
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=15)


# ---- http: a real server in its own process -------------------------------------------------------------
def prepare_accounts(database_url: str) -> None:
    """Tables and the demo accounts (office, admin, eight departments), before the server starts."""
    from api.accounts import hash_password
    from api.demo import DEMO_PASSWORD, load_accounts, load_checklist
    from api.bootstrap import build_services
    from api.settings import Settings

    services = build_services(Settings(database_url=database_url, env="test",
                                       now=datetime.fromisoformat(BENCH_NOW)))
    try:
        with services.engine.begin() as conn:
            load_accounts(conn, hash_password(DEMO_PASSWORD))
        load_checklist(services)
    finally:
        services.close()


def login(base_url: str) -> dict[str, str]:
    import httpx

    from api.demo import DEMO_PASSWORD

    tokens = {}
    with httpx.Client(base_url=base_url + "/api/v1", timeout=30) as client:
        for user in (LEAD, *RESPONDERS):
            response = client.post("/auth/login", json={"username": user, "password": DEMO_PASSWORD})
            response.raise_for_status()
            tokens[user] = response.json()["access_token"]
    return tokens


class KeepAliveClient:
    """One keep-alive HTTP/1.1 connection speaking JSON, on the standard library's `http.client`.

    The load generator shares the machine with the server, so it should cost as little CPU as a real client on
    another machine costs this one: per command it spends about a third of what an `httpx.Client` spends (measured
    in this bench: 1.5–1.7 ms with httpx). The requests on the wire are the same: JSON body, bearer token.
    """

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(base_url)
        self.prefix = parts.path.rstrip("/")
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80,
                                                     timeout=timeout)

    def post(self, path: str, body: dict, headers: dict[str, str]) -> tuple[int, Any]:
        payload = json.dumps(body, ensure_ascii=False).encode()
        try:
            self.connection.request("POST", self.prefix + path, body=payload,
                                    headers={"Content-Type": "application/json", **headers})
            response = self.connection.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError):
            self.connection.close()  # the next request reconnects; this one counts as an error
            raise
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, data.decode(errors="replace")


def measure_http(base_url: str, tokens: dict[str, str], threads: int, seconds: float, warmup: float,
                 idempotency_keys: bool, server_pid: int, worker_pid: int | None, pg_match: str) -> PhaseResult:
    auth = {user: {"Authorization": f"Bearer {token}"} for user, token in tokens.items()}
    serial = itertools.count(1)
    run = os.urandom(4).hex()

    def make_operation(index: int):  # type: ignore[no-untyped-def]
        client = KeepAliveClient(base_url + "/api/v1")

        def post(path: str, user: str, body: dict, n: int, step: int) -> Any:
            headers = auth[user]
            if idempotency_keys:
                headers = headers | {"Idempotency-Key": f"bench-{run}-{n}-{step}"}
            status, answer = client.post(path, body, headers)
            if status != 201:
                raise RuntimeError(f"POST {path} → {status} {str(answer)[:300]}")
            return answer

        def operation() -> list[float]:
            n = next(serial)
            latencies = []
            t0 = time.perf_counter()
            answer = post("/joint-tasks", LEAD, {
                "title": f"餐饮单位食品安全联合检查 {n}", "responding_departments": list(RESPONDERS),
                "window_start": WINDOW[0].isoformat(), "window_end": WINDOW[1].isoformat(), "items": ITEMS,
                "planned": True, "note": ""}, n, 0)
            t1 = time.perf_counter()
            latencies.append((t1 - t0) * 1000)
            task_id = answer["id"]
            for step, user in enumerate(RESPONDERS, start=1):
                t0 = time.perf_counter()
                post(f"/joint-tasks/{task_id}/responses", user,
                     {"decision": "accept", "item_ids": ACCEPTED_ITEMS[user], "reason": ""}, n, step)
                t1 = time.perf_counter()
                latencies.append((t1 - t0) * 1000)
            return latencies
        return operation

    return run_phase("http", threads, seconds, warmup, make_operation, server_pid=server_pid,
                     postgres_match=pg_match, worker_pid=worker_pid)


# ---- figures ----------------------------------------------------------------------------------------------
def count_events(database_url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            tables = [t for t in conn.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                "AND table_name LIKE '%events'")).scalars()]
            return sum(int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()) for t in tables)
    finally:
        engine.dispose()


def ratio(http: PhaseResult, raw: PhaseResult) -> float:
    return http.commands_per_second / raw.commands_per_second if raw.commands_per_second else float("nan")


def report_progress(result: PhaseResult) -> None:
    print(f"  measured {result.label} with {result.threads} thread{'s' if result.threads > 1 else ''}: "
          f"{result.commands} commands in {result.seconds:.1f} s"
          + (f", {len(result.errors)} error(s)" if result.errors else ""), flush=True)


def print_results(raw: dict[int, PhaseResult], http: dict[int, PhaseResult]) -> None:
    cpus = os.cpu_count() or 1
    rows = []
    for label, results in (("raw", raw), ("http", http)):
        for n, r in sorted(results.items()):
            cpu = r.cpu

            def per(seconds: float) -> str:
                return f"{seconds / r.commands * 1000:.2f}" if r.commands else "-"

            rows.append([label, n, r.operations, r.commands, f"{r.commands_per_second:.1f}",
                         f"{r.percentile(50):.1f}", f"{r.percentile(99):.1f}",
                         f"{max(r.latencies_ms, default=float('nan')):.1f}",
                         per(cpu.bench) if cpu else "-", per(cpu.server) if cpu and label == "http" else "-",
                         per(cpu.worker) if cpu and label == "http" and cpu.worker else "-",
                         per(cpu.postgres) if cpu else "-",
                         f"{cpu.total / r.seconds / cpus * 100:.0f}%" if cpu and r.seconds else "-",
                         f"{cpu.other / r.seconds / cpus * 100:.0f}%" if cpu and r.seconds else "-",
                         f"{cpu.stolen / r.seconds / cpus * 100:.0f}%" if cpu and r.seconds else "-",
                         f"{r.host_ms:.0f}"])
    print("latency per command (raw: one append each; http: one POST each, as the client sees it)")
    print_table(["path", "clients", "ops", "commands", "commands/s", "p50 ms", "p99 ms", "max ms",
                 "cpu ms bench", "cpu ms api", "cpu ms worker", "cpu ms pg", "machine busy", "of it others", "stolen", "host ms"],
                rows)
    print("cpu ms = CPU milliseconds per command: bench = this process (the HTTP clients, or the whole raw path), "
          "api = the uvicorn processes (with the projections, when they run in the API), worker = the projection worker "
          "process, pg = this run's PostgreSQL backends; machine busy = all CPUs, "
          "of it others = work outside this run sharing the machine, stolen = CPU time the hypervisor gave other "
          "guests (not counted in busy), host ms = a fixed Python loop just before the phase (lower is faster; "
          "compare runs by it)")


if __name__ == "__main__":
    raise SystemExit(main())
