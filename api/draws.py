"""Drawing subjects for a joint task: commit to a seed, fix the pool from the directory, draw, keep the evidence.

The rules live in domain.draw (the algorithm) and JointTask (who may draw, commitments, redraws); this module
only gathers what they need from the SQL directory and stores the pool list a witness will recompute from.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import and_, insert, literal, not_, select, text, update
from sqlalchemy.engine import Connection

from api.services import Services
from api.tables import draw_evidence, draw_reads
from domain import draw as algorithm
from domain import errors
from domain.application import Actor
from domain.working_days import local_date
from projections.subject_draws import capped_codes
from projections.subject_overlap import overlap_flags

YEARLY_CAP = 2  # R-DRAW-2: the same subject at most twice a year (inclusive); high-risk subjects are exempt
HIGH_RISK = "high"
EXEMPTION_OVERRIDES = {"safety", "environment", "complaint", "superior_order"}  # R-DRAW-4


@dataclass(frozen=True)
class Pool:
    candidates: dict[str, str]  # code → stratum
    excused: list[str]  # exempt candidates, skipped if drawn (R-DRAW-4)
    capped: int  # how many matching subjects were left out for the yearly cap (R-DRAW-2)


def commit(services: Services, conn: Connection, actor: Actor, task_id: UUID, criteria: dict,
           witnesses: list[dict], redraw_of: str | None, reason: str, approver: str) -> dict:
    """Record the commitment on the task and keep the seed secret until the draw is executed."""
    seed, draw_id = algorithm.new_seed(), str(uuid4())
    result = services.app.commit_draw(
        task_id, actor, draw_id=draw_id, commitment=algorithm.commitment(seed), criteria=criteria,
        witnesses=witnesses, redraw_of=redraw_of, reason=reason, approver=approver)
    conn.execute(insert(draw_evidence).values(draw_id=draw_id, task_id=str(task_id), seed=seed))
    return {"draw_id": draw_id, "commitment": algorithm.commitment(seed), "position": result.position}


def execute(services: Services, conn: Connection, actor: Actor, task_id: UUID, draw_id: str) -> dict:
    """Fix the pool, draw, flag overlaps, store the pool list and reveal the seed on the task."""
    task = services.app.get_task(task_id)
    committed = task.draws.get(draw_id)
    if committed is None:
        raise errors.NotFound("找不到该次抽取。", draw_id=draw_id)
    if actor.department != task.lead_department:
        raise errors.NotTheLeadDepartment("只有牵头部门可以执行抽取。")
    year = local_date(services.clock.now()).year
    seed = str(evidence(conn, draw_id).seed)
    read_position = read_after_every_draw(services, conn)
    conn.execute(insert(draw_reads).values(draw_id=draw_id, projection_position=read_position))
    drawn = evaluate(conn, committed["criteria"], seed, year=year, task_id=str(task_id))
    pool, counts, result, fingerprint = drawn.pool, drawn.counts, drawn.result, drawn.fingerprint
    if result.shortfall:
        short = "、".join(f"{s}类缺 {n} 户" if s != algorithm.NO_STRATUM else f"缺 {n} 户"
                         for s, n in result.shortfall.items())
        raise errors.Invalid(f"符合条件的检查对象不足（{short}），请放宽筛选条件或降低抽取数量。",
                             shortfall=result.shortfall)
    flags = overlap_flags(conn, result.drawn, year=year, task_id=str(task_id))  # R-DRAW-6
    conn.execute(update(draw_evidence).where(draw_evidence.c.draw_id == draw_id).values(
        pool_fingerprint=fingerprint, pool_size=len(pool.candidates), pool=compress_pool(drawn.pool_list)))
    recorded = services.app.record_draw(
        task_id, actor, draw_id=draw_id, seed=seed, algorithm=algorithm.ALGORITHM, version=algorithm.VERSION,
        pool_fingerprint=fingerprint, pool_size=len(pool.candidates), counts=counts, excused=pool.excused,
        drawn=result.drawn, replaced=result.replaced, flags=flags)
    return {"draw_id": draw_id, "position": recorded.position, "pool_size": len(pool.candidates),
            "pool_fingerprint": fingerprint, "drawn_count": len(result.drawn), "replaced": result.replaced,
            "left_out_for_yearly_cap": pool.capped, "flagged": len(flags)}


DRAW_LOCK = zlib.crc32(b"jointinspect:draw-execution")


def read_after_every_draw(services: Services, conn: Connection) -> int:
    """Make the projections the draw reads (yearly cap, overlap flags) include every draw before it; returns the
    log position they stand at, which the draw records (`draw_reads`).

    On PostgreSQL, draw executions take turns on a transaction-scoped advisory lock, and each waits, inside its
    transaction, for the projections to reach the log's head: no other draw can commit between that read and
    this draw's commit, so none is missed. SQLite serves one process whose writers already take turns on the
    store's write lock, which the projection runner needs too: there the route waits before the transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DRAW_LOCK})
        services.read_waits.within()
    return services.runner.lowest_position()


@dataclass(frozen=True)
class Evaluated:
    pool: Pool
    counts: dict[str, int]
    result: algorithm.DrawResult
    pool_list: str  # the canonical text a witness recomputes from
    fingerprint: str


def evaluate(conn: Connection, criteria: dict, seed: str, *, year: int, task_id: str) -> Evaluated:
    """Everything a draw computes, before anything is stored (also what bench/draw.py times)."""
    pool = load_pool(conn, criteria, year=year, task_id=task_id)
    counts = stratum_counts(pool.candidates, criteria)
    result = algorithm.draw(seed, pool.candidates, counts, pool.excused)
    text = algorithm.pool_text(pool.candidates)
    return Evaluated(pool, counts, result, text, algorithm.fingerprint_of_text(text))


def compress_pool(pool_list: str) -> bytes:
    return zlib.compress(pool_list.encode("utf-8"), 1)


def load_pool(conn: Connection, criteria: dict, *, year: int, task_id: str) -> Pool:
    """Candidates matching the criteria: never deregistered; at the yearly cap only if high-risk (R-DRAW-2)."""
    from api.directory.tables import subjects  # the directory owns its table

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
    capped = capped_codes(conn, year=year, task_id=task_id, cap=YEARLY_CAP).subquery()
    at_cap = and_(s.code.in_(select(capped.c.code)), s.risk_level != HIGH_RISK)
    stratified = bool(criteria.get("ratios_by_credit"))
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
    return Pool(candidates=candidates, excused=sorted(excused), capped=capped_count)


def stratum_counts(candidates: dict[str, str], criteria: dict) -> dict[str, int]:
    """How many to draw from each stratum: a count, one ratio, or a ratio per credit class (R-DRAW-1, R-DRAW-3)."""
    if criteria.get("count") is not None:
        return {algorithm.NO_STRATUM: int(criteria["count"])}
    sizes: dict[str, int] = {}
    for stratum in candidates.values():
        sizes[stratum] = sizes.get(stratum, 0) + 1
    if criteria.get("ratios_by_credit"):
        return {cls: algorithm.count_for_ratio(sizes.get(cls, 0), Decimal(str(ratio)))
                for cls, ratio in criteria["ratios_by_credit"].items()}
    return {algorithm.NO_STRATUM: algorithm.count_for_ratio(sizes.get(algorithm.NO_STRATUM, 0),
                                                            Decimal(str(criteria["ratio"])))}


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

