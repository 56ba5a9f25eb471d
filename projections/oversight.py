"""The joint meeting office's view beyond late responses (R-OVER-1, R-PUB-1, R-JOINT-5)."""
from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Engine

from domain.clock import SHANGHAI
from domain.joint_task_rules import response_late
from domain.working_days import Calendar
from projections.tables import notices, task_departments, task_summary

LIVE = ("awaiting_responses", "responded", "day_proposed", "day_agreed", "inspected")


def tasks_without_day(engine: Engine, *, today: date) -> list[dict]:
    """Live tasks with no agreed inspection day whose responses are in or overdue (R-JOINT-5)."""
    pending = (select(func.count()).select_from(task_departments)
               .where(task_departments.c.task_id == task_summary.c.task_id,
                      task_departments.c.response_status == "pending").scalar_subquery())
    query = (select(task_summary.c.task_id, task_summary.c.title, task_summary.c.lead_department,
                    task_summary.c.status, task_summary.c.pushed_at, task_summary.c.response_deadline,
                    task_summary.c.proposed_day, task_summary.c.window_end, pending.label("pending"))
             .where(task_summary.c.status.in_(LIVE), task_summary.c.agreed_day.is_(None),
                    or_(pending == 0, task_summary.c.response_deadline < today))
             .order_by(task_summary.c.response_deadline, task_summary.c.task_id))
    with engine.connect() as conn:
        return [dict(r) | {"window_days_left": (r.window_end - today).days} for r in conn.execute(query).mappings()]


def overdue_results(engine: Engine, *, today: date) -> list[dict]:
    """Participants whose result is not entered after the visit, or not published by its deadline (R-PUB-1)."""
    td = task_departments
    not_entered = and_(td.c.inspected_on.is_(None), task_summary.c.agreed_day < today)
    not_published = and_(td.c.inspected_on.is_not(None), td.c.published_at.is_(None),
                         td.c.publish_deadline < today)
    query = (select(td.c.task_id, td.c.department, td.c.inspected_on, td.c.publish_deadline, task_summary.c.title,
                    task_summary.c.agreed_day)
             .select_from(td.join(task_summary, task_summary.c.task_id == td.c.task_id))
             .where(task_summary.c.status.in_(LIVE), td.c.response_status.in_(("lead", "accepted")),
                    or_(not_entered, not_published))
             .order_by(task_summary.c.agreed_day, td.c.task_id, td.c.department))
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [dict(r) | {"state": "not_entered" if r["inspected_on"] is None else "not_published"} for r in rows]


def department_figures(engine: Engine, *, start: date, end: date, today: date, calendar: Calendar) -> list[dict]:
    """Per responding department, tasks pushed in [start, end]: answered on time, response time, notices."""
    td = task_departments
    since = datetime.combine(start, datetime.min.time(), tzinfo=SHANGHAI)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)
    query = (select(td.c.department, td.c.response_status, td.c.responded_at, td.c.late, td.c.late_reason,
                    td.c.response_deadline, task_summary.c.pushed_at)
             .select_from(td.join(task_summary, task_summary.c.task_id == td.c.task_id))
             .where(td.c.role == "responder", task_summary.c.pushed_at >= since, task_summary.c.pushed_at < until))
    notice_counts = (select(notices.c.department, func.count().label("n"))
                     .where(notices.c.issued_at >= since, notices.c.issued_at < until)
                     .group_by(notices.c.department))
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        notices_by_department = {r.department: r.n for r in conn.execute(notice_counts)}
    figures: dict[str, dict[str, Any]] = {}
    for r in rows:
        f = figures.setdefault(r.department, {"department": r.department, "received": 0, "answered": 0,
                                              "on_time": 0, "late_without_reason": 0, "hours": []})
        f["received"] += 1
        answered = r.response_status != "pending"
        late = response_late(pending=not answered, answered_late=bool(r.late), deadline=r.response_deadline,
                             today=today)
        f["answered"] += answered
        f["on_time"] += answered and not r.late
        f["late_without_reason"] += bool(late and not r.late_reason)
        if answered:
            f["hours"].append(working_hours(r.pushed_at, r.responded_at, calendar))
    result = []
    for department in sorted(set(figures) | set(notices_by_department)):
        f = figures.get(department, {"department": department, "received": 0, "answered": 0, "on_time": 0,
                                     "late_without_reason": 0, "hours": []})
        hours = f.pop("hours")
        result.append(f | {
            "on_time_percent": round(100 * f["on_time"] / f["received"], 1) if f["received"] else None,
            "median_response_working_hours": round(statistics.median(hours), 1) if hours else None,
            "notices_received": notices_by_department.get(department, 0)})
    return result


def working_hours(start: datetime, end: datetime, calendar: Calendar) -> float:
    """Hours between two instants counting only working days (whole days, Shanghai time)."""
    if end <= start:
        return 0.0
    start, end = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
    total = 0.0
    day = start.date()
    while day <= end.date():
        day_start = max(start, datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI))
        day_end = min(end, datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI))
        if calendar.is_working_day(day) and day_end > day_start:
            total += (day_end - day_start).total_seconds() / 3600
        day += timedelta(days=1)
    return total
