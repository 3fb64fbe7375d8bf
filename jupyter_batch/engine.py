"""The engine drives runs: readiness, slots, retries, timeouts, stop, reruns.

One ``Engine`` serves many runs; each ``execute(plan)`` call drives one run from the
calling thread, with an event queue (task finished, slot freed, stop requested,
reference satisfied) and timers (retry delays, reference timeouts) — it never polls.
Worker threads wait for the task processes. A worker whose process ended takes the
run's turn (a lock held only while state changes): it records the end, starts what
became ready and goes on to wait for one of the processes it started — so a run of
short tasks costs about one thread wake-up per task, as a plain loop of process starts
would. Only the thread holding a run's turn changes its state.

Every state change goes through ``_Driver._move``, which checks the allowed-transitions
table, stamps time and attempt, and reports the change. The engine never touches the
store: a ``Reporter`` persists and publishes what it reports.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import queue
import shlex
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from . import dag
from .errors import BatchError
from .model.changes import LogChange, RunChange, TaskChange
from .model.process import Limits, ProcessResult, ProcessSpec
from .model.resource import parse_ref
from .model.states import TASK_FINISHED, RunState, TaskState, can_move
from .model.variables import RunContext, builtin_variables, param_text, task_environment
from .model.workflow import Reference, Task, Workflow
from .tasks import registry
from .tasks.base import TaskContext
from .tasks.workdir import Fetch, materialise

log = logging.getLogger(__name__)
S = TaskState
_DONE_OK = frozenset({S.SUCCESS, S.SKIPPED})
_DONE_BAD = frozenset({S.FAILED, S.UPSTREAM_FAILED, S.CANCELLED})


# --- what the engine reports and is given ---------------------------------------------

class Reporter(Protocol):
    """Receives every state change of a run, in order, from the thread holding the
    run's turn (the one that called ``execute``, or a worker)."""

    def task_changed(self, change: TaskChange) -> None: ...

    def run_changed(self, change: RunChange) -> None: ...

    def log_grew(self, change: LogChange) -> None:
        """A running attempt's log grew (called from the attempt's worker thread)."""


@dataclass(frozen=True)
class Pool:
    """A "container resource": slots shared by every run, and default task limits."""

    slots: int
    timeout: float | None = None
    memory_mb: int | None = None
    cpu_seconds: int | None = None


@dataclass
class RunPlan:
    """One run to drive: its pinned definition and where every node stands.

    ``selected`` are the nodes to (re)run; the others keep ``states``. ``forced`` nodes
    run whatever their upstreams' states (a rerun of one task alone).
    """

    run_id: int
    workflow: Workflow
    logical_date: str
    trigger: str
    params: dict[str, Any]
    selected: set[str]
    states: dict[str, TaskState]
    attempts: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    forced: set[str] = field(default_factory=set)
    #: a scheduled run's cycle (tasks see it as ``BATCH_CYCLE``)
    cycle: str | None = None


# --- the engine -----------------------------------------------------------------------

class Slots:
    """Pool slots shared by all runs; a release wakes every run that waits for one."""

    def __init__(self, pools: dict[str, Pool]) -> None:
        self._free = {name: pool.slots for name, pool in pools.items()}
        self._lock = threading.Lock()
        self._waiters: list[queue.SimpleQueue[tuple[Any, ...]]] = []

    def try_take(self, pool: str) -> bool:
        with self._lock:
            if self._free[pool] > 0:
                self._free[pool] -= 1
                return True
            return False

    def give_back(self, pool: str, by: queue.SimpleQueue[tuple[Any, ...]]) -> None:
        """Free a slot and wake every other run that waits (the run ``by`` that gives it
        back looks for work next anyway)."""
        with self._lock:
            self._free[pool] += 1
            waiters = [w for w in self._waiters if w is not by]
        for events in waiters:
            events.put(("slot",))

    def watch(self, events: queue.SimpleQueue[tuple[Any, ...]]) -> None:
        with self._lock:
            self._waiters.append(events)

    def unwatch(self, events: queue.SimpleQueue[tuple[Any, ...]]) -> None:
        with self._lock:
            self._waiters.remove(events)


class Workers:
    """Threads for the engine's background work: waiting for task processes, fetching
    resources. Idle ones are reused; at most ``max_workers`` exist.

    Not a ``ThreadPoolExecutor``: that refuses new work once the interpreter begins to
    exit, so a script that started runs and ended without waiting for them left them
    broken halfway. The threads driving runs keep such a process alive until its runs
    end, and these (daemon) threads keep working for them meanwhile.
    """

    def __init__(self, max_workers: int, name: str) -> None:
        self._max = max_workers
        self._name = name
        self._jobs: queue.SimpleQueue[tuple[Callable[..., None], tuple[Any, ...]] | None] = (
            queue.SimpleQueue())
        #: one permit per idle thread, taken by the submit that hands it a job
        self._idle = threading.Semaphore(0)
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        self._jobs.put((fn, args))
        if self._idle.acquire(blocking=False):
            return
        with self._lock:
            if len(self._threads) < self._max:
                thread = threading.Thread(target=self._work, daemon=True,
                                          name=f"{self._name}_{len(self._threads)}")
                self._threads.append(thread)
                thread.start()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, args = job
            try:
                fn(*args)
            except Exception:  # the engine's jobs report their own failures: a bug
                log.exception("an engine worker's job failed")
            self._idle.release()

    def shutdown(self) -> None:
        """Let every thread finish the jobs handed to it, then end it."""
        with self._lock:
            threads = list(self._threads)
        for _ in threads:
            self._jobs.put(None)
        for thread in threads:
            thread.join()


class Engine:
    """Drives runs with an executor, reporting every change.

    ``fetch`` returns a pinned resource's verified content; ``reference_met(ref,
    logical_date)`` says whether a referenced workflow (or task) has succeeded for that
    date; call ``references_changed()`` when that may have become true.
    """

    def __init__(self, executor: Any, reporter: Reporter, run_root: Path, fetch: Fetch,
                 pools: dict[str, Pool] | None = None, python: str | None = None,
                 reference_met: Callable[[Reference, str], bool] | None = None,
                 warehouse: Path | None = None, max_workers: int = 64) -> None:
        self.executor = executor
        self.reporter = reporter
        self.run_root = run_root
        self.fetch = fetch
        self.pools = pools or {"default": Pool(slots=max(4, os.cpu_count() or 1))}
        self.slots = Slots(self.pools)
        self.python = python or sys.executable
        self.warehouse = warehouse or run_root.parent / "warehouse.duckdb"
        self.reference_met = reference_met or (lambda ref, ds: False)
        self._workers = Workers(max_workers, "batch-task")
        self._drivers: dict[int, _Driver] = {}
        self._lock = threading.Lock()

    def execute(self, plan: RunPlan) -> RunState:
        """Drive one run to its end from the calling thread (workers take turns with
        it); return its final state."""
        driver = _Driver(self, plan)
        with self._lock:
            if plan.run_id in self._drivers:
                raise BatchError(f"run {plan.run_id} is already being driven")
            self._drivers[plan.run_id] = driver
        try:
            return driver.drive()
        finally:
            with self._lock:
                del self._drivers[plan.run_id]

    def stop(self, run_id: int) -> bool:
        """Ask a run to stop: running tasks are ended, the rest cancelled. False when the
        run is not being driven here."""
        with self._lock:
            driver = self._drivers.get(run_id)
        if driver is None:
            return False
        driver.events.put(("stop",))
        return True

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        self._workers.submit(fn, *args)

    def active_runs(self) -> list[int]:
        with self._lock:
            return list(self._drivers)

    def references_changed(self) -> None:
        with self._lock:
            drivers = [d for d in self._drivers.values() if d.references]
        for driver in drivers:
            driver.events.put(("reference",))

    def shutdown(self) -> None:
        """Stop every run and wait for the workers."""
        for run_id in self.active_runs():
            self.stop(run_id)
        self._workers.shutdown()
        if hasattr(self.executor, "close"):
            self.executor.close()


def _now() -> datetime:
    return datetime.now(timezone.utc)


class AttemptPaths(NamedTuple):
    """An attempt's files, as plain strings: the engine makes and names them for every
    task, and joining pathlib paths costs several microseconds each."""

    workdir: str
    log: str
    outputs: str
    notebook: str
    #: where the task may say in one line why it failed (``task.set_failure``)
    failure: str


@dataclass(frozen=True)
class RunFolders:
    """Where a run's attempts keep their files. A few folders per run, made once, and
    one working directory per attempt: directory creation is a real cost per task."""

    root: Path

    def create(self) -> None:
        for folder in self._folders:
            folder.mkdir(parents=True, exist_ok=True)

    def open_pids(self) -> int:
        """The pids file, opened once per drive: an O_APPEND write of one line is atomic
        and costs far less than opening a file per attempt."""
        return os.open(self.pids, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    @cached_property
    def _folders(self) -> tuple[Path, Path, Path, Path]:
        return (self.root / "work", self.root / "logs", self.root / "outputs",
                self.root / "notebooks")

    @cached_property
    def _prefixes(self) -> tuple[str, ...]:
        return tuple(f"{folder}{os.sep}" for folder in self._folders)

    def attempt(self, task: str, attempt: int) -> AttemptPaths:
        stem = f"{task}.{attempt}"
        work, logs, outputs, notebooks = self._prefixes
        return AttemptPaths(f"{work}{stem}", f"{logs}{stem}.log", f"{outputs}{stem}.txt",
                            f"{notebooks}{stem}.ipynb", f"{outputs}{stem}.failure.txt")

    @property
    def pids(self) -> Path:
        """One line per attempt started, ``<task>.<attempt> <process group>``, so a
        restart can end what a crashed driver left running."""
        return self.root / "pids.txt"


class _Driver:
    """Drives one run; its state is changed only by the thread holding ``turn``.

    Readiness is incremental: each pending node counts the upstreams it still waits
    for, and a node that finishes decrements its downstreams' counts, so the work per
    event is proportional to the edges it touches, not to the size of the run.
    """

    def __init__(self, engine: Engine, plan: RunPlan) -> None:
        self.engine = engine
        self.plan = plan
        wf = plan.workflow
        self.wf = wf
        self.events: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self.state: dict[str, TaskState] = dict(plan.states)
        nodes, edges = wf.node_ids, wf.edges  # both are built on each access
        self.attempt: dict[str, int] = {n: plan.attempts.get(n, 0) for n in nodes}
        #: attempts made before this drive: a rerun gets its task's retries afresh
        self.earlier_attempts = dict(self.attempt)
        self.outputs = {k: dict(v) for k, v in plan.outputs.items()}
        self.upstreams: dict[str, list[str]] = {n: [] for n in nodes}
        self.downstreams: dict[str, list[str]] = {n: [] for n in nodes}
        for u, v in edges:
            self.upstreams[v].append(u)
            self.downstreams[u].append(v)
        self.order = dag.topological_order(nodes, edges)
        self.rank = {n: i for i, n in enumerate(self.order)}
        self.tasks = {t.id: t for t in wf.tasks}
        self.references = {r.id: r for r in wf.references}
        self.ctx = RunContext(workflow=wf.name, run_id=plan.run_id,
                              logical_date=plan.logical_date, trigger=plan.trigger,
                              cycle=plan.cycle)
        self.max_parallel = wf.max_parallel or 1_000_000
        self.waiting_on: dict[str, int] = {}
        self.unfinished = 0
        self.ready: dict[str, list[tuple[int, str]]] = {}  # pool -> heap of (rank, task)
        self.running: dict[str, Any] = {}  # task id -> execution (None until started)
        self.pool_of: dict[str, str] = {}
        self.timers: list[tuple[float, int, str, str]] = []  # (due, seq, kind, node)
        self._seq = itertools.count()
        self.stopping = False
        #: nothing new starts and nothing retries (a stop, or the "stop" failure strategy)
        self.halted = False
        self.lock = threading.Lock()  # guards `running` and `stopping` against workers
        #: held by the one thread changing the run's state: the calling thread, or a
        #: worker that takes over to record its attempt's end
        self.turn = threading.Lock()
        #: attempts started during the current turn, to be handed out to workers
        self.started: list[tuple[Any, ...]] = []
        #: when the calling thread wakes up by itself (None: only for an event)
        self.sleep_until: float | None = None
        self.folders = RunFolders(engine.run_root / str(plan.run_id))
        self.pids_fd = -1
        #: the drive failed (a bug): workers still watching a process report nothing more
        self.broken = False

    # --- state changes ---------------------------------------------------------------

    def _move(self, node: str, new: TaskState, **fields: Any) -> None:
        """The one place a node changes state: checked, stamped, reported."""
        old = self.state.get(node, S.PENDING)
        if not can_move(old, new):
            raise BatchError(f"run {self.plan.run_id}: task {node!r} cannot move from "
                             f"{old.value} to {new.value}")
        self.state[node] = new
        self.engine.reporter.task_changed(TaskChange(
            run_id=self.plan.run_id, task_id=node, state=new, attempt=self.attempt[node],
            at=_now(), workflow=self.wf.name, **fields))
        if new in TASK_FINISHED:
            self._finished_node(node)

    def _run_changed(self, state: RunState, message: str | None = None) -> None:
        self.engine.reporter.run_changed(RunChange(self.plan.run_id, state, _now(), message,
                                                   workflow=self.wf.name))

    # --- the loop --------------------------------------------------------------------

    def drive(self) -> RunState:
        self.engine.slots.watch(self.events)
        try:
            with self.turn:
                self._run_changed(RunState.RUNNING)
                self.folders.create()
                self.pids_fd = self.folders.open_pids()
                self._begin()
                self._start_ready()
                started, self.started = self.started, []
            self._hand_out(started)
            while True:
                with self.turn:
                    if not (self.unfinished or self.running):
                        final = self._final_state()
                        self._run_changed(final)
                        return final
                    self.sleep_until = self.timers[0][0] if self.timers else None
                timeout = None if self.sleep_until is None else max(
                    0.0, self.sleep_until - time.monotonic())
                try:
                    event = self.events.get(timeout=timeout)
                except queue.Empty:
                    event = None
                if event is not None and event[0] == "error":
                    raise event[1]
                with self.turn:
                    if event is not None:
                        self._handle(event)
                    self._fire_timers()
                    self._start_ready()
                    started, self.started = self.started, []
                self._hand_out(started)
        except BaseException:
            with self.turn:  # a worker in its turn finishes it; none takes another
                self.broken = True
            raise
        finally:
            self.engine.slots.unwatch(self.events)
            if self.pids_fd >= 0:
                os.close(self.pids_fd)

    def _hand_out(self, started: list[tuple[Any, ...]]) -> None:
        for attempt in started:
            self.engine.submit(self._watch, *attempt)

    def _take_turn(self, event: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """On a worker, for an attempt that ended: handle ``event`` in the driver's stead
        (waiting for the turn: it is held only while state changes, never while anyone
        waits for a process), and start what became ready. Returns one attempt just
        started, for this worker to watch."""
        self.turn.acquire()
        try:
            if self.broken:
                return None
            self._handle(event)
            self._fire_timers()
            self._start_ready()
            started, self.started = self.started, []
            # the calling thread sleeps until an event or its earliest timer: tell it
            # when the run is over or a timer now comes sooner
            wake = not (self.unfinished or self.running) or bool(self.timers and (
                self.sleep_until is None or self.timers[0][0] < self.sleep_until))
        except BaseException as exc:  # a bug: the calling thread raises it, as its own
            self.events.put(("error", exc))
            return None
        finally:
            self.turn.release()
        if wake:
            self.events.put(("wake",))
        self._hand_out(started[1:])
        return started[0] if started else None

    def _begin(self) -> None:
        selected = [n for n in self.order if n in self.plan.selected]
        for node in selected:
            if self.state.get(node, S.PENDING) != S.PENDING:
                self._move(node, S.PENDING)
        self.unfinished = len(selected)
        self._warm_up(selected)
        for node in selected:
            self.waiting_on[node] = sum(1 for u in self.upstreams[node]
                                        if u in self.plan.selected)
        for node in selected:
            if self.waiting_on[node] == 0 and self.state[node] == S.PENDING:
                self._resolve(node)

    def _warm_up(self, nodes: list[str]) -> None:
        """Let the executor prepare warm workers now for the tasks that can use them."""
        warm_up = getattr(self.engine.executor, "warm_up", None)
        if warm_up is None:
            return
        modules = set()
        for node in nodes:
            task = self.tasks.get(node)
            if task is not None:
                with contextlib.suppress(BatchError):
                    modules.add(registry.task_type(task.type).warm_module(task))
        for module in modules - {None}:
            warm_up(module)

    def _finished_node(self, node: str) -> None:
        if node not in self.plan.selected:
            return
        self.unfinished -= 1
        for down in self.downstreams[node]:
            if down in self.waiting_on and self.state[down] == S.PENDING:
                self.waiting_on[down] -= 1
                if self.waiting_on[down] == 0:
                    self._resolve(down)

    def _final_state(self) -> RunState:
        if self.stopping:
            return RunState.CANCELLED
        if all(self.state.get(n) in _DONE_OK for n in self.wf.node_ids):
            return RunState.SUCCESS
        return RunState.FAILED

    def _handle(self, event: tuple[Any, ...]) -> None:
        kind = event[0]
        if kind == "done":
            self._finish_attempt(event[1], event[2])
        elif kind == "reference":
            for node in self.references:
                if self.state.get(node) == S.WAITING and self.engine.reference_met(
                        self.references[node], self.plan.logical_date):
                    self._reference_met(node)
        elif kind == "stop" and not self.stopping:
            with self.lock:
                self.stopping = True
                executions = list(self.running.values())
            for execution in executions:
                if execution is not None:
                    execution.kill("stopped")
            self._cancel_waiting("run stopped")

    def _cancel_waiting(self, message: str) -> None:
        # downstream first: cancelling an upstream first would resolve its pending
        # downstream to upstream_failed before the loop reached it
        self.halted = True
        for node in reversed(self.order):
            if node in self.plan.selected and self.state[node] in (
                    S.PENDING, S.WAITING, S.QUEUED, S.RETRYING):
                self._move(node, S.CANCELLED, message=message)
        self.ready.clear()

    def _fire_timers(self) -> None:
        now = time.monotonic()
        while self.timers and self.timers[0][0] <= now:
            _, _, kind, node = heapq.heappop(self.timers)
            if kind == "retry" and self.state[node] == S.RETRYING:
                self._queue(node)
            elif kind == "reference" and self.state[node] == S.WAITING:
                ref = self.references[node]
                self._move(node, S.FAILED, message=f"{_referenced(ref)} did not succeed "
                           f"for {self.plan.logical_date} within {ref.timeout:g} s")
                self._after_failure()

    def _timer(self, delay: float, kind: str, node: str) -> None:
        heapq.heappush(self.timers, (time.monotonic() + delay, next(self._seq), kind, node))

    # --- readiness -------------------------------------------------------------------

    def _resolve(self, node: str) -> None:
        """Every upstream of ``node`` has finished: queue it, wait for its reference, or
        mark it upstream_failed."""
        if node not in self.plan.forced and any(
                self.state.get(u, S.PENDING) not in _DONE_OK for u in self.upstreams[node]):
            self._move(node, S.UPSTREAM_FAILED, message="an upstream task did not succeed")
            return
        if node in self.references:
            ref = self.references[node]
            if self.engine.reference_met(ref, self.plan.logical_date):
                self._move(node, S.WAITING)
                self._reference_met(node)
            else:
                self._move(node, S.WAITING, message=f"waiting for {_referenced(ref)} "
                                                    f"to succeed for {self.plan.logical_date}")
                if ref.timeout:
                    self._timer(ref.timeout, "reference", node)
            return
        self._queue(node)

    def _reference_met(self, node: str) -> None:
        self._move(node, S.SUCCESS, message=f"{_referenced(self.references[node])} "
                                            f"succeeded for {self.plan.logical_date}")

    def _pool(self, task: Task) -> str:
        return task.pool or self.wf.pool or "default"

    def _queue(self, node: str) -> None:
        pool = self._pool(self.tasks[node])
        self._move(node, S.QUEUED)
        if pool not in self.engine.pools:
            self._move(node, S.FAILED, message=f"unknown pool {pool!r} (pools: "
                                               f"{', '.join(sorted(self.engine.pools))})")
            self._after_failure()
            return
        heapq.heappush(self.ready.setdefault(pool, []), (self.rank[node], node))

    def _start_ready(self) -> None:
        """Start queued tasks, upstream-most first, while the run and pools have room."""
        if self.stopping:
            return
        while len(self.running) < self.max_parallel:
            heads = sorted((heap[0], pool) for pool, heap in self.ready.items() if heap)
            started = False
            for (_rank, node), pool in heads:
                if self.engine.slots.try_take(pool):
                    heapq.heappop(self.ready[pool])
                    self._start(node, pool)
                    started = True
                    break
            if not started:
                return

    def _start(self, node: str, pool: str) -> None:
        """Start an attempt. A task with nothing to fetch is started right here, so the
        next task of a chain starts without waiting for another thread; fetching and
        unpacking resources can take a while, so a worker does that and starts it."""
        task = self.tasks[node]
        self.pool_of[node] = pool
        self.attempt[node] += 1
        attempt = self.attempt[node]
        paths = self.folders.attempt(node, attempt)
        builtins, params = self._values(task, attempt)
        self._move(node, S.RUNNING, attempt_started=True, log_path=paths.log)
        started = time.monotonic()
        with self.lock:
            self.running[node] = None
        if task.resource or task.files:
            self.engine.submit(self._fetch_and_run, task, attempt, paths, builtins, params,
                               started)
            return
        try:
            execution = self._launch(task, attempt, paths, builtins, params)
        except Exception as exc:
            self.events.put(self._ended(node, paths, _failure(exc, paths.log), started))
            return
        with self.lock:
            self.running[node] = execution
        self.started.append((node, attempt, paths, execution, started))

    # --- one attempt -------------------------------------------------------------------

    def _limits(self, task: Task) -> Limits:
        pool = self.engine.pools[self._pool(task)]
        return Limits(timeout=task.timeout if task.timeout is not None else pool.timeout,
                      memory_mb=task.memory_mb or pool.memory_mb,
                      cpu_seconds=task.cpu_seconds or pool.cpu_seconds)

    def _values(self, task: Task, attempt: int) -> tuple[dict[str, str], dict[str, Any]]:
        builtins = builtin_variables(self.ctx, task.id, attempt)
        params: dict[str, Any] = {}
        if self.outputs:
            for up in dag.ancestors(self.upstreams, task.id) & self.outputs.keys():
                for key, value in self.outputs[up].items():
                    params[f"{up}.{key}"] = value
        params.update(self.wf.params or {})
        params.update(task.params or {})
        params.update(self.plan.params)
        return builtins, params

    def _launch(self, task: Task, attempt: int, paths: AttemptPaths,
                builtins: dict[str, str], params: dict[str, Any]) -> Any:
        """Make the working directory, place the resources, start the process."""
        node = task.id
        try:
            os.mkdir(paths.workdir)
        except FileExistsError:  # left by a driver that died before recording it
            os.rename(paths.workdir, f"{paths.workdir}.crashed-{time.time_ns()}")
            os.mkdir(paths.workdir)
        workdir = Path(paths.workdir)
        refs = ([task.resource] if task.resource else []) + list(task.files or [])
        placed = materialise(refs, self.engine.fetch, workdir) if refs else {}
        env = task_environment(builtins, params)
        env["BATCH_OUTPUT"] = paths.outputs
        env["BATCH_FAILURE"] = paths.failure
        env["BATCH_WAREHOUSE"] = str(self.engine.warehouse)
        # built-ins win: a parameter never changes what ${ds} means
        values = {**{k: param_text(v) for k, v in params.items()}, **builtins}
        main = placed.get(parse_ref(task.resource).name) if task.resource else None
        ctx = TaskContext(task=task, workdir=workdir, log_path=Path(paths.log), env=env,
                          values=values, builtins=builtins, params=params,
                          resource_path=main, limits=self._limits(task),
                          python=self.engine.python, output_path=Path(paths.notebook),
                          warehouse=self.engine.warehouse)
        spec: ProcessSpec = registry.task_type(task.type).build(ctx)
        versions = f"# resources: {' '.join(refs)}\n" if refs else ""
        spec = replace(spec, log_header=(
            f"# jupyter-batch: run {self.plan.run_id}, task {node}, attempt {attempt}\n"
            f"{versions}# command: {shlex.join(spec.argv)[:500]}\n"),
            pool=self._pool(task), run_folder=self.folders.root,
            returns=(*spec.returns, Path(paths.outputs), Path(paths.failure)))
        execution = self.engine.executor.start(spec)
        os.write(self.pids_fd, f"{node}.{attempt} {execution.pid}\n".encode())
        return execution

    def _fetch_and_run(self, task: Task, attempt: int, paths: AttemptPaths,
                       builtins: dict[str, str], params: dict[str, Any],
                       started: float) -> None:
        """On a worker: an attempt whose resources must be fetched first."""
        node = task.id
        try:
            if self.stopping:
                raise _Stopped
            # started outside the lock (this takes a while); a stop that came in
            # meanwhile is applied right after
            execution = self._launch(task, attempt, paths, builtins, params)
        except _Stopped:
            result = ProcessResult(exit_code=None, ended_by="stopped")
            self.events.put(self._ended(node, paths, result, started))
            return
        except Exception as exc:
            self.events.put(self._ended(node, paths, _failure(exc, paths.log), started))
            return
        with self.lock:
            self.running[node] = execution
            stopped = self.stopping
        if stopped:
            execution.kill("stopped")
        self._watch(node, attempt, paths, execution, started)

    def _watch(self, node: str, attempt: int, paths: AttemptPaths, execution: Any,
               started: float) -> None:
        """On a worker: wait for a started attempt's process to end, record it, and go
        on with an attempt that its end let start, if there is one."""
        while True:
            try:
                result = execution.wait(tick=self._log_watch(node, attempt, paths.log))
            except Exception as exc:
                result = _failure(exc, paths.log)
            following = self._take_turn(self._ended(node, paths, result, started))
            if following is None:
                return
            node, attempt, paths, execution, started = following

    def _ended(self, node: str, paths: AttemptPaths, result: ProcessResult,
               started: float) -> tuple[Any, ...]:
        """Close the attempt's log; the event that tells the driver."""
        outcome = result.ended_by or _exit_message(result.exit_code,
                                                   time.monotonic() - started)
        _append(paths.log, f"# jupyter-batch: {outcome}\n")
        if result.exit_code and not result.ended_by:
            reason = _read_failure(paths.failure)
            outcome = f"{outcome}: {reason}" if reason else outcome
        return ("done", node, (result, _read_outputs(paths.outputs), outcome))

    def _log_watch(self, node: str, attempt: int, log_path: str) -> Callable[[], None]:
        """What a worker does each second while its process runs: tell when the log grew
        (one stat; a follower then reads only the new part)."""
        seen = 0

        def tick() -> None:
            nonlocal seen
            try:
                size = os.stat(log_path).st_size
            except OSError:
                return
            if size > seen:
                seen = size
                self.engine.reporter.log_grew(LogChange(
                    run_id=self.plan.run_id, task_id=node, attempt=attempt, at=_now(),
                    size=size, workflow=self.wf.name))

        return tick

    def _finish_attempt(self, node: str, payload: tuple[ProcessResult, dict[str, str],
                                                         str]) -> None:
        result, outputs, outcome = payload
        with self.lock:
            self.running.pop(node, None)
        self.engine.slots.give_back(self.pool_of.pop(node), by=self.events)
        task = self.tasks[node]
        fields: dict[str, Any] = {"attempt_ended": True, "exit_code": result.exit_code}
        if result.exit_code == 0 and result.ended_by is None:
            if outputs:
                self.outputs[node] = outputs
            self._move(node, S.SUCCESS, outputs=outputs, **fields)
            return
        if result.ended_by == "stopped" or self.stopping:
            self._move(node, S.CANCELLED, message="stopped", **fields)
            return
        message = outcome
        retries = task.retries or 0
        used = self.attempt[node] - self.earlier_attempts[node]
        if used <= retries and not self.halted:
            self._move(node, S.RETRYING, message=f"{message}; retrying "
                       f"({used} of {retries + 1} attempts used)", **fields)
            if task.retry_delay:
                self._timer(task.retry_delay, "retry", node)
            else:
                self._queue(node)
            return
        self._move(node, S.FAILED, message=message, **fields)
        self._after_failure()

    def _after_failure(self) -> None:
        if self.wf.strategy == "stop":
            self._cancel_waiting("cancelled: a task failed and the failure strategy is 'stop'")


class _Stopped(Exception):
    pass


def _referenced(ref: Reference) -> str:
    """What a reference waits for: ``workflow 'a'`` or ``task 't' of workflow 'a'``."""
    return f"{f'task {ref.task!r} of ' if ref.task else ''}workflow {ref.workflow!r}"


def _exit_message(code: int | None, elapsed: float) -> str:
    if code is not None and code < 0:
        import signal

        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return f"killed by {name} after {elapsed:.1f} s"
    return f"exited with code {code} after {elapsed:.1f} s"


def _failure(exc: Exception, log_path: str) -> ProcessResult:
    """An attempt that could not start or be watched: a failed result, told in its log.
    A failure is a result: a bug never loses the run."""
    if isinstance(exc, (BatchError, OSError)):
        message = str(exc)
        _append(log_path, f"jupyter-batch: {exc}\n")
    else:
        message = f"internal error: {exc!r}"
        _append(log_path, f"jupyter-batch: {message}\n")
    return ProcessResult(exit_code=None, ended_by=message)


def _append(path: str, text: str) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    try:
        fd = os.open(path, flags, 0o644)
    except FileNotFoundError:  # the run's folders went missing: still tell what happened
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, flags, 0o644)
    try:
        os.write(fd, text.encode("utf-8", errors="replace"))
    finally:
        os.close(fd)


def _read_failure(path: str) -> str:
    """What the task said of why it failed (``task.set_failure``): its first line, cut."""
    if not os.access(path, os.F_OK):  # most failures say nothing more
        return ""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.readline(501).strip()[:500]
    except OSError:
        return ""


def _read_outputs(path: str) -> dict[str, str]:
    """``key=value`` lines a task appended to ``$BATCH_OUTPUT``; the last value wins."""
    if not os.access(path, os.F_OK):  # most tasks write none: no exception to raise
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return {}
    outputs = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            outputs[key.strip()] = value
    return outputs
