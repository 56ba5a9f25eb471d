"""The `jointinspect` console script: serve, demo, migrate, projections, verify-draw."""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
from datetime import datetime, timezone

from api import admin_cli
from api.logs import configure_logging
from api.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jointinspect", description="部门联合双随机抽查协同平台")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the HTTP API and web UI")
    serve.add_argument("--host", help="default JOINTINSPECT_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, help="default JOINTINSPECT_PORT or 8000")
    serve.add_argument("--workers", type=int, help="API processes (PostgreSQL only); default JOINTINSPECT_WORKERS or 1")
    sub.add_parser("demo", help="load the demo province into an empty store (does nothing otherwise)")
    sub.add_parser("migrate", help="apply pending schema migrations (serve and demo also do at start)")
    projections = sub.add_parser("projections", help="inspect, rebuild or run the read-model projections")
    projections.add_argument("action", choices=["status", "rebuild", "run"])
    projections.add_argument("name", nargs="?", help="rebuild only this projection (default: all)")
    projections.add_argument("--processes", type=int,
                             help="processes rebuilding all projections (default: the CPU count on PostgreSQL, "
                                  "1 on SQLite, where writers take turns)")
    verify = sub.add_parser("verify-draw", help="recompute a draw from its published record and pool list")
    verify.add_argument("record", help="the draw record as JSON (GET /api/v1/draws/{id})")
    verify.add_argument("pool", help="the pool list (GET /api/v1/draws/{id}/pool): code<TAB>stratum lines")
    admin_cli.add_subcommands(sub)
    args = parser.parse_args(argv)
    if args.command == "verify-draw":
        return _verify_draw(args.record, args.pool)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"jointinspect: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    if args.command == "serve":
        return _serve(settings, args.host, args.port, args.workers)
    if args.command == "projections":
        return _projections(settings, args.action, args.name, args.processes)
    if args.command == "migrate":
        return _migrate(settings)
    if args.command in ("departments", "users"):
        return admin_cli.run(settings, args)
    return _demo(settings)


def _serve(settings: Settings, host: str | None, port: int | None, workers: int | None) -> int:
    import uvicorn

    from api.http.app import create_app
    from api.processes import mark_supervisor, port_in_use

    workers = workers or settings.workers
    host, port = host or settings.host, port or settings.port
    if port_in_use(host, port):
        print(f"jointinspect: {host}:{port} is already in use — another `jointinspect serve` (or a process left "
              f"from one) is listening there. Stop it, or serve on another port (--port / JOINTINSPECT_PORT).",
              file=sys.stderr)
        return 1
    if workers > 1:
        if settings.is_sqlite:
            print("jointinspect: several workers need PostgreSQL; the SQLite store serves one process",
                  file=sys.stderr)
            return 2
        # Each worker builds its own app from the same environment; projections and the deadline watcher run
        # in all of them, and PostgreSQL advisory locks keep exactly one of each active. Their metrics meet in
        # prometheus-client's multiprocess files (api/operations.py): a fresh directory per start.
        made = None
        if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            made = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="jointinspect-metrics-")
        mark_supervisor()  # the workers die with this process, even on SIGKILL (api/processes.py)
        try:
            uvicorn.run("api.http.app:create_app", factory=True, workers=workers, host=host, port=port,
                        log_level=settings.log_level, log_config=None)  # uvicorn's loggers reach ours (api/logs.py)
        finally:
            if made is not None:  # this start's metrics end with it
                shutil.rmtree(made, ignore_errors=True)
        return 0
    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level, log_config=None)
    return 0


def _demo(settings: Settings) -> int:
    from api.demo import load_demo
    from api.bootstrap import build_services

    services = build_services(settings)
    try:
        loaded = load_demo(services)
        services.runner.catch_up()
    finally:
        services.close()
    print("demo data loaded" if loaded else "store not empty: demo data not loaded")
    return 0


def _migrate(settings: Settings) -> int:
    """Bring the store's schema to this code's newest revision; prints the revision before and after."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from api.storage import eventstore as store, migrations
    from alembic.util import CommandError  # after api.storage.migrations, which quiets Alembic's import-time logging

    if settings.is_sqlite:
        store.ensure_sqlite_directory(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        before, after = migrations.upgrade(engine)
    except (CommandError, SQLAlchemyError) as exc:  # e.g. a store migrated by a newer version of the code
        print(f"jointinspect: migration failed: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    head = migrations.head()
    print(f"schema revision before: {before or 'none'}")
    print(f"schema revision after: {after}{' (head)' if after == head else ''}")
    return 0


def _verify_draw(record_path: str, pool_path: str) -> int:
    """Offline: needs nothing but the two files; prints match or which check failed (exit 0 / 1)."""
    import json

    from domain import draw

    try:
        with open(record_path, encoding="utf-8") as f:
            record = json.load(f)
        with open(pool_path, encoding="utf-8") as f:
            pool = draw.parse_pool(f.read())
    except (OSError, ValueError) as exc:
        print(f"jointinspect: cannot read the record or pool: {exc}", file=sys.stderr)
        return 2
    result = draw.verify(record, pool)
    if result.match:
        print(f"match: {len(record['drawn'])} drawn from a pool of {len(pool)} ({record['algorithm']} "
              f"v{record['version']}, fingerprint {record['pool_fingerprint']})")
        return 0
    failed = [name for name, ok in (("commitment", result.commitment_ok), ("fingerprint", result.fingerprint_ok),
                                    ("drawn", result.drawn_ok)) if not ok]
    print(f"mismatch: {', '.join(failed)}")
    return 1


def _projections(settings: Settings, action: str, name: str | None, processes: int | None) -> int:
    from api.bootstrap import build_services
    from projections import failures

    services = build_services(settings)
    runner = services.runner
    try:
        if action == "status":
            for row in runner.status(datetime.now(timezone.utc)):
                print(f"{row['name']}: position {row['position']} of {row['head']}, "
                      f"lag {row['lag_events']} events / {row['lag_seconds']} s, "
                      f"parked {row['parked']}, sanitised {row['sanitised']}")
            with services.engine.connect() as conn:
                for failure in failures.latest(conn):
                    print(f"  {failure['action']} by {failure['projection']} at position {failure['position']} "
                          f"({failure['topic']}): {failure['error']}")
        elif action == "rebuild" and not name:
            if processes is None:
                processes = 1 if settings.is_sqlite else os.cpu_count() or 1
            try:
                passed = runner.rebuild_all(processes)
            except RuntimeError as exc:  # a rebuild process failed; its log says why
                print(f"jointinspect: {exc}", file=sys.stderr)
                return 1
            print(f"{', '.join(p.name for p in runner.projections)}: rebuilt from {passed} log positions "
                  f"in {min(processes, len(runner.projections))} process(es)")
        elif action == "rebuild":
            try:
                print(f"{name}: rebuilt from {runner.rebuild(name)} events")
            except KeyError as exc:
                print(f"jointinspect: {exc.args[0]}", file=sys.stderr)
                return 2
        else:
            from api.scheduler import DeadlineWatcher

            # The deadline watcher runs with the projections: in the deployed shape (API processes without
            # projections, this worker beside them) nothing else would mark unanswered responses overdue (R-JOINT-4).
            # Its lock, like the runner's, keeps one instance active per database (a standby worker waits).
            watcher = DeadlineWatcher(services, settings.deadline_check_seconds)
            runner.start()
            services.start_listening()
            watcher.start()
            print("projections and the deadline watcher running; Ctrl-C or SIGTERM stops")
            stopping = threading.Event()  # SIGTERM (systemd, docker stop) stops it as Ctrl-C does: locks released
            signal.signal(signal.SIGTERM, lambda *_: stopping.set())
            try:
                while not stopping.wait(0.5):  # the runner's and the watcher's threads do the work
                    pass
            except KeyboardInterrupt:
                pass
            finally:
                watcher.stop()
    finally:
        services.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
