"""The draw, draw record, matching and public draw verification pages in Chromium, on SQLite and PostgreSQL
(R-JOINT-6, R-JOINT-8, R-DRAW-1..6, R-MATCH-1..4): the lead commits and, after a visible confirmation, executes a
witnessed draw; the record prints with signature lines and its pool downloads; each joining department matches,
replaces, assigns and verifies; and anyone recomputes a draw in the browser exactly as the server does."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse


from domain.codes import generate_resident_id, generate_uscc
from tests.api.test_directory import INSPECTOR, SUBJECT
from tests.support import created, day_agreed_task, pushed_task
from tests.web.test_browser import login

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips these tests with the reason (with CI=true it fails them)
    expect = None

WITNESSES = [{"name": "张律师", "role": "legal_adviser"}, {"name": "王代表", "role": "public_representative"}]
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


# ---- data through the API -------------------------------------------------------------------------------------
def put_subjects(server: Any, n: int, start: int = 0, **fields: Any) -> list[str]:
    """n subjects of 城关区 in the directory (PUT /subjects/{code}), credit class B unless told."""
    codes = [generate_uscc(start + i) for i in range(n)]
    for i, code in enumerate(codes):
        body = SUBJECT | {"name": f"城关区第{start + i}号餐饮店", "region": "城关区", "risk_level": "medium",
                          "credit_class": "B", "key_attention": False, "tags": []} | fields
        created(server.client("scjg").put(f"/subjects/{code}", json=body), 201)
    return codes


def put_inspectors(server: Any, department: str, n: int, start: int = 0) -> list[str]:
    """n certified inspectors of the department (PUT /inspectors/{resident_id} as that department)."""
    ids = [generate_resident_id(start + i) for i in range(n)]
    for i, resident_id in enumerate(ids):
        created(server.client(department).put(f"/inspectors/{resident_id}", json=INSPECTOR | {
            "name": f"检查员{start + i}号", "certificate_no": f"3301002018{start + i:04d}"}), 201)
    return ids


def api_draw(server: Any, task_id: str, criteria: dict, lead: str = "scjg", **extra: Any) -> str:
    client = server.client(lead)
    draw_id = created(client.post(f"/joint-tasks/{task_id}/draws",
                                  json={"criteria": criteria, "witnesses": WITNESSES} | extra))["draw_id"]
    created(client.post(f"/joint-tasks/{task_id}/draws/{draw_id}/execution"))
    return str(draw_id)


def commands(page: Any) -> list[tuple[str, dict[str, str]]]:
    """(url, headers) of every command (POST) the page sends to the API from now on."""
    sent: list[tuple[str, dict[str, str]]] = []
    page.on("request", lambda r: sent.append((r.url, r.headers)) if r.method == "POST" and "/api/v1/" in r.url
            else None)
    return sent


def keyed(sent: list[tuple[str, dict[str, str]]]) -> bool:
    keys = [h.get("idempotency-key", "") for _, h in sent]
    return all(UUID4.fullmatch(k) for k in keys) and len(set(keys)) == len(keys)


def draw_param(page: Any) -> str:
    return parse_qs(urlparse(page.url).fragment.split("?", 1)[-1])["draw"][0]


def fill_witnesses(page: Any) -> None:
    page.get_by_label("见证人1姓名").fill("张律师")
    page.get_by_label("见证人1身份").select_option(label="法律顾问")
    page.get_by_label("见证人2姓名").fill("王代表")  # 群众代表 by default


# ---- the draw page ---------------------------------------------------------------------------------------------
# R-JOINT-6 R-DRAW-1 R-DRAW-5 R-DRAW-6 R-JOINT-8
def test_lead_commits_then_confirms_a_witnessed_draw_and_sees_each_subject_flagged(page, server, console, screenshot):
    put_subjects(server, 8)
    put_subjects(server, 2, start=50, region="七里河区")  # outside the pool
    earlier = pushed_task(server, title="城关区餐饮单位第一批联合检查")
    api_draw(server, earlier, {"region": "城关区", "count": 8})
    task_id = pushed_task(server, title="城关区餐饮单位第二批联合检查")
    login(page, "scjg")
    sent = commands(page)
    page.goto(f"/web/#/tasks/{task_id}/draw")
    expect(page.get_by_role("heading", name="抽取检查对象", level=1)).to_be_visible()
    page.get_by_label("区域").fill("城关区")
    page.get_by_label("抽取户数").fill("3")
    fill_witnesses(page)
    page.get_by_role("button", name="登记抽取条件（生成承诺值）").click()

    expect(page.get_by_role("status")).to_contain_text("已登记抽取条件")
    draw_id = draw_param(page)
    committed = server.client("scjg").get(f"/draws/{draw_id}").json()
    assert committed["status"] == "committed" and "seed" not in committed
    assert committed["criteria"] == {"region": "城关区", "count": 3, "flags": [], "tags": []}
    assert committed["witnesses"] == WITNESSES
    execute = page.locator("section.execute-card")
    expect(execute.locator('[data-proof="commitment"]')).to_have_text(committed["commitment"])
    page.get_by_role("button", name="执行抽取…").click()
    expect(page.get_by_role("heading", name="确认执行抽取")).to_be_visible()
    assert server.client("scjg").get(f"/draws/{draw_id}").json()["status"] == "committed"  # not before confirming
    page.get_by_role("button", name="确认执行抽取").click()

    expect(page.get_by_role("status")).to_contain_text("已抽取 3 户（候选 8 户）")
    record = server.client("scjg").get(f"/draws/{draw_id}").json()
    rows = page.locator("table.drawn-table tbody tr")
    expect(rows).to_have_count(3)
    assert rows.locator("td.code-cell").all_inner_texts() == record["drawn"]
    for i in range(3):  # each was drawn by the earlier task too (R-DRAW-6)
        expect(rows.nth(i).locator(f'li.overlap[data-task="{earlier}"]')).to_contain_text("市场监督管理局牵头")
    expect(page.locator('[data-figure="flagged"]')).to_have_text("3")
    expect(page.locator("table.history-table tbody tr")).to_have_count(1)
    screenshot()
    assert len(sent) == 2 and keyed(sent), sent
    page.set_viewport_size({"width": 390, "height": 844})  # the tables scroll inside their card, not the page
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.set_viewport_size({"width": 1366, "height": 860})

    rows.first.get_by_role("button", name="并入该任务…").click()  # R-JOINT-8: one visit for the same subject
    rows.first.get_by_role("button", name="确认并入").click()
    expect(page.get_by_role("heading", name="城关区餐饮单位第一批联合检查", level=1)).to_be_visible()
    assert server.client("scjg").get(f"/joint-tasks/{task_id}").json()["merged_into"] == earlier


# R-DRAW-5
def test_a_redraw_names_the_draw_it_replaces_with_a_reason_and_an_approver(page, server, console, screenshot):
    console.allow(422)
    put_subjects(server, 6)
    task_id = pushed_task(server)
    first = api_draw(server, task_id, {"count": 2})  # drawn elsewhere: the task tells the page of it
    login(page, "scjg")
    page.goto(f"/web/#/tasks/{task_id}/draw")
    page.get_by_text("重新抽取…").click()
    expect(page.get_by_label("被替代的抽取")).to_have_value(first)
    expect(page.get_by_role("link", name="查看被替代的抽取记录")).to_have_attribute("href", f"#/draws/{first}")
    page.get_by_label("抽取户数").fill("2")
    fill_witnesses(page)
    page.get_by_role("button", name="登记抽取条件（生成承诺值）").click()  # no reason, no approver yet

    form = page.locator("form.draw-form")
    expect(form.get_by_role("alert")).to_contain_text("重新抽取须说明理由")
    screenshot()
    page.get_by_label("重新抽取理由").fill("名录库中两户地址有误，已更正")
    page.get_by_label("批准人").fill("分管副局长")
    page.get_by_role("button", name="登记抽取条件（生成承诺值）").click()
    expect(page.get_by_role("status")).to_contain_text("已登记抽取条件")
    page.get_by_role("button", name="执行抽取…").click()
    page.get_by_role("button", name="确认执行抽取").click()

    expect(page.get_by_role("status")).to_contain_text("已抽取 2 户")
    history = page.locator("table.history-table tbody tr")
    expect(history).to_have_count(2)
    expect(history.filter(has_text="已被重新抽取替代")).to_have_count(1)
    expect(history.filter(has_text="名录库中两户地址有误")).to_contain_text("分管副局长")
    second = server.client("scjg").get(f"/draws/{draw_param(page)}").json()
    assert (second["redraw_of"], second["approver"]) == (first, "分管副局长")
    assert server.client("scjg").get(f"/draws/{first}").json()["status"] == "superseded"


# R-DRAW-1
def test_too_few_subjects_is_shown_beside_the_confirmation_and_nothing_is_drawn(page, server, console):
    console.allow(422)
    put_subjects(server, 3)
    task_id = pushed_task(server)
    login(page, "scjg")
    page.goto(f"/web/#/tasks/{task_id}/draw")
    page.get_by_label("按比例").check()
    expect(page.get_by_label("抽取户数")).to_be_hidden()
    page.get_by_label("按户数").check()
    page.get_by_label("抽取户数").fill("5")
    fill_witnesses(page)
    page.get_by_role("button", name="登记抽取条件（生成承诺值）").click()
    page.get_by_role("button", name="执行抽取…").click()
    page.get_by_role("button", name="确认执行抽取").click()

    confirm = page.locator("section.execute-card form.draw-confirm")
    expect(confirm.get_by_role("alert")).to_contain_text("符合条件的检查对象不足（缺 2 户）")
    assert server.client("scjg").get(f"/draws/{draw_param(page)}").json()["status"] == "committed"


# ---- the draw record -------------------------------------------------------------------------------------------
# R-DRAW-5
def test_the_draw_record_prints_with_signature_lines_and_its_pool_downloads(page, server, console, screenshot,
                                                                            tmp_path: Path):
    put_subjects(server, 12)
    task_id = pushed_task(server)
    draw_id = api_draw(server, task_id, {"region": "城关区", "ratio": "25"})
    record = server.client("office").get(f"/draws/{draw_id}").json()
    pool = server.client("office").get(f"/draws/{draw_id}/pool").text
    login(page, "wlj")  # a responding department reads the record too
    page.goto(f"/web/#/draws/{draw_id}")
    expect(page.get_by_role("heading", name="抽取记录", level=1)).to_be_visible()
    expect(page.locator('[data-proof="seed"]')).to_have_text(record["seed"])
    expect(page.locator('[data-proof="commitment"]')).to_have_text(record["commitment"])
    expect(page.locator('[data-proof="fingerprint"]')).to_have_text(record["pool_fingerprint"])
    expect(page.locator("dl.proof-facts")).to_contain_text("12 户")
    expect(page.locator("dl.criteria-facts")).to_contain_text("抽取比例 25%")
    assert page.locator("table.drawn-table td.code-cell").all_inner_texts() == record["drawn"]  # ceil(12 × 25 %) = 3

    with page.expect_download() as download:
        page.get_by_role("button", name="下载候选名单").click()
    saved = tmp_path / "pool.tsv"
    download.value.save_as(saved)
    assert download.value.suggested_filename == f"pool-{draw_id}.tsv" and saved.read_text("utf-8") == pool
    page.get_by_role("button", name="平台核验").click()
    expect(page.locator(".verify-result")).to_contain_text("平台核验：一致")

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="主导航")).to_be_hidden()
    expect(page.get_by_role("button", name="打印抽取记录")).to_be_hidden()
    expect(page.locator('[data-proof="seed"]')).to_be_visible()
    signatures = page.locator("td.sign-line")
    expect(signatures).to_have_count(2)
    expect(signatures.first).to_have_text("见证人签字：______")
    expect(signatures.first).to_be_visible()
    screenshot()
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 390, "height": 844})  # the tables scroll inside their card, not the page
    expect(page.locator("table.drawn-table")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


# ---- the public verification ----------------------------------------------------------------------------------
# R-DRAW-5
def test_the_browser_reproduces_the_published_worked_example_with_and_without_crypto_subtle(page, server, console):
    page.goto("/web/#/public/verify-draw")
    expect(page.get_by_role("heading", name="抽取结果核验", level=1)).to_be_visible()
    result = page.evaluate("""async () => {
        const dc = await import("/web/js/drawcheck.js");
        const seed = "6a".repeat(32);
        const pool = new Map([["91110000MA01A0001X", "A"], ["91110000MA01A0002X", "A"], ["91110000MA01A0003X", "A"],
            ["91110000MA01A0004X", "A"], ["91110000MA01A0005X", "B"], ["91110000MA01A0006X", "B"]]);
        const out = [];
        for (const plain of [false, true]) {
            const drawn = await dc.draw(seed, pool, {A: 2, B: 1}, ["91110000MA01A0004X"], {plain});
            out.push([await dc.commitment(seed, {plain}), await dc.fingerprint(pool, {plain}), drawn.drawn,
                      drawn.replaced]);
        }
        return out;
    }""")
    expected = ["7ead0c19c7909b27c1b19c44b07278bcf62dc674f89428b84dd833f0b89debc3",
                "371f8025700e6f3b8a8a5a099db93b3ae5a3c3c2f3db0728454693d637e44012",
                ["91110000MA01A0002X", "91110000MA01A0001X", "91110000MA01A0006X"], ["91110000MA01A0004X"]]
    assert result == [expected, expected]  # README "The verifiable draw", crypto.subtle and the plain fallback


def _verify(page: Any, record: dict, pool: str | Path) -> None:
    page.get_by_label("抽取记录（JSON）").fill(json.dumps(record, ensure_ascii=False))
    if isinstance(pool, Path):
        page.locator('[data-field="pool"] ~ .upload input[type="file"]').set_input_files(str(pool))
        expect(page.locator('[data-field="pool"] ~ .upload .upload-status')).to_contain_text("已载入")
    else:
        page.get_by_label(re.compile(r"^候选名单( \*)?$")).fill(pool)
    page.get_by_role("button", name="核验", exact=True).click()


def _checks(page: Any) -> dict[str, bool]:
    rows = page.locator("table.checks-table tbody tr")
    return {rows.nth(i).get_attribute("data-check"): rows.nth(i).get_attribute("data-ok") == "true"
            for i in range(rows.count())}


# R-DRAW-5 R-DRAW-3 R-DRAW-4
def test_anyone_recomputes_a_draw_in_the_browser_as_the_server_does_and_an_altered_pool_fails(
        page, server, console, screenshot, tmp_path: Path):
    put_subjects(server, 6, credit_class="A")
    put_subjects(server, 10, start=20, credit_class="D")
    exempt = put_subjects(server, 4, start=40, credit_class="D", exempt=True)
    task_id = pushed_task(server)
    draw_id = api_draw(server, task_id, {"ratios_by_credit": {"A": "34", "D": "50"}})
    office = server.client("office")
    record = office.get(f"/draws/{draw_id}").json()
    pool = office.get(f"/draws/{draw_id}/pool").text
    server_says = office.get(f"/draws/{draw_id}/verification").json()
    assert server_says["match"] and record["counts"] == {"A": 3, "D": 7} and set(record["excused"]) == set(exempt)

    page.goto("/web/#/public/verify-draw")  # nobody is logged in
    expect(page.get_by_role("heading", name="抽取结果核验", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="登录")).to_have_count(0)
    upload = tmp_path / f"pool-{draw_id}.tsv"
    upload.write_bytes(pool.encode("utf-8"))
    _verify(page, record, upload)
    verdict = page.locator("h2.verdict")
    expect(verdict).to_have_attribute("data-match", "true")
    expect(verdict).to_contain_text("核验一致")
    checks = _checks(page)
    assert {k: checks[k] for k in ("commitment", "fingerprint", "drawn")} == {
        "commitment": server_says["commitment_ok"], "fingerprint": server_says["fingerprint_ok"],
        "drawn": server_says["drawn_ok"]}
    assert checks["counts"] is True
    recomputed = page.locator("ol.drawn-recomputed li").all_text_contents()  # folded away
    assert recomputed == record["drawn"]

    # one code of the pool altered (its last-but-one character): the fingerprint no longer matches
    lines = pool.splitlines(keepends=True)
    code, stratum = lines[0].split("\t")
    lines[0] = f"{code[:-2]}Z{code[-1]}\t{stratum}"  # Z is no USCC character: no other code of the pool
    _verify(page, record, "".join(lines))
    expect(verdict).to_have_attribute("data-match", "false")
    expect(verdict).to_contain_text("候选名单指纹")
    assert _checks(page)["fingerprint"] is False and _checks(page)["commitment"] is True
    screenshot()

    # a drawn list that the seed does not give: the drawn check fails and names the difference
    tampered = record | {"drawn": list(reversed(record["drawn"]))}
    _verify(page, tampered, pool)
    expect(verdict).to_contain_text("抽取名单未通过")
    expect(page.locator(".verify-notes")).to_contain_text("顺序不同")
    assert _checks(page) == {"commitment": True, "fingerprint": True, "drawn": False, "counts": True}

    _verify(page, record, "91110000MA01A0001X 无制表符\n")
    expect(page.locator('[data-field="pool"] .field-error')).to_have_text("候选名单第 1 行格式有误：每行应为“代码<TAB>层”。")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


# R-DRAW-5
def test_a_clerk_goes_from_the_draw_record_to_the_browser_verification_which_loads_the_draw(page, server, console):
    put_subjects(server, 5)
    task_id = pushed_task(server)
    draw_id = api_draw(server, task_id, {"count": 2})
    login(page, "scjg")
    expect(page.get_by_role("navigation", name="主导航").get_by_role("link", name="抽取结果核验")).to_be_visible()
    page.goto(f"/web/#/draws/{draw_id}")
    page.get_by_role("link", name="在浏览器中独立核验").click()
    expect(page.get_by_role("heading", name="抽取结果核验", level=1)).to_be_visible()
    expect(page.get_by_label("抽取编号")).to_have_value(draw_id)
    expect(page.locator(".loader .loader-status")).to_contain_text("已从平台载入")
    page.get_by_role("button", name="核验", exact=True).click()
    expect(page.locator("h2.verdict")).to_have_attribute("data-match", "true")
    assert json.loads(page.get_by_label("抽取记录（JSON）").input_value())["drawn"] == server.client("scjg").get(
        f"/draws/{draw_id}").json()["drawn"]


# ---- the matching page ---------------------------------------------------------------------------------------
# R-JOINT-6 R-MATCH-1 R-MATCH-2 R-MATCH-3
def test_a_joining_department_declares_a_conflict_matches_replaces_and_verifies(page, server, console, screenshot):
    put_subjects(server, 3)
    task_id = day_agreed_task(server)  # scjg leads, wlj joins, the day is Tue 10 Mar
    draw_id = api_draw(server, task_id, {"count": 3})
    drawn = server.client("scjg").get(f"/draws/{draw_id}").json()["drawn"]
    ids = put_inspectors(server, "wlj", 4)
    login(page, "wlj")
    sent = commands(page)
    page.goto(f"/web/#/tasks/{task_id}/matching")
    expect(page.get_by_role("heading", name="匹配检查人员", level=1)).to_be_visible()

    conflict = page.locator("form", has=page.get_by_role("heading", name="登记回避"))
    conflict.get_by_label("检查人员身份证号").fill(ids[0])
    conflict.get_by_label("检查对象代码").fill(drawn[0])
    conflict.get_by_label("利害关系说明").fill("配偶在该企业任职")
    conflict.get_by_role("button", name="登记回避").click()
    expect(page.get_by_role("status")).to_contain_text(f"不会被匹配到检查对象 {drawn[0]}")

    page.get_by_label("每组人数").fill("2")
    page.get_by_role("button", name="登记匹配（生成承诺值）").click()
    expect(page.get_by_role("status")).to_contain_text("已登记匹配")
    page.get_by_role("button", name="执行匹配…").click()
    page.get_by_role("button", name="确认执行匹配").click()
    expect(page.get_by_role("status")).to_contain_text("已匹配检查人员：3 个检查组，4 名在岗持证人员")

    teams = server.client("wlj").get(f"/joint-tasks/{task_id}/matchings").json()["departments"]["wlj"]["teams"]
    rows = page.locator("section.own-card table.teams-table tbody tr")
    expect(rows).to_have_count(3)
    for code, team in teams.items():
        row = page.locator(f'section.own-card tr[data-subject="{code}"]')
        expect(row.locator("td.leader")).to_contain_text(team[0])  # the first member leads (R-MATCH-1)
        expect(row.locator("td.members")).to_contain_text(team[1])
    assert ids[0] not in teams[drawn[0]]  # R-MATCH-3
    page.get_by_role("button", name="核验本部门匹配").click()
    expect(page.locator('section.own-card [data-verify="wlj"]')).to_contain_text("核验一致")

    subject = sorted(teams)[0]
    page.get_by_label(re.compile(r"^检查对象( \*)?$")).select_option(subject)
    page.get_by_label("被更换的检查人员").select_option(teams[subject][1])
    page.get_by_label("更换理由").select_option(label="身体原因")
    page.get_by_label("批准人").fill("科长李明")
    page.get_by_role("button", name="更换", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已更换检查人员")
    expect(page.locator("ul.replacements")).to_contain_text("身体原因，批准人：科长李明")
    after = server.client("wlj").get(f"/joint-tasks/{task_id}/matchings").json()["departments"]["wlj"]
    assert teams[subject][1] not in after["teams"][subject] and after["replacements"][0]["reason"] == "health"
    screenshot()
    assert len(sent) == 4 and keyed(sent), sent


# R-MATCH-4
def test_too_few_inspectors_is_named_and_an_approved_direct_assignment_follows(page, server, console, screenshot):
    console.allow(422)
    put_subjects(server, 2)
    task_id = day_agreed_task(server)
    draw_id = api_draw(server, task_id, {"count": 2})
    drawn = server.client("scjg").get(f"/draws/{draw_id}").json()["drawn"]
    own = put_inspectors(server, "wlj", 1)
    other = put_inspectors(server, "scjg", 2, start=100)  # cross-unit
    login(page, "wlj")
    page.goto(f"/web/#/tasks/{task_id}/matching?draw={draw_id}")  # the link the draw page gives
    page.get_by_role("button", name="登记匹配（生成承诺值）").click()
    page.get_by_role("button", name="执行匹配…").click()
    page.get_by_role("button", name="确认执行匹配").click()
    expect(page.locator("form.draw-confirm").get_by_role("alert")).to_contain_text("本部门可匹配的检查人员不足")

    assignment = page.locator("section.assignment-card")
    expect(assignment.locator("details").first).to_have_attribute("open", "")
    for i, code in enumerate(sorted(drawn)):
        assignment.get_by_label(f"{code} 的检查组").fill(f"{own[0]}，{other[i]}")
    assignment.get_by_label("指派理由").fill("本部门在岗持证人员仅 1 名，经批准跨单位匹配")
    assignment.get_by_label("批准人").fill("分管副局长")
    screenshot()
    assignment.get_by_role("button", name="提交直接指派").click()
    expect(page.get_by_role("status")).to_contain_text("已直接指派检查人员（2 个检查组）")
    expect(page.locator('table.departments-table tr[data-department="wlj"] .match-status')).to_have_text("经批准直接指派")
    wlj = server.client("wlj").get(f"/joint-tasks/{task_id}/matchings").json()["departments"]["wlj"]
    assert wlj["assigned"] and wlj["teams"] == {c: [own[0], other[i]] for i, c in enumerate(sorted(drawn))}


# issue 15: the draw and matching pages follow /ws without re-rendering under the clerk's typing
def test_a_change_by_another_department_is_announced_on_the_matching_page_without_losing_input(page, server):
    put_subjects(server, 2)
    task_id = day_agreed_task(server)
    api_draw(server, task_id, {"count": 2})
    put_inspectors(server, "wlj", 3)
    put_inspectors(server, "scjg", 3, start=50)
    login(page, "scjg")
    page.goto(f"/web/#/tasks/{task_id}/matching")
    expect(page.get_by_role("heading", name="匹配检查人员", level=1)).to_be_visible()
    page.get_by_label("每组人数").fill("3")  # the clerk is typing
    bar = page.locator(".changed-bar")
    expect(bar).to_be_hidden()
    client = server.client("wlj")  # another department matches its inspectors meanwhile
    match_id = created(client.post(f"/joint-tasks/{task_id}/matchings", json={"team_size": 2}))["match_id"]
    created(client.post(f"/joint-tasks/{task_id}/matchings/{match_id}/execution"))
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("本任务有新的办理记录")
    expect(page.get_by_label("每组人数")).to_have_value("3")  # nothing re-rendered under the typing
    bar.get_by_role("button", name="刷新").click()
    expect(bar).to_be_hidden()
