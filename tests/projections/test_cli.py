"""`jointinspect projections status|rebuild` as an operator runs them: a real process on the test's store."""
from __future__ import annotations

import os
import subprocess
import sys

from tests.projections.stories import every_kind_of_event
from tests.projections.test_runner import _checksum


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, JOINTINSPECT_DATABASE_URL=database_url, JOINTINSPECT_ENV="test",
               JOINTINSPECT_LOG_LEVEL="warning")
    return subprocess.run([sys.executable, "-m", "api.cli", "projections", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def test_status_prints_each_projections_position_and_lag(services, clock, database_url):
    every_kind_of_event(services, clock)
    head = services.app.recorder.max_notification_id()
    done = _cli(database_url, "status")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [p.name for p in services.runner.projections]
    assert all(f"position 0 of {head}, lag {head} events" in line for line in lines)


def test_rebuild_in_two_processes_from_the_command_line_gives_the_live_tables(services, clock, database_url):
    every_kind_of_event(services, clock)
    services.runner.catch_up()
    tables = [t for p in services.runner.projections for t in p.tables]
    live = _checksum(services.engine, tables)
    head = services.app.recorder.max_notification_id()
    done = _cli(database_url, "rebuild", "--processes", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(f"rebuilt from {head} log positions in 2 process(es)")
    assert _checksum(services.engine, tables) == live


def test_rebuilding_an_unknown_projection_names_the_known_ones_and_changes_nothing(services, clock, database_url):
    every_kind_of_event(services, clock)
    services.runner.catch_up()
    before = services.runner.positions()
    done = _cli(database_url, "rebuild", "taskz")
    assert done.returncode == 2
    assert "no projection named 'taskz'; known: tasks, notices, results, subject_draws, subject_overlap" in done.stderr
    assert services.runner.positions() == before


def test_status_lists_the_events_a_projection_parked(services, clock, database_url):
    """Issue 13: an event the read side could not apply is visible to the operator, with its position and error."""
    from uuid import uuid4

    from eventsourcing.persistence import StoredEvent

    services.app.recorder.insert_events([StoredEvent(
        originator_id=uuid4(), originator_version=1, topic="domain.joint_task:JointTask.Initiated",
        state=b"\xff damaged")])
    services.runner.catch_up()
    done = _cli(database_url, "status")
    assert done.returncode == 0, done.stderr
    tasks = next(line for line in done.stdout.splitlines() if line.startswith("tasks:"))
    assert "lag 0 events" in tasks and "parked 1" in tasks
    assert "parked by tasks at position 1 (domain.joint_task:JointTask.Initiated)" in done.stdout
