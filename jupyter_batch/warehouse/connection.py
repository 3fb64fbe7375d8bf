"""Opening the warehouse file, and waiting while another process holds it.

DuckDB lets one process at a time open a database file for writing (and none may read
it meanwhile), so a task that loads the warehouse locks out the others for as long as
its transaction lasts. Readers (the front ends) wait a moment and then say the
warehouse is busy; tasks wait longer, since their work only queues behind another's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import Conflict

#: how long a front end waits for a task to release the warehouse
READ_WAIT = 2.0
#: how long a task waits for another task to release the warehouse
WRITE_WAIT = 600.0


def _connect(path: Path, read_only: bool, wait: float, config: dict[str, Any],
             on_wait: Callable[[str], None] | None) -> Any:
    import duckdb

    deadline = time.monotonic() + wait
    delay = 0.02
    told = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():  # not busy: a real I/O problem
                raise
            if time.monotonic() + delay > deadline:
                raise Conflict(f"the warehouse is busy: another process holds it "
                               f"({str(exc).splitlines()[0]})") from None
            if on_wait is not None and not told:
                on_wait(str(exc).splitlines()[0])
                told = True
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def open_read_only(path: Path, wait: float = READ_WAIT) -> Any:
    """A read-only connection with no access to other files or databases (a query from a
    front end may read the warehouse, nothing else). Conflict when busy past ``wait``."""
    return _connect(path, True, wait, {"enable_external_access": False}, None)


def open_for_reading(path: Path, wait: float = WRITE_WAIT,
                     on_wait: Callable[[str], None] | None = None) -> Any:
    """A read-only connection for a task that only reads the warehouse (and may read or
    write other files): tasks like it can hold the file together. Conflict when a
    writer still holds it past ``wait``."""
    return _connect(path, True, wait, {}, on_wait)


def open_for_writing(path: Path, wait: float = WRITE_WAIT,
                     on_wait: Callable[[str], None] | None = None) -> Any:
    """A read-write connection, creating the file if needed; ``on_wait`` is told once
    when another process holds the file. Conflict when still busy past ``wait``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return _connect(path, False, wait, {}, on_wait)
