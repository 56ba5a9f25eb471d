"""The shell of the web UI (issue 15): live updates, the to-do home, working-day countdowns, actions as the server
allows them, the task page's one source of truth, phones, wording, and a login shared by tabs. Real Chromium on
the live server, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from api.demo import DEMO_PASSWORD
from api.scheduler import DeadlineWatcher
from tests.support import INSPECTION_DAY, created, day_agreed_task, pushed_task
from tests.web.conftest import SCREENSHOTS
from tests.web.test_browser import TITLE, login

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests with the reason (with CI=true it fails them)
    expect = None

LIVE_TIMEOUT = 5_000  # ms: a change must reach another browser well within this (bench/ui.py measures it)


def new_page(browser: Any, server: Any, width: int = 1366, height: int = 768) -> Any:
    """Another browser (its own context: storage, login) on the live server; fails on uncaught script errors."""
    context = browser.new_context(base_url=server.base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.script_errors = errors  # type: ignore[attr-defined]
    return page


def task_row(page: Any, task_id: str) -> Any:
    return page.locator(f'table.tasks-table tbody tr[data-task-id="{task_id}"]')


# ---- live updates (item 1) ----------------------------------------------------------------------------
def test_a_pushed_task_appears_for_both_responders_without_reload_and_the_office_sees_the_late_one_live(
        browser, server, clock):  # R-JOINT-1 R-JOINT-3 R-JOINT-4
    pages = {code: new_page(browser, server) for code in ("scjg", "wlj", "gxj", "yjj", "office")}
    try:
        for code, page in pages.items():
            login(page, code)
        for code in ("wlj", "gxj"):
            pages[code].get_by_role("navigation", name="主导航").get_by_role("link", name="我的任务").click()
            expect(pages[code].get_by_text("没有符合条件的任务")).to_be_visible()
        pages["office"].get_by_role("navigation", name="主导航").get_by_role("link", name="逾期响应").click()
        expect(pages["office"].get_by_role("heading", name="逾期响应", level=1)).to_be_visible()

        task_id = pushed_task(server, title=TITLE, responding_departments=["wlj", "gxj", "yjj"])
        for code in ("wlj", "gxj"):  # no reload: the list follows /ws
            expect(task_row(pages[code], task_id)).to_contain_text("需本部门办理", timeout=LIVE_TIMEOUT)
        expect(pages["yjj"].locator('[data-todo="respond"] .todo-count')).to_have_text("1", timeout=LIVE_TIMEOUT)

        for code in ("wlj", "gxj"):
            page = pages[code]
            task_row(page, task_id).get_by_role("link", name=TITLE).click()
            form = page.locator("form", has=page.get_by_role("heading", name="响应本任务"))
            form.get_by_label("不参加", exact=True).check()
            form.get_by_label("不参加的理由（必填）").fill("本季度无相关检查任务")
            form.get_by_role("button", name="提交响应").click()
            expect(page.get_by_role("status")).to_contain_text("已提交响应：不参加")
        lead_row = pages["scjg"].locator('.responses-table tr[data-department="gxj"]')
        pages["scjg"].goto(f"/web/#/tasks/{task_id}")
        expect(lead_row.locator(".response-status")).to_have_text("不参加")

        clock.advance(timedelta(days=3))  # Thu 5 Mar: yjj's deadline (end of Wed 4 Mar) has passed
        assert DeadlineWatcher(server.services, 3600).check() == 1  # ResponseOverdue, as the watcher records it
        late = pages["office"].locator(f'table.late-table tbody tr[data-task-id="{task_id}"][data-department="yjj"]')
        expect(late).to_contain_text("逾期未响应", timeout=LIVE_TIMEOUT)
        for page in pages.values():
            assert not page.script_errors, page.script_errors
    finally:
        for page in pages.values():
            page.context.close()


def test_a_dropped_connection_shows_reconnecting_and_resumes_without_missing_or_repeating(browser, server):
    page = new_page(browser, server)
    try:
        login(page, "wlj")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的任务").click()
        expect(page.get_by_text("没有符合条件的任务")).to_be_visible()
        page.context.set_offline(True)
        expect(page.locator("#live-status")).to_have_text("连接中断，正在重连…", timeout=LIVE_TIMEOUT)
        missed = pushed_task(server, title="断线期间推送的任务")
        page.context.set_offline(False)
        expect(page.locator("#live-status")).to_be_hidden(timeout=15_000)
        expect(task_row(page, missed)).to_have_count(1, timeout=LIVE_TIMEOUT)  # replayed from after=<last>
        again = pushed_task(server, title="重连之后推送的任务")
        expect(task_row(page, again)).to_have_count(1, timeout=LIVE_TIMEOUT)
        expect(page.locator("table.tasks-table tbody tr")).to_have_count(2)  # nothing twice
    finally:
        page.context.close()


def test_a_pushed_task_and_its_later_changes_show_from_the_message_alone_without_reading_the_list(browser, server):
    """The message carries the changed row (api/http/ws.py): an open list patches its table without a request."""
    page = new_page(browser, server)
    try:
        login(page, "wlj")
        page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的任务").click()
        expect(page.get_by_text("没有符合条件的任务")).to_be_visible()
        reads: list[str] = []
        page.on("request", lambda request: reads.append(request.url) if "/joint-tasks" in request.url else None)
        task_id = pushed_task(server, title="由推送消息显示的任务", responding_departments=["wlj", "gxj"])
        expect(task_row(page, task_id)).to_contain_text("需本部门办理", timeout=LIVE_TIMEOUT)
        server.client("wlj").respond(task_id)  # as if from another tab: the row's own status changes live
        expect(task_row(page, task_id)).to_contain_text("参加", timeout=LIVE_TIMEOUT)
        expect(task_row(page, task_id).locator("td.num")).to_have_text("1/2")
        assert reads == [], reads
        assert not page.script_errors, page.script_errors
    finally:
        page.context.close()


# ---- the to-do home and list marks (item 2) --------------------------------------------------------------
def test_the_home_page_counts_to_dos_by_kind_and_each_count_opens_its_list(page, server):  # R-JOINT-3 R-JOINT-5
    responded = pushed_task(server, title="待提议检查日的任务", responding_departments=["wlj"])
    created(server.client("wlj").respond(responded))
    fresh = pushed_task(server, title=TITLE)
    login(page, "scjg")
    expect(page.locator('[data-todo="propose_day"] .todo-count')).to_have_text("1")
    expect(page.locator('[data-todo="respond"] .todo-count')).to_have_text("0")
    page.locator('[data-todo="propose_day"]').click()
    expect(page.get_by_role("heading", name="待提议检查日（1）")).to_be_visible()
    expect(page.locator(f'table.todo-table tr[data-task-id="{responded}"]')).to_contain_text("提议联合检查日")
    expect(page.locator(f'table.todo-table tr[data-task-id="{fresh}"]')).to_have_count(0)

    page.get_by_role("button", name="退出").click()
    login(page, "gxj")
    expect(page.locator('[data-todo="respond"] .todo-count')).to_have_text("1")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的任务").click()
    expect(task_row(page, fresh).locator(".todo-mark")).to_have_text("需本部门办理")


# ---- deadlines in working days (item 3) ------------------------------------------------------------------
def test_a_response_deadline_counts_working_days_and_turns_red_once_passed(page, server, clock):  # R-CAL-1
    task_id = pushed_task(server, title=TITLE)  # Mon 2 Mar 09:00: due end of Wed 4 Mar
    login(page, "wlj")
    page.goto(f"/web/#/tasks/{task_id}")
    expect(page.locator(".due")).to_have_text("剩余 2 个工作日")
    expect(page.locator(".due")).to_have_class("badge due due-normal")
    clock.advance(timedelta(days=2))
    page.reload()
    expect(page.locator(".due")).to_have_text("今日 24:00 截止")
    expect(page.locator(".due")).to_have_class("badge due due-urgent")
    clock.advance(timedelta(days=5))  # Mon 9 Mar: Thu 5, Fri 6 and Mon 9 Mar have passed
    page.reload()
    expect(page.locator(".due")).to_have_text("已逾期 3 个工作日")
    expect(page.locator(".due")).to_have_class("badge due due-overdue")


# ---- actions only when the server takes them (item 4) ----------------------------------------------------
def test_recording_the_inspection_is_offered_only_from_the_agreed_day(page, server, clock):  # R-JOINT-7
    task_id = day_agreed_task(server)  # agreed for INSPECTION_DAY (Tue 10 Mar); today is Mon 2 Mar
    login(page, "wlj")
    page.goto(f"/web/#/tasks/{task_id}")
    expect(page.get_by_role("heading", name="任务信息")).to_be_visible()
    expect(page.get_by_role("heading", name="登记检查完成")).to_have_count(0)  # the server would refuse it today
    clock.advance(timedelta(days=8))
    page.reload()
    expect(page.get_by_role("heading", name="登记检查完成")).to_be_visible()
    expect(page.get_by_label("完成日期")).to_have_value(INSPECTION_DAY)


# ---- the task page (items 6, 7) -----------------------------------------------------------------------
def test_the_progress_table_shows_the_agreed_day_as_a_date(page, server):  # R-JOINT-5
    task_id = day_agreed_task(server)
    login(page, "scjg")
    page.goto(f"/web/#/tasks/{task_id}")
    for code in ("scjg", "wlj"):
        expect(page.locator(f'.progress-table tr[data-department="{code}"] .day-cell')).to_have_text(INSPECTION_DAY)
    expect(page.locator(".task-number")).not_to_have_text(task_id)  # not a raw UUID


# ---- phones (item 8) ---------------------------------------------------------------------------------
def test_on_a_phone_no_page_is_wider_than_the_screen_and_the_menu_folds_away(browser, server):
    task_id = pushed_task(server, title=TITLE)
    page = new_page(browser, server, width=390, height=844)
    try:
        login(page, "wlj")
        SCREENSHOTS.mkdir(exist_ok=True)
        for name, hash_ in (("home", "#/home"), ("tasks", "#/tasks"), ("task", f"#/tasks/{task_id}"),
                            ("new-task", "#/tasks/new")):
            page.goto(f"/web/{hash_}")
            expect(page.locator("#view h1")).to_be_visible()
            width = page.evaluate("document.scrollingElement.scrollWidth")
            assert width <= 390, f"{name}: the page is {width} px wide on a 390 px screen"
            page.screenshot(path=str(SCREENSHOTS / f"phone-{name}.png"), full_page=True)
        nav = page.get_by_role("navigation", name="主导航")
        expect(nav).to_be_hidden()
        page.get_by_role("button", name="菜单").click()
        expect(nav.get_by_role("link", name="我的任务")).to_be_visible()
        assert not page.script_errors, page.script_errors
    finally:
        page.context.close()


# ---- wording (item 9) ---------------------------------------------------------------------------------
def test_an_empty_form_says_please_choose_each_date_and_lists_every_problem(page, server, console):
    console.allow(422)  # the refusal this test provokes
    login(page, "scjg")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="发起联合任务").click()
    page.get_by_role("button", name="发起并推送").click()
    summary = page.locator(".form-error")
    expect(summary).to_contain_text("请选择开始日期")
    expect(summary).to_contain_text("请选择结束日期")
    expect(page.locator('[data-field="window_start"] .field-error')).to_have_text("请选择开始日期")


# ---- the login across tabs (item 10) -------------------------------------------------------------------
def test_the_login_is_shared_by_tabs_and_logging_out_in_one_ends_it_in_all(page, server):
    task_id = pushed_task(server, title=TITLE)
    login(page, "wlj")
    second = page.context.new_page()
    second.goto(f"{server.base_url}/web/#/tasks/{task_id}")
    expect(second.get_by_role("heading", name=TITLE, level=1)).to_be_visible()  # no second login
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="登录", level=1)).to_be_visible()
    expect(second.get_by_role("heading", name="登录", level=1)).to_be_visible()
    expect(second.get_by_role("alert")).to_contain_text("已在其他窗口退出登录")
    second.get_by_label("用户名").fill("wlj")
    second.get_by_label("密码").fill(DEMO_PASSWORD)
    second.get_by_role("button", name="登录").click()
    expect(second.get_by_role("heading", name=TITLE, level=1)).to_be_visible()  # back where the clerk was
