"""The deployed topology of docker-compose.yml, as plain processes (issue 18): a test-owned PostgreSQL primary and a
streaming replica made from it, two API processes without projections reading from the replica, a projection
worker and its standby. A command through one API shows through the other (from the replica, read-your-writes);
the active worker killed with SIGKILL, the standby carries on. No reverse proxy: the API processes are asked
directly (deploy/nginx.conf only forwards)."""
from __future__ import annotations

import signal
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from api.demo import DEMO_PASSWORD, demo_item_id
from domain.clock import SHANGHAI
from tests.faults.processes import cli, kill_tree, projection_worker, serve, wait
from tests.faults.replication import primary_and_standby
from tests.support import _free_port

pytestmark = pytest.mark.pg_only


def _token(base: str, user: str) -> dict[str, str]:
    response = httpx.post(base + "/api/v1/auth/login", json={"username": user, "password": DEMO_PASSWORD}, timeout=30)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _ready(base: str) -> bool:
    try:
        response = httpx.get(base + "/readyz", timeout=5)
    except httpx.TransportError:
        return False
    return response.status_code == 200 and response.json().get("replica", {}).get("status") == "ok"


def test_two_apis_on_a_replica_and_a_worker_with_its_standby_serve_as_deployed(tmp_path: Path):
    with primary_and_standby() as (primary, standby):
        url, read_url = primary.url("store"), standby.url("store")
        cli(url, "migrate")
        assert "demo data loaded" in cli(url, "demo")
        logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("worker", "standby", "api1", "api2")}
        processes = []
        try:
            worker = projection_worker(url, logs["worker"])
            processes.append(worker)
            ports = [_free_port(), _free_port()]
            for name, port in zip(("api1", "api2"), ports):
                processes.append(serve(url, port, 1, logs[name], JOINTINSPECT_RUN_PROJECTIONS="false",
                                       JOINTINSPECT_READ_DATABASE_URL=read_url))
            first, second = (f"http://127.0.0.1:{port}" for port in ports)
            wait(lambda: _ready(first) and _ready(second), 90, "both API processes ready, the replica streaming")
            standby_worker = projection_worker(url, logs["standby"])  # started second: it finds the lock taken
            processes.append(standby_worker)

            today = datetime.now(SHANGHAI).date()
            body = {"title": "部署形态联合检查", "responding_departments": ["wlj"], "planned": True, "note": "",
                    "items": [demo_item_id("SCJG-C-01"), demo_item_id("WLJ-C-01")],
                    "window_start": (today + timedelta(days=7)).isoformat(),
                    "window_end": (today + timedelta(days=28)).isoformat()}
            created = httpx.post(first + "/api/v1/joint-tasks", json=body, headers=_token(first, "scjg"), timeout=30)
            assert created.status_code == 201, created.text
            task, position = created.json()["id"], created.json()["position"]
            wlj = _token(second, "wlj")
            listed = httpx.get(second + "/api/v1/joint-tasks", params={"min_position": position}, headers=wlj,
                               timeout=30)
            assert listed.status_code == 200 and task in [t["task_id"] for t in listed.json()["items"]]
            assert listed.headers["X-Read-From"] == "replica"

            worker.send_signal(signal.SIGKILL)  # the active worker dies; the standby takes over
            worker.wait(timeout=30)
            task_view = httpx.get(second + f"/api/v1/joint-tasks/{task}", headers=wlj, timeout=30).json()
            mine = [i["id"] for i in task_view["item_details"] if i["department_code"] == "wlj"]
            answered = httpx.post(second + f"/api/v1/joint-tasks/{task}/responses", headers=wlj, timeout=30,
                                  json={"decision": "accept", "item_ids": mine, "reason": ""})
            assert answered.status_code == 201, answered.text
            after = answered.json()["position"]
            row = httpx.get(first + "/api/v1/joint-tasks", params={"task_id": task, "min_position": after},
                            headers=_token(first, "scjg"), timeout=30)
            assert row.status_code == 200, row.text  # applied by the standby (a 503 read_model_behind otherwise)
            states = {d["department"]: d["response_status"] for d in row.json()["items"][0]["departments"]}
            assert states["wlj"] == "accepted"
        finally:
            for process in processes:
                kill_tree(process)
            for log in logs.values():
                log.close()
