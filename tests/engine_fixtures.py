"""The run-engine tests' wiring: a real service over a state folder in ``tmp_path``, and
``Runs``, a small client that drives runs the way a user does and checks, for every run
it finishes, that each state change it was told about is an allowed transition and that
what the store holds in the end is where those changes led.

Test modules use the fixture by naming it at module level (``runs = engine_fixtures.runs``)
so that the import is explicit and nothing is added to ``conftest.py``.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_batch.engine import Pool
from jupyter_batch.errors import NotFound
from jupyter_batch.model.changes import Change, LogChange, RunChange, TaskChange
from jupyter_batch.model.records import Run, TaskAttempt
from jupyter_batch.model.states import RunState, TaskState, can_move
from jupyter_batch.service import BatchService, LogChunk, RerunPlan
from tests.helpers import AUTHOR

#: the logical date runs are made for unless a test says otherwise
DAY = "2026-11-20"
#: how long a test waits for something that should happen at once (a bound, not a timing)
PATIENCE = 20.0


# --- building workflow documents ------------------------------------------------------------

def shell(task_id: str, command: str, **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "type": "shell", "command": command, **fields}


def python(task_id: str, code: str, **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "type": "python", "code": code, **fields}


def app(task_id: str, args: list[str], **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "type": "app", "args": args, **fields}


def flow(name: str, tasks: Iterable[dict[str, Any]],
         relations: Iterable[tuple[str, str] | tuple[str, str, bool]] = (),
         **fields: Any) -> dict[str, Any]:
    """A workflow document; a relation is ``(from, to)`` or ``(from, to, rerun)``."""
    rels = []
    for rel in relations:
        item: dict[str, Any] = {"from": rel[0], "to": rel[1]}
        if len(rel) == 3:
            item["rerun"] = rel[2]
        rels.append(item)
    doc: dict[str, Any] = {"name": name, **fields, "tasks": list(tasks)}
    if rels:
        doc["relations"] = rels
    return doc


def q(path: Path | str) -> str:
    """``path`` quoted for a shell command the test itself writes."""
    return shlex.quote(str(path))


def wait_file(path: Path) -> str:
    """Shell text that waits (bounded) until ``path`` exists."""
    return f"i=0; while [ ! -e {q(path)} ] && [ $i -lt 1000 ]; do sleep 0.02; i=$((i+1)); done"


def timed_task(task_id: str, folder: Path, hold: float = 0.3, **fields: Any) -> dict[str, Any]:
    """A python task that records when it ran (``<folder>/<task>.start`` / ``.end``, in
    CLOCK_MONOTONIC nanoseconds, which every process on the machine shares)."""
    code = ("import os, pathlib, time\n"
            f"d = pathlib.Path({str(folder)!r}); t = os.environ['BATCH_TASK']\n"
            "(d / (t + '.start')).write_text(str(time.monotonic_ns()))\n"
            f"time.sleep({hold})\n"
            "(d / (t + '.end')).write_text(str(time.monotonic_ns()))\n")
    return python(task_id, code, **fields)


def intervals(folder: Path, tasks: Iterable[str]) -> list[tuple[int, int]]:
    """The (start, end) each task recorded with ``timed_task``."""
    return [(int((folder / f"{t}.start").read_text()), int((folder / f"{t}.end").read_text()))
            for t in tasks]


def max_overlap(spans: Iterable[tuple[int, int]]) -> int:
    """The most spans open at one instant. A recorded span lies inside its process's
    life, so an overlap seen here is an overlap that happened."""
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans],
                    key=lambda e: (e[0], e[1]))
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


# --- waiting and processes ------------------------------------------------------------------

def wait_for(predicate: Callable[[], Any], what: str, within: float = PATIENCE) -> Any:
    """Poll ``predicate`` until it returns something true; fail naming ``what``."""
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {within:g} s waiting for {what}")
        time.sleep(0.02)


def process_gone(pid: int) -> bool:
    """Whether ``pid`` no longer runs. A zombie counts as gone: it has ended and only
    waits for a parent (here possibly an init that does not reap) to collect it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    except OSError:
        pass
    else:
        return stat.rpartition(")")[2].split()[0] in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def read_pid(path: Path) -> int:
    text = wait_for(lambda: path.exists() and path.read_text().strip(), f"a pid in {path}")
    return int(text)


def assert_gone(pid: int, within: float = 10.0) -> None:
    wait_for(lambda: process_gone(pid), f"process {pid} to end", within)


# --- the client -----------------------------------------------------------------------------

class Runs:
    """A service over one state folder, driven the way a user drives it.

    Every change the service reports is recorded. ``finish`` waits for a run and checks
    the changes seen for it since it was started (or rerun) against ``can_move``, then
    that the stored states are the last ones reported.
    """

    def __init__(self, data_dir: Path, scratch: Path, pools: dict[str, Pool] | None = None,
                 python: str | None = None, db_url: str | None = None,
                 dask_address: str | None = None) -> None:
        self.data_dir = data_dir
        self.db_url = db_url
        self.scratch = scratch
        scratch.mkdir(parents=True, exist_ok=True)
        #: the Dask scheduler the tasks run on (None: they run locally)
        self.dask_address = dask_address
        on_dask = {"executor": "dask", "dask_address": dask_address} if dask_address else {}
        self.service = BatchService(data_dir=data_dir, db_url=db_url, pools=pools,
                                    python=python, **on_dask)
        #: every state change (a log's growth is not one: see ``logs_grew``)
        self.changes: list[Change] = []
        self.logs_grew: list[LogChange] = []
        self.service.subscribe(self._record)
        self._from: dict[int, tuple[int, dict[str, TaskState], RunState]] = {}
        self._others: list[Runs] = []

    def _record(self, change: Change | LogChange) -> None:
        (self.logs_grew if isinstance(change, LogChange) else self.changes).append(change)

    def reopen(self, pools: dict[str, Pool] | None = None) -> Runs:
        """Another service on the same folder: a restarted server, or other pools. It is
        closed with this one."""
        other = Runs(self.data_dir, self.scratch, pools=pools, db_url=self.db_url,
                     dask_address=self.dask_address)
        self._others.append(other)
        return other

    def close(self) -> None:
        for other in self._others:
            other.close()
        self._others.clear()
        if self.service is not None:
            self.service.close()
            self.service = None  # type: ignore[assignment]

    # --- starting ------------------------------------------------------------------------

    def start(self, doc: Any, day: str = DAY, params: dict[str, Any] | None = None) -> int:
        """Pre-run a workflow document (or a saved draft's name); the run's id."""
        mark = len(self.changes)
        run_id = self.service.prerun(doc, day=day, params=params)
        self._expect_from(run_id, mark)
        return run_id

    def trigger(self, name: str, day: str = DAY, params: dict[str, Any] | None = None) -> int:
        mark = len(self.changes)
        run_id = self.service.trigger(name, day=day, params=params)
        self._expect_from(run_id, mark)
        return run_id

    def run(self, doc: Any, day: str = DAY, params: dict[str, Any] | None = None) -> Run:
        """Pre-run a workflow and wait for it to end."""
        return self.finish(self.start(doc, day, params))

    def rerun(self, run_id: int, task: str, downstream: bool = False) -> RerunPlan:
        self.watch(run_id)
        return self.service.rerun(run_id, task, downstream=downstream)

    def recover(self, run_id: int) -> RerunPlan:
        self.watch(run_id)
        return self.service.recover(run_id)

    def watch(self, run_id: int) -> None:
        """Check this run's changes from here on, starting from its stored states."""
        run = self.service.get_run(run_id)
        self._from[run_id] = (len(self.changes), {t.task_id: t.state for t in run.tasks},
                              run.state)

    def _expect_from(self, run_id: int, mark: int) -> None:
        nodes = self.service.get_run(run_id).definition.node_ids
        self._from[run_id] = (mark, dict.fromkeys(nodes, TaskState.PENDING), RunState.QUEUED)

    # --- ending --------------------------------------------------------------------------

    def finish(self, run_id: int, within: float = 60.0) -> Run:
        """Wait for a run to end; check what was reported against what was stored."""
        run = self.service.wait_run(run_id, timeout=within)
        assert run.state.finished, f"run {run_id} is still {run.state.value} after {within} s"
        self.check(run)
        return run

    def stop(self, run_id: int) -> Run:
        self.service.stop_run(run_id)
        return self.finish(run_id)

    def check(self, run: Run) -> None:
        mark, tasks, run_state = self._from[run.id]
        tasks = dict(tasks)
        attempts: dict[str, int] = {}
        for change in self.changes[mark:]:
            if change.run_id != run.id:
                continue
            if isinstance(change, TaskChange):
                old = tasks[change.task_id]
                assert can_move(old, change.state), (
                    f"run {run.id}: task {change.task_id} was reported moving "
                    f"{old.value} -> {change.state.value}, which the table forbids")
                tasks[change.task_id] = change.state
                attempts[change.task_id] = change.attempt
            else:
                assert can_move(run_state, change.state), (
                    f"run {run.id} was reported moving {run_state.value} -> "
                    f"{change.state.value}, which the table forbids")
                run_state = change.state
        assert run.state == run_state, "the stored run state is not the last one reported"
        stored = {t.task_id: t.state for t in run.tasks}
        assert stored == tasks, "the stored task states are not the last ones reported"
        stored_attempts = {t.task_id: t.attempt for t in run.tasks if t.task_id in attempts}
        assert stored_attempts == attempts, "the stored attempts are not the last ones reported"

    # --- looking -------------------------------------------------------------------------

    def get(self, run_id: int) -> Run:
        return self.service.get_run(run_id)

    def states(self, run_or_id: Run | int) -> dict[str, str]:
        run = self.get(run_or_id) if isinstance(run_or_id, int) else run_or_id
        return {t.task_id: t.state.value for t in run.tasks}

    def attempts(self, run_or_id: Run | int) -> dict[str, int]:
        run = self.get(run_or_id) if isinstance(run_or_id, int) else run_or_id
        return {t.task_id: t.attempt for t in run.tasks}

    def task_attempts(self, run_id: int, task: str) -> list[TaskAttempt]:
        return self.service.task_attempts(run_id, task)

    def task_changes(self, run_id: int, task: str) -> list[TaskChange]:
        return [c for c in self.changes
                if isinstance(c, TaskChange) and c.run_id == run_id and c.task_id == task]

    def run_changes(self, run_id: int) -> list[RunChange]:
        return [c for c in self.changes if isinstance(c, RunChange) and c.run_id == run_id]

    def reached(self, run_id: int, task: str, state: TaskState) -> bool:
        return any(c.state == state for c in self.task_changes(run_id, task))

    def log(self, run_id: int, task: str, attempt: int | None = None) -> str:
        return self.service.read_log(run_id, task, attempt=attempt).text

    def lines(self, run_id: int, task: str, attempt: int | None = None) -> list[str]:
        """The log's lines: a test matches whole lines a task printed, so the command
        line that may head the log never counts as output."""
        return self.log(run_id, task, attempt).splitlines()

    def log_when(self, run_id: int, task: str, predicate: Callable[[LogChunk], bool],
                 what: str) -> LogChunk:
        """Poll a task's latest log until ``predicate`` holds for it."""
        def chunk() -> LogChunk | None:
            try:
                found = self.service.read_log(run_id, task)
            except NotFound:  # the attempt is not stored yet
                return None
            return found if predicate(found) else None

        return wait_for(chunk, what)


@pytest.fixture
def runs(tmp_path: Path, store_url: str | None,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[Runs]:
    """``Runs`` over ``tmp_path/batch`` (its database: ``store_url``); ``runs.scratch`` is
    a folder outside the state folder for the files tasks and tests signal with."""
    monkeypatch.delenv("JUPYTER_BATCH_DIR", raising=False)
    client = Runs(tmp_path / "batch", tmp_path / "scratch", db_url=store_url)
    try:
        yield client
    finally:
        client.close()



def _executor(request: pytest.FixtureRequest) -> dict[str, str]:
    """The service settings for the executor a fixture is parametrised with."""
    if request.param == "local":
        return {}
    return {"executor": "dask", "dask_address": request.getfixturevalue("dask_cluster")}


@pytest.fixture(name="service", params=["local", "dask"])
def service_on_each_executor(request: pytest.FixtureRequest, data_dir: Path,
                             monkeypatch: pytest.MonkeyPatch) -> Iterator[BatchService]:
    """conftest's ``service``, once with the tasks run locally and once on the workers of
    the test session's Dask cluster (``service = engine_fixtures.service_on_each_executor``
    in a module)."""
    monkeypatch.delenv("JUPYTER_BATCH_DIR", raising=False)
    monkeypatch.setenv("JUPYTER_BATCH_AUTHOR", AUTHOR)
    svc = BatchService(data_dir=data_dir, **_executor(request))
    try:
        yield svc
    finally:
        svc.close()


@pytest.fixture(name="runs", params=["local", "dask"])
def runs_on_each_executor(request: pytest.FixtureRequest, tmp_path: Path,
                          monkeypatch: pytest.MonkeyPatch) -> Iterator[Runs]:
    """``runs`` once with the tasks run locally and once on the workers of the test
    session's Dask cluster (``dask_cluster``): the same test holds for both. A module
    takes it as its ``runs`` (``runs = engine_fixtures.runs_on_each_executor``)."""
    monkeypatch.delenv("JUPYTER_BATCH_DIR", raising=False)
    client = Runs(tmp_path / "batch", tmp_path / "scratch",
                  dask_address=_executor(request).get("dask_address"))
    try:
        yield client
    finally:
        client.close()
