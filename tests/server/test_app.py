"""``BatchApp``: its traitlets reach the service, bad settings are refused at startup, the
package enables the extension on install, and stopping the server stops its runs."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.serverapp import ServerApp
from traitlets import TraitError
from traitlets.config import Config

from jupyter_batch.server.app import BatchApp
from jupyter_batch.service import BatchService
from tests.engine_fixtures import process_gone
from tests.helpers import shell, workflow_doc
from tests.server.api import PATIENCE, BatchAPI, states, task_of

JUPYTER = Path(sys.executable).parent / "jupyter"
DAY = "2026-03-02"


async def wait_for_file(path: Path) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while not (path.is_file() and path.read_text().strip()):
        assert loop.time() < deadline, f"{path} was never written"
        await asyncio.sleep(0.02)
    return path.read_text().strip()


# --- data_dir, kernel_pool_size ---------------------------------------------------------------

async def test_state_lives_in_the_configured_data_dir(api: BatchAPI, batch_app: BatchApp,
                                                     batch_dir: Path) -> None:
    assert batch_app.data_dir == str(batch_dir)
    assert batch_app.service.data_dir == batch_dir
    await api.create_workflow(workflow_doc("wf", tasks=[shell("a", "echo hi")]))
    run_id = await api.prerun("wf", DAY)
    await api.wait_run(run_id)
    attempt = (await api.ok("GET", f"/runs/{run_id}/tasks/a/attempts"))["attempts"][0]
    assert Path(attempt["log_path"]).is_relative_to(batch_dir)
    # a second service over the folder sees what the server stored
    with BatchService(data_dir=batch_dir) as other:
        assert [w.name for w in other.list_workflows()] == ["wf"]


class TestTheEnvironmentWins:
    @pytest.fixture
    def batch_settings(self, batch_settings: dict[str, Any], tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
        monkeypatch.setenv("JUPYTER_BATCH_DIR", str(tmp_path / "from-env"))
        return batch_settings

    async def test_over_data_dir(self, api: BatchAPI, batch_app: BatchApp, tmp_path: Path,
                                 batch_dir: Path) -> None:
        assert batch_app.service.data_dir == tmp_path / "from-env"
        await api.create_workflow(workflow_doc("wf"))
        with BatchService(data_dir=tmp_path / "from-env") as there:
            assert [w.name for w in there.list_workflows()] == ["wf"]
        assert not batch_dir.exists()


class TestADataFolderThatIsAFile:
    @pytest.fixture
    def batch_settings(self, batch_settings: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
        (tmp_path / "afile").write_text("")
        return {**batch_settings, "data_dir": str(tmp_path / "afile")}

    async def test_is_one_line_in_the_log_and_the_answer_of_the_routes(
            self, capfd: pytest.CaptureFixture[str], jp_fetch: Any, tmp_path: Path) -> None:
        # capfd first: it is listening when the server starts and logs (to stderr, before
        # the server's logger propagates to pytest's)
        said = f"data folder {tmp_path / 'afile'} is not a directory"
        log = capfd.readouterr().err
        assert "Traceback" not in log
        (line,) = [line for line in log.splitlines() if said in line]
        assert line.endswith(f"jupyter-batch: {said}")

        reply = await jp_fetch("batch", "api", "workflows", raise_error=False)
        assert (reply.code, json.loads(reply.body)["message"]) == (
            503, f"jupyter-batch did not start: {said}")


async def test_the_kernel_pool_size_reaches_the_executor(batch_app: BatchApp) -> None:
    assert batch_app.kernel_pool_size == 0
    assert batch_app.service.engine.executor.warm_pool_size == 0


class TestAKernelPool:
    @pytest.fixture
    def batch_settings(self, batch_settings: dict[str, Any]) -> dict[str, Any]:
        return {**batch_settings, "kernel_pool_size": 3}

    async def test_of_three(self, batch_app: BatchApp) -> None:
        assert batch_app.service.engine.executor.warm_pool_size == 3


# --- pools ----------------------------------------------------------------------------------



class TestPools:
    @pytest.fixture
    def batch_settings(self, batch_settings: dict[str, Any]) -> dict[str, Any]:
        return {**batch_settings, "pools": {"single": {"slots": 1},
                                            "quick": {"slots": 2, "timeout": 1}}}

    async def test_a_task_runs_in_the_pool_it_names(self, api: BatchAPI) -> None:
        # two independent tasks in a one-slot pool: one after the other
        await api.create_workflow(workflow_doc("wf", tasks=[
            shell("a", "sleep 0.2", pool="single"), shell("b", "sleep 0.2", pool="single")]))
        run = await api.wait_run(await api.prerun("wf", DAY))
        assert states(run) == {"a": "success", "b": "success"}
        first, second = sorted(run["tasks"], key=lambda t: t["started_at"])
        assert second["started_at"] >= first["ended_at"]

    async def test_a_pool_limit_applies_to_its_tasks(self, api: BatchAPI) -> None:
        await api.create_workflow(workflow_doc("wf", tasks=[shell("a", "sleep 30",
                                                                  pool="quick")]))
        run = await api.wait_run(await api.prerun("wf", DAY))
        assert run["state"] == "failed"
        assert "timed out" in task_of(run, "a")["message"] or \
            "timeout" in task_of(run, "a")["message"]



async def test_a_pool_that_is_not_configured_is_refused(api: BatchAPI) -> None:
    error = await api.fails(400, "POST", "/workflows",
                            workflow_doc("wf", tasks=[shell("a", pool="big")]))
    assert error["problems"] == [{"where": "tasks[0].pool",
                                  "message": "unknown pool 'big' (pools: default)"}]
    assert await api.workflow_names() == []


@pytest.mark.parametrize(("setting", "value", "says"), [
    pytest.param("pools", {"p": {"slot": 2}}, "unknown settings ['slot']"),
    pytest.param("pools", {"p": {"slots": 0}}, "slots must be at least 1"),
    ("pools", {"p": 4}, "dict"),
    ("pools", "four", "dict"),
    ("kernel_pool_size", -1, "must not be negative"),
    ("executor", "spark", "unknown executor 'spark' (executors: local, dask)"),
])
def test_a_bad_setting_is_refused(setting: str, value: Any, says: str) -> None:
    app = BatchApp()
    with pytest.raises(TraitError, match=re.escape(says)):
        setattr(app, setting, value)
    # and the same from a configuration file, when the app is created
    with pytest.raises(TraitError, match=re.escape(says)):
        BatchApp(config=Config({"BatchApp": {setting: value}}))


def test_good_pools_are_kept() -> None:
    app = BatchApp(config=Config({"BatchApp": {"pools": {"p": {"slots": 2, "timeout": 9}}}}))
    assert app.pools == {"p": {"slots": 2, "timeout": 9}}
    assert set(app._pool_objects()) == {"default", "p"}


# --- executor, dask_address -----------------------------------------------------------------

class TestTheDaskExecutor:
    @pytest.fixture
    def batch_settings(self, batch_settings: dict[str, Any], dask_cluster: str
                       ) -> dict[str, Any]:
        return {**batch_settings, "executor": "dask", "dask_address": dask_cluster}

    async def test_runs_tasks_on_the_cluster_and_serves_their_logs(
            self, api: BatchAPI, batch_app: BatchApp) -> None:
        await api.create_workflow(workflow_doc("wf", tasks=[
            shell("a", 'echo "hello from $BATCH_TASK"')]))
        run = await api.wait_run(await api.prerun("wf", DAY))

        assert batch_app.service.engine.executor.name == "dask"
        assert states(run) == {"a": "success"}
        log = await api.ok("GET", f"/runs/{run['id']}/tasks/a/log")
        assert "hello from a" in log["text"].splitlines()


def test_the_executor_is_local_by_default() -> None:
    app = BatchApp()
    assert (app.executor, app.dask_address) == ("local", "local-cluster")


# --- installation ---------------------------------------------------------------------------

def test_installing_the_package_enables_the_extension(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(JUPYTER_CONFIG_DIR=str(tmp_path / "config"), HOME=str(tmp_path),
               JUPYTER_DATA_DIR=str(tmp_path / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), NO_COLOR="1")
    proc = subprocess.run([str(JUPYTER), "server", "extension", "list"], env=env,
                          capture_output=True, text=True, timeout=60, check=True)
    text = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    assert re.search(r"^\s*jupyter_batch\s+enabled\s*$", text, re.M), text
    assert re.search(r"^\s*jupyter_batch\s+OK\s*$", text, re.M), text


# --- stopping the server --------------------------------------------------------------------

async def shut_down(serverapp: ServerApp) -> None:
    """What ``ServerApp.stop`` does once its loop ends (``_cleanup``: extensions stopped,
    kernels and terminals shut down), then forget the instance, so the fixtures' own
    cleanup does not stop everything a second time."""
    await serverapp._cleanup()
    ServerApp.clear_instance()


async def test_stopping_the_server_stops_its_runs(api: BatchAPI, jp_serverapp: Any,
                                                  batch_dir: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "sleep.pid"
    await api.create_workflow(workflow_doc(
        "wf", tasks=[shell("a", 'sleep 30 & echo $! > "$BATCH_PARAM_PIDFILE"; wait',
                           params={"pidfile": str(pid_file)}), shell("b")],
        relations=[("a", "b")]))
    run_id = await api.prerun("wf", DAY)
    await api.wait_task(run_id, "a", "running")
    sleep_pid = int(await wait_for_file(pid_file))
    threads = [t for t in threading.enumerate() if t.name == "batch-scheduler"
               or t.name.startswith(("batch-run-", "batch-state-writer"))]
    assert {t.name for t in threads} >= {"batch-scheduler", f"batch-run-{run_id}"}

    await shut_down(jp_serverapp)

    assert [t.name for t in threads if t.is_alive()] == []
    assert process_gone(sleep_pid)
    with BatchService(data_dir=batch_dir) as store:
        run = store.get_run(run_id)
    assert run.state.value == "cancelled"
    assert {t.task_id: t.state.value for t in run.tasks} == {"a": "cancelled",
                                                             "b": "cancelled"}


async def test_stopping_the_server_during_a_backfill_cancels_the_dates_to_come(
        api: BatchAPI, jp_serverapp: Any, batch_dir: Path) -> None:
    """Before, the backfill's thread went on starting runs on a closed service and the
    server never exited on SIGTERM."""
    await api.create_workflow(workflow_doc("bf", tasks=[shell("t", "sleep 30")]))
    await api.publish("bf")
    reply = await api.ok("POST", "/workflows/bf/backfill",
                         {"start": "2026-11-01", "end": "2026-11-03"}, status=202)
    first, *later = reply["run_ids"]
    await api.wait_task(first, "t", "running")
    threads = [t for t in threading.enumerate() if t.name.startswith("batch-backfill-")]

    await shut_down(jp_serverapp)

    assert [t.name for t in threads if t.is_alive()] == []
    with BatchService(data_dir=batch_dir) as store:
        ended = {run_id: store.get_run(run_id) for run_id in [first, *later]}
    assert {run_id: run.state.value for run_id, run in ended.items()} == dict.fromkeys(
        [first, *later], "cancelled")
    assert {t.state.value for run_id in later for t in ended[run_id].tasks} == {"cancelled"}
    assert "stopped first" in (ended[later[0]].message or "")


async def test_stopping_twice_is_harmless(api: BatchAPI, jp_serverapp: Any,
                                          batch_app: BatchApp) -> None:
    await api.create_workflow(workflow_doc("wf"))
    await api.wait_run(await api.prerun("wf", DAY))
    await shut_down(jp_serverapp)
    await batch_app.stop_extension()
