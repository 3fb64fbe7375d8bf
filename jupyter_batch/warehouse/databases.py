"""Database sources: any database SQLAlchemy reaches, read in chunks into the staging
table (so a large table never sits in memory whole).

A ``table`` source keeps the column types SQLAlchemy reflects; a ``query`` source's
types are read off the first non-NULL value of each column. A query may use ``:name``
placeholders, bound (never pasted in) from the task's built-in variables and parameters.
For an incremental sync the watermark condition goes into the source query, with the
last watermark bound as a parameter, so only new rows leave the source database.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidInput, NotFound
from . import coltypes
from .job import named
from .names import quote
from .options import DatabaseSource
from .staging import STAGING

CHUNK_ROWS = 1000
#: pip packages of the drivers SQLAlchemy's dialects import by default
_DRIVERS = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary",
            "MySQLdb": "mysqlclient (or use a mysql+pymysql:// URL and pymysql)",
            "pymysql": "pymysql", "pyodbc": "pyodbc", "oracledb": "oracledb",
            "cx_Oracle": "oracledb"}


def _engine(url: str) -> Any:
    import sqlalchemy as sa
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        engine = sa.create_engine(url)
        _require_database_file(engine.url)
        return engine
    except ModuleNotFoundError as exc:
        package = _DRIVERS.get(exc.name or "", exc.name)
        raise InvalidInput(f"the database driver for this URL is not installed: "
                           f"pip install {package}") from None
    except NoSuchModuleError:
        scheme = url.split(":", 1)[0]
        raise InvalidInput(f"SQLAlchemy knows no database kind {scheme!r}: pip install the "
                           "package of its SQLAlchemy dialect") from None
    except ArgumentError as exc:
        raise InvalidInput(f"source url: {exc}") from None


def _require_database_file(url: Any) -> None:
    """NotFound when a SQLite URL names a file that does not exist: connecting would
    create it, empty, and a mistyped path would read as a database without the table.
    A URI filename (``?uri=true``) is left to its own ``mode``."""
    if url.get_backend_name() != "sqlite" or str(url.query.get("uri", "")).lower() in (
            "true", "1", "yes", "on"):
        return
    if url.database and url.database != ":memory:" and not os.path.exists(url.database):
        raise NotFound(f"database file {os.path.abspath(url.database)!r} does not exist")


def _table_query(conn: Any, name: str, watermark: str | None, since: Any
                 ) -> tuple[Any, list[str | None]]:
    import sqlalchemy as sa
    from sqlalchemy.exc import NoSuchTableError

    schema, _, table_name = name.rpartition(".")
    try:
        table = sa.Table(table_name, sa.MetaData(), schema=schema or None, autoload_with=conn)
    except NoSuchTableError:
        raise NotFound(f"the source database has no table {name!r}") from None
    query = sa.select(table)
    if since is not None:
        if watermark not in table.c:
            raise InvalidInput(f"the watermark column {watermark!r} is not a column of "
                               f"{name} (columns: {', '.join(table.c.keys())})")
        query = query.where(table.c[watermark] > sa.bindparam("batch_watermark", since))
    return query, [coltypes.of_sqlalchemy(c.type) for c in table.columns]


def _text_query(conn: Any, text: str, watermark: str | None, since: Any) -> Any:
    import sqlalchemy as sa

    text = text.strip().rstrip(";")
    if since is None:
        return sa.text(text)
    column = conn.dialect.identifier_preparer.quote(watermark)
    return sa.text(f"SELECT * FROM ({text}) batch_source WHERE {column} > :batch_watermark")


def _params(query: Any, values: Mapping[str, str], since: Any) -> dict[str, Any]:
    known = named(values)
    params: dict[str, Any] = {}
    for name in query.compile().params:
        if name == "batch_watermark":
            params[name] = since
        elif name.lower() in known:
            params[name] = known[name.lower()]
        else:
            raise InvalidInput(f"the source query uses :{name}, which is neither a built-in "
                               f"variable nor a parameter (known: "
                               f"{', '.join(':' + k for k in sorted(known))})")
    return params


class _Stager:
    """Creates the staging table from the first chunk and appends the others; a column
    whose type no value has told yet stays VARCHAR until one does."""

    def __init__(self, con: Any, names: list[str], types: list[str | None]) -> None:
        self.con, self.names, self.types = con, names, types
        self.created = False

    def add(self, rows: list[Any]) -> None:
        learnt = []
        for i, kind in enumerate(self.types):
            if kind is None:
                found = next((coltypes.of_value(r[i]) for r in rows if r[i] is not None), None)
                if found is not None:
                    self.types[i] = found
                    learnt.append(i)
        if not self.created:
            columns = ", ".join(f"{quote(n)} {t or 'VARCHAR'}"
                                for n, t in zip(self.names, self.types, strict=True))
            self.con.execute(f"CREATE TEMP TABLE {STAGING} ({columns})")
            self.created = True
        else:
            for i in learnt:
                self.con.execute(f"ALTER TABLE {STAGING} ALTER COLUMN {quote(self.names[i])} "
                                 f"TYPE {self.types[i]}")
        if rows:
            # a list per column, unnested side by side: DuckDB converts each list at
            # once, many times faster than binding the values one by one
            columns = zip(*rows, strict=True)
            self.con.execute(f"INSERT INTO {STAGING} SELECT "
                             + ", ".join(f"unnest($c{i})" for i in range(len(self.names))),
                             {f"c{i}": list(column) for i, column in enumerate(columns)})

    @property
    def untyped(self) -> frozenset[str]:
        return frozenset(n for n, t in zip(self.names, self.types, strict=True) if t is None)


def stage_database(con: Any, source: DatabaseSource, values: Mapping[str, str],
                   watermark: str | None = None, since: Any = None) -> frozenset[str]:
    """Read the source's rows (only those with ``watermark > since`` when ``since`` is
    given) into the staging table; return the names of columns left without a type."""
    engine = _engine(source.url)
    try:
        with engine.connect() as conn:
            if source.table:
                query, types = _table_query(conn, source.table, watermark, since)
            else:
                query, types = _text_query(conn, source.query or "", watermark, since), None
            result = conn.execution_options(stream_results=True, yield_per=CHUNK_ROWS) \
                .execute(query, _params(query, values, since))
            names = list(result.keys())
            stager = _Stager(con, names, types or [None] * len(names))
            for chunk in result.partitions():
                stager.add(list(chunk))
            if not stager.created:
                stager.add([])
            return stager.untyped
    finally:
        engine.dispose()
