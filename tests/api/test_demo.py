"""`jointinspect demo`: the demo province, loaded only into an empty store, on SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import func, select

from api.storage import checklist as checklist_tables
from api.demo import CHECKLIST, DEPARTMENTS, load_demo
from api.bootstrap import build_services
from api.settings import Settings
from api.storage.tables import departments, users
from domain import checklist_rules
from domain.joint_task import JointTask


def test_the_demo_loads_once_and_its_tasks_name_only_their_departments_joint_items(database_url):  # R-ITEM-3
    services = build_services(Settings(database_url=database_url, env="test"))
    try:
        assert load_demo(services) is True
        head = services.app.recorder.max_notification_id()
        assert load_demo(services) is False and services.app.recorder.max_notification_id() == head
        with services.engine.connect() as conn:
            codes = set(conn.execute(select(departments.c.code)).scalars())
            assert codes == {code for code, _ in DEPARTMENTS} | {"lhbgs"}
            assert {"office", "admin"} | {code for code, _ in DEPARTMENTS} <= set(
                conn.execute(select(users.c.username)).scalars())
            assert conn.execute(select(func.count()).select_from(checklist_tables.check_items)).scalar_one() \
                == len(CHECKLIST)
            tasks = [services.app.get_task(t) for t in _task_ids(services)]
            assert len(tasks) == 6
            for task in tasks:
                parties = [task.lead_department, *task.responses]
                refs, by_name = checklist_tables.task_item_lookup(conn, task.items, parties)
                assert checklist_rules.check_task_items(task.items, refs, by_name, parties) == tuple(task.items)
    finally:
        services.close()


def _task_ids(services):  # type: ignore[no-untyped-def]
    ids = []
    for notification in services.app.recorder.select_notifications(0, 10_000):
        event = services.app.mapper.to_domain_event(notification)
        if isinstance(event, JointTask.Initiated):
            ids.append(event.originator_id)
    return ids
