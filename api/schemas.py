"""Request and response bodies, with field limits (In) and documented shapes (Out)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

Text200 = Field(min_length=1, max_length=200)


class In(BaseModel):
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


class TaskIn(In):
    title: str = Field(min_length=1, max_length=200)
    responding_departments: list[str] = Field(min_length=1, max_length=50)
    window_start: date
    window_end: date
    items: list[str] = Field(min_length=1, max_length=100, description="抽查事项（检查事项清单上线前为名称）")
    planned: bool = True
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
    day: date


class InspectionIn(In):
    completed_on: date
    note: str = Field(default="", max_length=2000)


class PublicationIn(In):
    note: str = Field(default="", max_length=2000)


class MergeIn(In):
    into_task_id: UUID


class PositionOut(BaseModel):
    position: int | None


class YearScheduleIn(In):
    year: int = Field(ge=2000, le=2100)
    holidays: list[date] = Field(default_factory=list, max_length=366)
    makeup_workdays: list[date] = Field(default_factory=list, max_length=366)
    note: str = Field(default="", max_length=1000)


class DayAmendmentIn(In):
    day: date
    working: bool
    reason: str = Field(min_length=1, max_length=1000)


class CalendarChangeOut(BaseModel):
    position: int | None
    moved_deadlines: int


class NoticeIn(In):
    department: str = Field(min_length=1, max_length=32)
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=5000)
    task_ids: list[UUID] = Field(min_length=1, max_length=200)
