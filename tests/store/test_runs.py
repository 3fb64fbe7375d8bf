"""Runs as the store keeps them: created with a pending task run per node, read back with
their task runs and their pinned definition."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from jupyter_batch.errors import BatchError
from jupyter_batch.model.changes import RunChange, TaskChange
from jupyter_batch.model.records import TaskRun
from jupyter_batch.model.states import RunState, TaskState
from jupyter_batch.model.workflow import load_workflow
from jupyter_batch.store import Store
from tests.helpers import design_example

Sql = Callable[..., list[tuple[Any, ...]]]
DAY = "2026-11-20"


def create(store: Store, doc: dict[str, Any]) -> int:
    return store.runs.create(workflow=load_workflow(doc), version=None, logical_date=DAY,
                             trigger="prerun", params={"region": "us"}, owner="here:1")


def test_a_run_reads_back_with_the_definition_it_was_created_with(store: Store) -> None:
    doc = design_example()
    doc["tasks"][0]["shell"] = "bash"  # a field of the task's type
    run_id = create(store, doc)

    run = store.runs.get(run_id)

    assert (run.workflow, run.trigger, run.params, run.state) == (
        "daily_sales", "prerun", {"region": "us"}, RunState.QUEUED)
    assert run.definition == load_workflow(doc)
    assert run.definition.to_dict() == doc
    assert [(t.task_id, t.state, t.attempt, t.outputs) for t in run.tasks] == [
        (node, TaskState.PENDING, 0, {}) for node in ("masterdata", "extract", "clean",
                                                      "report")]
    [listed], total = store.runs.list("daily_sales")
    assert total == 1
    assert listed.definition == run.definition
    assert store.runs.latest_per_workflow()["daily_sales"].definition == run.definition


def test_task_runs_read_back_as_they_were_written(store: Store) -> None:
    run_id = create(store, design_example())
    start = datetime(2026, 11, 20, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    end = start + timedelta(seconds=90)
    store.runs.apply([
        RunChange(run_id, RunState.RUNNING, start),
        TaskChange(run_id, "extract", TaskState.RUNNING, 1, start, attempt_started=True,
                   log_path="/logs/extract.1.log"),
        TaskChange(run_id, "extract", TaskState.FAILED, 1, end, attempt_ended=True,
                   exit_code=3, message="exit status 3", outputs={"rows": "12"}),
    ])

    run = store.runs.get(run_id)

    assert run.task("extract") == TaskRun(
        task_id="extract", state=TaskState.FAILED, attempt=1, started_at=start,
        ended_at=end, exit_code=3, log_path="/logs/extract.1.log", message="exit status 3",
        outputs={"rows": "12"})
    assert run.task("extract").started_at.tzinfo == timezone.utc
    assert run.started_at == start  # the same instant, whatever zone it was given in
    assert run.task("clean") == TaskRun(
        task_id="clean", state=TaskState.PENDING, attempt=0, started_at=None, ended_at=None,
        exit_code=None, log_path=None, message=None, outputs={})


def test_a_stored_definition_that_cannot_be_read_is_reported_when_it_is_asked_for(
        store: Store, sql: Sql) -> None:
    run_id = create(store, design_example())
    sql("UPDATE runs SET definition = :text WHERE id = :id",
        text='{"name": "daily_sales", "tasks": [{"id": "a", "kind": "shell"}]}', id=run_id)

    run = store.runs.get(run_id)

    assert (run.state, len(run.tasks)) == (RunState.QUEUED, 4), "states stay readable"
    assert store.runs.list()[1] == 1
    with pytest.raises(BatchError, match=rf"run {run_id}: its stored definition cannot be "
                                         r"read: tasks\[0\]\.type: is required"):
        _ = run.definition
