"""Real ``jupyter server`` processes for the discovery tests, isolated in tmp folders.

Each server gets its own port and token; they share one Jupyter runtime folder (where
servers leave ``jpserver-<pid>.json`` and kernels their connection files), so what a
notebook's kernel sees is exactly what these tests see.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from jupyter_client import BlockingKernelClient
from tornado.testing import bind_unused_port

PATIENCE = 60.0


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    token: str

    @property
    def pid(self) -> int:
        return self.process.pid

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request with the server's token (reads only, on a server without one: a
        write would need the XSRF cookie)."""
        headers = {"Authorization": f"token {self.token}"} if self.token else {}
        response = requests.request(method, self.url + path, timeout=30, headers=headers,
                                    **kwargs)
        response.raise_for_status()
        return response


def environment(root: Path) -> dict[str, str]:
    """Jupyter's folders under ``root`` (the runtime folder is ``root/runtime``; the
    servers' data folder ``root/batch``)."""
    config = root / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "jupyter_server_config.json").write_text(json.dumps(
        {"BatchApp": {"kernel_pool_size": 0}}), encoding="utf-8")
    return {**os.environ, "JUPYTER_RUNTIME_DIR": str(root / "runtime"),
            "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_DATA_DIR": str(root / "data"),
            "IPYTHONDIR": str(root / "ipython"), "JUPYTER_BATCH_DIR": str(root / "batch"),
            "JUPYTER_PLATFORM_DIRS": "0"}


@contextmanager
def jupyter_servers(root: Path, count: int, *, tokens: bool = True,
                    data_dirs: Sequence[Path] | None = None) -> Iterator[list[Server]]:
    """``count`` servers started together; stopped (and their kernels with them) after.
    ``tokens=False`` starts them without a token (``--IdentityProvider.token=''``: no
    authentication, so writes need Jupyter's XSRF cookie); ``data_dirs`` gives each its
    own data folder (``$JUPYTER_BATCH_DIR``), else they share ``root/batch``."""
    env = environment(root)
    (root / "work").mkdir(exist_ok=True)
    servers = []
    try:
        for i in range(count):
            sock, port = bind_unused_port()
            sock.close()
            token = secrets.token_hex(16) if tokens else ""
            own_env = env if data_dirs is None else {**env,
                                                     "JUPYTER_BATCH_DIR": str(data_dirs[i])}
            log = (root / f"server{i}.log").open("wb")
            process = subprocess.Popen(
                [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={port}",
                 "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
                 "--ServerApp.allow_root=True", f"--IdentityProvider.token={token}",
                 f"--ServerApp.root_dir={root / 'work'}"],
                env=own_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
            servers.append(Server(process, f"http://127.0.0.1:{port}/", token))
        for server in servers:
            _wait_ready(server, root / "runtime")
        yield servers
    finally:
        for server in servers:
            _stop(server.process)


def _wait_ready(server: Server, runtime: Path) -> None:
    deadline = time.monotonic() + PATIENCE
    info = runtime / f"jpserver-{server.pid}.json"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"jupyter server {server.url} exited with "
                               f"{server.process.returncode}")
        if info.is_file():
            try:
                server.call("GET", "api/status")
                return
            except requests.RequestException:
                pass
        time.sleep(0.1)
    raise TimeoutError(f"jupyter server {server.url} did not start in {PATIENCE} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_in_kernel(connection_file: Path, code: str) -> str:
    """Run ``code`` in the kernel of ``connection_file``; what it printed (stdout and
    stderr), or an AssertionError with its traceback."""
    client = BlockingKernelClient(connection_file=str(connection_file))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        out: list[str] = []

        def collect(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("\n".join(msg["content"]["traceback"]))

        reply = client.execute_interactive(code, timeout=60, output_hook=collect)
        assert reply["content"]["status"] == "ok", "".join(out)
        return "".join(out)
    finally:
        client.stop_channels()
