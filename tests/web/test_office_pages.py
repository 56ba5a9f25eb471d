"""The joint meeting office's pages in Chromium (issue 15): oversight tables with as_of, exports and charts, live
late responses, notices (issue, confirm, acknowledge), the working calendar and fusion suggestions; on SQLite and
PostgreSQL (R-OVER-1, R-JOINT-4, R-JOINT-5, R-JOINT-8, R-PUB-1, R-CAL-1, R-CAL-2)."""
from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import insert

from api.storage.tables import subjects
from domain.clock import SHANGHAI
from domain.codes import generate_uscc
from tests.support import INSPECTION_DAY, created, day_agreed_task, head, office_view
from tests.web.test_browser import login

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests with the reason (with CI=true it fails them)
    expect = None

TITLE = "城区餐饮单位食品安全联合检查"
OFFICE_LINKS = ["逾期响应", "未确定检查日", "结果逾期", "部门响应统计", "融合建议", "工作日历"]


def nav(page: Any, name: str, heading: str | None = None) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=heading or name, level=1)).to_be_visible()


def logout(page: Any) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("button", name="登录")).to_be_visible()


def late_row(page: Any, task_id: str, department: str) -> Any:
    return page.locator(f'table.late-table tbody tr[data-task-id="{task_id}"][data-department="{department}"]')


def notices(server: Any, username: str) -> dict:
    """GET /notices as `username`, once the read model has every event recorded so far."""
    return created(server.client(username).get("/notices", params={"min_position": head(server)}), 200)


def late_task(server: Any, clock: Any) -> str:
    """A task pushed Mon 2 Mar 09:00 to wlj and gxj; the clock then stands on Thu 5 Mar 09:00, both overdue."""
    task_id = created(server.client("scjg").initiate(title=TITLE))["id"]
    clock.advance(timedelta(days=3))
    return task_id


# ---- menus and access ---------------------------------------------------------------------------------------

def test_departments_see_the_notices_entry_but_none_of_the_office_pages(page, server, console):  # R-OVER-1 R-JOINT-4
    console.allow(403)  # the refusal this test provokes
    login(page, "scjg")
    menu = page.get_by_role("navigation", name="主导航")
    expect(menu.get_by_role("link", name="通报", exact=True)).to_be_visible()
    for name in OFFICE_LINKS:
        expect(menu.get_by_role("link", name=name, exact=True)).to_have_count(0)
    page.goto("/#/oversight/tasks-without-day")  # typed address: the server refuses, the page says so
    expect(page.get_by_role("alert").filter(has_text="联席会议办公室")).to_be_visible()
    expect(page.locator("table.no-day-table")).to_have_count(0)

    logout(page)
    login(page, "office")
    for name in [*OFFICE_LINKS, "通报"]:
        expect(menu.get_by_role("link", name=name, exact=True)).to_be_visible()


# ---- late responses: live, as_of, exports ---------------------------------------------------------------------

def test_late_responses_update_live_when_a_department_answers_after_its_deadline(page, server, clock):  # R-JOINT-4
    task_id = late_task(server, clock)
    login(page, "office")
    nav(page, "逾期响应")
    expect(late_row(page, task_id, "wlj")).to_contain_text("逾期未响应")
    page.evaluate("window.__stillHere = true")

    created(server.client("wlj").respond(task_id))  # Thu 5 Mar: a late acceptance

    expect(late_row(page, task_id, "wlj").locator("td").nth(5)).to_have_text("逾期响应")
    expect(late_row(page, task_id, "wlj").locator("td").nth(4)).to_have_text("参加")
    expect(late_row(page, task_id, "gxj")).to_contain_text("逾期未响应")
    assert page.evaluate("window.__stillHere") is True  # updated in place, not by reloading the page


def test_late_responses_as_of_a_past_instant_show_what_the_office_saw_then(  # R-OVER-1
        page, server, clock, screenshot, console):
    console.allow(422)  # the refusal this test provokes
    task_id = late_task(server, clock)
    created(server.client("wlj").respond(task_id))  # Thu 5 Mar 09:00, late
    clock.advance(timedelta(hours=2))
    login(page, "office")
    nav(page, "逾期响应")
    expect(late_row(page, task_id, "wlj").locator("td").nth(5)).to_have_text("逾期响应")

    page.get_by_label("查看时点").fill("2026-03-05T08:30")  # after the deadline, before wlj answered
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".as-of-banner")).to_contain_text("2026-03-05 08:30")
    expect(late_row(page, task_id, "wlj").locator("td").nth(5)).to_have_text("逾期未响应")
    expect(late_row(page, task_id, "wlj").get_by_role("button", name="发出通报")).to_have_count(0)  # the past
    assert "as_of=2026-03-05T08%3A30" in page.url or "as_of=2026-03-05T08:30" in page.url
    screenshot()

    page.reload()  # the instant is kept in the address
    expect(page.get_by_label("查看时点")).to_have_value("2026-03-05T08:30")
    expect(late_row(page, task_id, "wlj").locator("td").nth(5)).to_have_text("逾期未响应")

    page.get_by_label("查看时点").fill("2026-03-06T09:00")  # after the server's now
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("alert").filter(has_text="as_of 不能晚于当前时间")).to_be_visible()
    expect(page.get_by_label("查看时点")).to_have_attribute("aria-invalid", "true")

    page.get_by_role("button", name="回到当前").click()
    expect(page.locator(".as-of-banner")).to_have_count(0)
    expect(late_row(page, task_id, "wlj").locator("td").nth(5)).to_have_text("逾期响应")


def test_late_responses_export_csv_and_xlsx_with_the_token_as_of_the_chosen_instant(page, server, clock):  # R-OVER-1
    late_task(server, clock)
    login(page, "office")
    page.goto("/#/oversight/late-responses?as_of=2026-03-05T08:00")
    expect(page.locator(".as-of-banner")).to_be_visible()
    gets: list[dict[str, str]] = []
    page.on("request", lambda r: gets.append(r.headers) if "format=" in r.url else None)

    with page.expect_download() as csv_download:
        page.get_by_role("button", name="导出 CSV").click()
    assert csv_download.value.suggested_filename == "late-responses-as-of-20260305T0800.csv"
    text = open(csv_download.value.path(), encoding="utf-8").read()
    assert text.startswith("\ufeff任务编号,任务名称,部门,响应期限,响应时间,情形,逾期理由")
    assert text.count(TITLE) == 2 and "文化和旅游局" in text and "工业和信息化局" in text

    with page.expect_download() as xlsx_download:
        page.get_by_role("button", name="导出 XLSX").click()
    assert xlsx_download.value.suggested_filename == "late-responses-as-of-20260305T0800.xlsx"
    sheet = load_workbook(io.BytesIO(open(xlsx_download.value.path(), "rb").read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("任务编号", "任务名称", "部门") and len(rows) == 3
    assert all(h.get("authorization", "").startswith("Bearer ") for h in gets) and len(gets) == 2
    expect(page.get_by_role("status")).to_contain_text("已导出文件：late-responses-as-of-20260305T0800.xlsx")


# ---- notices ----------------------------------------------------------------------------------------------

def test_office_issues_a_notice_from_a_late_row_after_confirming_and_the_department_acknowledges_it(
        page, server, clock, screenshot):  # R-JOINT-4
    task_id = late_task(server, clock)
    login(page, "office")
    nav(page, "逾期响应")
    posts: list[dict[str, str]] = []
    page.on("request", lambda r: posts.append(r.headers) if r.method == "POST" and r.url.endswith(
        "/api/v1/notices") else None)
    late_row(page, task_id, "wlj").get_by_role("button", name="发出通报").click()

    composer = page.get_by_role("region", name="向文化和旅游局发出通报")
    expect(composer.get_by_label(f"{TITLE}（响应期限 2026-03-04，逾期未响应）")).to_be_checked()
    expect(composer.get_by_label("通报标题")).to_have_value("关于文化和旅游局逾期未响应联合任务且未说明理由的通报")
    expect(composer.get_by_label("通报内容")).to_have_value(
        re.compile(re.escape(f"《{TITLE}》，响应期限 2026-03-04，至今未响应")))
    composer.get_by_label("通报标题").fill("关于文化和旅游局逾期未响应的通报")
    composer.get_by_role("button", name="下一步：确认通报").click()

    confirm = page.get_by_role("region", name="请确认通报内容")
    expect(confirm).to_contain_text("通报发出后不能撤回")
    expect(confirm).to_contain_text("关于文化和旅游局逾期未响应的通报")
    screenshot()
    assert posts == [] and notices(server, "office")["total"] == 0  # nothing sent yet
    confirm.get_by_role("button", name="确认发出通报").dblclick()  # sent once

    expect(page.get_by_role("status")).to_contain_text("已向文化和旅游局发出通报“关于文化和旅游局逾期未响应的通报”")
    expect(composer).to_be_hidden()
    assert len(posts) == 1 and posts[0].get("idempotency-key")
    issued = notices(server, "office")
    assert issued["total"] == 1 and issued["items"][0]["department"] == "wlj"
    assert issued["items"][0]["task_ids"] == [task_id]
    nav(page, "通报")
    row = page.locator("table.notices-table tbody tr", has_text="关于文化和旅游局逾期未响应的通报")
    expect(row).to_contain_text("文化和旅游局")
    expect(row).to_contain_text("未签收")
    expect(row.get_by_role("button", name="签收")).to_have_count(0)  # the office does not acknowledge

    logout(page)
    login(page, "wlj")
    nav(page, "通报")
    row = page.locator("table.notices-table tbody tr", has_text="关于文化和旅游局逾期未响应的通报")
    expect(row).to_contain_text("至今未响应")
    row.get_by_role("button", name="签收通报：关于文化和旅游局逾期未响应的通报").click()
    expect(page.get_by_role("status")).to_contain_text("已签收通报")
    expect(row).to_contain_text("已签收 2026-03-05 09:00")
    expect(row.get_by_role("button", name="签收")).to_have_count(0)
    assert notices(server, "wlj")["items"][0]["acknowledged_at"]
    assert notices(server, "gxj")["total"] == 0  # a department sees its own only


def test_a_notice_on_a_response_whose_reason_arrived_meanwhile_shows_the_server_refusal(
        page, server, clock, console):  # R-JOINT-4
    console.allow(422)  # the refusal this test provokes
    task_id = late_task(server, clock)
    created(server.client("wlj").respond(task_id))  # late, no reason yet
    login(page, "office")
    nav(page, "逾期响应")
    late_row(page, task_id, "wlj").get_by_role("button", name="发出通报").click()
    composer = page.get_by_role("region", name="向文化和旅游局发出通报")
    composer.get_by_role("button", name="下一步：确认通报").click()
    expect(page.get_by_role("region", name="请确认通报内容")).to_be_visible()

    created(server.client("wlj").post(f"/joint-tasks/{task_id}/late-reason", json={"reason": "人员外出执法"}))
    expect(late_row(page, task_id, "wlj")).to_contain_text("逾期已说明")  # live; the composer stays open
    before = head(server)
    page.get_by_role("button", name="确认发出通报").click()

    message = f"任务“{TITLE}”中该部门没有未说明理由的逾期响应，不能据此通报。"
    expect(composer.get_by_role("alert").filter(has_text=message)).to_be_visible()
    expect(composer.get_by_label("通报标题")).to_be_visible()  # back on the form, to change or cancel
    assert head(server) == before and notices(server, "office")["total"] == 0
    expect(late_row(page, task_id, "wlj").get_by_role("button", name="发出通报")).to_have_count(0)


# ---- the other oversight tables -------------------------------------------------------------------------------

def test_tasks_without_day_list_a_responded_task_now_but_not_as_of_before_the_responses(
        page, server, clock):  # R-JOINT-5 R-OVER-1
    task_id = created(server.client("scjg").initiate(title=TITLE))["id"]
    clock.advance(timedelta(hours=1))  # 10:00
    created(server.client("wlj").respond(task_id))
    created(server.client("gxj").respond(task_id, "decline", [], reason="本季度无相关检查任务"))
    login(page, "office")
    nav(page, "未确定检查日")
    row = page.locator(f'table.no-day-table tbody tr[data-task-id="{task_id}"]')
    expect(row).to_contain_text(TITLE)
    expect(row).to_contain_text("市场监督管理局")
    expect(row).to_contain_text("已响应")
    expect(row).to_contain_text("尚未提议")
    expect(row.locator("td").nth(5)).to_have_text("0")

    page.get_by_label("查看时点").fill("2026-03-02T09:30")  # pushed, nobody had answered, deadline ahead
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".as-of-banner")).to_contain_text("2026-03-02 09:30")
    expect(page.locator("table.no-day-table tbody td.empty")).to_contain_text("没有待确定检查日的任务")
    with page.expect_download() as download:
        page.get_by_role("button", name="导出 CSV").click()
    assert download.value.suggested_filename == "tasks-without-day-as-of-20260302T0930.csv"
    row.page.get_by_role("button", name="回到当前").click()
    expect(row).to_be_visible()
    row.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()


def test_overdue_results_list_participants_that_entered_no_result_after_the_agreed_day(page, server, clock):  # R-PUB-1
    task_id = day_agreed_task(server)  # scjg and wlj agreed Tue 10 Mar
    login(page, "office")
    nav(page, "结果逾期")
    expect(page.locator("table.overdue-results-table tbody td.empty")).to_contain_text("没有逾期的检查结果")
    clock.set(datetime(2026, 3, 12, 9, tzinfo=SHANGHAI))
    page.get_by_role("button", name="查询").click()
    for code, name in (("scjg", "市场监督管理局"), ("wlj", "文化和旅游局")):
        row = page.locator(f'table.overdue-results-table tbody tr[data-task-id="{task_id}"][data-department="{code}"]')
        expect(row).to_contain_text(name)
        expect(row).to_contain_text(INSPECTION_DAY)
        expect(row).to_contain_text("检查后未录入结果")
    with page.expect_download() as download:
        page.get_by_role("button", name="导出 XLSX").click()
    assert download.value.suggested_filename == "overdue-results.xlsx"
    rows = list(load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active.iter_rows(values_only=True))
    assert len(rows) == 3 and rows[0][1] == "任务名称"


def test_department_figures_draw_on_time_bars_and_a_response_time_histogram(
        page, server, clock, screenshot, console):  # R-OVER-1
    console.allow(422)  # the refusal this test provokes
    task_id = created(server.client("scjg").initiate(title=TITLE))["id"]
    clock.advance(timedelta(hours=2))  # Mon 11:00: wlj answers after 2 working hours
    created(server.client("wlj").respond(task_id))
    clock.set(datetime(2026, 3, 5, 11, tzinfo=SHANGHAI))  # Thu 11:00: gxj answers late, 15+24+24+11 = 74 h
    created(server.client("gxj").respond(task_id, "decline", [], reason="本季度无相关检查任务"))
    login(page, "office")
    page.goto("/#/oversight/department-figures?from=2026-03-01&to=2026-03-31")
    expect(page.get_by_role("heading", name="部门响应统计", level=1)).to_be_visible()
    expect(page.get_by_label("推送日期自")).to_have_value("2026-03-01")

    wlj = page.locator('table.figures-table tbody tr[data-department="wlj"]')
    expect(wlj.locator("td")).to_have_text(["1", "1", "1", "100.0%", "2.0", "0", "0"])
    gxj = page.locator('table.figures-table tbody tr[data-department="gxj"]')
    expect(gxj.locator("td").nth(3)).to_have_text("0.0%")

    bars = page.get_by_role("img", name="各部门按时响应率")
    expect(bars.locator('g.bar-row[data-key="wlj"]')).to_have_attribute("data-value", "100")
    expect(bars.locator('g.bar-row[data-key="gxj"]')).to_have_attribute("data-value", "0")
    full = float(bars.locator('g.bar-row[data-key="wlj"] rect.bar').get_attribute("width"))
    track = float(bars.locator('g.bar-row[data-key="wlj"] rect.bar-track').get_attribute("width"))
    assert full == track > 0 and float(bars.locator('g.bar-row[data-key="gxj"] rect.bar').get_attribute("width")) == 0
    histogram = page.get_by_role("img", name="响应用时分布（各部门响应用时中位数）")
    expect(histogram.locator('g.hist-bin[data-key="0-8"]')).to_have_attribute("data-count", "1")
    expect(histogram.locator('g.hist-bin[data-key="48+"]')).to_have_attribute("data-count", "1")
    expect(histogram.locator('g.hist-bin[data-count="0"]')).to_have_count(5)
    screenshot()

    page.get_by_label("推送日期自").fill("2026-04-01")
    page.get_by_label("推送日期至").fill("2026-04-30")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("table.figures-table tbody td.empty")).to_contain_text("请调整推送日期")
    expect(page.get_by_role("img", name="各部门按时响应率")).to_have_count(0)
    page.get_by_label("推送日期至").fill("2026-03-01")
    page.get_by_role("button", name="查询").click()
    expect(page.get_by_role("alert").filter(has_text="结束日期不能早于开始日期")).to_be_visible()


def _subjects(server: Any, n: int) -> list[str]:
    """n high-risk subjects (exempt from the yearly cap, so two tasks may draw the same ones)."""
    now = datetime.now(timezone.utc)
    codes = [generate_uscc(i) for i in range(n)]
    with server.services.engine.begin() as conn:
        conn.execute(insert(subjects), [{"code": c, "name": f"检查对象{i}", "region": "城关区", "industry": "餐饮",
                                         "credit_class": "B", "risk_level": "high", "created_at": now,
                                         "updated_at": now} for i, c in enumerate(codes)])
    return codes


def _draw(server: Any, task_id: str, lead: str) -> None:
    witnesses = [{"name": "张律师", "role": "legal_adviser"}, {"name": "王代表", "role": "public_representative"}]
    committed = created(server.client(lead).post(f"/joint-tasks/{task_id}/draws",
                                                 json={"criteria": {"count": 3}, "witnesses": witnesses}))
    created(server.client(lead).post(f"/joint-tasks/{task_id}/draws/{committed['draw_id']}/execution"))


def test_fusion_suggestions_link_both_tasks_that_drew_the_same_subjects(page, server):  # R-JOINT-8
    login(page, "office")
    nav(page, "融合建议")
    expect(page.locator("table.fusion-table tbody td.empty")).to_contain_text("目前没有融合建议")

    codes = _subjects(server, 3)
    first = created(server.client("scjg").initiate(title=TITLE))["id"]
    second = created(server.client("wjw").initiate(title="学校食堂联合检查", responding_departments=["wlj"]))["id"]
    _draw(server, first, "scjg")
    _draw(server, second, "wjw")
    page.reload()
    row = page.locator("table.fusion-table tbody tr").first
    expect(row).to_have_attribute("data-tasks", " ".join(sorted([first, second])))
    expect(row.locator("td").nth(2)).to_have_text("3")
    for code in codes:
        expect(row).to_contain_text(code)
    expect(row).to_contain_text("市场监督管理局 牵头")
    row.get_by_role("link", name="学校食堂联合检查").click()
    expect(page.get_by_role("heading", name="学校食堂联合检查", level=1)).to_be_visible()


# ---- the working calendar ---------------------------------------------------------------------------------------

def test_office_amends_a_day_and_sees_which_deadlines_moved_and_the_month_view(
        page, server, clock, screenshot, console):  # R-CAL-1 R-CAL-2
    console.allow(422)  # the refusal this test provokes
    task_id = created(server.client("scjg").initiate(title=TITLE))["id"]  # deadline end of Wed 4 Mar
    login(page, "office")
    nav(page, "工作日历")
    page.get_by_label("月份").fill("2026-03")
    day = page.locator('table.calendar-month td[data-day="2026-03-03"]')
    expect(day).to_have_attribute("data-working", "true")
    expect(day).to_contain_text("国务院安排")

    form = page.locator("form.amend-form")
    form.get_by_label("日期").fill("2026-03-03")
    form.get_by_label("休息").check()
    form.get_by_label("调整理由").fill("因防汛调整为休息日")
    form.get_by_role("button", name="调整该日").click()

    expect(page.get_by_role("status")).to_contain_text("已将 2026-03-03 调整为休息日。1 项未到期的期限已随之调整，见下表。")
    moved = page.locator("table.moves-table tbody tr")
    expect(moved).to_have_count(1)
    expect(moved.locator("td")).to_have_text(["响应期限", re.compile(TITLE), "—", "2026-03-04", "2026-03-05"])
    expect(moved.get_by_role("link")).to_have_attribute("href", f"#/tasks/{task_id}")
    expect(day).to_have_attribute("data-working", "false")
    expect(day).to_contain_text("办公室调整")
    expect(day).to_contain_text("休")
    assert office_view(server, task_id)["response_deadline"] == "2026-03-05T23:59:59+08:00"
    screenshot()

    form.get_by_label("日期").fill("2026-03-07")
    form.get_by_label("上班").check()
    form.get_by_label("调整理由").fill("")
    form.get_by_role("button", name="调整该日").click()
    expect(form.get_by_role("alert")).to_contain_text("理由")
    expect(form.get_by_label("调整理由")).to_have_attribute("aria-invalid", "true")


def test_office_enters_a_years_schedule_and_the_month_is_no_longer_provisional(page, server, console):  # R-CAL-2
    console.allow(422)  # the refusal this test provokes
    login(page, "office")
    page.goto("/#/calendar?month=2027-01")
    expect(page.get_by_role("heading", name="2027 年 1 月")).to_be_visible()
    new_year = page.locator('table.calendar-month td[data-day="2027-01-01"]')
    expect(new_year).to_have_attribute("data-source", "weekday_fallback")
    expect(new_year).to_contain_text("暂定")

    form = page.locator("form.year-form")
    form.get_by_label("年份").fill("2027")
    form.get_by_label("法定节假日（放假日期）").fill("2027-01-01 ~ 2027-01-03\n2027-13-01")
    form.get_by_role("button", name="录入年度日历").click()
    expect(form.get_by_role("alert")).to_contain_text("无法识别的日期：2027-13-01")  # checked before sending

    form.get_by_label("法定节假日（放假日期）").fill("2027-01-01 ~ 2027-01-03")
    form.get_by_label("调休上班日").fill("2027-01-04")  # a Monday
    form.get_by_role("button", name="录入年度日历").click()
    expect(form.get_by_role("alert")).to_contain_text("调休上班日应为周六或周日，以下日期是工作日：2027-01-04")

    form.get_by_label("调休上班日").fill("2027-01-09")  # a Saturday
    form.get_by_label("说明").fill("国办发明电〔2026〕")
    form.get_by_role("button", name="录入年度日历").click()
    expect(page.get_by_role("status")).to_contain_text(
        "已录入 2027 年工作日历（节假日 3 天，调休上班日 1 天）。没有需要调整的未到期期限。")
    expect(page.locator("table.moves-table")).to_contain_text("本次调整没有影响任何未到期的期限。")
    expect(new_year).to_have_attribute("data-source", "office_schedule")
    expect(new_year).to_have_attribute("data-working", "false")
    expect(new_year).not_to_contain_text("暂定")
    expect(page.locator('table.calendar-month td[data-day="2027-01-09"]')).to_have_attribute("data-working", "true")
    expect(page.locator("table.calendar-month td.day-provisional")).to_have_count(0)
    days = server.client().get("/calendar/days", params={"from": "2027-01-01", "to": "2027-01-03"}).json()["items"]
    assert [(d["working"], d["source"]) for d in days] == [(False, "office_schedule")] * 3


# ---- quality: console, phone width --------------------------------------------------------------------------

OFFICE_PAGES = [("#/oversight/late-responses", "逾期响应"), ("#/oversight/tasks-without-day", "未确定检查日"),
                ("#/oversight/overdue-results", "结果逾期"),
                ("#/oversight/department-figures?from=2026-03-01&to=2026-03-31", "部门响应统计"),
                ("#/oversight/fusion-suggestions", "融合建议"), ("#/notices", "通报"),
                ("#/calendar?month=2026-03", "工作日历")]


def test_office_pages_log_no_console_errors(page, browser, server, clock):
    errors: list[str] = []

    def watch(tab: Any) -> None:
        tab.on("console", lambda m: errors.append(f"{tab.url}: {m.text}") if m.type == "error" else None)
        tab.on("pageerror", lambda e: errors.append(f"{tab.url}: {e}"))

    watch(page)
    task_id = late_task(server, clock)
    created(server.client("wlj").respond(task_id))
    login(page, "office")
    for hash_, title in OFFICE_PAGES:
        page.goto("/" + hash_)
        expect(page.locator("#view")).not_to_have_attribute("aria-busy", "true")
        expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
        expect(page.locator("#view table, #view svg").first).to_be_visible()
    page.goto("/#/oversight/late-responses")
    late_row(page, task_id, "gxj").get_by_role("button", name="发出通报").click()
    page.get_by_role("button", name="下一步：确认通报").click()
    page.get_by_role("button", name="确认发出通报").click()
    expect(page.get_by_role("status")).to_contain_text("已向工业和信息化局发出通报")

    # The department on its own machine, while the office's page stays open and follows live.
    context = browser.new_context(base_url=server.base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1366, "height": 860})
    try:
        department = context.new_page()
        watch(department)
        login(department, "gxj")
        nav(department, "通报")
        department.get_by_role("button", name="签收").click()
        expect(department.get_by_role("status")).to_contain_text("已签收通报")
    finally:
        context.close()
    page.goto("/#/notices")
    expect(page.locator("table.notices-table tbody tr").first).to_contain_text("已签收")
    assert errors == []


def test_office_tables_scroll_inside_their_card_at_phone_width(page, server, clock):
    late_task(server, clock)
    login(page, "office")
    page.set_viewport_size({"width": 390, "height": 844})
    for hash_, title in OFFICE_PAGES:
        page.goto("/" + hash_)
        expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
        expect(page.locator("#view table").first).to_be_visible()
        expect(page.locator("#view")).not_to_have_attribute("aria-busy", "true")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{hash_} is {width}px wide at a 390px viewport"
    page.goto("/#/oversight/late-responses")
    expect(page.locator(".table-scroll > table.late-table")).to_have_count(1)
