"""jupyter-batch: batch workflows for Jupyter.

The package root stays light (the CLI imports it): everything heavy loads on use, so
``from jupyter_batch import Batch`` imports the client only when ``Batch`` is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import Batch

__all__ = ["Batch"]


def __getattr__(name: str) -> Any:
    if name == "Batch":
        from .client import Batch

        return Batch
    raise AttributeError(f"module 'jupyter_batch' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_batch``: the script-development magics."""
    from .magics import BatchMagics

    ipython.register_magics(BatchMagics)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.app import BatchApp

    return [{"module": "jupyter_batch.server.app", "app": BatchApp}]
