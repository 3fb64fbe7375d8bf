"""jupyter-batch: batch workflows for Jupyter.

The package root stays light (the CLI imports it): everything heavy loads on use.
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.app import BatchApp

    return [{"module": "jupyter_batch.server.app", "app": BatchApp}]
