"""sync tasks as a user meets them: a SQLite database, CSV, Parquet and JSON-lines files
(also behind an fsspec URL) copied into the warehouse in each mode; types carried over;
and a sync that fails — a type mismatch, a source error midway, a constraint — leaving
the target table exactly as it was. Every test runs twice: with the task run locally,
and on a Dask worker."""

from __future__ import annotations

import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from jupyter_batch.model.states import RunState
from jupyter_batch.service import BatchService
from jupyter_batch.warehouse import Warehouse
from tests import engine_fixtures
from tests.warehouse.support import column_types, log, rows, run_tasks, sql, sync

service = engine_fixtures.service_on_each_executor

ORDERS = [(1, "12.50", "ann", "2026-11-18 09:00:00"),
          (2, "7.25", "bob", "2026-11-19 10:30:00"),
          (3, "3.00", "cy", "2026-11-19 11:00:00")]


@pytest.fixture
def source(tmp_path: Path) -> Iterator[tuple[sqlite3.Connection, str]]:
    """A SQLite database with an ``orders`` table: (connection, its SQLAlchemy URL)."""
    path = tmp_path / "shop.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, amount NUMERIC(10, 2), "
                "customer TEXT, updated TIMESTAMP)")
    con.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", ORDERS)
    con.commit()
    yield con, f"sqlite:///{path}"
    con.close()


def ok(svc: BatchService, *tasks: dict[str, Any], **kw: Any) -> dict[str, str]:
    """Run ``tasks``; they must succeed. The last one's outputs."""
    run = run_tasks(svc, *tasks, **kw)
    last = tasks[-1]["id"]
    assert run.state == RunState.SUCCESS, log(svc, run, last)
    return run.task(last).outputs


def test_overwrite_creates_the_table_with_the_sources_types_then_replaces_its_rows(
        service: BatchService, source: tuple[sqlite3.Connection, str]) -> None:
    con, url = source
    outputs = ok(service, sync("load", {"url": url, "table": "orders"}, "shop.orders"))
    assert outputs == {"rows_read": "3", "rows_written": "3"}
    assert column_types(service.warehouse_path, "orders") == {
        "id": "BIGINT", "amount": "DECIMAL(10,2)", "customer": "VARCHAR",
        "updated": "TIMESTAMP"}
    assert [t.name for t in Warehouse(service.warehouse_path).tables()] == ["shop.orders"]

    con.execute("DELETE FROM orders WHERE id = 1")
    con.commit()
    run = run_tasks(service, sync("load", {"url": url, "table": "orders"}, "shop.orders"))
    assert run.task("load").outputs == {"rows_read": "2", "rows_written": "2"}
    text = log(service, run, "load")
    assert f"sync table orders of {url} into shop.orders (mode overwrite)" in text
    assert "read 2 rows from the source\nwrote 2 rows into shop.orders" in text
    assert rows(service.warehouse_path, "SELECT id, CAST(amount AS VARCHAR) FROM shop.orders "
                                        "ORDER BY id") == [(2, "7.25"), (3, "3.00")]


def test_append_adds_what_a_query_returns_with_its_parameters_bound(
        service: BatchService, source: tuple[sqlite3.Connection, str]) -> None:
    _, url = source
    task = sync("load", {"url": url, "query": "SELECT id, customer, :ds AS day FROM orders "
                                              "WHERE customer <> :skip"},
                "picked", mode="append")
    for _ in range(2):
        assert ok(service, task, params={"skip": "bob"}) == {"rows_read": "2",
                                                              "rows_written": "2"}
    assert rows(service.warehouse_path, "SELECT id, customer, day FROM picked ORDER BY id") == [
        (1, "ann", "2026-11-20"), (1, "ann", "2026-11-20"),
        (3, "cy", "2026-11-20"), (3, "cy", "2026-11-20")]
    assert column_types(service.warehouse_path, "picked") == {
        "id": "BIGINT", "customer": "VARCHAR", "day": "VARCHAR"}


def test_incremental_copies_only_rows_newer_than_the_stored_watermark(
        service: BatchService, source: tuple[sqlite3.Connection, str]) -> None:
    con, url = source
    task = sync("load", {"url": url, "table": "orders"}, "orders", mode="incremental",
                watermark="updated")
    assert ok(service, task) == {"rows_read": "3", "rows_written": "3",
                                 "watermark": "2026-11-19 11:00:00"}

    con.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)",
                    [(4, "1.00", "dee", "2026-11-20 08:00:00"),
                     (5, "2.00", "eve", "2026-11-20 09:00:00")])
    con.commit()
    run = run_tasks(service, task)
    assert run.task("load").outputs == {"rows_read": "2", "rows_written": "2",
                                        "watermark": "2026-11-20 09:00:00"}
    assert "copying rows whose updated is after 2026-11-19 11:00:00" in log(service, run, "load")
    assert rows(service.warehouse_path, "SELECT id FROM orders ORDER BY id") == [
        (1,), (2,), (3,), (4,), (5,)]

    assert ok(service, task) == {"rows_read": "0", "rows_written": "0",
                                 "watermark": "2026-11-20 09:00:00"}
    assert rows(service.warehouse_path, "SELECT target, \"column\", value FROM "
                                        "_batch.watermarks") == [
        ("main.orders", "updated", "2026-11-20 09:00:00")]
    assert [t.name for t in Warehouse(service.warehouse_path).tables()] == ["orders"]


def test_incremental_from_a_file_keeps_only_the_newer_rows(
        service: BatchService, tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("id,at\n1,2026-11-19\n2,2026-11-20\n")
    task = sync("load", {"path": str(path)}, "events", mode="incremental", watermark="at")
    assert ok(service, task)["rows_written"] == "2"
    path.write_text("id,at\n1,2026-11-19\n2,2026-11-20\n3,2026-11-21\n")
    assert ok(service, task) == {"rows_read": "3", "rows_written": "1",
                                 "watermark": "2026-11-21"}
    assert rows(service.warehouse_path, "SELECT id FROM events ORDER BY id") == [
        (1,), (2,), (3,)]


def test_upsert_updates_rows_whose_key_exists_and_inserts_the_others(
        service: BatchService, source: tuple[sqlite3.Connection, str]) -> None:
    con, url = source
    task = sync("load", {"url": url, "table": "orders"}, "orders", mode="upsert", key=["id"])
    assert ok(service, task)["rows_inserted"] == "3"
    con.execute("UPDATE orders SET customer = 'BOB' WHERE id = 2")
    con.execute("DELETE FROM orders WHERE id = 3")
    con.execute("INSERT INTO orders VALUES (9, '9.99', 'zed', '2026-11-20 12:00:00')")
    con.commit()
    run = run_tasks(service, task)
    assert run.task("load").outputs == {"rows_read": "3", "rows_written": "3",
                                        "rows_inserted": "1", "rows_updated": "2"}
    assert "wrote 3 rows into orders (1 inserted, 2 updated)" in log(service, run, "load")
    assert rows(service.warehouse_path, "SELECT id, customer FROM orders ORDER BY id") == [
        (1, "ann"), (2, "BOB"), (3, "cy"), (9, "zed")]


def test_an_upsert_refuses_a_source_with_a_key_twice(
        service: BatchService, tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text("id,v\n1,a\n1,b\n")
    run = run_tasks(service, sync("load", {"path": str(path)}, "t", mode="upsert", key=["id"]))
    assert run.state == RunState.FAILED
    assert "the source has 2 rows with the same key (id) = (1,)" in log(service, run, "load")


def _write_files(folder: Path) -> dict[str, Path]:
    """The same three rows as CSV, Parquet and JSON lines."""
    csv = folder / "sales_20261120.csv"
    csv.write_text("id,region,amount,day\n1,eu,2.5,2026-11-20\n2,us,4.0,2026-11-20\n"
                   "3,eu,1.5,2026-11-21\n")
    parquet = folder / "sales.parquet"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{parquet}' (FORMAT parquet)")
    jsonl = folder / "sales.jsonl"
    jsonl.write_text("".join(
        f'{{"id": {i}, "region": "{r}", "amount": {a}, "day": "{d}"}}\n'
        for i, r, a, d in [(1, "eu", 2.5, "2026-11-20"), (2, "us", 4.0, "2026-11-20"),
                           (3, "eu", 1.5, "2026-11-21")]))
    return {"csv": folder / "sales_${ds_nodash}.csv", "parquet": parquet, "jsonl": jsonl}


@pytest.mark.parametrize("fmt", ["csv", "parquet", "jsonl"])
def test_a_file_is_copied_with_its_types_and_its_format_read_off_its_name(
        service: BatchService, tmp_path: Path, fmt: str) -> None:
    path = _write_files(tmp_path)[fmt]
    assert ok(service, sync("load", {"path": str(path)}, "sales")) == {
        "rows_read": "3", "rows_written": "3"}
    assert column_types(service.warehouse_path, "sales") == {
        "id": "BIGINT", "region": "VARCHAR", "amount": "DOUBLE", "day": "DATE"}
    assert rows(service.warehouse_path, "SELECT id, region, amount FROM sales ORDER BY id") == [
        (1, "eu", 2.5), (2, "us", 4.0), (3, "eu", 1.5)]


def test_a_file_is_read_through_an_fsspec_url(service: BatchService, tmp_path: Path) -> None:
    archive = tmp_path / "drop.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("exports/sales.data", "id,region\n1,eu\n2,us\n")
    url = f"zip://exports/sales.data::{archive}"
    assert ok(service, sync("load", {"path": url, "format": "csv"}, "sales")) == {
        "rows_read": "2", "rows_written": "2"}
    assert rows(service.warehouse_path, "SELECT * FROM sales ORDER BY id") == [
        (1, "eu"), (2, "us")]


def test_a_type_mismatch_fails_naming_the_columns_and_leaves_the_table_as_it_was(
        service: BatchService, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("id,amount,note\n1,10,x\n2,20,y\n")
    bad.write_text("id,amount,extra\n3,lots,z\n")
    ok(service, sync("load", {"path": str(good)}, "t"))
    before = rows(service.warehouse_path, "SELECT * FROM t ORDER BY id")

    run = run_tasks(service, sync("load", {"path": str(bad)}, "t", mode="append"))
    assert run.state == RunState.FAILED
    text = log(service, run, "load")
    assert "error: the source does not fit the table t: " \
           "the source has columns the table does not: extra (VARCHAR); " \
           "the table has columns the source does not: note (VARCHAR); " \
           "column amount: the source's type is VARCHAR, the table's BIGINT" in text
    assert rows(service.warehouse_path, "SELECT * FROM t ORDER BY id") == before


def test_a_source_error_midway_leaves_the_table_as_it_was(
        service: BatchService, source: tuple[sqlite3.Connection, str]) -> None:
    _, url = source
    ok(service, sync("load", {"url": url, "table": "orders"}, "orders"))
    before = rows(service.warehouse_path, "SELECT * FROM orders ORDER BY id")
    # SQLite raises "integer overflow" only when it reaches row 2500, after the first
    # chunks were read
    failing = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
               "SELECT i AS id, CASE WHEN i < 2500 THEN i ELSE abs(-9223372036854775807 - 1) "
               "END AS amount FROM n")
    run = run_tasks(service, sync("load", {"url": url, "query": failing}, "orders"))
    assert run.state == RunState.FAILED
    assert "integer overflow" in log(service, run, "load")
    assert rows(service.warehouse_path, "SELECT * FROM orders ORDER BY id") == before


def test_a_failure_after_the_old_rows_were_deleted_rolls_the_delete_back(
        service: BatchService, tmp_path: Path) -> None:
    path = tmp_path / "amounts.csv"
    path.write_text("id,amount\n1,5\n2,-1\n")
    ok(service, sql("setup", "CREATE TABLE t (id BIGINT, amount BIGINT CHECK (amount >= 0));"
                             "INSERT INTO t VALUES (7, 70), (8, 80)"))
    run = run_tasks(service, sync("load", {"path": str(path)}, "t", mode="overwrite"))
    assert run.state == RunState.FAILED
    assert "CHECK constraint failed" in log(service, run, "load")
    assert rows(service.warehouse_path, "SELECT * FROM t ORDER BY id") == [(7, 70), (8, 80)]


def test_a_missing_database_driver_is_named_with_what_to_install(
        service: BatchService) -> None:
    # MySQL's default driver is in no extra of ours (psycopg, for PostgreSQL, now is)
    run = run_tasks(service, sync("load", {"url": "mysql://user:secret@localhost/shop",
                                           "table": "orders"}, "orders"))
    text = log(service, run, "load")
    assert run.state == RunState.FAILED
    assert ("the database driver for this URL is not installed: pip install mysqlclient "
            "(or use a mysql+pymysql:// URL and pymysql)") in text
    assert "secret" not in text


def test_a_sqlite_file_that_does_not_exist_is_named_and_not_created(
        service: BatchService, tmp_path: Path) -> None:
    missing = tmp_path / "nosuch.db"
    run = run_tasks(service, sync("load", {"url": f"sqlite:///{missing}", "table": "orders"},
                                  "orders"))

    assert run.state == RunState.FAILED
    assert f"database file '{missing}' does not exist" in log(service, run, "load")
    assert not missing.exists()


@pytest.mark.parametrize(("fields", "message"), [
    ({"mode": "incremental"}, "mode incremental needs 'watermark'"),
    ({"mode": "upsert"}, "mode upsert needs 'key'"),
    ({"watermark": "at"}, "'watermark' is for mode incremental, not overwrite"),
    ({"target": "_batch.sneaky"}, "target: the _batch schema is jupyter-batch's own"),
])
def test_options_that_do_not_go_together_fail_before_a_process_starts(
        service: BatchService, tmp_path: Path, fields: dict[str, Any], message: str) -> None:
    task = {**sync("load", {"path": str(tmp_path / "x.csv")}, "t"), **fields}
    run = run_tasks(service, task)
    text = log(service, run, "load")
    assert run.state == RunState.FAILED
    assert f"jupyter-batch: {message}" in text
    assert "# command:" not in text
