"""The database: SQLite in WAL mode with foreign keys on, a schema at alembic's head that
matches the tables, reopened safely, and refused when it is newer than the code."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from jupyter_batch.errors import BatchError
from jupyter_batch.store import Store
from jupyter_batch.store.db import MIGRATIONS, SCHEMA_HEAD, current_revision
from jupyter_batch.store.tables import metadata

Sql = Callable[..., list[tuple[Any, ...]]]


def test_schema_head_is_alembics_head() -> None:
    scripts = ScriptDirectory(str(MIGRATIONS))

    assert scripts.get_heads() == [SCHEMA_HEAD]


def test_a_fresh_database_is_at_head(store: Store, sql: Sql) -> None:
    assert current_revision(store.engine) == SCHEMA_HEAD
    assert sql("SELECT version_num FROM alembic_version") == [(SCHEMA_HEAD,)]


def test_the_tables_for_every_later_issue_exist(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())

    assert {"resources", "resource_versions", "workflows", "workflow_versions", "runs",
            "task_runs", "task_attempts"} <= tables


def test_the_migrations_build_exactly_the_declared_tables(store: Store) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)

    assert differences == []


def test_a_database_at_0002_is_upgraded_keeping_its_workflows(
        data_dir: Path, db_url: str | None, raw_engine: Engine, sql: Sql) -> None:
    """0003 adds ``workflows.live_since``, empty for a workflow published before it."""
    data_dir.mkdir(parents=True)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with raw_engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
    sql("INSERT INTO workflows (name, state, draft, latest_version, created_at, updated_at) "
        "VALUES ('old', 'published', '{}', NULL, '2026-01-01 00:00:00', "
        "'2026-01-01 00:00:00')")

    store = Store(data_dir, db_url)
    try:
        assert current_revision(store.engine) == SCHEMA_HEAD
        assert sql("SELECT name, state, live_since FROM workflows") == [
            ("old", "published", None)]
        assert store.workflows.live_since() == {}
    finally:
        store.close()


def test_sqlite_is_in_wal_mode_with_foreign_keys_on(data_dir: Path) -> None:
    store = Store(data_dir)
    try:
        with store.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        store.close()


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(text("INSERT INTO resource_versions (resource_id, version, sha256, size, "
                          "message, author, created_at) VALUES (999, 1, 'x', 0, '', '', "
                          "'2026-01-01 00:00:00')"))


def test_reopening_an_existing_database_keeps_everything(data_dir: Path,
                                                        db_url: str | None) -> None:
    first = Store(data_dir, db_url)
    first.resources.add("keep.py", b"kept = True\n", "first", "me")
    first.close()

    again = Store(data_dir, db_url)
    try:
        assert current_revision(again.engine) == SCHEMA_HEAD
        assert again.resources.read("keep.py")[1] == b"kept = True\n"
        assert again.resources.add("keep.py", b"kept = 2\n", "", "me").version.version == 2
    finally:
        again.close()


def test_a_database_newer_than_the_code_is_refused_clearly(data_dir: Path, db_url: str | None,
                                                          sql: Sql) -> None:
    Store(data_dir, db_url).close()
    sql("UPDATE alembic_version SET version_num = '9999_future'")

    with pytest.raises(BatchError) as raised:
        Store(data_dir, db_url)

    assert str(raised.value) == (f"the database schema (9999_future) is newer than this "
                                 f"jupyter-batch knows ({SCHEMA_HEAD}); upgrade jupyter-batch")
    # and it was left as it was
    assert sql("SELECT version_num FROM alembic_version") == [("9999_future",)]


def test_sqlite_reads_go_on_while_another_process_holds_the_write_lock(data_dir: Path) -> None:
    """A read neither waits for a writer nor blocks one: it sees the last committed state.
    (Were reads to take the write lock, each would wait out the 30 s busy timeout here
    and fail with "database is locked".)"""
    store = Store(data_dir)
    writer = sqlite3.connect(data_dir / "batch.db", isolation_level=None)
    try:
        store.resources.add("kept.py", b"kept = 1\n", "first", "me")
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE resources SET name = 'renamed.py' WHERE name = 'kept.py'")

        assert [r.name for r in store.resources.list()] == ["kept.py"]
        assert store.resources.read("kept.py")[1] == b"kept = 1\n"
        assert store.workflows.list() == []
        assert store.runs.list(None, (), 10, 0) == ([], 0)
        assert store.leases.state("scheduler") is None

        writer.execute("COMMIT")
        assert [r.name for r in store.resources.list()] == ["renamed.py"]
    finally:
        writer.close()
        store.close()


def test_sqlite_writes_still_queue_behind_another_writer(data_dir: Path) -> None:
    """A write waits for the lock another connection holds (busy timeout), then lands."""
    store = Store(data_dir)
    writer = sqlite3.connect(data_dir / "batch.db", isolation_level=None,
                             check_same_thread=False)
    try:
        writer.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.3, writer.execute, ("COMMIT",))
        release.start()

        added = store.resources.add("late.py", b"late = 1\n", "queued", "me")

        release.join()
        assert added.version.version == 1
        assert store.resources.read("late.py")[1] == b"late = 1\n"
    finally:
        writer.close()
        store.close()
