"""Hostile input at the edge (issue 13; ARCHITECTURE.md "Hostile input"): text no clerk types is refused with 422,
the error shape and a Chinese message naming the field, before anything is recorded — in every string field of
every command, in query and path parameters, in list items; a body over the limit is 413."""
from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from tests.support import LiveServer, assert_error, head

HOSTILE = {
    "nul": "a\u0000b",
    "lone_surrogate": "a\ud800b",  # travels as the JSON escape \ud800 (ensure_ascii), as an attacker sends it
    "100k_characters": "字" * 100_000,
    "right_to_left_override": "abc\u202edef",
}
PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for combined in ("anyOf", "allOf", "oneOf"):
        if combined in schema:  # Optional[X]: the non-null branch
            branches = [_resolve(spec, s) for s in schema[combined] if s.get("type") != "null"]
            if branches:
                return branches[0]
    return schema


def string_locations(spec: dict, schema: dict, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Every place a string can stand in a body of `schema`: (path of keys/indexes, 'value' or 'key')."""
    schema = _resolve(spec, schema)
    kind = schema.get("type")
    if kind == "string":  # dates, ids and enums too: a string is a string at the edge
        yield path, "value"
    elif kind == "array":
        yield from string_locations(spec, schema.get("items", {}), path + (0,))
    elif kind == "object" or "properties" in schema:
        for name, sub in schema.get("properties", {}).items():
            yield from string_locations(spec, sub, path + (name,))
        extra = schema.get("additionalProperties")
        if extra:
            yield path + ("名称",), "key"
            if extra is True:
                yield path + ("name",), "value"
            else:
                yield from string_locations(spec, extra, path + ("name",))


def body_with(path: tuple, where: str, marker: str) -> Any:
    """The smallest JSON value holding `marker` at `path` (as the key of the last step, for 'key')."""
    if not path:
        return marker
    step, rest = path[0], path[1:]
    if isinstance(step, int):
        return [body_with(rest, where, marker)]
    if where == "key" and not rest:
        return {marker: "x"}
    return {step: body_with(rest, where, marker)}


def json_commands(spec: dict) -> list[tuple[str, str, dict]]:
    commands = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                concrete = path.removeprefix("/api/v1").replace("{task_id}", PLACEHOLDER_ID).replace("{item_id}", PLACEHOLDER_ID) \
                    .replace("{plan_id}", PLACEHOLDER_ID).replace("{code}", "91330100MA27XXXX0X") \
                    .replace("{resident_id}", "110101199003070011")
                commands.append((method.upper(), concrete, content["application/json"]["schema"]))
    return commands


def test_every_string_field_of_every_command_refuses_hostile_text(server: LiveServer) -> None:
    """Issue 13: a NUL, a lone surrogate, 100k characters and a right-to-left override, in each string field of
    each command (list items and mapping keys included), get 422 invalid_text naming that field; nothing is
    recorded."""
    office = server.client("office")
    spec = office.get("/../../openapi.json").json()
    commands = json_commands(spec)
    assert len(commands) >= 20, "the schema lists the commands"
    before = head(server)
    tried = 0
    for method, url, schema in commands:
        # every field, and a field name of its own (a body's keys are text too)
        locations = list(string_locations(spec, schema)) + [(("名称",), "key")]
        for path, where in locations:
            for name, hostile in HOSTILE.items():
                content = json.dumps(body_with(path, where, hostile))  # ASCII: every odd character escaped
                response = office.request(method, url, content=content,
                                          headers={"content-type": "application/json"})
                what = f"{method} {url} {'.'.join(map(str, path))} ({where}) with {name}"
                assert response.status_code == 422, f"{what}: {response.status_code} {response.text[:200]}"
                error = assert_error(response, 422, "invalid_text")
                field = error["details"][0]["field"]
                if where == "value":
                    assert field == ".".join(map(str, path)), what
                else:
                    assert field.startswith(".".join(map(str, path[:-1]))), what
                tried += 1
    assert tried > 200
    assert head(server) == before, "nothing was recorded"


def test_nul_in_a_task_title_is_refused_and_records_nothing(server: LiveServer) -> None:
    """Issue 13 item 1: the request that took the read side down now gets 422 naming 任务名称."""
    scjg = server.client("scjg")
    before = head(server)
    error = assert_error(scjg.initiate(title="a\u0000b"), 422, "invalid_text")
    assert "任务名称" in error["message"] and "U+0000" in error["message"]
    assert error["details"] == [{"field": "title", "message": error["details"][0]["message"]}]
    assert head(server) == before


def test_newline_is_refused_in_a_one_line_field_and_kept_in_a_note(server: LiveServer) -> None:
    """Tab and line breaks only where a field is multi-line: a title is one line, a note may hold paragraphs."""
    scjg = server.client("scjg")
    assert_error(scjg.initiate(title="第一行\n第二行"), 422, "invalid_text")
    created = scjg.initiate(note="第一段\n\t第二段")
    assert created.status_code == 201, created.text


@pytest.mark.parametrize("url", [
    "/check-items?q=a%00b", "/inspectors?area=a%00b", "/public/check-items?department=a%00b",
    "/subjects?q=%E2%80%AE", "/joint-tasks?q=a%01b", "/notices?department=%00",
    "/subjects/a%00b", "/subjects/a%00b/overlap",
])
def test_nul_and_controls_in_query_and_path_are_422_not_500(server: LiveServer, url: str) -> None:
    """Issue 13 item 2: these gave 500 on PostgreSQL."""
    error = assert_error(server.client("scjg").get(url), 422, "invalid_text")
    assert "参数" in error["message"]


def test_nul_in_list_items_and_conflicts_is_422(server: LiveServer) -> None:
    """Issue 13 item 2: list items of bodies (responding_departments) and POST /conflicts."""
    scjg = server.client("scjg")
    before = head(server)
    error = assert_error(scjg.initiate(responding_departments=["wlj", "g\u0000xj"]), 422, "invalid_text")
    assert error["details"][0]["field"] == "responding_departments.1"
    assert_error(scjg.post("/conflicts", json={"inspector_id": "11010119900307001\u0000", "subject_code": "x",
                                               "reason": "亲属"}), 422, "invalid_text")
    assert head(server) == before


def test_a_hostile_idempotency_key_is_refused(server: LiveServer) -> None:
    # a header byte of obs-text arrives as U+0085, a C1 control
    response = server.client("scjg").post("/joint-tasks", json={}, headers={"Idempotency-Key": b"k\x85ey"})
    assert_error(response, 422, "invalid_text")


def test_a_body_over_the_limit_is_413_and_records_nothing(server: LiveServer) -> None:
    """A JSON body over JOINTINSPECT_MAX_BODY_BYTES (1 MiB) is refused before it is read whole."""
    scjg = server.client("scjg")
    before = head(server)
    huge = json.dumps({"title": "x", "note": "字" * (1 << 20)})
    error = assert_error(scjg.post("/joint-tasks", content=huge, headers={"content-type": "application/json"}),
                         413, "body_too_large")
    assert "1 MB" in error["message"]
    # the same without a Content-Length: streamed in chunks, refused when the count passes the limit
    chunks = (huge[i:i + 65536].encode() for i in range(0, len(huge), 65536))
    streamed = scjg.post("/joint-tasks", content=chunks, headers={"content-type": "application/json"})
    assert_error(streamed, 413, "body_too_large")
    assert head(server) == before


def test_an_upload_whose_file_name_hides_a_direction_override_is_refused(server: LiveServer) -> None:
    """Form fields and file names are text too: 'invoice\u202ecsv.exe' reads as something it is not."""
    before = head(server)
    response = server.client("scjg").post("/subjects/imports", files={"file": ("名录\u202eslx.csv", b"code,name\n")},
                                          data={"allow_partial": "false"})
    error = assert_error(response, 422, "invalid_text")
    assert error["details"][0]["field"] == "file"
    assert head(server) == before
