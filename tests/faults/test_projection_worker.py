"""`jointinspect projections run` as deployed (issue 18): the standalone worker beside API processes that run no
projections also runs the deadline watcher, so an unanswered response is marked overdue with no API process doing
it (R-JOINT-4); SIGTERM (systemd, docker stop) stops it cleanly. On SQLite and PostgreSQL."""
from __future__ import annotations

import signal
from datetime import date

from domain.usecases import Actor
from projections import queries
from tests.faults.processes import projection_worker, wait
from tests.support import default_items


def test_the_projection_worker_marks_a_passed_deadline_overdue_and_stops_on_sigterm(services, tmp_path):  # R-JOINT-4
    app = services.app  # the fixture's clock: Monday 2 March 2026; two working days → end of Wednesday 4 March
    with app.transaction():
        task = app.initiate(Actor(user="scjg", department="scjg"), items=default_items(["scjg", "wlj"]),
                            responding_departments=["wlj"], planned=True, title="无人响应的任务",
                            window_start=date(2026, 3, 9), window_end=date(2026, 4, 30), note="").aggregate_id
    with open(tmp_path / "worker.log", "w") as log:
        worker = projection_worker(services.settings.database_url, log, JOINTINSPECT_NOW="2026-03-06T09:00:00+08:00",
                                   JOINTINSPECT_DEADLINE_CHECK_SECONDS="0.2")
        try:
            wait(lambda: app.get_task(task).responses["wlj"].get("overdue_marked"), 60,
                 "the worker's deadline watcher to mark wlj's response overdue")
            wait(lambda: queries.open_late_responses(services.engine, date(2026, 3, 6)) == 1, 30,
                 "the worker's projections to show it")
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=30) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(timeout=10)
    assert "projections and the deadline watcher running" in (tmp_path / "worker.log").read_text()
