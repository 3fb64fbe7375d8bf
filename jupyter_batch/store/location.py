"""Where state lives: one folder for the database, blobs, logs, outputs and warehouse."""

from __future__ import annotations

import os
from pathlib import Path


def resolve_data_dir(configured: str | os.PathLike[str] | None = None) -> Path:
    """``$JUPYTER_BATCH_DIR`` if set, else ``configured`` (``c.BatchApp.data_dir``), else
    ``<jupyter data dir>/batch``."""
    env = os.environ.get("JUPYTER_BATCH_DIR")
    if env:  # absolute: tasks run in their own folders and must still find it
        return Path(env).expanduser().absolute()
    if configured:
        return Path(configured).expanduser().absolute()
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "batch"
