"""The local transport: a ``BatchService`` in this process, over a data folder.

Used when no Jupyter server is there (or ``Batch(local=True)``). Runs are driven by this
process, on threads. Answers are rendered in the REST API's JSON shapes (as
``server/handlers.py`` writes them), so the objects above cannot tell the transports
apart — plus, in ``get_run``, the run's pinned ``definition``, which the REST API does
not send yet.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from ..model.changes import Change, TaskChange
from .transport import JSON, EventListener

if TYPE_CHECKING:
    from ..service import BatchService


def plain(value: Any) -> Any:
    """Records (dataclasses), enums and times as JSON values."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    return value


def workflow_json(info: Any) -> JSON:
    return plain({"name": info.name, "state": info.state, "description": info.description,
                  "latest_version": info.latest_version, "draft_changed": info.draft_changed,
                  "updated_at": info.updated_at, "draft": info.draft})


def run_json(run: Any) -> JSON:
    data = {"id": run.id, "workflow": run.workflow, "workflow_version": run.workflow_version,
            "logical_date": run.logical_date, "trigger": run.trigger, "state": run.state,
            "message": run.message, "params": run.params, "created_at": run.created_at,
            "started_at": run.started_at, "ended_at": run.ended_at}
    if run.tasks:
        data["tasks"] = [{"id": t.task_id, "state": t.state, "attempt": t.attempt,
                          "exit_code": t.exit_code, "message": t.message, "outputs": t.outputs,
                          "started_at": t.started_at, "ended_at": t.ended_at}
                         for t in run.tasks]
    return plain(data)


def event_json(change: Change) -> JSON:
    """A state change as the server's event stream sends it."""
    data: JSON = {"kind": "run", "run_id": change.run_id, "state": change.state.value,
                  "at": change.at.isoformat(), "message": change.message}
    if isinstance(change, TaskChange):
        data.update(kind="task", task_id=change.task_id, attempt=change.attempt,
                    exit_code=change.exit_code)
    return data


class LocalTransport:
    local = True

    def __init__(self, service: BatchService) -> None:
        self.service = service
        self.where = str(service.data_dir)

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str] | None) -> LocalTransport:
        """A service over ``data_dir`` (``$JUPYTER_BATCH_DIR`` wins, as everywhere)."""
        from ..service import BatchService

        return cls(BatchService(data_dir=data_dir))

    # --- workflows ------------------------------------------------------------------

    def list_workflows(self) -> list[JSON]:
        return [workflow_json(i) for i in self.service.list_workflows()]

    def get_workflow(self, name: str) -> JSON:
        return workflow_json(self.service.get_workflow(name))

    def save_workflow(self, document: JSON) -> JSON:
        return workflow_json(self.service.save_workflow(document))

    def validate(self, document: JSON) -> JSON:
        wf, problems = self.service.validate(document)
        return {"valid": not problems, "name": wf.name, "problems": plain(problems)}

    def delete_workflow(self, name: str) -> None:
        self.service.delete_workflow(name)

    def workflow_versions(self, name: str) -> list[JSON]:
        return [plain({"version": v.version, "author": v.author, "message": v.message,
                       "published_at": v.published_at})
                for v in self.service.workflow_versions(name)]

    def workflow_version(self, name: str, version: int) -> JSON:
        v = self.service.workflow_version(name, version)
        return plain({"name": name, "version": v.version, "author": v.author,
                      "message": v.message, "published_at": v.published_at,
                      "definition": v.definition})

    def layout(self, name: str, version: int | None) -> JSON:
        return plain(self.service.layout(name, version))

    def prerun(self, name: str, day: str | None, params: JSON | None) -> int:
        return self.service.prerun(name, day, params)

    def trigger(self, name: str, day: str | None, params: JSON | None) -> int:
        return self.service.trigger(name, day, params)

    def backfill(self, name: str, start: str, end: str, params: JSON | None) -> list[int]:
        return self.service.backfill(name, start, end, params)

    def publish(self, name: str, message: str) -> JSON:
        result = self.service.publish(name, message)
        return {"name": name, "version": result.version.version, "created": result.created,
                "definition": result.version.definition.to_dict()}

    def offline(self, name: str) -> JSON:
        return workflow_json(self.service.offline(name))

    # --- runs -----------------------------------------------------------------------

    def list_runs(self, workflow: str | None, states: list[str], limit: int,
                  offset: int) -> JSON:
        runs, total = self.service.list_runs(workflow, states, limit, offset)
        return {"total": total, "runs": [run_json(r) for r in runs]}

    def get_run(self, run_id: int) -> JSON:
        run = self.service.get_run(run_id)
        return {**run_json(run), "definition": run.definition.to_dict()}

    def stop_run(self, run_id: int) -> None:
        self.service.request_stop(run_id)

    def rerun(self, run_id: int, task: str, downstream: bool, preview: bool,
              latest: bool) -> JSON:
        return plain(self.service.rerun(run_id, task, downstream, preview, latest))

    def recover(self, run_id: int, preview: bool, latest: bool) -> JSON:
        return plain(self.service.recover(run_id, preview, latest))

    def attempts(self, run_id: int, task: str) -> list[JSON]:
        return plain(self.service.task_attempts(run_id, task))

    def read_log(self, run_id: int, task: str, attempt: int | None, offset: int) -> JSON:
        return plain(self.service.read_log(run_id, task, attempt, offset))

    def notebook_output(self, run_id: int, task: str, attempt: int | None) -> str:
        return self.service.notebook_output(run_id, task, attempt)[1]

    def output_url(self, run_id: int, task: str) -> str | None:
        return None

    # --- resources ------------------------------------------------------------------

    def add_resource(self, name: str, content: bytes, message: str) -> JSON:
        return plain(self.service.add_resource(name, content, message))

    def list_resources(self) -> list[JSON]:
        return plain(self.service.list_resources())

    def warehouse_tables(self) -> list[JSON]:
        return plain(self.service.warehouse_tables())

    def warehouse_preview(self, table: str, limit: int) -> JSON:
        return plain(self.service.warehouse_preview(table, limit))

    def resource_versions(self, name: str) -> list[JSON]:
        return plain(self.service.resource_versions(name))

    def read_resource(self, name: str, version: int | None) -> bytes:
        return self.service.read_resource(name if version is None else f"{name}@{version}")[1]

    def diff_resource(self, name: str, old: int, new: int) -> str:
        return self.service.diff_resource(name, old, new)

    # --- events ---------------------------------------------------------------------

    def subscribe(self, listener: EventListener) -> Callable[[], None]:
        return self.service.subscribe(lambda change: listener(event_json(change)))

    def close(self) -> None:
        """Stop the runs this process drives (marked cancelled) and release the store."""
        self.service.close()
