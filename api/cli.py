"""The `jointinspect` console script: serve, demo."""
from __future__ import annotations

import argparse
import logging
import sys
import threading

from api.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jointinspect", description="部门联合双随机抽查协同平台")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the HTTP API and web UI")
    serve.add_argument("--host", help="default JOINTINSPECT_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, help="default JOINTINSPECT_PORT or 8000")
    sub.add_parser("demo", help="load the demo province into an empty store (does nothing otherwise)")
    projections = sub.add_parser("projections", help="inspect, rebuild or run the read-model projections")
    projections.add_argument("action", choices=["status", "rebuild", "run"])
    projections.add_argument("name", nargs="?", help="rebuild only this projection (default: all)")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"jointinspect: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.command == "serve":
        return _serve(settings, args.host, args.port)
    if args.command == "projections":
        return _projections(settings, args.action, args.name)
    return _demo(settings)


def _serve(settings: Settings, host: str | None, port: int | None) -> int:
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port,
                log_level=settings.log_level)
    return 0


def _demo(settings: Settings) -> int:
    from api.demo import load_demo
    from api.services import build_services

    services = build_services(settings)
    try:
        loaded = load_demo(services)
        services.runner.catch_up()
    finally:
        services.close()
    print("demo data loaded" if loaded else "store not empty: demo data not loaded")
    return 0


def _projections(settings: Settings, action: str, name: str | None) -> int:
    from api.services import build_services

    services = build_services(settings)
    runner = services.runner
    try:
        if action == "status":
            for row in runner.status(services.clock.now()):
                print(f"{row['name']}: position {row['position']} of {row['head']}, "
                      f"lag {row['lag_events']} events / {row['lag_seconds']} s")
        elif action == "rebuild":
            names = [name] if name else [p.name for p in runner.projections]
            for each in names:
                try:
                    print(f"{each}: rebuilt from {runner.rebuild(each)} events")
                except KeyError as exc:
                    print(f"jointinspect: {exc.args[0]}", file=sys.stderr)
                    return 2
        else:
            runner.start()
            print("projections running; Ctrl-C stops")
            try:
                threading.Event().wait()  # the runner's thread does the work until Ctrl-C
            except KeyboardInterrupt:
                pass
    finally:
        services.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
