"""The widgets' data source over a real ``BatchService``: what the notebook client provides
in local mode, written here so the widget tests run on the real wiring (store, engine,
subprocesses) without a kernel or a server.

Reads wait for the service's state writer first: ``BatchSource`` requires a read to
reflect every change already delivered to subscribers, and ``BatchService`` writes states
behind (batched for ~20 ms) without waiting for that in its reads yet.

It records every ``read_log`` call, so a test can check that a followed log is read from
where the last read ended.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from jupyter_batch.errors import NotFound, Problem
from jupyter_batch.model.changes import Change
from jupyter_batch.model.records import ResourceInfo, ResourceVersion, Run, TaskAttempt
from jupyter_batch.model.task_spec import TaskTypeSpec
from jupyter_batch.model.workflow import Workflow
from jupyter_batch.service import BatchService, LogChunk


class ServiceSource:
    """``BatchSource`` over a service in this process."""

    def __init__(self, service: BatchService) -> None:
        self.service = service
        #: (run id, task, attempt, offset) of every log read, in order
        self.log_reads: list[tuple[int, str, int | None, int]] = []

    def layout(self, workflow: str, version: int | None = None) -> dict[str, Any]:
        return self.service.layout(workflow, version)

    def get_run(self, run_id: int) -> Run:
        return self.service.get_run(run_id)

    def task_attempts(self, run_id: int, task: str) -> list[TaskAttempt]:
        return self.service.task_attempts(run_id, task)

    def read_log(self, run_id: int, task: str, attempt: int | None = None,
                 offset: int = 0) -> LogChunk:
        self.log_reads.append((run_id, task, attempt, offset))
        return self.service.read_log(run_id, task, attempt, offset)

    def output_url(self, run_id: int, task: str) -> str | None:
        try:
            attempt, _ = self.service.notebook_output(run_id, task)
        except NotFound:
            return None
        return f"/batch/api/runs/{run_id}/tasks/{task}/output?attempt={attempt}"

    def list_runs(self, workflow: str, states: Sequence[str] = (), limit: int = 20,
                  offset: int = 0) -> list[Run]:
        return self.service.list_runs(workflow, states, limit, offset)[0]

    def list_resources(self) -> list[ResourceInfo]:
        return self.service.list_resources()

    def resource_versions(self, name: str) -> list[ResourceVersion]:
        return self.service.resource_versions(name)

    def task_types(self) -> Mapping[str, TaskTypeSpec]:
        return self.service.validation_context().task_types

    def subscribe(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        return self.service.subscribe(callback)

    def validate(self, document: Mapping[str, Any]) -> tuple[Workflow, list[Problem]]:
        return self.service.validate(dict(document))

    def save_workflow(self, document: Mapping[str, Any]) -> object:
        return self.service.save_workflow(dict(document))

    def prerun(self, workflow: str | Mapping[str, Any]) -> int:
        return self.service.prerun(workflow if isinstance(workflow, str) else dict(workflow))

    def publish(self, name: str) -> int:
        return self.service.publish(name).version.version

    def rerun(self, run_id: int, task: str, downstream: bool = False) -> list[str]:
        return self.service.rerun(run_id, task, downstream).tasks

    def stop_run(self, run_id: int) -> None:
        self.service.request_stop(run_id)


@pytest.fixture
def source(service: BatchService, caplog: pytest.LogCaptureFixture) -> Iterator[ServiceSource]:
    """The widgets' source over the ``service`` fixture (a state folder in ``tmp_path``,
    ``$JUPYTER_BATCH_DIR`` unset). A widget that failed to apply a change logs it on its
    feed thread, where no assertion sees it: such a log fails the test here."""
    yield ServiceSource(service)
    failures = [r.getMessage() for r in caplog.records
                if r.name.startswith("jupyter_batch.widgets") and r.levelno >= logging.ERROR]
    assert not failures, failures


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A folder for the files a test's tasks wait on or write."""
    path = tmp_path / "scratch"
    path.mkdir()
    return path
