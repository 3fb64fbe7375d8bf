"""Run and task-run states, and the transitions between them.

One table says which state may follow which; the store's single state-changing
function checks it, so an impossible transition is a bug that raises, not a silent
overwrite.
"""

from __future__ import annotations

from enum import Enum


class RunState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    CANCELLED = "cancelled"
    #: the process driving the run died with it in flight; recoverable
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        return self in RUN_FINISHED


RUN_FINISHED = frozenset({RunState.SUCCESS, RunState.FAILED, RunState.CANCELLED,
                          RunState.INTERRUPTED})


class TaskState(str, Enum):
    PENDING = "pending"
    WAITING = "waiting"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    RETRYING = "retrying"
    SKIPPED = "skipped"
    UPSTREAM_FAILED = "upstream_failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in TASK_FINISHED


TASK_FINISHED = frozenset({TaskState.SUCCESS, TaskState.FAILED, TaskState.SKIPPED,
                           TaskState.UPSTREAM_FAILED, TaskState.CANCELLED})

_T = TaskState
#: Which task state may follow which. A finished task goes back to PENDING only
#: through a rerun (a new attempt in the same run).
TASK_TRANSITIONS: dict[TaskState, frozenset[TaskState]] = {
    _T.PENDING: frozenset({_T.WAITING, _T.QUEUED, _T.SKIPPED, _T.UPSTREAM_FAILED, _T.CANCELLED}),
    _T.WAITING: frozenset({_T.QUEUED, _T.SUCCESS, _T.FAILED, _T.UPSTREAM_FAILED, _T.CANCELLED}),
    _T.QUEUED: frozenset({_T.RUNNING, _T.CANCELLED, _T.FAILED}),
    _T.RUNNING: frozenset({_T.SUCCESS, _T.FAILED, _T.RETRYING, _T.CANCELLED}),
    _T.RETRYING: frozenset({_T.QUEUED, _T.CANCELLED, _T.FAILED}),
    _T.SUCCESS: frozenset({_T.PENDING}),
    _T.FAILED: frozenset({_T.PENDING}),
    _T.SKIPPED: frozenset({_T.PENDING}),
    _T.UPSTREAM_FAILED: frozenset({_T.PENDING}),
    _T.CANCELLED: frozenset({_T.PENDING}),
}

_R = RunState
RUN_TRANSITIONS: dict[RunState, frozenset[RunState]] = {
    _R.QUEUED: frozenset({_R.RUNNING, _R.CANCELLED, _R.INTERRUPTED}),
    _R.RUNNING: frozenset({_R.SUCCESS, _R.FAILED, _R.CANCELLED, _R.INTERRUPTED}),
    # a rerun or a recovery runs a finished run again
    _R.SUCCESS: frozenset({_R.RUNNING}),
    _R.FAILED: frozenset({_R.RUNNING}),
    _R.CANCELLED: frozenset({_R.RUNNING}),
    _R.INTERRUPTED: frozenset({_R.RUNNING}),
}


def can_move(current: TaskState | RunState, new: TaskState | RunState) -> bool:
    """Whether ``new`` may follow ``current`` (staying in the same state is not a move)."""
    table = TASK_TRANSITIONS if isinstance(current, TaskState) else RUN_TRANSITIONS
    return new in table[current]  # type: ignore[index]
