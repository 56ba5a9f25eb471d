"""Helpers shared by the bench scripts: throwaway PostgreSQL databases, a server subprocess, phases, figures.

Nothing here asserts on time: the scripts measure and print, ending with one `TARGET …` line per target.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

ROOT = Path(__file__).resolve().parent.parent
if sys.path[:1] != [str(ROOT)]:  # `python bench/x.py` puts bench/ first: the project goes before it, so that
    sys.path.insert(0, str(ROOT))  # `projections` is the package, not bench/projections.py

DEFAULT_PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
BENCH_NOW = "2026-03-02T09:00:00+08:00"  # a plain Monday; windows in March/April 2026 are in the future


def bench_database_url() -> str:
    return os.environ.get("JOINTINSPECT_BENCH_DATABASE_URL", DEFAULT_PG_URL)


def redact(url: str) -> str:
    """The URL without a password, for printing."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    return f"{scheme}://{creds.split(':', 1)[0]}@{host}"


# ---- throwaway databases ------------------------------------------------------------------------------
class FreshDatabases:
    """Creates databases of this run's own on the server of `admin_url` and drops them all on close.

    Only CREATE DATABASE / DROP DATABASE of names this object made; the admin URL's own database is never touched.
    """

    def __init__(self, admin_url: str, prefix: str = "jointinspect_bench") -> None:
        from sqlalchemy import create_engine

        self.admin_url = admin_url
        self.prefix = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        self.created: list[str] = []

    def server_version(self) -> str:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar())

    def create(self, suffix: str) -> str:
        from sqlalchemy import text

        name = f"{self.prefix}_{suffix}"
        with self.engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"

    def close(self) -> None:
        from sqlalchemy import text

        try:
            with self.engine.connect() as conn:
                for name in reversed(self.created):
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            self.created.clear()
        finally:
            self.engine.dispose()

    def __enter__(self) -> "FreshDatabases":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# ---- a real server in a subprocess ------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    base_url: str
    process: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextmanager
def serve(database_url: str, *, now: str | None = BENCH_NOW, log_level: str = "warning",
          extra_env: dict[str, str] | None = None, startup_timeout: float = 60.0) -> Iterator[ServerProcess]:
    """`jointinspect serve` (one uvicorn worker) in its own process, on a free loopback port."""
    import httpx

    port = free_port()
    env = dict(os.environ)
    env.update({"JOINTINSPECT_DATABASE_URL": database_url, "JOINTINSPECT_ENV": "test",
                "JOINTINSPECT_HOST": "127.0.0.1", "JOINTINSPECT_PORT": str(port),
                "JOINTINSPECT_LOG_LEVEL": log_level})
    if now:
        env["JOINTINSPECT_NOW"] = now
    env.update(extra_env or {})
    log = tempfile.NamedTemporaryFile(prefix="jointinspect-bench-server-", suffix=".log", delete=False)
    process = subprocess.Popen([sys.executable, "-m", "api.cli", "serve"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    server = ServerProcess(base_url=f"http://127.0.0.1:{port}", process=process, log_path=Path(log.name))
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{server.log_tail()}")
            try:
                if httpx.get(server.base_url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer /healthz within {startup_timeout:.0f} s:\n"
                                   f"{server.log_tail()}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        log.close()
        try:
            os.unlink(log.name)
        except OSError:
            pass


# ---- CPU accounting (Linux /proc; zeros elsewhere) --------------------------------------------------
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _system_seconds() -> tuple[float, float]:
    """(busy, stolen) CPU seconds of the whole machine since boot: busy is user + nice + system + irq + softirq,
    stolen is what the hypervisor gave to other guests while this one had work (it slows every figure)."""
    try:
        with open("/proc/stat") as f:
            parts = f.readline().split()[1:]
    except OSError:
        return 0.0, 0.0
    values = [int(p) for p in parts] + [0] * 8  # user nice system idle iowait irq softirq steal
    busy = values[0] + values[1] + values[2] + values[5] + values[6]
    return busy / _TICK, values[7] / _TICK


def host_speed_ms(rounds: int = 3) -> float:
    """Milliseconds a fixed pure-Python loop (a million additions) takes now, best of `rounds`: lower is faster.

    On a shared virtual machine the same code runs up to 1.5x slower from one quarter hour to the next, and steal
    shows only part of it (the rest is the host's clock and its other guests' use of caches and memory). Figures
    of two runs compare fairly only when this one is close.
    """
    best = float("inf")
    for _ in range(rounds):
        started, total = time.perf_counter(), 0
        for n in range(1_000_000):
            total += n
        best = min(best, time.perf_counter() - started)
    return best * 1000


class StealMeter:
    """The share of this machine's CPUs the hypervisor gave other guests while a block ran (see `_system_seconds`):
    a figure measured while it is high says more about the host than about the code."""

    def __enter__(self) -> "StealMeter":
        self.started, self.stolen_before = time.perf_counter(), _system_seconds()[1]
        self.share = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        seconds = time.perf_counter() - self.started
        if seconds > 0:
            self.share = (_system_seconds()[1] - self.stolen_before) / seconds / (os.cpu_count() or 1)

    def __str__(self) -> str:
        return f"hypervisor stole {self.share:.0%} of the CPUs"


def _process_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _postgres_seconds(match: str | None) -> float:
    """CPU of the PostgreSQL backends whose process title names a database containing `match`."""
    if not match:
        return 0.0
    total = 0.0
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() != "postgres":
                    continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if match.encode() not in f.read():
                    continue
        except OSError:
            continue
        total += _process_seconds(int(pid))
    return total


def _tree_seconds(roots: Sequence[int]) -> float:
    """CPU of the given processes and all their descendants (uvicorn workers under a supervisor, say)."""
    if not roots:
        return 0.0
    parents: dict[int, int] = {}
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return sum(_process_seconds(p) for p in roots)
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                parents[pid] = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    wanted = set(roots)
    changed = True
    while changed:
        grown = {pid for pid, parent in parents.items() if parent in wanted} - wanted
        changed = bool(grown)
        wanted |= grown
    return sum(_process_seconds(pid) for pid in wanted)


@dataclass
class CpuSnapshot:
    system: float
    stolen: float
    bench: float
    server: float
    postgres: float
    worker: float = 0.0

    @classmethod
    def take(cls, server_pid: int | None, postgres_match: str | None,
             worker_pid: int | None = None) -> "CpuSnapshot":
        system, stolen = _system_seconds()
        return cls(system=system, stolen=stolen, bench=_process_seconds(os.getpid()),
                   server=_tree_seconds([server_pid] if server_pid else []), postgres=_postgres_seconds(postgres_match),
                   worker=_process_seconds(worker_pid) if worker_pid else 0.0)


@dataclass
class CpuUse:
    """CPU seconds spent during a phase by this process, the server process (and a worker process of the
    server's, when it has one apart), this run's PostgreSQL backends, and everything else on the machine (other
    work sharing the CPUs makes the figures noisier); and the seconds the hypervisor stole from this machine (a
    virtual machine on a busy host runs everything slower)."""

    bench: float
    server: float
    postgres: float
    other: float
    stolen: float = 0.0
    worker: float = 0.0

    @classmethod
    def between(cls, a: CpuSnapshot, b: CpuSnapshot) -> "CpuUse":
        bench, server, postgres = b.bench - a.bench, b.server - a.server, b.postgres - a.postgres
        worker = b.worker - a.worker
        return cls(bench=bench, server=server, postgres=postgres, worker=worker, stolen=b.stolen - a.stolen,
                   other=max(0.0, (b.system - a.system) - bench - server - worker - postgres))

    @property
    def total(self) -> float:
        return self.bench + self.server + self.worker + self.postgres + self.other


# ---- phases: N threads doing operations for a while, after a warm-up --------------------------------
@dataclass
class PhaseResult:
    label: str
    threads: int
    seconds: float
    operations: int
    commands: int
    latencies_ms: list[float]
    errors: list[str] = field(default_factory=list)
    cpu: CpuUse | None = None
    warmup_commands: int = 0
    host_ms: float = float("nan")  # host_speed_ms() just before the phase

    @property
    def commands_per_second(self) -> float:
        return self.commands / self.seconds if self.seconds > 0 else 0.0

    @property
    def operations_per_second(self) -> float:
        return self.operations / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p)


Operation = Callable[[], Sequence[float]]  # does one operation, returns each command's latency in ms


def run_phase(label: str, threads: int, seconds: float, warmup_seconds: float,
              make_operation: Callable[[int], Operation], server_pid: int | None = None,
              postgres_match: str | None = None, worker_pid: int | None = None) -> PhaseResult:
    """Every thread builds its operation, warms up, waits for the others, then runs until `seconds` pass.

    Commands/s counts every command of the measured window over the time from the common start to the end of
    the last thread's last operation (no operation is cut short).
    """
    marks: dict[str, Any] = {}

    def begin() -> None:  # run by the barrier, once, before any worker is released
        marks["before"] = CpuSnapshot.take(server_pid, postgres_match, worker_pid)
        marks["started"] = time.perf_counter()
        marks["stop_at"] = marks["started"] + seconds

    start_barrier = threading.Barrier(threads + 1, action=begin)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    counts = {"operations": 0, "commands": 0, "warmup_commands": 0}
    end_times: list[float] = []

    def worker(index: int) -> None:
        try:
            operation = make_operation(index)
            warm_until = time.perf_counter() + warmup_seconds
            warm = 0
            while time.perf_counter() < warm_until:
                warm += len(operation())
        except Exception as exc:  # a broken setup stops the phase loudly, below
            with lock:
                errors.append(f"setup/warm-up: {exc!r}")
            start_barrier.abort()
            return
        with lock:
            counts["warmup_commands"] += warm
        try:
            start_barrier.wait()
        except threading.BrokenBarrierError:
            return
        mine: list[float] = []
        ops = 0
        stop_at = marks["stop_at"]
        try:
            while time.perf_counter() < stop_at:
                mine.extend(operation())
                ops += 1
        except Exception as exc:
            with lock:
                errors.append(repr(exc))
        finished = time.perf_counter()
        with lock:
            latencies.extend(mine)
            counts["operations"] += ops
            counts["commands"] += len(mine)
            end_times.append(finished)

    host_ms = host_speed_ms()
    pool = [threading.Thread(target=worker, args=(i,), name=f"{label}-{i}", daemon=True) for i in range(threads)]
    for t in pool:
        t.start()
    try:
        start_barrier.wait()
    except threading.BrokenBarrierError:
        for t in pool:
            t.join(timeout=30)
        raise RuntimeError(f"{label}: a worker failed before measuring: {errors}") from None
    for t in pool:
        t.join()
    after = CpuSnapshot.take(server_pid, postgres_match, worker_pid)
    before, started = marks["before"], marks["started"]
    elapsed = (max(end_times) if end_times else time.perf_counter()) - started
    return PhaseResult(label=label, threads=threads, seconds=elapsed, operations=counts["operations"],
                       commands=counts["commands"], latencies_ms=latencies, errors=errors,
                       cpu=CpuUse.between(before, after), warmup_commands=counts["warmup_commands"], host_ms=host_ms)


# ---- figures ------------------------------------------------------------------------------------------
def percentile(values: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100.0
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def target_line(name: str, measured: float, op: str, target: float, digits: int = 2) -> str:
    """`TARGET <name>: <measured> (target <op> <value>) PASS|MISS`."""
    checks = {">=": measured >= target, ">": measured > target, "<=": measured <= target, "<": measured < target}
    ok = checks[op] if measured == measured else False  # NaN never passes
    return f"TARGET {name}: {measured:.{digits}f} (target {op} {target:g}) {'PASS' if ok else 'MISS'}"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            print("  ".join("-" * w for w in widths))
