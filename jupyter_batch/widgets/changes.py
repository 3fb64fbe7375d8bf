"""A record as it is after a change: how a widget keeps its copy of a run current from
the change events alone, without fetching the run again for every change.

These follow the rules the store applies when it writes the same change
(``store/runs.py``: ``_task_values``, ``_run_values``, and a retried attempt stored as
failed); they are
repeated here because widgets may not import the store. One pure function in ``model/``
used by both would keep them from drifting apart.
"""

from __future__ import annotations

from dataclasses import replace

from ..model.changes import RunChange, TaskChange
from ..model.records import Run, TaskAttempt, TaskRun
from ..model.states import RunState, TaskState


def began(change: TaskChange) -> bool:
    """Whether ``change`` began an attempt. A task is RUNNING exactly while an attempt
    runs (``TaskChange``), so the state says it too: a change that crossed a transport
    without the ``attempt_started`` flag (the REST events) still counts."""
    return change.attempt_started or change.state == TaskState.RUNNING


def ended(change: TaskChange, was_running: bool) -> bool:
    """Whether ``change`` ended an attempt: its flag, or it left RUNNING."""
    return change.attempt_ended or (was_running and change.state != TaskState.RUNNING)


def task_run_after(task_run: TaskRun | None, change: TaskChange) -> TaskRun:
    """``task_run`` (None: not seen yet) after ``change``."""
    base = task_run or TaskRun(task_id=change.task_id, state=change.state,
                               attempt=change.attempt, started_at=None, ended_at=None,
                               exit_code=None, log_path=None, message=None)
    started, end, exit_code = base.started_at, base.ended_at, base.exit_code
    message, log_path = base.message, base.log_path
    if change.state == TaskState.PENDING:  # a rerun resets the task for its next attempt
        started = end = exit_code = message = None
    closed = ended(change, base.state == TaskState.RUNNING)
    if began(change):
        started, end, exit_code, message = change.at, None, None, None
        log_path = change.log_path
    elif closed or change.state.finished:
        end = change.at
    if closed:
        exit_code = change.exit_code
    if change.message is not None:
        message = change.message
    return replace(base, state=change.state, attempt=change.attempt, started_at=started,
                   ended_at=end, exit_code=exit_code, message=message, log_path=log_path,
                   outputs=base.outputs if change.outputs is None else change.outputs)


def attempts_after(attempts: list[TaskAttempt], change: TaskChange) -> list[TaskAttempt]:
    """A task's attempts after ``change``: one added when an attempt begins, closed when
    it ends (an attempt that is retried ended ``failed``); the same list otherwise."""
    if began(change):
        return [*[a for a in attempts if a.attempt != change.attempt],
                TaskAttempt(attempt=change.attempt, state=change.state, started_at=change.at,
                            ended_at=None, exit_code=None, log_path=change.log_path,
                            message=None)]
    running = any(a.attempt == change.attempt and a.ended_at is None for a in attempts)
    if not ended(change, running):
        return attempts
    state = TaskState.FAILED if change.state == TaskState.RETRYING else change.state
    return [replace(a, state=state, ended_at=change.at, exit_code=change.exit_code,
                    message=change.message) if a.attempt == change.attempt else a
            for a in attempts]


def run_after(run: Run, change: RunChange) -> Run:
    """``run`` after ``change``: its state and message, and the time it started (first
    RUNNING) or ended."""
    started, ended = run.started_at, run.ended_at
    if change.state == RunState.RUNNING:
        started, ended = started or change.at, None
    elif change.state.finished:
        ended = change.at
    return replace(run, state=change.state, message=change.message, started_at=started,
                   ended_at=ended)
