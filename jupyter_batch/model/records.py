"""What the store hands out: plain records, never database rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import BatchError, InvalidWorkflow
from .states import RunState, TaskState
from .workflow import Workflow, load_workflow_text


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


class LazyDefinition:
    """A run's ``definition`` (a descriptor): a Workflow, or the workflow file's JSON text
    as the store holds it, parsed on first read and kept.

    Reading a run back (``wait_run`` after every run, the run list, each poll of a
    monitor) parsed its whole pinned definition, though most readers want only states:
    for a 3,600-relation workflow 1.3 ms of a 3.7 ms read, and ~7,000 objects that lived
    long enough to be swept by the collector's oldest generation.

    A Run is still built and copied (``dataclasses.replace``) with ``definition=`` a
    Workflow, and ``run.definition`` is always a Workflow.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._key = f"_{name}"

    def __get__(self, run: Run | None, owner: type | None = None) -> Workflow:
        if run is None:
            raise AttributeError("no default")  # a required field of the dataclass
        value = run.__dict__[self._key]
        if isinstance(value, str):
            try:
                value = load_workflow_text(value)
            except InvalidWorkflow as exc:
                raise BatchError(f"run {run.id}: its stored definition cannot be read: "
                                 + "; ".join(str(p) for p in exc.problems)) from None
            run.__dict__[self._key] = value
        return value

    def __set__(self, run: Run, value: Workflow | str) -> None:
        # a frozen dataclass sets its fields with object.__setattr__, which calls this
        run.__dict__[self._key] = value


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
    #: the pinned workflow it runs (given as the stored JSON text, parsed on first read)
    definition: LazyDefinition = LazyDefinition()
    message: str | None = None
    tasks: list[TaskRun] = field(default_factory=list)
    #: the cycle a scheduled run is for: its fire time (``model.schedule.cycle_id``);
    #: None for any other run
    cycle: str | None = None

    def task(self, task_id: str) -> TaskRun:
        for task_run in self.tasks:
            if task_run.task_id == task_id:
                return task_run
        raise KeyError(task_id)
