"""Run, task and workflow changes reach Jupyter's own event system (jupyter-events),
under the schemas the extension registers, so a client follows runs and workflows
without polling."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import jsonschema

from jupyter_batch.server.events import (
    SCHEMA_ID,
    SCHEMA_PATH,
    WORKFLOW_SCHEMA_ID,
    WORKFLOW_SCHEMA_PATH,
)
from tests.conftest import JUPYTER
from tests.helpers import shell, workflow_doc
from tests.server.api import PATIENCE, BatchAPI, StateEvents

DAY = "2026-03-02"


def compact(events: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """The state changes (a slow machine may add "log grew" events: not states)."""
    return [("run", e["state"]) if e["kind"] == "run" else (e["task_id"], e["state"])
            for e in events if e["kind"] != "log"]


async def test_a_prerun_emits_its_changes_in_order(api: BatchAPI, jp_serverapp: Any) -> None:
    assert SCHEMA_ID in jp_serverapp.event_logger.schemas
    await api.create_workflow(workflow_doc("wf"))  # a -> b
    run_id = await api.prerun("wf", DAY)
    await api.wait_run(run_id)
    events = api.events.of_run(run_id)

    assert compact(events) == [
        ("run", "running"),
        ("a", "queued"), ("a", "running"), ("a", "success"),
        ("b", "queued"), ("b", "running"), ("b", "success"),
        ("run", "success")]
    tasks = [e for e in events if e["kind"] == "task"]
    assert [(e["attempt"], e["exit_code"]) for e in tasks if e["state"] != "queued"] == [
        (1, None), (1, 0), (1, None), (1, 0)]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    assert {e["workflow"] for e in events} == {"wf"}  # a listener can follow one workflow

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    for event in events:
        jsonschema.validate(event, schema)
        jp_serverapp.event_logger.schemas.validate_event(SCHEMA_ID, event)


async def test_a_failure_is_emitted_with_its_exit_code(api: BatchAPI) -> None:
    await api.create_workflow(workflow_doc("wf", tasks=[shell("a", "exit 3"), shell("b")],
                                           relations=[("a", "b")]))
    run_id = await api.prerun("wf", DAY)
    assert (await api.wait_run(run_id))["state"] == "failed"
    events = api.events.of_run(run_id)
    assert compact(events) == [
        ("run", "running"), ("a", "queued"), ("a", "running"), ("a", "failed"),
        ("b", "upstream_failed"), ("run", "failed")]
    failed = events[3]
    assert (failed["attempt"], failed["exit_code"]) == (1, 3)
    assert events[4]["message"]


async def test_a_websocket_subscriber_receives_the_changes(api: BatchAPI,
                                                           jp_ws_fetch: Any) -> None:
    """What the side panel does: subscribe to /api/events/subscribe and follow a run."""
    ws = await jp_ws_fetch("api", "events", "subscribe")
    try:
        await api.create_workflow(workflow_doc("wf"))
        run_id = await api.prerun("wf", DAY)
        received = []
        while not received or received[-1] != ("run", "success"):
            raw = await asyncio.wait_for(ws.read_message(), PATIENCE)
            assert raw is not None, f"the socket closed after {received}"
            message = json.loads(raw)
            if (message.get("schema_id") == SCHEMA_ID and message["run_id"] == run_id
                    and message["kind"] != "log"):
                received.append(("run", message["state"]) if message["kind"] == "run"
                                else (message["task_id"], message["state"]))
        assert received == [
            ("run", "running"),
            ("a", "queued"), ("a", "running"), ("a", "success"),
            ("b", "queued"), ("b", "running"), ("b", "success"),
            ("run", "success")]
    finally:
        ws.close()


async def test_a_running_task_emits_log_events_that_fit_the_schema(
        api: BatchAPI, jp_serverapp: Any, tmp_path: Path) -> None:
    go = tmp_path / "go"
    await api.create_workflow(workflow_doc("chatty", tasks=[shell(
        "talk", f"echo hello; while [ ! -e {go} ]; do sleep 0.05; done; echo bye")]))
    run_id = await api.prerun("chatty", DAY)
    deadline = asyncio.get_running_loop().time() + PATIENCE
    while not [e for e in api.events.of_run(run_id) if e["kind"] == "log"]:
        assert asyncio.get_running_loop().time() < deadline, "no log event"
        await asyncio.sleep(0.1)
    go.touch()
    await api.wait_run(run_id)

    logs = [e for e in api.events.of_run(run_id) if e["kind"] == "log"]
    assert {(e["task_id"], e["attempt"], e["workflow"]) for e in logs} == {("talk", 1, "chatty")}
    for event in logs:
        jp_serverapp.event_logger.schemas.validate_event(SCHEMA_ID, event)


def workflow_steps(events: list[dict[str, Any]]) -> list[tuple[str, str, int | None]]:
    return [(e["workflow"], e["what"], e["version"]) for e in events]


async def test_every_change_of_a_workflow_is_emitted(
        api: BatchAPI, workflow_events: StateEvents, jp_serverapp: Any) -> None:
    """A list of workflows follows them from these events: a save (a new workflow or a
    new draft), a publish with the version it made, offline, delete."""
    await api.create_workflow(workflow_doc("wf", schedule={"cron": "0 2 * * *"}))
    await api.ok("PUT", "/workflows/wf", workflow_doc("wf", description="second draft"))
    await api.publish("wf")
    await api.ok("POST", "/workflows/wf/offline", {})
    await api.request("DELETE", "/workflows/wf")
    await api.fails(404, "DELETE", "/workflows/wf")  # nothing changed: nothing emitted

    await workflow_events.wait_for(lambda e: e["what"] == "deleted")
    assert workflow_steps(workflow_events.items) == [
        ("wf", "saved", None), ("wf", "saved", None), ("wf", "published", 1),
        ("wf", "offline", None), ("wf", "deleted", None)]
    schema = json.loads(WORKFLOW_SCHEMA_PATH.read_text(encoding="utf-8"))
    for event in workflow_events.items:
        jsonschema.validate(event, schema)
        jp_serverapp.event_logger.schemas.validate_event(WORKFLOW_SCHEMA_ID, event)


async def test_a_refused_save_emits_nothing(api: BatchAPI,
                                            workflow_events: StateEvents) -> None:
    await api.fails(400, "POST", "/workflows", workflow_doc("bad", relations=[("a", "x")]))
    await api.create_workflow(workflow_doc("good"))
    await workflow_events.wait_for(lambda e: e["workflow"] == "good")
    assert workflow_steps(workflow_events.items) == [("good", "saved", None)]


async def test_workflows_another_process_saves_are_emitted_too(
        workflow_events: StateEvents, batch_app: Any, batch_dir: Path, tmp_path: Path) -> None:
    """`jupyter batch workflow save` and `publish` in a terminal on the server's data
    folder: the server emits them, so the side panel's list shows them live."""
    path = tmp_path / "terminal.workflow.json"
    path.write_text(json.dumps(workflow_doc("terminal")))
    env = {**os.environ, "JUPYTER_BATCH_DIR": str(batch_dir)}
    for args in (["save", str(path)], ["publish", "terminal"]):
        proc = await asyncio.create_subprocess_exec(
            str(JUPYTER), "batch", "workflow", *args, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _out, err = await asyncio.wait_for(proc.communicate(), timeout=PATIENCE)
        assert proc.returncode == 0, err.decode()

    await workflow_events.wait_for(lambda e: e["what"] == "published")
    assert workflow_steps(workflow_events.items) == [
        ("terminal", "saved", None), ("terminal", "published", 1)]
