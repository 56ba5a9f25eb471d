"""PostgreSQL LISTEN/NOTIFY: wake the projection runner and the websocket tailer as soon as events are recorded.

A statement-level trigger on the events table sends `NOTIFY jointinspect_events, '<highest new position>'` in the
appending transaction, so PostgreSQL delivers it at commit, whichever process or engine wrote. One dedicated
psycopg2 connection per process LISTENs and wakes every subscriber. Notifications are only a wake-up: the
subscribers still read the log from their own position, so a lost notification costs latency (the slow safety
poll finds it), never an event. SQLite cannot be subscribed to; there the runner and the tailer keep polling.
A reader that waits for the read models sends `NOTIFY jointinspect_events, 'wanted'` (`notify_wanted`): it hurries
the projection runner past its coalescing interval and wakes nothing else.
"""
from __future__ import annotations

import logging
import os
import re
import select
import threading
import zlib
from typing import Callable

import psycopg2
import psycopg2.extensions
from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger("jointinspect.subscription")

CHANNEL = "jointinspect_events"
WANTED = "wanted"  # the payload of a reader's NOTIFY: it waits for the read models (`ProjectionRunner.wait_for`)
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def install_notify_trigger(engine: Engine, table: str, channel: str = CHANNEL) -> None:
    """Create or replace the trigger that notifies `channel` after each insert into `table` (idempotent)."""
    for name in (table, channel):
        if not _IDENTIFIER.match(name):
            raise ValueError(f"not a plain SQL identifier: {name!r}")
    function = f"{table}_notify"
    with engine.begin() as conn:
        # several API processes start at once: CREATE OR REPLACE on one catalog row must not race
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(f"jointinspect:{function}".encode())})
        conn.exec_driver_sql(f"""
            CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                PERFORM pg_notify('{channel}', (SELECT max(id) FROM inserted)::text);
                RETURN NULL;
            END $$""")
        conn.exec_driver_sql(f"""
            CREATE OR REPLACE TRIGGER {function} AFTER INSERT ON {table}
            REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION {function}()""")


Subscriber = Callable[[], None]


def notify_wanted(engine: Engine, channel: str = CHANNEL) -> None:
    """Tell the projection runner listening on PostgreSQL (in whichever process) that a reader waits for it."""
    if engine.dialect.name != "postgresql":
        return  # SQLite is polled; its runner runs in the reader's own process
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": WANTED})
        conn.commit()


class EventListener:
    """Holds one LISTEN connection and calls every subscriber when a notification (or a reconnect) arrives.

    Subscribers must be quick and thread-safe (`ProjectionRunner.wake`, `Hub.wake`). A dropped connection is
    reopened with backoff; subscribers are woken after each (re)connect, since what was recorded while nobody
    listened was announced to nobody.
    """

    def __init__(self, engine: Engine, channel: str = CHANNEL, max_backoff: float = 5.0,
                 idle_check_seconds: float = 30.0) -> None:
        if not _IDENTIFIER.match(channel):
            raise ValueError(f"not a plain SQL identifier: {channel!r}")
        self._connect_args = engine.dialect.create_connect_args(engine.url)
        self.channel = channel
        self.max_backoff = max_backoff
        self.idle_check_seconds = idle_check_seconds
        self.connected = threading.Event()
        self.backend_pid: int | None = None  # of the listening connection, e.g. for pg_terminate_backend in tests
        self.last_position = 0  # the highest position announced so far
        self.reconnects = 0
        self._subscribers: list[Subscriber] = []
        self._wanted: list[Subscriber] = []  # called when a reader says it waits (`notify_wanted`)
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._stop_read, self._stop_write = os.pipe()  # lets stop() interrupt select() at once
        self._thread: threading.Thread | None = None

    # ---- subscribers -----------------------------------------------------------------------------
    def subscribe(self, subscriber: Subscriber) -> None:
        with self._guard:
            self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        with self._guard:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

    def on_wanted(self, subscriber: Subscriber) -> None:
        """Call `subscriber` when a reader announces that it waits for the read models."""
        with self._guard:
            self._wanted.append(subscriber)

    def _wake_all(self, wanted: bool = False) -> None:
        with self._guard:
            subscribers = list(self._wanted if wanted else self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber()
            except Exception:  # one broken subscriber must not silence the others
                log.exception("subscriber %r failed", subscriber)

    # ---- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        """Start listening in a daemon thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="event-listener", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        os.write(self._stop_write, b"x")
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        for fd in (self._stop_read, self._stop_write):
            os.close(fd)

    def _run(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            try:
                conn = self._connect()
            except psycopg2.Error as exc:
                log.warning("cannot LISTEN on %s (%s); retrying in %.1f s", self.channel, exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            backoff = 0.1
            try:
                self._listen(conn)
            except psycopg2.Error as exc:
                log.warning("LISTEN connection lost (%s); reconnecting", str(exc).strip())
                self.reconnects += 1
            finally:
                self.connected.clear()
                conn.close()

    def _connect(self) -> psycopg2.extensions.connection:
        args, params = self._connect_args
        conn = psycopg2.connect(*args, **params, application_name="jointinspect-listener",
                                keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3)
        try:
            conn.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
            with conn.cursor() as cursor:
                cursor.execute(f"LISTEN {self.channel}")
        except psycopg2.Error:
            conn.close()
            raise
        self.backend_pid = conn.get_backend_pid()
        self.connected.set()
        self._wake_all()
        return conn

    def _listen(self, conn: psycopg2.extensions.connection) -> None:
        while not self._stop.is_set():
            readable, _, _ = select.select([conn, self._stop_read], [], [], self.idle_check_seconds)
            if self._stop_read in readable:
                return
            if readable:
                conn.poll()  # raises when the server closed the connection (e.g. pg_terminate_backend)
            else:  # quiet for a while: prove the connection is alive (raises if it is not)
                with conn.cursor() as cursor:
                    cursor.execute("SELECT 1")
            if conn.notifies:
                payloads = [n.payload for n in conn.notifies]
                conn.notifies.clear()
                self.last_position = max([self.last_position, *(int(p) for p in payloads if p.isdigit())])
                if any(p != WANTED for p in payloads):
                    self._wake_all()
                if WANTED in payloads:
                    self._wake_all(wanted=True)
