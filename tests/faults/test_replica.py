"""Reads from a real PostgreSQL streaming replica (issue 18): a test-owned primary and a standby made from it with
pg_basebackup, never the shared server. Lists go to the replica; a read with `min_position` the replica has not
applied falls back to the primary (read-your-writes); a paused or stopped replica leaves every answer right and
`/readyz` says so."""
from __future__ import annotations

from typing import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text

from api.bootstrap import build_services
from api.demo import load_accounts, load_checklist
from api.settings import Settings
from tests.api.test_operations import _samples
from tests.faults.processes import PgCluster, wait
from tests.faults.replication import Standby, primary_and_standby
from tests.support import LiveServer, created, empty_schema

pytestmark = pytest.mark.pg_only


@pytest.fixture(scope="module")
def clusters() -> Iterator[tuple[PgCluster, Standby]]:
    with primary_and_standby() as pair:
        yield pair


@pytest.fixture
def server(clusters, clock, password_hash) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    primary, standby = clusters
    empty_schema(primary.url("store"))  # a clean store for each test
    services = build_services(Settings(database_url=primary.url("store"), read_database_url=standby.url("store"),
                                       env="test", token_ttl_hours=24 * 30, deadline_check_seconds=3600,
                                       replica_wait_seconds=0.5), clock)
    with services.engine.begin() as conn:
        load_accounts(conn, password_hash)
    load_checklist(services)
    try:
        with LiveServer.start(services) as live:
            _replica_caught_up(services)
            yield live
    finally:
        _resume_replay(standby)
        services.close()


def _replica_caught_up(services) -> None:  # type: ignore[no-untyped-def]
    head = services.runner.lowest_position()
    wait(lambda: (services.replica.state().position or 0) >= head and services.replica.state().status == "ok", 30,
         "the replica to replay the store")


def _standby_sql(standby: PgCluster, sql: str) -> None:
    engine = create_engine(standby.url("store"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def _resume_replay(standby: PgCluster) -> None:
    if standby.running():
        _standby_sql(standby, "SELECT pg_wal_replay_resume()")


def _tasks(server: LiveServer, **params) -> tuple[list[str], str]:  # type: ignore[no-untyped-def]
    response = server.client("wlj").get("/joint-tasks", params=params)
    assert response.status_code == 200, response.text
    return [t["task_id"] for t in response.json()["items"]], response.headers["X-Read-From"]


def test_lists_are_read_from_the_replica_once_it_has_the_clients_own_write(server):
    task = created(server.client("scjg").initiate())
    ids, source = _tasks(server, min_position=task["position"])
    assert (ids, source) == ([task["id"]], "replica")
    assert server.services.replica.served["replica"] >= 1
    samples = _samples(server)
    assert samples[("jointinspect_replica_reads_total", (("answered_by", "replica"),))] >= 1
    assert samples[("jointinspect_replica_status", (("status", "ok"),))] == 1
    assert samples[("jointinspect_replica_lag_seconds", ())] >= 0


def test_a_read_the_replica_has_not_applied_falls_back_to_the_primary_and_a_plain_one_shows_the_replica(
        server, clusters):
    _, standby = clusters
    first = created(server.client("scjg").initiate(title="回放暂停之前的任务"))
    _tasks(server, min_position=first["position"])  # the replica has it
    _standby_sql(standby, "SELECT pg_wal_replay_pause()")
    second = created(server.client("scjg").initiate(title="回放暂停之后的任务"))
    ids, source = _tasks(server, min_position=second["position"])  # waits its bound (0.5 s), then the primary
    assert (set(ids), source) == ({first["id"], second["id"]}, "primary")  # read-your-writes kept
    plain, source = _tasks(server)  # no position of its own: the replica as it is (paused before the second)
    assert (plain, source) == ([first["id"]], "replica")
    _resume_replay(standby)
    wait(lambda: _tasks(server, min_position=second["position"])[1] == "replica", 30, "the replica to catch up")


def test_a_stopped_replica_leaves_reads_on_the_primary_and_readyz_says_so(server, clusters):
    _, standby = clusters
    task = created(server.client("scjg").initiate())
    standby.stop()
    try:
        ids, source = _tasks(server, min_position=task["position"])
        assert (ids, source) == ([task["id"]], "primary")
        ready = httpx.get(server.base_url + "/readyz", timeout=10)
        assert ready.status_code == 200, ready.text  # the primary serves every read meanwhile
        body = ready.json()
        assert body["replica"]["status"] == "unavailable" and "只读副本无法访问" in body["notes"][0]
        samples = _samples(server)
        assert samples[("jointinspect_replica_status", (("status", "unavailable"),))] == 1
        assert samples[("jointinspect_replica_status", (("status", "ok"),))] == 0
        assert samples[("jointinspect_replica_reads_total", (("answered_by", "primary"),))] >= 1
    finally:
        standby.start()
    wait(lambda: server.services.replica.state().status == "ok", 30, "the replica to come back")
    assert _tasks(server, min_position=task["position"])[1] == "replica"
    assert httpx.get(server.base_url + "/readyz", timeout=10).json()["replica"]["status"] == "ok"
