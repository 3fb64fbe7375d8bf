"""What the widgets read and do, as one protocol: a *data source*, not a transport.

The widgets never import the service, the store or the engine (the layer rules forbid
it): whoever shows a widget hands it an object with these methods. The notebook client
provides one, over REST or over its local in-process service; the tests provide one over
a real ``BatchService``. Records are the model's (``Run``, ``TaskAttempt``, ...), so a
widget reads the same fields whichever transport is underneath.

Consistency: a read (``get_run``, ``task_attempts``, ``read_log``, ``list_runs``) reflects
at least every change already delivered to a ``subscribe`` callback. A widget subscribes,
then reads its first snapshot, then applies the changes that arrived meanwhile; a change
delivered before it subscribed but not yet readable would be lost for good.

Errors: a method that fails for a reason the user can act on (a run still running, a
resource that does not exist) raises a ``jupyter_batch.errors.BatchError`` kind carrying
the server's message; the widgets show that message next to the button that was clicked.
Any other exception is a bug and propagates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from ..errors import Problem
from ..model.changes import Change
from ..model.records import ResourceInfo, ResourceVersion, Run, TaskAttempt
from ..model.task_spec import TaskTypeSpec
from ..model.workflow import Workflow


class LogPart(Protocol):
    """A piece of a task attempt's log (the service's ``LogChunk`` is one)."""

    @property
    def text(self) -> str:
        """The text read, decoded, never ending inside a character."""
        ...

    @property
    def next_offset(self) -> int:
        """Where the next read continues."""
        ...

    @property
    def complete(self) -> bool:
        """The attempt has ended: nothing more will be written."""
        ...


class BatchSource(Protocol):
    """Everything the widgets need from jupyter-batch. See the module docstring."""

    # --- reading ---------------------------------------------------------------------

    def layout(self, workflow: str, version: int | None = None) -> dict[str, Any]:
        """Where to draw each node of a workflow's draft (``version`` None) or of one of
        its published versions: ``dag.workflow_layout``'s answer, ``{name, nodes: [{id,
        kind, type, x, y}], edges: [{from, to, rerun}]}``."""
        ...

    def get_run(self, run_id: int) -> Run:
        """A run with its task runs (state, attempt, times, message per task)."""
        ...

    def task_attempts(self, run_id: int, task: str) -> list[TaskAttempt]:
        """Every attempt of one task of a run, oldest first (reruns included)."""
        ...

    def read_log(self, run_id: int, task: str, attempt: int | None = None,
                 offset: int = 0) -> LogPart:
        """The log of a task's attempt (the latest when ``attempt`` is None) from byte
        ``offset``: a widget following a log asks only for what is new."""
        ...

    def output_url(self, run_id: int, task: str) -> str | None:
        """Where the executed notebook of a notebook task can be opened (a URL, or a
        path the notebook's front end can open); None when there is none yet."""
        ...

    def list_runs(self, workflow: str, states: Sequence[str] = (), limit: int = 20,
                  offset: int = 0) -> list[Run]:
        """Runs of a workflow, newest first (task runs may be left out)."""
        ...

    def list_resources(self) -> list[ResourceInfo]:
        """Every resource, with its latest version."""
        ...

    def resource_versions(self, name: str) -> list[ResourceVersion]:
        """Every version of one resource (number, message, author, time)."""
        ...

    def task_types(self) -> Mapping[str, TaskTypeSpec]:
        """The task types a workflow may use, by name: what body each takes (resource,
        command, code, args), the resource formats it runs, its own options. The designer
        builds its type dropdown and each task's fields from this."""
        ...

    # --- live ------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[Change], None]) -> Callable[[], None]:
        """Call ``callback`` with every ``TaskChange`` and ``RunChange`` of every run,
        from any thread, as they happen; return a function that ends the subscription.
        The callback must return quickly (the widgets only queue the change)."""
        ...

    # --- acting ----------------------------------------------------------------------

    def validate(self, document: Mapping[str, Any]) -> tuple[Workflow, list[Problem]]:
        """Parse and validate a workflow file's JSON: the workflow read and every problem,
        each with where it is (``tasks[1].resource``, ``schedule.cron``)."""
        ...

    def save_workflow(self, document: Mapping[str, Any]) -> object:
        """Save a valid document as the draft of its workflow (creating it);
        ``InvalidWorkflow`` (with ``problems``) when it is not valid."""
        ...

    def prerun(self, workflow: str | Mapping[str, Any]) -> int:
        """Test-run a document (or a saved workflow's draft) now without publishing it;
        the new run's id."""
        ...

    def publish(self, name: str) -> int:
        """Publish the saved draft of ``name``; the number of the published version."""
        ...

    def rerun(self, run_id: int, task: str, downstream: bool = False) -> list[str]:
        """Rerun one task of a finished run, alone or with everything below it; the ids
        of the tasks that will run. Returns once the rerun has started."""
        ...

    def stop_run(self, run_id: int) -> None:
        """Ask a run to stop; return at once (the run's changes tell when it has)."""
        ...
