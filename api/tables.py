"""SQL tables owned by the API: departments, users, login tokens, failed logins, idempotency records."""
from __future__ import annotations

from sqlalchemy import (
    BigInteger, Boolean, Column, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table, Text,
    UniqueConstraint,
)

from projections.sqltypes import UTCDateTime

metadata = MetaData()

departments = Table(
    "departments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(20), nullable=False),  # "department" or "office"
    Column("region", String(100), nullable=False, default=""),
    Column("level", String(20), nullable=False, default=""),  # province / city / county
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

# Which prefix of the log a draw's yearly cap and overlap flags were read from (the projections' position then):
# a draw reads them from `subject_draws` and `subject_overlap` (api/draws.py; issue 14), and this says exactly what
# they reflected, for a witness or an auditor.
draw_reads = Table(
    "draw_reads", metadata,
    Column("draw_id", String(36), primary_key=True),
    Column("projection_position", BigInteger, nullable=False),
)
