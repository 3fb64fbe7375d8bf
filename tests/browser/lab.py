"""A real ``jupyter lab`` in a subprocess, isolated in a temporary folder, and a small
REST client of its batch API so the browser tests read as domain steps."""

from __future__ import annotations

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FINISHED_RUN = frozenset({"success", "failed", "cancelled", "interrupted"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class JupyterLab:
    """``jupyter lab`` on a free port with a random token; everything it writes (config,
    runtime, settings, workspaces, the batch state folder) lives under ``base``, and the
    file browser shows ``base / "work"``. ``args``: more settings for its command line."""

    base: Path
    log_path: Path
    args: tuple[str, ...] = ()
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    process: subprocess.Popen[bytes] | None = None

    @property
    def root(self) -> Path:
        return self.base / "work"

    @property
    def batch_dir(self) -> Path:
        """The batch state folder (``$JUPYTER_BATCH_DIR``): its store, blobs and logs."""
        return self.base / "batch"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self) -> str:
        """JupyterLab with a fresh workspace (nothing restored from an earlier page)."""
        return f"{self.url}/lab?reset&token={self.token}"

    def start(self, timeout: float = 90) -> JupyterLab:
        dirs = {name: self.base / name for name in
                ("config", "runtime", "data", "ipython", "settings", "workspaces", "batch")}
        for path in [self.root, *dirs.values()]:
            path.mkdir(parents=True, exist_ok=True)
        env = {**os.environ,
               "JUPYTER_CONFIG_DIR": str(dirs["config"]),
               "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
               "JUPYTER_DATA_DIR": str(dirs["data"]),
               "IPYTHONDIR": str(dirs["ipython"]),
               "JUPYTER_BATCH_DIR": str(self.batch_dir),
               "JUPYTER_BATCH_AUTHOR": "browser-test"}
        env.pop("JUPYTER_PATH", None)
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}", "--ServerApp.allow_root=True",
            "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            f"--LabApp.user_settings_dir={dirs['settings']}",
            f"--LabApp.workspaces_dir={dirs['workspaces']}",
            "--BatchApp.kernel_pool_size=0", "--BatchApp.kill_grace=1.0", *self.args,
        ]
        # no "get notified about Jupyter news?" toast over the page
        notification = dirs["settings"] / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True, exist_ok=True)
        (notification / "notification.jupyterlab-settings").write_text(
            json.dumps({"fetchNews": "false"}), encoding="utf-8")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(command, cwd=self.root, env=env, stdout=log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}; "
                                   f"see {self.log_path}")
            try:
                self.get("/api/status")
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"jupyter lab did not answer in {timeout} s; see {self.log_path}")

    def stop(self) -> None:
        """SIGTERM (a clean shutdown), then the whole process group if it hangs."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    # --- HTTP --------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Authorization": f"token {self.token}",
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as reply:
            raw = reply.read()
        return json.loads(raw) if raw else None

    def get(self, path: str) -> Any:
        return self.request("GET", path)


class Batch:
    """The batch REST API of a running lab, as the steps a test takes."""

    def __init__(self, lab: JupyterLab) -> None:
        self.lab = lab

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        return self.lab.request(method, "/batch/api" + path, body)

    def save_workflow(self, document: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", "/workflows", document)

    def publish(self, name: str) -> dict[str, Any]:
        return self._call("POST", f"/workflows/{name}/publish", {"message": ""})

    def scheduler(self) -> dict[str, Any]:
        """Which scheduler leads the store: ``{"leader", "leading_for", ...}``."""
        return self._call("GET", "/scheduler")

    def add_resource(self, name: str, content: str, message: str = "") -> dict[str, Any]:
        return self._call("POST", f"/resources/{name}", {"content": content,
                                                        "message": message})

    def resource_versions(self, name: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/resources/{name}")["versions"]

    def library(self) -> list[dict[str, Any]]:
        return self._call("GET", "/library")["programs"]

    def workflow(self, name: str) -> dict[str, Any] | None:
        """The workflow, or None when there is none of that name."""
        try:
            return self._call("GET", f"/workflows/{name}")
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def warehouse_table(self, name: str) -> dict[str, Any]:
        """The first rows of a warehouse table: ``{"columns", "rows", ...}``."""
        return self._call("GET", f"/warehouse/tables/{name}")

    def runs(self, workflow: str) -> list[dict[str, Any]]:
        return self._call("GET", f"/runs?workflow={workflow}&limit=50")["runs"]

    def run(self, run_id: int) -> dict[str, Any]:
        return self._call("GET", f"/runs/{run_id}")

    def wait_run(self, run_id: int, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            run = self.run(run_id)
            if run["state"] in FINISHED_RUN or time.monotonic() > deadline:
                return run
            time.sleep(0.2)
