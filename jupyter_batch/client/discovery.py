"""Which Jupyter server a process should talk to, if any.

Every running server leaves ``jpserver-<pid>.json`` (its URL, token, pid) in the Jupyter
runtime folder. A kernel's own server is the one whose process started it (local
kernels are its children), or else the one that lists its kernel id (from the kernel's
connection file ``kernel-<id>.json``). ``Batch()`` (``batch.py``) talks to that server —
unless ``$JUPYTER_BATCH_DIR`` names another data folder than the server's — or, for a
process no server owns (a script, nbconvert, papermill), to a server whose data folder
is the one this process would use on its own (``own_data_dir``); else it runs a local
service on that folder. A server tells its data folder at ``GET /batch/api/store``.

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
    """The server that this process belongs to: the one whose process is ``parent_pid``,
    or the one that runs the kernel ``kernel`` (None: not in a kernel); else None —
    another server that merely runs is nobody's in particular."""
    for server in servers:
        if server.get("pid") == parent_pid:
            return server
    if kernel is not None:
        for server in servers:
            if knows_kernel(server, kernel):
                return server
    return None


def own_data_dir() -> Path:
    """The data folder this process would use on its own — by the rule of every front
    end: ``$JUPYTER_BATCH_DIR``, else ``c.BatchApp.data_dir`` in the Jupyter config files
    (as the CLI reads them), else ``<jupyter data dir>/batch``."""
    from ..store.location import resolve_data_dir

    if os.environ.get("JUPYTER_BATCH_DIR"):
        return resolve_data_dir()
    from ..settings import BatchSettings

    return resolve_data_dir(BatchSettings.from_jupyter_config().data_dir or None)


def same_folder(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one folder (through symlinks too)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist (yet)
        return os.path.realpath(a) == os.path.realpath(b)
