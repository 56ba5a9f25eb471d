"""`jointinspect serve` as real processes under a supervisor (issue 18): a second start on a busy port fails with a
clear message; SIGTERM stops every worker; the workers die with their supervisor even when it is killed with
SIGKILL, and the port is free for a restart."""
from __future__ import annotations

import os
import signal
import socket

import pytest

from tests.faults.processes import alive as _alive, answers as _answers, children as _children
from tests.faults.processes import port_free as _port_free, serve as _serve, wait as _wait
from tests.support import _free_port


def test_a_second_start_on_a_busy_port_fails_with_a_clear_message(database_url):
    port = _free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        second = _serve(database_url, port, 1)
        _, stderr = second.communicate(timeout=60)
    assert second.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in stderr and "--port" in stderr


@pytest.mark.pg_only
@pytest.mark.parametrize("stop", ["SIGTERM", "SIGKILL"])
def test_every_worker_stops_with_its_supervisor(database_url, stop):
    if not database_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL")
    port = _free_port()
    supervisor, workers = _serve(database_url, port, 2), []
    try:
        _wait(lambda: _answers(port), 60, "the workers answer")
        workers = _children(supervisor.pid)
        assert len([w for w in workers if _alive(w)]) >= 2, workers
        supervisor.send_signal(getattr(signal, stop))
        supervisor.wait(timeout=30)
        _wait(lambda: not any(_alive(w) for w in workers), 30, f"every worker gone after {stop} of the supervisor")
        _wait(lambda: _port_free(port), 10, "the port free")
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait(timeout=10)
        for worker in workers:  # none is left on a pass; on a failure, nothing may outlive the test
            if _alive(worker):
                os.kill(worker, signal.SIGKILL)
    restarted = _serve(database_url, port, 1)  # a restart on the same port works
    try:
        _wait(lambda: _answers(port), 60, "the restarted server answers")
    finally:
        restarted.terminate()
        restarted.wait(timeout=30)
