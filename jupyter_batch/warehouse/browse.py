"""Reading the warehouse for people: its tables, a table's first rows, a query.

Every call opens the file read-only for as long as it needs and closes it, so it never
keeps a task from writing; while a task holds the file, a call waits briefly and then
says the warehouse is busy (Conflict). A warehouse that was never written has no tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InvalidInput, NotFound
from .connection import open_read_only
from .names import INTERNAL_SCHEMA, TableName
from .readonly import check_read_only

MAX_LIMIT = 10_000


@dataclass(frozen=True)
class TableInfo:
    #: ``table``, or ``schema.table`` outside the main schema
    name: str
    rows: int


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]
    #: more rows exist than were returned
    truncated: bool = False
    #: the DuckDB type of each column
    types: list[str] = field(default_factory=list)


_TABLES = """
    SELECT schema_name, table_name FROM duckdb_tables()
    WHERE database_name = current_database() AND NOT internal AND NOT temporary
    ORDER BY schema_name <> 'main', schema_name, table_name
"""


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be 1..{MAX_LIMIT}, not {limit}")


class Warehouse:
    """Read access for front ends (tables, preview, query) to the DuckDB file ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _names(self, con: Any) -> list[TableName]:
        return [TableName(schema, table) for schema, table in con.execute(_TABLES).fetchall()]

    def tables(self) -> list[TableInfo]:
        """Every table with its row count (jupyter-batch's own tables left out)."""
        if not self.path.exists():
            return []
        with open_read_only(self.path) as con:
            return [TableInfo(str(name), con.execute(f"SELECT count(*) FROM {name.sql}")
                              .fetchone()[0])
                    for name in self._names(con) if name.schema != INTERNAL_SCHEMA]

    def preview(self, table: str, limit: int = 20) -> QueryResult:
        """The first ``limit`` rows of ``table`` (``name`` or ``schema.name``)."""
        _check_limit(limit)
        wanted = TableName.parse(table)
        if self.path.exists():
            with open_read_only(self.path) as con:
                for name in self._names(con):
                    if (name.schema.lower(), name.table.lower()) == (
                            wanted.schema.lower(), wanted.table.lower()):
                        return _result(con.execute(f"SELECT * FROM {name.sql}"), limit)
        raise NotFound(f"the warehouse has no table {table!r} "
                       "(see 'jupyter batch warehouse tables')")

    def query(self, sql: str, limit: int = 1000) -> QueryResult:
        """The first ``limit`` rows of one read-only query (InvalidInput for anything
        else, or for a query the warehouse rejects)."""
        import duckdb

        _check_limit(limit)
        check_read_only(sql)
        if not self.path.exists():
            raise InvalidInput("the warehouse is empty: no sync or sql task has written "
                               "to it yet")
        with open_read_only(self.path) as con:
            try:
                return _result(con.execute(sql), limit)
            except duckdb.Error as exc:
                raise InvalidInput(f"the query failed: {_one_line(exc)}") from None


def _one_line(exc: Exception) -> str:
    """DuckDB's message without the quoted query it appends (a front end shows one line)."""
    lines = []
    for line in str(exc).splitlines():
        if line.startswith("LINE "):
            break
        if line.strip():
            lines.append(line.strip())
    return " ".join(lines)


def _result(cursor: Any, limit: int) -> QueryResult:
    rows = cursor.fetchmany(limit + 1)
    return QueryResult(columns=[d[0] for d in cursor.description],
                       rows=[list(r) for r in rows[:limit]], truncated=len(rows) > limit,
                       types=[str(d[1]) for d in cursor.description])
