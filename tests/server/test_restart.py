"""Restart recovery with real server processes: ``jupyter server`` is killed with SIGKILL
in the middle of a run, started again on the same state folder, and the records say what
happened; the run is then recovered without running anything twice."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engine_fixtures import process_gone
from tests.helpers import shell, workflow_doc

JUPYTER = Path(sys.executable).parent / "jupyter"
#: how long to wait for a server to answer or a run to move
PATIENCE = 60.0


def wait_for(predicate: Any, what: str, within: float = PATIENCE) -> Any:
    deadline = time.monotonic() + within
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group ``pgid``."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(stat.parent.name))
    return members


class Server:
    """One ``jupyter server`` process with the extension, over ``root``'s folders."""

    def __init__(self, root: Path, name: str) -> None:
        self.root = root
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.log_path = root / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
        env.update(JUPYTER_BATCH_DIR=str(root / "batch"), HOME=str(root / "home"),
                   JUPYTER_CONFIG_DIR=str(root / "config"),
                   JUPYTER_RUNTIME_DIR=str(root / "runtime"),
                   JUPYTER_DATA_DIR=str(root / "data"))
        (root / "home").mkdir(exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [str(JUPYTER), "server", "--ServerApp.allow_root=True", f"--port={self.port}",
                 "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
                 "--ServerApp.open_browser=False", "--BatchApp.kernel_pool_size=0",
                 f"--ServerApp.root_dir={root}"],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._ready, f"the server on port {self.port} to answer")

    def _ready(self) -> bool:
        assert self.proc.poll() is None, f"the server exited:\n{self.log()}"
        try:
            return self.call("GET", "/api/status")[0] == 200
        except OSError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else (
            b"" if method == "POST" else None)
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
            headers={"Authorization": f"token {self.token}",
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read() or b"null")

    def api(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        code, reply = self.call(method, "/batch/api" + path, body)
        assert code == status, f"{method} {path}: {code} {reply}\n{self.log()}"
        return reply

    def kill(self) -> None:
        """SIGKILL the server process alone (its task processes live in their own
        process groups and are left behind, as after a crash)."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=PATIENCE)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=PATIENCE)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    """Servers a test starts (append them); every one is stopped at the end."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def end_own_leftovers(pid_file: Path) -> None:
    """If the test failed before the new server ended them: kill the task groups it
    started (only processes that still carry this test's pid file in their environment)."""
    if not pid_file.exists():
        return
    marker = f"BATCH_PARAM_PIDFILE={pid_file}".encode() + b"\0"
    for line in pid_file.read_text().split():
        try:
            if marker in Path(f"/proc/{line}/environ").read_bytes():
                os.killpg(int(line), signal.SIGKILL)
        except (OSError, ValueError):
            pass


def test_a_run_in_flight_when_the_server_dies_is_marked_and_recovered(
        tmp_path: Path, servers: list[Server]) -> None:
    pid_file, ran = tmp_path / "a.pids", tmp_path / "ran.txt"
    params = {"pidfile": str(pid_file), "ran": str(ran)}
    doc = workflow_doc("wf", tasks=[
        shell("a", 'echo $$ >> "$BATCH_PARAM_PIDFILE"; echo "a $BATCH_ATTEMPT" >> '
                   '"$BATCH_PARAM_RAN"; test "$BATCH_ATTEMPT" -gt 1 || sleep 60',
              params=params),
        shell("b", 'echo "b $BATCH_ATTEMPT" >> "$BATCH_PARAM_RAN"', params=params)],
        relations=[("a", "b")])
    try:
        first = Server(tmp_path, "first")
        servers.append(first)
        first.api("POST", "/workflows", doc, status=201)
        run_id = first.api("POST", "/workflows/wf/prerun", {"date": "2026-03-02"},
                           status=202)["run_id"]
        task_pid = int(wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(),
                                "task a to start"))
        wait_for(lambda: first.api("GET", f"/runs/{run_id}")["state"] == "running",
                 "the run to be stored as running")

        first.kill()
        assert group_members(task_pid), "the task should outlive the killed server"

        second = Server(tmp_path, "second")
        servers.append(second)
        run = second.api("GET", f"/runs/{run_id}")
        assert run["state"] == "interrupted", run
        tasks = {t["id"]: t for t in run["tasks"]}
        assert tasks["a"]["state"] == "failed" and "interrupted" in tasks["a"]["message"]
        assert tasks["b"]["state"] == "pending"
        # the new server ended the orphaned task's whole process group
        wait_for(lambda: not group_members(task_pid) and process_gone(task_pid),
                 f"the orphaned process group {task_pid} to end")

        assert second.api("POST", f"/runs/{run_id}/recover", status=202)["tasks"] == ["a", "b"]
        run = wait_for(lambda: (r := second.api("GET", f"/runs/{run_id}"))["state"] in (
            "success", "failed") and r, "the recovered run to end")
        assert run["state"] == "success", run
        assert {t["id"]: (t["state"], t["attempt"]) for t in run["tasks"]} == {
            "a": ("success", 2), "b": ("success", 1)}
        attempts = second.api("GET", f"/runs/{run_id}/tasks/a/attempts")["attempts"]
        assert [(a["attempt"], a["state"]) for a in attempts] == [(1, "failed"), (2, "success")]
        assert "interrupted" in attempts[0]["message"]
        # nothing ran twice
        assert ran.read_text().splitlines() == ["a 1", "a 2", "b 1"]
        assert second.api("GET", "/runs")["total"] == 1
    finally:
        end_own_leftovers(pid_file)
