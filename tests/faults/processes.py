"""Real processes for the fault tests: `jointinspect` commands (serve, migrate, demo, projections) in processes of
their own, and a PostgreSQL cluster a test owns (initdb + pg_ctl on a temporary directory and a free port), which
it may stop and start under load without touching the shared server on 5432.

No mocks: every wait polls a real process or socket and has a deadline."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Callable, Iterator

import httpx
import pytest

from tests.support import _free_port

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("JOINTINSPECT_PG_BIN", "/usr/lib/postgresql/15/bin"))
NOW = "2026-03-02T09:00:00+08:00"  # a plain Monday: joint-task windows in March and April 2026 lie ahead


# ---- jointinspect processes ----------------------------------------------------------------------------------
def jointinspect_env(database_url: str, **env: str) -> dict[str, str]:
    """The environment of a `jointinspect` process on `database_url`; `env` adds JOINTINSPECT_* variables."""
    return dict(os.environ, JOINTINSPECT_DATABASE_URL=database_url, JOINTINSPECT_ENV="test",
                JOINTINSPECT_LOG_LEVEL="warning", **env)


def serve(database_url: str, port: int, workers: int, log: IO | None = None, **env: str) -> subprocess.Popen:
    """`python -m api.cli serve --workers N` on `port`. Its output goes to `log` (a file: a server under load fills
    a pipe nobody reads and blocks), else to pipes the caller reads with communicate()."""
    environ = jointinspect_env(database_url, JOINTINSPECT_PORT=str(port), **env)
    out = log if log is not None else subprocess.PIPE
    return subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--workers", str(workers)], cwd=ROOT,
                            env=environ, stdout=out, stderr=subprocess.STDOUT if log is not None else subprocess.PIPE,
                            text=True)


def projection_worker(database_url: str, log: IO, **env: str) -> subprocess.Popen:
    """`python -m api.cli projections run`: the standalone projection worker of a deployment."""
    return subprocess.Popen([sys.executable, "-m", "api.cli", "projections", "run"], cwd=ROOT,
                            env=jointinspect_env(database_url, **env), stdout=log, stderr=subprocess.STDOUT, text=True)


def cli(database_url: str, *args: str, timeout: float = 120, **env: str) -> str:
    """Run `python -m api.cli <args>` to its end; its output, or an AssertionError with it on a non-zero exit."""
    done = subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=jointinspect_env(database_url, **env),
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"jointinspect {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done.stdout


def wait(condition: Callable[[], object], seconds: float, what: str, every: float = 0.1) -> float:
    """Poll `condition` until it is true; the seconds it took, or an AssertionError after `seconds`."""
    started = time.monotonic()
    deadline = started + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f} s: {what}")
        time.sleep(every)
    return time.monotonic() - started


def answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as found:
            return [int(c) for c in found.read().split()]
    except OSError:
        return []


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (its children, theirs, …)."""
    found, todo = [], children(pid)
    while todo:
        child = todo.pop()
        found.append(child)
        todo.extend(children(child))
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except OSError:
        return False


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def kill_tree(process: subprocess.Popen, pids: list[int] | None = None) -> None:
    """SIGKILL a process we started and the given processes of it (by id), then reap it."""
    for pid in pids or []:
        if alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def stop(process: subprocess.Popen, seconds: float = 30) -> None:
    """SIGTERM (a clean stop), SIGKILL after `seconds`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# ---- a PostgreSQL cluster of the test's own ---------------------------------------------------------------
def require_pg_binaries() -> None:
    """Skip without initdb/pg_ctl, except with CI=true, where a missing PostgreSQL fails the run (as conftest's
    `pg_database_url` does)."""
    missing = [name for name in ("initdb", "pg_ctl", "postgres") if not (PG_BIN / name).is_file()]
    if not missing:
        return
    message = f"PostgreSQL binaries missing in {PG_BIN}: {', '.join(missing)} (JOINTINSPECT_PG_BIN)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: PostgreSQL is required)")
    pytest.skip(message)


class PgCluster:
    """A throwaway cluster: initdb on a temporary directory, trust authentication, loopback only, a free port.

    initdb and postgres refuse to run as root: as root the binaries run as the `postgres` user (runuser), owning
    the directory. `stop()` and `start()` may be called any number of times; `destroy()` stops it whatever state
    it is in and removes the directory.
    """

    def __init__(self) -> None:
        self.port = _free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="jointinspect-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self._as = self._run_as_prefix()
        if self._as:
            shutil.chown(self.directory, user="postgres", group="postgres")

    @staticmethod
    def _run_as_prefix() -> list[str]:
        if os.geteuid() != 0:
            return []
        runuser = shutil.which("runuser")
        if runuser is None:
            raise RuntimeError("running as root without runuser: cannot start PostgreSQL as the postgres user")
        return [runuser, "-u", "postgres", "--"]

    def _pg(self, name: str, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
        done = subprocess.run([*self._as, str(PG_BIN / name), *args], capture_output=True, text=True,
                              timeout=timeout, cwd=self.directory)
        if done.returncode != 0:
            raise RuntimeError(f"{name} {' '.join(args)} exited {done.returncode}:\n{done.stdout}{done.stderr}\n"
                               f"{self.log_tail()}")
        return done

    def init(self) -> "PgCluster":
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C",
                 "--no-sync", "--no-instructions")
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.directory}'\n"
                       # a throwaway cluster: durability across an OS crash is not what the tests are about
                       "fsync = off\nfull_page_writes = off\nmax_connections = 200\n")
        return self

    def start(self) -> None:
        self._pg("pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60")

    def stop(self, mode: str = "fast") -> None:
        self._pg("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "60")

    def running(self) -> bool:
        return subprocess.run([*self._as, str(PG_BIN / "pg_ctl"), "status", "-D", str(self.data)],
                              capture_output=True, timeout=30).returncode == 0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def destroy(self) -> None:
        try:
            if self.data.is_dir() and self.running():
                self.stop("immediate")
        except Exception:  # pg_ctl failed: kill the postmaster we started, by its pid file
            try:
                pid = int((self.data / "postmaster.pid").read_text().split()[0])
                os.kill(pid, signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                pass
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def pg_cluster() -> Iterator[PgCluster]:
    """A started cluster of the caller's own, destroyed on the way out whatever happened."""
    require_pg_binaries()
    cluster = PgCluster()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()
