"""One settings object, read from the environment when the app is built (never at import)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

ENVIRONMENTS = ("production", "development", "demo", "test")
DEFAULT_DATABASE_URL = "sqlite:///./var/jointinspect.db"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    env: str = "development"
    now: datetime | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    token_ttl_hours: int = 12
    projection_poll_seconds: float = 0.05
    listen: bool = True  # PostgreSQL: LISTEN/NOTIFY wakes projections and /ws; polling only as a safety net
    safety_poll_seconds: float = 2.0
    projection_coalesce_seconds: float = 0.15  # subscribed: when woken, at most one batch this often
    run_projections: bool = True
    ws_heartbeat_seconds: float = 20.0
    deadline_check_seconds: float = 30.0
    log_level: str = "info"
    # hostile input (README "Limits")
    max_body_bytes: int = 1 << 20  # a JSON body; uploads have their own limit
    max_upload_bytes: int = 64 << 20  # one CSV/XLSX import file
    max_import_rows: int = 500_000  # rows of one import, blank rows included
    max_import_columns: int = 64  # cells per row of an import
    max_read_waits: int = 32  # concurrent `min_position` waits per process; beyond: 503 at once
    read_wait_seconds: float = 5.0  # how long one `min_position` read waits for the read models
    login_failures_per_account: int = 5  # failed logins per account per minute before 429
    login_failures_per_address: int = 20  # failed logins per client address per minute before 429
    ready_max_lag_seconds: float = 30.0  # /readyz fails when a projection lags more than this

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from JOINTINSPECT_* variables; refuse what would be unsafe."""
        e = os.environ if environ is None else environ
        env = e.get("JOINTINSPECT_ENV", "development")
        if env not in ENVIRONMENTS:
            raise SettingsError(f"JOINTINSPECT_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
        now = None
        if e.get("JOINTINSPECT_NOW"):
            if env not in ("demo", "test"):
                raise SettingsError(
                    "JOINTINSPECT_NOW moves the server's clock and is refused unless JOINTINSPECT_ENV is demo or test"
                )
            now = _parse_instant(e["JOINTINSPECT_NOW"])
        return cls(
            database_url=e.get("JOINTINSPECT_DATABASE_URL", DEFAULT_DATABASE_URL),
            env=env,
            now=now,
            host=e.get("JOINTINSPECT_HOST", "127.0.0.1"),
            port=_int(e, "JOINTINSPECT_PORT", 8000, 1, 65535),
            workers=_int(e, "JOINTINSPECT_WORKERS", 1, 1, 64),
            token_ttl_hours=_int(e, "JOINTINSPECT_TOKEN_TTL_HOURS", 12, 1, 24 * 30),
            projection_poll_seconds=_float(e, "JOINTINSPECT_PROJECTION_POLL_SECONDS", 0.05, 0.01, 60),
            ws_heartbeat_seconds=_float(e, "JOINTINSPECT_WS_HEARTBEAT_SECONDS", 20.0, 0.1, 3600),
            deadline_check_seconds=_float(e, "JOINTINSPECT_DEADLINE_CHECK_SECONDS", 30.0, 0.01, 3600),
            listen=e.get("JOINTINSPECT_LISTEN", "true").lower() in ("1", "true", "yes", "on"),
            safety_poll_seconds=_float(e, "JOINTINSPECT_SAFETY_POLL_SECONDS", 2.0, 0.05, 3600),
            projection_coalesce_seconds=_float(e, "JOINTINSPECT_PROJECTION_COALESCE_SECONDS", 0.15, 0.0, 1.0),
            run_projections=e.get("JOINTINSPECT_RUN_PROJECTIONS", "true").lower() in ("1", "true", "yes", "on"),
            log_level=e.get("JOINTINSPECT_LOG_LEVEL", "info"),
            max_body_bytes=_int(e, "JOINTINSPECT_MAX_BODY_BYTES", 1 << 20, 1024, 64 << 20),
            max_upload_bytes=_int(e, "JOINTINSPECT_MAX_UPLOAD_BYTES", 64 << 20, 1024, 4 << 30),
            max_import_rows=_int(e, "JOINTINSPECT_MAX_IMPORT_ROWS", 500_000, 1, 50_000_000),
            max_import_columns=_int(e, "JOINTINSPECT_MAX_IMPORT_COLUMNS", 64, 1, 1000),
            max_read_waits=_int(e, "JOINTINSPECT_MAX_READ_WAITS", 32, 1, 10_000),
            read_wait_seconds=_float(e, "JOINTINSPECT_READ_WAIT_SECONDS", 5.0, 0.0, 60.0),
            login_failures_per_account=_int(e, "JOINTINSPECT_LOGIN_FAILURES_PER_ACCOUNT", 5, 1, 1000),
            login_failures_per_address=_int(e, "JOINTINSPECT_LOGIN_FAILURES_PER_ADDRESS", 20, 1, 100_000),
            ready_max_lag_seconds=_float(e, "JOINTINSPECT_READY_MAX_LAG_SECONDS", 30.0, 0.1, 86_400),
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def subscribes(self) -> bool:
        """Whether the store is subscribed to (PostgreSQL LISTEN/NOTIFY) rather than polled."""
        return self.listen and self.database_url.startswith("postgresql")

    @property
    def poll_seconds(self) -> float:
        """How often the projection runner and the /ws tailer look at the log unprompted."""
        return self.safety_poll_seconds if self.subscribes else self.projection_poll_seconds


def _parse_instant(value: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise SettingsError(f"JOINTINSPECT_NOW is not an ISO datetime: {value!r}") from None
    if instant.tzinfo is None:
        raise SettingsError("JOINTINSPECT_NOW needs a timezone offset, e.g. 2026-03-02T09:00:00+08:00")
    return instant


def _int(e: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    return int(_number(e, name, default, low, high, int))


def _float(e: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    return float(_number(e, name, default, low, high, float))


def _number(e: Mapping[str, str], name: str, default: float, low: float, high: float, kind: type) -> float:
    raw = e.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, not {raw}")
    return value
