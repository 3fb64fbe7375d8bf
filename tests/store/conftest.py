"""A Store over the test's state folder — on SQLite and on PostgreSQL (``db_url``) — and
raw SQL on its database, outside the store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from jupyter_batch.store import Store


@pytest.fixture
def store(data_dir: Path, db_url: str | None) -> Iterator[Store]:
    s = Store(data_dir, db_url)
    yield s
    s.close()


@pytest.fixture
def raw_engine(data_dir: Path, db_url: str | None) -> Iterator[Engine]:
    """An engine of its own on the store's database (no store settings, no migrations)."""
    engine = create_engine(db_url or f"sqlite:///{data_dir / 'batch.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def sql(raw_engine: Engine) -> Callable[..., list[tuple[Any, ...]]]:
    """``sql(statement, **params)``: run raw SQL on the store's database on a connection of
    its own, committed at once, and return the rows (none for a statement without)."""

    def run(statement: str, **params: Any) -> list[tuple[Any, ...]]:
        with raw_engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return [tuple(row) for row in result] if result.returns_rows else []

    return run


@pytest.fixture
def failing_inserts(raw_engine: Engine) -> Callable[[str], Callable[[], None]]:
    """``failing_inserts(table)`` makes every insert into ``table`` fail inside the
    database (a trigger, in the dialect's syntax); it returns the function that lifts it."""

    def install(table: str) -> Callable[[], None]:
        trigger = f"fail_{table}"
        if raw_engine.dialect.name == "sqlite":
            create = [f"CREATE TRIGGER {trigger} BEFORE INSERT ON {table} "
                      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"]
            drop = [f"DROP TRIGGER {trigger}"]
        else:
            create = [f"CREATE FUNCTION {trigger}() RETURNS trigger AS $$ BEGIN "
                      "RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql",
                      f"CREATE TRIGGER {trigger} BEFORE INSERT ON {table} "
                      f"FOR EACH ROW EXECUTE FUNCTION {trigger}()"]
            drop = [f"DROP TRIGGER {trigger} ON {table}", f"DROP FUNCTION {trigger}()"]
        with raw_engine.begin() as conn:
            for statement in create:
                conn.execute(text(statement))

        def lift() -> None:
            with raw_engine.begin() as conn:
                for statement in drop:
                    conn.execute(text(statement))

        return lift

    return install
