"""``BatchApp``: the jupyter-server extension that runs the service and its scheduler.

Every setting is a traitlet (``c.BatchApp.<name>`` in a Jupyter config file). The
service starts with the server and stops with it: runs this server drives are stopped
and marked, never orphaned.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Dict, Float, Integer, TraitError, Unicode, validate

from ..engine import Pool
from ..errors import InvalidInput
from ..executors import registry as executors
from ..service import BatchService
from .events import EventBridge
from .routes import url_table


class BatchApp(ExtensionApp):
    name = "jupyter_batch"
    extension_url = "/batch/api/workflows"
    load_other_extensions = True

    data_dir = Unicode(
        "", config=True,
        help="Folder for all state (database, blobs, logs, outputs, warehouse). "
             "$JUPYTER_BATCH_DIR wins over it; empty means <jupyter data dir>/batch.")
    db_url = Unicode(
        "", config=True,
        help="SQLAlchemy URL of the store; empty means SQLite in the data folder.")
    warehouse = Unicode(
        "", config=True,
        help="Path of the DuckDB warehouse file; empty means warehouse.duckdb in the data "
             "folder.")
    pools = Dict(
        value_trait=Dict(), default_value={}, config=True,
        help='Task pools ("container resources"): name -> {"slots": N, "timeout": s, '
             '"memory_mb": N, "cpu_seconds": N}. A "default" pool always exists.')
    kernel_pool_size = Integer(
        2, config=True,
        help="Notebook kernels kept started ahead of need (0 turns the pool off).")
    kill_grace = Float(
        3.0, config=True,
        help="Seconds between SIGTERM and SIGKILL when a task is stopped or times out.")
    python = Unicode(
        "", config=True, help="Interpreter for python tasks; empty means this server's.")
    executor = Unicode(
        "local", config=True,
        help='Where task processes run: "local" (this machine) or "dask" (the workers of '
             "the Dask cluster at dask_address; needs pip install 'jupyter-batch[dask]').")
    dask_address = Unicode(
        "local-cluster", config=True,
        help='The Dask scheduler\'s address (tcp://host:8786), or "local-cluster" to start a '
             "LocalCluster of worker processes with the server. A pool P maps to the worker "
             'resource P: its tasks run only on workers started with --resources "P=N" when '
             "any worker declares it, else on any worker.")

    @validate("executor")
    def _check_executor(self, proposal: dict[str, Any]) -> str:
        try:
            executors.check(proposal["value"])
        except InvalidInput as exc:
            raise TraitError(str(exc)) from None
        return str(proposal["value"])

    @validate("kernel_pool_size")
    def _check_pool_size(self, proposal: dict[str, Any]) -> int:
        if proposal["value"] < 0:
            raise TraitError("kernel_pool_size must not be negative")
        return int(proposal["value"])

    @validate("pools")
    def _check_pools(self, proposal: dict[str, Any]) -> dict[str, Any]:
        for name, settings in proposal["value"].items():
            unknown = set(settings) - {"slots", "timeout", "memory_mb", "cpu_seconds"}
            if unknown:
                raise TraitError(f"pool {name!r}: unknown settings {sorted(unknown)}")
            if int(settings.get("slots", 1)) < 1:
                raise TraitError(f"pool {name!r}: slots must be at least 1")
        return proposal["value"]

    def _pool_objects(self) -> dict[str, Pool]:
        pools = {"default": Pool(slots=4)}
        for name, settings in self.pools.items():
            pools[name] = Pool(slots=int(settings.get("slots", 1)),
                               timeout=settings.get("timeout"),
                               memory_mb=settings.get("memory_mb"),
                               cpu_seconds=settings.get("cpu_seconds"))
        return pools

    def initialize_settings(self) -> None:
        self.service = BatchService(
            data_dir=self.data_dir or None, db_url=self.db_url or None,
            pools=self._pool_objects(), python=self.python or None,
            warehouse=self.warehouse or None, kernel_pool_size=self.kernel_pool_size,
            kill_grace=self.kill_grace, executor=self.executor, dask_address=self.dask_address)
        self.events = EventBridge(self.serverapp.event_logger, self.service)
        self.settings["batch_service"] = self.service
        self.service.start_scheduler()
        self.log.info("jupyter-batch: state in %s", self.service.data_dir)

    def initialize_handlers(self) -> None:
        self.handlers.extend(url_table())

    async def stop_extension(self) -> None:
        events = getattr(self, "events", None)
        if events is not None:
            events.close()
        service = getattr(self, "service", None)
        if service is not None:
            await asyncio.get_running_loop().run_in_executor(None, service.close)


def schema_path() -> Path:
    return Path(__file__).with_name("state_change.schema.json")
