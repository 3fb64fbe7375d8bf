"""Where state lives: one folder for the blobs, logs, outputs and warehouse, and a
database (SQLite in that folder unless a URL names another)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import InvalidInput


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


def resolve_db_url(configured: str | None = None) -> str | None:
    """``$JUPYTER_BATCH_DB_URL`` if set, else ``configured`` (``c.BatchApp.db_url``); None
    means SQLite in the data folder. Environment first, as for the data folder, so a
    task, the CLI and a server started with it all open the same store."""
    return os.environ.get("JUPYTER_BATCH_DB_URL") or configured or None


def prepare_data_dir(path: Path) -> Path:
    """``path``, created if missing (with its parents) and checked to be a folder this
    process can write; InvalidInput naming the folder otherwise — a setting the user
    chose, not a fault of the program."""
    if path.exists() and not path.is_dir():
        raise InvalidInput(f"data folder {path} is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(f"data folder {path} cannot be created: "
                           f"{exc.strerror or exc}") from None
    try:  # the database, blobs and logs are all written here: find out now, not mid-run
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise InvalidInput(f"data folder {path} is not writable: "
                           f"{exc.strerror or exc}") from None
    return path
