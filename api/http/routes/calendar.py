"""Working calendar: deadlines for anyone, schedule entry and amendments for the office (R-CAL-1, R-CAL-2)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Callable

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.accounts import Principal
from api.http.idempotency import fingerprint, run_command
from api.http.deps import IdempotencyKey, OfficePrincipal, ServicesDep
from api.http.errors import ApiError
from api.http.schemas import CalendarChangeOut, DayAmendmentIn, YearScheduleIn
from api.bootstrap import Services
from domain.usecases import CalendarChange, JointInspect
from domain.clock import SHANGHAI
from domain.working_days import MAX_WORKING_DAYS

MOVES_LISTED = 500  # moved deadlines listed in a calendar change's answer; the rest are counted (moves_total)

router = APIRouter(prefix="/calendar", tags=["工作日历"])

# The years the calendar answers for (those the office can enter, R-CAL-2); also keeps day arithmetic away
# from date.min/date.max, where it would overflow into a 500.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _check_year(day: date, label: str) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ApiError(422, "date_out_of_range", f"{label}须在 {FIRST_YEAR} 至 {LAST_YEAR} 年之间。",
                       {"date": str(day)})


@router.get("/deadline")
def deadline(services: ServicesDep, start: datetime,
             working_days: Annotated[int, Query(ge=1, le=MAX_WORKING_DAYS)]) -> dict:
    """End (24:00 Asia/Shanghai) of the n-th working day after start's date; a start without offset is Shanghai time."""
    _check_year(start.date(), "起算时间")
    if start.tzinfo is None:
        start = start.replace(tzinfo=SHANGHAI)
    result = services.app.calendar().deadline(start, working_days)
    return {"deadline": result.at.isoformat(), "provisional": result.provisional,
            "start": start.isoformat(), "working_days": working_days}


@router.get("/days")
def days(services: ServicesDep, from_: Annotated[date, Query(alias="from")], to: date) -> dict:
    """Each day between two dates (at most 400): working or not, provisional or not, and why."""
    _check_year(from_, "开始日期")
    _check_year(to, "结束日期")
    if to < from_:
        raise ApiError(422, "invalid_range", "结束日期不能早于开始日期。")
    if (to - from_).days > 400:
        raise ApiError(422, "range_too_long", "一次最多查询 400 天。")
    calendar = services.app.calendar()
    items = []
    day = from_
    while day <= to:
        status = calendar.status(day)
        items.append({"day": day, "working": status.working, "provisional": status.provisional,
                      "source": status.source})
        day += timedelta(days=1)
    return {"items": items, "total": len(items)}


@router.post("/years", status_code=201, response_model=CalendarChangeOut)
def enter_year(body: YearScheduleIn, request: Request, principal: OfficePrincipal, services: ServicesDep,
               key: IdempotencyKey = None) -> JSONResponse:
    """Enter a year's official schedule (published each November); every open deadline moves with it."""
    return _calendar_command(services, principal, request, body, key, lambda app: app.enter_year_schedule(
        principal.actor, body.year, body.holidays, body.makeup_workdays, body.note))


@router.post("/amendments", status_code=201, response_model=CalendarChangeOut)
def amend_day(body: DayAmendmentIn, request: Request, principal: OfficePrincipal, services: ServicesDep,
              key: IdempotencyKey = None) -> JSONResponse:
    """Mark a single day as working or not; every open deadline moves with it."""
    return _calendar_command(services, principal, request, body, key, lambda app: app.amend_day(
        principal.actor, body.day, body.working, body.reason))


def _calendar_command(services: Services, principal: Principal, request: Request, body: BaseModel,
                      key: str | None, change: Callable[[JointInspect], CalendarChange]) -> JSONResponse:
    """Change the calendar; every open deadline moves with it in the same unit of work (R-CAL-2). The answer lists
    the first MOVES_LISTED moved deadlines, earliest new day first, and how many moved in all."""
    def command() -> tuple[int, dict]:
        result = change(services.app)
        moves = [m | {"previous": _iso(m["previous"]), "deadline": _iso(m["deadline"])}
                 for m in result.moves[:MOVES_LISTED]]
        return 201, {"position": result.position, "moved_deadlines": result.moved_deadlines,
                     "moves_total": len(result.moves), "moves": moves}

    return run_command(services, principal, key, fingerprint(request.method, request.url.path, body), command)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
