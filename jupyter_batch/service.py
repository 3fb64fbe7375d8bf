"""The one facade every front end calls: REST handlers, the CLI, the notebook client.

It wires the store to the model's rules (validation, pinning). Front ends parse input,
call one method here, and render the result.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import importlib.metadata
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from . import library
from .control import ChangeRelay, Unreachable, ask_to_stop, listen, observe
from .dag import workflow_layout
from .engine import Engine, Pool, RunFolders, RunPlan
from .errors import Conflict, InvalidInput, InvalidWorkflow, NotFound, Problem
from .executors import registry as executors
from .executors.local import end_leftovers
from .model.changes import Change, LogChange, RunChange, TaskChange, WorkflowChange
from .model.program import Program, check_params, task_param
from .model.records import (
    AddedVersion,
    PublishResult,
    ResourceInfo,
    ResourceVersion,
    Run,
    TaskAttempt,
    WorkflowInfo,
    WorkflowVersion,
)
from .model.resource import check_resource_name, is_library, parse_ref, resource_format
from .model.schedule import next_fire
from .model.states import RunState, TaskState
from .model.textdiff import diff_versions
from .model.variables import parse_logical_date
from .model.wire import event_json
from .model.workflow import Reference, Workflow, pin_resources, repin_resources
from .reruns import recover_nodes, rerun_nodes
from .scheduler import ScheduledWorkflow, Scheduler
from .store import Store
from .store.blobs import sha256_of
from .store.leases import Lease
from .store.location import resolve_data_dir, resolve_db_url
from .store.state_writer import StateWriter
from .tasks import registry
from .tasks.workdir import check_content
from .validation import (
    StoredWorkflow,
    ValidationContext,
    check_document,
    require_future_fire,
    require_valid,
    require_valid_run_params,
    validate,
)
from .warehouse import QueryResult, TableInfo, Warehouse

log = logging.getLogger(__name__)
_FINISHED_RUN_STATES = frozenset(s.value for s in RunState if s.finished)
Listener = Callable[[Change], None]
WorkflowListener = Callable[[WorkflowChange], None]
#: told each batch of changes another process stored, as event JSON
ElsewhereListener = Callable[[list[dict[str, Any]]], None]
#: the author of the library's versions
LIBRARY_AUTHOR = "jupyter-batch"


def default_author() -> str:
    """Who is acting: ``$JUPYTER_BATCH_AUTHOR``, else the login name."""
    return os.environ.get("JUPYTER_BATCH_AUTHOR") or getpass.getuser()


def this_process() -> str:
    """The owner tag of runs driven by this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str | None) -> bool:
    """Whether the process named by an owner tag still runs (on another host: assume so)."""
    if not owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


#: how long a stop request to another process waits for an answer, and for the end (s)
STOP_PATIENCE = 60.0

#: the scheduler lease: its name in the database, and how long it lasts unrenewed (s)
SCHEDULER_LEASE_NAME = "scheduler"
SCHEDULER_LEASE = 10.0


@dataclass(frozen=True)
class SchedulerStatus:
    """Who schedules this store: the lease holder (``host:pid:tag``), for how long it
    has led, and whether this process runs a scheduler and leads."""

    leader: str | None
    leading_for: float | None
    running_here: bool
    leads_here: bool


@dataclass(frozen=True)
class RerunPlan:
    """What a rerun or a recovery runs (or would run, for a preview)."""

    run_id: int
    tasks: list[str]
    started: bool


@dataclass(frozen=True)
class LogChunk:
    text: str
    offset: int
    next_offset: int
    #: the attempt has finished: nothing more will be written
    complete: bool
    attempt: int


class BatchService:
    """Everything a user can do, over one data folder.

    Runs are driven by this process, each on its own thread; ``wait_run`` blocks until
    one ends. ``subscribe`` delivers every state change as it happens.
    """

    def __init__(self, data_dir: str | os.PathLike[str] | None = None,
                 db_url: str | None = None, pools: dict[str, Pool] | None = None,
                 python: str | None = None, warehouse: str | os.PathLike[str] | None = None,
                 kernel_pool_size: int = 2, kill_grace: float = 3.0, executor: str = "local",
                 dask_address: str = "local-cluster") -> None:
        executors.check(executor)
        self.data_dir: Path = resolve_data_dir(data_dir)
        self.store = Store(self.data_dir, resolve_db_url(db_url))
        self.warehouse_path = Path(warehouse) if warehouse else self.data_dir / "warehouse.duckdb"
        self._pools = pools
        self._python = python
        #: where task processes run: "local", or "dask" (on the cluster at dask_address)
        self.executor = executor
        self._executor_settings = executors.ExecutorSettings(
            grace=kill_grace, warm_pool_size=kernel_pool_size, dask_address=dask_address)
        self._engine: Engine | None = None
        self._writer: StateWriter | None = None
        #: ends taking stop requests from other processes (once this one drives runs)
        self._unlisten: Callable[[], None] | None = None
        #: tells processes that observe this data folder what this one stored
        self._relay: ChangeRelay | None = None
        #: ends hearing what other processes store here (once this one drives runs, runs a
        #: scheduler or has a listener for it)
        self._stop_observing: Callable[[], None] | None = None
        self._elsewhere_listeners: list[ElsewhereListener] = []
        self._threads: dict[int, threading.Thread] = {}
        #: runs stored queued that this process starts later (a backfill's next dates)
        self._waiting: dict[int, RunPlan] = {}
        self._backfills: list[threading.Thread] = []
        self._listeners: list[Listener] = []
        self._workflow_listeners: list[WorkflowListener] = []
        self._lock = threading.Lock()
        #: a run left ``_waiting`` (started or cancelled)
        self._waiting_changed = threading.Condition(self._lock)
        self._closed = False
        # a rerun reads the run's states and starts its driver as one step
        self._rerun_lock = threading.Lock()
        #: this service as a lease holder: its process, and a tag for this instance
        self._lease_holder = f"{this_process()}:{id(self):x}"
        self.register_library()
        self.mark_interrupted()

    def close(self) -> None:
        """Stop every run this process drives (marked cancelled), then release the store.
        Closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        self._stop_scheduler()
        with self._lock:
            waiting = list(self._waiting.values())
        for plan in waiting:
            self._cancel_waiting(plan.run_id, "cancelled: the process that was to start it "
                                              "stopped first")
        if self._engine is not None:
            for run_id in self._engine.active_runs():
                self._engine.stop(run_id)
            for thread in [*self._threads.values(), *self._backfills]:
                thread.join()
            self._engine.shutdown()
        if self._unlisten is not None:
            self._unlisten()
        if self._writer is not None:
            self._writer.close()
        if self._relay is not None:
            self._relay.close()
        if self._stop_observing is not None:
            self._stop_observing()
        self.store.close()

    def __enter__(self) -> BatchService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- resources -------------------------------------------------------------------

    def add_resource(self, name: str, content: bytes, message: str = "",
                     author: str | None = None) -> AddedVersion:
        """A new version of a user resource (none when ``content`` equals the latest);
        Conflict for a name in the read-only library."""
        check_resource_name(name)
        _refuse_library(name)
        check_content(name, content)
        return self.store.resources.add(name, content, message, author or default_author())

    def list_resources(self) -> list[ResourceInfo]:
        return self.store.resources.list()

    def resource_versions(self, name: str) -> list[ResourceVersion]:
        return self.store.resources.versions(name)

    def read_resource(self, ref: str) -> tuple[ResourceVersion, bytes]:
        """``name`` (latest) or ``name@3``: the version and its verified content."""
        parsed = parse_ref(ref, check_name=False)
        return self.store.resources.read(parsed.name, parsed.version)

    def diff_resource(self, name: str, old: int, new: int) -> str:
        _, a = self.store.resources.read(name, old)
        _, b = self.store.resources.read(name, new)
        return diff_versions(name, (old, a), (new, b))

    # --- the library -----------------------------------------------------------------

    def register_library(self) -> list[AddedVersion]:
        """Store each shipped program as a new version of its ``library/<name>.py`` when
        its script differs from the latest stored one: upgrading jupyter-batch adds a
        version, and workflows keep the versions they pinned. The versions added."""
        stored = self.store.resources.latest_hashes("library")
        added = []
        for name in library.NAMES:
            resource, script = f"library/{name}.py", library.source(name)
            if stored.get(resource) != sha256_of(script):
                added.append(self.store.resources.add(
                    resource, script, f"shipped with jupyter-batch {_package_version()}",
                    LIBRARY_AUTHOR))
        return added

    def library_programs(self) -> list[tuple[Program, int]]:
        """Every shipped program with the latest version of its resource."""
        return [(p, self.store.resources.latest_version(p.resource) or 0)
                for p in library.catalog()]

    def library_program(self, name: str) -> tuple[Program, list[ResourceVersion], str]:
        """A program, the versions of its resource, and its latest script."""
        program = library.program(name)
        versions = self.store.resources.versions(program.resource)
        _, script = self.store.resources.read(program.resource)
        return program, versions, script.decode("utf-8")

    def use_library_program(self, program: str, workflow: str,
                            params: dict[str, Any] | None = None,
                            schedule: dict[str, Any] | None = None, publish: bool = False,
                            author: str | None = None) -> WorkflowInfo:
        """Save a new one-task workflow that runs ``program`` with ``params`` (checked
        against its schema first: InvalidWorkflow with a problem per bad parameter, at
        ``params.<name>``), on ``schedule`` if given (as the workflow file has it), and
        publish it if asked. Conflict when the workflow exists already; nothing is saved
        unless everything is right."""
        spec = library.program(program)
        if params is not None and not isinstance(params, dict):
            raise InvalidInput("params must be an object of parameter names and values")
        typed, problems = check_params(spec, params)
        task = {"id": spec.name, "type": "python", "resource": spec.resource,
                "description": spec.title}
        if typed:
            task["params"] = {k: task_param(v) for k, v in typed.items()}
        document: dict[str, Any] = {"name": workflow, "description": spec.description,
                                    "tasks": [task]}
        if schedule is not None:
            document["schedule"] = schedule
        wf, rest = self.validate(document)
        # the task's own params were checked above, and reported where the caller gave them
        problems += [p for p in rest if not p.where.startswith("tasks[0].params")]
        if problems:
            raise InvalidWorkflow(problems, workflow or None)
        info = self.store.workflows.save_draft(wf, create=True)
        self._workflow_changed(wf.name, "saved")
        if publish:
            self.publish(wf.name, f"from library program {spec.name}", author)
            info = self.store.workflows.get(wf.name)
        return info

    def copy_library_program(self, program: str, new_name: str,
                             author: str | None = None) -> AddedVersion:
        """A new user resource ``new_name`` (a ``.py`` name not taken yet) whose first
        version is the program's latest script, to change as one likes."""
        spec = library.program(program)
        check_resource_name(new_name)
        _refuse_library(new_name)
        if resource_format(new_name) != "py":
            raise InvalidInput(f"{new_name!r}: a copy of a program is a python resource; "
                               "name it NAME.py")
        if self.store.resources.latest_version(new_name) is not None:
            raise Conflict(f"resource {new_name!r} exists already; choose another name")
        version, script = self.store.resources.read(spec.resource)
        return self.store.resources.add(new_name, script, f"copied from {version.ref}",
                                        author or default_author())

    # --- workflows -------------------------------------------------------------------

    def validation_context(self) -> ValidationContext:
        return ValidationContext(task_types=registry.specs(),
                                 latest_version=self.store.resources.latest_version,
                                 pools=self._pools.keys() if self._pools else ("default",),
                                 program=library.by_resource,
                                 # one read per referenced workflow and validation
                                 workflow=functools.cache(self._stored_workflow),
                                 workflow_names=self.store.workflows.names)

    def _stored_workflow(self, name: str) -> StoredWorkflow | None:
        try:
            draft, latest = self.store.workflows.latest(name)
        except NotFound:
            return None
        draft_tasks = tuple(t.id for t in draft.tasks)
        if latest is None:
            return StoredWorkflow(None, draft_tasks, draft_tasks)
        return StoredWorkflow(latest.version, tuple(t.id for t in latest.definition.tasks),
                              draft_tasks)

    def validate(self, document: Any) -> tuple[Workflow, list[Problem]]:
        """Every problem of a workflow file's JSON (or a Workflow), with where it is."""
        ctx = self.validation_context()
        if isinstance(document, Workflow):
            return document, validate(document, ctx)
        return check_document(document, ctx)

    def save_workflow(self, document: Any) -> WorkflowInfo:
        """Save a valid workflow as the draft of its name (creating the workflow)."""
        wf, problems = self.validate(document)
        if problems:
            raise InvalidWorkflow(problems, wf.name or None)
        info = self.store.workflows.save_draft(wf)
        self._workflow_changed(wf.name, "saved")
        return info

    def get_workflow(self, name: str) -> WorkflowInfo:
        return self.store.workflows.get(name)

    def list_workflows(self) -> list[WorkflowInfo]:
        return self.store.workflows.list()

    def workflow_overview(self) -> list[tuple[WorkflowInfo, Run | None, datetime | None]]:
        """Every workflow with its newest run and, when published on a schedule, its next
        fire time: what a list of workflows shows, in three queries."""
        self._settle()
        last = self.store.runs.latest_per_workflow()
        upcoming = self._next_fires()
        return [(info, last.get(info.name), upcoming.get(info.name))
                for info in self.store.workflows.list()]

    def workflow_summary(self, name: str) -> tuple[WorkflowInfo, Run | None, datetime | None]:
        """One workflow as ``workflow_overview`` shows it: what a list updates its row
        from when that workflow changed."""
        info = self.store.workflows.get(name)
        self._settle()
        runs, _ = self.store.runs.list(name, (), 1, 0)
        return info, runs[0] if runs else None, self._next_fires(name).get(name)

    def _next_fires(self, name: str | None = None) -> dict[str, datetime | None]:
        """The next fire of every published workflow with a schedule (or of ``name``)."""
        now = _utcnow()
        return {v.name: next_fire(v.definition.schedule, now)
                for v in self.store.workflows.published(name) if v.definition.schedule}

    def workflow_versions(self, name: str) -> list[WorkflowVersion]:
        return self.store.workflows.versions(name)

    def workflow_version(self, name: str, version: int | None = None) -> WorkflowVersion:
        """A published version (the latest when ``version`` is None)."""
        return self.store.workflows.version(name, version)

    def export_workflow(self, name: str, version: int | None = None) -> Workflow:
        """The draft (``version`` None) or a published version, as a workflow file holds it."""
        if version is None:
            return self.store.workflows.draft(name)
        return self.workflow_version(name, version).definition

    def publish(self, name: str, message: str = "", author: str | None = None) -> PublishResult:
        """Publish the draft as a new immutable version, every resource pinned to the
        version that is latest now. The draft must still be valid (resources can change)."""
        draft = self.store.workflows.draft(name)
        ctx = self.validation_context()
        require_valid(draft, ctx)
        require_future_fire(draft, _utcnow())
        pinned = pin_resources(draft, self.store.resources.latest_version)
        result = self.store.workflows.publish(name, pinned, author or default_author(), message)
        self._workflow_changed(name, "published", result.version.version)
        return result

    def offline(self, name: str) -> WorkflowInfo:
        info = self.store.workflows.offline(name)
        self._workflow_changed(name, "offline")
        return info

    def delete_workflow(self, name: str) -> None:
        """Delete a workflow, its draft and its versions (its runs stay in the history).
        Refused while it is published (take it offline first) or referenced by another
        workflow, whose runs would wait for it forever."""
        self.store.workflows.delete(name)
        self._workflow_changed(name, "deleted")

    def layout(self, name: str, version: int | None = None) -> dict[str, Any]:
        """Where to draw each node of the draft (or a version): computed once here so
        the widget and the side panel draw the same picture."""
        wf = self.export_workflow(name, version)
        return workflow_layout(wf)

    def backfill(self, name: str, start: str | date, end: str | date,
                 params: dict[str, Any] | None = None) -> list[int]:
        """Run the published workflow once per logical date from ``start`` to ``end``
        (inclusive), oldest first, one after the other."""
        first = parse_logical_date(str(start))
        last = parse_logical_date(str(end))
        if last < first:
            raise InvalidInput(f"backfill end {last} is before its start {first}")
        days = (last - first).days + 1
        if days > 3660:
            raise InvalidInput(f"a backfill of {days} days is too long (at most 3660)")
        version = self._published(name)
        plans = [self._create_run(version.definition, version.version,
                                  first.fromordinal(first.toordinal() + offset), "backfill",
                                  params) for offset in range(days)]
        with self._lock:
            self._waiting.update((plan.run_id, plan) for plan in plans)

        def drive_in_order() -> None:
            for plan in plans:  # a run stopped while it waited is skipped
                if self._start(plan, waiting=True):
                    self.wait_run(plan.run_id)

        thread = threading.Thread(target=drive_in_order, name=f"batch-backfill-{name}")
        with self._lock:
            self._backfills = [t for t in self._backfills if t.is_alive()] + [thread]
        thread.start()
        return [plan.run_id for plan in plans]

    # --- runs ------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every run and task state change; returns unsubscribe."""
        return self._add_listener(self._listeners, listener)

    def subscribe_workflows(self, listener: WorkflowListener) -> Callable[[], None]:
        """Call ``listener`` when this process saves, publishes, takes offline or deletes
        a workflow; returns unsubscribe."""
        return self._add_listener(self._workflow_listeners, listener)

    def subscribe_elsewhere(self, listener: ElsewhereListener) -> Callable[[], None]:
        """Call ``listener`` with each batch of changes other processes (a CLI run, a
        standalone scheduler, another server) store in this data folder, as the event
        JSON this process would emit for its own; returns unsubscribe."""
        self._observe()
        return self._add_listener(self._elsewhere_listeners, listener)

    def _observe(self) -> None:
        """Hear what other processes store in this data folder (from now on, once)."""
        with self._lock:
            if self._stop_observing is not None or self._closed:
                return
            try:
                self._stop_observing = observe(self.data_dir, self._changed_elsewhere)
            except OSError as exc:  # another service of this process hears them
                log.warning("jupyter-batch: changes other processes make in %s reach this "
                            "service only when it reads the store (%s)", self.data_dir, exc)
                self._stop_observing = lambda: None

    def _changed_elsewhere(self, events: list[dict[str, Any]]) -> None:
        """Another process stored changes here: a success may meet a reference a run of
        this process waits for; a workflow's change or a run's end may change what the
        scheduler starts next. Then listeners hear them."""
        if self._engine is not None and any(
                e.get("kind") in ("run", "task") and e.get("state") == "success"
                for e in events):
            self._engine.references_changed()
        if any(e.get("kind") == "workflow" or (
                e.get("kind") == "run" and e.get("state") in _FINISHED_RUN_STATES)
                for e in events):
            self._wake_scheduler()
        self._notify(events, self._elsewhere_listeners)

    def _add_listener(self, listeners: list[Any], listener: Any) -> Callable[[], None]:
        with self._lock:
            listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                listeners.remove(listener)

        return unsubscribe

    def _publish(self, change: Change) -> None:
        assert self._writer is not None
        self._writer.put(change)
        self._notify(change)

    def _stored(self, changes: list[Change]) -> None:
        """A batch of changes is in the store. A reference waits for a workflow (or one
        task of it) to succeed and reads the store, so it is told only now — without
        making the driver that reported the success wait for the write."""
        if self._engine is not None and any(
                c.state in (RunState.SUCCESS, TaskState.SUCCESS) for c in changes):
            self._engine.references_changed()
        self._relayed().send(changes)

    def _relayed(self) -> ChangeRelay:
        """What tells the processes observing this data folder of this one's changes."""
        with self._lock:
            if self._relay is None:
                self._relay = ChangeRelay(self.data_dir, to_json=event_json)
            return self._relay

    def _workflow_changed(self, name: str, what: str, version: int | None = None) -> None:
        """A workflow changed: the scheduler here, listeners here and observers
        elsewhere are told."""
        self._wake_scheduler()
        change = WorkflowChange(name, what, _utcnow(), version)
        self._notify(change, self._workflow_listeners)
        self._relayed().send([change])

    def _notify(self, change: Any, listeners: list[Any] | None = None) -> None:
        """Call each of ``listeners`` (default: the state-change listeners)."""
        with self._lock:
            listeners = list(self._listeners if listeners is None else listeners)
        for listener in listeners:
            try:
                listener(change)
            except Exception:
                log.exception("a state-change listener failed")

    def task_changed(self, change: TaskChange) -> None:
        self._publish(change)

    def run_changed(self, change: RunChange) -> None:
        self._publish(change)

    def log_grew(self, change: LogChange) -> None:
        """Told to listeners (and observing processes) only: a log's growth is not a
        state to store."""
        self._notify(change)
        self._relayed().send([change])

    @property
    def engine(self) -> Engine:
        """The engine, created on first use (commands that only read never need it).
        A process that drives runs hears what others store: a run of its own may wait
        for a reference another process's run meets."""
        with self._lock:
            engine = self._engine
        if engine is None:
            engine = self._create_engine()
            self._observe()
        return engine

    def _create_engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                executor = executors.create(self.executor, self._executor_settings)
                self._writer = StateWriter(self.store.runs, on_stored=self._stored)
                self._engine = Engine(
                    executor, self, self.data_dir / "runs", self._fetch,
                    pools=self._pools, python=self._python, reference_met=self._reference_met,
                    warehouse=self.warehouse_path)
                self._unlisten = listen(self.data_dir, stop=self._stop_here,
                                        wait=lambda run_id: self.wait_run(run_id).state.value)
            return self._engine

    def _fetch(self, ref: str) -> bytes:
        parsed = parse_ref(ref)
        return self.store.resources.read(parsed.name, parsed.version)[1]

    def _reference_met(self, ref: Reference, logical_date: str) -> bool:
        return self.store.runs.succeeded(ref.workflow, logical_date, ref.task)

    def _logical_date(self, day: str | date | None) -> str:
        if day is None:
            return date.today().isoformat()
        return parse_logical_date(str(day)).isoformat()

    def _interrupt(self, run_id: int, message: str) -> None:
        """A drive that failed: end what it left running and mark the run interrupted —
        its unfinished tasks failed, so it can be recovered — then tell listeners."""
        assert self._writer is not None
        self._writer.flush()
        self._end_and_mark(run_id, message)
        self._notify(RunChange(run_id, RunState.INTERRUPTED, _utcnow(), message))

    def _end_and_mark(self, run_id: int, message: str) -> None:
        """End the processes a run's attempts left (checked to still be its own), and
        mark it interrupted: unfinished tasks failed, recoverable."""
        end_leftovers(self._recorded_pids(run_id), f"BATCH_RUN_ID={run_id}")
        self.store.runs.interrupt(run_id, message)

    def _start(self, plan: RunPlan, waiting: bool = False) -> bool:
        """Drive ``plan`` on a new thread; Conflict when this process drives it already.
        With ``waiting``, only if it is still among the runs waiting here (it was not
        cancelled meanwhile); False when it was not started."""
        engine = self.engine

        def drive() -> None:
            try:
                engine.execute(plan)
            except Exception as exc:  # a bug must not leave the run "running" forever
                log.exception("run %s failed in the engine", plan.run_id)
                self._interrupt(plan.run_id, f"internal error: {exc!r}; recover it to go on")
            finally:
                assert self._writer is not None
                self._writer.flush()
                self._wake_scheduler()
                with self._lock:
                    self._threads.pop(plan.run_id, None)

        thread = threading.Thread(target=drive, name=f"batch-run-{plan.run_id}")
        with self._lock:
            if waiting and self._waiting.pop(plan.run_id, None) is None:
                return False
            if plan.run_id in self._threads:
                raise Conflict(f"run {plan.run_id} is running; wait for it or stop it")
            self._threads[plan.run_id] = thread
            # started before anyone can see it: wait_run joins what it finds there
            thread.start()
            self._waiting_changed.notify_all()
        return True

    def _new_run(self, wf: Workflow, version: int | None, day: str | date | None,
                 trigger: str, params: dict[str, Any] | None, cycle: str | None = None) -> int:
        plan = self._create_run(wf, version, day, trigger, params, cycle)
        self._start(plan)
        return plan.run_id

    def _create_run(self, wf: Workflow, version: int | None, day: str | date | None,
                    trigger: str, params: dict[str, Any] | None,
                    cycle: str | None = None) -> RunPlan:
        """A new queued run stored with every task pending, and the plan to drive it."""
        _ = self.engine  # an executor that cannot start fails the request, not a stored run
        logical_date = self._logical_date(day)
        params = require_valid_run_params(params, wf)
        run_id = self.store.runs.create(workflow=wf, version=version, logical_date=logical_date,
                                        trigger=trigger, params=params, owner=this_process(),
                                        cycle=cycle)
        return RunPlan(run_id=run_id, workflow=wf, logical_date=logical_date, trigger=trigger,
                       params=params, selected=set(wf.node_ids),
                       states={n: TaskState.PENDING for n in wf.node_ids}, cycle=cycle)

    def prerun(self, workflow: str | Any, day: str | date | None = None,
               params: dict[str, Any] | None = None) -> int:
        """Run the current draft (a saved workflow's name, or a workflow document) now,
        without publishing it; its resources are pinned to their latest versions."""
        if isinstance(workflow, str):
            wf = self.store.workflows.draft(workflow)
            require_valid(wf, self.validation_context())
        else:
            wf, problems = self.validate(workflow)
            if problems:
                raise InvalidWorkflow(problems, wf.name or None)
        pinned = pin_resources(wf, self.store.resources.latest_version)
        return self._new_run(pinned, None, day, "prerun", params)

    def trigger(self, name: str, day: str | date | None = None,
                params: dict[str, Any] | None = None) -> int:
        """Run the latest published version of ``name`` now, for a logical date."""
        version = self._published(name)
        return self._new_run(version.definition, version.version, day, "manual", params)

    def _published(self, name: str) -> WorkflowVersion:
        """The version that runs: the latest published one of a published workflow.

        Read with ``published``, which reads and parses that one definition in one query;
        the workflow's record (``get``) would also parse the draft to compare it with the
        version."""
        current = self.store.workflows.published(name)
        if current:
            return current[0]
        state = self.store.workflows.get(name).state  # NotFound for an unknown name
        raise Conflict(f"workflow {name!r} is {state}; publish it first (or pre-run the "
                       "draft)")

    def _settle(self) -> None:
        """Make reads reflect every change already told to subscribers: states are
        written behind, so a reader that was notified first could read an older state."""
        if self._writer is not None:
            self._writer.flush()

    def get_run(self, run_id: int) -> Run:
        self._settle()
        return self.store.runs.get(run_id)

    def list_runs(self, workflow: str | None = None, states: Sequence[str] = (),
                  limit: int = 50, offset: int = 0) -> tuple[list[Run], int]:
        for state in states:
            if state not in RunState._value2member_map_:
                raise InvalidInput(f"unknown run state {state!r} (states: "
                                   f"{', '.join(s.value for s in RunState)})")
        if not 1 <= limit <= 1000 or offset < 0:
            raise InvalidInput("limit must be 1..1000 and offset not negative")
        self._settle()
        return self.store.runs.list(workflow, states, limit, offset)

    def task_attempts(self, run_id: int, task_id: str) -> list[TaskAttempt]:
        self._settle()
        return self.store.runs.attempts(run_id, task_id)

    def wait_run(self, run_id: int, timeout: float | None = None) -> Run:
        """Block until a run driven by this process (or waiting here to be started) has
        ended; return it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while run_id in self._waiting:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._waiting_changed.wait(left)
            thread = self._threads.get(run_id)
        if thread is not None:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return self.store.runs.get(run_id)

    def request_stop(self, run_id: int) -> None:
        """Ask a run to stop and return at once: running tasks are ended (their whole
        process tree), the rest cancelled — by this process, or by the process on this
        machine that drives the run. A run still waiting to start is cancelled."""
        if not self._stop_here(run_id):
            self._stop_elsewhere(run_id, wait=False)

    def stop_run(self, run_id: int) -> Run:
        """Stop a run and wait until it has ended."""
        if not self._stop_here(run_id):
            self._stop_elsewhere(run_id, wait=True)
            return self.get_run(run_id)
        return self.wait_run(run_id)

    def _stop_here(self, run_id: int) -> bool:
        """Stop a run this process drives, or cancel one waiting here to be started.
        False when this process has no such run."""
        if self._cancel_waiting(run_id, "cancelled before it started"):
            return True
        return self._engine is not None and self._engine.stop(run_id)

    def _cancel_waiting(self, run_id: int, message: str) -> bool:
        """Cancel a run waiting here to be started (it and its tasks); False when none
        waits under that id."""
        with self._lock:
            plan = self._waiting.pop(run_id, None)
            self._waiting_changed.notify_all()
        if plan is None:
            return False
        if self.store.runs.cancel_queued(run_id, message):
            change = RunChange(run_id, RunState.CANCELLED, _utcnow(), message,
                               workflow=plan.workflow.name)
            self._notify(change)
            self._relayed().send([change])
        return True

    def _stop_elsewhere(self, run_id: int, wait: bool) -> None:
        """Ask the process that drives ``run_id`` (its owner) to stop it. A run whose
        driver has died is marked interrupted instead (what a restart would do)."""
        run = self.store.runs.get(run_id)
        if run.state.finished:
            raise Conflict(f"run {run_id} has already ended ({run.state.value})")
        host, _, pid = (self.store.runs.owner(run_id) or "").rpartition(":")
        if host != socket.gethostname() or not pid.isdigit():
            raise Conflict(f"run {run_id} is driven on {host or 'an unknown machine'}; "
                           "stop it there")
        try:
            answer = ask_to_stop(self.data_dir, int(pid), run_id, wait, STOP_PATIENCE)
        except Unreachable:
            if run_id in self.mark_interrupted():
                return
            raise Conflict(f"run {run_id} is driven by process {pid}, which takes no stop "
                           "requests (an older jupyter-batch?); stop it there") from None
        except TimeoutError:
            raise Conflict(f"asked process {pid} to stop run {run_id}; it has not ended "
                           f"within {STOP_PATIENCE:g} s") from None
        if answer is None:  # it ended meanwhile, or was never driven there
            run = self.store.runs.get(run_id)
            if run.state.finished:
                raise Conflict(f"run {run_id} has already ended ({run.state.value})")
            raise Conflict(f"run {run_id} is not driven by its owner, process {pid}; "
                           "recover it once that process has ended")

    def _rerun(self, run_id: int, choose: Callable[[Run], set[str]], forced: set[str],
               preview: bool, latest: bool = False) -> RerunPlan:
        """Read the run, choose its nodes, and start them — as one step, so two reruns
        asked at once cannot both plan from the same states."""
        with self._rerun_lock:
            run = self.store.runs.get(run_id)
            nodes = choose(run)
            if preview or not nodes:  # a preview is a question, asked at any time
                return RerunPlan(run.id, _in_order(run, nodes), started=False)
            with self._lock:
                driving = run_id in self._threads
            busy = Conflict(f"run {run_id} is still running; wait for it or stop it")
            if driving or not run.state.finished:
                raise busy
            # another process may rerun it at the same moment: the claim decides, and the
            # plan is made from the states read after it
            if not self.store.runs.claim(run_id, this_process()):
                raise busy
            run = self.store.runs.get(run_id)
            nodes = choose(run)
            definition = run.definition
            if latest:
                definition = repin_resources(definition, nodes,
                                             self.store.resources.latest_version)
                self.store.runs.set_definition(run.id, definition)
            self._start(RunPlan(
                run_id=run.id, workflow=definition, logical_date=run.logical_date,
                trigger=run.trigger, params=run.params, selected=nodes,
                states={t.task_id: t.state for t in run.tasks},
                attempts={t.task_id: t.attempt for t in run.tasks},
                outputs={t.task_id: t.outputs for t in run.tasks if t.outputs},
                forced=forced, cycle=run.cycle))
        return RerunPlan(run.id, _in_order(run, nodes), started=True)

    def rerun(self, run_id: int, task_id: str, downstream: bool = False,
              preview: bool = False, latest: bool = False) -> RerunPlan:
        """Rerun one task of a finished run — alone, or with everything below it that
        relations with ``rerun`` on reach. ``preview`` only says which tasks would run.
        The run's pinned resource versions are used unless ``latest``: then the tasks
        that run again use the latest version of their resources (a fixed script)."""
        return self._rerun(run_id, lambda run: rerun_nodes(run.definition, task_id, downstream),
                           {task_id}, preview, latest)

    def recover(self, run_id: int, preview: bool = False, latest: bool = False) -> RerunPlan:
        """Rerun every task that failed, was cancelled or left unfinished, and what
        depends on them (with the latest resource versions if ``latest``)."""
        return self._rerun(run_id, lambda run: recover_nodes(
            run.definition, {t.task_id: t.state for t in run.tasks}), set(), preview, latest)

    def read_log(self, run_id: int, task_id: str, attempt: int | None = None,
                 offset: int = 0, limit: int = 1 << 20) -> LogChunk:
        """Part of a task attempt's log from ``offset`` (the latest attempt by default)."""
        attempts = self.task_attempts(run_id, task_id)
        if not attempts:
            raise NotFound(f"task {task_id!r} of run {run_id} has not run yet")
        chosen = attempts[-1] if attempt is None else next(
            (a for a in attempts if a.attempt == attempt), None)
        if chosen is None:
            raise NotFound(f"task {task_id!r} of run {run_id} has no attempt {attempt} "
                           f"(attempts: 1..{attempts[-1].attempt})")
        if offset < 0:
            raise InvalidInput("log offset must not be negative")
        data = b""
        if chosen.log_path:
            with contextlib.suppress(FileNotFoundError), open(chosen.log_path, "rb") as f:
                # past the end there is nothing yet (seeking far beyond it is EINVAL)
                if offset < os.fstat(f.fileno()).st_size:
                    f.seek(offset)
                    data = _whole_characters(f.read(limit))
        return LogChunk(text=data.decode("utf-8", errors="replace"), offset=offset,
                        next_offset=offset + len(data),
                        complete=chosen.state != TaskState.RUNNING, attempt=chosen.attempt)

    def notebook_output(self, run_id: int, task_id: str, attempt: int | None = None,
                        html: bool = False) -> tuple[int, str]:
        """The executed notebook of a notebook task's attempt (the latest by default), as
        ipynb JSON or exported to HTML; with the attempt number."""
        attempts = self.store.runs.attempts(run_id, task_id)
        chosen = attempts[-1].attempt if attempts and attempt is None else attempt
        path = Path(RunFolders(self.data_dir / "runs" / str(run_id)).attempt(
            task_id, chosen or 0).notebook)
        if chosen is None or not path.is_file():
            raise NotFound(f"task {task_id!r} of run {run_id} has no executed notebook"
                           + (f" for attempt {chosen}" if chosen else ""))
        text = path.read_text(encoding="utf-8")
        if not html:
            return chosen, text
        import nbformat
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nbformat.reads(text, as_version=4))
        return chosen, body

    def _recorded_pids(self, run_id: int) -> list[int]:
        path = RunFolders(self.data_dir / "runs" / str(run_id)).pids
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [int(line.rsplit(" ", 1)[1]) for line in lines if line.rsplit(" ", 1)[-1].isdigit()]

    def mark_interrupted(self) -> list[int]:
        """Mark runs left in flight by a process that has died as interrupted (their
        unfinished tasks failed), so they can be recovered. Returns their ids."""
        marked = []
        for run_id, owner in self.store.runs.in_flight():
            if owner == this_process() or _owner_alive(owner):
                continue
            self._end_and_mark(run_id, f"interrupted: the process driving it ({owner}) "
                                       "ended; recover it to go on")
            marked.append(run_id)
        return marked

    # --- scheduling ------------------------------------------------------------------
    # The service is the scheduler's host (``scheduler.SchedulerHost``). It never starts a
    # scheduler by itself, so CLI commands stay fast: the server extension (or a standalone
    # command) calls ``start_scheduler``.

    _scheduler: Scheduler | None = None

    def start_scheduler(self, lease_seconds: float = SCHEDULER_LEASE) -> Scheduler:
        """Start the thread that runs published workflows on their schedules (once; later
        calls return the running one). ``close`` stops it.

        Of all the schedulers sharing this store, only the holder of the database lease
        "scheduler" starts runs; a holder that stops renewing loses it ``lease_seconds``
        after its last renewal, and another takes over (see ``scheduler``)."""
        with self._lock:
            if self._scheduler is None:
                lease = Lease(self.store.leases, SCHEDULER_LEASE_NAME, self._lease_holder,
                              lease_seconds)
                self._scheduler = Scheduler(self, leadership=lease)
                self._scheduler.start()
            scheduler = self._scheduler
        self._observe()  # a workflow published elsewhere wakes it
        return scheduler

    def scheduler_status(self) -> SchedulerStatus:
        """Which scheduler leads this store now, and whether it is this process's."""
        state = self.store.leases.state(SCHEDULER_LEASE_NAME)
        return SchedulerStatus(
            leader=state.holder if state else None,
            leading_for=state.held_for if state else None,
            running_here=self._scheduler is not None,
            leads_here=state is not None and state.holder == self._lease_holder)

    def _stop_scheduler(self) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.stop()

    def _wake_scheduler(self) -> None:
        """What is scheduled, or which runs are active, has changed."""
        scheduler = self._scheduler
        if scheduler is not None:
            scheduler.wake()

    def scheduled_workflows(self) -> list[ScheduledWorkflow]:
        last, live = self.store.runs.last_cycles(), self.store.workflows.live_since()
        return [ScheduledWorkflow(v.name, v.definition.schedule, v.published_at,
                                  last.get(v.name), live.get(v.name))
                for v in self.store.workflows.published() if v.definition.schedule]

    def active_scheduled_runs(self, workflow: str) -> int:
        return self.store.runs.count_active(workflow, "schedule")

    def look_after_runs(self) -> None:
        self.mark_interrupted()

    def start_scheduled_run(self, workflow: str, cycle: str, logical_date: str) -> bool:
        """Start the current version for ``cycle``; False when the cycle has a run already
        (the database refused a second one) or the workflow is no longer scheduled."""
        current = self.store.workflows.published(workflow)
        if not current or current[0].definition.schedule is None:
            return False
        try:
            self._new_run(current[0].definition, current[0].version, logical_date,
                          "schedule", None, cycle=cycle)
        except Conflict:
            return False
        return True

    # --- warehouse -------------------------------------------------------------------

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(self.warehouse_path)

    def warehouse_tables(self) -> list[TableInfo]:
        """Every table of the warehouse with its row count."""
        return self.warehouse.tables()

    def warehouse_preview(self, table: str, limit: int = 20) -> QueryResult:
        """The first rows of a table."""
        return self.warehouse.preview(table, limit)

    def warehouse_query(self, sql: str, limit: int = 1000) -> QueryResult:
        """Run one read-only query on the warehouse."""
        return self.warehouse.query(sql, limit)


def _refuse_library(name: str) -> None:
    """Conflict for a name in the read-only library namespace, saying what to do instead."""
    if not is_library(name):
        return
    program = library.by_resource(name)
    hint = (f"to change the program, copy it into a resource of your own: jupyter batch "
            f"library copy {program.name} my_{program.name}.py" if program is not None
            else "give your resource a name without 'library/'")
    raise Conflict(f"{name!r} is in library/, the read-only namespace of the built-in "
                   f"programs; {hint}")


@functools.cache
def _package_version() -> str:
    try:
        return importlib.metadata.version("jupyter-batch")
    except importlib.metadata.PackageNotFoundError:
        return "(not installed)"


def _in_order(run: Run, nodes: set[str]) -> list[str]:
    """``nodes`` in the order of the run's definition."""
    return [n for n in run.definition.node_ids if n in nodes]


def _whole_characters(data: bytes) -> bytes:
    """``data`` without a UTF-8 character cut at its end (the next read starts there)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:
            return data
        if byte >= 0xC0:  # a lead byte: is its character complete?
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data if back >= need else data[:-back]
    return data


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)
