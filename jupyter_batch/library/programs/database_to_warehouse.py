"""database_to_warehouse: copy a table or query of any database SQLAlchemy reaches into
a warehouse table — the ``sync`` task as a ready program.

The copy is the sync task's own (``jupyter_batch.warehouse.sync_runner``): read in
chunks into a staging table, checked against the target, written by ``mode`` in one
transaction, so a copy that fails leaves the target as it was. ``overwrite`` replaces
the rows, ``append`` adds them, ``upsert`` updates rows by ``key`` and inserts the new,
``incremental`` copies only rows whose ``watermark`` column grew since the last run.

The database's driver must be installed (``pip install psycopg[binary]`` for PostgreSQL,
``pymysql`` for MySQL...). Outputs: ``rows_read``, ``rows_written`` (and the sync's
others: ``rows_inserted``, ``rows_updated``, ``watermark``).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from jupyter_batch.errors import InvalidInput
from jupyter_batch.library import runtime
from jupyter_batch.model.program import Param, Program
from jupyter_batch.warehouse.options import MODES, SyncOptions, parse_options
from jupyter_batch.warehouse.sync_runner import sync


def _url_problem(url: str) -> str | None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(url)
    except ArgumentError:
        return "is not a SQLAlchemy URL (e.g. postgresql+psycopg://user:password@host/db)"
    return None


def options(p: Mapping[str, Any]) -> SyncOptions:
    """The sync task's options for these parameters (InvalidInput when they do not go
    together: an upsert without a key...)."""
    source = p["source"].strip()
    kind = "table" if runtime.TABLE.match(source) else "query"
    return parse_options({"source": {"url": p["url"], kind: source},
                          "target": p["target"], "mode": p["mode"], "key": p["key"],
                          "watermark": p["watermark"]})


def _rules(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    try:
        options(values)
    except InvalidInput as exc:
        return [("mode", str(exc))]
    return []


PROGRAM = Program(
    name="database_to_warehouse",
    title="Database to warehouse",
    description="Copy a table or query of any database SQLAlchemy reaches (PostgreSQL, "
                "MySQL, SQLite, Oracle, SQL Server...) into a warehouse table: overwrite, "
                "append, upsert or incremental.",
    params=(
        Param("url", "string", required=True, check=_url_problem,
              help="SQLAlchemy URL of the database, e.g. postgresql+psycopg://user:pw@host/db"),
        Param("source", "string", required=True,
              help="a table ([schema.]name) or one SELECT query; a query may use :ds, "
                   ":run_id or a parameter as :name (bound, never pasted in)"),
        runtime.TARGET,
        Param("mode", "string", default="overwrite", choices=MODES,
              help="overwrite, append, upsert (needs key) or incremental (needs watermark)"),
        Param("key", "list", help="the columns that identify a row (upsert, incremental)"),
        Param("watermark", "string",
              help="the column whose growing value tells new rows (incremental)"),
    ),
    example={"url": "postgresql+psycopg://reader@db.example.com/shop", "source": "orders",
             "target": "shop.orders", "mode": "upsert", "key": ["id"]},
    rules=_rules,
)


def run(p: Mapping[str, Any]) -> dict[str, object]:
    with runtime.open_warehouse() as con:
        return sync(con, options(p), runtime.values())


if __name__ == "__main__":
    sys.exit(runtime.main(PROGRAM, run))
