"""Credit feedback (R-OVER-2, R-SUBJ-2): a published result's outcome updates its subject in the directory — flags,
tags, risk level, as domain/credit_rules.py says — with a change-log row citing the result, so that the next draw's
pool reflects it. A correction of a published result replaces that result's effect.

The projection keeps its own table, `credit_feedback` (each result's current outcome and inspection date, whether it
is published, and the atoms of the directory it holds), fed from ResultRecorded and ResultCorrected: it never
depends on another projection's order.

The `subjects` rows it changes are reference data that people edit too, not a read model: a replay must not apply an
effect twice. So the projection owns no table a rebuild empties; each result's row keeps the position of the last
event applied to it, and an event at or before that position (a rebuild's replay) is passed over. A rebuild leaves
the subjects rows, the change log and the table as they are (tested); a new store replaying an old log applies every
effect once, in log order.

A batch is applied in memory: its subjects' result rows and directory rows (locked on PostgreSQL, as a clerk's edit
locks them) are read in a few statements, each event is folded in log order, and the rows are written back with one
executemany per table, so a rebuild-sized batch of 20,000 events costs a few dozen statements. A subject not in the
directory: the result's row says so (`skipped`) and nothing else changes. An event it cannot apply is the runner's to
isolate and park (projections/failures.py); an event whose result it never saw (its record parked) changes nothing.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from typing import Any, Iterable, Iterator

from sqlalchemy import Boolean, Integer, String, Text, bindparam, column, insert, select, table, update
from sqlalchemy.engine import Connection

from domain import credit_rules
from domain.joint_task import JointTask
from domain.notice import Notice
from domain.working_calendar import WorkingCalendar
from projections.handlers import AFTERLIFE, JointTaskHandlers, handles, task_key, to_json
from projections.sqltypes import UTCDateTime
from projections.tables import credit_feedback

F = credit_feedback
# The directory's tables as this projection writes them (declared in api/storage/tables.py; the read side imports
# nothing of api): the fields the rule changes, and the change log (api/storage/audit.py's shape)
SUBJECTS = table("subjects", column("code", String), column("abnormal_operation", Boolean),
                 column("deregistered", Boolean), column("risk_level", String), column("tags", Text),
                 column("updated_at", UTCDateTime()))
CHANGE_LOG = table("change_log", column("id", Integer), column("entity", String), column("entity_key", String),
                   column("action", String), column("changes", Text), column("actor_user", String),
                   column("actor_department", String), column("at", UTCDateTime()), column("batch", String))
ENTITY, ACTION, NOT_IN_DIRECTORY = "subject", "credit_feedback", "not_in_directory"
CITATION = ("result_id", "task_id", "outcome")  # in the change-log row's changes, beside {field: [before, after]}
CHUNK = 2000  # codes per IN list (SQLite's variable limit, PostgreSQL's plan size)

ROW_UPDATED = ("result_id", "outcome", "inspected_on", "published", "effects", "skipped", "position")
UPDATE_ROW = update(F).where(F.c.result_id == bindparam("b_result_id")).values(
    outcome=bindparam("b_outcome"), inspected_on=bindparam("b_inspected_on"), published=bindparam("b_published"),
    effects=bindparam("b_effects"), skipped=bindparam("b_skipped"), position=bindparam("b_position"))
UPDATE_SUBJECT = update(SUBJECTS).where(SUBJECTS.c.code == bindparam("b_code")).values(
    **{name: bindparam(f"b_{name}") for name in credit_rules.FIELDS}, updated_at=bindparam("b_updated_at"))


class CreditFeedbackProjection(JointTaskHandlers):
    """Applies published results' outcomes to the subject directory, once each (R-OVER-2, R-SUBJ-2)."""

    name = "credit_feedback"
    tables = ()  # nothing a rebuild may empty: see the module's docstring
    ignores = tuple(getattr(JointTask, n) for n in (
        "Initiated", "Responded", "ResponseOverdue", "LateReasonGiven", "InspectionDayProposed",
        "InspectionDayConfirmed", "InspectionDayAgreed", "Inspected", "Published", "DrawCommitted", "SubjectsDrawn",
        "InspectorsMatchCommitted", "InspectorsMatched", "InspectorsAssigned", "InspectorReplaced", "Cancelled",
        "DeadlineRecomputed", "Merged", "MergeAbsorbed", "VisitNoticesIssued", "ResultsChased", "ResultApproved",
        "ResultDeadlineRecomputed", "ArchiveDue", "ArchiveDueRecomputed", "SubjectsArchived")) + (Notice, WorkingCalendar, *AFTERLIFE)
    rebuild_weight = 1

    def apply_batch(self, conn: Connection, items: list[tuple[Any, int]]) -> None:
        handled = self.handled(items)
        applied = _positions(conn, {e.result_id for e, _, _ in handled}) if handled else {}
        # an event at or before its result's last applied position was applied before a rebuild: passed over,
        # without reading or locking the subjects
        fresh = [(e, p, h) for e, p, h in handled if applied.get(e.result_id, 0) < p]
        if not fresh:
            return
        batch = Batch(conn, {e.subject for e, _, _ in fresh})
        for event, position, handler in fresh:
            handler(batch, event, position)
        batch.write(conn)

    @handles(JointTask.ResultRecorded)
    def _on_ResultRecorded(self, batch: Batch, e: Any, position: int) -> None:
        f = e.fields
        batch.add({"result_id": e.result_id, "task_id": task_key(e.originator_id), "department": e.department,
                   "subject_code": e.subject, "outcome": f["outcome"], "inspected_on": f["inspected_on"],
                   "published": False, "effects": {}, "skipped": None, "position": position})

    @handles(JointTask.ResultPublished)
    def _on_ResultPublished(self, batch: Batch, e: Any, position: int) -> None:
        row = batch.rows.get(e.result_id)
        if row is not None:  # None: its record was parked, its outcome unknown
            row["published"] = True
            batch.feed(row, e, position, held={})

    @handles(JointTask.ResultCorrected)
    def _on_ResultCorrected(self, batch: Batch, e: Any, position: int) -> None:
        row = batch.rows.get(e.result_id)
        if row is None:
            return
        changed = {k: e.changes[k] for k in ("outcome", "inspected_on") if k in e.changes}
        if isinstance(changed.get("inspected_on"), str):  # a date as text (an event of an older shape)
            changed["inspected_on"] = date.fromisoformat(changed["inspected_on"])
        row.update(changed, position=position)
        batch.changed.add(row["result_id"])
        if row["published"] and changed:  # a correction of findings or methods changes nothing here
            batch.feed(row, e, position, held=row["effects"])


class Batch:
    """One batch in memory: the result rows of its subjects, their directory rows (None: not in the directory),
    and what is to be written back."""

    def __init__(self, conn: Connection, codes: set[str]) -> None:
        self.conn = conn
        self.rows: dict[str, dict] = {}
        self.stored: set[str] = set()  # result ids already in the table
        self.of_subject: dict[str, dict[str, dict]] = defaultdict(dict)
        self.subjects: dict[str, dict] = {}
        self.changed: set[str] = set()  # result ids to write
        self.updated: dict[str, datetime] = {}  # subject code → when its row last changed
        self.log: list[dict] = []  # change-log rows to insert
        self.logs: dict[str, list[tuple[str, dict]]] = {}  # subject code → its change log, read when needed
        for chunk in _chunks(sorted(codes)):
            for r in conn.execute(select(F).where(F.c.subject_code.in_(chunk))).mappings():
                self.add(dict(r) | {"effects": json.loads(r["effects"])}, stored=True)
            query = select(SUBJECTS).where(SUBJECTS.c.code.in_(chunk)).order_by(SUBJECTS.c.code).with_for_update()
            for s in conn.execute(query).mappings():  # locked in code order: no deadlock with another batch
                self.subjects[s["code"]] = {name: s[name] for name in credit_rules.FIELDS}

    def add(self, row: dict, stored: bool = False) -> None:
        self.rows[row["result_id"]] = row
        self.of_subject[row["subject_code"]][row["result_id"]] = row
        (self.stored if stored else self.changed).add(row["result_id"])

    def feed(self, row: dict, e: Any, position: int, held: dict) -> None:
        """Replace what the result holds on its subject by what its current outcome calls for."""
        code, rid = row["subject_code"], row["result_id"]
        row["position"] = position
        self.changed.add(rid)
        subject = self.subjects.get(code)
        if subject is None:
            row.update(effects={}, skipped=NOT_IN_DIRECTORY)
            return
        others = [r for r in self.of_subject[code].values() if r["published"] and r is not row]
        lowered = credit_rules.lowers([_history(r) for r in others], _history(row))
        want = credit_rules.wanted(row["outcome"], row["inspected_on"], lowered)
        claimed = credit_rules.claimants(held.keys() - want,
                                         [(r["result_id"], r["outcome"], r["inspected_on"]) for r in others])
        fed = credit_rules.feedback(subject, held, want, by=rid, blocked=self.blocked(code, held), claimed=claimed)
        row.update(effects=fed.effects, skipped=None)
        self.hand_over(fed.handovers)
        if fed.changes:
            self.subjects[code] = fed.subject
            self.updated[code] = e.at
            self.append_log(code, row, fed.changes, e)

    def blocked(self, code: str, held: dict) -> frozenset[str]:
        """The atoms held whose field something else changed since the result's own change (R-SUBJ-2: a clerk's
        edit stands)."""
        if not held:
            return frozenset()
        log = self.log_of(code)
        return frozenset(a for a, effect in held.items() if credit_rules.last_setter(log, a) != effect["by"])

    def log_of(self, code: str) -> list[tuple[str, dict]]:
        if code not in self.logs:
            query = (select(CHANGE_LOG.c.action, CHANGE_LOG.c.changes)
                     .where(CHANGE_LOG.c.entity == ENTITY, CHANGE_LOG.c.entity_key == code).order_by(CHANGE_LOG.c.id))
            self.logs[code] = [(r.action, json.loads(r.changes)) for r in self.conn.execute(query)]
            self.logs[code] += [(r["action"], json.loads(r["changes"])) for r in self.log if r["entity_key"] == code]
        return self.logs[code]

    def hand_over(self, handovers: dict) -> None:
        for atom, (rid, effect) in handovers.items():
            other = self.rows.get(rid)
            if other is not None and atom not in other["effects"]:
                other["effects"] = other["effects"] | {atom: effect}
                self.changed.add(rid)

    def append_log(self, code: str, row: dict, changes: dict, e: Any) -> None:
        entry = changes | {key: str(row[key]) for key in CITATION}
        self.log.append({"entity": ENTITY, "entity_key": code, "action": ACTION, "changes": to_json(entry),
                         "actor_user": e.actor.get("user", ""), "actor_department": e.actor.get("department", ""),
                         "at": e.at, "batch": None})
        if code in self.logs:
            self.logs[code].append((ACTION, entry))

    def write(self, conn: Connection) -> None:
        rows = [self.rows[rid] for rid in sorted(self.changed)]
        new = [_stored(r) for r in rows if r["result_id"] not in self.stored]
        old = [{f"b_{k}": v for k, v in _stored(r).items() if k in ROW_UPDATED} for r in rows
               if r["result_id"] in self.stored]
        if new:
            conn.execute(insert(F), new)
        if old:
            conn.execute(UPDATE_ROW, old)
        if self.updated:
            conn.execute(UPDATE_SUBJECT, [{f"b_{k}": v for k, v in self.subjects[code].items()}
                                          | {"b_code": code, "b_updated_at": at} for code, at in self.updated.items()])
        if self.log:
            conn.execute(insert(CHANGE_LOG), self.log)


def _stored(row: dict) -> dict:
    return row | {"effects": to_json(row["effects"])}


def _positions(conn: Connection, result_ids: set[str]) -> dict[str, int]:
    """Result id → the position of the last event applied to it (results never seen are left out)."""
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(result_ids)):
        query = select(F.c.result_id, F.c.position).where(F.c.result_id.in_(chunk))
        found.update((rid, position) for rid, position in conn.execute(query))
    return found


def _history(row: dict) -> credit_rules.History:
    return row["inspected_on"], row["result_id"], row["outcome"]


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def feedback_rows(conn: Connection, result_ids: Iterable[str]) -> dict[str, dict]:
    """Result id → its credit-feedback row."""
    found: dict[str, dict] = {}
    for chunk in _chunks(sorted(set(result_ids))):
        for r in conn.execute(select(F).where(F.c.result_id.in_(chunk))).mappings():
            found[r["result_id"]] = dict(r) | {"effects": json.loads(r["effects"])}
    return found
