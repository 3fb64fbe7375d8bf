"""``Run``: one run of a workflow, as the notebook sees it — wait for it, read its logs
and outputs, rerun what failed.

Waiting never spins: it sleeps on the transport's state-change events and re-reads the
run (one small request) when one arrives, with a backoff poll as the safety net for a
run driven elsewhere or events that cannot be had.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from ..errors import BatchError, NotFound
from ..model.records import TaskAttempt
from ..model.states import RunState, TaskState
from .display import Displayable
from .records import JSON, LogChunk, RunStatus, TaskStatus, from_json
from .transport import Transport

#: the first pause (doubling from there), and the longest between polls: with events the
#: poll is only a safety net; without, it is what notices the end
FIRST_PAUSE = 0.05
LONGEST_PAUSE = {True: 5.0, False: 1.0}
#: the longest pause between reads of a growing log
LOG_PAUSE = 1.0
RUN_ENDS = frozenset(s.value for s in RunState if s.finished)


class Waker:
    """Sleeps until the next state change of one run, or a pause is over.

    A context manager: it subscribes to the transport's events on entry, so nothing
    that happens after entering is missed, and unsubscribes on exit. Without events
    (BatchError on subscribe), ``pause`` just waits out its time.
    """

    def __init__(self, transport: Transport, run_id: int,
                 states: frozenset[str] | None = None) -> None:
        """Wake on every change of run ``run_id``, or only when it reaches ``states``."""
        self._transport = transport
        self._run_id = run_id
        self._states = states
        self._changed = threading.Event()
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def has_events(self) -> bool:
        return self._unsubscribe is not None

    def _on_event(self, event: JSON) -> None:
        if event.get("run_id") == self._run_id and (
                self._states is None or (event.get("kind") == "run"
                                         and event.get("state") in self._states)):
            self._changed.set()

    def __enter__(self) -> Waker:
        try:
            self._unsubscribe = self._transport.subscribe(self._on_event)
        except BatchError:
            self._unsubscribe = None
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    def pause(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True when a change arrived meanwhile."""
        changed = self._changed.wait(max(seconds, 0.0))
        self._changed.clear()
        return changed


class Run(Displayable):
    """One run: ``state``, ``tasks`` (task id → state), ``wait()``, ``log(task)``,
    ``output(task)``, ``rerun(task)``, ``recover()``, ``stop()``.

    The attributes show the run as it was last read; ``refresh()`` reads it again
    (``wait`` and the actions do so themselves).
    """

    def __init__(self, transport: Transport, status: JSON | RunStatus) -> None:
        self._transport = transport
        self.status = status if isinstance(status, RunStatus) else from_json(RunStatus, status)
        # after a rerun, the run ends again: wait for an end other than this one
        self._ended_before: Any = None

    # --- what it is ---------------------------------------------------------------------

    @property
    def id(self) -> int:
        return self.status.id

    @property
    def workflow(self) -> str:
        return self.status.workflow

    @property
    def logical_date(self) -> str:
        return self.status.logical_date

    @property
    def trigger(self) -> str:
        return self.status.trigger

    @property
    def state(self) -> RunState:
        return self.status.state

    @property
    def message(self) -> str | None:
        return self.status.message

    def _task_statuses(self) -> list[Any]:
        """The task runs; a run read from a listing comes without them (every run has
        at least one task), so it is read once more then."""
        if not self.status.tasks:
            self.refresh()
        return list(self.status.tasks)

    @property
    def tasks(self) -> dict[str, TaskState]:
        """Each task's state (references included), in the workflow's order."""
        return {t.id: t.state for t in self._task_statuses()}

    def task(self, task_id: str) -> TaskStatus:
        """Where one task stands: state, attempt, exit code, message, outputs, times."""
        for status in self._task_statuses():
            if status.id == task_id:
                return status
        raise NotFound(f"run {self.id} has no task {task_id!r} "
                       f"(tasks: {', '.join(self.tasks) or 'none'})")

    @property
    def finished(self) -> bool:
        """The run has ended (and, after a rerun, ended again)."""
        return self.status.state.finished and (
            self._ended_before is None or self.status.ended_at != self._ended_before)

    def __repr__(self) -> str:
        s = self.status
        head = (f"Run {s.id} of {s.workflow!r}"
                + (f" v{s.workflow_version}" if s.workflow_version else "")
                + f" for {s.logical_date} ({s.trigger}): {s.state.value}"
                + (f" — {s.message}" if s.message else ""))
        width = max((len(t.id) for t in s.tasks), default=0)
        lines = [head] + [
            f"  {t.id:<{width}}  {t.state.value:<15}"
            + (f" attempt {t.attempt}" if t.attempt else "")
            + (f" — {t.message}" if t.message and t.state != TaskState.SUCCESS else "")
            for t in s.tasks]
        return "\n".join(line.rstrip() for line in lines)

    def _view_subject(self) -> int:
        return self.id

    # --- following it -------------------------------------------------------------------

    def refresh(self) -> Run:
        """Read the run again."""
        self.status = from_json(RunStatus, self._transport.get_run(self.id))
        if self.finished:
            self._ended_before = None
        return self

    def wait(self, timeout: float | None = None) -> Run:
        """Block until the run has ended; TimeoutError after ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with Waker(self._transport, self.id, RUN_ENDS) as waker:
            pause = FIRST_PAUSE
            while not self.refresh().finished:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"run {self.id} is still {self.state.value} "
                                       f"after {timeout} s")
                if waker.pause(pause if left is None else min(pause, left)):
                    pause = FIRST_PAUSE
                else:
                    pause = min(pause * 2, LONGEST_PAUSE[waker.has_events])
        return self

    def follow(self, task: str, write: Callable[[str], Any]) -> Run:
        """Pass ``task``'s log to ``write`` as it grows (each new attempt from its
        start) until the run has ended; return the run."""
        self.task(task)
        offset, attempt = 0, None
        with Waker(self._transport, self.id) as waker:
            pause = FIRST_PAUSE
            while True:
                ended = self.refresh().finished
                got = False
                while chunk := self._log_chunk(task, offset):
                    if chunk.attempt != attempt:
                        attempt = chunk.attempt
                        if offset:  # a new attempt: its log from the top
                            offset = 0
                            continue
                    if not chunk.text:
                        break
                    write(chunk.text)
                    offset, got = chunk.next_offset, True
                if ended:
                    return self
                changed = waker.pause(pause)
                pause = FIRST_PAUSE if got or changed else min(pause * 2, LOG_PAUSE)

    def _log_chunk(self, task: str, offset: int) -> LogChunk | None:
        """The latest attempt's log from ``offset``; None before the task first ran."""
        try:
            return from_json(LogChunk, self._transport.read_log(self.id, task, None, offset))
        except NotFound:
            return None

    # --- what it made -------------------------------------------------------------------

    def log(self, task: str, attempt: int | None = None) -> str:
        """The whole log of ``task``'s attempt (the latest by default), as it is now."""
        parts, offset = [], 0
        while True:
            chunk = from_json(LogChunk, self._transport.read_log(self.id, task, attempt, offset))
            parts.append(chunk.text)
            if not chunk.text:
                return "".join(parts)
            offset, attempt = chunk.next_offset, chunk.attempt

    def attempts(self, task: str) -> list[TaskAttempt]:
        """Every attempt of ``task``, oldest first, with its times and exit code."""
        return [from_json(TaskAttempt, a) for a in self._transport.attempts(self.id, task)]

    def output(self, task: str, attempt: int | None = None) -> Any:
        """The executed notebook of a notebook task's attempt (the latest by default),
        as an ``nbformat.NotebookNode``."""
        import nbformat

        text = self._transport.notebook_output(self.id, task, attempt)
        return nbformat.reads(text, as_version=4)

    # --- acting on it -------------------------------------------------------------------

    def _started_again(self, plan: JSON) -> list[str]:
        if plan["started"]:
            self._ended_before = self.status.ended_at
        return list(plan["tasks"])

    def rerun(self, task: str, downstream: bool = False, preview: bool = False,
              latest: bool = False) -> list[str]:
        """Run ``task`` of this finished run again — alone, or with everything below it
        that relations with ``rerun`` on reach; returns the tasks that run (or, with
        ``preview``, would). A new attempt of the same run: ``wait()`` for it. With
        ``latest`` the tasks use the latest version of their resources (a fixed script);
        otherwise the versions pinned when the run started."""
        self.refresh()
        return self._started_again(self._transport.rerun(self.id, task, downstream, preview,
                                                         latest))

    def recover(self, preview: bool = False, latest: bool = False) -> list[str]:
        """Run again what failed, was cancelled or was left unfinished, and what depends
        on it; returns those tasks. ``wait()`` for it."""
        self.refresh()
        return self._started_again(self._transport.recover(self.id, preview, latest))

    def stop(self, wait: bool = True) -> Run:
        """Stop the run: running tasks are ended (their whole process tree), the rest
        cancelled. Waits until it has ended unless ``wait`` is False."""
        self._transport.stop_run(self.id)
        return self.wait() if wait else self.refresh()
