"""What the store hands out: plain records, never database rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .states import RunState, TaskState
from .workflow import Workflow


@dataclass(frozen=True)
class ResourceInfo:
    name: str
    format: str
    latest_version: int
    updated_at: datetime
    namespace: str = "user"


@dataclass(frozen=True)
class ResourceVersion:
    name: str
    version: int
    sha256: str
    size: int
    message: str
    author: str
    created_at: datetime

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class AddedVersion:
    """The result of adding content: the version that holds it, and whether it is new."""

    version: ResourceVersion
    created: bool


@dataclass(frozen=True)
class WorkflowInfo:
    name: str
    state: str  # draft | published | offline
    description: str | None
    latest_version: int | None
    updated_at: datetime
    #: the draft differs from the latest published version
    draft_changed: bool
    draft: Workflow


@dataclass(frozen=True)
class WorkflowVersion:
    name: str
    version: int
    definition: Workflow
    published_at: datetime
    author: str
    message: str


@dataclass(frozen=True)
class PublishResult:
    version: WorkflowVersion
    created: bool


@dataclass(frozen=True)
class TaskAttempt:
    attempt: int
    state: TaskState
    started_at: datetime | None
    ended_at: datetime | None
    exit_code: int | None
    log_path: str | None
    message: str | None


@dataclass(frozen=True)
class TaskRun:
    task_id: str
    state: TaskState
    attempt: int
    started_at: datetime | None
    ended_at: datetime | None
    exit_code: int | None
    log_path: str | None
    message: str | None
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Run:
    id: int
    workflow: str
    workflow_version: int | None
    logical_date: str
    trigger: str
    state: RunState
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    params: dict[str, Any]
    definition: Workflow
    message: str | None = None
    tasks: list[TaskRun] = field(default_factory=list)

    def task(self, task_id: str) -> TaskRun:
        for task_run in self.tasks:
            if task_run.task_id == task_id:
                return task_run
        raise KeyError(task_id)
