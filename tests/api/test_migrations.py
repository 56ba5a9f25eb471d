"""Schema migrations (issue 14): a fresh store is built by them, a store from before them is adopted in place."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select, text

from api.demo import load_demo
from api.storage import migrations, tables
from api.bootstrap import build_services
from api.settings import Settings
from projections import tables as read_tables
from tests.api.test_directory import CODE, put
from tests.support import LiveServer, created

DEMO_USERS = ("office", "scjg", "wlj")


def _schema_as_before_migrations(engine):  # type: ignore[no-untyped-def]
    """What build_services did before issue 14: create_all of every table (then in four metadata objects, now in
    api.storage.tables and projections.tables), and no alembic_version."""
    if engine.dialect.name == "postgresql":  # today's tables include the name search's trigram index
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    tables.metadata.create_all(engine)
    read_tables.metadata.create_all(engine)
    return None, None


def _model_tables() -> list:  # type: ignore[type-arg]
    return [table for metadata in migrations.models() for table in metadata.sorted_tables]


def _schema(engine) -> dict:  # type: ignore[no-untyped-def]
    """Every table of the store with its columns and indexes, as the database describes them."""
    found = inspect(engine)
    return {name: ([(c["name"], str(c["type"]), c["nullable"]) for c in found.get_columns(name)],
                   sorted((i["name"], tuple(i["column_names"])) for i in found.get_indexes(name)))
            for name in sorted(found.get_table_names())}


def _rows(engine) -> dict[str, list[tuple]]:  # type: ignore[no-untyped-def, type-arg]
    with engine.connect() as conn:
        return {table.name: [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]
                for table in _model_tables()}


def _revision(engine) -> str | None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return migrations.current(conn)


def _differences(engine) -> list:  # type: ignore[type-arg, no-untyped-def]
    """What `alembic revision --autogenerate` would find between the store and the models (never the events table)."""
    def declared(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
        return not (type_ == "table" and reflected and compare_to is None)

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": declared})
        return compare_metadata(context, migrations.models())


def _answers(server: LiveServer) -> dict:
    """What the demo's users are told: each logs in (LiveServer.client fails otherwise) and reads."""
    office, scjg = server.client("office"), server.client("scjg")
    me = {user: created(server.client(user).get("/auth/me"), 200) for user in DEMO_USERS}
    return {"me": me,
            "tasks": {user: created(server.client(user).get("/joint-tasks"), 200) for user in DEMO_USERS},
            "late": created(office.get("/oversight/late-responses"), 200),
            "departments": created(scjg.get("/departments"), 200),
            "subject": created(scjg.get(f"/subjects/{CODE}"), 200)}


def _settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, env="test", projection_poll_seconds=0.02, token_ttl_hours=24 * 30,
                    deadline_check_seconds=3600)


def test_a_fresh_store_is_migrated_to_head_with_every_table_and_index_the_code_declares(database_url):
    engine = create_engine(database_url)
    try:
        assert migrations.upgrade(engine) == (None, migrations.head())
        assert _revision(engine) == migrations.head() == "0007_account_administration"
        found = inspect(engine)
        for table in _model_tables():
            assert found.has_table(table.name), table.name
            indexes = {i["name"] for i in found.get_indexes(table.name)}
            assert {i.name for i in table.indexes} <= indexes, table.name
            assert {c.name for c in table.columns} == {c["name"] for c in found.get_columns(table.name)}
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_a_store_created_before_migrations_is_adopted_in_place_and_serves_the_same_answers(
        database_url, clock, monkeypatch):
    monkeypatch.setattr(migrations, "upgrade", _schema_as_before_migrations)  # build_services as it was
    old = build_services(_settings(database_url), clock)
    try:
        assert load_demo(old) is True
        old.runner.catch_up()
        with LiveServer.start(old) as server:
            created(put(server, CODE), 201)  # reference data too: a subject and its change-log row
            before = _answers(server)
        rows = _rows(old.engine)
        assert not inspect(old.engine).has_table("alembic_version")
    finally:
        old.close()
    monkeypatch.undo()
    assert len(before["tasks"]["office"]["items"]) == 11 and rows["subjects"] and rows["auth_tokens"]

    new = build_services(_settings(database_url), clock)
    try:
        assert _revision(new.engine) == migrations.head()
        assert _rows(new.engine) == rows
        assert _differences(new.engine) == []
        with LiveServer.start(new) as server:
            assert _answers(server) == before
    finally:
        new.close()


def test_a_store_from_before_the_failures_table_gains_it_and_its_missing_indexes(database_url):
    engine = create_engine(database_url)
    try:
        _schema_as_before_migrations(engine)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE projection_failures"))
            conn.execute(text("DROP INDEX ix_task_departments_late"))
            conn.execute(read_tables.projection_tracking.insert().values(name="tasks", position=7))
        assert migrations.upgrade(engine) == (None, migrations.head())  # adopted at the baseline, then 0002
        found = inspect(engine)
        assert found.has_table("projection_failures")
        assert "ix_task_departments_late" in {i["name"] for i in found.get_indexes("task_departments")}
        with engine.connect() as conn:
            assert conn.execute(select(read_tables.projection_tracking.c.position)).scalars().all() == [7]
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_upgrading_twice_changes_nothing(database_url, services):
    engine = services.engine  # build_services has upgraded it once
    schema, rows = _schema(engine), _rows(engine)
    assert migrations.upgrade(engine) == (migrations.head(), migrations.head())
    assert _schema(engine) == schema and _rows(engine) == rows
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


LATER_REVISION = '''
from alembic import op
import sqlalchemy as sa

revision = "0099_test_note"
down_revision = "HEAD"
branch_labels = depends_on = None


def upgrade():
    op.add_column("departments", sa.Column("note", sa.Text(), nullable=False, server_default="kept"))
'''


def test_an_adopted_store_then_gets_the_revisions_after_the_baseline(database_url, tmp_path, monkeypatch):
    (tmp_path / "0099_test_note.py").write_text(LATER_REVISION.replace("HEAD", migrations.head()))
    packaged = migrations.config

    def with_later_revision(connection=None):  # type: ignore[no-untyped-def]
        cfg = packaged(connection)
        cfg.set_main_option("version_locations", os.pathsep.join([
            str(Path(migrations.__file__).parent / "versions"), str(tmp_path)]))
        return cfg

    monkeypatch.setattr(migrations, "config", with_later_revision)
    engine = create_engine(database_url)
    try:
        _schema_as_before_migrations(engine)
        with engine.begin() as conn:
            conn.execute(tables.departments.insert().values(code="scjg", name="市场监督管理局", kind="department"))
        assert migrations.upgrade(engine) == (None, "0099_test_note")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT code, note FROM departments")).all() == [("scjg", "kept")]
    finally:
        engine.dispose()


@pytest.mark.pg_only
def test_processes_starting_together_on_postgresql_migrate_once_while_the_others_wait(database_url):
    if "sqlite" in database_url:
        pytest.skip("one SQLite file serves one API process; several start together only on PostgreSQL")
    engine = create_engine(database_url)
    holder = engine.connect()
    try:  # the test holds the migration lock until all four processes wait for it, then lets them race
        holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": migrations._LOCK_KEY})
        holder.commit()
        processes = [subprocess.Popen([sys.executable, "-m", "api.cli", "migrate"], env=_cli_env(database_url),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
        deadline = time.monotonic() + 60
        while _waiting_for_the_lock(engine) < 4:
            assert time.monotonic() < deadline, "the processes never waited for the migration lock"
            time.sleep(0.05)
        holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": migrations._LOCK_KEY})
        holder.commit()
        outputs = [process.communicate(timeout=120) for process in processes]
    finally:
        holder.close()
        engine.dispose()
    assert [process.returncode for process in processes] == [0] * 4, [err for _, err in outputs]
    befores = sorted(out.splitlines()[0] for out, _ in outputs)
    head = migrations.head()
    assert befores == [f"schema revision before: {head}"] * 3 + ["schema revision before: none"]


def _waiting_for_the_lock(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                                 "AND classid = 0 AND objid = :key"), {"key": migrations._LOCK_KEY}).scalar_one()


def _cli_env(database_url: str) -> dict[str, str]:
    return dict(os.environ, JOINTINSPECT_DATABASE_URL=database_url, JOINTINSPECT_ENV="test",
                JOINTINSPECT_LOG_LEVEL="warning")


def test_migrate_from_the_command_line_prints_the_revision_before_and_the_head_after(database_url):
    env = _cli_env(database_url)
    command = [sys.executable, "-m", "api.cli", "migrate"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    head = migrations.head()
    assert first.stdout.splitlines() == ["schema revision before: none", f"schema revision after: {head} (head)"]
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [f"schema revision before: {head}", f"schema revision after: {head} (head)"]
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(tables.departments)).scalar_one() == 0
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_migrate_refuses_a_store_migrated_by_a_newer_version_and_leaves_it_alone(database_url):
    engine = create_engine(database_url)
    try:
        migrations.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0099_from_the_future'"))
        done = subprocess.run([sys.executable, "-m", "api.cli", "migrate"], env=_cli_env(database_url),
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 1
        assert "jointinspect: migration failed: Can't locate revision identified by '0099_from_the_future'" \
            in done.stderr
        assert _revision(engine) == "0099_from_the_future"
    finally:
        engine.dispose()
