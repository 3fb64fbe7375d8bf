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
from typing import TYPE_CHECKING

from ..model.wire import (
    event_json,
    plain,
    program_detail_json,
    program_json,
    resource_json,
    run_json,
    workflow_json,
    workflow_summary_json,
)
from .transport import JSON, EventListener

if TYPE_CHECKING:
    from ..service import BatchService


class LocalTransport:
    local = True

    def __init__(self, service: BatchService) -> None:
        self.service = service
        self.where = str(service.data_dir)

    def data_dir(self) -> str:
        return self.where

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str] | None) -> LocalTransport:
        """A service over ``data_dir`` (``$JUPYTER_BATCH_DIR`` wins, as everywhere)."""
        from ..service import BatchService

        return cls(BatchService(data_dir=data_dir))

    # --- workflows ------------------------------------------------------------------

    def list_workflows(self) -> list[JSON]:
        return [workflow_json(i) for i in self.service.list_workflows()]

    def get_workflow(self, name: str) -> JSON:
        return workflow_summary_json(*self.service.workflow_summary(name))

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

    def resource_versions(self, name: str) -> list[JSON]:
        return plain(self.service.resource_versions(name))

    def read_resource(self, name: str, version: int | None) -> bytes:
        return self.service.read_resource(name if version is None else f"{name}@{version}")[1]

    def diff_resource(self, name: str, old: int, new: int) -> str:
        return self.service.diff_resource(name, old, new)

    # --- the library ----------------------------------------------------------------

    def library_programs(self) -> list[JSON]:
        return [program_json(p, v) for p, v in self.service.library_programs()]

    def library_program(self, name: str) -> JSON:
        return program_detail_json(*self.service.library_program(name))

    def use_library_program(self, name: str, body: JSON) -> JSON:
        return workflow_json(self.service.use_library_program(
            name, body["workflow"], body.get("params"), body.get("schedule"),
            body.get("publish", False)))

    def copy_library_program(self, name: str, new_name: str) -> JSON:
        added = self.service.copy_library_program(name, new_name)
        return resource_json(new_name, [added.version])

    # --- warehouse ------------------------------------------------------------------

    def warehouse_tables(self) -> list[JSON]:
        return plain(self.service.warehouse_tables())

    def warehouse_preview(self, table: str, limit: int) -> JSON:
        return plain(self.service.warehouse_preview(table, limit))

    # --- events ---------------------------------------------------------------------

    def subscribe(self, listener: EventListener) -> Callable[[], None]:
        return self.service.subscribe(lambda change: listener(event_json(change)))

    def close(self) -> None:
        """Stop the runs this process drives (marked cancelled) and release the store."""
        self.service.close()
