"""Batched projection application: a batch costs a few statements and gives the rows one event at a time gives."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import event, select

from projections.bulk import VALUES_ROWS

from projections.applying import apply_events
from projections.tasks import TasksProjection
from tests.projections.stories import SCJG, WITNESSES, every_kind_of_event


def _checksum(engine, tables) -> str:  # type: ignore[no-untyped-def]
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in tables:
            for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _events(services) -> list:  # type: ignore[no-untyped-def]
    notifications = services.app.recorder.select_notifications(0, 10_000, inclusive_of_start=False)
    return [(services.app.mapper.to_domain_event(n), n.id) for n in notifications]


def test_one_event_per_batch_and_one_batch_for_all_give_the_same_rows(services, clock):
    every_kind_of_event(services, clock)
    services.runner.batch_size = 1
    services.runner.catch_up()
    one_by_one = _checksum(services.engine, TasksProjection.tables)
    services.runner.rebuild("tasks")  # the whole log in one batch
    assert _checksum(services.engine, TasksProjection.tables) == one_by_one


def test_a_batch_of_many_events_costs_a_handful_of_statements(services, clock):
    every_kind_of_event(services, clock)
    items = _events(services)
    statements: list[str] = []
    with services.app.transaction() as session:
        conn = session.connection()
        if conn.dialect.name == "postgresql":  # the batch writes through psycopg2 itself: count at the cursor
            conn.connection.driver_connection.cursor_factory = _counting_cursor(statements)
        else:
            event.listen(conn, "before_cursor_execute", lambda c, cur, sql, *rest: statements.append(sql[:30]))
        apply_events(TasksProjection(), conn, items)
        if conn.dialect.name == "postgresql":
            conn.connection.driver_connection.cursor_factory = None
    # SQLite: 2 reads, 2 inserts and 2 upserts at most, 1 timeline insert; PostgreSQL, up to VALUES_ROWS rows a
    # table: 2 reads, 1 upsert a table, 1 timeline insert (beyond that, COPY: for an upsert into a temporary twin,
    # INSERT … SELECT … ON CONFLICT, and emptying the twin, CREATE … IF NOT EXISTS the first time)
    assert len(items) > 20 and len(statements) <= 7, statements


def _counting_cursor(statements: list[str]):  # type: ignore[no-untyped-def]
    import psycopg2.extensions

    class Counting(psycopg2.extensions.cursor):
        def execute(self, sql, args=None):  # type: ignore[no-untyped-def, override]
            statements.append(str(sql)[:30])
            return super().execute(sql, args)

        def copy_expert(self, sql, file, *args):  # type: ignore[no-untyped-def, override]
            statements.append(str(sql)[:30])
            return super().copy_expert(sql, file, *args)

    return Counting


def test_apply_with_one_event_still_works_for_callers_that_replay_one_at_a_time(services, clock):
    every_kind_of_event(services, clock)
    services.runner.catch_up()
    live = _checksum(services.engine, TasksProjection.tables)
    projection = TasksProjection()
    with services.app.transaction() as session:
        conn = session.connection()
        for table in reversed(projection.tables):
            conn.execute(table.delete())
        for domain_event, position in _events(services):
            projection.apply(conn, domain_event, position)
    assert _checksum(services.engine, TasksProjection.tables) == live


def test_a_projection_that_reads_some_topics_still_reaches_the_head_of_the_log(services, clock):
    ids = every_kind_of_event(services, clock)
    head = services.app.commit_draw(  # DrawCommitted: not a topic the tasks projection reads
        ids["survivor"], SCJG, criteria={"count": 1}, witnesses=WITNESSES, redraw_of=None, reason="",
        approver="").position
    assert head == services.app.recorder.max_notification_id() and "DrawCommitted" not in str(TasksProjection().topics)
    services.runner.catch_up()
    assert services.runner.position("tasks") == head
    assert services.runner.wait_for(head, timeout=1.0)


def test_text_with_tabs_newlines_backslashes_and_quotes_survives_the_bulk_write(services, clock):
    from datetime import date, timedelta

    from projections.queries import timeline
    from projections.tables import task_departments
    from tests.projections.stories import WLJ, initiate

    task = initiate(services, responders=("wlj",), window=(date(2026, 3, 9), date(2026, 4, 30)))
    clock.advance(timedelta(days=3))
    reason = '系统"故障"\t第二段\\N 路径 C:\\temp\n第二行'
    services.app.give_late_reason(task, WLJ, reason)
    services.runner.catch_up()
    with services.engine.connect() as conn:
        stored = conn.execute(select(task_departments.c.late_reason, task_departments.c.responded_at)
                              .where(task_departments.c.department == "wlj")).one()
    assert stored.late_reason == reason.strip() and stored.responded_at is None  # NULL stays NULL
    assert timeline(services.engine, str(task))[-1]["data"]["reason"] == reason.strip()


@pytest.mark.parametrize("count", [3, VALUES_ROWS + 1], ids=["one INSERT", "COPY"])
def test_rows_written_by_insert_and_by_upsert_read_back_unchanged_in_small_and_large_batches(services, count):
    """PostgreSQL writes a live batch with one INSERT … VALUES and a rebuild's batch by COPY: the same rows either
    way (awkward text, NULLs, booleans, dates, instants stored as UTC); SQLite has one path for both."""
    from datetime import date, datetime, timedelta, timezone

    from projections.bulk import insert_rows, select_rows, upsert
    from projections.tables import task_departments

    shanghai = timezone(timedelta(hours=8))

    def row(n: int, version: int) -> dict:
        return {"task_id": f"task-{n:04d}", "department": "wlj", "role": "responder",
                "response_status": "accepted" if version else "pending", "item_ids": '["a", "b"]',
                "reason": f'第{version}版 "原因"\t制表\\N 反斜杠\n换行', "response_deadline": date(2026, 3, 4),
                "responded_at": datetime(2026, 3, 3, 9 + version, 30, tzinfo=shanghai) if version else None,
                "late": bool(version), "late_reason": None if version else "未及时", "overdue_marked": False,
                "day_agreed": bool(n % 2), "inspected_on": None, "publish_deadline": date(2026, 4, 1),
                "published_at": None}

    first = [row(n, 0) for n in range(count)]
    second = [row(n, 1) for n in range(count)]
    with services.engine.begin() as conn:
        insert_rows(conn, task_departments, first)
    with services.engine.begin() as conn:
        upsert(conn, task_departments, second)
    with services.engine.connect() as conn:
        stored = sorted(select_rows(conn, task_departments, "department", ["wlj"]), key=lambda r: r["task_id"])
    assert len(stored) == count
    for got, wanted in zip(stored, second):
        assert got == wanted | {"responded_at": wanted["responded_at"].astimezone(timezone.utc)}, got
