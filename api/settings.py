"""One settings object, read from the environment when the app is built (never at import)."""
from __future__ import annotations

import os
from datetime import datetime
from typing import Any, Literal, Mapping, get_args

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

Environment = Literal["production", "development", "demo", "test"]
ENVIRONMENTS: tuple[str, ...] = get_args(Environment)
DEFAULT_DATABASE_URL = "sqlite:///./var/jointinspect.db"
PREFIX = "JOINTINSPECT_"
_NUMBER_ERRORS = {"int_parsing", "float_parsing", "int_from_float", "finite_number", "int_type", "float_type"}


class SettingsError(ValueError):
    """A setting is missing or malformed; the message says which and how to fix it."""


class Settings(BaseSettings):
    """Every setting of one process; `Settings(...)` takes only what it is given, `from_env` reads JOINTINSPECT_*."""

    # Empty variables count as unset; inf/nan are not numbers a setting can hold.
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_ignore_empty=True, frozen=True, extra="forbid",
                                      allow_inf_nan=False)

    database_url: str = DEFAULT_DATABASE_URL
    # a PostgreSQL streaming replica of it: reads that may lag go there, read-your-writes kept (api/storage/replica.py)
    read_database_url: str | None = None
    replica_wait_seconds: float = Field(0.5, ge=0.0, le=10.0)  # a min_position read waits this long, then primary
    replica_max_lag_seconds: float = Field(5.0, ge=0.0, le=3600.0)  # a plain read uses a replica this far behind
    env: Environment = "development"
    now: datetime | None = None
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    token_ttl_hours: int = Field(12, ge=1, le=24 * 30)
    projection_poll_seconds: float = Field(0.05, ge=0.01, le=60)
    listen: bool = True  # PostgreSQL: LISTEN/NOTIFY wakes projections and /ws; polling only as a safety net
    safety_poll_seconds: float = Field(2.0, ge=0.05, le=3600)
    projection_coalesce_seconds: float = Field(0.15, ge=0.0, le=1.0)  # subscribed: when woken, one batch this often
    run_projections: bool = True
    ws_heartbeat_seconds: float = Field(20.0, ge=0.1, le=3600)
    deadline_check_seconds: float = Field(30.0, ge=0.01, le=3600)
    log_level: str = "info"
    log_format: Literal["json", "text"] = "json"  # one JSON object a line (api/logs.py), or text for a terminal
    # hostile input (README "Limits")
    max_body_bytes: int = Field(1 << 20, ge=1024, le=64 << 20)  # a JSON body; uploads have their own limit
    max_upload_bytes: int = Field(64 << 20, ge=1024, le=4 << 30)  # one CSV/XLSX import file
    max_import_rows: int = Field(500_000, ge=1, le=50_000_000)  # rows of one import, blank rows included
    max_import_columns: int = Field(64, ge=1, le=1000)  # cells per row of an import
    max_read_waits: int = Field(32, ge=1, le=10_000)  # concurrent `min_position` waits per process; beyond: 503
    read_wait_seconds: float = Field(5.0, ge=0.0, le=60.0)  # how long one `min_position` read waits
    login_failures_per_account: int = Field(5, ge=1, le=1000)  # failed logins per account per minute before 429
    login_failures_per_address: int = Field(20, ge=1, le=100_000)  # per client address per minute before 429
    ready_max_lag_seconds: float = Field(30.0, ge=0.1, le=86_400)  # /readyz fails beyond this projection lag

    @classmethod
    def settings_customise_sources(
            cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        """Keyword arguments only: a developer's JOINTINSPECT_* variables never leak into `Settings(...)`."""
        return (init_settings,)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from JOINTINSPECT_* variables (os.environ by default); refuse what would be unsafe."""
        values = _Environment(cls, os.environ if environ is None else environ)()
        try:
            return cls(**values)
        except ValidationError as exc:
            raise SettingsError("; ".join(_message(cls, error) for error in exc.errors())) from None

    @field_validator("now", mode="before")
    @classmethod
    def _parse_now(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("setting", "JOINTINSPECT_NOW is not an ISO datetime: {value}",
                                      {"value": repr(value)}) from None

    @field_validator("now")
    @classmethod
    def _now_is_aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise PydanticCustomError(
                "setting", "JOINTINSPECT_NOW needs a timezone offset, e.g. 2026-03-02T09:00:00+08:00")
        return value

    @model_validator(mode="after")
    def _now_only_in_demo_or_test(self) -> "Settings":
        if self.now is not None and self.env not in ("demo", "test"):
            raise PydanticCustomError(
                "setting",
                "JOINTINSPECT_NOW moves the server's clock and is refused unless JOINTINSPECT_ENV is demo or test")
        return self

    @model_validator(mode="after")
    def _replica_of_postgresql(self) -> "Settings":
        if self.read_database_url is not None and not (self.database_url.startswith("postgresql")
                                                       and self.read_database_url.startswith("postgresql")):
            raise PydanticCustomError(
                "setting", "JOINTINSPECT_READ_DATABASE_URL is a PostgreSQL streaming replica of a PostgreSQL "
                           "JOINTINSPECT_DATABASE_URL (postgresql+psycopg2://…)")
        return self

    @property
    def is_sqlite(self) -> bool:
        """Whether the store is a SQLite file."""
        return self.database_url.startswith("sqlite")

    @property
    def subscribes(self) -> bool:
        """Whether the store is subscribed to (PostgreSQL LISTEN/NOTIFY) rather than polled."""
        return self.listen and self.database_url.startswith("postgresql")

    @property
    def poll_seconds(self) -> float:
        """How often the projection runner and the /ws tailer look at the log unprompted."""
        return self.safety_poll_seconds if self.subscribes else self.projection_poll_seconds


class _Environment(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping instead of always os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # The same normalisation as the library's own sources (its dotenv source overrides this method too).
        return {(name if self.case_sensitive else name.lower()): value for name, value in self._environ.items()
                if not (self.env_ignore_empty and value == "")}


def _message(cls: type[Settings], error: Mapping[str, Any]) -> str:
    """One pydantic error as a sentence naming the JOINTINSPECT_ variable and how to fix it."""
    if error["type"] == "setting" or not error["loc"]:
        return error["msg"]
    field = str(error["loc"][0])
    name, raw = PREFIX + field.upper(), error.get("input")
    kind = error["type"]
    if kind in _NUMBER_ERRORS:
        return f"{name} must be a number, not {raw!r}"
    if kind in ("greater_than_equal", "less_than_equal"):
        metadata = cls.model_fields[field].metadata
        low = next(m.ge for m in metadata if hasattr(m, "ge"))
        high = next(m.le for m in metadata if hasattr(m, "le"))
        return f"{name} must be between {low} and {high}, not {raw}"
    if kind == "literal_error":
        return f"{name} must be one of {', '.join(get_args(cls.model_fields[field].annotation))}, not {raw!r}"
    if kind == "bool_parsing":
        return f"{name} must be one of 1, true, yes, on or 0, false, no, off, not {raw!r}"
    return f"{name}: {error['msg']}, not {raw!r}"
