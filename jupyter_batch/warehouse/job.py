"""How a warehouse task process talks to the engine.

In: the environment every task gets (``BATCH_WAREHOUSE``, ``BATCH_OUTPUT``) plus
``JUPYTER_BATCH_VALUES``, a JSON object of the task's built-in variables and parameters
(the names and text values ``${...}`` placeholders see), and for sync tasks
``JUPYTER_BATCH_SYNC``, the task's options as JSON (in the environment rather than argv
because a source URL may carry a password, and argv is written to the log).
Out: the log (stdout and stderr), ``key=value`` outputs, and the exit status (0 done,
1 failed, with one ``error:`` paragraph explaining why).
"""

from __future__ import annotations

import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import BatchError

VALUES_ENV = "JUPYTER_BATCH_VALUES"
SYNC_ENV = "JUPYTER_BATCH_SYNC"


def json_env(name: str) -> Any:
    """The JSON value of an environment variable (None when unset)."""
    text = os.environ.get(name)
    return None if text is None else json.loads(text)


def values() -> dict[str, str]:
    return json_env(VALUES_ENV) or {}


def named(values: Mapping[str, str]) -> dict[str, str]:
    """``values`` under the names SQL parameters (``$name``, ``:name``) give them: any
    character other than a letter, digit or underscore as ``_``, in lower case
    (``clean.rows`` → ``clean_rows``)."""
    return {re.sub(r"\W", "_", k, flags=re.ASCII).lower(): v for k, v in values.items()}


def warehouse_path() -> Path:
    path = os.environ.get("BATCH_WAREHOUSE")
    if not path:
        raise BatchError("BATCH_WAREHOUSE is not set: this program runs as a task of "
                         "jupyter-batch, which tells it where the warehouse is")
    return Path(path)


def open_warehouse(read_only: bool = False) -> Any:
    """The task's connection to the warehouse (``$BATCH_WAREHOUSE``), waiting while
    another task holds it (and saying so in the log once)."""
    from .connection import open_for_reading, open_for_writing

    def waiting(why: str) -> None:
        say(f"waiting for the warehouse, another task holds it: {why}")

    if read_only:
        path = warehouse_path()
        if not path.exists():
            raise BatchError("the warehouse is empty: no task has written to it yet")
        return open_for_reading(path, on_wait=waiting)
    return open_for_writing(warehouse_path(), on_wait=waiting)


def say(text: str) -> None:
    """One log line, at once (the log is read while the task runs)."""
    print(text, flush=True)


def write_outputs(outputs: Mapping[str, object]) -> None:
    """Append ``key=value`` lines to ``$BATCH_OUTPUT`` (when the engine asked for them)."""
    path = os.environ.get("BATCH_OUTPUT")
    if path and outputs:
        with open(path, "a", encoding="utf-8") as f:
            f.writelines(f"{key}={value}\n" for key, value in outputs.items())


def _explained(exc: Exception) -> bool:
    """Whether ``exc`` is an error the user can act on from its message alone: ours, the
    warehouse's, the source database's, or the file system's (a missing file, a refused
    write); anything else is a bug: keep the traceback."""
    import duckdb

    if isinstance(exc, (BatchError, duckdb.Error, OSError)):
        return True
    sqlalchemy = sys.modules.get("sqlalchemy")
    return sqlalchemy is not None and isinstance(exc, sqlalchemy.exc.SQLAlchemyError)


def run(body: Callable[[], Mapping[str, object]]) -> int:
    """Run a task's body: its outputs written and 0, or the error explained and 1."""
    try:
        outputs = body()
    except Exception as exc:
        if _explained(exc):
            print(f"error: {exc}", file=sys.stderr, flush=True)
        else:
            traceback.print_exc()
        return 1
    write_outputs(outputs)
    return 0
