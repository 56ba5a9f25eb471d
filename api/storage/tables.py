"""Every table of reference data the write side owns (the read models' are in projections/tables.py):
departments, users, tokens, failed logins, idempotency records, the change log, draw evidence, the two directories
and their imports (R-SUBJ-*, R-INSP-*), check items and plans (R-ITEM-*, R-PLAN-1). Not aggregates.

Every directory column a file may leave out has a server default, so set-based INSERT … SELECT fills it on PostgreSQL.
Ratios are stored as whole hundredths of a percent (10.01 % → 1001), exact on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

from sqlalchemy import (
    JSON, BigInteger, Boolean, Column, Date, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table, Text,
    UniqueConstraint, false, text,
)

from projections.sqltypes import UTCDateTime

metadata = MetaData()

_EMPTY = text("''")

departments = Table(
    "departments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(20), nullable=False),  # "department" or "office"
    Column("region", String(100), nullable=False, default=""),
    Column("level", String(20), nullable=False, default=""),  # province / city / county
    Column("parent_code", String(32), nullable=True),  # the department above it (a county bureau's city bureau)
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False, default=""),
    Column("password_hash", String(255), nullable=False),
    Column("department_id", Integer, ForeignKey("departments.id"), nullable=False),
    Column("roles", String(200), nullable=False),  # comma-separated: department_staff, office, admin
    Column("active", Boolean, nullable=False, default=True),
    # a password an administrator set (a new account, a reset): the user must choose their own before doing anything
    Column("must_change_password", Boolean, nullable=False, default=False, server_default=false()),
)

auth_tokens = Table(
    "auth_tokens", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

# One row per refused password, kept an hour: every API process counts the last minute's rows per username and
# per client address before checking a password (api.accounts.log_in).
login_failures = Table(
    "login_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),  # as typed: the account it would have opened
    Column("address", String(64), nullable=False),  # request.client.host
    Column("at", UTCDateTime(), nullable=False, index=True),
    Index("ix_login_failures_username_at", "username", "at"),
    Index("ix_login_failures_address_at", "address", "at"),
)

idempotency_records = Table(
    "idempotency_records", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, nullable=False),
    Column("key", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),
)

change_log = Table(
    "change_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(32), nullable=False),  # subject, inspector, check_item, plan, …
    Column("entity_key", String(64), nullable=False),
    Column("action", String(16), nullable=False),  # created, updated, deleted
    Column("changes", Text, nullable=False),  # JSON {field: [before, after]}
    Column("actor_user", String(64), nullable=False),
    Column("actor_department", String(32), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("batch", String(64)),  # an import's id, when the change came from one
    # The change log is read per entity ("what happened to this subject?"): without this index a read scans it all
    Index("ix_change_log_entity", "entity", "entity_key", "id"),
)

draw_evidence = Table(
    "draw_evidence", metadata,
    Column("draw_id", String(36), primary_key=True),  # a subject draw's or an inspector matching's id
    Column("kind", String(10), nullable=False, default="draw"),  # draw | matching
    Column("task_id", String(36), nullable=False, index=True),
    Column("seed", String(64), nullable=False),  # secret until the draw is executed, then public in the event
    Column("pool_fingerprint", String(64)),
    Column("pool_size", Integer),
    Column("pool", LargeBinary),  # zlib-compressed canonical pool list (domain.draw.pool_text)
)

conflicts_of_interest = Table(
    "conflicts_of_interest", metadata,
    Column("inspector_id", String(18), primary_key=True),
    Column("subject_code", String(32), primary_key=True),  # any subject kind's code (R-SUBJ-3)
    Column("reason", Text, nullable=False),
    Column("declared_by", String(64), nullable=False),
    Column("department", String(32), nullable=False),
    Column("declared_at", UTCDateTime(), nullable=False),
)

# The year's last joint task number (联检〔2026〕0042号): taken in the initiating transaction (revision 0002)
task_numbers = Table(
    "task_numbers", metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last", Integer, nullable=False),
)

# Each department's result settings (R-PUB-1, issue 16): whether an approver reviews a result before it is
# published, and the publication deadline: 20 working days after the inspection by default, or, where the
# department's rules are stricter (003 §15), a report within `report_days` of the inspection and publication
# within `publish_days` of the report. A department without a row has the defaults.
department_settings = Table(
    "department_settings", metadata,
    Column("department_code", String(32), primary_key=True),
    Column("review_required", Boolean, nullable=False),
    Column("report_days", Integer),  # None: no report deadline; publish_days then counts from the inspection
    Column("publish_days", Integer, nullable=False),
    Column("answer_days", Integer, nullable=False, server_default="7"),  # an objection's answer after review (R-OBJ-1)
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("updated_by", String(64), nullable=False),
)

# Which task holds a result (R-JOINT-7): written in the recording transaction; a result's commands find its task
result_index = Table(
    "result_index", metadata,
    Column("result_id", String(36), primary_key=True),
    Column("task_id", String(36), nullable=False),
)

# The verification code printed on a visit notice → its task and subject (R-EXEC-3, issue 17: the enterprise's view).
# Only the code's SHA-256 is kept here; written in the transaction that issues the notices.
visit_codes = Table(
    "visit_codes", metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("task_id", String(36), nullable=False),
    Column("subject_code", String(32), nullable=False),
)

# Sealed archive files, one per subject of a completed task (R-ARCH-1): written once, with the SHA-256 that the task's
# SubjectsArchived event records; a download is checked against that hash.
archive_files = Table(
    "archive_files", metadata,
    Column("task_id", String(36), primary_key=True),
    Column("subject_code", String(32), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Objections and enterprise requests whose clock still runs (R-OBJ-1, R-JOINT-9): what a calendar change moves
# (R-CAL-2), and an open objection per result (`key`: the result id; a request's: its task id).
open_clocks = Table(
    "open_clocks", metadata,
    Column("aggregate_id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),  # objection | request
    Column("key", String(36), nullable=False),
    Index("ix_open_clocks_key", "kind", "key"),
)

# Which prefix of the log a draw's yearly cap and overlap flags were read from (the projections' position then):
# a draw reads them from `subject_draws` and `subject_overlap` (api/storage/draws.py SqlSubjectPool, which says why
# that is safe), and this says exactly what they reflected, for a witness or an auditor.
draw_reads = Table(
    "draw_reads", metadata,
    Column("draw_id", String(36), primary_key=True),
    Column("projection_position", BigInteger, nullable=False),
)


# ---- the directories (R-SUBJ-*, R-INSP-*) and their imports --------------------------------------------

subjects = Table(
    "subjects", metadata,
    # USCC, the resident ID of an individual (R-SUBJ-1), or a registry number (R-SUBJ-3; domain.codes)
    Column("code", String(32), primary_key=True),
    Column("subject_kind", String(12), nullable=False, server_default=text("'enterprise'")),  # domain SUBJECT_KINDS
    Column("name", String(200), nullable=False),
    Column("address", String(300), nullable=False, server_default=_EMPTY),
    Column("legal_representative", String(100), nullable=False, server_default=_EMPTY),
    Column("contact", String(100), nullable=False, server_default=_EMPTY),
    Column("region", String(64), nullable=False, server_default=_EMPTY),  # tags that cut sub-directories (R-SUBJ-2)
    Column("industry", String(64), nullable=False, server_default=_EMPTY),
    Column("risk_level", String(8), nullable=False, server_default=_EMPTY),  # low / medium / high, '' unknown
    Column("credit_class", String(1), nullable=False, server_default=_EMPTY),  # A–D, '' not yet classified
    # status flags that matter to drawing (R-SUBJ-4, R-DRAW-3, R-DRAW-4)
    Column("abnormal_operation", Boolean, nullable=False, server_default=false()),
    Column("key_attention", Boolean, nullable=False, server_default=false()),
    Column("dishonest", Boolean, nullable=False, server_default=false()),
    Column("serious_violation", Boolean, nullable=False, server_default=false()),
    Column("complaints_count", Integer, nullable=False, server_default=text("0")),
    Column("exempt", Boolean, nullable=False, server_default=false()),
    Column("deregistered", Boolean, nullable=False, server_default=false()),
    Column("tags", Text, nullable=False, server_default=_EMPTY),  # free tags joined by "," (R-SUBJ-2)
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("created_by_import", String(32)),  # the import that created it: its "created" change is that import
    # drawing filters by region and industry, then by credit class (R-DRAW-1, R-DRAW-3); few indexes keep imports fast
    Index("ix_subjects_region_industry", "region", "industry"),
    Index("ix_subjects_credit_class", "credit_class"),
)

inspectors = Table(
    "inspectors", metadata,
    Column("resident_id", String(18), primary_key=True),  # the unique key (R-INSP-1); never public (R-INSP-3)
    Column("name", String(50), nullable=False),
    Column("gender", String(6), nullable=False),  # male / female
    Column("department_code", String(32), nullable=False),
    Column("post", String(100), nullable=False, server_default=_EMPTY),
    Column("certificate_no", String(64), nullable=False, server_default=_EMPTY),  # '' = not certified (R-INSP-2)
    Column("certificate_expires", Date),
    Column("qualifications", Text, nullable=False, server_default=_EMPTY),  # tags joined by ","
    Column("area", String(100), nullable=False, server_default=_EMPTY),
    Column("contact", String(100), nullable=False, server_default=_EMPTY),  # never public (R-INSP-3)
    Column("status", String(12), nullable=False, server_default=text("'active'")),  # active / unavailable
    Column("unavailable_until", Date),  # set iff status is unavailable
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("created_by_import", String(32)),
    Index("ix_inspectors_department", "department_code", "name"),
)

imports = Table(
    "directory_imports", metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False),  # subjects / inspectors
    Column("filename", String(255), nullable=False),
    Column("file_format", String(8), nullable=False),  # csv / xlsx
    Column("allow_partial", Boolean, nullable=False),
    Column("status", String(12), nullable=False),  # running / succeeded / failed
    Column("rows_total", Integer, nullable=False, server_default=text("0")),
    Column("rows_ok", Integer, nullable=False, server_default=text("0")),
    Column("rows_rejected", Integer, nullable=False, server_default=text("0")),
    Column("rows_created", Integer, nullable=False, server_default=text("0")),
    Column("rows_updated", Integer, nullable=False, server_default=text("0")),
    Column("rows_unchanged", Integer, nullable=False, server_default=text("0")),
    Column("error", Text, nullable=False, server_default=_EMPTY),  # why a failed import failed, in Chinese
    Column("ignored_columns", Text, nullable=False, server_default=_EMPTY),  # header cells not recognised
    Column("actor_user", String(64), nullable=False),
    Column("actor_department", String(32), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
)

import_rejections = Table(
    "directory_import_rejections", metadata,
    Column("import_id", String(32), ForeignKey("directory_imports.id"), primary_key=True),
    Column("line", Integer, primary_key=True),  # the CSV line or spreadsheet row, header = 1
    Column("key", String(64), nullable=False, server_default=_EMPTY),  # the row's code as written
    Column("reason", Text, nullable=False),
)


# ---- the checklist and annual plans (R-ITEM-*, R-PLAN-1) ---------------------------------------------
def _versioned_and_authored() -> list[Column]:
    """An edited record's optimistic version and who made and last changed it, when (fresh columns each call)."""
    return [Column("version", Integer, nullable=False),
            Column("created_at", UTCDateTime(), nullable=False), Column("created_by", String(64), nullable=False),
            Column("updated_at", UTCDateTime(), nullable=False), Column("updated_by", String(64), nullable=False)]


check_items = Table(
    "check_items", metadata,
    Column("id", String(36), primary_key=True),
    Column("department_code", String(32), nullable=False),
    Column("code", String(64), nullable=False),  # the department's own item number
    Column("name", String(200), nullable=False),
    Column("subject_type", String(200), nullable=False),
    Column("content", Text, nullable=False),
    Column("category", String(100), nullable=False),
    Column("methods", JSON, nullable=False),  # list of R-EXEC-1 methods
    Column("level", String(16), nullable=False),
    Column("legal_basis", Text, nullable=False),
    Column("ratio_hundredths", Integer, nullable=False),
    Column("frequency", Integer, nullable=False),
    Column("item_class", String(1), nullable=False),
    Column("unannounced", Boolean, nullable=False),
    Column("exemption_override", String(20)),
    Column("partner_departments", JSON, nullable=False),
    Column("status", String(10), nullable=False),  # active / retired
    Column("retired_at", UTCDateTime()),
    Column("retirement_reason", Text),
    *_versioned_and_authored(),
    UniqueConstraint("department_code", "code", name="uq_check_items_department_code"),
    Index("ix_check_items_class_status", "item_class", "status"),
)

plans = Table(
    "plans", metadata,
    Column("id", String(36), primary_key=True),
    Column("department_code", String(32), nullable=False),
    Column("year", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("item_ids", JSON, nullable=False),
    Column("subject_scope", Text, nullable=False),
    Column("ratio_hundredths", Integer, nullable=False),
    Column("credit_risk_grading", Text, nullable=False),
    Column("lead_office", String(100), nullable=False),
    Column("cooperating_offices", JSON, nullable=False),
    Column("schedule", JSON, nullable=False),  # {"quarters": [..]} or {"start", "end"}
    Column("status", String(10), nullable=False),  # draft / published
    Column("published_at", UTCDateTime()),
    Column("published_late", Boolean, nullable=False),
    Column("adjustment_count", Integer, nullable=False),
    Column("adjusted_at", UTCDateTime()),
    Column("adjustment_reason", Text),
    *_versioned_and_authored(),
    UniqueConstraint("department_code", "year", "name", name="uq_plans_department_year_name"),
    Index("ix_plans_year_status", "year", "status"),
)
