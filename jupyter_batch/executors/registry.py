"""The executors by name: ``local`` (the default) and ``dask``. An executor module loads
only when chosen, so ``distributed`` is needed only by those who choose ``dask``."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from ..errors import InvalidInput
from ..model.process import Executor

#: name -> what it needs installed beyond jupyter-batch (package, extra)
BUILTIN: dict[str, tuple[str, str] | None] = {"local": None, "dask": ("distributed", "dask")}


@dataclass(frozen=True)
class ExecutorSettings:
    """What a service configures; each executor reads what applies to it."""

    #: seconds between SIGTERM and SIGKILL when a task is stopped or times out
    grace: float = 3.0
    #: notebook kernels kept started ahead of need (local)
    warm_pool_size: int = 2
    #: the scheduler's address, or "local-cluster" (dask)
    dask_address: str = "local-cluster"


def check(name: str) -> None:
    """InvalidInput unless ``name`` is an executor that can be created here: it names the
    known executors, or the package to install."""
    if name not in BUILTIN:
        raise InvalidInput(f"unknown executor {name!r} (executors: {', '.join(BUILTIN)})")
    needs = BUILTIN[name]
    if needs is not None and importlib.util.find_spec(needs[0]) is None:
        raise InvalidInput(f"the {name} executor needs the {needs[0]!r} package: "
                           f"pip install 'jupyter-batch[{needs[1]}]'")


def create(name: str, settings: ExecutorSettings) -> Executor:
    """The executor ``name`` (started: a ``dask`` one connects to its cluster)."""
    check(name)
    if name == "dask":
        from .dask import DaskExecutor

        return DaskExecutor(address=settings.dask_address, grace=settings.grace)
    from .local import LocalExecutor

    return LocalExecutor(grace=settings.grace, warm_pool_size=settings.warm_pool_size)
