"""Executing a notebook the way a user does: cell by cell in a kernel that a real
Jupyter server started, so ``Batch()`` inside it finds that server by its parent
process, exactly as in JupyterLab.

nbclient drives the cells; it is handed a stand-in kernel manager for the server's
kernel, which it connects to but never starts, restarts or shuts down (the server owns
the kernel and deletes it afterwards).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import nbformat
import requests
from jupyter_client.asynchronous import AsyncKernelClient
from nbclient import NotebookClient

from tests.client.servers import Server

#: seconds one cell may take (a cell waits for a whole run; the slowest start kernels)
CELL_TIMEOUT = 120


class ServerKernel:
    """What nbclient asks of a kernel manager, for a kernel a Jupyter server runs."""

    has_kernel = True

    def __init__(self, server: Server, kernel_id: str, connection_file: Path) -> None:
        self.server = server
        self.kernel_id = kernel_id
        self.connection_file = connection_file

    def client(self) -> ServerKernelClient:
        kc = ServerKernelClient(self, connection_file=str(self.connection_file))
        kc.load_connection_file()
        return kc

    def alive(self) -> bool:
        try:
            info = self.server.call("GET", f"api/kernels/{self.kernel_id}").json()
        except requests.RequestException:
            return False
        return info.get("execution_state") != "dead"

    def is_alive(self) -> bool:
        return self.alive()

    def shutdown_kernel(self, now: bool = False) -> None:
        """Nothing: ``execute_notebook`` deletes the kernel through the server."""

    def cleanup_resources(self) -> None:
        """Nothing: the server cleans up after its kernels."""

    async def interrupt_kernel(self) -> None:
        """A cell ran out of time: interrupt it through the server, as the browser does."""
        await asyncio.to_thread(self.server.call, "POST",
                                f"api/kernels/{self.kernel_id}/interrupt")


class ServerKernelClient(AsyncKernelClient):
    """A client of a server's kernel that asks the server whether the kernel lives.

    A client without a kernel manager otherwise judges by the heartbeat, and calls the
    kernel dead after one second without a beat: a kernel still starting, or one on a
    machine busy starting the kernels of notebook tasks, is not dead.
    """

    def __init__(self, kernel: ServerKernel, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._kernel = kernel

    async def _async_is_alive(self) -> bool:
        return await asyncio.to_thread(self._kernel.alive)

    is_alive = _async_is_alive

    def start_channels(self, shell: bool = True, iopub: bool = True, stdin: bool = True,
                       hb: bool = True, control: bool = True) -> None:
        super().start_channels(shell=shell, iopub=iopub, stdin=stdin, hb=False,
                               control=control)


def execute_notebook(server: Server, runtime_dir: Path, path: Path) -> Any:
    """Run every cell of the notebook at ``path`` in a new kernel of ``server``, top to
    bottom; returns the executed notebook. A failing cell raises nbclient's
    ``CellExecutionError`` with the cell's traceback."""
    nb = nbformat.read(path, as_version=4)
    kernel_id = server.call("POST", "api/kernels", json={"name": "python3"}).json()["id"]
    client: NotebookClient | None = None
    try:
        kernel = ServerKernel(server, kernel_id, runtime_dir / f"kernel-{kernel_id}.json")
        client = NotebookClient(nb, km=kernel, timeout=CELL_TIMEOUT, allow_errors=False)
        return client.execute()
    finally:
        if client is not None and client.kc is not None:
            client.kc.stop_channels()
        server.call("DELETE", f"api/kernels/{kernel_id}")
