"""The last watermark of each incremental sync, kept in the warehouse itself
(``_batch.watermarks``) so that it changes in the same transaction as the rows it
describes: a sync that fails moves neither.

A watermark belongs to its target table. It is forgotten when the table is gone (the
next sync copies everything again), and it is stored as text: it is turned back into
a value of the target column's type when it is used.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..errors import Conflict
from .names import INTERNAL_SCHEMA, TableName, quote

TABLE = f"{quote(INTERNAL_SCHEMA)}.watermarks"


def _key(target: TableName) -> str:
    return f"{target.schema}.{target.table}".lower()


def last(con: Any, target: TableName, column: str, column_type: str | None) -> Any:
    """The stored watermark of ``target`` as a ``column_type`` value (None when there is
    none, or no such column in the target). Conflict when it was kept for another
    column: copying by a different watermark would copy rows twice or never."""
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = $s AND "
                         "table_name = 'watermarks'", {"s": INTERNAL_SCHEMA}).fetchone()[0]
    if not exists or column_type is None:
        return None
    row = con.execute(f'SELECT "column", value FROM {TABLE} WHERE target = $t',
                      {"t": _key(target)}).fetchone()
    if row is None:
        return None
    if row[0].lower() != column.lower():
        raise Conflict(f"{target} was synced incrementally by column {row[0]!r}, and this "
                       f"task says {column!r}: to start over, drop the table (or delete its "
                       f"row from {INTERNAL_SCHEMA}.watermarks)")
    # column_type comes from the warehouse's own catalog, not from any input
    return con.execute(f"SELECT CAST($v AS {column_type})", {"v": row[1]}).fetchone()[0]


def store(con: Any, target: TableName, column: str, value: str) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(INTERNAL_SCHEMA)}")
    con.execute(f'CREATE TABLE IF NOT EXISTS {TABLE} (target VARCHAR PRIMARY KEY, '
                f'"column" VARCHAR NOT NULL, value VARCHAR NOT NULL, '
                f'updated_utc TIMESTAMP NOT NULL)')
    # naive UTC: DuckDB's Python client needs pytz to return a TIMESTAMP WITH TIME ZONE
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    con.execute(f"INSERT OR REPLACE INTO {TABLE} VALUES ($t, $c, $v, $now)",
                {"t": _key(target), "c": column, "v": value, "now": now})
