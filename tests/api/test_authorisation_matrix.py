"""Authorisation, as a matrix (issue 18): every operation of the OpenAPI schema × every kind of caller → the status
the server answers, declared in one table (TABLE). An operation without a row fails `test_every_endpoint_has_a_row`.

One scenario per store (SQLite and PostgreSQL), built once: a published joint task P (scjg leads, wlj joined, gxj
declined; subjects drawn, inspectors matched, notices issued, every result published, files archived) with an open
objection, an answered enterprise request, an acknowledged notice, a declared conflict, an import, a retired check
item and a published plan. Path parameters are filled from it. The callers:

- lead: scjg, the department that initiated P; responder: wlj, which joined it; outsider: sthj, no part in it;
- approver: scjg_fzr (department_staff + approver of the lead department); office; admin (the admin role only);
- anonymous (no token); disabled (an scjg clerk whose token was in use when users.active became False); expired
  (scjg's token whose lifetime ends at the scenario's instant: login's sweep keeps its row, the lookup refuses it).

Commands are sent with bodies the schema accepts, so that a handler's or a use case's own check is reached, and
chosen so that a caller who gets past authorisation is refused by a rule of the domain (409/422) on the scenario's
state: nothing the matrix sends changes what another row reads, in any order
(`test_the_matrix_changed_nothing_the_scenario_holds`). The answers that succeed change nothing a row depends on:
a login; a logout (with a token of its own); an import of an empty file; the office setting scjg's result settings,
and the administrator an account's name and a department's region, to the values they have; the administrator
disabling, enabling and resetting the password of a spare account.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import select, update

from api.accounts import add_user, department_ids
from api.bootstrap import build_services
from api.demo import DEMO_PASSWORD, ITEM_IDS, load_accounts, load_checklist
from api.http.app import create_app
from api.settings import Settings
from api.storage.tables import auth_tokens, users
from domain.clock import SHANGHAI, FakeClock
from domain.codes import generate_resident_id, generate_uscc
from tests.api.test_checklist import ITEM
from tests.api.test_imports import HEADER, finished
from tests.api.test_objections_and_requests import CONTACT, _published
from tests.api.test_plans import PLAN
from tests.conftest import BACKENDS
from tests.support import LiveServer, created, empty_schema, pushed_task, wait_for_read_models

V1 = "/api/v1"
EXCLUDED = {("GET", "/docs"), ("GET", "/redoc"), ("GET", "/openapi.json")}
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}

ACCOUNTS = {"lead": "scjg", "responder": "wlj", "outsider": "sthj", "approver": "scjg_fzr", "office": "office",
            "admin": "admin"}
ROLES = (*ACCOUNTS, "anonymous", "disabled", "expired")
DISABLED_USER = "matrix_disabled"
SPARE_USER, SPARE_NAME = "matrix_spare", "备用账号"  # what the administrators' rows disable, enable and reset

Status = int | frozenset[int]
Row = dict[str, Status]


def signed_in(lead: Status, responder: Status, outsider: Status, approver: Status, office: Status,
              admin: Status) -> Row:
    """A route behind login: the six accounts' answers; no token, a disabled account's or an expired one: 401."""
    return {"lead": lead, "responder": responder, "outsider": outsider, "approver": approver, "office": office,
            "admin": admin, "anonymous": 401, "disabled": 401, "expired": 401}


def public(status: Status) -> Row:
    """A route anyone may call: the same answer whoever calls, with a token (even a dead one) or without."""
    return dict.fromkeys(ROLES, status)


ANY_ACCOUNT = signed_in(200, 200, 200, 200, 200, 200)
PARTY_READ = signed_in(200, 200, 403, 200, 200, 403)  # parties to P and the office (visible_task)
SCJG_READ = signed_in(200, 403, 403, 200, 200, 403)  # scjg's own record, and the office
OFFICE_ONLY = signed_in(403, 403, 403, 403, 200, 403)
ADMIN_ONLY = signed_in(403, 403, 403, 403, 403, 200)
PARTICIPANT_COMMAND = signed_in(409, 409, 403, 409, 403, 403)  # P's lead and joined responder; P is past it
SCJG_COMMAND = signed_in(409, 403, 403, 409, 403, 403)  # P's lead, or scjg's own record; refused by its state
SCJG_OR_OFFICE_COMMAND = signed_in(409, 403, 403, 409, 409, 403)  # the same, or the office

# ---- THE TABLE: (method, path) → role → expected status -------------------------------------------------------
#                                                                lead responder outsider approver office admin
TABLE: dict[tuple[str, str], Row] = {
    # joint tasks (routes/joint_tasks.py)
    ("POST", f"{V1}/joint-tasks"):                                   signed_in(422, 422, 422, 422, 422, 403),
    ("GET", f"{V1}/joint-tasks"):                                    ANY_ACCOUNT,
    ("GET", f"{V1}/joint-tasks/{{task_id}}"):                        PARTY_READ,
    ("GET", f"{V1}/joint-tasks/{{task_id}}/timeline"):               PARTY_READ,
    ("POST", f"{V1}/joint-tasks/{{task_id}}/responses"):             signed_in(403, 409, 403, 403, 403, 403),
    ("POST", f"{V1}/joint-tasks/{{task_id}}/late-reason"):           signed_in(403, 409, 403, 403, 403, 403),
    ("POST", f"{V1}/joint-tasks/{{task_id}}/inspection-day/proposals"): PARTICIPANT_COMMAND,
    ("POST", f"{V1}/joint-tasks/{{task_id}}/inspection-day/agreements"): PARTICIPANT_COMMAND,
    ("POST", f"{V1}/joint-tasks/{{task_id}}/inspections"):           PARTICIPANT_COMMAND,
    ("POST", f"{V1}/joint-tasks/{{task_id}}/publications"):          PARTICIPANT_COMMAND,
    ("POST", f"{V1}/joint-tasks/{{task_id}}/cancellation"):          SCJG_OR_OFFICE_COMMAND,
    ("POST", f"{V1}/joint-tasks/{{task_id}}/merge"):                 SCJG_OR_OFFICE_COMMAND,
    # results (routes/results.py)
    ("POST", f"{V1}/joint-tasks/{{task_id}}/results"):               PARTICIPANT_COMMAND,
    ("GET", f"{V1}/joint-tasks/{{task_id}}/results"):                PARTY_READ,
    ("POST", f"{V1}/joint-tasks/{{task_id}}/results/batch"):         PARTICIPANT_COMMAND,
    ("POST", f"{V1}/results/{{result_id}}/publication"):             SCJG_COMMAND,
    ("POST", f"{V1}/results/{{result_id}}/approval"):                SCJG_COMMAND,
    ("GET", f"{V1}/departments/{{code}}/result-settings"):           SCJG_READ,
    ("PUT", f"{V1}/departments/{{code}}/result-settings"):           OFFICE_ONLY,
    ("POST", f"{V1}/results/{{result_id}}/corrections"):             signed_in(422, 403, 403, 422, 403, 403),
    ("GET", f"{V1}/results/options"):                                public(200),
    ("GET", f"{V1}/results/export"):                                 ANY_ACCOUNT,
    ("GET", f"{V1}/results/{{result_id}}"):                          PARTY_READ,
    # the combined visit notice (routes/visits.py)
    ("POST", f"{V1}/joint-tasks/{{task_id}}/visit-notices"):         SCJG_OR_OFFICE_COMMAND,
    ("GET", f"{V1}/joint-tasks/{{task_id}}/visit-notices"):          PARTY_READ,
    # objections, requests, chasing, archives (routes/afterlife.py)
    ("GET", f"{V1}/objections"):                                     ANY_ACCOUNT,
    ("GET", f"{V1}/objections/{{objection_id}}"):                    SCJG_READ,
    ("POST", f"{V1}/results/{{result_id}}/objections"):              SCJG_COMMAND,
    ("POST", f"{V1}/objections/{{objection_id}}/review"):            signed_in(422, 403, 403, 422, 403, 403),
    ("POST", f"{V1}/objections/{{objection_id}}/answer"):            SCJG_COMMAND,
    ("GET", f"{V1}/requests"):                                       ANY_ACCOUNT,
    ("GET", f"{V1}/requests/{{request_id}}"):                        SCJG_READ,
    ("POST", f"{V1}/joint-tasks/{{task_id}}/requests"):              signed_in(422, 422, 403, 422, 403, 403),
    ("POST", f"{V1}/requests/{{request_id}}/answer"):                SCJG_COMMAND,
    ("POST", f"{V1}/requests/{{request_id}}/forward"):               SCJG_COMMAND,
    ("GET", f"{V1}/joint-tasks/{{task_id}}/result-progress"):        PARTY_READ,
    ("POST", f"{V1}/joint-tasks/{{task_id}}/chase"):                 SCJG_COMMAND,
    ("POST", f"{V1}/joint-tasks/{{task_id}}/archives"):              SCJG_OR_OFFICE_COMMAND,
    ("GET", f"{V1}/joint-tasks/{{task_id}}/archives"):               PARTY_READ,
    ("GET", f"{V1}/joint-tasks/{{task_id}}/archives/{{subject}}"):   PARTY_READ,
    # the inspected enterprise, with its notice's code (routes/enterprise.py)
    ("POST", f"{V1}/public/visits/lookup"):                          public(200),
    ("POST", f"{V1}/public/visits/objections"):                      public(409),
    ("POST", f"{V1}/public/visits/requests"):                        public(422),
    # accounts (routes/auth.py); logout is sent with a token of its own (Scenario.send)
    ("POST", f"{V1}/auth/login"):                                    public(200),
    ("POST", f"{V1}/auth/logout"):                                   signed_in(204, 204, 204, 204, 204, 204),
    ("GET", f"{V1}/auth/me"):                                        ANY_ACCOUNT,
    ("POST", f"{V1}/auth/password"):                                 signed_in(422, 422, 422, 422, 422, 422),
    # departments and accounts, for administrators (routes/admin.py); {username} is a spare account
    ("GET", f"{V1}/admin/departments"):                              ADMIN_ONLY,
    ("POST", f"{V1}/admin/departments"):                             signed_in(403, 403, 403, 403, 403, 422),
    ("GET", f"{V1}/admin/departments/{{code}}"):                     ADMIN_ONLY,
    ("PATCH", f"{V1}/admin/departments/{{code}}"):                   ADMIN_ONLY,
    ("GET", f"{V1}/admin/departments/{{code}}/history"):             ADMIN_ONLY,
    ("POST", f"{V1}/admin/departments/import"):                      signed_in(403, 403, 403, 403, 403, 422),
    ("GET", f"{V1}/admin/users"):                                    ADMIN_ONLY,
    ("POST", f"{V1}/admin/users"):                                   signed_in(403, 403, 403, 403, 403, 422),
    ("GET", f"{V1}/admin/users/{{username}}"):                       ADMIN_ONLY,
    ("PATCH", f"{V1}/admin/users/{{username}}"):                     ADMIN_ONLY,
    ("POST", f"{V1}/admin/users/{{username}}/disable"):              ADMIN_ONLY,
    ("POST", f"{V1}/admin/users/{{username}}/enable"):               ADMIN_ONLY,
    ("POST", f"{V1}/admin/users/{{username}}/password-reset"):       ADMIN_ONLY,
    ("GET", f"{V1}/admin/users/{{username}}/history"):               ADMIN_ONLY,
    ("POST", f"{V1}/admin/users/import"):                            signed_in(403, 403, 403, 403, 403, 422),
    # the working calendar (routes/calendar.py)
    ("GET", f"{V1}/calendar/deadline"):                              public(200),
    ("GET", f"{V1}/calendar/days"):                                  public(200),
    ("POST", f"{V1}/calendar/years"):                                signed_in(403, 403, 403, 403, 422, 403),
    ("POST", f"{V1}/calendar/amendments"):                           signed_in(403, 403, 403, 403, 422, 403),
    # check items and plans (routes/checklist.py)
    ("POST", f"{V1}/check-items"):                                   signed_in(422, 422, 422, 422, 403, 403),
    ("GET", f"{V1}/check-items"):                                    ANY_ACCOUNT,
    ("PUT", f"{V1}/check-items/{{item_id}}"):                        SCJG_COMMAND,
    ("GET", f"{V1}/check-items/{{item_id}}"):                        ANY_ACCOUNT,
    ("POST", f"{V1}/check-items/{{item_id}}/retirement"):            SCJG_COMMAND,
    ("GET", f"{V1}/check-items/{{item_id}}/changes"):                SCJG_READ,
    ("GET", f"{V1}/joint-checklist"):                                OFFICE_ONLY,
    ("POST", f"{V1}/plans"):                                         signed_in(422, 422, 422, 422, 422, 403),
    ("GET", f"{V1}/plans"):                                          ANY_ACCOUNT,
    ("PUT", f"{V1}/plans/{{plan_id}}"):                              signed_in(422, 403, 403, 422, 403, 403),
    ("GET", f"{V1}/plans/{{plan_id}}"):                              ANY_ACCOUNT,  # published: every account
    ("POST", f"{V1}/plans/{{plan_id}}/publication"):                 SCJG_COMMAND,
    ("GET", f"{V1}/plans/{{plan_id}}/changes"):                      SCJG_READ,
    ("GET", f"{V1}/public/check-items"):                             public(200),
    ("GET", f"{V1}/public/joint-checklist"):                         public(200),
    ("GET", f"{V1}/public/plans"):                                   public(200),
    ("GET", f"{V1}/public/plans/{{plan_id}}"):                       public(200),
    # departments (routes/departments.py)
    ("GET", f"{V1}/departments"):                                    ANY_ACCOUNT,
    # the directories (routes/directory.py); another department's inspector is 404, as if unknown
    ("POST", f"{V1}/subjects/imports"):                              signed_in(202, 202, 202, 202, 202, 403),
    ("POST", f"{V1}/inspectors/imports"):                            signed_in(202, 202, 202, 202, 202, 403),
    ("GET", f"{V1}/imports/{{import_id}}"):                          SCJG_READ,
    ("GET", f"{V1}/imports/{{import_id}}/rejections"):               SCJG_READ,
    ("GET", f"{V1}/subjects"):                                       ANY_ACCOUNT,
    ("GET", f"{V1}/subjects/{{code}}"):                              ANY_ACCOUNT,
    ("PUT", f"{V1}/subjects/{{code}}"):                              signed_in(422, 422, 422, 422, 422, 403),
    ("GET", f"{V1}/subjects/{{code}}/changes"):                      ANY_ACCOUNT,
    ("GET", f"{V1}/inspectors"):                                     ANY_ACCOUNT,
    ("GET", f"{V1}/inspectors/{{resident_id}}"):                     signed_in(200, 404, 404, 200, 200, 404),
    ("PUT", f"{V1}/inspectors/{{resident_id}}"):                     signed_in(422, 403, 403, 422, 422, 403),
    ("GET", f"{V1}/inspectors/{{resident_id}}/changes"):             signed_in(200, 404, 404, 200, 200, 404),
    ("GET", f"{V1}/public/inspectors"):                              public(200),
    # draws (routes/draws.py)
    ("POST", f"{V1}/joint-tasks/{{task_id}}/draws"):                 SCJG_COMMAND,
    # the lead: 409 "already executed" (the draw was executed while the scenario was built)
    ("POST", f"{V1}/joint-tasks/{{task_id}}/draws/{{draw_id}}/execution"): SCJG_COMMAND,
    ("GET", f"{V1}/draws/{{draw_id}}"):                              PARTY_READ,
    ("GET", f"{V1}/draws/{{draw_id}}/pool"):                         PARTY_READ,
    ("GET", f"{V1}/draws/{{draw_id}}/verification"):                 PARTY_READ,
    ("GET", f"{V1}/subjects/{{code}}/overlap"):                      signed_in(200, 200, 200, 200, 200, 403),
    ("GET", f"{V1}/public/draws/{{draw_id}}"):                       public(200),
    ("GET", f"{V1}/public/draws/{{draw_id}}/pool"):                  public(200),
    # inbox (routes/inbox.py)
    ("GET", f"{V1}/inbox"):                                          ANY_ACCOUNT,
    # matching inspectors (routes/matchings.py); another department's matching is 404, as if unknown
    ("POST", f"{V1}/joint-tasks/{{task_id}}/matchings"):             PARTICIPANT_COMMAND,
    ("GET", f"{V1}/joint-tasks/{{task_id}}/matchings"):              PARTY_READ,
    ("POST", f"{V1}/joint-tasks/{{task_id}}/matchings/{{match_id}}/execution"): signed_in(409, 404, 404, 409, 404,
                                                                                          403),
    ("POST", f"{V1}/joint-tasks/{{task_id}}/matchings/replacements"): signed_in(422, 422, 409, 422, 409, 403),
    ("POST", f"{V1}/joint-tasks/{{task_id}}/matchings/assignment"):  PARTICIPANT_COMMAND,
    ("GET", f"{V1}/joint-tasks/{{task_id}}/matchings/{{department}}/verification"): PARTY_READ,
    ("POST", f"{V1}/conflicts"):                                     SCJG_OR_OFFICE_COMMAND,
    # notices (routes/notices.py); N names wlj, which acknowledged it
    ("POST", f"{V1}/notices"):                                       signed_in(403, 403, 403, 403, 422, 403),
    ("GET", f"{V1}/notices"):                                        ANY_ACCOUNT,
    ("POST", f"{V1}/notices/{{notice_id}}/acknowledgement"):         signed_in(403, 409, 403, 403, 403, 403),
    # the office's oversight (routes/oversight.py)
    ("GET", f"{V1}/oversight/late-responses"):                       OFFICE_ONLY,
    ("GET", f"{V1}/oversight/tasks-without-day"):                    OFFICE_ONLY,
    ("GET", f"{V1}/oversight/overdue-results"):                      OFFICE_ONLY,
    ("GET", f"{V1}/oversight/overdue-results/subjects"):             OFFICE_ONLY,
    ("GET", f"{V1}/oversight/department-figures"):                   OFFICE_ONLY,
    ("GET", f"{V1}/oversight/fusion-suggestions"):                   OFFICE_ONLY,
    ("GET", f"{V1}/oversight/overdue-objections"):                   OFFICE_ONLY,
    ("GET", f"{V1}/oversight/overdue-requests"):                     OFFICE_ONLY,
    ("GET", f"{V1}/oversight/requests-summary"):                     OFFICE_ONLY,
    ("GET", f"{V1}/oversight/overdue-archives"):                     OFFICE_ONLY,
    # published results (routes/public.py)
    ("GET", f"{V1}/public/results"):                                 public(200),
    ("GET", f"{V1}/public/subjects/{{subject_code}}/results"):       public(200),
    # operations (http/operations.py)
    ("GET", "/healthz"):                                             public(200),
    ("GET", "/readyz"):                                              public(200),
    ("GET", "/metrics"):                                             public(200),
}


# ---- what each row sends besides its path (rows not named here send nothing) ---------------------------------
def _result_entry(s: "Scenario") -> dict:
    return {"subject_code": s.ids["subject"], "item_ids": [ITEM_IDS["食品经营检查"]], "methods": ["on_site"],
            "outcome": "pass", "inspector_ids": s.team, "inspected_on": "2026-03-10"}


EMPTY_CSV = ("\ufeff" + ",".join(HEADER) + "\n").encode()  # a header and no row: the import changes nothing
WITNESSES = [{"name": "张律师", "role": "legal_adviser"}]

REQUESTS: dict[tuple[str, str], Callable[["Scenario"], dict[str, Any]]] = {
    ("POST", f"{V1}/joint-tasks"): lambda s: {"json": {  # an unknown department: 422 once past the role check
        "title": "越权检查", "responding_departments": ["nosuch"], "window_start": "2026-04-01",
        "window_end": "2026-04-30", "items": ["食品经营检查"], "planned": True, "note": ""}},
    ("POST", f"{V1}/joint-tasks/{{task_id}}/responses"): lambda s: {"json": {
        "decision": "decline", "item_ids": [], "reason": "无相关事项"}},
    ("POST", f"{V1}/joint-tasks/{{task_id}}/late-reason"): lambda s: {"json": {"reason": "人员外出执法"}},
    ("POST", f"{V1}/joint-tasks/{{task_id}}/inspection-day/proposals"): lambda s: {"json": {"day": "2026-03-20"}},
    ("POST", f"{V1}/joint-tasks/{{task_id}}/inspections"): lambda s: {"json": {"completed_on": "2026-03-10"}},
    ("POST", f"{V1}/joint-tasks/{{task_id}}/publications"): lambda s: {"json": {"note": ""}},
    ("POST", f"{V1}/joint-tasks/{{task_id}}/cancellation"): lambda s: {"json": {"reason": "上级专项行动已覆盖"}},
    ("POST", f"{V1}/joint-tasks/{{task_id}}/merge"): lambda s: {"json": {"into_task_id": s.ids["other_task"]}},
    ("POST", f"{V1}/joint-tasks/{{task_id}}/results"): lambda s: {"json": _result_entry(s)},
    ("POST", f"{V1}/joint-tasks/{{task_id}}/results/batch"): lambda s: {"json": {"results": [_result_entry(s)]}},
    ("PUT", f"{V1}/departments/{{code}}/result-settings"): lambda s: {"json": {  # the values scjg has
        "review_required": False, "publish_days": 20, "answer_days": 7}},
    ("POST", f"{V1}/results/{{result_id}}/corrections"): lambda s: {"json": {  # "nobody" is no approver: 422
        "reason": "笔误", "approver": "nobody", "changes": {"findings": "更正后的检查情况"}}},
    ("POST", f"{V1}/results/{{result_id}}/objections"): lambda s: {"json": {"reason": "结果记载有误"} | CONTACT},
    ("POST", f"{V1}/objections/{{objection_id}}/review"): lambda s: {"json": {  # corrected without a correction
        "decision": "corrected", "opinion": "复查意见"}},
    ("POST", f"{V1}/objections/{{objection_id}}/answer"): lambda s: {"json": {"answer": "答复内容"}},
    ("POST", f"{V1}/joint-tasks/{{task_id}}/requests"): lambda s: {"json": {  # blank content: 422 past the role
        "subject_code": s.ids["subject"], "content": "   "}},
    ("POST", f"{V1}/requests/{{request_id}}/answer"): lambda s: {"json": {"answer": "答复内容"}},
    ("POST", f"{V1}/requests/{{request_id}}/forward"): lambda s: {"json": {"to_department": "wlj",
                                                                            "note": "转交主管部门"}},
    ("POST", f"{V1}/public/visits/lookup"): lambda s: {"json": {"code": s.visit_code,
                                                                "subject_code": s.ids["subject"]}},
    ("POST", f"{V1}/public/visits/objections"): lambda s: {"json": {  # the result's objection is open: 409
        "code": s.visit_code, "subject_code": s.ids["subject"], "result_id": s.ids["result_id"],
        "reason": "结果记载有误"} | CONTACT},
    ("POST", f"{V1}/public/visits/requests"): lambda s: {"json": {  # blank content: 422
        "code": s.visit_code, "subject_code": s.ids["subject"], "content": "   "} | CONTACT},
    ("POST", f"{V1}/auth/login"): lambda s: {"json": {"username": "scjg", "password": DEMO_PASSWORD}},
    ("POST", f"{V1}/auth/password"): lambda s: {"json": {  # the right password, unchanged: 422, nothing counted
        "current_password": DEMO_PASSWORD, "new_password": DEMO_PASSWORD}},
    ("POST", f"{V1}/admin/departments"): lambda s: {"json": {"code": "有 空格", "name": "部门"}},
    ("PATCH", f"{V1}/admin/departments/{{code}}"): lambda s: {"json": {"region": "示范市"}},  # as it is
    ("POST", f"{V1}/admin/departments/import"): lambda s: {"files": {"file": ("d.csv", EMPTY_CSV, "text/csv")}},
    ("POST", f"{V1}/admin/users"): lambda s: {"json": {"username": "matrix_new", "display_name": "某",
                                                        "department_code": "nowhere", "roles": ["approver"]}},
    ("PATCH", f"{V1}/admin/users/{{username}}"): lambda s: {"json": {"display_name": SPARE_NAME}},  # as it is
    ("POST", f"{V1}/admin/users/import"): lambda s: {"files": {"file": ("u.csv", EMPTY_CSV, "text/csv")}},
    ("GET", f"{V1}/calendar/deadline"): lambda s: {"params": {"start": "2026-03-02T09:00:00+08:00",
                                                              "working_days": 2}},
    ("GET", f"{V1}/calendar/days"): lambda s: {"params": {"from": "2026-03-02", "to": "2026-03-08"}},
    ("POST", f"{V1}/calendar/years"): lambda s: {"json": {"year": 2027, "holidays": ["2026-10-01"]}},
    ("POST", f"{V1}/calendar/amendments"): lambda s: {"json": {"day": "2026-03-20", "working": False,
                                                               "reason": "   "}},
    ("POST", f"{V1}/check-items"): lambda s: {"json": ITEM | {"code": "MATRIX-A-9", "ratio": "50"}},  # A > 10 %
    ("PUT", f"{V1}/check-items/{{item_id}}"): lambda s: {"json": ITEM | {"code": "MATRIX-A-1"}},
    ("POST", f"{V1}/check-items/{{item_id}}/retirement"): lambda s: {"json": {"reason": "不再列入清单"}},
    ("POST", f"{V1}/plans"): lambda s: {"json": PLAN | {"name": "越权计划", "item_ids": [str(uuid4())]}},
    ("PUT", f"{V1}/plans/{{plan_id}}"): lambda s: {"json": PLAN | {  # adjusting a published plan needs a reason
        "item_ids": [s.ids["plan_item"]], "ratio": "6", "reason": ""}},
    ("POST", f"{V1}/subjects/imports"): lambda s: {"files": {"file": ("matrix.csv", EMPTY_CSV, "text/csv")}},
    ("POST", f"{V1}/inspectors/imports"): lambda s: {"files": {"file": ("matrix.csv", EMPTY_CSV, "text/csv")}},
    ("PUT", f"{V1}/subjects/{{code}}"): lambda s: {"json": {}},
    ("PUT", f"{V1}/inspectors/{{resident_id}}"): lambda s: {"json": {"department_code": "scjg"}},
    ("POST", f"{V1}/joint-tasks/{{task_id}}/draws"): lambda s: {"json": {"criteria": {"count": 1},
                                                                         "witnesses": WITNESSES}},
    ("POST", f"{V1}/joint-tasks/{{task_id}}/matchings"): lambda s: {"json": {"team_size": 2}},
    ("POST", f"{V1}/joint-tasks/{{task_id}}/matchings/replacements"): lambda s: {"json": {  # not in the team
        "subject_code": s.ids["subject"], "inspector": generate_resident_id(999), "reason": "health",
        "approver": "scjg_fzr"}},
    ("POST", f"{V1}/joint-tasks/{{task_id}}/matchings/assignment"): lambda s: {"json": {
        "teams": {code: s.team for code in s.subjects}, "reason": "人手不足", "approver": "scjg_fzr"}},
    ("POST", f"{V1}/conflicts"): lambda s: {"json": {  # declared already
        "inspector_id": s.ids["resident_id"], "subject_code": s.ids["conflict_subject"], "reason": "亲属关系"}},
    ("GET", f"{V1}/oversight/department-figures"): lambda s: {"params": {"from": "2026-03-01", "to": "2026-03-31"}},
    ("GET", f"{V1}/oversight/requests-summary"): lambda s: {"params": {"year": 2026, "quarter": 1}},
    ("POST", f"{V1}/notices"): lambda s: {"json": {  # wlj answered P in time: nothing to notify
        "department": "wlj", "subject": "逾期响应通报", "body": "通报内容", "task_ids": [s.ids["task_id"]]}},
}


# ---- the scenario ------------------------------------------------------------------------------------------------
@dataclass
class Scenario:
    server: LiveServer
    http: httpx.Client
    ids: dict[str, str]  # path parameter (and a few more) → value
    subjects: list[str]
    team: list[str]  # scjg's team on the first subject
    visit_code: str
    tokens: dict[str, str] = field(default_factory=dict)  # role → bearer token
    before: dict[str, Any] = field(default_factory=dict)  # what the matrix must leave as it is

    def login(self, username: str) -> str:
        response = self.http.post(f"{V1}/auth/login", json={"username": username, "password": DEMO_PASSWORD})
        return str(created(response, 200)["access_token"])

    def path(self, template: str) -> str:
        """The template with the scenario's ids; {code} is a department's under /departments/, else a subject's."""
        values = self.ids | {"code": "scjg" if "/departments/" in template else self.ids["subject"]}
        return template.format(**values)

    def send(self, method: str, template: str, role: str) -> httpx.Response:
        token = self.tokens.get(role)
        if (method, template) == ("POST", f"{V1}/auth/logout") and role in ACCOUNTS:
            token = self.login(ACCOUNTS[role])  # a token of its own: the role's keeps working for the other rows
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        extra = REQUESTS.get((method, template), lambda s: {})(self)
        return self.http.request(method, self.path(template), headers=headers, **extra)

    def snapshot(self) -> dict[str, Any]:
        """The scenario's records as the office reads them."""
        office = {"Authorization": f"Bearer {self.tokens['office']}"}
        paths = [f"{V1}/joint-tasks/{self.ids['task_id']}", f"{V1}/joint-tasks/{self.ids['other_task']}",
                 f"{V1}/joint-tasks/{self.ids['task_id']}/results", f"{V1}/objections/{self.ids['objection_id']}",
                 f"{V1}/requests/{self.ids['request_id']}", f"{V1}/notices", f"{V1}/check-items/{self.ids['item_id']}",
                 f"{V1}/plans/{self.ids['plan_id']}", f"{V1}/subjects/{self.ids['subject']}"]
        return {p: created(self.http.get(p, headers=office), 200) for p in paths}


def _store_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty store, as conftest's `database_url` makes one, for the module."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'store.db'}"
    return empty_schema(str(request.getfixturevalue("pg_database_url")))


@pytest.fixture(scope="module", params=BACKENDS)
def matrix(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           password_hash: str) -> Iterator[Scenario]:
    """The services, a live server and the scenario, once per store (conftest's `services` and `server`, for the
    module)."""
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI))
    services = build_services(Settings(database_url=_store_url(request, tmp_path_factory), env="test",
                                       projection_poll_seconds=0.02, token_ttl_hours=24 * 30,
                                       deadline_check_seconds=3600), clock)
    try:
        with services.engine.begin() as conn:
            load_accounts(conn, password_hash)
        load_checklist(services)
        with LiveServer.start(services) as server, httpx.Client(base_url=server.base_url, timeout=30) as http:
            yield _build(server, http, clock, password_hash)
    finally:
        services.close()


def _build(server: LiveServer, http: httpx.Client, clock: FakeClock, password_hash: str) -> Scenario:
    other_task = pushed_task(server)  # O: scjg → wlj, gxj on Mon 2 Mar; nobody answers it
    case = _published(server, clock)  # P, published on Wed 11 Mar 10:00, where the clock stays
    task_id, subject = case["task_id"], case["codes"][0]
    scjg, wlj, office = server.client("scjg"), server.client("wlj"), server.client("office")
    result_id = case["ids"]["scjg", subject]
    task = office.get(f"/joint-tasks/{task_id}").json()
    match_id = office.get(f"/joint-tasks/{task_id}/matchings").json()["departments"]["scjg"]["match_id"]
    created(scjg.post(f"/joint-tasks/{task_id}/archives"))
    objection = created(scjg.post(f"/results/{result_id}/objections", json={"reason": "企业书面提出异议"} | CONTACT))
    request = created(server.client().post("/public/visits/requests", json={
        "code": case["visit_codes"][subject], "subject_code": subject, "content": "希望尽快出具检查结论"} | CONTACT))
    created(scjg.post(f"/requests/{request['id']}/answer", json={"answer": "已出具检查结论"}))
    notice = created(office.post("/notices", json={"department": "wlj", "subject": "逾期未响应通报",
                                                   "body": "贵局未在期限内响应联合任务。", "task_ids": [other_task]}))
    created(wlj.post(f"/notices/{notice['id']}/acknowledgement"))
    resident_id, conflict_subject = generate_resident_id(100), generate_uscc(99)
    created(scjg.post("/conflicts", json={"inspector_id": resident_id, "subject_code": conflict_subject,
                                          "reason": "近亲属任职"}))
    imported = finished(scjg, scjg.post("/subjects/imports", files={"file": ("setup.csv", EMPTY_CSV, "text/csv")}))
    retired = created(scjg.post("/check-items", json=ITEM | {"code": "MATRIX-A-1"}))
    created(scjg.post(f"/check-items/{retired['id']}/retirement", json={"reason": "合并到其他事项"}))
    plan_item = created(scjg.post("/check-items", json=ITEM | {"code": "MATRIX-A-2"}))["id"]
    plan = created(scjg.post("/plans", json=PLAN | {"item_ids": [plan_item]}))
    created(scjg.post(f"/plans/{plan['id']}/publication"))
    scenario = Scenario(server=server, http=http, subjects=case["codes"], team=case["teams"]["scjg"][subject],
                        visit_code=case["visit_codes"][subject], ids={
                            "task_id": task_id, "other_task": other_task, "subject": subject,
                            "subject_code": subject, "result_id": result_id, "draw_id": task["current_draw"],
                            "match_id": match_id, "department": "scjg", "objection_id": objection["id"],
                            "request_id": request["id"], "notice_id": notice["id"], "resident_id": resident_id,
                            "conflict_subject": conflict_subject, "import_id": imported["id"],
                            "item_id": retired["id"], "plan_item": plan_item, "plan_id": plan["id"],
                            "username": SPARE_USER})
    scenario.tokens = {role: scenario.login(username) for role, username in ACCOUNTS.items()}
    scenario.tokens["disabled"] = _disabled_token(scenario, password_hash)
    scenario.tokens["expired"] = _expired_token(scenario, clock)
    wait_for_read_models(server)
    scenario.before = scenario.snapshot()
    return scenario


def _disabled_token(scenario: Scenario, password_hash: str) -> str:
    """An scjg clerk who logged in and used the token (now in the token cache), then was disabled: users.active =
    False, the token's row left in place, and the cache emptied as every revocation empties it (TokenCache.clear;
    the `jointinspect_tokens` NOTIFY in other processes). Also the spare account the administrators' rows use."""
    services = scenario.server.services
    with services.engine.begin() as conn:
        scjg = department_ids(conn)["scjg"]
        add_user(conn, DISABLED_USER, None, scjg, ["department_staff"], password_hash=password_hash)
        add_user(conn, SPARE_USER, None, scjg, ["department_staff"], SPARE_NAME, password_hash=password_hash)
    token = scenario.login(DISABLED_USER)
    assert scenario.http.get(f"{V1}/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with services.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == DISABLED_USER).values(active=False))
    services.tokens.clear()
    return token


def _expired_token(scenario: Scenario, clock: FakeClock) -> str:
    """scjg's token issued one lifetime before now: it expires at the very instant the matrix runs in."""
    now = clock.now()
    clock.set(now - scenario.server.services.token_ttl)
    try:
        return scenario.login("scjg")
    finally:
        clock.set(now)


# ---- the tests ---------------------------------------------------------------------------------------------------
def test_every_endpoint_has_a_row(tmp_path: Path) -> None:
    """Every operation of the schema has a row and every row an operation; every row names every caller."""
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'unused.db'}", env="test"))  # never started
    operations = {(method.upper(), path) for path, item in app.openapi()["paths"].items()
                  for method in item if method in HTTP_METHODS} - EXCLUDED
    assert sorted(operations - TABLE.keys()) == [], "operations without a row in TABLE"
    assert sorted(TABLE.keys() - operations) == [], "rows in TABLE for operations that no longer exist"
    assert sorted(REQUESTS.keys() - TABLE.keys()) == [], "requests for rows that do not exist"
    assert [key for key, row in TABLE.items() if set(row) != set(ROLES)] == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(TABLE), ids=[f"{m} {p.removeprefix(V1)}" for m, p in TABLE])
def test_authorisation(matrix: Scenario, endpoint: tuple[str, str], role: str) -> None:
    method, template = endpoint
    expected = TABLE[endpoint][role]
    response = matrix.send(method, template, role)
    allowed = expected if isinstance(expected, frozenset) else {expected}
    assert response.status_code in allowed, (
        f"{role} {method} {matrix.path(template)}: {response.status_code}, expected {sorted(allowed)}: "
        f"{response.text[:300]}")
    if response.status_code == 401:  # the one error shape, and which refusal
        code = "unauthenticated" if role == "anonymous" else "invalid_token"
        assert response.json()["error"]["code"] == code and response.headers["WWW-Authenticate"] == "Bearer"


def test_the_matrix_changed_nothing_the_scenario_holds(matrix: Scenario) -> None:
    """Runs after the matrix (on the same store): no command past authorisation changed what the rows read."""
    wait_for_read_models(matrix.server)
    assert matrix.snapshot() == matrix.before


def test_the_dead_tokens_were_refused_for_what_they_are(matrix: Scenario) -> None:
    """The disabled account's and the expired token kept their rows through the matrix: their 401s came from the
    account's state and the token's expiry, not from a token the server no longer knows."""
    digests = {hashlib.sha256(matrix.tokens[role].encode()).hexdigest() for role in ("disabled", "expired")}
    with matrix.server.services.engine.connect() as conn:
        kept = conn.execute(select(auth_tokens.c.token_hash).where(auth_tokens.c.token_hash.in_(digests)))
        assert set(kept.scalars()) == digests
