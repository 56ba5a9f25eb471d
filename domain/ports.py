"""The narrow interfaces through which the write side reads what its rules need, inside the command's own
transaction (ARCHITECTURE.md "Use cases"). The composition root supplies them (api/bootstrap.py, on SQL in
api/storage/). Where one is backed by
a projection, it reads the projection's position and the log after it too, so no unprojected event is missed."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable, Protocol
from uuid import UUID

from domain.checklist_rules import ItemRef
from domain.draw import Pool


class OpenTasks(Protocol):
    """Which joint tasks may still wait for a response or a result's publication: their deadlines move with the
    calendar (R-CAL-2).

    A superset read in the current transaction, so that a calendar change sees a task initiated a moment before,
    projected or not (issue 14); each task's aggregate then decides (JointTask.recompute_deadline)."""

    def ids(self) -> list[UUID]:
        """The tasks that may wait for a response, as of the current transaction."""


class Checklist(Protocol):
    """Check items and annual plans (reference data, R-ITEM-*, R-PLAN-1) and the departments they name, in the
    current transaction.

    Rows are read-only records with the table's columns as attributes; a record is a dict of ITEM_FIELDS or
    PLAN_FIELDS with the ratio as exact text. A write fails as a retryable conflict (eventsourcing's IntegrityError)
    when another writer changed the row first; `log` appends to the change log (全程留痕)."""

    def department_kinds(self) -> dict[str, str]: ...
    def known_departments(self, codes: Iterable[str]) -> set[str]: ...
    def names(self, item_ids: list[str]) -> dict[str, str]: ...
    def task_items(self, entries: Iterable[str],
                   departments: Iterable[str]) -> tuple[dict[str, ItemRef], dict[str, list[str]]]: ...
    def item(self, item_id: str) -> Any: ...
    def item_code_taken(self, department: str, code: str, other_than: str | None = None) -> bool: ...
    def item_refs(self, item_ids: Iterable[str]) -> dict[str, ItemRef]: ...
    def item_record(self, row: Any) -> dict: ...
    def add_item(self, department: str, record: dict, actor: Any, now: datetime, item_id: str) -> None: ...
    def change_item(self, row: Any, actor: Any, now: datetime, **values: Any) -> None: ...
    def item_view(self, item_id: str) -> dict: ...
    def plan(self, plan_id: str) -> Any: ...
    def plan_name_taken(self, department: str, year: int, name: str, other_than: str | None = None) -> bool: ...
    def plan_record(self, row: Any) -> dict: ...
    def add_plan(self, department: str, record: dict, actor: Any, now: datetime, plan_id: str) -> None: ...
    def change_plan(self, row: Any, actor: Any, now: datetime, **values: Any) -> None: ...
    def plan_view(self, plan_id: str) -> dict: ...
    def log(self, entity: str, key: str, action: str, changes: dict, actor: Any, now: datetime) -> None: ...


class DrawEvidence(Protocol):
    """What a draw or a matching keeps beside the task: its secret seed until revealed, a draw's pool list and the
    log position its cap and flags were read at (R-DRAW-5)."""

    def keep_seed(self, draw_id: str, task_id: str, seed: str, kind: str) -> None: ...
    def seed(self, draw_id: str) -> str: ...
    def keep_pool(self, draw_id: str, fingerprint: str, pool_list: str, size: int) -> None: ...
    def note_read_position(self, draw_id: str, position: int) -> None: ...


class SubjectPool(Protocol):
    """The subject directory as a draw sees it (R-DRAW-2..6).

    `catch_up` makes what the pool and flags read (the yearly-cap and overlap read models) include every draw
    before this one, and returns the log position they stand at; the draw records it (`DrawEvidence`)."""

    def catch_up(self) -> int: ...
    def pool(self, criteria: dict, *, year: int, task_id: str) -> Pool: ...
    def overlap_flags(self, drawn: list[str], *, year: int, task_id: str) -> list[dict]: ...
    def names(self, codes: list[str]) -> dict[str, str]:
        """Subject code → its name in the directory (a result keeps the name it was recorded under)."""


class Inspectors(Protocol):
    """The inspector directory and declared conflicts of interest (R-INSP-2, R-MATCH-3)."""

    def eligible(self, department: str | None, day: date) -> list[str]: ...
    def conflicts(self, inspectors: list[str], subjects: list[str]) -> set[tuple[str, str]]: ...
    def department_of(self, resident_id: str) -> str | None: ...
    def conflict_declared(self, inspector_id: str, subject_code: str) -> bool: ...
    def declare_conflict(self, inspector_id: str, subject_code: str, reason: str, department: str, user: str,
                         now: datetime) -> None: ...


class TaskNumbers(Protocol):
    """The sequence of joint task numbers per year: each call takes the next one in the current transaction (so a
    rolled-back initiation gives its number back)."""

    def next(self, year: int) -> int: ...


class ResultIndex(Protocol):
    """Which task holds a result (a result's id is known to the parties; its task is found here, R-JOINT-7)."""

    def note(self, result_id: UUID, task_id: UUID) -> None: ...
    def task_of(self, result_id: UUID) -> UUID | None: ...


class Staff(Protocol):
    """The platform's accounts as the rules need them: whether a user holds a role in a department (R-PUB-2: a
    correction's approver holds the approver role in the department that corrects)."""

    def holds_role(self, username: str, department: str, role: str) -> bool: ...


class DepartmentSettings(Protocol):
    """Each department's result settings (domain.result_rules.DEFAULT_SETTINGS when it has none)."""

    def get(self, department: str) -> dict: ...
    def put(self, department: str, settings: dict, user: str, now: datetime) -> dict:
        """Store them; returns the previous settings (for the change log)."""


class VisitCodes(Protocol):
    """The verification code of each visit notice → its task and subject (R-EXEC-3; the enterprise's view)."""

    def note(self, code: str, task_id: UUID, subject: str) -> None: ...
    def find(self, code: str) -> tuple[UUID, str] | None: ...


class OpenClocks(Protocol):
    """Objections and enterprise requests whose clock still runs (R-OBJ-1, R-JOINT-9): a calendar change moves
    them (R-CAL-2), and a result has at most one objection open."""

    def open(self, aggregate_id: UUID, kind: str, key: str) -> None: ...
    def close(self, aggregate_id: UUID) -> None: ...
    def open_for(self, kind: str, key: str) -> list[UUID]: ...
    def ids(self) -> list[tuple[UUID, str]]:
        """(aggregate id, kind) of every open clock."""


class ArchiveStore(Protocol):
    """Sealed archive files (R-ARCH-1): written once in the transaction that records their hashes, never replaced."""

    def put(self, task_id: UUID, subject: str, content: bytes, sha256: str, at: datetime) -> None: ...
