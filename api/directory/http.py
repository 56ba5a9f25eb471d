"""What the directory routes share: who may write, the validation context, the import view (uploads: uploads.py)."""
from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Request

from api.accounts import Principal
from api.directory.importer import Progress, department_lookup
from api.directory.registry import ImportRegistry
from api.directory.specs import Context
from api.http.errors import ApiError
from api.bootstrap import Services
from domain.clock import SHANGHAI

FIRST_REJECTIONS = 100


def require_writer(principal: Principal) -> None:
    """Department staff and the office maintain the directories (003 §6–7, 004 §17, §22)."""
    if not (principal.is_office or "department_staff" in principal.roles):
        raise ApiError(403, "no_write_role", "只有部门经办人员或联席会议办公室可以维护名录库。")


def today(services: Services) -> date:
    return services.clock.now().astimezone(SHANGHAI).date()


def context(services: Services, principal: Principal) -> Context:
    """Validation context: today, the departments, and the department a non-office user is limited to."""
    with services.engine.connect() as conn:
        lookup = department_lookup(conn)
    return Context(today=today(services), departments=lookup,
                   scope_department=None if principal.is_office else principal.department_code)


def registry(request: Request) -> ImportRegistry:
    found = getattr(request.app.state, "directory_imports", None)
    if found is None:
        raise ApiError(503, "imports_unavailable", "导入服务尚未就绪，请稍后重试。")
    return found


def visible_import(principal: Principal, record: dict | Progress | None) -> None:
    """An import is seen by the office and by the department that ran it."""
    if record is None:
        raise ApiError(404, "import_not_found", "找不到该导入记录，请核对导入编号。")
    department = record.actor_department if isinstance(record, Progress) else record["actor_department"]
    if not principal.is_office and department != principal.department_code:
        raise ApiError(403, "not_your_import", "该导入由其他部门发起，无权查看。")


def progress_view(progress: Progress) -> dict[str, Any]:
    return {
        "id": progress.id, "kind": progress.kind, "filename": progress.filename, "file_format": progress.file_format,
        "status": progress.status, "phase": progress.phase, "percent": progress.percent,
        "allow_partial": progress.allow_partial, "rows_total": progress.rows_total, "rows_ok": progress.rows_ok,
        "rows_rejected": progress.rows_rejected, "rows_created": progress.rows_created,
        "rows_updated": progress.rows_updated, "rows_unchanged": progress.rows_unchanged, "error": progress.error,
        "ignored_columns": list(progress.ignored_columns), "actor_user": progress.actor_user,
        "actor_department": progress.actor_department, "started_at": progress.started_at,
        "finished_at": progress.finished_at, "rejected": list(progress.first_rejections[:FIRST_REJECTIONS]),
    }


def record_view(record: dict, rejected: list[dict]) -> dict[str, Any]:
    view = dict(record)
    view["ignored_columns"] = [c for c in record["ignored_columns"].split(",") if c]
    view["phase"] = "done" if record["status"] != "running" else "running"
    view["percent"] = 100.0 if record["status"] != "running" else 0.0
    view["rejected"] = rejected
    return view

