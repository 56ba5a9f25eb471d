"""Draw records go public once they can no longer warn anyone (R-DRAW-5, R-EXEC-3): at once for an announced visit,
after the visit for an unannounced one; and before that no public endpoint names a drawn subject."""
from __future__ import annotations

import httpx
from sqlalchemy import update

from api.storage.tables import check_items
from domain import draw as algorithm
from tests.api.test_draws import _subjects
from tests.api.test_results import _entry, _results_ready
from tests.support import created


def test_an_announced_draw_is_public_once_executed_without_private_fields(server):  # R-DRAW-5
    _subjects(server, 10)
    task = server.client("scjg").initiate().json()
    anonymous = server.client()
    committed = created(server.client("scjg").post(f"/joint-tasks/{task['id']}/draws", json={
        "criteria": {"count": 2}, "witnesses": [{"name": "张律师", "role": "legal_adviser"}]}))
    assert anonymous.get(f"/public/draws/{committed['draw_id']}").status_code == 404  # not executed yet
    draw_id = committed["draw_id"]
    created(server.client("scjg").post(f"/joint-tasks/{task['id']}/draws/{draw_id}/execution"))
    body = anonymous.get(f"/public/draws/{draw_id}")
    assert body.status_code == 200
    record = body.json()
    assert len(record["drawn"]) == 2 and all(d["name"] for d in record["drawn_subjects"])
    assert "张律师" not in body.text and "drawn_by" not in record and "scjg" not in body.text
    pool = anonymous.get(f"/public/draws/{draw_id}/pool")
    assert pool.status_code == 200 and record["pool_public"] is True
    full = server.client("office").get(f"/draws/{draw_id}").json()
    assert algorithm.verify(record, algorithm.parse_pool(pool.text)).match  # anyone recomputes it
    assert record["seed"] == full["seed"] and record["pool_fingerprint"] == full["pool_fingerprint"]
    assert anonymous.get("/public/draws/00000000-0000-4000-8000-000000000000").status_code == 404


def test_an_unannounced_draw_and_its_subjects_stay_off_every_public_view_until_the_visit(server, clock):  # R-EXEC-3 R-DRAW-5
    task_id, codes, teams = _results_ready(server, clock, subjects=2)
    office = server.client("office")
    items = office.get(f"/joint-tasks/{task_id}").json()["items"]
    with server.services.engine.begin() as conn:
        conn.execute(update(check_items).where(check_items.c.id == items[0]).values(unannounced=True))
    draw_id = office.get(f"/joint-tasks/{task_id}").json()["current_draw"]
    anonymous = server.client()

    def public_bodies() -> str:
        """Every public GET of the API (from its OpenAPI description), with this task's draw and subjects."""
        paths = httpx.get(f"{server.base_url}/openapi.json", timeout=30).json()["paths"]
        texts = []
        for path, operations in paths.items():
            if not path.startswith("/api/v1/public") or "get" not in operations:
                continue
            url = path.removeprefix("/api/v1").replace("{draw_id}", draw_id).replace("{subject_code}", codes[0]) \
                .replace("{plan_id}", "00000000-0000-4000-8000-000000000000")
            texts.append(anonymous.get(url).text)
        return "\n".join(texts)

    before = public_bodies()
    assert not any(code in before for code in codes)
    assert anonymous.get(f"/public/draws/{draw_id}").status_code == 404
    for department in ("scjg", "wlj"):  # the visit is recorded: every joining department's results
        for code in codes:
            created(server.client(department).post(f"/joint-tasks/{task_id}/results",
                                                   json=_entry(server, task_id, department, code, teams)))
    assert anonymous.get(f"/public/draws/{draw_id}").status_code == 200
