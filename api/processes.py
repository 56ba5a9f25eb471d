"""`jointinspect serve`'s processes under a supervisor (issue 18): a busy port is refused with a clear message
before anything starts, and the API workers of `--workers N` die with the process that started them, even when it
is killed with SIGKILL (Linux: PR_SET_PDEATHSIG), so a restart never finds orphaned workers holding the port."""
from __future__ import annotations

import ctypes
import errno
import os
import signal
import socket
import sys

SUPERVISOR_ENV = "JOINTINSPECT_SUPERVISOR_PID"  # set by `serve --workers N` for its workers
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def port_in_use(host: str, port: int) -> bool:
    """Whether binding host:port fails because something listens there (as uvicorn would bind it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def mark_supervisor() -> None:
    """In the supervisor, before it starts workers: they learn whose death to follow."""
    os.environ[SUPERVISOR_ENV] = str(os.getpid())


def is_worker() -> bool:
    """Whether this process is a worker of `serve --workers N` (not its supervisor, not a test's app)."""
    supervisor = os.environ.get(SUPERVISOR_ENV)
    return bool(supervisor) and supervisor != str(os.getpid())


def die_with_supervisor() -> None:
    """In a worker: be sent SIGTERM (and so shut down as on a normal stop) when the supervisor dies."""
    supervisor = os.environ.get(SUPERVISOR_ENV)
    if not is_worker() or not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != int(supervisor):  # type: ignore[arg-type]  # it died before the request took effect: nobody will signal
        os.kill(os.getpid(), signal.SIGTERM)
