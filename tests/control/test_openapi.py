"""openapi.json: every route of the app listed (the dashboard's too), every answer with a
schema, and real answers of every route checked against the schema of their status."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.routing import Mount, Route

from emulator.control.api import build_app, openapi
from emulator.testing.plant import RunningPlant

JSON = "application/json"


class SchemaError(AssertionError):
    pass


def check(value: Any, schema: dict[str, Any], document: dict[str, Any], where: str = "$") -> None:
    """A JSON Schema check of the keywords the document uses (a test-size validator)."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        check(value, document["components"]["schemas"][name], document, where)
        return
    for part in schema.get("allOf", []):
        check(value, part, document, where)
    if "anyOf" in schema:
        errors = []
        for part in schema["anyOf"]:
            try:
                check(value, part, document, where)
                break
            except SchemaError as exc:
                errors.append(str(exc))
        else:
            raise SchemaError(f"{where}: matches none of anyOf: {errors}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaError(f"{where}: {value!r} not in {schema['enum']}")
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not any(_is(value, name) for name in names):
            raise SchemaError(f"{where}: {value!r} is not {names}")
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                raise SchemaError(f"{where}: {key!r} is missing")
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key in properties:
                check(item, properties[key], document, f"{where}.{key}")
            elif isinstance(schema.get("additionalProperties"), dict):
                check(item, schema["additionalProperties"], document, f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                raise SchemaError(f"{where}: {key!r} is not allowed")
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            check(item, schema["items"], document, f"{where}[{n}]")


def _is(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    kinds = {"string": str, "boolean": bool, "null": type(None), "object": dict, "array": list}
    return isinstance(value, kinds[name])


def test_the_checker_can_fail() -> None:
    document = openapi()
    with pytest.raises(SchemaError, match="'status' is missing"):
        check({"error": "x"}, {"$ref": "#/components/schemas/Error"}, document)
    with pytest.raises(SchemaError, match="is not"):
        check([{"tag": 1}], {"$ref": "#/components/schemas/Alarms"}, document)


async def test_every_route_of_the_app_is_in_the_document(plant: RunningPlant) -> None:
    document = openapi()
    app = build_app(plant.manager)
    while not hasattr(app, "router"):  # the middlewares, down to the Starlette app
        app = app.app  # type: ignore[attr-defined]
    listed = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    served = set()
    for route in app.router.routes:
        if isinstance(route, Mount):
            served.add((route.path + "/{file}", "GET"))
        elif isinstance(route, Route):
            served |= {(route.path, m) for m in route.methods or () if m != "HEAD"}
    assert served == listed
    assert ("/", "GET") in listed and ("/dashboard/stream", "GET") in listed


def test_every_answer_has_a_schema() -> None:
    document = openapi()
    schemas = document["components"]["schemas"]
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            assert op["tags"] in (["control"], ["dashboard"]), (method, path)
            for code, answer in op["responses"].items():
                ((media, content),) = answer["content"].items()
                name = content["schema"]["$ref"].removeprefix("#/components/schemas/")
                assert name in schemas, (method, path, code)
                if int(code) >= 400 and code != "503":
                    assert (media, name) == (JSON, "Error"), (method, path, code)


def answer_schema(document: dict[str, Any], method: str, path: str, status: int) -> Any:
    op = document["paths"][path][method.lower()]
    assert str(status) in op["responses"], f"{method} {path} answered {status}, not listed"
    return op["responses"][str(status)]["content"]


async def test_real_answers_match_their_schemas(
    api: httpx.AsyncClient, plant: RunningPlant
) -> None:
    document = (await api.get("/openapi.json")).json()
    calls: list[tuple[str, str, str, dict[str, Any] | None]] = [
        ("GET", "/health", "/health", None),
        ("GET", "/topology", "/topology", None),
        ("GET", "/processes", "/processes", None),
        ("POST", "/processes/{name}/{action}", "/processes/IO2/stop", None),
        ("POST", "/processes/{name}/{action}", "/processes/IO2/start", None),
        ("POST", "/processes/{name}/{action}", "/processes/NOPE/stop", None),
        ("GET", "/faults", "/faults", None),
        ("POST", "/faults", "/faults", {"name": "slow", "kind": "latency", "latency": 5}),
        ("POST", "/faults", "/faults", {"name": "bad", "kind": "nonsense"}),
        ("POST", "/faults", "/faults", {"name": "undefined-fault"}),
        ("DELETE", "/faults/{name}", "/faults/slow", None),
        ("DELETE", "/faults/{name}", "/faults/slow", None),
        ("DELETE", "/faults", "/faults", None),
        ("POST", "/reset", "/reset", None),
        ("GET", "/tags/{name}", "/tags/TANK1_LEVEL", None),
        ("GET", "/tags/{name}", "/tags/NOPE", None),
        ("PUT", "/tags/{name}", "/tags/PUMP1_FAULT", {"value": True}),
        ("PUT", "/tags/{name}", "/tags/TANK1_LEVEL", {"value": [1]}),
        ("GET", "/alarms", "/alarms", None),
        ("POST", "/alarms/{name}/ack", "/alarms/PUMP1_FAULT_ALM/ack", None),
        ("POST", "/alarms/{name}/ack", "/alarms/NOPE/ack", None),
        ("POST", "/reports/{name}/run", "/reports/DAILY/run", None),
        ("POST", "/reports/{name}/run", "/reports/NOPE/run", None),
        ("GET", "/events", "/events", None),
        ("GET", "/events", "/events?since=x", None),
        ("GET", "/metrics", "/metrics", None),
        ("POST", "/clock/advance", "/clock/advance", {"seconds": 1}),
        ("POST", "/clock/advance", "/clock/advance", {"seconds": "soon"}),
        ("POST", "/clock/shift", "/clock/shift", {"seconds": 5}),
        ("POST", "/clock/shift", "/clock/shift", {"seconds": 5, "computer": "NOPE"}),
        ("GET", "/openapi.json", "/openapi.json", None),
        ("GET", "/", "/", None),
        ("GET", "/dashboard/state", "/dashboard/state", None),
        ("POST", "/dashboard/tags/{name}/write", "/dashboard/tags/TANK1_HIGH_SP/write",
         {"value": "55"}),
        ("POST", "/dashboard/tags/{name}/write", "/dashboard/tags/NOPE/write", {"value": "1"}),
        ("POST", "/dashboard/tags/{name}/write", "/dashboard/tags/TANK1_HIGH_SP/write",
         {"value": []}),
        ("POST", "/dashboard/alarms/ack", "/dashboard/alarms/ack", None),
        ("GET", "/dashboard/static/{file}", "/dashboard/static/dashboard.js", None),
        ("GET", "/dashboard/static/{file}", "/dashboard/static/nope.js", None),
    ]  # fmt: skip
    seen: set[tuple[str, str]] = set()
    async with plant.client("SCADA-A") as session:  # a connection for the traffic view
        await session.tag_read("TANK1_LEVEL")
        calls.append(("GET", "/dashboard/traffic", "/dashboard/traffic", None))
        traffic = (await api.get("/dashboard/traffic")).json()
        assert traffic["connections"][0]["exchanges"], traffic
    for method, path, url, body in calls:
        answer = await api.request(method, url, json=body)
        content = answer_schema(document, method, path, answer.status_code)
        media = answer.headers["content-type"].split(";")[0]
        ((listed, schema),) = content.items()
        assert listed in (media, "*/*"), (method, url, media, listed)
        if media == JSON:
            check(answer.json(), schema["schema"], document, f"{method} {url}")
        seen.add((path, method.lower()))
    listed = {(p, m) for p, ops in document["paths"].items() for m in ops}
    untested = listed - seen - {("/dashboard/stream", "get")}  # endless: test_routes reads it
    assert untested == set()
