"""Settings come from the environment; unsafe ones are refused with a message saying how to fix them."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from api.settings import DEFAULT_DATABASE_URL, Settings, SettingsError


def test_defaults_are_a_sqlite_file_under_var():
    settings = Settings.from_env({})
    assert settings.database_url == DEFAULT_DATABASE_URL and settings.is_sqlite
    assert settings.env == "development" and settings.now is None


def test_now_is_refused_outside_demo_and_test():
    with pytest.raises(SettingsError, match="JOINTINSPECT_ENV is demo or test"):
        Settings.from_env({"JOINTINSPECT_NOW": "2026-03-02T09:00:00+08:00", "JOINTINSPECT_ENV": "production"})


def test_now_is_accepted_in_test_and_must_carry_an_offset():
    settings = Settings.from_env({"JOINTINSPECT_NOW": "2026-03-02T09:00:00+08:00", "JOINTINSPECT_ENV": "test"})
    assert settings.now == datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
    with pytest.raises(SettingsError, match="timezone offset"):
        Settings.from_env({"JOINTINSPECT_NOW": "2026-03-02T09:00:00", "JOINTINSPECT_ENV": "demo"})


@pytest.mark.parametrize("name,value", [("JOINTINSPECT_PORT", "eighty"), ("JOINTINSPECT_PORT", "70000"),
                                        ("JOINTINSPECT_ENV", "staging"),
                                        ("JOINTINSPECT_PROJECTION_POLL_SECONDS", "0"),
                                        ("JOINTINSPECT_PROJECTION_COALESCE_SECONDS", "5")])
def test_malformed_settings_are_refused(name, value):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_projections_coalesce_notified_commits_only_when_subscribed(database_url):
    from api.bootstrap import build_services

    assert Settings.from_env({"JOINTINSPECT_PROJECTION_COALESCE_SECONDS": "0.05"}).projection_coalesce_seconds == 0.05
    services = build_services(Settings(database_url=database_url, env="test", projection_coalesce_seconds=0.05))
    try:  # PostgreSQL is subscribed to (NOTIFY): a burst is taken in one batch; SQLite is polled: nothing to coalesce
        assert services.runner.coalesce_seconds == (0.05 if database_url.startswith("postgresql") else 0.0)
    finally:
        services.close()


def test_keyword_construction_ignores_the_process_environment(monkeypatch):
    """A developer's JOINTINSPECT_* variables must not leak into tests that build Settings(...) themselves."""
    monkeypatch.setenv("JOINTINSPECT_PORT", "9999")
    monkeypatch.setenv("JOINTINSPECT_ENV", "production")
    settings = Settings(env="test")
    assert settings.port == 8000 and settings.env == "test"
    assert Settings.from_env().port == 9999


@pytest.mark.parametrize("word,value", [("1", True), ("true", True), ("yes", True), ("ON", True),
                                        ("0", False), ("false", False), ("no", False), ("off", False)])
def test_booleans_accept_the_usual_words(word, value):
    settings = Settings.from_env({"JOINTINSPECT_LISTEN": word, "JOINTINSPECT_RUN_PROJECTIONS": word})
    assert settings.listen is value and settings.run_projections is value


def test_a_setting_that_is_not_a_boolean_is_refused_rather_than_read_as_false():
    with pytest.raises(SettingsError, match="JOINTINSPECT_LISTEN must be one of 1, true, yes, on"):
        Settings.from_env({"JOINTINSPECT_LISTEN": "maybe"})


def test_every_bad_variable_is_named_in_one_message():
    with pytest.raises(SettingsError, match="JOINTINSPECT_PORT must be a number.*; JOINTINSPECT_WORKERS must be"):
        Settings.from_env({"JOINTINSPECT_PORT": "eighty", "JOINTINSPECT_WORKERS": "0"})


def test_settings_are_frozen_and_copied_with_changes():
    settings = Settings(env="test")
    with pytest.raises(ValueError, match="frozen"):
        settings.port = 1  # type: ignore[misc]
    assert settings.model_copy(update={"port": 1}).port == 1 and settings.port == 8000
