"""A year of joint tasks as events, built with the domain objects themselves (every rule checked), for benches.

Tasks are pushed through 2026 up to BENCH_TODAY; how far each has got depends on when it was pushed (recent
tasks still await answers, older ones are agreed, inspected, published). Each task: 3–5 responders (some decline,
some answer late, some late with a reason, overdue ones marked by the system), the lead draws 5–12 subjects from
a shared pool right after the push, the day is proposed, confirmed and agreed, participants record the visit
and publish (department-level, as logs before per-subject results have them: see History._visit); some tasks are
cancelled, some fused into another. The office issues the odd notice.
"""
from __future__ import annotations

import functools
import hashlib
import multiprocessing
import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import perf_counter
from typing import TYPE_CHECKING, Any

from eventsourcing.utils import get_topic
from sqlalchemy import insert

from domain.usecases import SYSTEM
from domain.clock import SHANGHAI
from domain.joint_task import JointTask
from domain.joint_task_rules import PUBLISH_WORKING_DAYS
from domain.notice import Notice
from domain.working_days import Calendar, local_date

if TYPE_CHECKING:
    from api.bootstrap import Services

BENCH_TODAY = date(2026, 11, 20)  # a Friday: "now" for every query the benches time
DEPARTMENTS = ["scjg", "wlj", "gxj", "wjw", "yjj", "sthj", "zjj", "jtj", "nyj", "swj", "rsj", "ajj", "xfj",
               "jyj", "mzj", "czj"]
ITEMS = {code: [str(uuid.uuid5(uuid.NAMESPACE_URL, f"item/{code}/{n}")) for n in range(3)] for code in DEPARTMENTS}
# stage → (share of tasks, earliest and latest push date); later stages were pushed earlier in the year
STAGES = {
    "awaiting": (0.46, date(2026, 11, 12), date(2026, 11, 19)),
    "responded": (0.20, date(2026, 10, 26), date(2026, 11, 17)),
    "proposed": (0.10, date(2026, 10, 12), date(2026, 11, 10)),
    "agreed": (0.15, date(2026, 9, 1), date(2026, 11, 5)),
    "inspected": (0.04, date(2026, 6, 1), date(2026, 10, 10)),
    "published": (0.03, date(2026, 1, 5), date(2026, 9, 30)),
    "cancelled": (0.015, date(2026, 1, 5), date(2026, 11, 10)),
    "merged": (0.005, date(2026, 1, 5), date(2026, 11, 1)),  # a pair: one task fused into another
}


class CachedSchedule:
    """An official schedule that remembers its answers (the package's own lookup costs ~35 µs a day)."""

    def __init__(self, official: Any) -> None:
        self.is_workday = functools.lru_cache(maxsize=None)(official.is_workday)


def code_of(n: int) -> str:
    return f"9111{n:013d}X"


@dataclass(frozen=True)
class Spec:
    seed: int
    stage: str
    pushed: datetime


def specs(count: int, seed: int = 7) -> list[Spec]:
    """`count` task plans, in push order."""
    rnd = random.Random(seed)
    names, weights = list(STAGES), [STAGES[s][0] for s in STAGES]
    plans = []
    for n in range(count):
        stage = rnd.choices(names, weights)[0]
        first, last = STAGES[stage][1:]
        day = first + timedelta(days=rnd.randrange((last - first).days + 1))
        pushed = datetime.combine(day, time(9), tzinfo=SHANGHAI) + timedelta(minutes=rnd.randrange(8 * 60))
        plans.append(Spec(seed=n, stage=stage, pushed=pushed))
    return sorted(plans, key=lambda s: s.pushed)


class History:
    """Builds the aggregates of one Spec; `events()` hands back their pending events, oldest first."""

    def __init__(self, calendar: Calendar, subjects: int) -> None:
        self.calendar = calendar
        self.subjects = subjects

    def build(self, spec: Spec) -> list[Any]:
        rnd = random.Random(spec.seed)
        task = self._pushed(rnd, spec.pushed)
        if spec.stage == "merged":
            other = self._pushed(rnd, spec.pushed + timedelta(hours=1), lead=task.lead_department)
            now = self._respond(rnd, task, "agreed", spec.pushed + timedelta(hours=2)) + timedelta(hours=1)
            task.absorb(other=other, now=now, actor=_actor(task.lead_department))
            other.mark_merged_into(survivor=task, now=now, actor=_actor(task.lead_department))
            return [task, other]
        now = self._respond(rnd, task, spec.stage, spec.pushed + timedelta(hours=2))
        if spec.stage == "cancelled":
            task.cancel(department=task.lead_department, is_office=False, reason="与上级专项行动重复",
                        now=now + timedelta(hours=3), actor=_actor(task.lead_department))
        elif spec.stage not in ("awaiting", "responded"):
            self._visit(rnd, task, spec.stage, now)
        return [task]

    # ---- steps -------------------------------------------------------------------------------------------
    def _pushed(self, rnd: random.Random, now: datetime, lead: str | None = None) -> JointTask:
        lead = lead or rnd.choice(DEPARTMENTS)
        responders = rnd.sample([d for d in DEPARTMENTS if d != lead], rnd.randint(3, 5))
        items = ITEMS[lead][:2] + [rnd.choice(ITEMS[r]) for r in responders]
        start = local_date(now) + timedelta(days=5)
        task = JointTask.initiate(
            title=f"联合检查 {rnd.randrange(10**6)}", lead_department=lead, initiator_role="lead", planned=True,
            items=items, responding_departments=responders, window_start=start, window_end=start + timedelta(70),
            note="", calendar=self.calendar, now=now, actor=_actor(lead))
        seed = hashlib.sha256(str(rnd.random()).encode()).hexdigest()
        draw_id = str(uuid.UUID(int=rnd.getrandbits(128)))
        task.commit_draw(draw_id=draw_id, commitment=hashlib.sha256(seed.encode()).hexdigest(),
                         criteria={"region": "R0", "ratio": "5"}, witnesses=[{"name": "张律师", "role": "legal_adviser"}],
                         redraw_of=None, reason="", approver="", department=lead,
                         now=now + timedelta(minutes=30), actor=_actor(lead))
        drawn = sorted({code_of(rnd.randrange(self.subjects)) for _ in range(rnd.randint(5, 12))})
        task.record_draw(draw_id=draw_id, seed=seed, algorithm="sha256-rank", version=1, pool_fingerprint=seed,
                         pool_size=2000, counts={"*": len(drawn)}, excused=[], drawn=drawn, replaced=[], flags={},
                         now=now + timedelta(minutes=31), actor=_actor(lead))
        return task

    def _respond(self, rnd: random.Random, task: JointTask, stage: str, now: datetime) -> datetime:
        """Responses in time order: most within a day, some late (half of those state why), some declines."""
        deadline = datetime.combine(task.response_deadline, time(23, 59), tzinfo=SHANGHAI)
        today = datetime.combine(BENCH_TODAY, time(8), tzinfo=SHANGHAI)
        plans = []
        for code in list(task.responses):
            if stage == "awaiting" and rnd.random() < 0.3:
                continue  # not answered yet
            late = rnd.random() < 0.06
            at = deadline + timedelta(days=rnd.randint(1, 4)) if late else now + timedelta(hours=rnd.randint(1, 30))
            plans.append((max(now, min(at, today - timedelta(hours=1))), code))
        last = now
        for at, code in sorted(plans):
            if at > deadline and rnd.random() < 0.5:
                task.give_late_reason(department=code, reason="人员外出执法", actor=_actor(code),
                                      now=min(deadline + timedelta(hours=9), at - timedelta(minutes=1)))
            decision = "decline" if rnd.random() < 0.12 else "accept"
            items = [] if decision == "decline" else [i for i in task.items if i in ITEMS[code]] or task.items[:1]
            task.respond(department=code, decision=decision, item_ids=items, reason="本季度无相关检查任务"
                         if decision == "decline" else "", now=at, actor=_actor(code))
            last = max(last, at)
        if stage == "awaiting" and deadline + timedelta(minutes=30) < today:
            for code in task.pending_departments:
                if rnd.random() < 0.5:  # the deadline watcher has seen half of them
                    task.mark_overdue(department=code, now=deadline + timedelta(minutes=30), actor=_system())
        return last

    def _visit(self, rnd: random.Random, task: JointTask, stage: str, now: datetime) -> None:
        lead = task.lead_department
        now = now + timedelta(hours=2)
        day = max(task.window_start, local_date(now) + timedelta(days=3))
        while not self.calendar.is_working_day(day):
            day += timedelta(days=1)
        task.propose_day(department=lead, day=day, calendar=self.calendar, now=now, actor=_actor(lead))
        others = [p for p in task.participants if p != lead]
        agreeing = others if stage != "proposed" else others[:rnd.randint(0, max(0, len(others) - 1))]
        for n, code in enumerate(agreeing):
            task.agree_day(department=code, now=now + timedelta(hours=n + 1), actor=_actor(code))
        if stage not in ("inspected", "published"):
            return
        after = datetime.combine(day + timedelta(days=1), time(10), tzinfo=SHANGHAI)
        visitors = task.participants if stage == "published" else task.participants[:-1]
        # The year stands for a log recorded before results were per subject (issue 16): its visits are the
        # department-level Inspected and Published events of then. The commands now refuse them on a task with
        # drawn subjects (results are recorded per subject), so they are written with the events' own methods,
        # which keeps the benches' workloads as they were measured before (8.6 events a task).
        deadline = self.calendar.deadline(datetime.combine(day, time(12), tzinfo=SHANGHAI), PUBLISH_WORKING_DAYS).day
        for n, code in enumerate(visitors):
            task._inspected(department=code, completed_on=day, publish_deadline=deadline, note="",
                            at=after + timedelta(minutes=n), actor=_actor(code))
        if stage == "published":
            for n, code in enumerate(visitors):
                at = after + timedelta(days=5, minutes=n)
                task._published(department=code, note="", late=local_date(at) > deadline, at=at, actor=_actor(code))


def events(history: History, plans: list[Spec], first: int = 0, notice_every: int = 400) -> list[Any]:
    """The events of `plans` (numbered from `first`), sorted by business time; the office issues a notice
    (acknowledged the next day) every `notice_every` tasks."""
    pending: list[tuple[datetime, int, int, Any]] = []
    for order, spec in enumerate(plans, first):
        aggregates: list[Any] = history.build(spec)
        if order % notice_every == notice_every - 1:
            notice = Notice.issue(department="gxj", subject="逾期未响应通报", body="请说明逾期原因",
                                  task_ids=[str(uuid.uuid4())], now=spec.pushed + timedelta(days=4),
                                  actor={"user": "office", "department": "office", "office": True})
            notice.acknowledge(department="gxj", now=spec.pushed + timedelta(days=5), actor=_actor("gxj"))
            aggregates.append(notice)
        for aggregate in aggregates:
            latest = None  # an aggregate's events keep their version order in the log
            for e in aggregate.collect_events():
                latest = _when(e) if latest is None else max(latest, _when(e))
                pending.append((latest, order, e.originator_version, e))
    pending.sort(key=lambda p: p[:3])
    return [p[3] for p in pending]


_WORKER: tuple[History, Any] | None = None


def stored_chunk(job: tuple[list[Spec], int, int]) -> list[tuple]:
    """In a worker process: one chunk of plans as stored-event rows (originator_id, version, topic, state)."""
    global _WORKER
    plans, first, subjects = job
    if _WORKER is None:
        from api.storage.official_calendar import ChineseCalendarSchedule
        from domain.usecases import JointInspect
        from domain.clock import FakeClock

        app = JointInspect({"PERSISTENCE_MODULE": "eventsourcing.popo"},
                           clock=FakeClock(datetime.combine(BENCH_TODAY, time(9), tzinfo=SHANGHAI)))
        _WORKER = History(Calendar(official=CachedSchedule(ChineseCalendarSchedule())), subjects), app.mapper
    history, mapper = _WORKER
    return [(s.originator_id, s.originator_version, s.topic, s.state)
            for s in map(mapper.to_stored_event, events(history, plans, first))]


def _when(event: Any) -> datetime:
    return getattr(event, "at", None) or getattr(event, "pushed_at", None) or event.timestamp


def _actor(code: str) -> dict:
    return {"user": code, "department": code, "office": False}


def _system() -> dict:
    return SYSTEM.as_record()


INSERT_BATCH = 5000
CHUNK_TASKS = 2000  # tasks per worker job: their events are interleaved in time within the chunk


def write_history(services: "Services", wanted: int, subjects: int, workers: int) -> tuple[int, int, float]:
    """Build the events in `workers` processes (domain objects + the application's mapper) and insert the stored
    events here, INSERT_BATCH rows per statement, until `wanted` are stored; returns (events, tasks, seconds)."""
    table = services.app.recorder.events_record_cls.__table__  # type: ignore[attr-defined]
    initiated = get_topic(JointTask.Initiated)
    plans = specs(int(wanted / 8.4))  # ~8.6 events a task: a few more than needed; stop at `wanted`
    jobs = [(plans[i:i + CHUNK_TASKS], i, subjects) for i in range(0, len(plans), CHUNK_TASKS)]
    written, tasks, started = 0, 0, perf_counter()
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        for rows in pool.imap(stored_chunk, jobs):
            rows = rows[:wanted - written]
            with services.engine.begin() as conn:
                for start in range(0, len(rows), INSERT_BATCH):
                    conn.execute(insert(table), [
                        {"originator_id": r[0], "originator_version": r[1], "topic": r[2], "state": r[3]}
                        for r in rows[start:start + INSERT_BATCH]])
            written += len(rows)
            tasks += sum(r[2] == initiated for r in rows)
            if written >= wanted:
                pool.terminate()
                break
    return written, tasks, perf_counter() - started
