"""Read tables fed by projections, and the tracking table that makes them exactly-once."""
from __future__ import annotations

from sqlalchemy import (
    BigInteger, Boolean, Column, Date, Index, Integer, MetaData, String, Table, Text, and_, or_,
)

from projections.sqltypes import UTCDateTime

metadata = MetaData()


projection_tracking = Table(
    "projection_tracking", metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime()),
)

task_summary = Table(
    "task_summary", metadata,
    Column("task_id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("lead_department", String(32), nullable=False, index=True),
    Column("initiator_role", String(20), nullable=False),
    Column("planned", Boolean, nullable=False),
    Column("status", String(32), nullable=False, index=True),
    Column("items", Text, nullable=False),  # JSON list
    Column("window_start", Date, nullable=False),
    Column("window_end", Date, nullable=False),
    Column("pushed_at", UTCDateTime(), nullable=False),
    Column("response_deadline", Date, nullable=False),
    Column("deadline_provisional", Boolean, nullable=False),
    Column("proposed_day", Date),
    Column("agreed_day", Date),
    Column("merged_into", String(36)),
    Column("cancel_reason", Text),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("position", BigInteger, nullable=False),
)
_CLOSED = or_(task_summary.c.merged_into.is_not(None), task_summary.c.cancel_reason.is_not(None))
Index("ix_task_summary_closed", task_summary.c.task_id, postgresql_where=_CLOSED, sqlite_where=_CLOSED)
# The task list's default orders walk these and stop at a page (issue 15: 116 ms → 1 ms at 100,000 tasks)
Index("ix_task_summary_pushed_at", task_summary.c.pushed_at, task_summary.c.task_id)
Index("ix_task_summary_response_deadline", task_summary.c.response_deadline, task_summary.c.task_id)

task_departments = Table(
    "task_departments", metadata,
    Column("task_id", String(36), primary_key=True),
    Column("department", String(32), primary_key=True),
    Column("role", String(16), nullable=False),  # lead | responder
    Column("response_status", String(16), nullable=False),  # lead | pending | accepted | declined
    Column("item_ids", Text, nullable=False, default="[]"),
    Column("reason", Text, nullable=False, default=""),
    Column("response_deadline", Date, nullable=False),
    Column("responded_at", UTCDateTime()),
    Column("late", Boolean, nullable=False, default=False),
    Column("late_reason", Text),
    Column("overdue_marked", Boolean, nullable=False, default=False),
    Column("day_agreed", Boolean, nullable=False, default=False),
    Column("inspected_on", Date),
    Column("publish_deadline", Date),
    Column("published_at", UTCDateTime()),
    Index("ix_task_departments_department", "department", "response_status"),
    Index("ix_task_departments_deadline", "response_status", "response_deadline"),
)

# The late-response list (R-JOINT-4, R-OVER-1) reads only responders that answered late or are still pending:
# partial indexes in the list's order, carrying what its filter needs, so the count is an index-only scan.
_LATE_CANDIDATE = and_(task_departments.c.role == "responder",
                       or_(task_departments.c.late.is_(True), task_departments.c.response_status == "pending"))
Index("ix_task_departments_late", task_departments.c.response_deadline, task_departments.c.task_id,
      task_departments.c.department, postgresql_include=["response_status", "late"],
      postgresql_where=_LATE_CANDIDATE, sqlite_where=_LATE_CANDIDATE)
Index("ix_task_departments_late_by_department", task_departments.c.department,
      task_departments.c.response_deadline, task_departments.c.task_id,
      postgresql_include=["response_status", "late"], postgresql_where=_LATE_CANDIDATE, sqlite_where=_LATE_CANDIDATE)

task_timeline = Table(
    "task_timeline", metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("task_id", String(36), nullable=False, index=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("actor_user", String(64), nullable=False),
    Column("actor_department", String(32), nullable=False),
    Column("data", Text, nullable=False),  # JSON: what the sentence needs
)


notices = Table(
    "notices", metadata,
    Column("notice_id", String(36), primary_key=True),
    Column("department", String(32), nullable=False, index=True),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("task_ids", Text, nullable=False),  # JSON list
    Column("issued_at", UTCDateTime(), nullable=False),
    Column("issued_by", String(64), nullable=False),
    Column("acknowledged_at", UTCDateTime()),
    Column("position", BigInteger, nullable=False),
)

subject_draws = Table(
    "subject_draws", metadata,
    Column("draw_id", String(36), primary_key=True),
    Column("code", String(32), primary_key=True),
    Column("task_id", String(36), nullable=False, index=True),
    Column("lead_department", String(32), nullable=False),
    Column("year", Integer, nullable=False),
    Column("current", Boolean, nullable=False),  # False once superseded by a redraw
    Index("ix_subject_draws_code_year", "code", "year"),
)

# ---- subject_overlap: who else is inspecting this subject, this year or soon (R-DRAW-2, R-DRAW-6, R-JOINT-8) ----
overlap_tasks = Table(
    "overlap_tasks", metadata,
    Column("task_id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("lead_department", String(32), nullable=False),
    Column("window_start", Date, nullable=False),
    Column("window_end", Date, nullable=False),
    Column("proposed_day", Date),
    Column("agreed_day", Date),
    Column("status", String(32), nullable=False),  # domain.joint_task_rules.task_status
    Column("visiting", Text, nullable=False),  # JSON: participants yet to inspect, while the task is live
    Column("cancelled", Boolean, nullable=False),
    Column("merged_into", String(36)),
    Column("position", BigInteger, nullable=False),
)

overlap_departments = Table(
    "overlap_departments", metadata,
    Column("task_id", String(36), primary_key=True),
    Column("department", String(32), primary_key=True),
    Column("role", String(16), nullable=False),  # lead | responder
    Column("response_status", String(16), nullable=False),  # lead | pending | accepted | declined
    Column("items", Text, nullable=False),  # JSON: the items it inspects (the lead: the task's own items)
    Column("inspected_on", Date),
    Column("published", Boolean, nullable=False),
)

overlap_subjects = Table(  # the task's current draw only: a redraw replaces its rows
    "overlap_subjects", metadata,
    Column("task_id", String(36), primary_key=True),
    Column("code", String(32), primary_key=True),
    Column("draw_year", Integer, nullable=False),
    Column("drawn_at", UTCDateTime(), nullable=False),
    Index("ix_overlap_subjects_code", "code", "task_id", postgresql_include=["draw_year", "drawn_at"]),
)

overlap_inspections = Table(  # one row per subject, department and item a recorded inspection covered
    "overlap_inspections", metadata,
    Column("code", String(32), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("department", String(32), primary_key=True),
    Column("item", String(200), primary_key=True),
    Column("task_id", String(36), primary_key=True),
    Column("inspected_on", Date, nullable=False),
)

# Events a projection could not apply as recorded (projections/failures.py): `sanitised` (applied with unstorable
# characters replaced) or `parked` (skipped: the event's rows are missing from this projection). Emptied for a
# projection when it is rebuilt, which meets the same events again.
projection_failures = Table(
    "projection_failures", metadata,
    Column("projection", String(64), primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("topic", String(255), nullable=False),
    Column("action", String(16), nullable=False),  # sanitised | parked
    Column("error", Text, nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
)

# ---- results (R-JOINT-7, R-PUB-1, R-PUB-2): one row per department per subject, and every version of it --------
inspection_results = Table(
    "inspection_results", metadata,
    Column("result_id", String(36), primary_key=True),
    Column("task_id", String(36), nullable=False),
    Column("department", String(32), nullable=False),
    Column("subject_code", String(32), nullable=False),
    Column("subject_name", String(200), nullable=False),
    Column("item_ids", Text, nullable=False),  # JSON list
    Column("methods", Text, nullable=False),  # JSON list
    Column("outcome", String(20), nullable=False),
    Column("findings", Text, nullable=False),
    Column("measures", Text, nullable=False),
    Column("transferred_to", Text, nullable=False),
    Column("confidential_note", Text, nullable=False),  # never public (R-PUB-3)
    Column("inspectors", Text, nullable=False),  # JSON list of inspector ids, the leader first
    Column("inspected_on", Date, nullable=False),
    Column("publish_deadline", Date, nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    Column("review_required", Boolean, nullable=False),
    Column("approved_by", String(64)),  # the department's approver, where it reviews before publication
    Column("report_late", Boolean, nullable=False),  # recorded after a stricter department's report deadline
    Column("published_at", UTCDateTime()),
    Column("late", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("corrected_at", UTCDateTime()),
    Column("position", BigInteger, nullable=False),
)
Index("ix_inspection_results_task", inspection_results.c.task_id, inspection_results.c.department)
Index("ix_inspection_results_subject", inspection_results.c.subject_code, inspection_results.c.published_at)
Index("ix_inspection_results_published", inspection_results.c.published_at, inspection_results.c.result_id)
# A department's published results (its export, the public search by department)
Index("ix_inspection_results_department_published", inspection_results.c.department,
      inspection_results.c.published_at, postgresql_where=inspection_results.c.published_at.is_not(None),
      sqlite_where=inspection_results.c.published_at.is_not(None))
# The public search by a fragment of the subject's name (PostgreSQL: a trigram index, pg_trgm; SQLite scans)
Index("ix_inspection_results_name", inspection_results.c.subject_name, postgresql_using="gin",
      postgresql_ops={"subject_name": "gin_trgm_ops"})
Index("ix_inspection_results_unpublished", inspection_results.c.department, inspection_results.c.publish_deadline,
      postgresql_where=inspection_results.c.published_at.is_(None),
      sqlite_where=inspection_results.c.published_at.is_(None))

result_versions = Table(
    "result_versions", metadata,
    Column("result_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("fields", Text, nullable=False),  # JSON: the public fields of this version
    Column("reason", Text, nullable=False),  # "" for the first version
    Column("approver", String(64), nullable=False),
    Column("by", String(64), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
)

# ---- credit feedback (R-OVER-2, R-SUBJ-2): each result's current outcome, and what its publication changed on the
# subject directory. Kept across a rebuild (the credit-feedback projection owns no table a rebuild empties): the
# `subjects` rows it changed are reference data clerks edit too, so a replay must not apply an effect twice, and
# `position` (the last event applied for the result) is what tells a replayed event from a new one.
credit_feedback = Table(
    "credit_feedback", metadata,
    Column("result_id", String(36), primary_key=True),
    Column("task_id", String(36), nullable=False),
    Column("department", String(32), nullable=False),
    Column("subject_code", String(32), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("inspected_on", Date, nullable=False),
    Column("published", Boolean, nullable=False),
    Column("effects", Text, nullable=False),  # JSON {atom: {before, after, by}}: what it holds (domain/credit_rules.py)
    Column("skipped", String(32)),  # why nothing was changed: not_in_directory
    Column("position", BigInteger, nullable=False),
)
# A subject's results: a batch reads all of them for its subjects (the three-passes rule, the claims of others)
Index("ix_credit_feedback_subject", credit_feedback.c.subject_code)

# ---- a result's afterlife (issue 17): objections (R-OBJ-1) and enterprise requests (R-JOINT-9), one row each --------
objections = Table(
    "objections", metadata,
    Column("objection_id", String(36), primary_key=True),
    Column("task_id", String(36), nullable=False),
    Column("result_id", String(36), nullable=False, index=True),
    Column("department", String(32), nullable=False),  # the result's department, which reviews and answers
    Column("subject_code", String(32), nullable=False, index=True),
    Column("subject_name", String(200), nullable=False),
    Column("result_version", Integer, nullable=False),  # the version objected to
    Column("via", String(16), nullable=False),  # enterprise | clerk
    Column("reason", Text, nullable=False),
    Column("contact", Text, nullable=False),  # JSON {name, phone}: never public
    Column("status", String(16), nullable=False),  # received | reviewed | answered
    Column("lodged_at", UTCDateTime(), nullable=False),
    Column("review_due", Date, nullable=False),
    Column("decision", String(16)),  # upheld | corrected
    Column("opinion", Text, nullable=False, default=""),
    Column("correction_version", Integer),
    Column("reviewed_at", UTCDateTime()),
    Column("review_late", Boolean, nullable=False, default=False),
    Column("answer_due", Date),
    Column("answer", Text, nullable=False, default=""),
    Column("answered_at", UTCDateTime()),
    Column("answer_late", Boolean, nullable=False, default=False),
    Column("position", BigInteger, nullable=False),
)
Index("ix_objections_department", objections.c.department, objections.c.status, objections.c.lodged_at)
Index("ix_objections_review_due", objections.c.review_due, postgresql_where=objections.c.status == "received",
      sqlite_where=objections.c.status == "received")
Index("ix_objections_answer_due", objections.c.answer_due, postgresql_where=objections.c.status == "reviewed",
      sqlite_where=objections.c.status == "reviewed")

enterprise_requests = Table(
    "enterprise_requests", metadata,
    Column("request_id", String(36), primary_key=True),
    Column("task_id", String(36), nullable=False, index=True),
    Column("subject_code", String(32), nullable=False, index=True),
    Column("subject_name", String(200), nullable=False),
    Column("department", String(32), nullable=False),  # who owns it now (after a forwarding: the competent one)
    Column("raised_department", String(32), nullable=False),  # who first owned it
    Column("via", String(16), nullable=False),  # inspector | enterprise | clerk
    Column("content", Text, nullable=False),
    Column("contact", Text, nullable=False),  # JSON: never public
    Column("status", String(16), nullable=False),  # open | answered
    Column("on_spot", Boolean, nullable=False),
    Column("raised_at", UTCDateTime(), nullable=False),
    Column("due", Date),  # None: settled on the spot
    Column("forwarded", Integer, nullable=False, default=0),  # how many times it was forwarded
    Column("answer", Text, nullable=False, default=""),
    Column("answered_at", UTCDateTime()),
    Column("late", Boolean, nullable=False, default=False),
    Column("position", BigInteger, nullable=False),
)
Index("ix_enterprise_requests_department", enterprise_requests.c.department, enterprise_requests.c.status,
      enterprise_requests.c.due)
Index("ix_enterprise_requests_raised", enterprise_requests.c.raised_at)

# One row per completed task (R-ARCH-1): when its subjects' files are due and how many are sealed
task_archives = Table(
    "task_archives", metadata,
    Column("task_id", String(36), primary_key=True),
    Column("completed_at", UTCDateTime(), nullable=False),
    Column("archive_due", Date, nullable=False),
    Column("subjects", Integer, nullable=False),
    Column("archived", Integer, nullable=False),
    Column("archived_at", UTCDateTime()),
    Column("late", Boolean, nullable=False, default=False),
    Column("position", BigInteger, nullable=False),
)
_UNSEALED = task_archives.c.archived < task_archives.c.subjects
Index("ix_task_archives_due", task_archives.c.archive_due, postgresql_where=_UNSEALED, sqlite_where=_UNSEALED)
