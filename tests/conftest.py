"""Shared fixtures: every storage test runs on SQLite and on PostgreSQL (a fresh database per session)."""
from __future__ import annotations

import os
import uuid
from datetime import datetime
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text

from api.accounts import hash_password
from api.demo import DEMO_PASSWORD, load_accounts, load_checklist
from api.bootstrap import Services, build_services
from api.settings import Settings
from domain.clock import SHANGHAI, FakeClock
from tests.support import LiveServer, empty_schema

PG_ADMIN_URL = os.environ.get("JOINTINSPECT_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A PostgreSQL database of this test session's own, dropped at the end.

    With CI=true a missing PostgreSQL fails the run; elsewhere its tests are skipped with the reason.
    """
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # the server is down or unreachable
        admin.dispose()
        message = f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (CI=true: PostgreSQL is required)")
        pytest.skip(message)
    name = f"jointinspect_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:  # type: ignore[no-untyped-def]
    """An empty store: a new SQLite file, or the session's PostgreSQL database with a clean schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return empty_schema(request.getfixturevalue("pg_database_url"))


@pytest.fixture
def clock() -> FakeClock:
    """Monday 2026-03-02 09:00 in Shanghai, a plain working day."""
    return FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI))


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(DEMO_PASSWORD)


@pytest.fixture
def services(database_url: str, clock: FakeClock, password_hash: str) -> Iterator[Services]:
    """The application, its store and projections, with the demo accounts and checklist (no demo tasks)."""
    built = build_services(Settings(database_url=database_url, env="test", projection_poll_seconds=0.02,
                                    token_ttl_hours=24 * 30,  # tokens outlive clock jumps
                                    deadline_check_seconds=3600), clock)  # tests that want it set it
    with built.engine.begin() as conn:
        load_accounts(conn, password_hash)
    load_checklist(built)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def server(services: Services) -> Iterator[LiveServer]:
    """A real uvicorn server on a free loopback port, serving the app over the fixture's store and clock."""
    with LiveServer.start(services) as live:
        yield live
