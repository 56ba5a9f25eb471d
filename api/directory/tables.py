"""SQL tables of the two directories (R-SUBJ-*, R-INSP-*) and of their imports: reference data, not aggregates.

Every column a file may leave out has a server default, so set-based INSERT … SELECT fills it on PostgreSQL.
"""
from __future__ import annotations

from sqlalchemy import (
    Boolean, Column, Date, ForeignKey, Index, Integer, MetaData, String, Table, Text, false, text,
)

from projections.sqltypes import UTCDateTime

metadata = MetaData()

_EMPTY = text("''")

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
