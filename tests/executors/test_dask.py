"""The Dask executor, beyond what every executor must do (``test_engine.py``,
``tasks/test_task_types.py`` and ``test_local.py`` run against it too): the log streams
back while a task runs, the working directory travels as bytes to a folder of the
worker's own, a worker killed mid-task fails the attempt into its retry policy without
Dask running it twice, pools map to worker resources, and the ways to choose it.

Everything is real: the test session's ``LocalCluster`` of worker processes (plus, for
pools, a ``dask worker`` process that declares a resource), real task processes. "Gone"
and "written" are polled for a bounded time, never timed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_batch.engine import Pool
from jupyter_batch.errors import BatchError, InvalidInput
from jupyter_batch.model.states import RunState, TaskState
from jupyter_batch.service import BatchService
from tests.engine_fixtures import (
    Runs,
    assert_gone,
    flow,
    process_gone,
    python,
    q,
    read_pid,
    shell,
    wait_file,
    wait_for,
)
from tests.helpers import Result

S = TaskState


@pytest.fixture
def runs(dask_cluster: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runs]:
    """``Runs`` whose tasks run on the session's Dask cluster."""
    monkeypatch.delenv("JUPYTER_BATCH_DIR", raising=False)
    client = Runs(tmp_path / "batch", tmp_path / "scratch", dask_address=dask_cluster)
    try:
        yield client
    finally:
        client.close()


def json_line(log: str, tag: str) -> Any:
    for line in log.splitlines():
        if line.startswith(tag):
            return json.loads(line[len(tag):])
    raise AssertionError(f"no line starting with {tag!r} in the log:\n{log}")


# --- the log ----------------------------------------------------------------------------------

def test_the_log_arrives_while_the_task_runs(runs: Runs) -> None:
    go = runs.scratch / "go"
    run_id = runs.start(flow("chatty", [
        shell("talk", f"echo first line; {wait_file(go)}; echo second line"),
    ]))

    runs.log_when(run_id, "talk", lambda chunk: "first line" in chunk.text.splitlines(),
                  "the first line in the log here while the task waits on the worker")
    wait_for(lambda: any(c.run_id == run_id for c in runs.logs_grew), "a log-grew event")
    assert runs.get(run_id).task("talk").state == S.RUNNING
    go.touch()
    run = runs.finish(run_id)

    lines = runs.lines(run.id, "talk")
    assert lines[0].startswith("# jupyter-batch: run ")
    body = [line for line in lines if not line.startswith("#")]
    assert body == ["first line", "second line"], "each byte once, in order"
    assert lines[-1].startswith("# jupyter-batch: exited with code 0")


def test_a_large_log_arrives_whole(runs: Runs) -> None:
    code = "import sys\nfor i in range(5000): print(f'line {i:05d} ' + 'x' * 60)\n"
    run = runs.run(flow("loud", [python("loud", code)]))

    assert run.task("loud").state == S.SUCCESS
    body = [line for line in runs.lines(run.id, "loud") if line.startswith("line ")]
    assert body == [f"line {i:05d} " + "x" * 60 for i in range(5000)]


# --- the working directory travels ------------------------------------------------------------

def test_resources_are_unpacked_from_shipped_bytes_in_a_folder_of_the_workers_own(
        runs: Runs) -> None:
    runs.service.add_resource("show.py", (
        b"import json, os, pathlib\n"
        b"print('FACTS=' + json.dumps({'cwd': os.getcwd(), 'files': sorted(os.listdir()),\n"
        b"    'config': pathlib.Path('settings.xml').read_text(),\n"
        b"    'output': os.environ['BATCH_OUTPUT']}))\n"
        b"from jupyter_batch.task import set_output\nset_output('answer', 42)\n"))
    runs.service.add_resource("settings.xml", b"<colour>blue</colour>\n")

    run = runs.run(flow("shipped", [
        {"id": "show", "type": "python", "resource": "show.py", "files": ["settings.xml"]},
    ]))

    assert run.task("show").state == S.SUCCESS, runs.log(run.id, "show")
    facts = json_line(runs.log(run.id, "show"), "FACTS=")
    local_folder = runs.data_dir / "runs" / str(run.id)
    assert facts["files"] == ["settings.xml", "show.py"]
    assert facts["config"] == "<colour>blue</colour>\n"
    assert not Path(facts["cwd"]).is_relative_to(local_folder), "not the engine's folder"
    assert not Path(facts["output"]).is_relative_to(local_folder)
    assert not Path(facts["cwd"]).exists(), "the worker removes its folder afterwards"
    assert run.task("show").outputs == {"answer": "42"}, "the outputs file came back"


def test_a_big_working_directory_travels_whole(runs: Runs) -> None:
    blob = os.urandom(3 * 1024 * 1024)  # over the size that is scattered, not inlined
    runs.service.add_resource("blob.zip", _zip({"data.bin": blob}))

    run = runs.run(flow("big", [python(
        "sum", "import hashlib, pathlib\n"
               "print('SHA=' + hashlib.sha256(pathlib.Path('data.bin').read_bytes()).hexdigest())",
        files=["blob.zip"])]))

    assert run.task("sum").state == S.SUCCESS, runs.log(run.id, "sum")
    assert f"SHA={hashlib.sha256(blob).hexdigest()}" in runs.lines(run.id, "sum")


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buf.getvalue()


# --- a worker dies ----------------------------------------------------------------------------

def test_a_worker_killed_mid_task_fails_the_attempt_and_the_retry_runs(runs: Runs) -> None:
    starts, worker_pid, child_pid = (runs.scratch / n for n in ("starts", "worker", "child"))
    run_id = runs.start(flow("lost", [shell("t", (
        f'echo "attempt $BATCH_ATTEMPT" >> {q(starts)}; '
        f'if [ "$BATCH_ATTEMPT" = 1 ]; then sleep 300 & echo $! > {q(child_pid)}; '
        f"echo $PPID > {q(worker_pid)}; wait; fi; echo done"), retries=1)]))
    child = read_pid(child_pid)
    worker = read_pid(worker_pid)

    os.kill(worker, signal.SIGKILL)
    run = runs.finish(run_id)

    assert run.state == RunState.SUCCESS
    first, second = runs.task_attempts(run_id, "t")
    assert first.state == S.FAILED
    assert "worker tcp://" in (first.message or "") and "died while running the task" in (
        first.message or "")
    assert second.state == S.SUCCESS
    assert starts.read_text().splitlines() == ["attempt 1", "attempt 2"], (
        "Dask's own rerun of the lost attempt started nothing")
    assert_gone(child)  # the dead worker's watchdog ended what it had started


def test_the_loss_of_the_only_worker_that_could_run_a_task_fails_the_attempt(
        runs: Runs, dask_cluster: str) -> None:
    pooled = runs.reopen(pools={"default": Pool(slots=4), "lonely": Pool(slots=1)})
    started = runs.scratch / "started"
    with extra_worker(dask_cluster, runs.scratch / "lonely", "lonely") as worker:
        run_id = pooled.start(flow("lonely", [
            shell("t", f"echo $BATCH_ATTEMPT >> {q(started)}; sleep 300", pool="lonely")]))
        wait_for(started.exists, "the task to start on the lonely worker")
        os.kill(worker, signal.SIGKILL)

        run = pooled.finish(run_id)

    assert run.state == RunState.FAILED
    message = run.task("t").message or ""
    assert message.startswith("worker tcp://") and "died while running the task" in message
    assert started.read_text().splitlines() == ["1"]


# --- pools and worker resources ---------------------------------------------------------------

@contextlib.contextmanager
def extra_worker(scheduler: str, folder: Path, resource: str, nanny: bool = False
                 ) -> Iterator[int]:
    """A ``dask worker`` process that declares ``resource=1`` (the session's own workers
    declare none); its pid. Without a nanny that is the worker's pid, and nothing
    restarts the worker when it dies."""
    dask = Path(sys.executable).parent / "dask"
    proc = subprocess.Popen([str(dask), "worker", scheduler, "--nanny" if nanny else "--no-nanny",
                             "--nthreads", "4", "--resources", f"{resource}=1",
                             "--local-directory", str(folder), "--no-dashboard"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    from distributed import Client

    with Client(scheduler, set_as_default=False) as client:
        wait_for(lambda: any(resource in w.get("resources", {}) for w in
                             client.scheduler_info()["workers"].values()),
                 f"the worker with {resource} to join")
    try:
        yield proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def special_worker(dask_cluster: str, tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[int]:
    """A worker that declares the resource ``special``; its pid."""
    with extra_worker(dask_cluster, tmp_path_factory.mktemp("special"), "special") as pid:
        yield pid


def test_a_pool_that_a_worker_declares_runs_only_there(runs: Runs, special_worker: int
                                                       ) -> None:
    pooled = runs.reopen(pools={"default": Pool(slots=4), "special": Pool(slots=2)})
    show_worker = 'echo "worker=$PPID"'
    run = pooled.run(flow("special", [shell(f"s{i}", show_worker, pool="special")
                                      for i in range(4)]))

    assert run.state == RunState.SUCCESS
    workers = {line for i in range(4) for line in runs.lines(run.id, f"s{i}")
               if line.startswith("worker=")}
    assert workers == {f"worker={special_worker}"}


def test_stop_cancels_an_attempt_still_waiting_for_a_worker(runs: Runs, special_worker: int
                                                             ) -> None:
    # the engine lets two tasks of the pool run; the one worker that has it takes one
    pooled = runs.reopen(pools={"default": Pool(slots=4), "special": Pool(slots=2)})
    started = runs.scratch / "started"
    run_id = pooled.start(flow("queued", [
        shell(f"s{i}", f"echo $BATCH_TASK >> {q(started)}; sleep 300", pool="special")
        for i in range(2)]))
    wait_for(started.exists, "one task to start on the special worker")
    wait_for(lambda: runs.states(run_id) == {"s0": "running", "s1": "running"},
             "both tasks to be running for the engine")

    run = pooled.stop(run_id)

    assert runs.states(run) == {"s0": "cancelled", "s1": "cancelled"}
    assert len(started.read_text().splitlines()) == 1, "the waiting one never started"


# --- the environment --------------------------------------------------------------------------

THREAD_CAPS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "MALLOC_TRIM_THRESHOLD_")


def test_a_task_does_not_inherit_the_thread_caps_a_nanny_sets_for_its_worker(
        runs: Runs, dask_cluster: str) -> None:
    pooled = runs.reopen(pools={"default": Pool(slots=4), "nannied": Pool(slots=1)})
    show = "; ".join(f'echo "{name}=${{{name}-unset}}"' for name in THREAD_CAPS)
    with extra_worker(dask_cluster, runs.scratch / "nannied", "nannied", nanny=True):
        run = pooled.run(flow("caps", [shell("t", show, pool="nannied")]))

    assert run.task("t").state == S.SUCCESS
    expected = [f"{name}={os.environ.get(name, 'unset')}" for name in THREAD_CAPS]
    assert [line for line in runs.lines(run.id, "t") if not line.startswith("#")] == expected


# --- choosing the executor --------------------------------------------------------------------

def test_local_cluster_starts_a_cluster_of_its_own_and_closes_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUPYTER_BATCH_DIR", raising=False)
    before = {name: os.environ.get(name) for name in THREAD_CAPS}
    service = BatchService(data_dir=tmp_path / "batch", executor="dask",
                           dask_address="local-cluster")
    try:
        run = service.wait_run(service.prerun(flow("own", [shell("t", 'echo "worker=$PPID"')])))
        assert run.task("t").state == S.SUCCESS
        text = service.read_log(run.id, "t").text
    finally:
        service.close()

    worker = int(next(line for line in text.splitlines() if line.startswith("worker="))[7:])
    assert worker != os.getpid()
    assert_gone(worker)
    assert {name: os.environ.get(name) for name in THREAD_CAPS} == before, (
        "this process's environment (a Jupyter server's, whose kernels inherit it) is "
        "left alone")


def test_an_unknown_executor_is_refused_naming_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"unknown executor 'spark' \(executors: local, dask\)"):
        BatchService(data_dir=tmp_path / "batch", executor="spark")


def test_choosing_dask_without_distributed_names_the_extra_to_install(tmp_path: Path) -> None:
    # a Python in which the package cannot be imported (as if it were not installed)
    code = ("import sys; sys.modules['distributed'] = None\n"
            "from jupyter_batch.service import BatchService\n"
            f"BatchService(data_dir={str(tmp_path / 'batch')!r}, executor='dask')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)

    assert proc.returncode != 0
    assert proc.stderr.splitlines()[-1] == (
        "jupyter_batch.errors.InvalidInput: the dask executor needs the 'distributed' "
        "package: pip install 'jupyter-batch[dask]'")


def test_the_cli_runs_a_workflow_file_on_a_dask_cluster(
        cli: Callable[..., Result], write: Callable[[str, Any], Path], dask_cluster: str
        ) -> None:
    path = write("w.workflow.json", flow("w", [shell("a", 'echo "worker=$PPID"')]))

    result = cli("run", path, "--executor", "dask", "--dask-address", dask_cluster, "--json")

    assert result.code == 0, result.err
    run = json.loads(result.out)
    assert run["state"] == "success"
    log = cli("logs", str(run["id"]), "a")
    worker = int(next(line for line in log.out.splitlines() if line.startswith("worker="))[7:])
    assert not process_gone(worker), "a worker of the cluster ran it, and lives on"


def test_a_scheduler_that_cannot_be_reached_fails_the_request_and_stores_no_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUPYTER_BATCH_DIR", raising=False)
    with BatchService(data_dir=tmp_path / "batch", executor="dask",
                      dask_address="tcp://127.0.0.1:9") as service:
        with pytest.raises(BatchError, match=r"cannot reach the Dask scheduler at "
                                             r"tcp://127\.0\.0\.1:9"):
            service.prerun(flow("w", [shell("a", "true")]))

        assert service.list_runs() == ([], 0)
