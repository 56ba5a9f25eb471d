"""Failed logins are limited per account and per client address over a sliding minute (issue 13)."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import timedelta
from typing import Iterator

from argon2 import PasswordHasher
from sqlalchemy import select

from api import accounts
from api.demo import DEMO_PASSWORD
from api.bootstrap import Services
from api.storage.tables import login_failures
from tests.support import LiveServer, assert_error, created


@contextmanager
def _server_with(services: Services, **limits: int) -> Iterator[LiveServer]:
    """A live server whose login limits differ from the defaults (all test requests come from 127.0.0.1)."""
    services.settings = services.settings.model_copy(update=limits)
    with LiveServer.start(services) as live:
        yield live


def _login(server: LiveServer, username: str, password: str = DEMO_PASSWORD):  # type: ignore[no-untyped-def]
    return server.client().post("/auth/login", json={"username": username, "password": password})


def _fail(server: LiveServer, username: str, times: int) -> None:
    for _ in range(times):
        assert_error(_login(server, username, "wrong-password"), 401, "invalid_credentials")


def _failure_rows(services: Services) -> list[tuple[str, str]]:
    with services.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(login_failures.c.username, login_failures.c.address)
                                               .order_by(login_failures.c.id))]


def _throttled(response, retry_after: int) -> dict:  # type: ignore[no-untyped-def]
    error = assert_error(response, 429, "too_many_login_attempts")
    assert error["details"] == {"retry_after": retry_after}
    assert error["message"] == f"登录失败次数过多，请 {retry_after} 秒后再试。"
    assert response.headers["Retry-After"] == str(retry_after)
    return error


def test_five_wrong_passwords_then_the_right_one_is_429_with_retry_after(server):
    """issue 13: the per-account limit (5) holds even for the right password."""
    _fail(server, "scjg", 5)
    _throttled(_login(server, "scjg"), 60)


def test_another_account_from_the_same_address_still_logs_in_while_one_is_locked(server):
    """issue 13: the account limit (5) is below the address limit (20), so only scjg is locked."""
    _fail(server, "scjg", 5)
    _throttled(_login(server, "scjg"), 60)
    assert created(_login(server, "wlj"), 200)["username"] == "wlj"


def test_the_right_password_works_again_once_the_oldest_failure_is_a_minute_old(server, clock):
    """issue 13: Retry-After counts down with the clock; at the minute the login goes through."""
    _fail(server, "scjg", 5)
    clock.advance(timedelta(seconds=45))
    _throttled(_login(server, "scjg"), 15)
    clock.advance(timedelta(seconds=14, milliseconds=500))
    _throttled(_login(server, "scjg"), 1)  # half a second left: rounded up, never 0
    clock.advance(timedelta(milliseconds=500))
    assert created(_login(server, "scjg"), 200)["username"] == "scjg"


def test_the_window_slides_so_a_later_failure_keeps_counting(server, clock):
    """issue 13: four failures, then one 30 s later: the first leaves the minute 30 s before the last."""
    _fail(server, "scjg", 4)
    clock.advance(timedelta(seconds=30))
    _fail(server, "scjg", 1)
    _throttled(_login(server, "scjg"), 30)
    clock.advance(timedelta(seconds=30))
    assert created(_login(server, "scjg"), 200)


def test_a_successful_login_does_not_count_as_a_failure(server):
    """issue 13: four failures and many successes leave the account one failure short of the limit."""
    _fail(server, "scjg", 4)
    for _ in range(6):
        assert created(_login(server, "scjg"), 200)
    assert_error(_login(server, "scjg", "wrong-password"), 401, "invalid_credentials")
    _throttled(_login(server, "scjg"), 60)


def test_the_address_limit_counts_failures_across_usernames(services, clock):
    """issue 13: with 3 per address and 100 per account, three usernames' failures lock out a fourth user."""
    with _server_with(services, login_failures_per_account=100, login_failures_per_address=3) as server:
        for username in ("scjg", "wlj", "nobody"):
            _fail(server, username, 1)
        clock.advance(timedelta(seconds=20))
        _throttled(_login(server, "office"), 40)
        clock.advance(timedelta(seconds=40))
        assert created(_login(server, "office"), 200)["username"] == "office"


def test_the_account_limit_counts_alone_when_the_address_limit_is_higher(services):
    """issue 13: with 2 per account and 100 per address, the third login of scjg is refused, wlj's is not."""
    with _server_with(services, login_failures_per_account=2, login_failures_per_address=100) as server:
        _fail(server, "scjg", 2)
        _throttled(_login(server, "scjg"), 60)
        _fail(server, "wlj", 1)
        assert created(_login(server, "wlj"), 200)


def test_a_refused_login_checks_no_password_and_records_no_failure(server, monkeypatch):
    """issue 13: a 429 is decided before argon2 runs, so refused guesses cost no hashing and add no row."""
    _fail(server, "scjg", 5)
    rows = _failure_rows(server.services)
    counting = _CountingHasher()
    monkeypatch.setattr(accounts, "_hasher", counting)
    for password in ("wrong-password", DEMO_PASSWORD):
        _throttled(_login(server, "scjg", password), 60)
    assert counting.calls == 0
    assert _failure_rows(server.services) == rows


def test_failed_logins_are_rows_with_the_username_as_typed_and_the_address(server):
    """issue 13: every API process counts the same rows; 'Scjg' is not the account 'scjg' and is kept apart."""
    _fail(server, "Scjg", 2)
    _fail(server, "nobody", 1)
    assert _failure_rows(server.services) == [("Scjg", "127.0.0.1"), ("Scjg", "127.0.0.1"),
                                             ("nobody", "127.0.0.1")]
    assert created(_login(server, "scjg"), 200)


def test_failures_older_than_an_hour_are_deleted_by_a_later_failure(server, clock):
    """issue 13: the table keeps an hour of failures, not every failure ever."""
    _fail(server, "scjg", 3)
    clock.advance(timedelta(hours=1, seconds=1))
    _fail(server, "wlj", 1)
    assert _failure_rows(server.services) == [("wlj", "127.0.0.1")]


def test_a_failed_login_is_logged_at_warning_with_username_and_address_but_no_password(server, caplog):
    """issue 13: operators see who was tried from where; the typed password never reaches the log."""
    with caplog.at_level(logging.WARNING, logger="jointinspect.auth"):
        assert_error(_login(server, "scjg", "s3cret-guess"), 401, "invalid_credentials")
    records = [r for r in caplog.records if r.name == "jointinspect.auth"]
    assert [r.levelno for r in records] == [logging.WARNING]
    assert "'scjg'" in records[0].getMessage() and "127.0.0.1" in records[0].getMessage()
    assert "s3cret-guess" not in caplog.text


def test_login_is_429_login_busy_when_every_password_check_is_taken(server, monkeypatch):
    """issue 13: a process checks at most 4 passwords at once; a login that cannot get a turn soon is told to retry."""
    monkeypatch.setattr(accounts, "VERIFY_WAIT_SECONDS", 0.05)
    taken = 0
    while accounts._verifying.acquire(blocking=False):
        taken += 1
    try:
        response = _login(server, "scjg")
        error = assert_error(response, 429, "login_busy")
        assert error["details"] == {"retry_after": 1} and response.headers["Retry-After"] == "1"
    finally:
        for _ in range(taken):
            accounts._verifying.release()
    assert taken == 4
    assert _failure_rows(server.services) == []
    assert created(_login(server, "scjg"), 200)


class _CountingHasher(PasswordHasher):
    """A real argon2 hasher that counts its hashes and verifications."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def hash(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        self.calls += 1
        return super().hash(*args, **kwargs)

    def verify(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        self.calls += 1
        return super().verify(*args, **kwargs)
