"""A passed response deadline turns late without any user action, and the office is told (R-JOINT-4, R-OVER-1)."""
from __future__ import annotations

import json
from datetime import timedelta

from websockets.sync.client import connect

from api.scheduler import DeadlineWatcher
from tests.support import LiveServer


def test_watcher_marks_a_passed_unanswered_deadline_once(server, clock):  # R-JOINT-4
    task = server.client("scjg").initiate(responding_departments=["wlj", "gxj"]).json()
    server.client("wlj").respond(task["id"])
    server.services.runner.wait_for(server.services.app.recorder.max_notification_id())
    watcher = DeadlineWatcher(server.services, interval=60)
    assert watcher.check() == 0  # deadline (Wed 4 Mar) not passed yet
    clock.advance(timedelta(days=3))
    assert watcher.check() == 1  # only gxj, which never answered
    server.services.runner.wait_for(server.services.app.recorder.max_notification_id())
    assert watcher.check() == 0
    timeline = server.client("office").get(f"/joint-tasks/{task['id']}/timeline").json()["items"]
    assert timeline[-1]["event_type"] == "ResponseOverdue"
    assert timeline[-1]["summary"] == "工业和信息化局未在期限 2026-03-04 前响应，系统已标记逾期"


def test_office_client_is_told_when_a_deadline_passes_with_no_user_action(services, clock):  # R-OVER-1 R-JOINT-4
    services.settings = services.settings.model_copy(update={"deadline_check_seconds": 0.05})
    with LiveServer.start(services) as server:
        task = server.client("scjg").initiate(responding_departments=["wlj"]).json()
        server.client("office")
        url = server.base_url.replace("http://", "ws://") + f"/ws?after={task['position']}&token="
        with connect(url + server._tokens["office"], open_timeout=10) as ws:
            clock.advance(timedelta(days=3))  # only time moves
            message = json.loads(ws.recv(timeout=10))
            while message["type"] == "heartbeat":
                message = json.loads(ws.recv(timeout=10))
    assert message["type"] == "JointTask.ResponseOverdue" and message["task_id"] == task["id"]
