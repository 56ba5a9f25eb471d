"""The results pages in Chromium, on SQLite and PostgreSQL (R-JOINT-7, R-PUB-1, R-PUB-2, R-PUB-3): a joining
department records one result per subject with the keyboard alone and publishes them; a phone entry made without a
network is kept and sent once when it is back; a published result is corrected with an approver, and the public
search shows the new version."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from api.demo import approver_username
from domain.clock import SHANGHAI
from tests.api.test_matchings import _match
from tests.support import created, day_agreed_task, head
from tests.web.test_browser import login
from tests.web.test_draw_pages import api_draw, put_inspectors, put_subjects
from tests.web.test_office_pages import logout

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests with the reason (with CI=true it fails them)
    expect = None


def ready_for_results(server: Any, subjects: int) -> tuple[str, list[str]]:
    """A task (scjg leads, wlj joins) with drawn subjects and wlj's teams; the clock on the day after the visit."""
    put_subjects(server, subjects)
    task_id = day_agreed_task(server)
    draw_id = api_draw(server, task_id, {"count": subjects})
    put_inspectors(server, "wlj", 3)
    assert _match(server, task_id, "wlj")["status_code"] == 201
    server.services.clock.set(datetime(2026, 3, 11, 10, tzinfo=SHANGHAI))
    return task_id, server.client("scjg").get(f"/draws/{draw_id}").json()["drawn"]


def results_of(server: Any, task_id: str) -> list[dict]:
    return server.client("wlj").get(f"/joint-tasks/{task_id}/results", params={"min_position": head(server)}
                                    ).json()["items"]


# R-JOINT-7 R-PUB-1
def test_a_department_records_each_subject_with_the_keyboard_and_publishes_them(page, server, console, screenshot):
    task_id, drawn = ready_for_results(server, 3)
    login(page, "wlj")
    console.allow(422)  # the rectification asked for
    page.goto(f"/web/#/tasks/{task_id}")
    page.get_by_role("link", name="录入与公示检查结果").click()
    expect(page.get_by_role("heading", name="检查结果", level=1)).to_be_visible()
    form, status = page.locator("form.result-form"), page.get_by_role("status")
    outcome = form.locator("select[name=outcome]")
    expect(outcome).to_be_focused()  # the first control of the subject's form has the focus
    page.keyboard.press("ArrowDown")  # 发现问题已当场责令改正: the form asks for the rectification
    page.keyboard.press("Control+Enter")
    expect(form.locator(".form-error")).to_contain_text("整改")
    page.get_by_label("处理措施").fill("当场责令改正，已整改")
    page.keyboard.press("Control+Enter")  # saves and moves to the next subject
    for n in (1, 2, 3):
        expect(page.locator(".subject-list .result-recorded")).to_have_count(n)
        if n < 3:
            expect(outcome).to_be_focused()
            page.keyboard.press("Control+Enter")  # 未发现问题, the defaults as they stand
    expect(status).to_contain_text("已保存 1 户检查结果")
    expect(page.locator(".subject-list .result-recorded")).to_have_count(3)
    screenshot()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="公示全部已录入结果（3 条）").click()
    expect(page.get_by_role("status")).to_contain_text("已公示 3 条结果")
    rows = results_of(server, task_id)
    assert sorted(r["subject_code"] for r in rows) == sorted(drawn)
    assert all(r["published_at"] and r["late"] is False for r in rows)
    assert {r["outcome"] for r in rows} == {"pass", "rectified"}


# R-JOINT-7
def test_an_entry_made_without_a_network_is_sent_once_when_it_is_back(page, server, console, screenshot):
    task_id, drawn = ready_for_results(server, 2)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "wlj")
    page.goto(f"/web/#/tasks/{task_id}/results")
    expect(page.locator("form.result-form")).to_be_visible()
    console.allow_text("ERR_INTERNET_DISCONNECTED")
    before = head(server)
    page.context.set_offline(True)
    page.get_by_label("检查情况").fill("现场核查，证照齐全")
    page.get_by_role("button", name="保存并录入下一户").click()
    expect(page.get_by_role("status")).to_contain_text("已保存在本机")
    expect(page.locator(".subject-list")).to_contain_text("待提交")
    assert head(server) == before  # nothing reached the server
    screenshot()
    page.context.set_offline(False)  # the browser's online event sends the kept entry
    expect(page.get_by_role("status")).to_contain_text("网络已恢复，已提交 1 户检查结果")
    rows = results_of(server, task_id)
    assert len(rows) == 1 and rows[0]["findings"] == "现场核查，证照齐全"
    page.reload()  # nothing left to send: a reload records nothing more
    expect(page.locator("form.result-form")).to_be_visible()
    assert len(results_of(server, task_id)) == 1
    assert page.evaluate("() => localStorage.getItem('jointinspect.unsent-results')") == "[]"


# R-PUB-2 R-PUB-3
def test_a_correction_needs_an_approver_and_the_public_sees_the_new_version(page, server, console):
    task_id, drawn = ready_for_results(server, 1)
    wlj = server.client("wlj")
    teams = wlj.get(f"/joint-tasks/{task_id}/matchings").json()["departments"]["wlj"]["teams"]
    items = [i["id"] for i in wlj.get(f"/joint-tasks/{task_id}").json()["item_details"]
             if i["department_code"] == "wlj"]
    result_id = created(wlj.post(f"/joint-tasks/{task_id}/results", json={
        "subject_code": drawn[0], "item_ids": items, "methods": ["on_site"], "outcome": "pass",
        "findings": "未发现问题", "confidential_note": "内部线索", "inspector_ids": teams[drawn[0]],
        "inspected_on": "2026-03-10"}))["id"]
    created(wlj.post(f"/results/{result_id}/publication"))
    login(page, "wlj")
    page.goto(f"/web/#/tasks/{task_id}/results")
    correction = page.locator("form.correction")
    correction.get_by_label("更正理由").fill("检查情况记录有误")
    correction.get_by_label("批准人（本部门负责人用户名）").fill("wlj")
    correction.get_by_label("检查结果").select_option(label="发现问题已当场责令改正")
    correction.get_by_label("处理措施").fill("当场责令公示证照，已改正")
    console.allow(422)
    correction.get_by_role("button", name="提交更正").click()
    expect(correction.locator(".form-error")).to_contain_text("经办人以外")
    correction.get_by_label("批准人（本部门负责人用户名）").fill(approver_username("wlj"))
    correction.get_by_role("button", name="提交更正").click()
    expect(page.get_by_role("status")).to_contain_text("现公示第 2 版")

    page.goto("/web/#/public/results")
    expect(page.get_by_role("heading", name="检查结果公示", level=1)).to_be_visible()
    page.get_by_label("检查对象名称或代码").fill(drawn[0])
    page.get_by_role("button", name="查询").click()
    row = page.locator(f'tr[data-result-id="{result_id}"]')
    expect(row).to_contain_text("发现问题已当场责令改正")
    expect(row).to_contain_text("更正于 2026-03-11（第 2 版）")
    expect(page.locator("table.public-results")).not_to_contain_text("内部线索")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(drawn[0])
    expect(page.locator("table.public-results tbody tr")).to_have_count(1)


# R-EXEC-3
def test_the_lead_issues_and_prints_one_combined_notice_per_subject(page, server, screenshot):
    put_subjects(server, 2)
    task_id = day_agreed_task(server)  # the clock stands on Mon 2 Mar, before the day (Tue 10 Mar)
    api_draw(server, task_id, {"count": 2})
    put_inspectors(server, "wlj", 3)
    put_inspectors(server, "scjg", 3, start=50)
    for department in ("scjg", "wlj"):
        assert _match(server, task_id, department)["status_code"] == 201
    login(page, "scjg")
    page.goto(f"/web/#/tasks/{task_id}")
    page.get_by_role("link", name="联合检查告知书").click()
    page.get_by_role("button", name="发出联合检查告知书").click()
    expect(page.get_by_role("status")).to_contain_text("已发出 2 份联合检查告知书")
    notices = page.locator("article.visit-notice")
    expect(notices).to_have_count(2)
    expect(notices.first).to_contain_text("2026-03-10")
    expect(notices.first).to_contain_text("文化和旅游局")
    expect(notices.first.locator("table.notice-inspectors tbody tr")).to_have_count(4)  # two of each department
    expect(notices.first).to_contain_text("检查组组长")
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_role("button", name="打印告知书（2 份）")).to_be_hidden()
    assert notices.first.evaluate("n => getComputedStyle(n).breakAfter") == "page"
    screenshot()


# R-DRAW-5
def test_anyone_verifies_a_public_draw_by_its_number_without_logging_in(page, server):
    put_subjects(server, 6)
    task_id = day_agreed_task(server)
    draw_id = api_draw(server, task_id, {"count": 3})
    page.goto(f"/web/#/public/verify-draw?draw={draw_id}")  # nobody is logged in: the public record loads
    expect(page.locator(".loader-status")).to_contain_text("已从平台载入")
    page.get_by_role("button", name="核验", exact=True).click()
    verdict = page.locator("h2.verdict")
    expect(verdict).to_have_attribute("data-match", "true")
    expect(verdict).to_contain_text("核验一致")


# R-PUB-1
def test_the_office_asks_for_review_and_the_departments_approver_approves_before_publication(page, server):
    task_id, drawn = ready_for_results(server, 1)
    login(page, "office")
    page.goto("/web/#/result-settings")
    row = page.locator('tr[data-department="wlj"]')
    row.get_by_label("文化和旅游局公示前审核").check()
    row.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("已保存文化和旅游局的结果公示设置")
    assert server.client("wlj").get("/departments/wlj/result-settings").json()["review_required"] is True

    wlj = server.client("wlj")
    teams = wlj.get(f"/joint-tasks/{task_id}/matchings").json()["departments"]["wlj"]["teams"]
    items = [i["id"] for i in wlj.get(f"/joint-tasks/{task_id}").json()["item_details"]
             if i["department_code"] == "wlj"]
    created(wlj.post(f"/joint-tasks/{task_id}/results", json={
        "subject_code": drawn[0], "item_ids": items, "methods": ["on_site"], "outcome": "pass",
        "inspector_ids": teams[drawn[0]], "inspected_on": "2026-03-10"}))
    logout(page)
    login(page, approver_username("wlj"))
    page.goto(f"/web/#/tasks/{task_id}/results")
    expect(page.get_by_role("button", name="公示该结果")).to_have_count(0)  # not before the review
    page.get_by_role("button", name="审核通过").click()
    expect(page.get_by_role("status")).to_contain_text("已审核通过")
    page.get_by_role("button", name="公示该结果").click()
    expect(page.get_by_role("status")).to_contain_text("已公示")
    rows = results_of(server, task_id)
    assert rows[0]["approved_by"] == approver_username("wlj") and rows[0]["published_at"]
