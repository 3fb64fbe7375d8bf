"""The library's REST routes through a real server: list, show, use (its errors: bad
parameters each with a problem, an existing workflow, an unknown program), copy, and
library/ resources addressed and refused like the read-only resources they are."""

from __future__ import annotations

from typing import Any

import duckdb

from jupyter_batch import library
from tests.server.api import BatchAPI

PARAM_TYPES = {"string", "integer", "number", "boolean", "list"}


async def test_the_programs_are_listed_with_their_schema_example_and_version(
        api: BatchAPI) -> None:
    programs = (await api.ok("GET", "/library"))["programs"]

    assert [p["name"] for p in programs] == list(library.NAMES)
    for p in programs:
        assert set(p) == {"name", "title", "description", "resource", "version", "params",
                          "example"}
        assert (p["resource"], p["version"]) == (f"library/{p['name']}.py", 1)
        assert p["title"] and p["description"]
        names = [param["name"] for param in p["params"]]
        assert set(p["example"]) <= set(names)
        for param in p["params"]:
            assert set(param) - {"choices"} == {"name", "type", "required", "default", "help"}
            assert param["type"] in PARAM_TYPES and param["help"]
    sync = next(p for p in programs if p["name"] == "file_sync")
    compare = next(q for q in sync["params"] if q["name"] == "compare")
    assert compare == {"name": "compare", "type": "string", "required": False,
                       "default": "size_mtime", "choices": ["size_mtime", "checksum"],
                       "help": compare["help"]}


async def test_one_program_with_its_versions_and_script(api: BatchAPI) -> None:
    shown = await api.ok("GET", "/library/data_quality")

    listed = next(p for p in (await api.ok("GET", "/library"))["programs"]
                  if p["name"] == "data_quality")
    assert {k: v for k, v in shown.items() if k not in ("versions", "source")} == listed
    assert shown["source"] == library.source("data_quality").decode("utf-8")
    assert [(v["name"], v["version"], v["author"]) for v in shown["versions"]] == [
        ("library/data_quality.py", 1, "jupyter-batch")]
    error = await api.fails(404, "GET", "/library/nope")
    assert error["message"].startswith("no library program 'nope' (programs: columns_to_rows")


async def test_use_saves_the_workflow_as_get_workflows_shows_it(api: BatchAPI) -> None:
    created = await api.ok("POST", "/library/data_quality/use", {
        "workflow": "orders_dq", "params": {"source": "orders", "min_rows": "1",
                                            "unique_keys": ["id"], "max_rows": ""},
        "schedule": {"cron": "0 6 * * *", "timezone": "UTC"}, "publish": True}, status=201)

    shown = await api.ok("GET", "/workflows/orders_dq")
    assert {k: shown[k] for k in created} == created
    assert (shown["last_run"], shown["next_run_at"][11:16]) == (None, "06:00")  # scheduled
    assert (created["state"], created["latest_version"]) == ("published", 1)
    assert created["draft"]["tasks"] == [{
        "id": "data_quality", "type": "python", "resource": "library/data_quality.py",
        "params": {"source": "orders", "min_rows": 1, "unique_keys": "id"},
        "description": "Data quality checks"}]
    assert created["draft"]["schedule"] == {"cron": "0 6 * * *", "timezone": "UTC"}
    version = await api.ok("GET", "/workflows/orders_dq/versions/1")
    assert version["definition"]["tasks"][0]["resource"] == "library/data_quality.py@1"


async def test_a_used_program_runs(api: BatchAPI, batch_dir: Any) -> None:
    batch_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(batch_dir / "warehouse.duckdb")) as con:
        con.execute("CREATE TABLE t AS SELECT * FROM range(3) r(id)")
    await api.ok("POST", "/library/data_quality/use",
                 {"workflow": "dq", "params": {"source": "t", "unique_keys": "id"}},
                 status=201)

    run = await api.wait_run(await api.prerun("dq"))

    assert run["state"] == "success"
    assert run["tasks"][0]["outputs"] == {"checks": "1", "rows": "3"}


async def test_use_errors(api: BatchAPI) -> None:
    bad = await api.fails(400, "POST", "/library/data_quality/use", {
        "workflow": "dq", "params": {"min_rows": "x", "shape": 1}})
    assert bad["reason"] == "invalid"
    assert [p["where"] for p in bad["problems"]] == [
        "params.shape", "params.source", "params.min_rows"]
    assert await api.workflow_names() == []

    for body in ({}, {"workflow": 5}, {"workflow": "w", "params": [1]},
                 {"workflow": "w", "schedule": "daily"}, {"workflow": "w", "publish": "yes"}):
        await api.fails(400, "POST", "/library/data_quality/use", body)
    bad_name = await api.fails(400, "POST", "/library/data_quality/use", {
        "workflow": "no spaces", "params": {"source": "t", "min_rows": 1}})
    assert [p["where"] for p in bad_name["problems"]] == ["name"]

    await api.ok("POST", "/library/data_quality/use",
                 {"workflow": "dq", "params": {"source": "t", "min_rows": 1}}, status=201)
    taken = await api.fails(409, "POST", "/library/data_quality/use",
                            {"workflow": "dq", "params": {"source": "t", "min_rows": 1}})
    assert "exists already" in taken["message"]
    await api.fails(404, "POST", "/library/nope/use", {"workflow": "w"})
    assert await api.workflow_names() == ["dq"]


async def test_copy_makes_a_user_resource(api: BatchAPI) -> None:
    copied = await api.ok("POST", "/library/file_sync/copy", {"name": "my_sync.py"},
                          status=201)

    assert copied == await api.ok("GET", "/resources/my_sync.py")
    assert copied["versions"][0]["message"] == "copied from library/file_sync.py@1"
    content = await api.request("GET", "/resources/my_sync.py/versions/1")
    assert content.body == library.source("file_sync")

    await api.fails(409, "POST", "/library/file_sync/copy", {"name": "my_sync.py"})
    await api.fails(409, "POST", "/library/file_sync/copy", {"name": "library/x.py"})
    await api.fails(400, "POST", "/library/file_sync/copy", {"name": "x.sh"})
    await api.fails(400, "POST", "/library/file_sync/copy", {})
    await api.fails(404, "POST", "/library/nope/copy", {"name": "n.py"})
    assert [r["name"] for r in await api.user_resources()] == ["my_sync.py"]


async def test_library_resources_are_listed_read_and_never_written(api: BatchAPI) -> None:
    listed = (await api.ok("GET", "/resources"))["resources"]
    assert {(r["name"], r["namespace"], r["latest_version"]) for r in listed} == {
        (f"library/{n}.py", "library", 1) for n in library.NAMES}

    # (the client sends the / encoded, as %2F: tests/client/test_library.py)
    shown = await api.ok("GET", "/resources/library/table_export.py")
    assert (shown["name"], [v["version"] for v in shown["versions"]]) == (
        "library/table_export.py", [1])
    script = await api.request("GET", "/resources/library/table_export.py/versions/1")
    assert script.body == library.source("table_export")

    for path in ("/resources/library/table_export.py", "/resources/library/mine.py"):
        refused = await api.fails(409, "POST", path, {"content": "print('mine')\n"})
        assert "read-only" in refused["message"], refused
    assert [v["version"] for v in (await api.ok(
        "GET", "/resources/library/table_export.py"))["versions"]] == [1]
