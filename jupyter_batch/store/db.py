"""Opening the database: engine settings per dialect, and the schema brought up to date."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError, ProgrammingError

from ..errors import BatchError

#: The newest migration; a test checks it is alembic's head.
SCHEMA_HEAD = "0003"
MIGRATIONS = Path(__file__).parent / "migrations"


#: set on a connection that only reads (see ``reading``)
_READS_ONLY = "jupyter_batch_reads_only"


def reading(engine: Engine) -> Connection:
    """A connection for reading only. On SQLite its transaction is a plain (deferred)
    ``BEGIN``: in WAL mode it reads a consistent snapshot without taking the write
    lock, so it neither waits for a writer (the state writer's batch, a publish in
    another process) nor makes one wait. Writes use ``engine.begin()``."""
    return engine.connect().execution_options(**{_READS_ONLY: True})


def _sqlite_setup(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and ``BEGIN IMMEDIATE`` for transactions that
    may write.

    pysqlite starts transactions lazily, so a transaction that reads and then writes can
    fail with "database is locked" without waiting; taking the write lock at BEGIN makes
    concurrent writers queue on the busy timeout instead. A connection from ``reading``
    never writes, so it begins deferred and takes no lock.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        reads_only = connection.get_execution_options().get(_READS_ONLY, False)
        connection.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")


class JSONText(str):
    """JSON text encoded already (a run's definition, see ``workflow_to_json``): a JSON
    column stores it as it is, where any other value is encoded with ``json.dumps``."""


def _json_text(value: object) -> str:
    """The engine's JSON serializer, on every dialect (sqlite3 calls it in SQLAlchemy's
    bind processor, psycopg in its own JSON dumper)."""
    return str(value) if isinstance(value, JSONText) else json.dumps(value, allow_nan=False)


def open_engine(url: str) -> Engine:
    """An engine for ``url`` with its schema migrated to ``SCHEMA_HEAD``."""
    engine = create_engine(url, json_serializer=_json_text)
    if engine.dialect.name == "sqlite":
        _sqlite_setup(engine)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()  # no pooled connection outlives a store that failed to open
        raise
    return engine


def current_revision(engine: Engine) -> str | None:
    try:
        with reading(engine) as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError):
        return None


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the head revision (alembic is imported only when needed)."""
    revision = current_revision(engine)
    if revision == SCHEMA_HEAD:
        return
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    known = {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}
    if revision is not None and revision not in known:
        raise BatchError(f"the database schema ({revision}) is newer than this jupyter-batch "
                         f"knows ({SCHEMA_HEAD}); upgrade jupyter-batch")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
