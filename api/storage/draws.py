"""The write side's draw ports on SQL (domain.ports DrawEvidence, SubjectPool): seeds, pool lists, the pool itself.

The rules live in domain.draw (the algorithm), domain.usecases.draws (the use case) and JointTask (who may draw,
commitments, redraws); this module reads the directory and the read models a draw needs, in the command's
transaction, and keeps what a witness recomputes from.
"""
from __future__ import annotations

import zlib
from typing import Any, Callable

from sqlalchemy import and_, insert, literal, not_, select, text, update
from sqlalchemy.engine import Connection

from api.storage.ports import current_connection
from api.storage.tables import draw_evidence, draw_reads, subjects
from domain import draw as algorithm
from domain import errors
from projections.subject_draws import capped_codes
from projections.subject_overlap import overlap_flags

DRAW_LOCK = zlib.crc32(b"jointinspect:draw-execution")


class SqlDrawEvidence:
    """DrawEvidence: the `draw_evidence` and `draw_reads` tables."""

    def keep_seed(self, draw_id: str, task_id: str, seed: str, kind: str) -> None:
        current_connection().execute(insert(draw_evidence).values(draw_id=draw_id, kind=kind, task_id=task_id,
                                                                  seed=seed))

    def seed(self, draw_id: str) -> str:
        return str(evidence(current_connection(), draw_id).seed)

    def keep_pool(self, draw_id: str, fingerprint: str, pool_list: str, size: int) -> None:
        current_connection().execute(update(draw_evidence).where(draw_evidence.c.draw_id == draw_id).values(
            pool_fingerprint=fingerprint, pool_size=size, pool=compress_pool(pool_list)))

    def note_read_position(self, draw_id: str, position: int) -> None:
        current_connection().execute(insert(draw_reads).values(draw_id=draw_id, projection_position=position))


class SqlSubjectPool:
    """SubjectPool: the subject directory, and the yearly-cap and overlap read models caught up to the log's head.

    The cap and flags come from read models (`subject_draws`, `subject_overlap`), which is safe because `catch_up`
    makes them include every draw before this one: on PostgreSQL, draw executions take turns on a
    transaction-scoped advisory lock, and each waits, inside its transaction, for the projections to reach the
    log's head, so no other draw can commit between that read and this draw's commit. SQLite serves one process
    whose writers already take turns on the store's write lock, which the projection runner needs too: there the
    route waits before the transaction. The position read is recorded with the draw (`draw_reads`)."""

    def __init__(self, wait_for_head: Callable[[], None], lowest_position: Callable[[], int]) -> None:
        self.wait_for_head = wait_for_head
        self.lowest_position = lowest_position

    def catch_up(self) -> int:
        conn = current_connection()
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DRAW_LOCK})
            self.wait_for_head()
        return self.lowest_position()

    def pool(self, criteria: dict, *, year: int, task_id: str) -> algorithm.Pool:
        return load_pool(current_connection(), criteria, year=year, task_id=task_id)

    def overlap_flags(self, drawn: list[str], *, year: int, task_id: str) -> list[dict]:
        return overlap_flags(current_connection(), drawn, year=year, task_id=task_id)  # R-DRAW-6

    def names(self, codes: list[str]) -> dict[str, str]:
        return subject_names(current_connection(), codes)


def subject_names(conn: Connection, codes: list[str]) -> dict[str, str]:
    """Subject code → name in the directory (codes not in it are left out)."""
    if not codes:
        return {}
    rows = conn.execute(select(subjects.c.code, subjects.c.name).where(subjects.c.code.in_(sorted(set(codes)))))
    return {r.code: r.name for r in rows}


def compress_pool(pool_list: str) -> bytes:
    return zlib.compress(pool_list.encode("utf-8"), 1)


def load_pool(conn: Connection, criteria: dict, *, year: int, task_id: str) -> algorithm.Pool:
    """Candidates matching the criteria: never deregistered; at the yearly cap only if high-risk (R-DRAW-2)."""
    s = subjects.c
    conditions: list[Any] = [not_(s.deregistered)]
    for name in ("region", "industry", "risk_level"):
        if criteria.get(name):
            conditions.append(s[name] == criteria[name])
    if criteria.get("credit_classes"):
        conditions.append(s.credit_class.in_(criteria["credit_classes"]))
    if criteria.get("subject_kinds"):  # R-SUBJ-3
        conditions.append(s.subject_kind.in_(criteria["subject_kinds"]))
    for flag in criteria.get("flags") or []:
        conditions.append(s[flag].is_(True))
    wrapped_tags = literal(",") + s.tags + literal(",")  # tags are stored joined by ","
    for tag in criteria.get("tags") or []:
        conditions.append(wrapped_tags.contains(f",{tag},", autoescape=True))
    capped = capped_codes(conn, year=year, task_id=task_id, cap=algorithm.YEARLY_CAP).subquery()
    at_cap = and_(s.code.in_(select(capped.c.code)), s.risk_level != algorithm.HIGH_RISK)
    stratified = bool(criteria.get("ratios_by_credit"))
    if stratified:  # a subject of no class the draw names (unclassified included) could never be drawn: not a candidate
        conditions.append(s.credit_class.in_(list(criteria["ratios_by_credit"])))
    override = criteria.get("exemption_override")
    candidates: dict[str, str] = {}
    excused: list[str] = []
    capped_count = 0
    query = select(s.code, s.credit_class, s.exempt, at_cap.label("at_cap")).where(and_(*conditions))
    for row in conn.execute(query.execution_options(yield_per=50_000)):  # streamed, never all in memory
        if row.at_cap:
            capped_count += 1
            continue
        candidates[row.code] = row.credit_class if stratified else algorithm.NO_STRATUM
        if row.exempt and not override:
            excused.append(row.code)
    return algorithm.Pool(candidates=candidates, excused=sorted(excused), capped=capped_count)


# ---- reads for the draw's record, pool and verification pages --------------------------------------------
def read_position(conn: Connection, draw_id: str) -> int | None:
    """The log position the draw's cap and flags were read at (None before it is executed)."""
    return conn.execute(select(draw_reads.c.projection_position).where(draw_reads.c.draw_id == draw_id)).scalar()


def evidence(conn: Connection, draw_id: str) -> Any:
    row = conn.execute(select(draw_evidence).where(draw_evidence.c.draw_id == draw_id)).first()
    if row is None:
        raise errors.NotFound("找不到该次抽取。", draw_id=draw_id)
    return row


def pool_list(row: Any) -> str:
    if row.pool is None:
        raise errors.WrongState("该次抽取尚未执行，还没有候选名单。")
    return zlib.decompress(row.pool).decode("utf-8")


def in_directory(conn: Connection, code: str) -> bool:
    return conn.execute(select(subjects.c.code).where(subjects.c.code == code)).first() is not None
