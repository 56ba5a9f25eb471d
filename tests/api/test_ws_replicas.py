"""Several API processes on one PostgreSQL: a command accepted by one reaches clients of the other."""
from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.sync.client import connect

from api.demo import DEMO_PASSWORD
from api.http.ws import Client, Hub, Message
from tests.support import api_process


def _token(base: str, username: str) -> str:
    response = httpx.post(base + "/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    return response.json()["access_token"]


def test_a_command_on_process_a_reaches_a_client_on_process_b(services, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("several processes share one store only on PostgreSQL; SQLite serves one process")
    with api_process(database_url) as a, api_process(database_url) as b:
        url = b.replace("http://", "ws://") + "/ws?token=" + _token(b, "wlj")
        with connect(url, open_timeout=10) as ws:
            created = httpx.post(a + "/api/v1/joint-tasks", headers={"Authorization": f"Bearer {_token(a, 'scjg')}"},
                                 json={"title": "跨进程推送", "responding_departments": ["wlj"],
                                       "window_start": "2026-03-09", "window_end": "2026-04-30",
                                       "items": ["食品经营检查"]})
            assert created.status_code == 201, created.text
            message = json.loads(ws.recv(timeout=10))
            while message["type"] == "heartbeat":
                message = json.loads(ws.recv(timeout=10))
    assert message["task_id"] == created.json()["id"] and message["position"] == created.json()["position"]


def test_a_client_whose_queue_overflows_is_dropped_and_the_others_still_receive(services):
    hub = Hub(services, poll_seconds=0.05, heartbeat_seconds=20, queue_limit=3)
    principal = type("P", (), {"is_office": True, "department_code": "lhbgs"})()

    async def scenario() -> tuple[Client, Client]:
        slow, fast = Client(principal, asyncio.Queue(3)), Client(principal, asyncio.Queue(100))
        hub.clients.update({slow, fast})
        for position in range(1, 6):
            hub.publish(Message(position, "JointTask.Responded", "t", "t", None, "wlj", frozenset({"wlj"})))
        return slow, fast

    slow, fast = asyncio.run(scenario())
    assert slow.overflowed and slow not in hub.clients
    assert not fast.overflowed and fast.queue.qsize() == 5
