"""`jointinspect departments add` and `jointinspect users add` (issue 18): the first office and its administrator on
a new install, before anyone can log in. Each change is in the change log (actor `cli`). The password comes from
JOINTINSPECT_NEW_PASSWORD or is asked for; the policy: at least 12 characters, not all of one kind."""
from __future__ import annotations

import getpass
import os
import sys
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select

from api.account_admin import MIN_PASSWORD, password_problem
from api.accounts import ROLES, add_department, add_user
from api.settings import Settings
from api.storage.audit import record_changes
from api.storage.tables import departments, users
from domain.usecases.base import Actor

CLI = Actor(user="cli", department="")
KINDS, LEVELS = ("department", "office"), ("", "province", "city", "county")


class Refused(Exception):
    """A request the command refuses, said plainly; nothing is written."""


def add_subcommands(sub: Any) -> None:
    departments_cmd = sub.add_parser("departments", help="add a department (the office first, on a new install)")
    departments_cmd.add_argument("action", choices=["add"])
    departments_cmd.add_argument("--code", required=True)
    departments_cmd.add_argument("--name", required=True)
    departments_cmd.add_argument("--kind", choices=KINDS, default="department")
    departments_cmd.add_argument("--region", default="")
    departments_cmd.add_argument("--level", choices=LEVELS, default="")
    users_cmd = sub.add_parser("users", help="add a user (password from JOINTINSPECT_NEW_PASSWORD, else asked)")
    users_cmd.add_argument("action", choices=["add"])
    users_cmd.add_argument("--username", required=True)
    users_cmd.add_argument("--department", required=True, help="the department's code")
    users_cmd.add_argument("--roles", required=True, help=f"comma-separated: {', '.join(ROLES)}")
    users_cmd.add_argument("--name", default="", help="the display name")


def run(settings: Settings, args: Any) -> int:
    from api.bootstrap import build_services

    services = build_services(settings)  # migrates a new store first
    try:
        with services.engine.begin() as conn:
            if args.command == "departments":
                message = _add_department(conn, args)
            else:
                message = _add_user(conn, args, _password())
    except Refused as refused:
        print(f"jointinspect: {refused}", file=sys.stderr)
        return 2
    finally:
        services.close()
    print(message)
    return 0


def _add_department(conn: Any, args: Any) -> str:
    code, name = args.code.strip(), args.name.strip()
    if not code or len(code) > 32 or not code.isascii() or not code.replace("_", "").isalnum():
        raise Refused("a department code is 1–32 letters, digits or _")
    if not name or len(name) > 100:
        raise Refused("a department name is 1–100 characters")
    if conn.execute(select(departments.c.id).where(departments.c.code == code)).first():
        raise Refused(f"department {code} exists already")
    add_department(conn, code, name, kind=args.kind, region=args.region.strip(), level=args.level)
    record_changes(conn, [{"entity": "department", "entity_key": code, "action": "created",
                           "changes": {"name": [None, name], "kind": [None, args.kind]}}], CLI, _now())
    return f"department {code} ({name}) added"


def _add_user(conn: Any, args: Any, password: str) -> str:
    username = args.username.strip()
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    if not username or len(username) > 64:
        raise Refused("a username is 1–64 characters")
    unknown = sorted(set(roles) - set(ROLES))
    if not roles or unknown:
        raise Refused(f"roles must be some of {', '.join(ROLES)}" + (f"; unknown: {', '.join(unknown)}" if unknown
                                                                      else ""))
    department = conn.execute(select(departments.c.id).where(departments.c.code == args.department)).first()
    if department is None:
        raise Refused(f"department {args.department} does not exist: add it first (jointinspect departments add)")
    if conn.execute(select(users.c.id).where(users.c.username == username)).first():
        raise Refused(f"user {username} exists already")
    check_password(password)
    add_user(conn, username, password, department.id, roles, args.name.strip())
    record_changes(conn, [{"entity": "user", "entity_key": username, "action": "created",
                           "changes": {"department": [None, args.department], "roles": [None, roles]}}], CLI, _now())
    return f"user {username} added to {args.department} with roles {', '.join(roles)}"


def check_password(password: str) -> None:
    problem = password_problem(password)
    if problem == "too_short":
        raise Refused(f"a password has at least {MIN_PASSWORD} characters")
    if problem:
        raise Refused("a password mixes at least two of: letters, digits, other characters")


def _password() -> str:
    given = os.environ.get("JOINTINSPECT_NEW_PASSWORD")
    if given is not None:
        return given
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise Refused("the two passwords differ")
    return first


def _now() -> datetime:
    return datetime.now(timezone.utc)
