"""The Dask executor: task processes run on the workers of a ``distributed`` cluster.

``c.BatchApp.executor = "dask"`` with ``c.BatchApp.dask_address`` naming the scheduler
(``tcp://host:8786``), or ``"local-cluster"`` to start a ``LocalCluster`` of two worker
processes on this machine (``local_cluster``), closed with the service. Workers need
jupyter-batch (and whatever the tasks run) installed; they need no disk in common with
the engine. A running task holds one worker thread.

Each attempt becomes one Dask task (``dask_worker.run_attempt``), which runs the
process on its worker with the local executor's code — same process group, limits,
timeout and ending of the whole tree. This side:

- ships the attempt's working directory as bytes, and writes back the files the engine
  reads afterwards (``ProcessSpec.returns``) before ``wait`` returns;
- appends the log as it arrives (events on a topic of this executor's own, handled on
  the client's event loop, no polling) to the attempt's log file here, so following a
  log and the engine's "log grew" events work as with local processes;
- asks for a stop through the attempt's ``distributed.Event``, which a thread on the
  worker waits on; an attempt still waiting for a worker is cancelled instead;
- maps pools to worker resources: a task of pool P asks for one unit of resource P
  when some worker declares P (``dask worker --resources "P=4"``), so it runs only on
  those; pools no worker declares run anywhere. The engine's pool slots still cap how
  many tasks of a pool run at once;
- turns the loss of the worker running an attempt into a failed attempt ("worker
  tcp://… died while running the task"), which the task's retry policy then handles:
  the scheduler's "remove-worker" event ends it at once, even when no other worker
  could take the task. Dask itself would run the task again on another worker; that
  run is cancelled, and should it start all the same it finds the attempt claimed and
  starts nothing (see ``dask_worker``).

An attempt waiting for a worker counts as running (its timeout starts with its process).
The warehouse (sql and sync tasks) is a database, not a resource: workers reach it at
the engine's path, so on a cluster of several machines it must be on a shared mount.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import CancelledError
from typing import Any

import dask
from distributed import Client, Event, KilledWorker, LocalCluster

from ..errors import BatchError
from ..model.process import ProcessResult, ProcessSpec
from .dask_worker import Attempt, Outcome, claim_event, run_attempt, stop_event
from .shipping import deliver, pack

log = logging.getLogger(__name__)

LOCAL_CLUSTER = "local-cluster"
#: a working directory bigger than this goes to the cluster on its own (scattered),
#: not inside the task's description
SCATTER_OVER = 1024 * 1024


def local_cluster(n_workers: int = 2, threads_per_worker: int = 16, **kwargs: Any
                  ) -> LocalCluster:
    """A ``LocalCluster`` of worker processes that leaves this process's environment
    alone. A nanny sets ``distributed.nanny.pre-spawn-environ`` (OMP_NUM_THREADS=1 and
    other thread caps, a fixed PYTHONHASHSEED) in the environment of the process it runs
    in before it spawns a worker: in a Jupyter server, every kernel started afterwards
    would inherit them. A worker here only waits for its tasks' processes, so it needs
    none of them; PYTHONHASHSEED=random is what Python does anyway.

    A worker thread only waits for its task's process: the engine's pools, not the
    threads, decide how many tasks run; memory is capped per task, not per worker.
    """
    seed = os.environ.get("PYTHONHASHSEED", "random")
    with dask.config.set({"distributed.nanny.pre-spawn-environ": {"PYTHONHASHSEED": seed}}):
        return LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker,
                            processes=True, memory_limit=0, **kwargs)


class DaskExecution:
    """One attempt submitted to the cluster, seen from the engine."""

    #: the process runs on a worker, whose watchdog ends what a lost worker leaves
    pid = 0

    def __init__(self, executor: DaskExecutor, token: str, spec: ProcessSpec) -> None:
        self._executor = executor
        self.token = token
        self._spec = spec
        self._future: Any = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._ended_by: str | None = None
        #: the worker that started the process (told by the worker's first event)
        self.worker: str | None = None
        #: log bytes from the worker appended to the log here
        self.received = 0
        #: why the scheduler removed ``worker`` while it ran the process, if it did
        self._removed: str | None = None

    def submitted(self, future: Any) -> None:
        self._future = future
        future.add_done_callback(lambda _: self._done.set())

    def on_event(self, message: dict[str, Any]) -> None:
        """A message from the worker (on the client's event loop)."""
        if "started" in message:
            self.worker = message["started"]
        elif message["offset"] == self.received:  # never twice, never out of order
            with open(self._spec.log_path, "ab") as out:
                out.write(message["data"])
            self.received += len(message["data"])

    def worker_removed(self, why: str) -> None:
        """The scheduler removed the worker running the process (on the client's event
        loop): the attempt is over, whether or not Dask finds another worker."""
        self._removed = why
        self._done.set()

    def kill(self, reason: str = "stopped") -> None:
        """Tell the worker to end the process tree; an attempt no worker has started
        yet is cancelled."""
        with self._lock:
            if self._ended_by is not None:
                return
            self._ended_by = reason
        try:
            self._executor.stop_event(self.token).set()
        except OSError as exc:  # the scheduler is gone: so is the task
            log.warning("could not ask the Dask cluster to stop a task: %s", exc)
        if self.worker is None:
            self._future.cancel()

    def wait(self, tick: Callable[[], None] | None = None, every: float = 1.0
             ) -> ProcessResult:
        while not self._done.wait(every if tick is not None else None):
            if tick is not None:
                tick()
        try:
            return self._result()
        finally:
            self._executor.forget(self)

    def _lost(self) -> str:
        if self.worker is None:
            return "the worker running the task died"
        return f"worker {self.worker} {self._removed or 'died'} while running the task"

    def _result(self) -> ProcessResult:
        if self._removed is not None and not self._future.done():
            # Dask would run it again elsewhere: drop that (its claim stays on the
            # scheduler, so a run that starts all the same starts nothing)
            self._future.cancel()
            return ProcessResult(exit_code=None, ended_by=self._lost())
        try:
            outcome: Outcome = self._future.result()
        except CancelledError:  # its events stay: a worker may yet pick it up and stop
            return ProcessResult(exit_code=None, ended_by=self._ended_by or
                                 "the task was cancelled on the Dask cluster")
        except KilledWorker:
            self._executor.clear_events(self.token, lost=True)
            return ProcessResult(exit_code=None, ended_by=self._lost())
        except (OSError, BatchError):  # as locally: the engine logs what went wrong
            self._executor.clear_events(self.token)
            raise
        except Exception as exc:
            self._executor.clear_events(self.token)
            return ProcessResult(exit_code=None,
                                 ended_by=f"the task could not run on the cluster: {exc!r}")
        self._executor.clear_events(self.token, lost=outcome.result is None)
        if outcome.result is None:
            return ProcessResult(exit_code=None, ended_by=self._lost())
        deliver(outcome.files)
        if self.received < outcome.log_size:
            with open(self._spec.log_path, "a", encoding="utf-8") as out:
                out.write(f"\n# jupyter-batch: {outcome.log_size - self.received} bytes of "
                          f"the log were lost on the way from {outcome.worker}\n")
        return outcome.result


class DaskExecutor:
    """Runs task processes on a Dask cluster (see the module's docstring)."""

    name = "dask"

    def __init__(self, address: str = LOCAL_CLUSTER, grace: float = 3.0) -> None:
        self.grace = grace
        self._cluster: Any = None
        if address == LOCAL_CLUSTER:
            self._cluster = local_cluster(dashboard_address=":0")
            address = self._cluster.scheduler_address
        try:
            self._client = Client(address, timeout="10s", set_as_default=False)
        except OSError as exc:
            if self._cluster is not None:
                self._cluster.close()
            raise BatchError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
        self._topic = f"jupyter-batch-log-{uuid.uuid4().hex}"
        self._attempts: dict[str, DaskExecution] = {}
        self._lock = threading.Lock()
        self._client.subscribe_topic(self._topic, self._on_event)
        self._client.subscribe_topic("all", self._on_cluster_event)

    def stop_event(self, token: str) -> Event:
        return Event(stop_event(token), client=self._client)

    def clear_events(self, token: str, lost: bool = False) -> None:
        """Remove an ended attempt's events from the scheduler. A lost worker may have
        left a wait on the stop event there: setting it first ends that wait."""
        try:
            stop = self.stop_event(token)
            if lost:
                stop.set()
            stop.clear()
            Event(claim_event(token), client=self._client).clear()
        except OSError as exc:  # the attempt has ended all the same
            log.warning("could not remove a task's events from the Dask scheduler: %s", exc)

    def _on_event(self, event: tuple[float, dict[str, Any]]) -> None:
        message = event[1]
        with self._lock:
            execution = self._attempts.get(message["token"])
        if execution is not None:  # else an attempt that has ended: too late
            execution.on_event(message)

    def _on_cluster_event(self, event: tuple[float, dict[str, Any]]) -> None:
        """The scheduler's own events: a worker removed ends the attempts it ran."""
        message = event[1]
        if message.get("action") != "remove-worker":
            return
        why = "was retired" if message.get("expected") else "died"
        with self._lock:
            lost = [e for e in self._attempts.values() if e.worker == message["worker"]]
        for execution in lost:
            execution.worker_removed(why)

    def forget(self, execution: DaskExecution) -> None:
        with self._lock:
            self._attempts.pop(execution.token, None)

    def _resources(self, pool: str | None) -> dict[str, float] | None:
        """``{pool: 1}`` when some worker declares the pool as a resource."""
        if pool is None:
            return None
        workers = self._client.scheduler_info()["workers"].values()
        return {pool: 1} if any(pool in w.get("resources", {}) for w in workers) else None

    def start(self, spec: ProcessSpec) -> DaskExecution:
        token = uuid.uuid4().hex
        with open(spec.log_path, "ab") as out:
            out.write(spec.log_header.encode("utf-8", errors="replace"))
        workdir: Any = pack(spec.cwd)
        if len(workdir) > SCATTER_OVER:
            workdir = self._client.scatter(workdir, hash=False)
        execution = DaskExecution(self, token, spec)
        with self._lock:  # before it is submitted: its first events may come at once
            self._attempts[token] = execution
        attempt = Attempt(token=token, spec=spec, python=sys.executable, grace=self.grace,
                          topic=self._topic)
        name = f"{spec.env.get('BATCH_TASK', 'task')}.{spec.env.get('BATCH_ATTEMPT', '')}"
        try:
            execution.submitted(self._client.submit(
                run_attempt, attempt, workdir, key=f"jupyter-batch-{name}-{token}",
                pure=False, resources=self._resources(spec.pool)))
        except BaseException:
            self.forget(execution)
            raise
        return execution

    def close(self) -> None:
        self._client.unsubscribe_topic("all")
        self._client.unsubscribe_topic(self._topic)
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

