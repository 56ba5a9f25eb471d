"""The browser UI end to end: a real Chromium on the live server, on SQLite and PostgreSQL (R-JOINT-1..4)."""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from api.demo import DEMO_PASSWORD
from tests.support import head

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests with the reason (with CI=true it fails them)
    expect = None

TITLE = "城区餐饮单位食品安全联合检查"
ITEMS = ["食品经营检查", "文化市场经营检查", "工业产品生产许可检查"]
ITEM_LABELS = ["食品经营检查（市场监督管理局）", "文化市场经营检查（文化和旅游局）", "工业产品生产许可检查（工业和信息化局）"]


def login(page: Any, username: str) -> None:
    """Log in through the login page as a demo user; lands on 工作台 (the to-do page)."""
    page.goto("/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="工作台", level=1)).to_be_visible()


def open_new_task_form(page: Any) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="发起联合任务").click()
    expect(page.get_by_role("heading", name="发起联合任务", level=1)).to_be_visible()


def fill_task_form(page: Any, *, title: str, departments: list[str], start: str, end: str) -> None:
    page.get_by_label("任务名称").fill(title)
    for name in departments:
        page.get_by_label(name, exact=True).check()
    page.get_by_label("开始日期").fill(start)
    page.get_by_label("结束日期").fill(end)
    for label in ITEM_LABELS:  # the checklist offers only the chosen departments' joint items (R-ITEM-3)
        box = page.get_by_label(label, exact=True)
        if box.count():
            box.check()


# R-JOINT-1 R-JOINT-3
def test_lead_initiates_a_task_through_the_form_and_sees_it_in_my_tasks(page, server, screenshot):
    login(page, "scjg")
    expect(page.locator("#who-dept")).to_have_text("市场监督管理局")
    expect(page.get_by_role("link", name="逾期响应")).to_be_hidden()  # the office's page only
    open_new_task_form(page)
    fill_task_form(page, title=TITLE, departments=["文化和旅游局", "工业和信息化局"], start="2026-03-09",
                   end="2026-04-30")
    expect(page.get_by_label("消防安全检查（应急管理局）")).to_have_count(0)  # 应急管理局 is not a party (R-ITEM-3)
    posts: list[dict[str, str]] = []
    page.on("request", lambda r: posts.append(r.headers) if r.method == "POST" and r.url.endswith(
        "/api/v1/joint-tasks") else None)
    page.get_by_role("button", name="发起并推送").dblclick()  # a double click must record one task

    expect(page.get_by_role("heading", name="我的任务", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("响应期限 2026-03-04")
    row = page.locator("table.tasks-table tbody tr", has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("市场监督管理局")
    expect(row.locator("td").nth(2)).to_have_text("待响应")
    expect(row.locator("td").nth(5)).to_contain_text("2026-03-04")  # pushed Mon 2 Mar → end of Wed 4 Mar
    expect(row.locator("td").nth(5)).to_contain_text("剩余 2 个工作日")  # Tue and Wed, by the office's calendar
    page.get_by_role("tab", name="我牵头的").click()
    expect(page.locator("table.tasks-table tbody tr", has_text=TITLE)).to_have_count(1)
    screenshot()

    assert len(posts) == 1 and re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                                            posts[0].get("idempotency-key", "")), posts
    tasks = server.client("scjg").get("/joint-tasks").json()
    assert tasks["total"] == 1, tasks
    task = tasks["items"][0]
    assert task["title"] == TITLE and sorted(i["name"] for i in task["item_details"]) == sorted(ITEMS)
    assert sorted(d["department"] for d in task["departments"] if d["role"] == "responder") == ["gxj", "wlj"]


def test_responder_accepts_its_own_item_and_sees_status_items_and_timeline(page, server, screenshot):  # R-JOINT-3
    task_id = server.client("scjg").initiate(title=TITLE).json()["id"]
    login(page, "wlj")
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    wlj = page.locator('.responses-table tr[data-department="wlj"]')
    expect(wlj.locator(".response-status")).to_have_text("待响应")
    items = page.locator(".items-by-department")
    expect(items.locator('[data-department="scjg"]')).to_contain_text("食品经营检查")  # labelled by department
    expect(items.locator('[data-department="wlj"]')).to_contain_text("待该部门响应")

    form = page.locator("form", has=page.get_by_role("heading", name="响应本任务"))
    expect(form.get_by_label("食品经营检查")).to_have_count(0)  # another department's item is not offered
    form.get_by_label("参加", exact=True).check()
    form.get_by_label("文化市场经营检查").check()
    form.get_by_role("button", name="提交响应").click()

    expect(page.get_by_role("status")).to_contain_text("已提交响应：参加")
    expect(wlj.locator(".response-status")).to_have_text("参加")
    expect(wlj).to_contain_text("文化市场经营检查")
    expect(items.locator('[data-department="wlj"]')).to_contain_text("参加检查")
    expect(page.locator("ol.timeline li", has_text="文化和旅游局响应：参加（事项：文化市场经营检查）")).to_have_count(1)
    expect(page.get_by_role("heading", name="响应本任务")).to_have_count(0)  # answered: the action is gone
    screenshot()

    body = server.client("wlj").get(f"/joint-tasks/{task_id}").json()
    response = {r["department_code"]: r for r in body["responses"]}["wlj"]
    names = {i["id"]: i["name"] for i in body["item_details"]}
    assert response["status"] == "accepted" and [names[i] for i in response["item_ids"]] == ["文化市场经营检查"]
    assert "respond" not in body["actions"]


def test_window_ending_before_it_starts_shows_the_api_message_and_records_nothing(page, server, console, screenshot):
    console.allow(422)  # the refusal this test provokes
    login(page, "scjg")
    open_new_task_form(page)
    fill_task_form(page, title=TITLE, departments=["文化和旅游局"], start="2026-04-30", end="2026-03-09")
    page.get_by_role("button", name="发起并推送").click()

    message = "时间窗口的结束日期不能早于开始日期。"
    expect(page.get_by_role("alert").filter(has_text=message)).to_be_visible()
    expect(page.locator('[data-field="window_end"] .field-error')).to_have_text(message)
    expect(page.get_by_label("结束日期")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("heading", name="发起联合任务", level=1)).to_be_visible()  # still on the form
    screenshot()

    assert server.client("scjg").get("/joint-tasks").json()["total"] == 0
    assert head(server) == 0  # no event at all in the store


def test_office_sees_late_responses_once_the_deadline_has_passed(page, server, clock, screenshot):  # R-JOINT-4
    task_id = server.client("scjg").initiate(title=TITLE).json()["id"]
    clock.advance(timedelta(days=3))  # Thu 5 Mar: the deadline (end of Wed 4 Mar) has passed
    login(page, "office")
    expect(page.locator("#who-dept")).to_have_text("联席会议办公室")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="逾期响应").click()
    expect(page.get_by_role("heading", name="逾期响应", level=1)).to_be_visible()

    rows = page.locator(f'table.late-table tbody tr[data-task-id="{task_id}"]')
    expect(rows).to_have_count(2)
    for code, name in (("gxj", "工业和信息化局"), ("wlj", "文化和旅游局")):
        row = page.locator(f'table.late-table tbody tr[data-task-id="{task_id}"][data-department="{code}"]')
        expect(row).to_contain_text(TITLE)
        expect(row).to_contain_text(name)
        expect(row).to_contain_text("2026-03-04")
        expect(row).to_contain_text("未响应")
        expect(row).to_contain_text("逾期未响应")
    expect(page.get_by_role("navigation", name="分页")).to_contain_text("共 2 条")
    screenshot()
