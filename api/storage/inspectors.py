"""The write side's Inspectors port on SQL (domain.ports): who may be matched, and conflicts of interest."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.engine import Connection

from api.storage.ports import current_connection
from api.storage.tables import conflicts_of_interest, inspectors

BATCH = 5000  # subjects per IN list


class SqlInspectors:
    """Inspectors: the inspector directory and `conflicts_of_interest`, in the command's transaction."""

    def eligible(self, department: str | None, day: date) -> list[str]:
        """Active on the inspection day and holding an enforcement certificate valid that day (R-INSP-2)."""
        i = inspectors.c
        conditions: list[Any] = [
            i.certificate_no != "", i.certificate_expires >= day,
            or_(i.status == "active", and_(i.status == "unavailable", i.unavailable_until < day)),
        ]
        if department is not None:
            conditions.append(i.department_code == department)
        return sorted(current_connection().execute(select(i.resident_id).where(and_(*conditions))).scalars())

    def conflicts(self, inspector_ids: list[str], subjects: list[str]) -> set[tuple[str, str]]:
        c = conflicts_of_interest.c
        found: set[tuple[str, str]] = set()
        for start in range(0, len(subjects), BATCH):
            rows = current_connection().execute(select(c.inspector_id, c.subject_code).where(
                c.subject_code.in_(subjects[start:start + BATCH]), c.inspector_id.in_(inspector_ids)))
            found.update((r.inspector_id, r.subject_code) for r in rows)
        return found

    def department_of(self, resident_id: str) -> str | None:
        return current_connection().execute(select(inspectors.c.department_code).where(
            inspectors.c.resident_id == resident_id)).scalar_one_or_none()

    def conflict_declared(self, inspector_id: str, subject_code: str) -> bool:
        c = conflicts_of_interest.c
        return current_connection().execute(select(c.reason).where(
            c.inspector_id == inspector_id, c.subject_code == subject_code)).first() is not None

    def declare_conflict(self, inspector_id: str, subject_code: str, reason: str, department: str, user: str,
                         now: datetime) -> None:
        current_connection().execute(insert(conflicts_of_interest).values(
            inspector_id=inspector_id, subject_code=subject_code, reason=reason, declared_by=user,
            department=department, declared_at=now))


def public_identities(conn: Connection, resident_ids: list[str]) -> dict[str, dict]:
    """Resident ID → what may be shown of an inspector beyond its own department: name, department and certificate
    number (R-INSP-3; never the ID number or the contact)."""
    if not resident_ids:
        return {}
    rows = conn.execute(select(inspectors.c.resident_id, inspectors.c.name, inspectors.c.department_code,
                               inspectors.c.certificate_no)
                        .where(inspectors.c.resident_id.in_(sorted(set(resident_ids)))))
    return {r.resident_id: {"name": r.name, "department_code": r.department_code, "certificate_no": r.certificate_no}
            for r in rows}
