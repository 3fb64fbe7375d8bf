"""The worker's side of the Dask executor: ``run_attempt`` runs one attempt on a Dask
worker with the local executor's code, so a task behaves there as it does locally.

In order:
1. Claim the attempt. Dask runs a task again when the worker running it dies; an
   attempt's process must never start twice, so a second run finds the claim (a
   ``distributed.Event`` on the scheduler) and only reports that the first one was lost.
2. Unpack the shipped working directory into a folder of this worker's own, and
   rewrite the paths of the process description to point there (``shipping``).
3. Start the process with ``LocalExecutor`` (its own process group, the rlimit
   launcher for memory and CPU caps) and wait for it with the local executor's
   ``wait``, which enforces the timeout and ends the whole group. While it runs, the
   log's new bytes go to the engine every ``LOG_EVERY`` seconds as events on the
   executor's topic, and a thread waits on the attempt's stop event to end the group
   at once when the engine asks. The worker's watchdog ends the group if the worker
   itself dies.
4. Send the last of the log, and return the result with the files the engine reads
   (``ProcessSpec.returns``); the folder is removed.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask
from distributed import Event, get_client, get_worker

from ..model.process import Execution, ProcessResult, ProcessSpec
from .local import LocalExecutor
from .shipping import Relocation, collect, unpack
from .watchdog import watchdog

#: seconds between two looks at a running task's log
LOG_EVERY = 0.2
#: the most log bytes one event carries
CHUNK = 64 * 1024


def stop_event(token: str) -> str:
    """Set by the engine to end the attempt (and by the worker once it has ended)."""
    return f"jupyter-batch-{token}-stop"


def claim_event(token: str) -> str:
    """Set by the worker that starts the attempt."""
    return f"jupyter-batch-{token}-claimed"


@dataclass(frozen=True)
class Attempt:
    """One attempt as shipped to a worker."""

    token: str
    #: the process as the engine describes it (paths on the engine's machine)
    spec: ProcessSpec
    #: the engine's interpreter: as the program to run, it becomes the worker's
    python: str
    #: seconds between SIGTERM and SIGKILL
    grace: float
    #: the event topic the log goes to
    topic: str


@dataclass(frozen=True)
class Outcome:
    """What came of an attempt on a worker."""

    worker: str
    #: None when this run was refused: the attempt had been started by a worker that died
    result: ProcessResult | None
    #: engine path -> content of each file of ``spec.returns`` the process left
    files: dict[str, bytes] = field(default_factory=dict)
    #: how many log bytes were sent
    log_size: int = 0


class _LogSender:
    """Sends what a log file gained since the last call, as events on ``topic``:
    ``{"token", "offset", "data"}``."""

    def __init__(self, worker: Any, topic: str, token: str, path: Path) -> None:
        self._worker = worker
        self._topic = topic
        self._token = token
        self._file = open(path, "rb")  # noqa: SIM115 - read across calls, closed in close()
        self.sent = 0

    def __call__(self) -> None:
        while data := self._file.read(CHUNK):
            self._worker.log_event(self._topic, {"token": self._token, "offset": self.sent,
                                                 "data": data})
            self.sent += len(data)

    def close(self) -> None:
        self()
        self._file.close()


def _stop_on_request(stop: Event, execution: Execution, ended: threading.Event,
                     lock: threading.Lock) -> None:
    """Wait for the stop event; end the process unless it has ended already."""
    try:
        stop.wait()
    except Exception:  # the worker is closing: its watchdog ends the process
        return
    with lock:
        if not ended.is_set():
            execution.kill("stopped")


def run_attempt(attempt: Attempt, workdir: bytes) -> Outcome:
    """Run ``attempt`` here; ``workdir`` is its working directory packed (shipping.pack)."""
    worker = get_worker()
    client = get_client()
    claim = Event(claim_event(attempt.token), client=client)
    stop = Event(stop_event(attempt.token), client=client)
    if claim.is_set():
        return Outcome(worker.address, None)
    claim.set()
    if stop.is_set():
        return Outcome(worker.address, ProcessResult(exit_code=None, ended_by="stopped"))
    worker.log_event(attempt.topic, {"token": attempt.token, "started": worker.address})
    spec = attempt.spec
    with tempfile.TemporaryDirectory(prefix="batch-attempt-", dir=worker.local_directory,
                                     ignore_cleanup_errors=True) as folder:
        relocation = Relocation(source=str(spec.run_folder or spec.cwd),
                                target=os.path.join(folder, "run"), python=attempt.python,
                                local_python=sys.executable)
        here = relocation.spec(spec, Path(folder) / "log")
        unpack(workdir, here.cwd)
        for path in here.returns:
            path.parent.mkdir(parents=True, exist_ok=True)
        result, sent = _run(here, attempt, worker, stop)
        files = collect(dict(zip(spec.returns, here.returns, strict=True)))
    return Outcome(worker.address, result, files, sent)


def task_environment() -> dict[str, str]:
    """This worker's environment without what a Dask nanny sets in it for code that runs
    inside the worker (``distributed.nanny.pre-spawn-environ``: OMP_NUM_THREADS=1 and
    other thread caps): a task is a process of its own, and runs as it would locally."""
    added = dask.config.get("distributed.nanny.pre-spawn-environ", default={}) or {}
    return {k: v for k, v in os.environ.items() if k not in added or str(added[k]) != v}


def _run(spec: ProcessSpec, attempt: Attempt, worker: Any, stop: Event
         ) -> tuple[ProcessResult, int]:
    executor = LocalExecutor(grace=attempt.grace, warm_pool_size=0,
                             base_env=task_environment())
    try:
        execution = executor.start(spec)
        marker = f"BATCH_RUN_ID={spec.env.get('BATCH_RUN_ID', '')}"
        watchdog().watch(execution.pid, marker)
        send = _LogSender(worker, attempt.topic, attempt.token, spec.log_path)
        ended, lock = threading.Event(), threading.Lock()
        waiter = threading.Thread(target=_stop_on_request, args=(stop, execution, ended, lock),
                                  name=f"batch-stop-{attempt.token}", daemon=True)
        waiter.start()
        try:
            result = execution.wait(tick=send, every=LOG_EVERY)
        finally:
            with lock:
                ended.set()
            stop.set()  # releases the waiter
            watchdog().forget(execution.pid)
            send.close()
        waiter.join()
        return result, send.sent
    finally:
        executor.close()
