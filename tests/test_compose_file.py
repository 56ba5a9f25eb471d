"""docker-compose.yml (issue 18 "Growing past one machine") says only what exists: no Docker engine runs here, so
these checks read the file — it parses; every service has a healthcheck; what it builds and mounts from the
repository is there; every `jointinspect …` it names is a command line api/cli.py accepts; every JOINTINSPECT_*
variable is a setting (api/settings.py) and every service's values pass its checks; every dependency is a service;
and the proxy's upstreams (deploy/nginx.conf) are the API services. No storage."""
from __future__ import annotations

import contextlib
import io
import re
import shlex
import zlib
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from api import cli
from api.settings import PREFIX, Settings
from projections.locks import SingleInstanceLock

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
NGINX = ROOT / "deploy" / "nginx.conf"
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}


def _compose() -> dict[str, Any]:
    with COMPOSE.open(encoding="utf-8") as f:
        return yaml.safe_load(f)  # merge keys (`<<: *app`) resolved, as Compose resolves them


def _services() -> dict[str, dict[str, Any]]:
    return _compose()["services"]


def _argv(value: str | list[str] | None) -> list[str]:
    """A command, entrypoint or healthcheck test as an argument list (Compose splits a string like a shell)."""
    if value is None:
        return []
    return shlex.split(value) if isinstance(value, str) else [str(v) for v in value]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _jointinspect_command_lines() -> list[tuple[str, list[str]]]:
    """Every `jointinspect …` the file names: in a service's command or entrypoint, and in backquotes in a
    comment (e.g. `docker compose run --rm api-1 jointinspect demo`); each as (where, the arguments after it)."""
    found = []
    for name, service in _services().items():
        for key in ("entrypoint", "command"):
            argv = _argv(service.get(key))
            if "jointinspect" in argv:
                found.append((f"{name}.{key}", argv[argv.index("jointinspect") + 1:]))
    for line in COMPOSE.read_text(encoding="utf-8").splitlines():
        comment = line.split("#", 1)[1] if "#" in line else ""
        for quoted in re.findall(r"`([^`]*)`", comment):
            argv = shlex.split(quoted)
            if "jointinspect" in argv:
                found.append((f"comment `{quoted}`", argv[argv.index("jointinspect") + 1:]))
    return found


def _variables() -> list[str]:
    """Every JOINTINSPECT_* name in the file: environment keys, and what commands, healthchecks and comments say."""
    return sorted(set(re.findall(r"\b" + PREFIX + r"[A-Z0-9_]+\b", COMPOSE.read_text(encoding="utf-8"))))


def test_the_file_parses_and_names_its_services():
    compose = _compose()
    assert isinstance(compose, dict) and set(compose["services"]) >= {
        "db-primary", "db-replica", "api-1", "api-2", "proxy", "projections", "projections-standby"}
    assert all(not key.startswith("x-") for key in compose["services"])


@pytest.mark.parametrize("name", sorted(_services()))
def test_every_service_has_a_healthcheck(name):
    check = _services()[name].get("healthcheck") or {}
    test = _argv(check.get("test"))
    assert test and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1 and not check.get("disable"), (name, check)
    if test[0] == "CMD" and test[1] == "python" and test[2] == "-c":
        compile(test[3], f"{name} healthcheck", "exec")  # the Python it runs is Python


def test_what_is_built_and_mounted_from_the_repository_exists():
    compose, built, mounted = _compose(), 0, 0
    for name, service in compose["services"].items():
        build = service.get("build")
        if build is not None:
            context = ROOT / (build if isinstance(build, str) else build.get("context", "."))
            dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
            assert context.is_dir() and (context / dockerfile).is_file(), (name, build)
            built += 1
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            kind = "bind" if source.startswith((".", "/")) else "volume"
            if isinstance(volume, dict):
                kind = volume.get("type", kind)
            if kind == "bind":
                assert (ROOT / source).resolve().is_relative_to(ROOT) and (ROOT / source).exists(), (name, volume)
                mounted += 1
            else:  # a named volume is declared at the top level
                assert source in (compose.get("volumes") or {}), (name, volume)
    assert built >= 4 and mounted >= 1  # the app's services, and deploy/nginx.conf


def test_every_jointinspect_command_line_is_one_the_cli_accepts():
    lines = _jointinspect_command_lines()
    assert {tuple(argv) for _, argv in lines} >= {("serve",), ("projections", "run"), ("demo",)}
    for where, argv in lines:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as done:
            cli.main([*argv, "--help"])  # argparse checks the subcommand, choices and options, then prints help
        assert done.value.code == 0, (where, argv, err.getvalue())


@pytest.mark.parametrize("variable", _variables())
def test_every_jointinspect_variable_is_a_setting(variable):
    # JOINTINSPECT_READ_DATABASE_URL: the replica's URL for reads (issue 18), a setting of its own
    assert variable.removeprefix(PREFIX).lower() in Settings.model_fields, \
        f"{variable} is not a field of api.settings.Settings"


@pytest.mark.parametrize("name", sorted(name for name, service in _services().items()
                                         if any(key.startswith(PREFIX) for key in _environment(service))))
def test_the_settings_of_every_app_service_pass_their_checks(name):
    settings = Settings.from_env(_environment(_services()[name]))  # refuses a bad value, naming the variable
    assert settings.database_url.startswith("postgresql") and settings.env == "production"


def test_every_dependency_is_a_service():
    services = _services()
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            depends = {other: {"condition": "service_started"} for other in depends}
        for other, how in depends.items():
            assert other in services and other != name, (name, other)
            assert how.get("condition", "service_started") in CONDITIONS, (name, other, how)


def test_every_dollar_for_the_shell_or_python_is_escaped_from_compose():
    """A single `$` is Compose's own interpolation: `$PGDATA` would become the host's value (usually empty)."""
    for name, service in _services().items():
        for text in _strings([service.get("entrypoint"), service.get("command"), service.get("healthcheck")]):
            assert "$" not in text.replace("$$", ""), (name, text)


def test_the_proxy_passes_to_the_api_services_and_upgrades_websockets():
    services, conf = _services(), NGINX.read_text(encoding="utf-8")
    upstreams = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", conf, re.M)
    apis = {name for name, service in services.items() if "serve" in _argv(service.get("command"))}
    assert {host for host, _ in upstreams} == apis == {"api-1", "api-2"}
    assert {port for _, port in upstreams} == {"8000"}  # JOINTINSPECT_PORT's default, which the Dockerfile keeps
    assert re.search(r"location = /ws \{", conf) and "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in services["proxy"]["volumes"]


def test_the_workers_healthcheck_looks_for_the_lock_the_projection_runner_takes():
    lock = SingleInstanceLock(None, "projections")  # type: ignore[arg-type]  # the key only; no connection
    for name in ("projections", "projections-standby"):
        script = _argv(_services()[name]["healthcheck"]["test"])[3]
        assert 'zlib.crc32(b"jointinspect:projections")' in script
    assert lock.key == zlib.crc32(b"jointinspect:projections")
