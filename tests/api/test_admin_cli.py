"""From an empty store to a first login with two commands (issue 18): `jointinspect departments add` and `jointinspect
users add`, refusing what is wrong with a plain message and writing nothing then; each change in the change log."""
from __future__ import annotations

from sqlalchemy import create_engine, func, select

from api import accounts
from api.cli import main
from api.storage.tables import change_log, users


def test_the_first_office_and_its_administrator_are_added_and_can_log_in(database_url, monkeypatch, capsys):
    monkeypatch.setenv("JOINTINSPECT_DATABASE_URL", database_url)
    monkeypatch.setenv("JOINTINSPECT_ENV", "test")
    monkeypatch.setenv("JOINTINSPECT_NEW_PASSWORD", "Shuangsuiji-2026")
    assert main(["departments", "add", "--code", "lhbgs", "--name", "联席会议办公室", "--kind", "office",
                 "--level", "province"]) == 0
    assert main(["users", "add", "--username", "zhang.admin", "--department", "lhbgs", "--roles", "office,admin",
                 "--name", "张管理员"]) == 0
    assert "user zhang.admin added to lhbgs" in capsys.readouterr().out
    engine = create_engine(database_url)
    try:
        user_id = accounts.authenticate(engine, "zhang.admin", "Shuangsuiji-2026")
        assert user_id is not None
        assert accounts.principal_for_user(engine, user_id).roles == ("office", "admin")
        with engine.connect() as conn:
            logged = conn.execute(select(change_log.c.entity, change_log.c.entity_key, change_log.c.actor_user)
                                  .order_by(change_log.c.id)).all()
        assert [tuple(r) for r in logged] == [("department", "lhbgs", "cli"), ("user", "zhang.admin", "cli")]
    finally:
        engine.dispose()


def test_a_wrong_request_is_refused_plainly_and_writes_nothing(database_url, monkeypatch, capsys):
    monkeypatch.setenv("JOINTINSPECT_DATABASE_URL", database_url)
    monkeypatch.setenv("JOINTINSPECT_ENV", "test")
    monkeypatch.setenv("JOINTINSPECT_NEW_PASSWORD", "Shuangsuiji-2026")
    assert main(["departments", "add", "--code", "lhbgs", "--name", "联席会议办公室", "--kind", "office"]) == 0
    refusals = {
        ("--department", "nowhere"): "does not exist",
        ("--roles", "office,king"): "unknown: king",
    }
    for (flag, value), said in refusals.items():
        argv = ["users", "add", "--username", "li", "--department", "lhbgs", "--roles", "office", flag, value]
        assert main(argv) == 2
        assert said in capsys.readouterr().err
    monkeypatch.setenv("JOINTINSPECT_NEW_PASSWORD", "short1")
    assert main(["users", "add", "--username", "li", "--department", "lhbgs", "--roles", "office"]) == 2
    assert "at least 12 characters" in capsys.readouterr().err
    monkeypatch.setenv("JOINTINSPECT_NEW_PASSWORD", "aaaaaaaaaaaaaaaa")
    assert main(["users", "add", "--username", "li", "--department", "lhbgs", "--roles", "office"]) == 2
    assert main(["departments", "add", "--code", "lhbgs", "--name", "重复"]) == 2
    assert "exists already" in capsys.readouterr().err
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(users)).scalar_one() == 0
    finally:
        engine.dispose()
