"""Departments, users and bearer tokens (minimal accounts: argon2 hashes, opaque tokens stored hashed)."""
from __future__ import annotations

import hashlib
import logging
import math
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, insert, select, text
from sqlalchemy.engine import Connection, Engine

from api.storage.tables import auth_tokens, departments, login_failures, users
from domain.usecases import Actor

log = logging.getLogger("jointinspect.auth")

ROLES = ("department_staff", "approver", "office", "admin")  # approver: reviews and approves corrections (R-PUB-2)
TOKENS_CHANNEL = "jointinspect_tokens"  # NOTIFY 'revoked' here: every API process empties its TokenCache
LOGIN_WINDOW = timedelta(minutes=1)  # failed logins are counted over this sliding window
LOGIN_FAILURES_KEPT = timedelta(hours=1)
VERIFY_WAIT_SECONDS = 1.0  # how long a login waits for a free password check before 429 login_busy
_hasher = PasswordHasher()
# Per process, like the hasher: at most this many argon2 checks at once, so logins cannot take every core
_verifying = threading.BoundedSemaphore(4)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    user_id: int
    username: str
    department_id: int
    department_code: str
    department_name: str
    roles: tuple[str, ...]
    must_change_password: bool = False  # an administrator's password: only /auth/password, /auth/me, logout

    @property
    def is_office(self) -> bool:
        return "office" in self.roles

    @property
    def acts_for_department(self) -> bool:
        """Only department staff and the office do business; an admin account manages, it does not act."""
        return bool({"department_staff", "office"} & set(self.roles))

    @property
    def actor(self) -> Actor:
        return Actor(user=self.username, department=self.department_code, is_office=self.is_office)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def add_department(conn: Connection, code: str, name: str, kind: str = "department", region: str = "",
                   level: str = "") -> int:
    result = conn.execute(insert(departments).values(code=code, name=name, kind=kind, region=region, level=level))
    return int(result.inserted_primary_key[0])


def add_user(conn: Connection, username: str, password: str | None, department_id: int, roles: list[str],
             display_name: str = "", password_hash: str | None = None) -> int:
    """Add an account; pass password_hash instead of password to reuse a hash computed once."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    result = conn.execute(insert(users).values(
        username=username, display_name=display_name or username,
        password_hash=password_hash or hash_password(password or ""),
        department_id=department_id, roles=",".join(roles), active=True))
    return int(result.inserted_primary_key[0])


def authenticate(engine: Engine, username: str, password: str) -> int | None:
    """The user's id if the password matches an active account, else None (same answer for both failures)."""
    with engine.connect() as conn:
        row = conn.execute(select(users.c.id, users.c.password_hash, users.c.active)
                           .where(users.c.username == username)).first()
    if row is None or not row.active:
        _hasher.hash(password)  # spend the same time as a real check: no user enumeration by timing
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return int(row.id)


@dataclass(frozen=True)
class LoginAttempt:
    """Who tries to log in, from where and when; `username` is as typed (the account it would open)."""

    username: str
    address: str
    now: datetime


@dataclass(frozen=True)
class LoginLimits:
    """Failed logins allowed per account and per client address within LOGIN_WINDOW."""

    per_account: int
    per_address: int


class LoginThrottled(Exception):
    """A login refused before its password is checked; `busy`: too many checks at once, else too many failures."""

    def __init__(self, retry_after: int, busy: bool = False) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after, self.busy = retry_after, busy


def log_in(engine: Engine, attempt: LoginAttempt, password: str, limits: LoginLimits) -> int | None:
    """The user's id if the password matches, else None (recorded as a failure); LoginThrottled if not tried."""
    if not _verifying.acquire(timeout=VERIFY_WAIT_SECONDS):
        raise LoginThrottled(1, busy=True)
    try:
        # counted inside the semaphore: a burst of parallel guesses sees the failures of those checked before it
        wait = login_retry_after(engine, attempt, limits)
        if wait is not None:
            raise LoginThrottled(wait)
        user_id = authenticate(engine, attempt.username, password)
        if user_id is None:
            record_login_failure(engine, attempt)
        return user_id
    finally:
        _verifying.release()


def login_retry_after(engine: Engine, attempt: LoginAttempt, limits: LoginLimits) -> int | None:
    """Seconds until enough counted failures leave the window for this attempt to be checked, or None: now."""
    since = attempt.now - LOGIN_WINDOW
    waits = []
    with engine.connect() as conn:
        for column, value, limit in ((login_failures.c.username, attempt.username, limits.per_account),
                                     (login_failures.c.address, attempt.address, limits.per_address)):
            # the limit-th most recent failure: once it leaves the window fewer than `limit` remain
            at = conn.execute(select(login_failures.c.at).where(column == value, login_failures.c.at > since)
                              .order_by(login_failures.c.at.desc()).offset(limit - 1).limit(1)).scalar()
            if at is not None:
                waits.append(max(1, math.ceil((at + LOGIN_WINDOW - attempt.now).total_seconds())))
    return max(waits, default=None)


def record_login_failure(engine: Engine, attempt: LoginAttempt) -> None:
    """Count a refused password (and forget failures older than LOGIN_FAILURES_KEPT while at it)."""
    log.warning("login failed: username=%r address=%s", attempt.username, attempt.address)
    with engine.begin() as conn:
        conn.execute(delete(login_failures).where(login_failures.c.at < attempt.now - LOGIN_FAILURES_KEPT))
        conn.execute(insert(login_failures).values(username=attempt.username, address=attempt.address,
                                                   at=attempt.now))


def issue_token(engine: Engine, user_id: int, now: datetime, ttl: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(delete(auth_tokens).where(auth_tokens.c.expires_at < now))
        conn.execute(insert(auth_tokens).values(
            token_hash=_digest(token), user_id=user_id, created_at=now, expires_at=now + ttl))
    return token


def revoke_token(engine: Engine, token: str) -> None:
    """Delete the token; on PostgreSQL the same transaction tells every API process to empty its TokenCache."""
    with engine.begin() as conn:
        conn.execute(delete(auth_tokens).where(auth_tokens.c.token_hash == _digest(token)))
        if conn.dialect.name == "postgresql":  # delivered at commit, to the listener of each process
            conn.execute(text("SELECT pg_notify(:channel, 'revoked')"), {"channel": TOKENS_CHANNEL})


def _lookup(engine: Engine, token: str) -> tuple[Principal, datetime] | None:
    """The active user behind a token and the token's expiry, or None."""
    query = (
        select(users.c.id, users.c.username, users.c.roles, users.c.active, users.c.must_change_password,
               auth_tokens.c.expires_at,
               departments.c.id.label("department_id"), departments.c.code, departments.c.name)
        .select_from(auth_tokens.join(users, users.c.id == auth_tokens.c.user_id)
                     .join(departments, departments.c.id == users.c.department_id))
        .where(auth_tokens.c.token_hash == _digest(token))
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None or not row.active:
        return None
    return principal_for_row(row), row.expires_at


class TokenCache:
    """Recently verified tokens, kept for a few seconds so a burst of requests costs one lookup.

    A token revoked on this process is forgotten at once; other processes on PostgreSQL clear their caches when
    the revocation's NOTIFY reaches them (`Services.start_token_listener`), and after `ttl` at the latest.
    """

    def __init__(self, ttl: timedelta = timedelta(seconds=10), max_entries: int = 10_000) -> None:
        self.ttl, self.max_entries = ttl, max_entries
        self._entries: dict[str, tuple[Principal, datetime, datetime]] = {}  # token → principal, expiry, cached until
        self._lock = threading.Lock()

    def principal(self, engine: Engine, token: str, now: datetime) -> Principal | None:
        with self._lock:
            entry = self._entries.get(token)
        if entry is not None and now < entry[1] and now < entry[2]:
            return entry[0]
        found = _lookup(engine, token)
        if found is None or found[1] <= now:
            self.forget(token)
            return None
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[token] = (found[0], found[1], now + self.ttl)
        return found[0]

    def forget(self, token: str) -> None:
        with self._lock:
            self._entries.pop(token, None)

    def clear(self) -> None:
        """Forget every token: some token was revoked somewhere (or nobody listened for a while)."""
        with self._lock:
            self._entries.clear()


def principal_for_user(engine: Engine, user_id: int) -> Principal:
    query = (
        select(users.c.id, users.c.username, users.c.roles, users.c.must_change_password,
               departments.c.id.label("department_id"), departments.c.code, departments.c.name)
        .select_from(users.join(departments, departments.c.id == users.c.department_id))
        .where(users.c.id == user_id)
    )
    with engine.connect() as conn:
        return principal_for_row(conn.execute(query).one())


def principal_for_row(row) -> Principal:  # type: ignore[no-untyped-def]
    return Principal(user_id=row.id, username=row.username, department_id=row.department_id,
                     department_code=row.code, department_name=row.name,
                     roles=tuple(r for r in row.roles.split(",") if r),
                     must_change_password=bool(row.must_change_password))


# Built once: SQLAlchemy keeps its compiled form and cache key (rebuilding it cost half of `initiate`'s lookups)
_DEPARTMENT_CODES = select(departments.c.code).where(departments.c.code.in_(bindparam("codes", expanding=True)))


def known_department_codes(conn: Connection, codes: Iterable[str]) -> set[str]:
    """Those of `codes` that name a department (one indexed lookup, however many departments the province has)."""
    wanted = sorted(set(codes))
    if not wanted:
        return set()
    return set(conn.execute(_DEPARTMENT_CODES, {"codes": wanted}).scalars())


def departments_list(conn: Connection) -> list[dict]:
    """Every department (and the office), ordered by code."""
    return [dict(r) for r in conn.execute(select(departments).order_by(departments.c.code)).mappings()]


def department_names(conn: Connection) -> dict[str, str]:
    return {r.code: r.name for r in conn.execute(select(departments.c.code, departments.c.name))}


def department_ids(conn: Connection) -> dict[str, int]:
    return {r.code: r.id for r in conn.execute(select(departments.c.code, departments.c.id))}


def department_kinds(conn: Connection) -> dict[str, str]:
    return {r.code: r.kind for r in conn.execute(select(departments.c.code, departments.c.kind))}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

