"""GET /batch/api/openapi.json is an OpenAPI 3 document that describes every route.

``openapi-spec-validator`` is not a dependency, so the structure is checked by hand: the
parts a client generator relies on, and every ``$ref`` resolving inside the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from jupyter_batch.server.routes import ROUTES, route_methods
from tests.server.api import BatchAPI

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def undescribed(document: dict[str, Any], routes: Iterable[tuple[str, str]]) -> list[str]:
    """``METHOD path`` of every (path, method) in ``routes`` the document lacks."""
    paths = document.get("paths", {})
    return [f"{method.upper()} {path}" for path, method in routes
            if method not in paths.get(path, {})]


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"{ref}: only local references are expected"
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


async def served_document(api: BatchAPI) -> dict[str, Any]:
    reply = await api.request("GET", "/openapi.json")
    assert reply.code == 200
    return reply.json


async def test_it_is_an_openapi_3_document(api: BatchAPI) -> None:
    document = await served_document(api)
    assert re.fullmatch(r"3\.\d+\.\d+", document["openapi"])
    assert document["info"]["title"] and document["info"]["version"]
    assert isinstance(document["paths"], dict) and document["paths"]
    for path, item in document["paths"].items():
        assert path.startswith("/"), path
        template_params = set(re.findall(r"\{(\w+)\}", path))
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert method in HTTP_METHODS, (path, method)
            assert operation.get("summary") or operation.get("description"), (path, method)
            responses = operation["responses"]
            assert responses and all(re.fullmatch(r"[1-5]\d\d|default", code)
                                     for code in responses), (path, method)
            assert any(code.startswith("2") for code in responses), (path, method)
            declared = {p["name"] for p in [*item.get("parameters", []),
                                            *operation.get("parameters", [])]
                        if p.get("in") == "path"}
            assert declared == template_params, (path, method, declared)
            for p in operation.get("parameters", []):
                assert p["in"] in {"path", "query", "header", "cookie"}, (path, method, p)
                assert p["in"] != "path" or p.get("required") is True, (path, method, p)
    for ref in refs(document):
        resolve(document, ref)  # a dangling $ref raises KeyError


async def test_every_route_is_described(api: BatchAPI) -> None:
    document = await served_document(api)
    assert undescribed(document, route_methods()) == []


async def test_nothing_is_described_that_no_route_serves(api: BatchAPI) -> None:
    document = await served_document(api)
    served = set(route_methods())
    described = {(path, method) for path, item in document["paths"].items()
                 for method in item if method in HTTP_METHODS}
    assert described - served == set()


async def test_the_coverage_check_reports_a_missing_route(api: BatchAPI) -> None:
    """The check above can fail: a route the document lacks is reported."""
    document = await served_document(api)
    fake = [("/workflows/{name}/explode", "post"), ("/runs", "delete")]
    assert undescribed(document, [*route_methods(), *fake]) == [
        "POST /workflows/{name}/explode", "DELETE /runs"]
    some_path = ROUTES[0][0]
    trimmed = {**document, "paths": {p: v for p, v in document["paths"].items()
                                     if p != some_path}}
    assert undescribed(trimmed, route_methods()) == [
        f"{m.upper()} {p}" for p, m in route_methods() if p == some_path]
