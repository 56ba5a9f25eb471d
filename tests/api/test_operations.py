"""Health that tells the truth (issue 13 item 7): /healthz, /readyz and /metrics (Prometheus text)."""
from __future__ import annotations

import time
from uuid import uuid4

import httpx
from eventsourcing.persistence import StoredEvent
from prometheus_client.parser import text_string_to_metric_families

from tests.projections.stories import SCJG, initiate
from tests.support import LiveServer, wait_for_read_models


def _get(server: LiveServer, path: str) -> httpx.Response:
    return httpx.get(server.base_url + path, timeout=30)


def _samples(server: LiveServer) -> dict[tuple[str, tuple], float]:
    response = _get(server, "/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def test_healthz_answers_while_the_process_runs(server: LiveServer) -> None:
    assert _get(server, "/healthz").json() == {"status": "ok"}


def test_readyz_is_ready_when_the_projections_are_at_the_head(server: LiveServer) -> None:
    server.client("scjg").initiate()
    wait_for_read_models(server)
    response = _get(server, "/readyz")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ready" and body["reasons"] == []
    assert {row["lag_events"] for row in body["projections"]} == {0}


def test_readyz_fails_with_the_reason_when_a_projection_lags_past_its_bound(services) -> None:  # type: ignore[no-untyped-def]
    """A server whose read side stands still (no runner here) and whose lag bound is 0.1 s."""
    services.settings = services.settings.model_copy(
        update={"ready_max_lag_seconds": 0.1, "run_projections": False})
    with LiveServer.start(services) as server:
        initiate(services, lead=SCJG)
        time.sleep(0.3)  # older than the bound: the lag is measured in real time (event timestamps), not the fake clock
        response = _get(server, "/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready" and any("落后" in reason for reason in body["reasons"])


def test_readyz_and_metrics_show_a_parked_event_and_the_projections_go_on(server: LiveServer) -> None:
    """Issue 13 item 1: a parked event is visible in /readyz and /metrics; it does not make the platform unready."""
    server.services.app.recorder.insert_events([StoredEvent(
        originator_id=uuid4(), originator_version=1, topic="domain.joint_task:JointTask.Initiated",
        state=b"\xff damaged")])
    server.client("scjg").initiate()
    wait_for_read_models(server)
    body = _get(server, "/readyz").json()
    assert body["status"] == "ready"
    assert body["recent_failures"] and body["recent_failures"][0]["action"] == "parked"
    assert next(r for r in body["projections"] if r["name"] == "tasks")["parked"] == 1
    samples = _samples(server)
    assert samples[("jointinspect_projection_failed_events", (("action", "parked"), ("projection", "tasks")))] == 1
    assert samples[("jointinspect_projection_lag_events", (("projection", "tasks"),))] == 0


def test_metrics_count_requests_by_route_and_commands_by_outcome(server: LiveServer) -> None:
    scjg = server.client("scjg")
    assert scjg.initiate().status_code == 201
    assert scjg.initiate(title="").status_code == 422
    task_id = scjg.initiate().json()["id"]
    scjg.get(f"/joint-tasks/{task_id}")
    samples = _samples(server)
    command = "POST /api/v1/joint-tasks"
    assert samples[("jointinspect_commands_total", (("command", command), ("outcome", "ok")))] == 2
    assert samples[("jointinspect_commands_total", (("command", command), ("outcome", "refused")))] == 1
    route = (("method", "GET"), ("route", "/api/v1/joint-tasks/{task_id}"), ("status", "200"))
    assert samples[("jointinspect_http_request_duration_seconds_count", route)] == 1
    assert ("jointinspect_websocket_clients", ()) in samples
    assert samples[("jointinspect_open_late_responses", ())] == 0
