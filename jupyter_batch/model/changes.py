"""State changes as the engine reports them and the store persists them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .states import RunState, TaskState


@dataclass(frozen=True)
class TaskChange:
    run_id: int
    task_id: str
    state: TaskState
    attempt: int
    at: datetime
    #: the attempt began (RUNNING) or ended (left RUNNING) with this change
    attempt_started: bool = False
    attempt_ended: bool = False
    exit_code: int | None = None
    message: str | None = None
    log_path: str | None = None
    outputs: dict[str, str] | None = None
    #: the run's workflow, for listeners that follow one workflow
    workflow: str | None = None


@dataclass(frozen=True)
class RunChange:
    run_id: int
    state: RunState
    at: datetime
    message: str | None = None
    workflow: str | None = None


@dataclass(frozen=True)
class LogChange:
    """A running attempt's log grew (told at most about once a second per attempt, so a
    follower reads the new part instead of polling). Not a state change: never stored."""

    run_id: int
    task_id: str
    attempt: int
    at: datetime
    size: int
    workflow: str | None = None


@dataclass(frozen=True)
class WorkflowChange:
    """A workflow was saved, published, taken offline or deleted: lists of workflows
    follow these instead of reading the store again and again. Not stored: the
    workflow's own record is what changed."""

    workflow: str
    what: str  # "saved" | "published" | "offline" | "deleted"
    at: datetime
    #: the version a publish made; None for the others
    version: int | None = None


Change = TaskChange | RunChange
