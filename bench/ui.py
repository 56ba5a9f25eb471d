"""The web UI live, in Chromium against PostgreSQL with 100,000 joint tasks (issue 15).

1. A fresh PostgreSQL store gets a year of joint tasks (bench/_history.py, ~8.6 events a task, the projections
   rebuilt from the log), the demo accounts and checklist; a real `jointinspect serve` runs on it (its clock just
   after the history) with its projections in its own process, as ARCHITECTURE.md deploys it.
2. First render: a new tab opens the task list (`/web/#/tasks`) of a department with thousands of tasks; the time
   from navigation to the first row of the table (module scripts, login from storage, the list and inbox reads).
3. Live: `--pages` tabs (default 50) of five responding departments (ten each, one browser context per
   department) show the task list; the lead department initiates a task pushed to all five through the API, and
   each tab records (a MutationObserver, the page's own clock) when the task's row appears. Latency = that
   moment - the moment the API answered 201, per tab; `--rounds` commands (default 10); a tab that has not shown
   it within 30 s counts as 30 s and is reported.

Chromium is Debian's (`/usr/bin/chromium`, or JOINTINSPECT_CHROMIUM), driven by Playwright; nothing is downloaded.
PostgreSQL from JOINTINSPECT_BENCH_DATABASE_URL. Run: `python bench/ui.py [--tasks 100000] [--pages 50]`.
Ends with one TARGET line per target; nothing is asserted.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, time as clock_time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import FreshDatabases, bench_database_url, percentile, redact, serve, target_line  # noqa: I001
from _history import BENCH_TODAY, write_history
from commands import projection_worker

from domain.clock import SHANGHAI, FakeClock

CHROMIUM = os.environ.get("JOINTINSPECT_CHROMIUM", "/usr/bin/chromium")
LEAD = "scjg"
RESPONDERS = ["wlj", "gxj", "yjj", "sthj", "wjw"]
EVENTS_PER_TASK = 8.6
WAIT_SECONDS = 30  # how long a round waits for every tab
NOW = datetime.combine(BENCH_TODAY + timedelta(days=3), clock_time(9), tzinfo=SHANGHAI)  # Mon after the history
OBSERVER = """() => {
  window.__seen = {};
  const note = () => document.querySelectorAll('tr[data-task-id]').forEach((row) => {
    if (!(row.dataset.taskId in window.__seen)) window.__seen[row.dataset.taskId] = Date.now();
  });
  note();
  new MutationObserver(note).observe(document.body, { subtree: true, childList: true });
}"""


def prepare(url: str, tasks: int) -> int:
    """History, accounts and checklist in the store; returns the events written."""
    from api.accounts import hash_password
    from api.bootstrap import build_services
    from api.demo import DEMO_PASSWORD, load_accounts, load_checklist
    from api.settings import Settings

    services = build_services(Settings(database_url=url, env="test", listen=False), FakeClock(NOW))
    try:
        started = time.perf_counter()
        written, made, _ = write_history(services, int(tasks * EVENTS_PER_TASK), 400_000, 2)
        services.runner.rebuild_all(os.cpu_count() or 1)  # which also refreshes the planner's statistics
        with services.engine.begin() as conn:
            load_accounts(conn, hash_password(DEMO_PASSWORD))
        load_checklist(services)
        print(f"store: {written:,} events of {made:,} tasks, projected, in {time.perf_counter() - started:.0f} s")
        return written
    finally:
        services.close()


def login_context(browser, base_url: str, username: str):  # type: ignore[no-untyped-def]
    from api.demo import DEMO_PASSWORD

    context = browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1366, "height": 768})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto("/web/#/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="工作台", level=1).wait_for()
    page.close()  # the login stays in the context's storage; only the measured tabs stay open
    return context


def first_render(context, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Seconds from navigation to the first row of the task list, each in a new tab."""
    times = []
    for _ in range(runs):
        page = context.new_page()
        started = time.perf_counter()
        page.goto("/web/#/tasks")
        page.locator("table.tasks-table tbody tr[data-task-id]").first.wait_for()
        times.append(time.perf_counter() - started)
        page.close()
    return times


def live(base_url: str, pages: list, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Milliseconds from each initiation's 201 to its row in each tab."""
    import httpx
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from api.demo import DEMO_PASSWORD

    with httpx.Client(base_url=base_url + "/api/v1", timeout=30) as client:
        token = client.post("/auth/login", json={"username": LEAD, "password": DEMO_PASSWORD}).json()["access_token"]
        items = [i["id"] for i in client.get("/check-items", params={"item_class": "C", "page_size": 100},
                                              headers={"Authorization": f"Bearer {token}"}).json()["items"]
                 if i["department_code"] in (LEAD, *RESPONDERS)]
        latencies: list[float] = []
        missed: list[int] = []
        for n in range(rounds):
            response = client.post("/joint-tasks", headers={"Authorization": f"Bearer {token}"}, json={
                "title": f"界面时延测量任务 {n}", "responding_departments": RESPONDERS, "items": items,
                "window_start": (NOW + timedelta(days=14)).date().isoformat(),
                "window_end": (NOW + timedelta(days=60)).date().isoformat(), "planned": True, "note": ""})
            answered = time.time() * 1000
            response.raise_for_status()
            task_id = response.json()["id"]
            deadline = time.monotonic() + WAIT_SECONDS
            for page in pages:  # a tab that has not shown the task by the deadline counts as WAIT_SECONDS
                left = max(1, int((deadline - time.monotonic()) * 1000))
                try:
                    seen = page.wait_for_function(f"() => window.__seen[{task_id!r}]", timeout=left).json_value()
                except PlaywrightTimeout:
                    seen = answered + WAIT_SECONDS * 1000
                    missed.append(n)
                latencies.append(seen - answered)
            time.sleep(0.5)  # let every tab settle before the next command
        if missed:
            print(f"{len(missed)} tab-updates not shown within {WAIT_SECONDS} s (counted as {WAIT_SECONDS} s)")
        return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--renders", type=int, default=10)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    admin = bench_database_url()
    with FreshDatabases(admin, prefix="jointinspect_bench_ui") as databases:
        url = databases.create("store")
        print(f"PostgreSQL {databases.server_version()} via {redact(admin).rsplit('/', 1)[0]}; Chromium {CHROMIUM}")
        prepare(url, args.tasks)
        workers = 2 * (os.cpu_count() or 1)  # as bench/commands.py: API processes and one projection worker
        with serve(url, now=NOW.isoformat(), extra_env={"JOINTINSPECT_WORKERS": str(workers),
                                                        "JOINTINSPECT_RUN_PROJECTIONS": "false"}) as server, \
                projection_worker(url, True, now=NOW.isoformat()), sync_playwright() as playwright:
            print(f"server: {workers} API processes and a projection worker")
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-timer-throttling",
                "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"])
            try:
                contexts = {code: login_context(browser, server.base_url, code) for code in RESPONDERS}
                renders = first_render(contexts[RESPONDERS[0]], args.renders)
                print(f"first render of the task list: p50 {percentile(renders, 50):.2f} s, "
                      f"p95 {percentile(renders, 95):.2f} s over {len(renders)} tabs")
                tabs = []
                for n in range(args.pages):
                    page = contexts[RESPONDERS[n % len(RESPONDERS)]].new_page()
                    page.goto("/web/#/tasks")
                    page.locator("table.tasks-table tbody tr[data-task-id]").first.wait_for()
                    page.evaluate(OBSERVER)
                    tabs.append(page)
                print(f"{len(tabs)} tabs open on the task list; {args.rounds} initiations pushed to all of them")
                latencies = live(server.base_url, tabs, args.rounds)
            finally:
                browser.close()
    p50, p95 = percentile(latencies, 50) / 1000, percentile(latencies, 95) / 1000
    print(f"live: command 201 → row in another browser's DOM: p50 {p50:.2f} s, p95 {p95:.2f} s, "
          f"max {max(latencies) / 1000:.2f} s over {len(latencies)} tab-updates")
    print(target_line(f"ui_live_update_p95_seconds_{args.pages}_pages", p95, "<", 1.0))
    print(target_line("ui_task_list_first_render_p95_seconds", percentile(renders, 95), "<", 1.0))


if __name__ == "__main__":
    main()
