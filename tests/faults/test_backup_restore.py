"""Backups (issue 18): a `pg_dump -Fc` of a store with the demo province, restored with `pg_restore` into a new
database, holds the same rows in every table; `jointinspect projections status` there shows every projection at the
head; `jointinspect projections rebuild` there reproduces the read models row for row; and the restored store serves
the same answers as the original (deploy/BACKUPS.md gives these commands to operators)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from api.bootstrap import build_services
from api.demo import load_demo
from api.settings import Settings
from domain.clock import SHANGHAI, FakeClock
from tests.support import LiveServer, empty_schema

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # one instant for the demo and both servers: same answers
PG_BIN = Path("/usr/lib/postgresql/15/bin")
# Columns a rebuild rewrites by design, left out of the checksums:
EXCLUDED = {
    # when the tracking row last moved (func.now()): a rebuild resets every position to 0 and moves it again
    "projection_tracking": {"updated_at"},
    # when a failure was recorded (the runner's clock): a rebuild forgets the rows and records them again
    "projection_failures": {"at"},
}


def _binary(name: str) -> str:
    """pg_dump / pg_restore of PostgreSQL 15 (the server's major version), else the one on PATH; with CI=true a
    missing one fails, as a missing PostgreSQL does (tests/conftest.py)."""
    found = str(PG_BIN / name) if (PG_BIN / name).is_file() else shutil.which(name)
    if found is None:
        message = f"{name} is not installed (looked in {PG_BIN} and on PATH)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: the PostgreSQL client tools are required)")
        pytest.skip(message)
    return found


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection URI, as pg_dump and pg_restore take it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def source_url(pg_database_url: str) -> str:
    """The session's PostgreSQL database with an empty schema (tests/conftest.py `database_url`, PostgreSQL only)."""
    return empty_schema(pg_database_url)


@pytest.fixture
def target_url(source_url: str) -> Iterator[str]:
    """A second, empty database on the same server for the restore; dropped afterwards."""
    name = f"{make_url(source_url).database}_restored_{uuid.uuid4().hex[:6]}"
    admin = create_engine(source_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(source_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _settings(url: str) -> Settings:
    return Settings(database_url=url, env="test", deadline_check_seconds=3600)  # no watcher writes meanwhile


def _checksums(url: str) -> dict[str, tuple[int, str]]:
    """{table: (rows, md5 of the rows as text, ordered by primary key)} for every table of the store: the events,
    the reference tables and accounts, and the read models (minus the EXCLUDED columns)."""
    engine = create_engine(url)
    try:
        schema = inspect(engine)
        sums = {}
        with engine.connect() as conn:
            conn.execute(text("SET TimeZone = 'UTC'"))  # timestamps as text do not depend on the session
            for table in sorted(schema.get_table_names()):
                columns = [c["name"] for c in schema.get_columns(table)
                           if c["name"] not in EXCLUDED.get(table, set())]
                order = schema.get_pk_constraint(table)["constrained_columns"] or columns
                rows, digest = conn.execute(text(
                    f"SELECT count(*), md5(coalesce(string_agg(ROW({_quoted(columns)})::text, E'\\n' "
                    f"ORDER BY {_quoted(order)}), '')) FROM \"{table}\"")).one()
                sums[table] = (int(rows), str(digest))
        return sums
    finally:
        engine.dispose()


def _quoted(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _projections(url: str) -> tuple[list[str], set[str]]:
    """The projections' names, and the tables they declare (projections/applying.py `Projection.tables`)."""
    services = build_services(_settings(url), FakeClock(NOW))
    try:
        projections = services.runner.projections
        return [p.name for p in projections], {t.name for p in projections for t in p.tables}
    finally:
        services.close()


def _cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, JOINTINSPECT_DATABASE_URL=url, JOINTINSPECT_ENV="test", JOINTINSPECT_LOG_LEVEL="warning")
    done = subprocess.run([sys.executable, "-m", "api.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def _answers(server: LiveServer) -> dict[str, tuple[int, str, bytes]]:
    """GET answers as (status, content type, body bytes), keyed by path: the task list, every task, its timeline,
    the office's oversight views, a department's inbox, and what anyone may read."""
    office, scjg, anyone = server.client("office"), server.client("scjg"), server.client()
    tasks = office.get("/joint-tasks", params={"page_size": 100}).json()["items"]
    published = [t["task_id"] for t in tasks if t["status"] == "published"]
    reads = [(office, "/joint-tasks?page_size=100"), (scjg, "/joint-tasks?page_size=100"),
             (office, "/joint-tasks?sort=title&order=asc&page_size=5&page=2")]
    reads += [(office, f"/joint-tasks/{t['task_id']}") for t in tasks]
    reads += [(office, f"/joint-tasks/{t['task_id']}/timeline") for t in tasks]
    reads += [(office, f"/joint-tasks/{t}/results") for t in published]
    reads += [(office, f"/oversight/{view}") for view in (
        "late-responses", "tasks-without-day", "overdue-results", "overdue-results/subjects", "fusion-suggestions",
        "overdue-objections", "overdue-requests", "overdue-archives", "requests-summary?year=2026&quarter=1",
        "department-figures?from=2025-11-01&to=2026-03-02", "late-responses?as_of=2026-02-16T12:00:00%2B08:00")]
    reads += [(scjg, "/inbox"), (scjg, "/notices"), (office, "/objections"), (office, "/requests")]
    reads += [(anyone, "/public/joint-checklist"), (anyone, "/public/check-items?page_size=100"),
              (anyone, "/public/results?page_size=200"), (anyone, "/public/inspectors")]
    answers = {}
    for client, path in reads:
        response = client.get(path)
        # no volatile field to remove: request ids are in headers (and error bodies, which none of these is)
        answers[f"{client.username or 'anonymous'} {path}"] = (
            response.status_code, response.headers.get("content-type", ""), response.content)
    assert len(tasks) == 11 and published, tasks  # the demo's eleven stories, one of them published
    return answers


@pytest.mark.pg_only
def test_a_restored_dump_holds_the_same_rows_rebuilds_them_and_serves_the_same_answers(source_url, target_url,
                                                                                       tmp_path):
    pg_dump, pg_restore = _binary("pg_dump"), _binary("pg_restore")
    services = build_services(_settings(source_url), FakeClock(NOW))
    try:
        assert load_demo(services) is True
        services.runner.catch_up()
        head = services.app.recorder.max_notification_id()
        assert set(services.runner.positions().values()) == {head}  # the projections have caught up
    finally:
        services.close()
    source = _checksums(source_url)

    dump = tmp_path / "jointinspect.dump"
    for command in ([pg_dump, "--format=custom", f"--file={dump}", f"--dbname={_libpq(source_url)}"],
                    [pg_restore, "--exit-on-error", "--single-transaction", f"--dbname={_libpq(target_url)}",
                     str(dump)]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
    assert _checksums(target_url) == source  # every table, the event store's included

    names, read_models = _projections(target_url)
    lines = _cli(target_url, "projections", "status").stdout.splitlines()
    assert lines == [line for line in lines if not line.startswith(" ")]  # no failure listed under a projection
    assert [line.split(":")[0] for line in lines] == names, lines
    assert all(f"position {head} of {head}, lag 0 events" in line for line in lines), lines

    assert read_models <= set(source), source
    assert source["task_summary"][0] == 11 and all(source[t][0] > 0 for t in (
        "task_departments", "task_timeline", "inspection_results", "result_versions", "subject_draws")), source
    rebuild = _cli(target_url, "projections", "rebuild")  # every projection, in forked processes (one per CPU)
    assert f"rebuilt from {head} log positions" in rebuild.stdout, rebuild.stdout
    rebuilt = _checksums(target_url)
    assert {t: rebuilt[t] for t in sorted(read_models)} == {t: source[t] for t in sorted(read_models)}
    assert rebuilt == source  # and nothing else moved: the events, the directory, the change log, the tracking

    # The rebuilt restore serves what the original serves (its rows are the restored rows, checked above)
    with ExitStack() as stack:
        servers = []
        for url in (source_url, target_url):
            built = build_services(_settings(url), FakeClock(NOW))
            stack.callback(built.close)  # after the server has stopped
            servers.append(stack.enter_context(LiveServer.start(built)))
        expected, got = _answers(servers[0]), _answers(servers[1])
    assert all(status == 200 for status, _, _ in expected.values()), \
        {path: answer[:2] for path, answer in expected.items() if answer[0] != 200}
    assert list(got) == list(expected)
    for path in expected:
        assert got[path] == expected[path], path
