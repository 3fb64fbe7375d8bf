"""Where state lives: one folder for the database, blobs, logs, outputs and warehouse."""

from __future__ import annotations

import os
from pathlib import Path


def resolve_data_dir(configured: str | os.PathLike[str] | None = None) -> Path:
    """``$JUPYTER_BATCH_DIR`` if set, else ``configured`` (``c.BatchApp.data_dir``), else
    ``<jupyter data dir>/batch``."""
    env = os.environ.get("JUPYTER_BATCH_DIR")
    if env:
        return Path(env).expanduser()
    if configured:
        return Path(configured).expanduser()
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "batch"
