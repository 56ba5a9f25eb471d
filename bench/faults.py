"""Faults under load: how soon the service answers again once PostgreSQL is back, and whether a command acknowledged
before every API process is killed with SIGKILL is still there afterwards.

The run owns its PostgreSQL: a cluster made with initdb on a temporary directory and started with pg_ctl on a free
loopback port, trust authentication (as root, the binaries run as the `postgres` user), stopped and removed at the end
whatever happens. An outage needs a server the bench may stop; the shared one on 5432 is never touched. Binaries from
/usr/lib/postgresql/15/bin (JOINTINSPECT_PG_BIN). The deployment is README "Operations"'s: `jointinspect serve
--workers 2` with JOINTINSPECT_RUN_PROJECTIONS=false beside one `jointinspect projections run` worker, on the real
clock. 8 clients (threads, one keep-alive connection each) loop "initiate a joint task (scjg), accept it (wlj)",
every command with an Idempotency-Key; after a 503 or a lost connection a client sends the same command with the
same key again 50 ms later, as a retrying client would.

1. PostgreSQL outage, `--outages` rounds: 3 s of load, `pg_ctl stop -m fast`, `--down` seconds down, `pg_ctl start`.
   Measured: the seconds from `pg_ctl start` returning to the first 2xx of a request sent after it; the answers
   while it was down, by status (503 expected; a 500 or a lost connection is a fault); /readyz back to 200; the
   projection worker back at the log's head.
2. kill -9, `--kills` rounds: 3 s of load, SIGKILL to every API process (the workers, then the supervisor), `serve`
   started again at once on the same port. Measured: the restart's seconds; commands acknowledged; lost (a 2xx
   whose command is not in the events table); recorded twice (a task initiated or accepted twice, a title twice);
   missing from the read models; each acknowledged command sent again with its key (the stored answer, the log
   must not grow).

0. Read replica, first: a hot standby of the run's cluster made with pg_basebackup, the API reading from it
   (JOINTINSPECT_READ_DATABASE_URL). Under the same load (8 clients of commands), a 9th client `--replica-reads`
   times: initiate a task, then read it back with `min_position` = its own command's position. Measured: that
   read's time (the wait for the replica to apply the position included; after `JOINTINSPECT_REPLICA_WAIT_SECONDS`
   the primary answers) and which database answered (`X-Read-From`).

Run: `python bench/faults.py [--outages 3] [--kills 3] [--down 5] [--replica-reads 300]` (about three minutes). Ends
with one TARGET line per target: pg_back_to_first_2xx_seconds (the worst round) < 5, commands_lost_across_kill9
(all rounds) == 0, replica_read_your_writes_p99_ms < 200.
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))
from _common import ROOT, free_port, host_speed_ms, percentile, print_table, target_line  # noqa: E402
from commands import prepare_accounts  # noqa: E402

from api.demo import DEMO_PASSWORD, demo_item_id  # noqa: E402

PG_BIN = Path(os.environ.get("JOINTINSPECT_PG_BIN", "/usr/lib/postgresql/15/bin"))
LEAD, RESPONDER = "scjg", "wlj"
ITEMS = [demo_item_id("SCJG-C-01"), demo_item_id("WLJ-C-01")]
EVENTS = "jointinspect_events"
CLIENTS = 8
RETRY_SECONDS = 0.05
BACK_TARGET_SECONDS = 5.0
REPLICA_TARGET_MS = 200.0


# ---- a PostgreSQL cluster of the run's own (tests/faults/processes.py has the tests' twin of it) ---------------
class Cluster:
    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="jointinspect-bench-pg-"))
        self.data, self.log = self.directory / "data", self.directory / "server.log"
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []  # initdb refuses root
        if self.run_as:
            shutil.chown(self.directory, user="postgres", group="postgres")

    def _pg(self, name: str, *args: str) -> None:
        done = subprocess.run([*self.run_as, str(PG_BIN / name), *args], capture_output=True, text=True, timeout=120,
                              cwd=self.directory)
        if done.returncode != 0:
            raise RuntimeError(f"{name} {' '.join(args)} exited {done.returncode}: {done.stdout}{done.stderr}")

    def init_and_start(self) -> None:
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C",
                 "--no-sync", "--no-instructions")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = "
                       f"'{self.directory}'\nmax_connections = 200\n")
        self.start()

    def start(self) -> None:
        self._pg("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60")

    def stop(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def standby_of(self, primary: "Cluster") -> None:
        """A hot standby streaming from `primary` (pg_basebackup -R: standby.signal, primary_conninfo), started."""
        self._pg("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-D", str(self.data),
                 "-R", "-X", "stream", "--checkpoint=fast")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nunix_socket_directories = '{self.directory}'\nhot_standby = on\n")
        self.start()

    def destroy(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        except Exception:  # pg_ctl failed: the postmaster this run started, by its pid file
            try:
                os.kill(int((self.data / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                pass
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


# ---- the deployment --------------------------------------------------------------------------------------------
def _env(url: str, **extra: str) -> dict[str, str]:
    return dict(os.environ, JOINTINSPECT_DATABASE_URL=url, JOINTINSPECT_ENV="test", JOINTINSPECT_LOG_LEVEL="warning",
                **extra)


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children") as f:
                kids = [int(c) for c in f.read().split()]
        except OSError:
            kids = []
        found.extend(kids)
        todo.extend(kids)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except OSError:
        return False


def _until(condition: Callable[[], object], seconds: float, what: str, every: float = 0.02) -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise RuntimeError(f"not within {seconds:.0f} s: {what}")
        time.sleep(every)
    return time.monotonic() - started


@dataclass
class Deployment:
    url: str
    logs: Path
    read_url: str | None = None  # a streaming replica the API reads from
    port: int = field(default_factory=free_port)
    api: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _answers(self) -> bool:
        status, *_ = Client(self.base).request("GET", "/healthz", timeout=1)
        return status == 200

    def start_api(self) -> float:
        with open(self.logs / "api.log", "a") as log:
            metrics = Path(tempfile.mkdtemp(prefix="metrics-", dir=self.logs))  # serve's own would stay in /tmp
            env = _env(self.url, JOINTINSPECT_HOST="127.0.0.1", JOINTINSPECT_PORT=str(self.port),
                       JOINTINSPECT_RUN_PROJECTIONS="false", PROMETHEUS_MULTIPROC_DIR=str(metrics),
                       **({"JOINTINSPECT_READ_DATABASE_URL": self.read_url} if self.read_url else {}))
            self.api = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--workers", "2"], cwd=ROOT,
                                        stdout=log, stderr=subprocess.STDOUT, env=env)
        return _until(lambda: self._answers() or self.api.poll() is not None, 90, "the API answers", 0.05)

    def kill_api(self) -> int:
        """SIGKILL every API process: the workers, then the supervisor; how many."""
        assert self.api is not None
        pids = [*_descendants(self.api.pid), self.api.pid]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.api.wait(timeout=10)
        _until(lambda: not any(_alive(p) for p in pids), 10, "every API process gone")
        _until(self._port_free, 10, "the API port free")
        return len(pids)

    def _port_free(self) -> bool:
        import socket

        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) != 0

    def start_worker(self) -> None:
        with open(self.logs / "worker.log", "a") as log:
            self.worker = subprocess.Popen([sys.executable, "-m", "api.cli", "projections", "run"], cwd=ROOT,
                                           env=_env(self.url), stdout=log, stderr=subprocess.STDOUT)

    def close(self) -> None:
        for process in (self.api, self.worker):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
        if self.api is not None:  # a worker left by a supervisor that did not stop cleanly
            for pid in _descendants(self.api.pid):
                os.kill(pid, signal.SIGKILL)


# ---- clients ---------------------------------------------------------------------------------------------------
class Client:
    """One keep-alive HTTP/1.1 connection (http.client: the load costs the shared CPUs little); a lost connection
    is an answer of status None and reconnects on the next request."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None, headers: dict[str, str] | None = None,
                timeout: float = 10) -> tuple[int | None, dict[str, str], Any]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        payload = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        try:
            self.connection.request(method, path, body=payload, headers={
                "Content-Type": "application/json", **(headers or {})})
            response = self.connection.getresponse()
            data = response.read()
        except (http.client.HTTPException, OSError) as exc:
            self.connection.close()
            self.connection = None
            return None, {}, f"{type(exc).__name__}: {exc}"
        answer_headers = {k.lower(): v for k, v in response.getheaders()}
        try:
            return response.status, answer_headers, json.loads(data) if data else None
        except ValueError:
            return response.status, answer_headers, data.decode(errors="replace")


@dataclass
class Command:
    user: str
    path: str
    body: dict
    key: str
    answers: list[tuple[float, float, int | None]] = field(default_factory=list)  # (sent, received, status)
    ack: Any = None  # the first 2xx body
    ack_replayed: bool = False


class Load:
    """CLIENTS threads, each looping initiate → accept, each command with an Idempotency-Key and sent again after a
    503 or a lost connection until it is answered with 2xx (or the load stops)."""

    def __init__(self, base: str, tokens: dict[str, str], run: str) -> None:
        self.base, self.tokens, self.run = base, tokens, run
        self.lock = threading.Lock()
        self.commands: list[Command] = []
        self.exchanges: list[tuple[float, float, int | None]] = []
        self.other: list[str] = []  # answers neither 2xx nor 503
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, args=(n,), daemon=True) for n in range(CLIENTS)]
        today = datetime.now().date()
        self.window = ((today + timedelta(days=7)).isoformat(), (today + timedelta(days=28)).isoformat())

    def start(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def first_2xx_after(self, moment: float) -> float | None:
        with self.lock:
            return min((received for sent, received, status in self.exchanges
                        if sent >= moment and status is not None and 200 <= status < 300), default=None)

    def _client(self, number: int) -> None:
        client = Client(self.base)
        for n in itertools.count(1):
            initiate = Command(LEAD, "/api/v1/joint-tasks", {
                "title": f"故障基准 {self.run}-{number}-{n}", "responding_departments": [RESPONDER],
                "window_start": self.window[0], "window_end": self.window[1], "items": ITEMS, "planned": True,
                "note": ""}, f"{self.run}-{number}-{n}-i")
            if not self._send(client, initiate):
                return
            respond = Command(RESPONDER, f"/api/v1/joint-tasks/{initiate.ack['id']}/responses",
                              {"decision": "accept", "item_ids": [ITEMS[1]], "reason": ""},
                              f"{self.run}-{number}-{n}-r")
            if not self._send(client, respond):
                return

    def _send(self, client: Client, command: Command) -> bool:
        if self._stop.is_set():
            return False  # never sent
        with self.lock:
            self.commands.append(command)
        headers = {"Authorization": f"Bearer {self.tokens[command.user]}", "Idempotency-Key": command.key}
        while not self._stop.is_set():
            sent = time.monotonic()
            status, answer_headers, body = client.request("POST", command.path, command.body, headers)
            exchange = (sent, time.monotonic(), status)
            command.answers.append(exchange)
            with self.lock:
                self.exchanges.append(exchange)
            if status is not None and 200 <= status < 300:
                command.ack, command.ack_replayed = body, answer_headers.get("idempotent-replay") == "true"
                return True
            if status is not None and status != 503:
                with self.lock:
                    self.other.append(f"{status} {str(body)[:200]}")
                return False
            time.sleep(RETRY_SECONDS)
        return False


def log_in(base: str) -> dict[str, str]:
    client, tokens = Client(base), {}
    for user in (LEAD, RESPONDER):
        status, _, body = client.request("POST", "/api/v1/auth/login", {"username": user, "password": DEMO_PASSWORD},
                                         timeout=30)
        if status != 200:
            raise RuntimeError(f"login {user}: {status} {body}")
        tokens[user] = body["access_token"]
    return tokens


# ---- the store -------------------------------------------------------------------------------------------------
def _scalar(engine: Any, sql: str, **params: Any) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one() or 0)


def head(engine: Any) -> int:
    return _scalar(engine, f"SELECT coalesce(max(id), 0) FROM {EVENTS}")


def at_head(engine: Any) -> bool:
    return _scalar(engine, "SELECT min(position) FROM projection_tracking") >= head(engine)


@dataclass
class Audit:
    acknowledged: int = 0
    lost: int = 0  # acknowledged, not in the events table
    twice: int = 0  # a task initiated or accepted twice, or two tasks of one title
    not_read: int = 0  # acknowledged, not in the read models
    replayed: int = 0
    replay_wrong: int = 0  # a replay that was not the stored answer
    replay_growth: int = 0  # events recorded by the replays (must be 0)
    late: int = 0  # commands unanswered when the load stopped, sent once more with their keys


def audit(engine: Any, base: str, tokens: dict[str, str], load: Load) -> Audit:
    """What the store holds of the acknowledged commands, after the commands left unanswered at the stop were sent
    once more with their keys; then every acknowledged command replayed with its key."""
    from sqlalchemy import text

    result = Audit()
    client = Client(base)
    for command in [c for c in load.commands if c.ack is None]:
        headers = {"Authorization": f"Bearer {tokens[command.user]}", "Idempotency-Key": command.key}
        status, answer_headers, body = client.request("POST", command.path, command.body, headers, timeout=30)
        if status is not None and 200 <= status < 300:
            command.ack = body
            result.late += 1
    _until(lambda: at_head(engine), 60, "the projection worker at the head", 0.05)
    acknowledged = [c for c in load.commands if c.ack is not None]
    result.acknowledged = len(acknowledged)
    tasks = {c.ack["id"]: c for c in acknowledged if c.path.endswith("/joint-tasks")}
    accepted = {c.path.split("/")[4] for c in acknowledged if c.path.endswith("/responses")}
    with engine.connect() as conn:
        counts: dict[tuple[str, str], int] = {}
        for task_id, topic, n in conn.execute(text(
                f"SELECT originator_id::text, topic, count(*) FROM {EVENTS} WHERE originator_id::text = ANY(:ids) "
                "GROUP BY 1, 2"), {"ids": list(tasks)}):
            counts[(task_id, topic.rsplit(".", 1)[-1])] = int(n)
        read = {r.task_id: r.response_status for r in conn.execute(text(
            "SELECT s.task_id, d.response_status FROM task_summary s JOIN task_departments d ON d.task_id = s.task_id "
            "AND d.department = :responder WHERE s.task_id = ANY(:ids)"), {"responder": RESPONDER, "ids": list(tasks)})}
        titles = _scalar(engine, "SELECT count(*) FROM (SELECT title FROM task_summary WHERE title LIKE :run "
                                 "GROUP BY title HAVING count(*) > 1) doubled", run=f"故障基准 {load.run}-%")
    for task_id in tasks:
        initiated, responded = counts.get((task_id, "Initiated"), 0), counts.get((task_id, "Responded"), 0)
        result.lost += (initiated == 0) + (task_id in accepted and responded == 0)
        result.twice += (initiated > 1) + (responded > 1)
        result.not_read += (task_id not in read) + (task_id in accepted and read.get(task_id) != "accepted")
    result.twice += titles
    before = head(engine)
    for command in acknowledged:
        headers = {"Authorization": f"Bearer {tokens[command.user]}", "Idempotency-Key": command.key}
        status, answer_headers, body = client.request("POST", command.path, command.body, headers, timeout=30)
        result.replayed += 1
        result.replay_wrong += not (status is not None and 200 <= status < 300 and body == command.ack
                                    and answer_headers.get("idempotent-replay") == "true")
    result.replay_growth = head(engine) - before
    return result


# ---- the rounds ------------------------------------------------------------------------------------------------
@dataclass
class OutageRound:
    stop_seconds: float
    down_seconds: float
    start_seconds: float
    back_seconds: float
    ready_seconds: float
    worker_seconds: float
    during: Counter
    answer_ms: list[float]
    audit: Audit
    other: list[str]


def outage_round(cluster: Cluster, deployment: Deployment, engine: Any, tokens: dict[str, str], down: float,
                 run: str) -> OutageRound:
    load = Load(deployment.base, tokens, run).start()
    try:
        time.sleep(3)
        stopping = time.monotonic()
        cluster.stop("fast")
        stopped = time.monotonic()
        time.sleep(down)
        starting = time.monotonic()
        cluster.start()
        started = time.monotonic()
        _until(lambda: load.first_2xx_after(started) is not None, 120, "a 2xx after PostgreSQL is back", 0.01)
        back = load.first_2xx_after(started) - started  # type: ignore[operator]
        probe = Client(deployment.base)
        ready = _until(lambda: probe.request("GET", "/readyz")[0] == 200, 120, "/readyz 200", 0.05)
        time.sleep(2)
    finally:
        load.stop()
    worker = _until(lambda: at_head(engine), 120, "the projection worker at the head", 0.05)
    with load.lock:
        during = [(s, r, st) for s, r, st in load.exchanges if s >= stopped and r <= starting]
    return OutageRound(stop_seconds=stopped - stopping, down_seconds=starting - stopped,
                       start_seconds=started - starting, back_seconds=back, ready_seconds=ready,
                       worker_seconds=worker, during=Counter("lost connection" if st is None else str(st)
                                                             for _, _, st in during),
                       answer_ms=[(r - s) * 1000 for s, r, st in during], audit=audit(engine, deployment.base, tokens,
                                                                                       load), other=load.other)


@dataclass
class KillRound:
    processes: int
    acknowledged_before: int
    restart_seconds: float
    back_seconds: float
    lost_connections: int
    cut_off: int
    audit: Audit
    other: list[str]


def kill_round(deployment: Deployment, engine: Any, tokens: dict[str, str], run: str) -> KillRound:
    load = Load(deployment.base, tokens, run).start()
    try:
        time.sleep(3)
        with load.lock:
            before = sum(1 for c in load.commands if c.ack is not None)
        processes = deployment.kill_api()
        killed = time.monotonic()
        restart = deployment.start_api()
        _until(lambda: load.first_2xx_after(killed) is not None, 120, "a 2xx after the restart", 0.01)
        back = load.first_2xx_after(killed) - killed  # type: ignore[operator]
        time.sleep(2)
    finally:
        load.stop()
    lost_connections = sum(1 for _, _, status in load.exchanges if status is None)
    cut_off = sum(1 for c in load.commands if any(status is None for _, _, status in c.answers))
    return KillRound(processes=processes, acknowledged_before=before, restart_seconds=restart, back_seconds=back,
                     lost_connections=lost_connections, cut_off=cut_off,
                     audit=audit(engine, deployment.base, tokens, load), other=load.other)


@dataclass
class ReplicaReads:
    read_ms: list[float] = field(default_factory=list)
    served: Counter = field(default_factory=Counter)  # X-Read-From → count
    wrong: list[str] = field(default_factory=list)  # a read that missed its own command, or was refused


def replica_reads(deployment: Deployment, tokens: dict[str, str], reads: int, run: str) -> ReplicaReads:
    """Under the command load, `reads` times: initiate, then read the task back with min_position."""
    _until(lambda: (Client(deployment.base).request("GET", "/readyz")[2] or {}).get("replica", {}).get("status")
           == "ok", 60, "the replica streaming")
    load = Load(deployment.base, tokens, run).start()
    found, client = ReplicaReads(), Client(deployment.base)
    lead = {"Authorization": f"Bearer {tokens[LEAD]}"}
    try:
        for n in range(reads):
            status, _, body = client.request("POST", "/api/v1/joint-tasks", {
                "title": f"副本读取基准 {run}-{n}", "responding_departments": [RESPONDER], "items": ITEMS,
                "window_start": load.window[0], "window_end": load.window[1], "planned": True, "note": ""},
                lead | {"Idempotency-Key": f"{run}-read-{n}"})
            if status != 201:
                found.wrong.append(f"initiate: {status} {str(body)[:200]}")
                continue
            started = time.perf_counter()
            status, headers, listed = client.request(
                "GET", f"/api/v1/joint-tasks?task_id={body['id']}&min_position={body['position']}", headers=lead)
            found.read_ms.append((time.perf_counter() - started) * 1000)
            found.served[headers.get("x-read-from", "?")] += 1
            if status != 200 or [t["task_id"] for t in listed["items"]] != [body["id"]]:
                found.wrong.append(f"read back: {status} {str(listed)[:200]}")
    finally:
        load.stop()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--outages", type=int, default=3, help="PostgreSQL stop/start rounds")
    parser.add_argument("--kills", type=int, default=3, help="kill -9 rounds")
    parser.add_argument("--down", type=float, default=5.0, help="seconds PostgreSQL stays down per outage")
    parser.add_argument("--replica-reads", type=int, default=300, help="read-your-writes reads on the replica")
    args = parser.parse_args(argv)
    missing = [n for n in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / n).is_file()]
    if missing:
        print(f"bench/faults.py: PostgreSQL binaries missing in {PG_BIN}: {', '.join(missing)} (JOINTINSPECT_PG_BIN)",
              file=sys.stderr)
        return 2
    from sqlalchemy import create_engine

    began = time.perf_counter()
    print("bench/faults.py: PostgreSQL stopped and started under load; every API process killed with SIGKILL under "
          f"load ({CLIENTS} clients, initiate + accept, Idempotency-Keys, retry after {RETRY_SECONDS * 1000:.0f} ms)")
    cluster, standby, logs = Cluster(), Cluster(), Path(tempfile.mkdtemp(prefix="jointinspect-bench-faults-"))
    replica: ReplicaReads | None = None
    deployment: Deployment | None = None
    engine = None
    outages: list[OutageRound] = []
    kills: list[KillRound] = []
    try:
        cluster.init_and_start()
        subprocess.run([*cluster.run_as, str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U",
                        "postgres", "jointinspect"], check=True, capture_output=True, timeout=60)
        url = cluster.url("jointinspect")
        migrated = subprocess.run([sys.executable, "-m", "api.cli", "migrate"], cwd=ROOT, env=_env(url),
                                  capture_output=True, text=True, timeout=120)
        if migrated.returncode != 0:
            raise RuntimeError(f"jointinspect migrate: {migrated.stdout}{migrated.stderr}")
        prepare_accounts(url)  # the demo accounts and joint items
        print(f"own cluster: {PG_BIN} on 127.0.0.1:{cluster.port} ({cluster.directory}, removed at the end); "
              f"{os.cpu_count()} CPUs; host {host_speed_ms():.0f} ms (a fixed loop; lower is faster)")
        engine = create_engine(url, pool_pre_ping=True)
        standby.standby_of(cluster)
        deployment = Deployment(url, logs, read_url=standby.url("jointinspect"))
        started_in = deployment.start_api()
        deployment.start_worker()
        print(f"serve --workers 2 answered after {started_in:.1f} s; projections in their own worker\n", flush=True)
        tokens = log_in(deployment.base)
        if args.replica_reads:
            replica = replica_reads(deployment, tokens, args.replica_reads, f"r{uuid.uuid4().hex[:4]}")
            print(f"  replica: {len(replica.read_ms)} reads of one's own command, p99 "
                  f"{percentile(replica.read_ms, 99):.1f} ms", flush=True)
        for n in range(args.outages):
            outages.append(outage_round(cluster, deployment, engine, tokens, args.down, f"o{n}{uuid.uuid4().hex[:4]}"))
            print(f"  outage {n + 1}: first 2xx {outages[-1].back_seconds:.2f} s after PostgreSQL was back", flush=True)
        for n in range(args.kills):
            kills.append(kill_round(deployment, engine, tokens, f"k{n}{uuid.uuid4().hex[:4]}"))
            print(f"  kill -9 {n + 1}: {kills[-1].audit.lost} acknowledged commands lost", flush=True)
    finally:
        if engine is not None:
            engine.dispose()
        if deployment is not None:
            deployment.close()
        standby.destroy()
        cluster.destroy()
    print()
    if replica is not None:
        print(f"read replica (pg_basebackup standby), under {CLIENTS} clients of commands: a 9th client reads its own "
              "command back with min_position")
        print_table(["reads", "p50 ms", "p95 ms", "p99 ms", "max ms", "answered by", "wrong"],
                    [[len(replica.read_ms), f"{percentile(replica.read_ms, 50):.1f}",
                      f"{percentile(replica.read_ms, 95):.1f}", f"{percentile(replica.read_ms, 99):.1f}",
                      f"{max(replica.read_ms, default=float('nan')):.1f}",
                      ", ".join(f"{k}: {v}" for k, v in sorted(replica.served.items())), len(replica.wrong)]])
        print("read = from sending the GET to its answer, the wait for the replica to apply the command included "
              "(JOINTINSPECT_REPLICA_WAIT_SECONDS 0.5, then the primary answers)")
        print()
    print("PostgreSQL outages (pg_ctl stop -m fast … pg_ctl start): seconds, and what clients got while it was down")
    print_table(["round", "stop s", "down s", "start s", "first 2xx s", "readyz 200 s", "worker at head s",
                 "answers while down", "p50 ms", "p99 ms", "acknowledged", "lost", "twice", "not read", "replay wrong",
                 "replays grew log"],
                [[n + 1, f"{r.stop_seconds:.2f}", f"{r.down_seconds:.2f}", f"{r.start_seconds:.2f}",
                  f"{r.back_seconds:.2f}", f"{r.ready_seconds:.2f}", f"{r.worker_seconds:.2f}",
                  ", ".join(f"{k}: {v}" for k, v in sorted(r.during.items())) or "-",
                  f"{percentile(r.answer_ms, 50):.1f}", f"{percentile(r.answer_ms, 99):.1f}", r.audit.acknowledged,
                  r.audit.lost, r.audit.twice, r.audit.not_read, r.audit.replay_wrong, r.audit.replay_growth]
                 for n, r in enumerate(outages)])
    print("first 2xx = from `pg_ctl start` returning to the first 2xx of a request sent after it; readyz 200 and "
          "worker at head from the same moment (after the first 2xx); p50/p99 = how long a request took to be answered "
          "while the database was down")
    print()
    print("kill -9 of every API process (supervisor and workers), `serve` restarted at once")
    print_table(["round", "processes", "acknowledged before", "restart s", "first 2xx s", "lost connections",
                 "commands cut off", "acknowledged", "unanswered at stop", "lost", "twice", "not read",
                 "replay wrong", "replays grew log"],
                [[n + 1, r.processes, r.acknowledged_before, f"{r.restart_seconds:.2f}", f"{r.back_seconds:.2f}",
                  r.lost_connections, r.cut_off, r.audit.acknowledged, r.audit.late, r.audit.lost, r.audit.twice,
                  r.audit.not_read, r.audit.replay_wrong, r.audit.replay_growth] for n, r in enumerate(kills)])
    print("first 2xx = from the kill to the first 2xx (the restart included); unanswered at stop = sent again with "
          "its key before the audit; lost = acknowledged, not in the events table; twice = recorded twice; not read = "
          "not in the read models once the worker reached the head; replays = every acknowledged command sent again "
          "with its key")
    faults = [f"outage {n + 1}: {other}" for n, r in enumerate(outages) for other in r.other]
    faults += [f"kill {n + 1}: {other}" for n, r in enumerate(kills) for other in r.other]
    faults += [f"replica: {wrong}" for wrong in (replica.wrong if replica else [])]
    faults += [f"outage {n + 1}: {r.during['lost connection']} requests lost their connection while PostgreSQL was "
               f"down" for n, r in enumerate(outages) if r.during.get("lost connection")]
    audits = [("outage", n, r.audit) for n, r in enumerate(outages)]
    audits += [("kill", n, r.audit) for n, r in enumerate(kills)]
    faults += [f"{kind} {n + 1}: {a.lost} lost, {a.twice} twice, {a.not_read} not read, {a.replay_wrong} wrong "
               f"replays, {a.replay_growth} events from replays" for kind, n, a in audits
               if a.lost or a.twice or a.not_read or a.replay_wrong or a.replay_growth]
    for fault in faults[:20]:
        print(f"FAULT {fault}")
    if faults:
        print(f"the servers' logs: {logs}")
    else:
        shutil.rmtree(logs, ignore_errors=True)
    print(f"total run time: {time.perf_counter() - began:.0f} s")
    print()
    back = max((r.back_seconds for r in outages), default=float("nan"))
    lost = sum(r.audit.lost for r in kills)
    print(target_line("pg_back_to_first_2xx_seconds", back, "<", BACK_TARGET_SECONDS, 2))
    print(f"TARGET commands_lost_across_kill9: {lost} (target == 0) {'PASS' if kills and lost == 0 else 'MISS'}")
    p99 = percentile(replica.read_ms, 99) if replica and replica.read_ms else float("nan")
    print(target_line("replica_read_your_writes_p99_ms", p99, "<", REPLICA_TARGET_MS, 1))
    return 1 if faults else 0


if __name__ == "__main__":
    raise SystemExit(main())
