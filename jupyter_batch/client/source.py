"""``ClientSource``: the widgets' data source (``widgets/source.py``'s ``BatchSource``)
over either transport, so a widget shows the same thing on a server or locally.

The widgets read the model's records; this turns the API's JSON into them. Two things
the REST API does not send yet are filled in here (see each method): a run's pinned
definition, and the task types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ..errors import Problem
from ..model.changes import Change, LogChange, RunChange, TaskChange
from ..model.records import ResourceInfo, ResourceVersion, Run, TaskAttempt, TaskRun
from ..model.states import RunState, TaskState
from ..model.task_spec import TaskTypeSpec
from ..model.workflow import Workflow, load_workflow, parse_workflow
from .records import JSON, LogChunk, RunStatus, from_json
from .transport import Transport


def change_of(event: JSON) -> Change | LogChange:
    """A state-change event as the model's change record."""
    at = datetime.fromisoformat(event["at"])
    if event["kind"] == "log":
        return LogChange(run_id=event["run_id"], task_id=event["task_id"],
                         attempt=event.get("attempt") or 0, at=at, size=event.get("size", 0))
    if event["kind"] == "task":
        return TaskChange(run_id=event["run_id"], task_id=event["task_id"],
                          state=TaskState(event["state"]), attempt=event.get("attempt") or 0,
                          at=at, exit_code=event.get("exit_code"), message=event.get("message"))
    return RunChange(run_id=event["run_id"], state=RunState(event["state"]), at=at,
                     message=event.get("message"))


def run_record(data: JSON, definition: Workflow) -> Run:
    """The model's run record from the API's JSON (log paths are not sent: None)."""
    s = from_json(RunStatus, data)
    return Run(id=s.id, workflow=s.workflow, workflow_version=s.workflow_version,
               logical_date=s.logical_date, trigger=s.trigger, state=s.state,
               created_at=s.created_at, started_at=s.started_at, ended_at=s.ended_at,
               params=s.params, definition=definition, message=s.message, cycle=s.cycle,
               tasks=[TaskRun(task_id=t.id, state=t.state, attempt=t.attempt,
                              started_at=t.started_at, ended_at=t.ended_at,
                              exit_code=t.exit_code, log_path=None, message=t.message,
                              outputs=t.outputs) for t in s.tasks])


class ClientSource:
    """Everything the widgets read and do, through one transport."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    # --- reading ---------------------------------------------------------------------

    def layout(self, workflow: str, version: int | None = None) -> dict[str, Any]:
        return self._transport.layout(workflow, version)

    def _definition(self, data: JSON) -> Workflow:
        """The definition the run runs. The local service sends it; the REST API does
        not (yet): then a published version's, or for a pre-run the current draft's
        (which may have changed since)."""
        if "definition" in data:
            return load_workflow(data["definition"])
        name, version = data["workflow"], data.get("workflow_version")
        if version is not None:
            return load_workflow(self._transport.workflow_version(name, version)["definition"])
        return load_workflow(self._transport.get_workflow(name)["draft"])

    def get_run(self, run_id: int) -> Run:
        data = self._transport.get_run(run_id)
        return run_record(data, self._definition(data))

    def task_attempts(self, run_id: int, task: str) -> list[TaskAttempt]:
        return [from_json(TaskAttempt, a) for a in self._transport.attempts(run_id, task)]

    def read_log(self, run_id: int, task: str, attempt: int | None = None,
                 offset: int = 0) -> LogChunk:
        return from_json(LogChunk, self._transport.read_log(run_id, task, attempt, offset))

    def output_url(self, run_id: int, task: str) -> str | None:
        """The server's page of a notebook task's executed notebook (HTML), for the
        browser showing this notebook; None before the task ran, or locally (no server
        to open it from)."""
        url = self._transport.output_url(run_id, task)
        if url is None:
            return None
        run = self.get_run(run_id)
        ran = {t.task_id for t in run.tasks if t.attempt > 0}
        notebooks = {t.id for t in run.definition.tasks if t.type == "notebook"}
        return url if task in ran & notebooks else None

    def list_runs(self, workflow: str, states: Sequence[str] = (), limit: int = 20,
                  offset: int = 0) -> list[Run]:
        """Runs of ``workflow``, newest first, without their definitions (an empty
        workflow of that name stands in: a list needs none)."""
        reply = self._transport.list_runs(workflow, list(states), limit, offset)
        return [run_record(r, Workflow(name=r["workflow"])) for r in reply["runs"]]

    def list_resources(self) -> list[ResourceInfo]:
        return [from_json(ResourceInfo, r) for r in self._transport.list_resources()]

    def resource_versions(self, name: str) -> list[ResourceVersion]:
        return [from_json(ResourceVersion, v) for v in self._transport.resource_versions(name)]

    def task_types(self) -> Mapping[str, TaskTypeSpec]:
        """The task types installed here (the REST API does not list the server's; a
        notebook's kernel normally runs in the server's environment)."""
        from ..tasks import registry

        return registry.specs()

    # --- live ------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        return self._transport.subscribe(lambda event: callback(change_of(event)))

    # --- acting ----------------------------------------------------------------------

    def validate(self, document: Mapping[str, Any]) -> tuple[Workflow, list[Problem]]:
        wf, _ = parse_workflow(dict(document))
        reply = self._transport.validate(dict(document))
        return wf, [Problem(p["where"], p["message"]) for p in reply["problems"]]

    def save_workflow(self, document: Mapping[str, Any]) -> JSON:
        return self._transport.save_workflow(dict(document))

    def prerun(self, workflow: str | Mapping[str, Any]) -> int:
        """Pre-run a saved workflow's draft — or a document, which is saved as the draft
        first (the REST API pre-runs saved drafts only)."""
        if not isinstance(workflow, str):
            workflow = self._transport.save_workflow(dict(workflow))["name"]
        return self._transport.prerun(workflow, None, None)

    def publish(self, name: str) -> int:
        return self._transport.publish(name, "")["version"]

    def rerun(self, run_id: int, task: str, downstream: bool = False) -> list[str]:
        return list(self._transport.rerun(run_id, task, downstream, False, False)["tasks"])

    def stop_run(self, run_id: int) -> None:
        self._transport.stop_run(run_id)

