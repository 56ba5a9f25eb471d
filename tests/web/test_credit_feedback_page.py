"""A subject's page in Chromium shows credit feedback readably: what the published result changed and which result
it was, linked to its task's results (R-OVER-2, R-SUBJ-2)."""
from __future__ import annotations

from typing import Any

from tests.api.test_credit_feedback import _record_and_publish
from tests.api.test_results import _results_ready
from tests.web.test_browser import login

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests with the reason (with CI=true it fails them)
    expect = None


def test_the_subject_history_names_the_feedback_and_the_result_it_came_from(page: Any, server, clock):  # R-OVER-2 R-SUBJ-2
    task_id, codes, teams = _results_ready(server, clock, subjects=1)
    result = _record_and_publish(server, task_id, codes[0], teams, outcome="unreachable")
    login(page, "scjg")
    page.goto(f"/#/subjects/{codes[0]}")
    citation = page.locator(".history-table .feedback-citation").first
    expect(citation).to_have_text(f"检查结果反馈：列入经营异常名录（结果 {result['id'][:8]}：通过登记的住所（经营场所）无法联系）")
    expect(citation.get_by_role("link")).to_have_attribute("href", f"#/tasks/{task_id}/results")
    expect(page.locator(".history-table tbody tr").first.get_by_text("检查结果反馈", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("经营异常名录")  # the flag's badge
