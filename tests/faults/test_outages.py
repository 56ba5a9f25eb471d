"""Outages under load, with real processes on a PostgreSQL cluster each test owns (tests/faults/processes.py):

1. PostgreSQL stopped (`pg_ctl stop -m fast`) for a few seconds and started again while clients send commands and
   reads: meanwhile every answer is `503 database_unavailable` with Retry-After (never a 500, never a dropped
   connection) and `/readyz` is 503; afterwards the same API processes answer again, every acknowledged command is
   in the store once (its Idempotency-Key replays the stored answer, the log does not grow), and `/ws` clients,
   the one that stayed and the one that reconnected with `after=`, receive every event once, in order.
2. Every API process (`serve`'s supervisor and its workers) killed with SIGKILL under 8 clients sending commands
   with Idempotency-Keys: after a restart every acknowledged command is in the store and the read models once, and
   the commands in flight at the kill, sent again with their keys, are recorded once.
3. The projection worker killed with SIGKILL in the middle of a batch while it catches up on a backlog of a few
   thousand events: restarted, it finishes, and its read tables equal a full rebuild's, checksum for checksum.

The deployment is the one README "Operations" describes: `jointinspect serve --workers 2` with
JOINTINSPECT_RUN_PROJECTIONS=false beside one `jointinspect projections run` worker. Nothing is mocked."""
from __future__ import annotations

import itertools
import json
import os
import signal
import threading
import time
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from api.demo import DEMO_PASSWORD, demo_item_id
from domain.clock import SHANGHAI
from tests.faults.processes import (
    PgCluster, alive, answers, cli, descendants, kill_tree, pg_cluster, port_free, projection_worker, serve, stop,
    wait,
)
from tests.support import _free_port

pytestmark = pytest.mark.pg_only

LEAD, RESPONDER = "scjg", "wlj"
ITEMS = [demo_item_id("SCJG-C-01"), demo_item_id("WLJ-C-01")]  # the lead's and the responder's joint items
EVENTS = "jointinspect_events"
RECOVERY_BOUND_SECONDS = 10.0  # PostgreSQL back → the first acknowledged command (bench/faults.py targets < 5 s)
# Per table of the read side, columns that legitimately differ between a live catch-up and a rebuild
EXCLUDED = {
    "projection_tracking": {"updated_at"},  # when the row last moved (func.now()); positions are compared
    "projection_failures": {"recorded_at"},  # the runner's clock when the failure was recorded
}


# ---- the deployment ------------------------------------------------------------------------------------------
@dataclass
class Deployment:
    """A store on a cluster of the test's own, the API (`serve --workers 2`, no projections) and the worker."""

    cluster: PgCluster
    url: str
    logs: Path
    port: int = field(default_factory=_free_port)
    api: Any = None
    worker: Any = None
    _files: list = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _log(self, name: str) -> Any:
        handle = open(self.logs / name, "a")
        self._files.append(handle)
        return handle

    def start_api(self) -> float:
        """Start `serve --workers 2`; the seconds until it answers /healthz."""
        assert port_free(self.port), f"port {self.port} still taken"
        metrics = self.logs / f"metrics-{uuid.uuid4().hex[:6]}"  # serve would make one in /tmp and leave it there
        metrics.mkdir()
        self.api = serve(self.url, self.port, 2, log=self._log("api.log"), JOINTINSPECT_RUN_PROJECTIONS="false",
                         PROMETHEUS_MULTIPROC_DIR=str(metrics))
        seconds = wait(lambda: answers(self.port) or self.api.poll() is not None, 60, "the API answers")
        assert self.api.poll() is None, f"serve exited {self.api.returncode}:\n{self.log_tail('api.log')}"
        wait(lambda: len(descendants(self.api.pid)) >= 2, 30, "both API workers started")
        return seconds

    def kill_api(self) -> list[str]:
        """SIGKILL every API process at once: the workers, then the supervisor (before PR_SET_PDEATHSIG could
        give the workers a clean SIGTERM); what each was (its command line, shortened)."""
        pids = [*descendants(self.api.pid), self.api.pid]
        names = [_command_line(pid) for pid in pids]
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
        self.api.wait(timeout=10)
        wait(lambda: not any(alive(p) for p in pids), 10, "every API process gone")
        wait(lambda: port_free(self.port), 10, "the API port free")
        return names

    def start_worker(self) -> None:
        self.worker = projection_worker(self.url, self._log("worker.log"))

    def log_tail(self, name: str, lines: int = 30) -> str:
        try:
            return "\n".join((self.logs / name).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def close(self) -> None:
        if self.api is not None:  # its workers while it still lives (they are its descendants), then itself
            kill_tree(self.api, descendants(self.api.pid))
        if self.worker is not None:
            stop(self.worker, 10)
        for handle in self._files:
            handle.close()


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as found:
            words = found.read().decode(errors="replace").split("\0")
    except OSError:
        return "?"
    return " ".join(w.rsplit("/", 1)[-1] for w in words if w)[:60]


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    """A migrated store with the demo province on a cluster of this test's own; the processes are the test's to
    start. Everything it started is stopped on the way out, the cluster too, whatever happened."""
    with pg_cluster() as cluster:
        url = cluster.create_database("jointinspect")
        cli(url, "migrate")
        assert "demo data loaded" in cli(url, "demo")
        deployed = Deployment(cluster, url, tmp_path)
        try:
            yield deployed
        finally:
            deployed.close()


def _engine(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True, connect_args={"application_name": "fault-test"})


def _head(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {EVENTS}")).scalar_one())


def _applied(engine: Engine) -> int:
    """The lowest position of every projection's tracking row."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT min(position) FROM projection_tracking")).scalar_one())


def _log_in(base: str, *users: str) -> dict[str, str]:
    tokens = {}
    for user in users:
        response = httpx.post(base + "/api/v1/auth/login", json={"username": user, "password": DEMO_PASSWORD},
                              timeout=30)
        assert response.status_code == 200, response.text
        tokens[user] = response.json()["access_token"]
    return tokens


# ---- clients under load ------------------------------------------------------------------------------------------
@dataclass
class Exchange:
    """One request and what came back: a status, or `error` when the connection failed (no answer at all)."""

    method: str
    path: str
    sent: float  # time.monotonic()
    received: float
    status: int | None
    headers: dict[str, str]
    body: Any
    error: str | None = None


@dataclass
class Command:
    """A command a client keeps sending, with its Idempotency-Key, until it is answered with 2xx."""

    user: str
    path: str
    body: dict
    key: str
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def acknowledged(self) -> Exchange | None:
        return next((e for e in self.exchanges if e.status is not None and 200 <= e.status < 300), None)


class Traffic:
    """What every client thread sent and got, kept in one place (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.exchanges: list[Exchange] = []
        self.commands: list[Command] = []
        self.failures: list[str] = []  # a thread that died

    def request(self, http: httpx.Client, method: str, path: str, **kwargs: Any) -> Exchange:
        sent = time.monotonic()
        try:
            response = http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            exchange = Exchange(method, path, sent, time.monotonic(), None, {}, None, f"{type(exc).__name__}: {exc}")
        else:
            try:
                body = response.json()
            except ValueError:
                body = response.text
            exchange = Exchange(method, path, sent, time.monotonic(), response.status_code, dict(response.headers),
                                body)
        with self.lock:
            self.exchanges.append(exchange)
        return exchange

    def between(self, start: float, end: float, path: Callable[[str], bool] = lambda p: True) -> list[Exchange]:
        """Exchanges sent at or after `start` and answered by `end`."""
        with self.lock:
            return [e for e in self.exchanges if e.sent >= start and e.received <= end and path(e.path)]


def _window() -> tuple[str, str]:
    """A joint task's window a week from today (Shanghai) for three weeks: in the future on any date."""
    today = datetime.now(SHANGHAI).date()
    return (today + timedelta(days=7)).isoformat(), (today + timedelta(days=28)).isoformat()


def _send(traffic: Traffic, http: httpx.Client, tokens: dict[str, str], command: Command,
          stop: threading.Event) -> bool:
    """Send until answered with 2xx (a 503 or a lost connection: again, with the same key); False when stopped
    first or refused otherwise."""
    if stop.is_set():
        return False  # never sent
    with traffic.lock:
        traffic.commands.append(command)
    headers = {"Authorization": f"Bearer {tokens[command.user]}", "Idempotency-Key": command.key}
    while not stop.is_set():
        exchange = traffic.request(http, "POST", "/api/v1" + command.path, json=command.body, headers=headers)
        command.exchanges.append(exchange)
        if exchange.status is not None and 200 <= exchange.status < 300:
            return True
        if exchange.status is not None and exchange.status != 503:
            return False  # a refusal the test reports; sending it again would not change it
        time.sleep(0.1)  # shorter than Retry-After: the test wants to see the outage densely
    return False


def command_client(traffic: Traffic, base: str, tokens: dict[str, str], stop: threading.Event, run: str,
                   number: int) -> None:
    """Initiate a joint task (the lead), then accept it (the responder), each with an Idempotency-Key; again."""
    window = _window()
    try:
        with httpx.Client(base_url=base, timeout=10) as http:
            for n in itertools.count(1):
                initiate = Command(LEAD, "/joint-tasks", {
                    "title": f"故障演练 {run}-{number}-{n}", "responding_departments": [RESPONDER],
                    "window_start": window[0], "window_end": window[1], "items": ITEMS, "planned": True,
                    "note": ""}, key=f"{run}-{number}-{n}-initiate")
                if not _send(traffic, http, tokens, initiate, stop):
                    return
                task_id = initiate.acknowledged.body["id"]  # type: ignore[union-attr]
                respond = Command(RESPONDER, f"/joint-tasks/{task_id}/responses",
                                  {"decision": "accept", "item_ids": [ITEMS[1]], "reason": ""},
                                  key=f"{run}-{number}-{n}-respond")
                if not _send(traffic, http, tokens, respond, stop):
                    return
    except Exception as exc:  # reported by the test: a client must not die silently
        traffic.failures.append(f"command client {number}: {exc!r}")


def read_client(traffic: Traffic, base: str, tokens: dict[str, str], stop: threading.Event,
                task_id: str) -> None:
    """The reads a page makes: the task list (read model), a task (its events), the inbox (read model)."""
    try:
        with httpx.Client(base_url=base, timeout=10) as http:
            for n in itertools.count():
                if stop.is_set():
                    return
                user = (LEAD, RESPONDER)[n % 2]
                path = ("/api/v1/joint-tasks?page_size=5", f"/api/v1/joint-tasks/{task_id}", "/api/v1/inbox")[n % 3]
                traffic.request(http, "GET", path, headers={"Authorization": f"Bearer {tokens[user]}"})
                time.sleep(0.05)
    except Exception as exc:
        traffic.failures.append(f"read client: {exc!r}")


def ready_probe(traffic: Traffic, base: str, stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=10) as http:
        while not stop.is_set():
            traffic.request(http, "GET", "/readyz")
            time.sleep(0.2)


class Follower:
    """A `/ws` client of the office (which is told of every event), as the browser's live.js: on any close it
    reconnects with `after=<last position it saw>`; `drop()` closes its connection (a network cut) and
    `hold` keeps it from reconnecting until released."""

    def __init__(self, base: str, token: str, after: int) -> None:
        self.url = base.replace("http://", "ws://") + "/ws"
        self.token, self.last = token, after
        self.positions: list[int] = []
        self.closes: list[tuple[float, int | None, str]] = []  # (when, close code, reason) of every lost connection
        self.connects: list[tuple[float, int]] = []  # (when, after) of every connection that opened
        self.refusals: list[tuple[float, str]] = []  # handshakes that failed
        self.hold = threading.Event()
        self._drop = threading.Event()
        self._stop = threading.Event()
        self.failure: str | None = None
        self.thread = threading.Thread(target=self._run, name="ws-follower", daemon=True)

    def start(self) -> "Follower":
        self.thread.start()
        wait(lambda: self.connects or self.failure, 30, "the websocket connected")
        return self

    def drop(self) -> None:
        self.hold.set()
        self._drop.set()

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=15)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if self.hold.is_set():
                    time.sleep(0.05)
                    continue
                try:
                    ws = connect(f"{self.url}?after={self.last}", open_timeout=5,
                                 additional_headers={"Authorization": f"Bearer {self.token}"})
                except (OSError, InvalidStatus, TimeoutError) as exc:
                    self.refusals.append((time.monotonic(), f"{type(exc).__name__}: {exc}"))
                    time.sleep(0.5)
                    continue
                self.connects.append((time.monotonic(), self.last))
                with ws:
                    self._receive(ws)
                if not self._stop.is_set():
                    time.sleep(0.5)  # live.js waits 1, 2, 5, 10 s; shorter here
        except Exception as exc:
            self.failure = repr(exc)

    def _receive(self, ws: Any) -> None:
        while not self._stop.is_set():
            if self._drop.is_set():
                self._drop.clear()
                self.closes.append((time.monotonic(), None, "dropped by the test"))
                return
            try:
                message = json.loads(ws.recv(timeout=0.2))
            except TimeoutError:
                continue
            except ConnectionClosed as closed:
                frame = closed.rcvd
                self.closes.append((time.monotonic(), frame.code if frame else None, frame.reason if frame else ""))
                return
            if message["type"] in ("heartbeat", "resync"):
                continue
            self.positions.append(message["position"])
            self.last = message["position"]


def _error_shape(exchange: Exchange) -> bool:
    body = exchange.body
    return isinstance(body, dict) and isinstance(body.get("error"), dict) and \
        set(body["error"]) == {"code", "message", "details"} and \
        any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]["message"])


def _timeline(traffic: Traffic, start: float, end: float, method: str) -> str:
    """The `method` requests that overlap [start, end], their times relative to `start`."""
    with traffic.lock:
        overlapping = [e for e in traffic.exchanges if e.method == method and e.received >= start and e.sent <= end]
    return "; ".join(f"[{e.sent - start:+.2f}, {e.received - start:+.2f}] {e.status or e.error}"
                     for e in overlapping[:20])


def _describe(exchanges: list[Exchange], limit: int = 5) -> str:
    return "; ".join(f"{e.method} {e.path} → {e.status or e.error} {str(e.body)[:200]}" for e in exchanges[:limit])


# ---- what the store holds -----------------------------------------------------------------------------------------
def _events_by_task(engine: Engine, task_ids: list[str]) -> dict[str, dict[str, int]]:
    """For each task: how many of each event (by the event's class name) the log holds."""
    counts: dict[str, dict[str, int]] = {t: {} for t in task_ids}
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT originator_id::text, topic, count(*) FROM {EVENTS} "
                                 "WHERE originator_id::text = ANY(:ids) GROUP BY 1, 2"), {"ids": task_ids})
        for task_id, topic, n in rows:
            counts[task_id][topic.rsplit(".", 1)[-1]] = int(n)
    return counts


def _check_acknowledged(engine: Engine, base: str, tokens: dict[str, str], commands: list[Command]) -> str:
    """Every acknowledged command is in the store once, and in the read models; sent again with its key, each gets
    its stored answer and the log does not grow. Returns a summary for assertion messages."""
    acknowledged = [c for c in commands if c.acknowledged]
    initiated = {c.acknowledged.body["id"]: c for c in acknowledged if c.path == "/joint-tasks"}  # type: ignore
    responded = {c.path.split("/")[2]: c for c in acknowledged if c.path.endswith("/responses")}
    counts = _events_by_task(engine, list(initiated))
    wrong = {t: n for t, n in counts.items() if n.get("Initiated") != 1 or n.get("Responded", 0) > 1
             or (t in responded) != (n.get("Responded") == 1)}
    assert not wrong, f"acknowledged commands not in the store exactly once: {list(wrong.items())[:5]}"
    # the read models (the projection worker has reached the head): one row per task, its title, wlj accepted
    with engine.connect() as conn:
        rows = {r.task_id: r for r in conn.execute(text(
            "SELECT s.task_id, s.title, d.response_status FROM task_summary s JOIN task_departments d "
            "ON d.task_id = s.task_id AND d.department = :responder WHERE s.task_id = ANY(:ids)"),
            {"responder": RESPONDER, "ids": list(initiated)})}
    assert set(rows) == set(initiated), f"tasks missing from the read models: {set(initiated) - set(rows)}"
    assert all(rows[t].title == c.body["title"] for t, c in initiated.items())
    assert all(rows[t].response_status == ("accepted" if t in responded else "pending") for t in initiated)
    # the same through the API, waiting for the last acknowledged position (min_position)
    last = max(c.acknowledged.body["position"] for c in acknowledged)  # type: ignore[union-attr]
    run = next(iter(initiated.values())).body["title"].rsplit("-", 2)[0]
    listed = httpx.get(base + "/api/v1/joint-tasks", params={"min_position": last, "q": run, "page_size": 1},
                       headers={"Authorization": f"Bearer {tokens[LEAD]}"}, timeout=30)
    assert listed.status_code == 200 and listed.json()["total"] == len(initiated), listed.text
    # each acknowledged command once more with its key: the stored answer, nothing recorded
    head = _head(engine)
    with httpx.Client(base_url=base + "/api/v1", timeout=30) as http:
        for command in acknowledged:
            again = http.post(command.path, json=command.body, headers={
                "Authorization": f"Bearer {tokens[command.user]}", "Idempotency-Key": command.key})
            first = command.acknowledged
            assert first is not None
            assert (again.status_code, again.json()) == (first.status, first.body), (command.key, again.text)
            assert again.headers.get("Idempotent-Replay") == "true", command.key
    assert _head(engine) == head, "a replayed Idempotency-Key recorded something"
    return f"{len(initiated)} tasks initiated, {len(responded)} accepted"


# ---- 1. PostgreSQL stopped and started under load ---------------------------------------------------------------
def test_postgresql_stopped_and_started_under_load_503s_then_recovers_losing_nothing(deployment):
    deployment.start_api()
    deployment.start_worker()
    engine = _engine(deployment.url)
    try:
        _outage(deployment, engine)
    finally:
        engine.dispose()


def _outage(deployment: Deployment, engine: Engine) -> None:
    base, cluster = deployment.base, deployment.cluster
    tokens = _log_in(base, LEAD, RESPONDER, "office")
    with engine.connect() as conn:
        task_id = conn.execute(text("SELECT task_id FROM task_summary WHERE lead_department = :lead LIMIT 1"),
                               {"lead": LEAD}).scalar_one()
    start = _head(engine)
    steady = Follower(base, tokens["office"], start).start()  # stays connected through the outage
    resumer = Follower(base, tokens["office"], start).start()  # cut off during it; reconnects with after=
    traffic, stop = Traffic(), threading.Event()
    run = uuid.uuid4().hex[:8]
    threads = [threading.Thread(target=command_client, args=(traffic, base, tokens, stop, run, n)) for n in range(3)]
    threads += [threading.Thread(target=read_client, args=(traffic, base, tokens, stop, task_id)) for _ in range(2)]
    threads += [threading.Thread(target=ready_probe, args=(traffic, base, stop))]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)  # load on a healthy store
        stopping = time.monotonic()
        cluster.stop("fast")
        stopped = time.monotonic()
        resumer.drop()  # cut off while the database is away; it tries again from where it was
        time.sleep(0.6)
        resumer.hold.clear()
        time.sleep(3.4)
        starting = time.monotonic()
        cluster.start()
        started = time.monotonic()

        def recovered() -> bool:
            return any(e.status == 201 for e in traffic.between(started, float("inf"), lambda p: "joint-tasks" in p))
        wait(recovered, 30, "a command acknowledged after PostgreSQL is back")
        time.sleep(2)  # load on the recovered store
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=20)
    assert not traffic.failures, traffic.failures
    assert deployment.api.poll() is None, "the API exited"  # it recovered without a restart

    # never a 500, never a connection dropped
    broken = [e for e in traffic.exchanges if e.status is None or e.status >= 500 and e.status != 503]
    assert not broken, f"{len(broken)} requests failed otherwise than with a 503: {_describe(broken)}"
    unhandled = deployment.log_tail("api.log", 100_000).count("Exception in ASGI application")
    assert not unhandled, f"{unhandled} requests raised out of the app (uvicorn logged a traceback, closed the socket)"
    # while PostgreSQL was down: every answer 503 with Retry-After and the error shape (database_unavailable);
    # /readyz 503 with its reasons
    during = traffic.between(stopped, starting)
    api = [e for e in during if e.path.startswith("/api/")]
    commands = [e for e in api if e.method == "POST"]
    ready = [e for e in during if e.path == "/readyz"]
    assert len(commands) >= 3 and len(api) - len(commands) >= 3 and len(ready) >= 3, \
        f"too little traffic during the outage: {len(commands)} commands, {len(api) - len(commands)} reads, " \
        f"{len(ready)} readiness probes; commands around it: " + _timeline(traffic, stopped, starting, "POST")
    wrong = [e for e in api if e.status != 503 or "retry-after" not in e.headers or not _error_shape(e)
             or e.body["error"]["code"] != "database_unavailable"]
    assert not wrong, f"answers during the outage other than 503 database_unavailable: {_describe(wrong)}"
    assert all(e.status == 503 and e.body["status"] == "unavailable" for e in ready), _describe(ready)
    # after: the first acknowledged command within the bound, /readyz 200 again, no restart of the API
    after = traffic.between(started, float("inf"))
    first = min(e.received for e in after if e.path.startswith("/api/") and e.status in (200, 201))
    back = first - started
    assert back < RECOVERY_BOUND_SECONDS, f"first 2xx {back:.2f} s after PostgreSQL was back"

    def ready_again() -> bool:
        return httpx.get(base + "/readyz", timeout=10).status_code == 200
    wait(ready_again, 30, "/readyz 200 after the outage")
    # the commands: all acknowledged in the end (the clients sent each again with its key), in the store once
    wait(lambda: _applied(engine) >= _head(engine), 30, "the projection worker at the head")
    summary = _check_acknowledged(engine, base, tokens, traffic.commands)
    retried = [c for c in traffic.commands if c.acknowledged and len(c.exchanges) > 1]
    assert retried, "no command was sent again after a 503: the outage was not under load"
    # /ws: both clients received every event after `start` once, in order
    head = _head(engine)
    with engine.connect() as conn:
        expected = list(conn.execute(text(f"SELECT id FROM {EVENTS} WHERE id > :start ORDER BY id"),
                                     {"start": start}).scalars())
    for follower in (steady, resumer):
        wait(lambda f=follower: f.last >= head or f.failure, 30, "the websocket clients at the head")
        follower.stop()
        assert follower.failure is None, follower.failure
        assert follower.positions == expected, \
            f"ws positions: {len(follower.positions)} received, {len(expected)} recorded; missing " \
            f"{sorted(set(expected) - set(follower.positions))[:10]}, twice " \
            f"{[p for p in set(follower.positions) if follower.positions.count(p) > 1][:10]}"
    resumed_at = [after for when, after in resumer.connects if when > stopped]
    assert resumed_at and resumed_at[0] > start, f"the resumer never reconnected with after=: {resumer.connects}"
    # its attempts while the database was away were closed with 1013 (try again later), not 1011 (a server error)
    refused = [code for when, code, reason in resumer.closes if stopped < when < starting and code is not None]
    assert refused and set(refused) == {1013}, resumer.closes
    assert not steady.closes, f"the connected client was cut off: {steady.closes}"
    print(f"\noutage: stop took {stopped - stopping:.2f} s, down {starting - stopped:.2f} s, start took "
          f"{started - starting:.2f} s; first 2xx {back:.2f} s after PostgreSQL was back; {summary}; "
          f"{len(during)} answers during the outage; ws resumer: closes {resumer.closes}, refused handshakes "
          f"{len(resumer.refusals)}, reconnected with after={resumed_at[0]}; steady closes {steady.closes}")


# ---- 2. every API process killed with SIGKILL under load -----------------------------------------------------------
def test_every_api_process_killed_under_load_loses_no_acknowledged_command(deployment):
    deployment.start_api()
    deployment.start_worker()
    engine = _engine(deployment.url)
    try:
        _kill9(deployment, engine)
    finally:
        engine.dispose()


def _kill9(deployment: Deployment, engine: Engine) -> None:
    base = deployment.base
    tokens = _log_in(base, LEAD, RESPONDER)
    traffic, stop = Traffic(), threading.Event()
    run = uuid.uuid4().hex[:8]
    threads = [threading.Thread(target=command_client, args=(traffic, base, tokens, stop, run, n)) for n in range(8)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(3)
        before_kill = sum(1 for c in traffic.commands if c.acknowledged)
        killed = deployment.kill_api()
        killed_at = time.monotonic()
        restart_seconds = deployment.start_api()  # tokens are rows: the clients' logins still hold
        wait(lambda: any(e.status == 201 for e in traffic.between(killed_at, float("inf"))), 30,
             "a command acknowledged after the restart")
        time.sleep(1.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=20)
    assert not traffic.failures, traffic.failures
    refused = [e for e in traffic.exchanges if e.status is not None and not (200 <= e.status < 300 or e.status == 503)]
    assert not refused, f"answers other than 2xx or 503: {_describe(refused)}"
    lost = [e for e in traffic.exchanges if e.status is None]
    in_flight = [c for c in traffic.commands if any(e.status is None for e in c.exchanges)]
    assert in_flight, "no command was cut off by the kill: the kill was not under load"
    wait(lambda: _applied(engine) >= _head(engine), 30, "the projection worker at the head")
    # every command, the ones cut off by the kill included, was sent again with its key until acknowledged
    unanswered = [c for c in traffic.commands if not c.acknowledged]
    assert len(unanswered) <= 8, f"{len(unanswered)} commands never acknowledged"  # at most one per client, at the stop
    summary = _check_acknowledged(engine, base, tokens, traffic.commands)
    recorded_before = [c for c in in_flight if c.acknowledged and c.acknowledged.headers.get("idempotent-replay")]
    # a command never acknowledged (its client stopped meanwhile) is recorded at most once: sent now with its key
    for command in unanswered:
        again = httpx.post(base + "/api/v1" + command.path, json=command.body, timeout=30, headers={
            "Authorization": f"Bearer {tokens[command.user]}", "Idempotency-Key": command.key})
        assert again.status_code == 201, again.text
        command.exchanges.append(Exchange("POST", command.path, 0, 0, 201, dict(again.headers), again.json()))
    wait(lambda: _applied(engine) >= _head(engine), 30, "the projection worker at the head")
    _check_acknowledged(engine, base, tokens, traffic.commands)
    print(f"\nkill -9 of {len(killed)} API processes after {before_kill} acknowledged commands; restarted in "
          f"{restart_seconds:.2f} s ({'; '.join(killed)}); {len(lost)} requests lost their connection "
          f"({len(in_flight)} commands cut off, each sent again with its key; {len(recorded_before)} of them had been "
          f"recorded before the kill and got their stored answer); {summary}")


# ---- 3. the projection worker killed mid-batch on a backlog --------------------------------------------------------
BACKLOG_TASKS = 700  # × (initiate, accept, decline, propose, agree) ≈ 4,000 events with the demo's


def _write_backlog(url: str) -> list[Any]:
    """A few thousand events through the use cases in this process (no projection runs here); returns the read
    side's tables (every projection's, and the failures table)."""
    from api.bootstrap import build_services
    from api.settings import Settings
    from domain.usecases import Actor
    from projections.tables import projection_failures, projection_tracking

    services = build_services(Settings(database_url=url, env="test", listen=False))
    try:
        lead, accepting, declining = (Actor(user=d, department=d) for d in (LEAD, RESPONDER, "gxj"))
        items = [*ITEMS, demo_item_id("GXJ-C-01")]
        start, end = (date.fromisoformat(d) for d in _window())
        app = services.app
        calendar = app.calendar()
        days = [d for d in (start + timedelta(days=n) for n in range((end - start).days)) if calendar.is_working_day(d)]
        for chunk in range(0, BACKLOG_TASKS, 50):
            with app.transaction():  # one commit for fifty tasks' commands
                for n in range(chunk, min(chunk + 50, BACKLOG_TASKS)):
                    task = app.initiate(lead, items=items, responding_departments=[RESPONDER, "gxj"], planned=True,
                                        title=f"积压任务 {n}", window_start=start, window_end=end,
                                        note="").aggregate_id
                    app.respond(task, accepting, "accept", [ITEMS[1]], "")
                    app.respond(task, declining, "decline", [], "本月无检查力量")
                    if n % 3:
                        app.propose_day(task, lead, days[n % len(days)])
                        app.agree_day(task, accepting)
                    elif n % 2:
                        app.cancel(task, lead, "并入其他任务")
        return [table for p in services.runner.projections for table in p.tables] + \
            [projection_failures, projection_tracking]
    finally:
        services.close()


def _checksums(engine: Engine, tables: list[Any]) -> dict[str, tuple[int, str]]:
    """Per table: (rows, md5 of the rows as text in primary-key order), without the columns in EXCLUDED."""
    sums = {}
    with engine.connect() as conn:
        for table in tables:
            columns = [c.name for c in table.columns if c.name not in EXCLUDED.get(table.name, set())]
            key = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
            row = ", ".join(f'"{c}"' for c in columns)
            count, digest = conn.execute(text(
                f'SELECT count(*), md5(coalesce(string_agg(ROW({row})::text, chr(10) ORDER BY {key}), \'\')) '
                f'FROM "{table.name}"')).one()
            sums[table.name] = (int(count), digest)
    return sums


def _worker_in_a_batch(engine: Engine) -> bool:
    """Whether the worker is inside a batch's transaction: one of its pooled connections (its LISTEN connection is
    named, so is the test's) has a transaction open that writes or reads the read tables (not a look at the log, its
    tracking positions or its lock)."""
    with engine.connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND application_name = '' AND xact_start IS NOT NULL AND (query ~* '^\\s*(insert|copy|update|delete)' "
            "OR query ~* '^\\s*select' AND query !~* '(projection_tracking|jointinspect_events|advisory)')"
        )).scalar_one())


def test_projection_worker_killed_mid_batch_resumes_to_what_a_rebuild_gives(deployment):
    engine = _engine(deployment.url)
    try:
        before = _applied(engine)
        tables = _write_backlog(deployment.url)
        head = _head(engine)
        assert head - before >= 3000, f"a backlog of {head - before} events only"
        deployment.start_worker()
        deadline = time.monotonic() + 60
        while True:  # as soon as it has applied some batches and is inside the next one
            applied = _applied(engine)
            if applied > before and _worker_in_a_batch(engine):
                break
            assert applied < head, "the worker caught up before the test could kill it mid-batch"
            assert time.monotonic() < deadline and deployment.worker.poll() is None, \
                f"the worker applied nothing:\n{deployment.log_tail('worker.log')}"
            time.sleep(0.005)
        deployment.worker.send_signal(signal.SIGKILL)
        deployment.worker.wait(timeout=10)
        killed_at = _applied(engine)
        assert before < killed_at < head, (before, killed_at, head)
        deployment.start_worker()
        resumed = wait(lambda: _applied(engine) >= head, 60, "the restarted worker at the head", every=0.05)
        live = _checksums(engine, tables)
        with engine.connect() as conn:
            failures = conn.execute(text("SELECT count(*) FROM projection_failures")).scalar_one()
        assert failures == 0, "events parked or sanitised while catching up"
        stop(deployment.worker)  # a rebuild empties the tables under a running worker's feet otherwise
        deployment.worker = None
        cli(deployment.url, "projections", "rebuild")
        rebuilt = _checksums(engine, tables)
    finally:
        engine.dispose()
    differing = {name: (live[name], rebuilt[name]) for name in live if live[name] != rebuilt[name]}
    assert not differing, f"read tables after the kill differ from a rebuild: {differing}"
    assert live["task_summary"][0] >= BACKLOG_TASKS
    print(f"\nprojection worker killed at position {killed_at} of {head} (from {before}); restarted, at the head "
          f"{resumed:.2f} s later; {len(tables)} tables equal a rebuild's")


# ---- 4. the projection worker's lock after PostgreSQL restarts -----------------------------------------------------
def _lock_holders(engine: Engine) -> list[int]:
    """The sessions holding the projections' advisory lock (projections/locks.py: crc32 of its name)."""
    key = zlib.crc32(b"jointinspect:projections")
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
                                      "classid = 0 AND objid = :key AND objsubid = 1"), {"key": key}).scalars())


def test_after_postgresql_restarts_the_projection_worker_holds_its_lock_again(deployment):
    deployment.start_worker()
    engine = _engine(deployment.url)
    try:
        wait(lambda: _lock_holders(engine), 30, "the worker holds the projections' lock")
        deployment.cluster.stop("fast")
        deployment.cluster.start()
        wait(lambda: len(_lock_holders(engine)) == 1, 15, "the worker holds the projections' lock again")
    finally:
        engine.dispose()
