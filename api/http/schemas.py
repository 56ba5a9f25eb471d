"""Request and response bodies, with field limits (In) and documented shapes (Out)."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, model_validator

Text200 = Field(min_length=1, max_length=200)


def _date_text(value: object) -> object:
    """A day is written YYYY-MM-DD: a JSON number is not a date (pydantic would read 0 as 1970-01-01)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValueError("须为 YYYY-MM-DD 格式的日期")
    return value


Day = Annotated[date, BeforeValidator(_date_text)]


def _query_day(value: object) -> object:
    """A day in a query is written YYYY-MM-DD: "0" is not a date (pydantic would read it as 1970-01-01)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("须为 YYYY-MM-DD 格式的日期")
    return value


QueryDay = Annotated[date, BeforeValidator(_query_day)]


class In(BaseModel):
    """A command's body: unknown fields refused; booleans and integers strict (JSON true, not 0 or "1": a fuzzer
    showed `"working": 0` taken for false)."""

    model_config = ConfigDict(extra="forbid")


class LoginIn(In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class LoginOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    department_id: int
    department_code: str
    department_name: str
    username: str
    roles: list[str]
    expires_at: datetime
    expires_in: int = Field(description="令牌有效秒数（客户端据此在本机计时）")
    must_change_password: bool = Field(False, description="管理员设置的一次性密码：须先修改密码（POST /auth/password）才能办理业务")


class PasswordIn(In):
    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=1, max_length=200)


class TaskIn(In):
    title: str = Field(min_length=1, max_length=200)
    responding_departments: list[str] = Field(min_length=1, max_length=50)
    window_start: Day
    window_end: Day
    items: list[str] = Field(min_length=1, max_length=100, description="抽查事项（检查事项清单上线前为名称）")
    planned: StrictBool = True
    note: str = Field(default="", max_length=2000)


class TaskCreatedOut(BaseModel):
    id: UUID
    position: int
    response_deadline: str
    deadline_provisional: bool


class ResponseIn(In):
    decision: Literal["accept", "decline"]
    item_ids: list[str] = Field(default_factory=list, max_length=100)
    reason: str = Field(default="", max_length=1000)


class ResponseOut(BaseModel):
    position: int
    late: bool


class ReasonIn(In):
    reason: str = Field(min_length=1, max_length=1000)


class DayIn(In):
    day: Day


class InspectionIn(In):
    completed_on: Day
    note: str = Field(default="", max_length=2000)


class PublicationIn(In):
    note: str = Field(default="", max_length=2000)


class MergeIn(In):
    into_task_id: UUID


class PositionOut(BaseModel):
    position: int | None


class YearScheduleIn(In):
    year: StrictInt = Field(ge=2000, le=2100)
    holidays: list[Day] = Field(default_factory=list, max_length=366)
    makeup_workdays: list[Day] = Field(default_factory=list, max_length=366)
    note: str = Field(default="", max_length=1000)


class DayAmendmentIn(In):
    day: Day
    working: StrictBool
    reason: str = Field(min_length=1, max_length=1000)


class DeadlineMoveOut(BaseModel):
    """One open deadline a calendar change moved (R-CAL-2)."""
    kind: Literal["response", "publication", "archive", "objection_review", "objection_answer", "request"]
    task_id: str
    task_number: str | None
    task_title: str
    subject: str | None  # the subject's code, where the deadline is one subject's
    subject_name: str
    previous: date | None
    deadline: date | None


class CalendarChangeOut(BaseModel):
    position: int | None
    moved_deadlines: int  # the tasks, objections and requests whose deadlines moved
    moves_total: int  # deadlines moved in all
    moves: list[DeadlineMoveOut]  # the first 500, earliest new deadline first


class NoticeIn(In):
    department: str = Field(min_length=1, max_length=32)
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=5000)
    task_ids: list[UUID] = Field(min_length=1, max_length=200)


SubjectKind = Literal["enterprise", "individual", "institution", "product", "project", "behaviour"]  # domain.codes


class DrawCriteriaIn(In):
    """Which subjects form the pool and how many to draw: exactly one of count, ratio, ratios_by_credit."""

    region: str | None = Field(default=None, max_length=100)
    industry: str | None = Field(default=None, max_length=100)
    risk_level: str | None = Field(default=None, max_length=20)
    credit_classes: list[Literal["A", "B", "C", "D"]] | None = None
    flags: list[Literal["abnormal_operation", "key_attention", "dishonest", "serious_violation"]] = Field(
        default_factory=list)
    tags: list[str] = Field(default_factory=list, max_length=20)
    subject_kinds: list[SubjectKind] | None = Field(default=None, description="any of these kinds (R-SUBJ-3)")
    count: StrictInt | None = Field(default=None, ge=1, le=1_000_000)
    ratio: Decimal | None = Field(default=None, gt=0, le=100, description="percent of the pool")
    ratios_by_credit: dict[Literal["A", "B", "C", "D"], Decimal] | None = Field(
        default=None, description="percent per credit class (R-DRAW-3)")
    exemption_override: Literal["safety", "environment", "complaint", "superior_order"] | None = Field(
        default=None, description="R-DRAW-4: exempt subjects are not excused for these")

    @model_validator(mode="after")
    def _one_size(self) -> "DrawCriteriaIn":
        given = [n for n in ("count", "ratio", "ratios_by_credit") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("须且只须给出 count、ratio、ratios_by_credit 之一")
        for cls, ratio in (self.ratios_by_credit or {}).items():
            if not 0 <= ratio <= 100:
                raise ValueError(f"{cls} 类的抽取比例须在 0 到 100 之间")
        return self


class WitnessIn(In):
    name: str = Field(min_length=1, max_length=50)
    role: Literal["staff", "legal_adviser", "enterprise_representative", "public_representative", "supervisor"]


class DrawIn(In):
    criteria: DrawCriteriaIn
    witnesses: list[WitnessIn] = Field(min_length=1, max_length=20)
    redraw_of: str | None = Field(default=None, max_length=36)
    reason: str = Field(default="", max_length=1000)
    approver: str = Field(default="", max_length=50)


class MatchingIn(In):
    team_size: StrictInt = Field(default=2, ge=2, le=10, description="inspectors per subject (R-MATCH-1: at least 2)")


class ReplacementIn(In):
    subject_code: str = Field(min_length=1, max_length=32)
    inspector: str = Field(min_length=1, max_length=18, description="the resident ID of the inspector replaced")
    reason: Literal["post_change", "schedule_conflict", "health", "recusal"]
    approver: str = Field(min_length=1, max_length=50)


class AssignmentIn(In):
    teams: dict[str, list[str]] = Field(min_length=1, description="subject code → inspector IDs, leader first")
    reason: str = Field(min_length=1, max_length=1000)
    approver: str = Field(min_length=1, max_length=50)


class ConflictIn(In):
    inspector_id: str = Field(min_length=18, max_length=18)
    subject_code: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=1, max_length=1000)
