"""Warehouse reading for front ends: tables with row counts (jupyter-batch's own hidden),
a table's first rows, one read-only query — refusing anything that writes or reads
outside the warehouse — and a clear "busy" while a task holds the file."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from jupyter_batch.errors import Conflict, InvalidInput, NotFound
from jupyter_batch.warehouse import QueryResult, TableInfo, Warehouse


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE orders AS SELECT range AS id, 'c' || range AS customer "
                    "FROM range(30)")
        con.execute("CREATE SCHEMA sales; CREATE TABLE sales.totals (region VARCHAR, "
                    "total DECIMAL(10, 2)); INSERT INTO sales.totals VALUES ('eu', 12.5)")
        con.execute("CREATE SCHEMA _batch; CREATE TABLE _batch.watermarks (target VARCHAR)")
    return Warehouse(path)


def test_a_warehouse_never_written_has_no_tables(tmp_path: Path) -> None:
    empty = Warehouse(tmp_path / "none.duckdb")
    assert empty.tables() == []
    with pytest.raises(NotFound, match="the warehouse has no table 'orders'"):
        empty.preview("orders")
    assert not (tmp_path / "none.duckdb").exists()


def test_tables_lists_every_table_with_its_row_count_but_not_our_own(
        warehouse: Warehouse) -> None:
    assert warehouse.tables() == [TableInfo("orders", 30), TableInfo("sales.totals", 1)]


def test_preview_shows_the_first_rows_and_says_when_there_are_more(
        warehouse: Warehouse) -> None:
    result = warehouse.preview("orders", limit=3)
    assert result == QueryResult(columns=["id", "customer"],
                                 rows=[[0, "c0"], [1, "c1"], [2, "c2"]], truncated=True,
                                 types=["BIGINT", "VARCHAR"])
    totals = warehouse.preview("SALES.Totals")
    assert (totals.rows, totals.truncated, totals.types) == (
        [["eu", pytest.approx(12.5)]], False, ["VARCHAR", "DECIMAL(10,2)"])


def test_preview_of_a_missing_table_is_not_found_naming_it(warehouse: Warehouse) -> None:
    with pytest.raises(NotFound, match=r"the warehouse has no table 'sales\.orders'"):
        warehouse.preview("sales.orders")
    with pytest.raises(InvalidInput, match=r"limit must be 1\.\.10000"):
        warehouse.preview("orders", limit=0)


def test_a_query_returns_its_rows_up_to_the_limit(warehouse: Warehouse) -> None:
    result = warehouse.query("WITH o AS (SELECT * FROM orders) "
                             "SELECT count(*) AS n, max(id) AS top FROM o")
    assert (result.columns, result.rows, result.truncated) == (["n", "top"], [[30, 29]], False)
    assert warehouse.query("SELECT id FROM orders ORDER BY id", limit=2).truncated
    assert ["orders"] in warehouse.query("SHOW TABLES").rows
    assert warehouse.query("DESCRIBE orders").rows[0][:2] == ["id", "BIGINT"]


@pytest.mark.parametrize(("sql", "message"), [
    ("DROP TABLE orders", "only a SELECT, WITH, SHOW or DESCRIBE query can run here, not DROP"),
    ("INSERT INTO orders VALUES (99, 'x')", "not INSERT"),
    ("WITH x AS (SELECT 1) INSERT INTO orders SELECT * FROM x", "not INSERT"),
    ("COPY orders TO '/tmp/out.csv'", "not COPY"),
    ("ATTACH '/tmp/other.duckdb'", "not ATTACH"),
    ("SELECT 1; DROP TABLE orders", "a query is one statement; this has 2"),
    ("SELECT FROM WHERE (", "cannot parse the query"),
])
def test_a_query_that_is_not_one_read_only_statement_is_refused(
        warehouse: Warehouse, sql: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        warehouse.query(sql)
    assert warehouse.tables()[0] == TableInfo("orders", 30)


def test_a_query_cannot_read_files_outside_the_warehouse(
        warehouse: Warehouse, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("password\nhunter2\n")
    with pytest.raises(InvalidInput, match="the query failed: Permission Error"):
        warehouse.query(f"SELECT * FROM read_csv('{secret}')")


def test_a_query_the_warehouse_rejects_is_invalid_input(warehouse: Warehouse) -> None:
    with pytest.raises(InvalidInput, match="the query failed: Catalog Error"):
        warehouse.query("SELECT * FROM nope")


@pytest.fixture
def held(warehouse: Warehouse) -> Iterator[None]:
    """Another process (a task) holds the warehouse open for writing."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); sys.stdin.read()",
         str(warehouse.path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    yield
    proc.communicate("")


@pytest.mark.usefixtures("held")
def test_a_warehouse_held_by_a_task_is_busy_after_a_short_wait(warehouse: Warehouse) -> None:
    started = time.monotonic()
    with pytest.raises(Conflict, match="the warehouse is busy: another process holds it"):
        warehouse.tables()
    assert 1.0 < time.monotonic() - started < 10
