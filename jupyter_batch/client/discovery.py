"""Which Jupyter server a notebook's kernel belongs to.

Every running server leaves ``jpserver-<pid>.json`` (its URL, token, pid) in the Jupyter
runtime folder. The kernel's own server is, in order: the one whose process started
this kernel (local kernels are its children), the one that lists this kernel's id
(from the kernel's connection file ``kernel-<id>.json``), or — outside a kernel, or for
a kernel no server knows — the only server running. None means: no server, go local.

The files are read here rather than through ``jupyter_server.serverapp
.list_running_servers``, which gives the same list but costs seconds of imports.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ServerInfo = dict[str, Any]
_SERVER_FILE = re.compile(r"^jpserver-(.+)\.json$")
_KERNEL_FILE = re.compile(r"^kernel-(.+)\.json$")


def running_servers(runtime_dir: str | os.PathLike[str] | None = None) -> list[ServerInfo]:
    """The info of every Jupyter server whose process still runs (TCP ones only: the
    client does not speak HTTP over a unix socket)."""
    if runtime_dir is None:
        from jupyter_core.paths import jupyter_runtime_dir

        runtime_dir = jupyter_runtime_dir()
    folder = Path(runtime_dir)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if not _SERVER_FILE.match(path.name):
            continue
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being written, or gone
        if isinstance(info, dict) and _alive(info.get("pid")) and not info.get("sock") \
                and info.get("url"):
            found.append(info)
    return found


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kernel_id() -> str | None:
    """The id of the kernel this code runs in, or None outside a kernel."""
    if "ipykernel" not in sys.modules:  # only a kernel has it loaded already
        return None
    from ipykernel.connect import get_connection_file

    try:
        match = _KERNEL_FILE.match(Path(get_connection_file()).name)
    except RuntimeError:  # ipykernel imported, but no kernel app runs here
        return None
    return match.group(1) if match else None


def server_knows_kernel(server: ServerInfo, kernel: str) -> bool:
    """Whether ``server`` runs the kernel ``kernel`` (GET /api/kernels/<id>)."""
    import requests

    url = server["url"].rstrip("/") + "/api/kernels/" + kernel
    headers = {"Authorization": f"token {server['token']}"} if server.get("token") else {}
    try:
        return requests.get(url, headers=headers, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def find_server(servers: Sequence[ServerInfo], kernel: str | None, parent_pid: int,
                knows_kernel: Callable[[ServerInfo, str], bool] = server_knows_kernel,
                ) -> ServerInfo | None:
    """The server the kernel ``kernel`` (None: not in a kernel), whose parent process is
    ``parent_pid``, belongs to; or the only one running; or None."""
    for server in servers:
        if server.get("pid") == parent_pid:
            return server
    if kernel is not None:
        for server in servers:
            if knows_kernel(server, kernel):
                return server
    return servers[0] if len(servers) == 1 else None


def discover() -> ServerInfo | None:
    """The server this process should talk to (see the module's docstring), or None."""
    return find_server(running_servers(), kernel_id(), os.getppid())
