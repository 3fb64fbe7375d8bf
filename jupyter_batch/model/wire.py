"""Records as JSON, the way the REST API sends them — one definition for the server,
the in-process client and the CLI, so the three cannot drift apart."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from .changes import Change, LogChange, TaskChange, WorkflowChange
from .program import Param, Program

JSON = dict[str, Any]


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
    """A workflow and its draft (a ``WorkflowInfo``)."""
    return plain({"name": info.name, "state": info.state, "description": info.description,
                  "latest_version": info.latest_version, "draft_changed": info.draft_changed,
                  "updated_at": info.updated_at, "draft": info.draft})


def workflow_summary_json(info: Any, last: Any, next_run: datetime | None) -> JSON:
    """A workflow as lists show it: its draft, its newest run (a ``Run`` or None) and its
    next scheduled fire."""
    return {**workflow_json(info), "next_run_at": plain(next_run),
            "last_run": last and run_json(last)}


def run_json(run: Any) -> JSON:
    """A run, with its task runs when it was read with them."""
    data = {"id": run.id, "workflow": run.workflow, "workflow_version": run.workflow_version,
            "logical_date": run.logical_date, "trigger": run.trigger, "cycle": run.cycle,
            "state": run.state,
            "message": run.message, "params": run.params, "created_at": run.created_at,
            "started_at": run.started_at, "ended_at": run.ended_at}
    if run.tasks:
        data["tasks"] = [{"id": t.task_id, "state": t.state, "attempt": t.attempt,
                          "exit_code": t.exit_code, "message": t.message, "outputs": t.outputs,
                          "started_at": t.started_at, "ended_at": t.ended_at}
                         for t in run.tasks]
    return plain(data)


def param_json(param: Param) -> JSON:
    """A program parameter's schema (``choices`` only where a value is limited to them)."""
    data: JSON = {"name": param.name, "type": param.type, "required": param.required,
                  "default": param.default, "help": param.help}
    if param.choices:
        data["choices"] = list(param.choices)
    return data


def program_json(program: Program, version: int) -> JSON:
    """A library program: what it does, its resource's latest version, its parameters
    and an example set of them."""
    return {"name": program.name, "title": program.title, "description": program.description,
            "resource": program.resource, "version": version,
            "params": [param_json(p) for p in program.params],
            "example": dict(program.example)}


def program_detail_json(program: Program, versions: list[Any], source: str) -> JSON:
    """A program with every version of its resource and its latest script."""
    return {**program_json(program, versions[-1].version), "versions": plain(versions),
            "source": source}


def resource_json(name: str, versions: list[Any]) -> JSON:
    """A resource with its versions, oldest first."""
    return {"name": name, "versions": plain(versions)}


def event_json(change: Change | LogChange | WorkflowChange) -> JSON:
    """A change as the server's event stream sends it: a workflow's under the
    ``workflow_change`` schema (``kind: workflow``), the others under ``state_change``.
    A log's growth is sent as ``kind: log`` (state: running, with the log's size)."""
    if isinstance(change, WorkflowChange):
        return {"kind": "workflow", "workflow": change.workflow, "what": change.what,
                "version": change.version, "at": change.at.isoformat()}
    if isinstance(change, LogChange):
        return {"kind": "log", "run_id": change.run_id, "task_id": change.task_id,
                "attempt": change.attempt, "state": "running", "size": change.size,
                "at": change.at.isoformat(), "message": None, "workflow": change.workflow}
    data: JSON = {"kind": "run", "run_id": change.run_id, "state": change.state.value,
                  "at": change.at.isoformat(), "message": change.message,
                  "workflow": change.workflow}
    if isinstance(change, TaskChange):
        data.update(kind="task", task_id=change.task_id, attempt=change.attempt,
                    exit_code=change.exit_code)
    return data
