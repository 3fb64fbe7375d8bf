"""``BatchSettings``: every setting of the service, as traitlets read from Jupyter config.

Users write them as ``c.BatchApp.<name>`` in a ``jupyter_server_config`` file. The server
extension (``server.app.BatchApp``) inherits them; commands that run the service without
a server (``jupyter batch scheduler``) read the same files with ``from_jupyter_config``,
so both agree on where state lives and how tasks run.
"""

from __future__ import annotations

import math
from typing import Any

from traitlets import Dict, Float, Integer, TraitError, Unicode, validate
from traitlets.config import Configurable

from .engine import Pool
from .errors import InvalidInput
from .executors import registry as executors
from .service import SCHEDULER_LEASE, BatchService

_POOL_KEYS = {"slots", "timeout", "memory_mb", "cpu_seconds"}


def positive_seconds(value: float) -> bool:
    """Whether ``value`` can be a length of time in seconds that must pass: above 0 and
    finite (NaN compares false to everything, so a bare ``<= 0`` lets it through)."""
    return math.isfinite(value) and value > 0


class BatchSettings(Configurable):
    data_dir = Unicode(
        "", config=True,
        help="Folder for all state (database, blobs, logs, outputs, warehouse). "
             "$JUPYTER_BATCH_DIR wins over it; empty means <jupyter data dir>/batch.")
    db_url = Unicode(
        "", config=True,
        help="SQLAlchemy URL of the store (e.g. postgresql+psycopg://user@host/db, with "
             "the 'postgres' extra); $JUPYTER_BATCH_DB_URL wins over it; empty means "
             "SQLite in the data folder.")
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
    scheduler_lease = Float(
        SCHEDULER_LEASE, config=True,
        help="Seconds the scheduler lease lasts unrenewed: of the schedulers sharing a "
             "store, one leads; when it dies another takes over within about this long.")

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

    @classmethod
    def section_names(cls) -> list[str]:
        """Read ``c.BatchApp.*`` too: the name users configure the extension by."""
        names = super().section_names()
        return names if "BatchApp" in names else [*names, "BatchApp"]

    @classmethod
    def from_jupyter_config(cls) -> BatchSettings:
        """The settings a Jupyter server started here would have, without a server."""
        from jupyter_core.paths import jupyter_config_path
        from traitlets.config import Application

        files = Application()
        files.load_config_file("jupyter_server_config", path=jupyter_config_path())
        return cls(config=files.config)

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

    @validate("scheduler_lease")
    def _check_lease(self, proposal: dict[str, Any]) -> float:
        if not positive_seconds(proposal["value"]):
            raise TraitError("scheduler_lease must be a positive number of seconds")
        return float(proposal["value"])

    @validate("pools")
    def _check_pools(self, proposal: dict[str, Any]) -> dict[str, Any]:
        for name, settings in proposal["value"].items():
            unknown = set(settings) - _POOL_KEYS
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

    def make_service(self) -> BatchService:
        """The service these settings describe."""
        return BatchService(
            data_dir=self.data_dir or None, db_url=self.db_url or None,
            pools=self._pool_objects(), python=self.python or None,
            warehouse=self.warehouse or None, kernel_pool_size=self.kernel_pool_size,
            kill_grace=self.kill_grace, executor=self.executor, dask_address=self.dask_address)
