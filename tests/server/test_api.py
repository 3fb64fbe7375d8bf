"""The REST API under /batch/api, through ``jp_fetch`` against a real in-process server
with the extension: every route of ``routes.ROUTES``, each method, success and error.

``BatchAPI`` (tests/server/api.py) checks on every reply that nothing answers 5xx and
that every error is JSON with ``message`` and ``reason``; runs are followed through the
server's own state-change events, not by sleeping.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import nbformat
import pytest

from jupyter_batch.service import BatchService
from tests.conftest import JUPYTER
from tests.helpers import shell, workflow_doc
from tests.server.api import BatchAPI, StateEvents, states, task_of

DAY = "2026-03-02"
SLEEP = "sleep 30"


def fails_once(task_id: str, code: int = 3) -> dict[str, Any]:
    """A shell task that fails on its first attempt and succeeds on the next ones."""
    return shell(task_id, f'test "$BATCH_ATTEMPT" -gt 1 || exit {code}')


# --- workflows ------------------------------------------------------------------------------

async def test_a_workflow_is_created_listed_read_and_updated(api: BatchAPI) -> None:
    created = await api.create_workflow(workflow_doc("wf", description="first"))
    assert (created["name"], created["state"], created["latest_version"]) == ("wf", "draft", None)
    assert [t["id"] for t in created["draft"]["tasks"]] == ["a", "b"]

    assert await api.workflow_names() == ["wf"]
    got = await api.ok("GET", "/workflows/wf")
    assert got["draft"] == created["draft"]

    updated = await api.ok("PUT", "/workflows/wf", workflow_doc("wf", description="second"))
    assert updated["description"] == "second"
    assert (await api.ok("GET", "/workflows/wf"))["description"] == "second"
    # the name in the URL is enough
    doc = workflow_doc("wf", description="third")
    del doc["name"]
    assert (await api.ok("PUT", "/workflows/wf", doc))["description"] == "third"


async def test_a_put_naming_another_workflow_is_refused(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("wf", description="kept"))
    error = await api.fails(400, "PUT", "/workflows/wf", workflow_doc("other"))
    assert "'other'" in error["message"] and "'wf'" in error["message"]
    assert error["reason"] == "invalid"
    assert await api.workflow_names() == ["wf"]
    assert (await api.ok("GET", "/workflows/wf"))["description"] == "kept"


async def test_an_invalid_workflow_is_refused_and_nothing_is_stored(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("kept"))
    before = await api.ok("GET", "/workflows")

    cycle = workflow_doc("cyclic", relations=[("a", "b"), ("b", "a")])
    error = await api.fails(400, "POST", "/workflows", cycle)
    assert error["reason"] == "invalid"
    assert error["problems"] == [{"where": "relations",
                                  "message": "relations form a cycle: a -> b -> a"}]
    assert "'cyclic'" in error["message"]

    unknown_type = workflow_doc("typo", tasks=[{"id": "a", "type": "shel", "command": "true"}])
    error = await api.fails(400, "POST", "/workflows", unknown_type)
    assert [p["where"] for p in error["problems"]] == ["tasks[0].type"]

    # an invalid update of an existing workflow leaves its draft as it was
    await api.fails(400, "PUT", "/workflows/kept",
                    workflow_doc("kept", relations=[("a", "b"), ("b", "a")]))
    assert await api.ok("GET", "/workflows") == before


async def test_validate_lists_every_problem_with_where_it_is(api: BatchAPI) -> None:
    good = await api.ok("POST", "/workflows/validate", workflow_doc("wf"))
    assert good == {"valid": True, "name": "wf", "problems": []}

    bad = workflow_doc("wf", tasks=[shell("a"), {"id": "b", "type": "shell"},
                                    {"id": "c", "type": "python", "resource": "missing.py"}])
    reply = await api.ok("POST", "/workflows/validate", bad)
    assert reply["valid"] is False
    assert [p["where"] for p in reply["problems"]] == ["tasks[1]", "tasks[2].resource"]
    assert "'missing.py'" in reply["problems"][1]["message"]
    assert await api.workflow_names() == []  # validating stores nothing


async def test_the_layout_places_every_node(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc(
        "wf", tasks=[shell("a"), shell("b"), shell("c")], relations=[("a", "b"), ("a", "c")]))
    layout = await api.ok("GET", "/workflows/wf/layout")
    nodes = {n["id"]: n for n in layout["nodes"]}
    assert set(nodes) == {"a", "b", "c"}
    assert all(isinstance(n["x"], (int, float)) and isinstance(n["y"], (int, float))
               for n in nodes.values())
    assert nodes["a"]["x"] < nodes["b"]["x"] == nodes["c"]["x"]
    assert nodes["b"]["y"] != nodes["c"]["y"]
    assert {(e["from"], e["to"]) for e in layout["edges"]} == {("a", "b"), ("a", "c")}

    await api.fails(404, "GET", "/workflows/nope/layout")
    await api.fails(404, "GET", "/workflows/wf/layout", params={"version": "1"})
    await api.fails(400, "GET", "/workflows/wf/layout", params={"version": "one"})


async def test_publish_pins_resources_and_keeps_versions(api: BatchAPI) -> None:
    await api.add_resource("hello.sh", "echo hello\n")
    doc = workflow_doc("wf", tasks=[{"id": "a", "type": "shell", "resource": "hello.sh"}])
    await api.create_workflow(doc)
    await api.fails(404, "GET", "/workflows/wf/versions/1")

    published = await api.publish("wf")
    assert (published["version"], published["created"]) == (1, True)
    assert published["definition"]["tasks"][0]["resource"] == "hello.sh@1"
    assert (await api.ok("GET", "/workflows/wf"))["state"] == "published"

    # a newer resource version does not change what version 1 runs
    await api.add_resource("hello.sh", "echo hello again\n")
    versions = (await api.ok("GET", "/workflows/wf/versions"))["versions"]
    assert [v["version"] for v in versions] == [1]
    assert versions[0]["message"] == "test"
    v1 = await api.ok("GET", "/workflows/wf/versions/1")
    assert (v1["name"], v1["version"]) == ("wf", 1)
    assert v1["definition"]["tasks"][0]["resource"] == "hello.sh@1"
    await api.fails(404, "GET", "/workflows/wf/versions/2")
    await api.fails(404, "GET", "/workflows/nope/versions")

    run = await api.wait_run(await api.trigger("wf", DAY))
    log = await api.ok("GET", f"/runs/{run['id']}/tasks/a/log")
    assert "hello\n" in log["text"] and "hello again" not in log["text"]

    # publishing again pins the new latest resource version: version 2
    assert (await api.publish("wf"))["definition"]["tasks"][0]["resource"] == "hello.sh@2"
    assert [v["version"] for v in
            (await api.ok("GET", "/workflows/wf/versions"))["versions"]] == [1, 2]


async def test_a_workflow_named_like_a_route_is_refused_or_reachable(api: BatchAPI) -> None:
    reply = await api.request("POST", "/workflows", workflow_doc("validate"))
    if reply.code == 400:  # refused as a reserved name: fine
        assert await api.workflow_names() == []
        return
    assert reply.code == 201
    assert (await api.ok("GET", "/workflows/validate"))["name"] == "validate"
    reply = await api.request("DELETE", "/workflows/validate")
    assert reply.code == 204


async def test_the_workflow_list_tells_last_run_and_next_fire(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("nightly", schedule={
        "cron": "0 2 * * *", "timezone": "Europe/Berlin"}))
    await api.create_workflow(workflow_doc("adhoc"))
    await api.publish("nightly")
    run_id = await api.prerun("adhoc", "2026-11-20")
    await api.wait_run(run_id)

    rows = {w["name"]: w for w in (await api.ok("GET", "/workflows"))["workflows"]}

    assert rows["adhoc"]["last_run"]["id"] == run_id
    assert rows["adhoc"]["last_run"]["state"] == "success"
    assert rows["adhoc"]["next_run_at"] is None  # a draft is never scheduled
    assert rows["nightly"]["last_run"] is None
    fire = datetime.fromisoformat(rows["nightly"]["next_run_at"])
    assert fire > datetime.now(timezone.utc)
    assert fire.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") == "02:00"
    # one workflow reads as its row of the list does (a list updates a row from it)
    for name in ("adhoc", "nightly"):
        assert await api.ok("GET", f"/workflows/{name}") == rows[name]


async def test_offline_then_delete(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("wf"))
    await api.fails(409, "POST", "/workflows/wf/offline")  # a draft is not published
    await api.publish("wf")

    error = await api.fails(409, "DELETE", "/workflows/wf")
    assert error["reason"] == "conflict" and "offline" in error["message"]
    assert await api.workflow_names() == ["wf"]

    assert (await api.ok("POST", "/workflows/wf/offline"))["state"] == "offline"
    reply = await api.request("DELETE", "/workflows/wf")
    assert (reply.code, reply.body) == (204, b"")
    await api.fails(404, "GET", "/workflows/wf")
    await api.fails(404, "DELETE", "/workflows/wf")
    assert await api.workflow_names() == []


async def test_actions_on_workflows_refuse_bad_requests(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("wf"))
    await api.fails(404, "POST", "/workflows/nope/prerun")
    await api.fails(404, "POST", "/workflows/nope/publish")
    await api.fails(404, "POST", "/workflows/nope/offline")
    await api.fails(409, "POST", "/workflows/wf/runs")  # a draft runs only as a pre-run
    await api.fails(409, "POST", "/workflows/wf/backfill", {"start": DAY, "end": DAY})
    await api.fails(400, "POST", "/workflows/wf/prerun", {"params": ["x"]})
    await api.fails(400, "POST", "/workflows/wf/prerun", {"date": "2026-13-40"})
    await api.fails(400, "POST", "/workflows/wf/prerun", {"params": {"ds": "x"}})  # reserved
    await api.publish("wf")
    await api.fails(400, "POST", "/workflows/wf/backfill", {"start": DAY})
    await api.fails(400, "POST", "/workflows/wf/backfill", {"start": DAY, "end": "2026-03-01"})
    await api.fails(400, "POST", "/workflows/wf/backfill", {"start": "yesterday", "end": DAY})
    await api.fails(404, "GET", "/workflows/nope")
    assert (await api.ok("GET", "/runs"))["total"] == 0  # no refused action started a run


async def test_a_method_a_route_does_not_serve_is_a_405_naming_its_reason(
        api: BatchAPI) -> None:
    error = await api.fails(405, "PUT", "/workflows/wf/versions")
    assert error["message"] == "Method Not Allowed"


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"text"', b"\xff\xfe"])
async def test_a_body_that_is_not_a_json_object_is_a_400(api: BatchAPI, body: Any) -> None:
    await api.create_workflow(workflow_doc("wf"))
    for method, path in [("POST", "/workflows"), ("POST", "/workflows/validate"),
                         ("PUT", "/workflows/wf"), ("POST", "/workflows/wf/prerun"),
                         ("POST", "/runs/1/stop"), ("POST", "/resources/x.sh")]:
        error = await api.fails(400, method, path, body)
        assert "JSON" in error["message"], (method, path, error)
    assert await api.workflow_names() == ["wf"]
    assert await api.user_resources() == []


# --- runs -----------------------------------------------------------------------------------

async def test_a_prerun_may_send_the_document_to_run_without_saving_it(
        api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("wf", tasks=[shell("a", "echo saved")]))
    saved = await api.ok("GET", "/workflows/wf")
    sent = workflow_doc("wf", tasks=[shell("x", "echo sent")])
    run_id = await api.prerun("wf", DAY, workflow=sent)
    run = await api.wait_run(run_id)
    assert (run["state"], states(run)) == ("success", {"x": "success"})
    assert [t["id"] for t in run["definition"]["tasks"]] == ["x"]
    assert "sent" in (await api.ok("GET", f"/runs/{run_id}/tasks/x/log"))["text"]
    after = await api.ok("GET", "/workflows/wf")
    assert after.pop("last_run")["id"] == run_id  # the run is the workflow's newest
    assert saved.pop("last_run") is None
    assert after == saved  # the draft is unchanged

    # a workflow never saved can be pre-run the same way; it stays unsaved
    new = await api.wait_run(await api.prerun("new", DAY, workflow=workflow_doc("new")))
    assert (new["workflow"], new["state"]) == ("new", "success")
    assert await api.workflow_names() == ["wf"]

    runs_before = (await api.ok("GET", "/runs"))["total"]
    await api.fails(400, "POST", "/workflows/wf/prerun", {"workflow": workflow_doc("other")})
    await api.fails(400, "POST", "/workflows/wf/prerun", {"workflow": ["a"]})
    error = await api.fails(400, "POST", "/workflows/wf/prerun", {
        "workflow": workflow_doc("wf", relations=[("a", "b"), ("b", "a")])})
    assert error["problems"][0]["where"] == "relations"
    assert (await api.ok("GET", "/runs"))["total"] == runs_before


async def test_a_rerun_uses_the_pinned_resources_unless_asked_for_the_latest(
        api: BatchAPI) -> None:
    await api.add_resource("job.sh", "echo version one\n")
    await api.create_workflow(workflow_doc("wf", tasks=[
        {"id": "a", "type": "shell", "resource": "job.sh"}]))
    await api.publish("wf")
    run_id = await api.trigger("wf", DAY)
    run = await api.wait_run(run_id)
    assert run["definition"]["tasks"][0]["resource"] == "job.sh@1"
    await api.add_resource("job.sh", "echo version two\n")

    async def log_after_rerun(**body: Any) -> str:
        since = api.events.mark()
        await api.ok("POST", f"/runs/{run_id}/rerun", {"task": "a", **body}, status=202)
        api.follow(run_id, since)
        assert (await api.wait_run(run_id))["state"] == "success"
        return (await api.ok("GET", f"/runs/{run_id}/tasks/a/log"))["text"]

    assert "version one" in await log_after_rerun()
    assert "version two" in await log_after_rerun(latest=True)
    attempts = (await api.ok("GET", f"/runs/{run_id}/tasks/a/attempts"))["attempts"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3]


async def test_a_prerun_runs_the_draft_and_is_followed_to_its_end(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("wf"))
    run_id = await api.prerun("wf", DAY, params={"who": "me"})
    run = await api.wait_run(run_id)
    assert (run["id"], run["workflow"], run["trigger"], run["state"]) == (
        run_id, "wf", "prerun", "success")
    assert (run["logical_date"], run["workflow_version"], run["params"]) == (
        DAY, None, {"who": "me"})
    assert states(run) == {"a": "success", "b": "success"}
    assert all(t["attempt"] == 1 and t["exit_code"] == 0 for t in run["tasks"])
    await api.fails(404, "GET", "/runs/999")


async def test_a_published_workflow_is_triggered_for_a_date(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("wf"))
    await api.publish("wf")
    run = await api.wait_run(await api.trigger("wf", DAY))
    assert (run["trigger"], run["workflow_version"], run["logical_date"], run["state"]) == (
        "manual", 1, DAY, "success")


async def test_a_backfill_runs_each_date_oldest_first(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("wf", tasks=[shell("a", 'echo "$BATCH_DS"')]))
    await api.publish("wf")
    since = api.events.mark()
    reply = await api.ok("POST", "/workflows/wf/backfill",
                         {"start": "2026-03-01", "end": "2026-03-03"}, status=202)
    run_ids = reply["run_ids"]
    assert len(run_ids) == 3 and run_ids == sorted(run_ids)
    runs = []
    for run_id in run_ids:
        api.follow(run_id, since)
        runs.append(await api.wait_run(run_id))
    assert [(r["logical_date"], r["trigger"], r["state"]) for r in runs] == [
        ("2026-03-01", "backfill", "success"), ("2026-03-02", "backfill", "success"),
        ("2026-03-03", "backfill", "success")]
    # one after the other: each started once the one before it had ended
    for before, after in itertools.pairwise(runs):
        assert after["started_at"] >= before["ended_at"]
    log = await api.ok("GET", f"/runs/{run_ids[1]}/tasks/a/log")
    assert "2026-03-02" in log["text"]


async def test_a_backfill_date_not_started_yet_can_be_stopped_from_anywhere(
        api: BatchAPI, batch_dir: Path, tmp_path: Path) -> None:
    """The server holds a backfill's later dates queued; stopping one, through the REST
    API or from a terminal, cancels it (and its tasks) and the backfill goes on with the
    next. Before, the stop was refused with 409: "not driven by its owner"."""
    go = tmp_path / "go"
    await api.create_workflow(workflow_doc("wf", tasks=[shell(
        "a", f'while [ ! -e {go} ]; do sleep 0.05; done; echo "$BATCH_DS"')]))
    await api.publish("wf")
    reply = await api.ok("POST", "/workflows/wf/backfill",
                         {"start": "2026-03-01", "end": "2026-03-04"}, status=202)
    first, second, third, fourth = reply["run_ids"]
    await api.wait_task(first, "a", "running")

    await api.ok("POST", f"/runs/{second}/stop", status=202)
    env = {**os.environ, "JUPYTER_BATCH_DIR": str(batch_dir)}
    proc = await asyncio.create_subprocess_exec(
        str(JUPYTER), "batch", "stop", str(third), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    go.touch()

    assert (proc.returncode, out.decode()) == (0, f"run {third} cancelled\n"), err.decode()
    for run_id in (second, third):
        run = await api.run(run_id)
        assert (run["state"], states(run)) == ("cancelled", {"a": "cancelled"})
        assert "before it started" in run["message"]
    assert (await api.wait_run(first))["state"] == "success"
    assert (await api.wait_run(fourth))["state"] == "success"


async def test_runs_are_listed_with_filters_and_pages(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("good"))
    await api.create_workflow(workflow_doc("bad", tasks=[shell("a", "exit 3")]))
    good = [await api.wait_run(await api.prerun("good", DAY)) for _ in range(3)]
    bad = await api.wait_run(await api.prerun("bad", DAY))
    assert [r["state"] for r in good] == ["success"] * 3 and bad["state"] == "failed"
    all_ids = {r["id"] for r in [*good, bad]}

    async def ids(**params: Any) -> tuple[int, list[int]]:
        reply = await api.ok("GET", "/runs", params=params)
        return reply["total"], [r["id"] for r in reply["runs"]]

    total, listed = await ids()
    assert (total, set(listed)) == (4, all_ids)
    total, listed = await ids(workflow="good")
    assert (total, sorted(listed)) == (3, [r["id"] for r in good])
    assert await ids(state="failed") == (1, [bad["id"]])
    assert await ids(workflow="good", state="failed") == (0, [])
    multi = await api.ok("GET", "/runs", params=[("state", "failed"), ("state", "success")])
    assert multi["total"] == 4
    assert await ids(workflow="nope") == (0, [])

    first_total, first = await ids(limit=3)
    second_total, second = await ids(limit=3, offset=3)
    assert (first_total, second_total, len(first), len(second)) == (4, 4, 3, 1)
    assert set(first) | set(second) == all_ids
    assert await ids(offset=4) == (4, [])

    error = await api.fails(400, "GET", "/runs", params={"state": "done"})
    assert "'done'" in error["message"]
    for bad_limit in ("-1", "1001", "ten"):
        await api.fails(400, "GET", "/runs", params={"limit": bad_limit})
    await api.fails(400, "GET", "/runs", params={"offset": "-1"})
    await api.fails(400, "GET", "/runs", params={"offset": "x"})


async def test_a_zero_limit_is_refused(api: BatchAPI) -> None:
    await api.fails(400, "GET", "/runs", params={"limit": "0"})


async def test_a_running_run_is_stopped(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("wf", tasks=[shell("a", SLEEP), shell("b")],
                                           relations=[("a", "b")]))
    run_id = await api.prerun("wf", DAY)
    await api.wait_task(run_id, "a", "running")
    # while it runs, it can be neither rerun nor recovered
    await api.fails(409, "POST", f"/runs/{run_id}/rerun", {"task": "a"})
    await api.fails(409, "POST", f"/runs/{run_id}/recover")

    reply = await api.ok("POST", f"/runs/{run_id}/stop", status=202)
    assert reply == {"run_id": run_id, "stopping": True}
    run = await api.wait_run(run_id)
    assert run["state"] == "cancelled"
    assert states(run) == {"a": "cancelled", "b": "cancelled"}

    error = await api.fails(409, "POST", f"/runs/{run_id}/stop")
    assert "cancelled" in error["message"]
    await api.fails(404, "POST", "/runs/999/stop")


async def test_a_run_the_server_drives_is_stopped_from_the_command_line(
        api: BatchAPI, batch_dir: Path) -> None:
    """`jupyter batch stop` in a terminal asks the server, which drives the run, to stop
    it; the command returns once the run has ended."""
    await api.create_workflow(workflow_doc("wf", tasks=[shell("a", SLEEP), shell("b")],
                                           relations=[("a", "b")]))
    run_id = await api.prerun("wf", DAY)
    await api.wait_task(run_id, "a", "running")

    env = {**os.environ, "JUPYTER_BATCH_DIR": str(batch_dir)}
    proc = await asyncio.create_subprocess_exec(
        str(JUPYTER), "batch", "stop", str(run_id), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)

    assert (proc.returncode, out.decode()) == (0, f"run {run_id} cancelled\n"), err.decode()
    run = await api.wait_run(run_id)
    assert states(run) == {"a": "cancelled", "b": "cancelled"}


async def test_a_run_another_process_drives_is_followed_through_the_servers_events(
        api: BatchAPI, events: StateEvents, batch_dir: Path, tmp_path: Path) -> None:
    """A `jupyter batch run` in a terminal on the server's data folder: the server emits
    its changes as they are stored there, so the side panel follows it live."""
    path = tmp_path / "elsewhere.workflow.json"
    path.write_text(json.dumps(workflow_doc("elsewhere", tasks=[shell("a"), shell("b")],
                                            relations=[("a", "b")])))
    mark = events.mark()
    env = {**os.environ, "JUPYTER_BATCH_DIR": str(batch_dir)}
    proc = await asyncio.create_subprocess_exec(
        str(JUPYTER), "batch", "run", str(path), "--date", DAY, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()

    ended = await events.wait_for(lambda e: e["kind"] == "run" and e["state"] == "success",
                                  since=mark)
    seen = [(e["kind"], e.get("task_id"), e["state"]) for e in events.of_run(ended["run_id"])]
    assert seen == [("run", None, "running"),
                    ("task", "a", "queued"), ("task", "a", "running"), ("task", "a", "success"),
                    ("task", "b", "queued"), ("task", "b", "running"), ("task", "b", "success"),
                    ("run", None, "success")]
    assert ended["workflow"] == "elsewhere"


async def test_rerun_preview_says_which_tasks_and_a_rerun_adds_an_attempt(
        api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc(
        "wf", tasks=[shell("a"), shell("b"), shell("c")], relations=[("a", "b"), ("b", "c")]))
    run_id = await api.prerun("wf", DAY)
    assert (await api.wait_run(run_id))["state"] == "success"

    for downstream, tasks in [(True, ["b", "c"]), (False, ["b"])]:
        preview = await api.ok("POST", f"/runs/{run_id}/rerun",
                               {"task": "b", "downstream": downstream, "preview": True})
        assert preview == {"run_id": run_id, "tasks": tasks, "started": False}
    assert [t["attempt"] for t in (await api.run(run_id))["tasks"]] == [1, 1, 1]

    plan = await api.rerun(run_id, "b", downstream=True)
    assert plan == {"run_id": run_id, "tasks": ["b", "c"], "started": True}
    run = await api.wait_run(run_id)
    assert run["state"] == "success"
    assert {t["id"]: t["attempt"] for t in run["tasks"]} == {"a": 1, "b": 2, "c": 2}
    attempts = (await api.ok("GET", f"/runs/{run_id}/tasks/b/attempts"))["attempts"]
    assert [(a["attempt"], a["state"], a["exit_code"]) for a in attempts] == [
        (1, "success", 0), (2, "success", 0)]

    await api.fails(400, "POST", f"/runs/{run_id}/rerun", {})
    await api.fails(400, "POST", f"/runs/{run_id}/rerun", {"task": 3})
    await api.fails(404, "POST", f"/runs/{run_id}/rerun", {"task": "nope"})
    await api.fails(404, "POST", "/runs/999/rerun", {"task": "a"})


async def test_recover_reruns_what_failed(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc(
        "wf", tasks=[shell("a"), fails_once("b"), shell("c")],
        relations=[("a", "b"), ("b", "c")]))
    run_id = await api.prerun("wf", DAY)
    run = await api.wait_run(run_id)
    assert run["state"] == "failed"
    assert states(run) == {"a": "success", "b": "failed", "c": "upstream_failed"}
    assert task_of(run, "b")["exit_code"] == 3

    preview = await api.ok("POST", f"/runs/{run_id}/recover", {"preview": True})
    assert preview == {"run_id": run_id, "tasks": ["b", "c"], "started": False}
    assert (await api.recover(run_id))["tasks"] == ["b", "c"]
    run = await api.wait_run(run_id)
    assert run["state"] == "success"
    assert {t["id"]: t["attempt"] for t in run["tasks"]} == {"a": 1, "b": 2, "c": 1}

    nothing = await api.ok("POST", f"/runs/{run_id}/recover")
    assert nothing == {"run_id": run_id, "tasks": [], "started": False}
    await api.fails(404, "POST", "/runs/999/recover")


async def test_attempts_of_a_task(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("wf", tasks=[fails_once("a") | {"retries": 1}]))
    run = await api.wait_run(await api.prerun("wf", DAY))
    assert run["state"] == "success"
    attempts = (await api.ok("GET", f"/runs/{run['id']}/tasks/a/attempts"))["attempts"]
    assert [(a["attempt"], a["state"], a["exit_code"]) for a in attempts] == [
        (1, "failed", 3), (2, "success", 0)]
    assert all(a["started_at"] and a["ended_at"] for a in attempts)
    await api.fails(404, "GET", f"/runs/{run['id']}/tasks/nope/attempts")
    await api.fails(404, "GET", "/runs/999/tasks/a/attempts")


async def test_a_log_is_read_from_an_offset(api: BatchAPI) -> None:
    lines = "".join(f"line {i}\n" for i in range(20))
    await api.create_workflow(workflow_doc("wf", tasks=[
        shell("a", 'echo "attempt $BATCH_ATTEMPT"; test "$BATCH_ATTEMPT" -gt 1 || exit 3; '
                   'printf %s "$BATCH_PARAM_LINES"', retries=1, params={"lines": lines})]))
    run_id = await api.prerun("wf", DAY)
    await api.wait_run(run_id)
    path = f"/runs/{run_id}/tasks/a/log"

    whole = await api.ok("GET", path)
    assert (whole["attempt"], whole["offset"], whole["complete"]) == (2, 0, True)
    assert lines in whole["text"] and "attempt 2" in whole["text"]
    assert whole["next_offset"] == len(whole["text"].encode())

    middle = len(whole["text"]) // 2
    rest = await api.ok("GET", path, params={"offset": middle})
    assert (rest["offset"], rest["text"]) == (middle, whole["text"][middle:])
    assert rest["next_offset"] == whole["next_offset"]
    after = await api.ok("GET", path, params={"offset": whole["next_offset"]})
    assert (after["text"], after["next_offset"]) == ("", whole["next_offset"])

    first = await api.ok("GET", path, params={"attempt": 1})
    assert first["attempt"] == 1 and "attempt 1" in first["text"] and lines not in first["text"]

    await api.fails(404, "GET", path, params={"attempt": 3})
    await api.fails(400, "GET", path, params={"offset": "-1"})
    await api.fails(400, "GET", path, params={"offset": "end"})
    await api.fails(404, "GET", f"/runs/{run_id}/tasks/nope/log")
    await api.fails(404, "GET", "/runs/999/tasks/a/log")


async def test_the_executed_notebook_is_served_as_ipynb_and_html(api: BatchAPI) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell('print("hello from " + "the notebook")'))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    await api.add_resource("report.ipynb", nbformat.writes(nb))
    await api.create_workflow(workflow_doc("wf", tasks=[
        {"id": "report", "type": "notebook", "resource": "report.ipynb"}, shell("sh")]))
    run = await api.wait_run(await api.prerun("wf", DAY))
    assert run["state"] == "success", run
    path = f"/runs/{run['id']}/tasks/report/output"

    reply = await api.request("GET", path)
    assert reply.code == 200 and reply.headers["X-Batch-Attempt"] == "1"
    executed = nbformat.reads(reply.text, as_version=4)
    outputs = [o.get("text", "") for c in executed.cells for o in c.get("outputs", [])]
    assert "hello from the notebook\n" in outputs

    html = await api.request("GET", path, params={"format": "html"})
    assert html.code == 200
    assert "<html" in html.text and "hello from the notebook" in html.text

    await api.fails(400, "GET", path, params={"format": "pdf"})
    await api.fails(404, "GET", path, params={"attempt": 2})
    await api.fails(404, "GET", f"/runs/{run['id']}/tasks/sh/output")  # not a notebook
    await api.fails(404, "GET", "/runs/999/tasks/report/output")


# --- resources ------------------------------------------------------------------------------

async def test_a_resource_gets_a_version_per_new_content(api: BatchAPI) -> None:
    first = await api.ok("POST", "/resources/job.sh",
                         {"content": "echo one\n", "message": "first"}, status=201)
    assert (first["created"], first["version"]["version"]) == (True, 1)
    assert first["version"]["size"] == 9 and first["version"]["message"] == "first"
    same = await api.ok("POST", "/resources/job.sh", {"content": "echo one\n"})
    assert (same["created"], same["version"]) == (False, first["version"])
    raw = b"echo two\n\x00\xff binary tail"
    second = await api.ok("POST", "/resources/job.sh",
                          {"content_base64": base64.b64encode(raw).decode()}, status=201)
    assert (second["created"], second["version"]["version"]) == (True, 2)

    assert [r["name"] for r in await api.user_resources()] == ["job.sh"]
    versions = (await api.ok("GET", "/resources/job.sh"))["versions"]
    assert [(v["version"], v["size"], v["message"]) for v in versions] == [
        (1, 9, "first"), (2, len(raw), "")]

    one = await api.request("GET", "/resources/job.sh/versions/1")
    two = await api.request("GET", "/resources/job.sh/versions/2")
    assert (one.code, one.body, two.code, two.body) == (200, b"echo one\n", 200, raw)
    await api.fails(404, "GET", "/resources/job.sh/versions/3")


async def test_two_versions_of_a_resource_are_diffed(api: BatchAPI) -> None:
    await api.add_resource("clean.py", "x = 1\ny = 2\n")
    await api.add_resource("clean.py", "x = 1\ny = 3\n")
    diff = (await api.ok("GET", "/resources/clean.py/diff",
                         params={"from": 1, "to": 2}))["diff"]
    assert "-y = 2" in diff and "+y = 3" in diff and " x = 1" in diff
    assert "clean.py@1" in diff and "clean.py@2" in diff
    await api.fails(400, "GET", "/resources/clean.py/diff", params={"from": 1})
    await api.fails(400, "GET", "/resources/clean.py/diff", params={"from": "a", "to": 2})
    await api.fails(404, "GET", "/resources/clean.py/diff", params={"from": 1, "to": 9})
    await api.fails(404, "GET", "/resources/nope.py/diff", params={"from": 1, "to": 2})


async def test_bad_resource_uploads_are_refused_and_store_nothing(api: BatchAPI) -> None:
    for name in ("notes.txt", "-dash.sh", ".hidden.sh", "noformat"):
        error = await api.fails(400, "POST", f"/resources/{name}", {"content": "x"})
        assert name in error["message"], error
    error = await api.fails(400, "POST", "/resources/ok.sh", {"content_base64": "***"})
    assert "base64" in error["message"]
    await api.fails(400, "POST", "/resources/ok.sh", {})
    await api.fails(400, "POST", "/resources/ok.sh", {"content": 42})
    assert await api.user_resources() == []
    await api.fails(404, "GET", "/resources/ok.sh")
    await api.fails(404, "GET", "/resources/ok.sh/versions/1")


async def test_raw_contents_are_served_with_their_own_content_type(api: BatchAPI) -> None:
    await api.add_resource("job.sh", "echo one\n")
    reply = await api.request("GET", "/resources/job.sh/versions/1")
    assert reply.headers["Content-Type"] == "application/octet-stream"


# --- warehouse ------------------------------------------------------------------------------



# --- scheduler -------------------------------------------------------------------------------

async def test_the_scheduler_status_names_this_servers_scheduler_as_the_leader(
        api: BatchAPI, batch_dir: Path) -> None:
    status = await api.ok("GET", "/scheduler")
    for _ in range(500):  # the scheduler thread takes the lease as it starts
        if status["leader"] is not None:
            break
        await asyncio.sleep(0.01)
        status = await api.ok("GET", "/scheduler")
    assert status["running_here"] and status["leads_here"]
    assert status["leader"].startswith(f"{socket.gethostname()}:{os.getpid()}:")
    assert status["leading_for"] >= 0

    # a second scheduler on the same store stands by, and says who leads
    other = BatchService(data_dir=batch_dir)
    try:
        other.start_scheduler()
        seen = other.scheduler_status()
        assert (seen.leader, seen.running_here, seen.leads_here) == (
            status["leader"], True, False)
    finally:
        other.close()
    assert (await api.ok("GET", "/scheduler"))["leads_here"]


async def test_a_fresh_warehouse_has_no_tables(api: BatchAPI) -> None:
    assert await api.ok("GET", "/warehouse/tables") == {"tables": []}


async def test_a_missing_table_is_a_404(api: BatchAPI) -> None:
    error = await api.fails(404, "GET", "/warehouse/tables/nope")
    assert "nope" in error["message"]
    await api.fails(400, "GET", "/warehouse/tables/nope", params={"limit": "many"})


# --- no 500 for bad input -------------------------------------------------------------------

HUGE = str(2**70)


async def test_unknown_ids_are_404(api: BatchAPI) -> None:
    for path in ("/runs/0", "/runs/0/tasks/a/attempts", "/runs/0/tasks/a/log",
                 "/runs/0/tasks/a/output", "/workflows/nope/versions/0",
                 "/resources/nope.sh/versions/1", "/resources/nope/versions/1"):
        await api.fails(404, "GET", path)


@pytest.mark.parametrize(("path", "params"), [
    (f"/runs/{HUGE}", None),
    (f"/runs/{HUGE}/tasks/a/attempts", None),
    ("/runs", {"offset": HUGE}),
    ("/runs/1/tasks/a/log", {"offset": HUGE}),
])
async def test_a_huge_number_is_not_a_500(api: BatchAPI, path: str,
                                          params: dict[str, str] | None) -> None:
    await api.create_workflow(workflow_doc("wf", tasks=[shell("a")]))
    await api.wait_run(await api.prerun("wf", DAY))
    reply = await api.request("GET", path, params=params)
    assert reply.code in (400, 404)


# --- input that is not quite right ----------------------------------------------------------

NAN_DOC = ('{"name": "nanwf", "tasks": [{"id": "a", "type": "shell", "command": "echo hi", '
           '"timeout": %s}]}')


@pytest.mark.parametrize(("number", "shown"), [("NaN", "NaN"), ("1e400", "Infinity")])
async def test_a_number_json_cannot_hold_is_refused_in_any_body(api: BatchAPI, number: str,
                                                                 shown: str) -> None:
    for method, path in [("POST", "/workflows"), ("PUT", "/workflows/nanwf"),
                         ("POST", "/workflows/validate")]:
        error = await api.fails(400, method, path, NAN_DOC % number)
        assert error["message"] == f"tasks[0].timeout: must be a finite number, not {shown}"
    await api.create_workflow(workflow_doc("wf"))
    error = await api.fails(400, "POST", "/workflows/wf/prerun",
                            '{"params": {"top": NUMBER}}'.replace("NUMBER", number))
    assert error["message"] == f"params.top: must be a finite number, not {shown}"

    assert await api.workflow_names() == ["wf"]
    assert (await api.ok("GET", "/runs"))["total"] == 0


async def test_a_version_or_run_too_big_to_be_stored_is_404_naming_it(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("wf"))
    await api.publish("wf")
    huge = "99999999999999999999999"

    error = await api.fails(404, "GET", f"/workflows/wf/versions/{huge}")
    assert error["message"] == f"workflow 'wf' has no version {huge}"
    for method, path in [("POST", f"/runs/{huge}/rerun"), ("POST", f"/runs/{huge}/recover"),
                         ("GET", f"/runs/{huge}/tasks/a/output")]:
        error = await api.fails(404, method, path, {"task": "a"} if method == "POST" else None)
        assert error["message"] == f"no run {huge}"
    await api.fails(400, "GET", "/workflows/wf/layout", params={"version": huge})


async def test_a_log_offset_far_past_the_end_reads_nothing(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("wf", tasks=[shell("a", "echo hi")]))
    run_id = await api.prerun("wf", DAY)
    await api.wait_run(run_id)

    chunk = await api.ok("GET", f"/runs/{run_id}/tasks/a/log", params={"offset": str(2**62)})

    assert (chunk["text"], chunk["next_offset"]) == ("", 2**62)


async def test_body_fields_must_have_their_json_type(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("wf", tasks=[shell("a")]))
    run_id = await api.prerun("wf", DAY)
    await api.wait_run(run_id)

    for flag in ("preview", "downstream", "latest"):
        error = await api.fails(400, "POST", f"/runs/{run_id}/rerun",
                                {"task": "a", flag: "false"})
        assert error["message"] == f"'{flag}' must be true or false, not \"false\""
    error = await api.fails(400, "POST", f"/runs/{run_id}/recover", {"preview": 0})
    assert error["message"] == "'preview' must be true or false, not 0"
    error = await api.fails(400, "POST", "/workflows/wf/publish", {"message": {"a": 1}})
    assert error["message"] == "'message' must be a string, not {\"a\": 1}"
    error = await api.fails(400, "POST", "/resources/x.sh",
                            {"content": "echo x", "message": ["first"]})
    assert error["message"] == "'message' must be a string, not [\"first\"]"
    error = await api.fails(400, "POST", "/workflows/wf/prerun", {"date": 20260302})
    assert error["message"] == "'date' must be a string, not 20260302"
    error = await api.fails(400, "POST", "/library/data_quality/use",
                            {"workflow": "dq", "publish": "yes"})
    assert error["message"] == "'publish' must be true or false, not \"yes\""

    assert (await api.run(run_id))["tasks"][0]["attempt"] == 1  # nothing ran again
    assert [v["version"] for v in (await api.ok("GET", "/workflows/wf/versions"))[
        "versions"]] == []
    assert await api.user_resources() == []
    assert (await api.ok("GET", "/runs"))["total"] == 1


async def test_a_body_field_no_route_takes_is_refused_by_name(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("wf", tasks=[shell("a")]))
    await api.publish("wf")
    await api.create_workflow(workflow_doc("unpublished"))
    run_id = await api.prerun("wf", DAY)
    await api.wait_run(run_id)
    refused = [
        ("/workflows/wf/runs", {"param": {"x": 1}}, "param", "date, params"),
        ("/workflows/wf/prerun", {"date": DAY, "param": {"x": 1}}, "param",
         "date, params, workflow"),
        ("/workflows/wf/backfill", {"start": DAY, "end": DAY, "param": {}}, "param",
         "end, params, start"),
        ("/workflows/unpublished/publish", {"msg": "first"}, "msg", "message"),
        ("/workflows/wf/offline", {"force": True}, "force", "none"),
        (f"/runs/{run_id}/rerun", {"task": "a", "downstrem": True}, "downstrem",
         "downstream, latest, preview, task"),
        (f"/runs/{run_id}/recover", {"previw": True}, "previw", "latest, preview"),
        (f"/runs/{run_id}/stop", {"force": True}, "force", "none"),
        ("/resources/x.sh", {"content": "echo x", "mesage": "first"}, "mesage",
         "content, content_base64, message"),
        ("/library/data_quality/use", {"workflow": "dq", "param": {}}, "param",
         "params, publish, schedule, workflow"),
        ("/library/columns_to_rows/copy", {"name": "mine.py", "as": "x"}, "as", "name"),
    ]

    for path, body, unknown, fields in refused:
        error = await api.fails(400, "POST", path, body)
        assert error["message"] == f"unknown field {unknown!r} (fields: {fields})", path

    assert (await api.ok("GET", "/runs"))["total"] == 1  # no run started, none again
    assert (await api.run(run_id))["tasks"][0]["attempt"] == 1
    assert await api.workflow_names() == ["unpublished", "wf"]  # none uses the library
    assert (await api.ok("GET", "/workflows/unpublished/versions"))["versions"] == []
    assert (await api.ok("GET", "/workflows/wf"))["state"] == "published"
    assert await api.user_resources() == []  # none added, none copied


@pytest.mark.parametrize(("params", "message"), [
    ({"a": [1]}, "run parameter 'a': must be a string, number or boolean, not [1]"),
    ({"a": None}, "run parameter 'a': must be a string, number or boolean, not null"),
    ({"a b": 1, "": 2}, "run parameter 'a b': a parameter name may use letters, digits and _ "
                        "and must not start with a digit; run parameter '': a parameter name "
                        "may use letters, digits and _ and must not start with a digit"),
    ({"top": 1, "TOP": 2}, "run parameters 'top' and 'TOP' both become the environment "
                           "variable BATCH_PARAM_TOP; give one of them"),
    ({"REGION": "us"}, "run parameter 'REGION' and the workflow parameter 'region' both "
                       "become the environment variable BATCH_PARAM_REGION; to override it, "
                       "name it 'region'"),
])
async def test_run_params_follow_the_rules_of_workflow_params(
        api: BatchAPI, params: dict[str, Any], message: str) -> None:
    await api.create_workflow(workflow_doc("wf", params={"region": "eu"}))
    await api.fails(400, "POST", "/workflows/wf/prerun", {"params": params})
    await api.publish("wf")

    for action, body in [("prerun", {}), ("runs", {}), ("backfill", {"start": DAY, "end": DAY})]:
        error = await api.fails(400, "POST", f"/workflows/wf/{action}",
                                {**body, "params": params})
        assert error["message"] == message, action
    assert (await api.ok("GET", "/runs"))["total"] == 0


async def test_a_logical_date_out_of_range_is_a_400_and_stores_nothing(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("wf"))
    error = await api.fails(400, "POST", "/workflows/wf/prerun", {"date": "0001-01-01"})
    assert error["message"].startswith("logical date 0001-01-01 is out of range")
    await api.publish("wf")

    await api.fails(400, "POST", "/workflows/wf/runs", {"date": "9999-12-31"})
    await api.fails(400, "POST", "/workflows/wf/backfill",
                    {"start": "9999-12-29", "end": "9999-12-31"})
    await api.fails(400, "POST", "/workflows/wf/runs", {"date": "20260302"})
    assert (await api.ok("GET", "/runs"))["total"] == 0


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/runs/abc"), ("POST", "/runs/abc/rerun"), ("GET", "/workflows/wf/versions/one"),
    ("GET", "/nothing/here"), ("DELETE", "/runs/1/tasks/a/nope"), ("PUT", "/"),
])
async def test_a_path_no_route_matches_is_a_json_404(api: BatchAPI, method: str,
                                                     path: str) -> None:
    error = await api.fails(404, method, path, {} if method in ("POST", "PUT") else None)

    assert error["reason"] == "not_found"
    assert error["message"].startswith(f"no such API route: {method} /")
    assert error["message"].endswith(f"/batch/api{path.rstrip('/')} (openapi.json lists the "
                                     "routes)")
