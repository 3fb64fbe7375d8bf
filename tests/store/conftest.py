"""A Store over the test's state folder, and raw SQL on its database file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_batch.store import Store


@pytest.fixture
def store(data_dir: Path) -> Iterator[Store]:
    s = Store(data_dir)
    yield s
    s.close()


@pytest.fixture
def sql(data_dir: Path) -> Callable[..., list[tuple[Any, ...]]]:
    """``sql(statement, *params)``: run raw SQL on the database file outside the store (on
    its own connection, committed at once) and return the rows."""

    def run(statement: str, *params: Any) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(data_dir / "batch.db")
        try:
            with conn:
                return conn.execute(statement, params).fetchall()
        finally:
            conn.close()

    return run
