"""Writing the staged rows into the target table, by mode, after checking that they fit.

The first sync into a table creates it with the source's columns and types; from then
on the table's columns are the contract: every sync (overwrite included, which replaces
the rows but keeps the table) must bring exactly those columns, each of the same type or
one that widens without loss (see ``coltypes.fits``). A mismatch names every column
concerned with both types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import Conflict, InvalidInput
from .coltypes import fits
from .names import TableName, quote
from .staging import STAGING, Column


@dataclass(frozen=True)
class Written:
    inserted: int
    updated: int = 0

    @property
    def rows(self) -> int:
        return self.inserted + self.updated


def target_columns(con: Any, target: TableName) -> dict[str, str] | None:
    """Column name → DuckDB type of the target table, in order; None when it does not
    exist (names compare case-insensitively, as DuckDB's do)."""
    rows = con.execute(
        "SELECT c.column_name, c.data_type FROM duckdb_tables() t JOIN duckdb_columns() c "
        "ON c.table_oid = t.table_oid WHERE t.database_name = current_database() "
        "AND lower(t.schema_name) = lower($s) AND lower(t.table_name) = lower($t) "
        "AND NOT t.temporary ORDER BY c.column_index",
        {"s": target.schema, "t": target.table}).fetchall()
    return {name: kind for name, kind in rows} or None


def check_fits(source: Sequence[Column], target: dict[str, str], name: TableName) -> None:
    """Conflict unless the source has exactly the target's columns, each of a type that
    fits."""
    theirs = {n.lower(): (n, t) for n, t in target.items()}
    ours = {c.name.lower(): c for c in source}
    problems = []
    extra = [f"{c.name} ({c.type})" for c in source if c.name.lower() not in theirs]
    if extra:
        problems.append(f"the source has columns the table does not: {', '.join(extra)}")
    missing = [f"{n} ({t})" for n, t in target.items() if n.lower() not in ours]
    if missing:
        problems.append(f"the table has columns the source does not: {', '.join(missing)}")
    problems += [f"column {c.name}: the source's type is {c.type}, the table's "
                 f"{theirs[c.name.lower()][1]}"
                 for c in source if c.name.lower() in theirs and c.typed
                 and not fits(c.type, theirs[c.name.lower()][1])]
    if problems:
        raise Conflict(f"the source does not fit the table {name}: " + "; ".join(problems)
                       + " (change the source, or drop the table to let the next sync "
                         "create it anew)")


def _create(con: Any, target: TableName) -> Written:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(target.schema)}")
    return Written(con.execute(f"CREATE TABLE {target.sql} AS SELECT * FROM {STAGING}")
                   .fetchone()[0])


def _insert(con: Any, target: TableName) -> Written:
    return Written(con.execute(f"INSERT INTO {target.sql} BY NAME SELECT * FROM {STAGING}")
                   .fetchone()[0])


def _check_key(con: Any, key: Sequence[str], columns: Sequence[Column]) -> None:
    names = {c.name.lower() for c in columns}
    unknown = [k for k in key if k.lower() not in names]
    if unknown:
        raise InvalidInput(f"key column {unknown[0]!r} is not a column of the source")
    cols = ", ".join(quote(k) for k in key)
    nulls = con.execute(f"SELECT count(*) FROM {STAGING} WHERE "
                        + " OR ".join(f"{quote(k)} IS NULL" for k in key)).fetchone()[0]
    if nulls:
        raise Conflict(f"{nulls} source row(s) have a NULL key ({', '.join(key)}); an upsert "
                       "needs every key")
    duplicate = con.execute(f"SELECT {cols}, count(*) FROM {STAGING} GROUP BY ALL "
                            "HAVING count(*) > 1 LIMIT 1").fetchone()
    if duplicate:
        raise Conflict(f"the source has {duplicate[-1]} rows with the same key "
                       f"({', '.join(key)}) = {tuple(duplicate[:-1])}; an upsert needs each "
                       "key once")


def _upsert(con: Any, target: TableName, key: Sequence[str]) -> Written:
    match = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in key)
    updated = con.execute(f"SELECT count(*) FROM {STAGING} s WHERE EXISTS "
                          f"(SELECT 1 FROM {target.sql} t WHERE {match})").fetchone()[0]
    total = con.execute(f"MERGE INTO {target.sql} t USING {STAGING} s ON ({match}) "
                        "WHEN MATCHED THEN UPDATE BY NAME "
                        "WHEN NOT MATCHED THEN INSERT BY NAME").fetchone()[0]
    return Written(inserted=total - updated, updated=updated)


def write(con: Any, target: TableName, mode: str, key: Sequence[str],
          columns: Sequence[Column]) -> Written:
    """Write the staged rows into ``target`` (created when missing) by ``mode``."""
    existing = target_columns(con, target)
    if key:
        _check_key(con, key, columns)
    if existing is None:
        return _create(con, target)
    check_fits(columns, existing, target)
    if key:
        return _upsert(con, target, key)
    if mode == "overwrite":
        con.execute(f"DELETE FROM {target.sql}")
    return _insert(con, target)
