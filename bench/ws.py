"""Real time at scale: 1,000 websocket clients over 8 departments while commands arrive at a steady rate.

For every command, the latency from its 2xx to its receipt by every concerned client (the lead's and the
responding departments' clients) — p50/p99 — and the server's CPU per delivered message.

    python bench/ws.py [--clients 1000] [--rate 5] [--seconds 20]

PostgreSQL from JOINTINSPECT_BENCH_DATABASE_URL; the run makes and drops its own database. Ends with TARGET lines.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import time
from collections import defaultdict

from _common import FreshDatabases, bench_database_url, percentile, redact, serve, target_line  # noqa: I001
from commands import prepare_accounts

DEPARTMENTS = ["scjg", "wlj", "gxj", "yjj", "sthj", "wjw", "jtj", "zjj"]


def _cpu_seconds(pid: int) -> float:
    import os

    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _login(base: str) -> dict[str, str]:
    import httpx

    from api.demo import DEMO_PASSWORD

    async with httpx.AsyncClient(base_url=base + "/api/v1", timeout=30) as client:
        tokens = {}
        for user in DEPARTMENTS:
            response = await client.post("/auth/login", json={"username": user, "password": DEMO_PASSWORD})
            response.raise_for_status()
            tokens[user] = response.json()["access_token"]
        return tokens


async def run(base: str, clients: int, rate: float, seconds: float) -> dict:
    import httpx
    from websockets.asyncio.client import connect

    tokens = await _login(base)
    received: dict[int, list[float]] = defaultdict(list)  # position → receipt times
    audience: dict[int, int] = {}  # position → how many clients should receive it
    per_department = defaultdict(int)
    sockets = []
    url = base.replace("http://", "ws://") + "/ws?token="

    async def listen(ws) -> None:  # type: ignore[no-untyped-def]
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] != "heartbeat":
                received[message["position"]].append(time.perf_counter())

    for n in range(clients):
        department = DEPARTMENTS[n % len(DEPARTMENTS)]
        per_department[department] += 1
        ws = await connect(url + tokens[department], open_timeout=60, max_queue=None)
        sockets.append((ws, asyncio.create_task(listen(ws))))
    sent: dict[int, float] = {}
    rng = random.Random(7)
    async with httpx.AsyncClient(base_url=base + "/api/v1", timeout=30,
                                 headers={"Authorization": f"Bearer {tokens['scjg']}"}) as api:
        started, count = time.perf_counter(), 0
        while time.perf_counter() - started < seconds:
            responders = rng.sample(DEPARTMENTS[1:], 3)
            response = await api.post("/joint-tasks", json={
                "title": "联合检查", "responding_departments": responders, "window_start": "2026-03-09",
                "window_end": "2026-04-30", "items": ["食品经营检查"]})
            response.raise_for_status()
            position = response.json()["position"]
            sent[position] = time.perf_counter()
            audience[position] = sum(per_department[d] for d in ["scjg", *responders])
            count += 1
            await asyncio.sleep(max(0.0, started + count / rate - time.perf_counter()))
    await asyncio.sleep(3)  # let the last deliveries arrive
    for ws, task in sockets:
        task.cancel()
        await ws.close()
    latencies, missing = [], 0
    for position, t0 in sent.items():
        got = received.get(position, [])
        missing += audience[position] - len(got)
        latencies.extend((t - t0) * 1000 for t in got)
    return {"commands": len(sent), "deliveries": len(latencies), "missing": missing, "latencies": latencies}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=5.0, help="commands per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.clients + 256)), hard))
    admin = bench_database_url()
    with FreshDatabases(admin, prefix="jointinspect_bench_ws") as databases:
        url = databases.create("store")
        print(f"PostgreSQL {databases.server_version()} via {redact(admin).rsplit('/', 1)[0]}")
        prepare_accounts(url)
        with serve(url) as server:
            cpu_before = _cpu_seconds(server.pid)
            result = asyncio.run(run(server.base_url, args.clients, args.rate, args.seconds))
            cpu = _cpu_seconds(server.pid) - cpu_before
    latencies = result["latencies"]
    p50, p99 = statistics.median(latencies), percentile(latencies, 99)
    print(f"{args.clients} clients over {len(DEPARTMENTS)} departments; {result['commands']} commands at "
          f"{args.rate}/s; {result['deliveries']} deliveries, {result['missing']} missing")
    print(f"latency 2xx → receipt: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies):.1f} ms")
    print(f"server CPU {cpu:.1f} s for the whole run (connections, commands, deliveries): "
          f"{1000 * cpu / max(1, result['deliveries']):.2f} ms per delivered message")
    print(target_line("ws_p99_ms_1000_clients", p99, "<", 250, digits=1))


if __name__ == "__main__":
    main()
