"""WS /ws: each department sees what concerns it as it happens; `after=<position>` resumes without gap or duplicate.

One tailer per process follows the database's notification log, so a command accepted by any replica reaches
clients connected to every replica. Each client has a bounded queue: one that falls too far behind is told to
resync and is disconnected, and never delays the others.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from api.accounts import Principal
from api.bootstrap import Services
from api.http.routes.joint_tasks import live_rows
from domain.enterprise_request import EnterpriseRequest
from domain.joint_task import JointTask
from domain.notice import Notice
from domain.objection import Objection
from projections.failures import first_line, is_transient

log = logging.getLogger("jointinspect.ws")
router = APIRouter()

QUEUE_LIMIT = 1000
REPLAY_BATCH = 500
EVERYONE = "*"
# A task's message carries its list row as each connected department sees it, so an open task list shows the change
# without reading it back (one read per process instead of one per tab). Not for a burst of more tasks than this (the
# deadline watcher marking many responses overdue: pages re-read instead), nor when the tasks projection has not
# applied the message within ROWS_WAIT_SECONDS (the message then goes without rows; pages read the row themselves).
ROWS_MAX_TASKS = 20
ROWS_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class Message:
    position: int
    type: str
    aggregate_id: str
    task_id: str | None
    at: str | None
    department: str | None
    audience: frozenset[str]  # department codes, or EVERYONE
    rows: dict[str, dict] | None = None  # a task's list row by viewing department (ROWS_MAX_TASKS)

    def for_client(self, principal: Principal | None = None) -> dict:
        body = {"position": self.position, "type": self.type, "aggregate_id": self.aggregate_id,
                "task_id": self.task_id, "at": self.at, "department": self.department}
        row = self.rows.get(principal.department_code) if self.rows and principal else None
        if row is not None:
            body["row"] = row
        return body


@dataclass(eq=False)
class Client:
    principal: Principal
    queue: asyncio.Queue
    overflowed: bool = False

    def concerned(self, message: Message) -> bool:
        return self.principal.is_office or EVERYONE in message.audience or \
            self.principal.department_code in message.audience


class Hub:
    """Tails the notification log and hands each message to the clients it concerns.

    It reads the log when woken (`wake()`: on PostgreSQL by the LISTEN/NOTIFY listener, from any process's
    commit) and otherwise every `poll_seconds` (SQLite: the only way; PostgreSQL: a safety net).
    """

    def __init__(self, services: Services, poll_seconds: float, heartbeat_seconds: float,
                 queue_limit: int = QUEUE_LIMIT) -> None:
        self.services = services
        self.queue_limit = queue_limit
        self.poll_seconds = poll_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.clients: set[Client] = set()
        self.head = 0
        self._audiences: dict[str, frozenset[str]] = {}
        self._task: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.head = await asyncio.to_thread(lambda: self.services.app.recorder.max_notification_id() or 0)
        self._task = asyncio.create_task(self._tail(), name="ws-tail")
        if self.services.listener is not None:
            self.services.listener.subscribe(self.wake)

    def wake(self) -> None:
        """Read the log now rather than at the next poll; safe to call from any thread.

        With nobody connected there is nothing to deliver: the next poll moves the position on (`_skip_to_head`).
        """
        if not self.clients:
            return
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._wake.set)
            except RuntimeError:  # the loop closed meanwhile: nobody is left to wake
                pass

    async def stop(self) -> None:
        if self.services.listener is not None:
            self.services.listener.unsubscribe(self.wake)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _tail(self) -> None:
        while True:
            self._wake.clear()  # before reading: a wake-up arriving during the read is not lost
            try:
                if not self.clients and await self._skip_to_head():
                    messages = []
                else:
                    messages = await asyncio.to_thread(self.read, self.head, REPLAY_BATCH)
                    messages = await self._with_rows(messages)
            except Exception as exc:  # the database blinked; the position stays, so nothing is skipped
                if is_transient(exc):
                    log.warning("ws tail failed, database unavailable (%s); retrying", first_line(exc))
                else:
                    log.exception("ws tail failed; retrying")
                await asyncio.sleep(1.0)
                continue
            for message in messages:
                self.publish(message)
            if len(messages) < REPLAY_BATCH:
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                except asyncio.TimeoutError:
                    pass

    async def _skip_to_head(self) -> bool:
        """With nobody connected, move to the log's head without reading or decoding events.

        A client connecting later replays from its own `after` to the log's end, which is past this head; the
        check after the query (on the event loop, where clients are added) makes sure no client joined meanwhile.
        """
        head = await asyncio.to_thread(lambda: self.services.app.recorder.max_notification_id() or 0)
        if self.clients:
            return False
        self.head = max(self.head, head)
        return True

    async def _with_rows(self, messages: list[Message]) -> list[Message]:
        """The messages, each task's carrying its list row for every department connected here (ROWS_MAX_TASKS)."""
        task_ids = {m.task_id for m in messages if m.task_id}
        viewers = {c.principal.department_code for c in self.clients}
        if not task_ids or not viewers or len(task_ids) > ROWS_MAX_TASKS:
            return messages
        position = max(m.position for m in messages if m.task_id)
        try:
            rows = await asyncio.to_thread(self._rows, sorted(task_ids), viewers, position)
        except Exception as exc:  # the rows are a convenience: the messages go without them
            log.warning("ws: cannot read the rows of %d tasks (%s)", len(task_ids), exc)
            return messages
        if not rows:
            return messages
        return [replace(m, rows=rows.get(m.task_id)) if m.task_id else m for m in messages]

    def _rows(self, task_ids: list[str], viewers: set[str], position: int) -> dict[str, dict[str, dict]] | None:
        if not self.services.runner.wait_for(position, ROWS_WAIT_SECONDS, name="tasks"):
            return None
        return live_rows(self.services, task_ids, viewers)

    def publish(self, message: Message) -> None:
        """Queue a message for every client it concerns; a client whose queue is full is dropped."""
        self.head = message.position
        for client in list(self.clients):
            if client.concerned(message):
                self._offer(client, message)

    def _offer(self, client: Client, message: Message) -> None:
        try:
            client.queue.put_nowait(message)
        except asyncio.QueueFull:
            client.overflowed = True
            self.clients.discard(client)

    def read(self, after: int, limit: int) -> list[Message]:
        """Messages after a position, in log order (runs in a worker thread)."""
        app = self.services.app
        notifications = app.recorder.select_notifications(after, limit, inclusive_of_start=False)
        return [self._decoded(n) for n in notifications]

    def _decoded(self, notification: Any) -> Message:
        """The message of a notification; one that cannot be decoded still takes its place in the stream (the tail
        never stops on it, projections/failures.py), as `unreadable_event` for the office alone."""
        try:
            event = self.services.app.mapper.to_domain_event(notification)
        except Exception as exc:
            log.error("ws: cannot decode the event at position %s (%s)", notification.id, exc)
            return Message(position=notification.id, type="unreadable_event",
                           aggregate_id=str(notification.originator_id), task_id=None, at=None, department=None,
                           audience=frozenset())
        return self._message(notification.id, event)

    def _message(self, position: int, event: Any) -> Message:
        at = getattr(event, "at", None) or getattr(event, "pushed_at", None)
        actor = getattr(event, "actor", None) or {}
        task_id = str(event.originator_id) if isinstance(event, JointTask.Event) else None
        if task_id:
            audience = self._audience(task_id, event)
        elif isinstance(event, Notice.Event):
            audience = frozenset({event.department})  # a notice is for its department (and the office)
        elif isinstance(event, (Objection.Event, EnterpriseRequest.Event)):
            # the department that owns it (a forwarding: both), and whoever acted; never every department
            audience = frozenset(d for d in (getattr(event, "department", None), getattr(event, "to_department", None),
                                             actor.get("department")) if d)
        else:
            audience = frozenset({EVERYONE})  # calendar changes are public
        return Message(position=position, type=type(event).__qualname__, aggregate_id=str(event.originator_id),
                       task_id=task_id,
                       at=at.isoformat() if at else None, department=actor.get("department"), audience=audience)

    def _audience(self, task_id: str, event: Any) -> frozenset[str]:
        """The lead and the responding departments of the task (office clients receive everything anyway)."""
        name = type(event).__name__
        if name == "Initiated":
            self._audiences[task_id] = frozenset([event.lead_department, *event.responding_departments])
        elif name == "MergeAbsorbed" or task_id not in self._audiences:
            task = self.services.app.get_task(event.originator_id)
            self._audiences[task_id] = frozenset([task.lead_department, *task.responses])
        return self._audiences[task_id]


@router.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    """Authenticated by bearer token (Authorization header, or ?token= for browsers); ?after=<position> resumes,
    ?after=head starts from now (a page that has just read what it shows)."""
    services: Services = websocket.app.state.services
    hub: Hub = websocket.app.state.hub
    await websocket.accept()
    principal = await asyncio.to_thread(_authenticate, websocket, services)
    if principal is None:
        await websocket.close(code=4401, reason="unauthenticated")
        return
    head = await asyncio.to_thread(lambda: services.app.recorder.max_notification_id() or 0)
    raw_after = websocket.query_params.get("after", "0") or "0"
    try:
        after = head if raw_after == "head" else int(raw_after)  # "head": only what happens from now on
        if after < 0:
            raise ValueError
    except ValueError:
        await websocket.close(code=4422, reason="after must be a non-negative integer or 'head'")
        return
    if after > head:  # a far-future position: nothing to resume from, refused at once (issue 13)
        await websocket.close(code=4422, reason=f"after is beyond the log's head ({head})")
        return
    client = Client(principal, asyncio.Queue(hub.queue_limit))
    metrics = websocket.app.state.metrics.ws_clients
    metrics.inc()
    hub.clients.add(client)  # register before replaying: live messages queue up meanwhile, duplicates are skipped
    # An API process without the projections listens only once a client is here to hear: otherwise every commit
    # anywhere would wake it for nothing (about 4 % of its CPU under load). Connecting wakes the hub.
    services.start_listening()
    hub.wake()
    try:
        await _serve(websocket, hub, client, after)
    except WebSocketDisconnect:
        pass
    finally:
        hub.clients.discard(client)
        metrics.dec()


async def _serve(websocket: WebSocket, hub: Hub, client: Client, after: int) -> None:
    last = after
    while True:  # replay what was missed, in order
        batch = await asyncio.to_thread(hub.read, last, REPLAY_BATCH)
        for message in batch:
            last = message.position
            if client.concerned(message):
                await websocket.send_json(message.for_client())
        if len(batch) < REPLAY_BATCH:
            break
    receiver = asyncio.create_task(_drain_incoming(websocket))
    try:
        while not client.overflowed or not client.queue.empty():
            getter = asyncio.create_task(client.queue.get())
            done, _ = await asyncio.wait({getter, receiver}, timeout=hub.heartbeat_seconds,
                                         return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:  # the client went away
                getter.cancel()
                return
            if getter not in done:
                getter.cancel()
                await websocket.send_json({"type": "heartbeat", "position": max(last, hub.head)})
                continue
            message = getter.result()
            if message.position > last:
                last = message.position
                await websocket.send_json(message.for_client(client.principal))
        await websocket.send_json({"type": "resync", "position": last})
        await websocket.close(code=4008, reason="too far behind; reconnect with after=position")
    finally:
        receiver.cancel()


async def _drain_incoming(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, so a closed connection is noticed."""
    while True:
        await websocket.receive_text()


def _authenticate(websocket: WebSocket, services: Services) -> Principal | None:
    header = websocket.headers.get("authorization", "")
    token = header[7:] if header.lower().startswith("bearer ") else websocket.query_params.get("token", "")
    if not token:
        return None
    return services.tokens.principal(services.engine, token, services.clock.now())
