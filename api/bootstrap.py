"""The composition root's product: everything a request needs, built once per app."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine

from api.storage import eventstore as store, migrations
from api.accounts import TOKENS_CHANNEL, TokenCache
from api.storage.official_calendar import ChineseCalendarSchedule
from api.storage.checklist import SqlChecklist
from api.storage.draws import SqlDrawEvidence, SqlSubjectPool
from api.storage.inspectors import SqlInspectors
from api.storage.ports import (SqlArchiveStore, SqlDepartmentSettings, SqlOpenClocks, SqlOpenTasks, SqlResultIndex,
                               SqlStaff, SqlTaskNumbers, SqlVisitCodes)
from api.http.read_waits import ReadWaits
from api.storage.replica import READ_ENGINE, Replica
from api.settings import Settings
from domain.usecases import Clock, JointInspect
from domain.clock import StartedClock, SystemClock
from projections import tables as read_tables
from projections.afterlife import ArchivesProjection, ObjectionsProjection, RequestsProjection
from projections.as_of import PastStores
from projections.credit_feedback import CreditFeedbackProjection
from projections.runner import ProjectionRunner
from projections.subscription import EventListener, install_notify_trigger
from projections.notices import NoticesProjection
from projections.results import ResultsProjection
from projections.subject_draws import SubjectDrawsProjection
from projections.subject_overlap import SubjectOverlapProjection
from projections.tasks import TasksProjection


@dataclass
class Services:
    settings: Settings
    clock: Clock
    app: JointInspect
    engine: Engine
    runner: ProjectionRunner
    read_waits: ReadWaits  # built with the runner: the draw's port (SqlSubjectPool) waits through it too
    tokens: TokenCache = field(default_factory=TokenCache)
    listener: EventListener | None = None  # PostgreSQL LISTEN/NOTIFY (settings.subscribes); None: poll
    past: PastStores | None = None  # oversight ?as_of=: read models replayed up to a past instant
    token_listener: EventListener | None = None  # PostgreSQL: a logout anywhere empties this process's tokens
    replica: Replica | None = None  # JOINTINSPECT_READ_DATABASE_URL: reads that may lag go there

    @property
    def read_engine(self) -> Engine:
        """Where this request's lagging reads go: the replica when the ReadAfter dependency chose it, else the
        primary (api/storage/replica.py)."""
        return READ_ENGINE.get() or self.engine

    def start_listening(self) -> None:
        """Start the LISTEN connection if the store is subscribed to (idempotent; nothing on SQLite)."""
        if self.listener is not None:
            self.listener.start()

    def start_token_listener(self) -> None:
        """LISTEN for revoked tokens, in every API process (idempotent; nothing on SQLite, one process there)."""
        if self.token_listener is None and self.engine.dialect.name == "postgresql":
            self.token_listener = EventListener(self.engine, channel=TOKENS_CHANNEL)
            self.token_listener.subscribe(self.tokens.clear)  # also on each (re)connect: what was missed
            self.token_listener.start()

    @property
    def token_ttl(self) -> timedelta:
        return timedelta(hours=self.settings.token_ttl_hours)

    def close(self) -> None:
        self.runner.stop()
        for listener in (self.listener, self.token_listener):
            if listener is not None:
                listener.stop()
        if self.replica is not None:
            self.replica.close()
        self.engine.dispose()


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    """Connect to the store, apply pending schema migrations, and wire the application and projections."""
    if clock is None:
        clock = StartedClock(settings.now) if settings.now else SystemClock()
    if settings.is_sqlite:
        store.ensure_sqlite_directory(settings.database_url)
    app = JointInspect(
        store.environment(settings.database_url),
        clock=clock,
        official=ChineseCalendarSchedule(),
    )
    engine = app.recorder.datastore.engine  # type: ignore[attr-defined]
    wire_ports(app)
    migrations.upgrade(engine)  # pending schema revisions (api/storage/migrations); the events table is the recorder's
    runner = ProjectionRunner(app, engine, [TasksProjection(), NoticesProjection(), ResultsProjection(),
                                            SubjectDrawsProjection(), SubjectOverlapProjection(),
                                            ObjectionsProjection(), RequestsProjection(), ArchivesProjection(),
                                            CreditFeedbackProjection()],
                              poll_seconds=settings.poll_seconds,
                              coalesce_seconds=settings.projection_coalesce_seconds if settings.subscribes else 0.0)
    read_waits = ReadWaits(runner, settings.max_read_waits, settings.read_wait_seconds)
    app.subject_pool = SqlSubjectPool(read_waits.within, runner.lowest_position)
    listener = None
    if settings.subscribes:
        install_notify_trigger(engine, app.recorder.events_table_name)  # type: ignore[attr-defined]
        listener = EventListener(engine)
        listener.subscribe(runner.wake)
        listener.on_wanted(runner.hurry)
    past = PastStores(app, runner.projections, (read_tables.task_summary, read_tables.task_departments,
                                                read_tables.notices, read_tables.inspection_results,
                                                read_tables.objections, read_tables.enterprise_requests,
                                                read_tables.task_archives))
    replica = None if settings.read_database_url is None else Replica(
        settings.read_database_url, [p.name for p in runner.projections], settings.replica_wait_seconds,
        settings.replica_max_lag_seconds)
    return Services(settings=settings, clock=clock, app=app, engine=engine, runner=runner, listener=listener,
                    past=past, read_waits=read_waits, replica=replica)


def wire_ports(app: JointInspect) -> None:
    """The write side's ports on SQL (domain.ports), each reading in the command's own transaction. The subject
    pool also needs the projection runner (it catches the read models up), so build_services sets it."""
    app.open_tasks = SqlOpenTasks(app)
    app.checklist = SqlChecklist()
    app.draw_evidence = SqlDrawEvidence()
    app.inspectors = SqlInspectors()
    app.task_numbers = SqlTaskNumbers()
    app.result_index = SqlResultIndex()
    app.visit_codes = SqlVisitCodes()
    app.open_clocks = SqlOpenClocks()
    app.archive_store = SqlArchiveStore()
    app.staff = SqlStaff()
    app.department_settings = SqlDepartmentSettings()

