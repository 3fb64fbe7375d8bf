"""database_to_warehouse run for real: a SQLite database (any SQLAlchemy URL) copied into
the warehouse by the sync task's own machinery — a table, a query bound to the run's
variables, an upsert — and a missing driver named with its install."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from jupyter_batch.errors import InvalidWorkflow
from jupyter_batch.model.states import RunState
from jupyter_batch.service import BatchService
from tests.library.support import DAY, outputs, report, rows, run, use, use_and_run


def shop(tmp_path: Path) -> tuple[sqlite3.Connection, str]:
    path = tmp_path / "shop.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, day TEXT, amount REAL)")
    con.executemany("INSERT INTO orders VALUES (?, ?, ?)",
                    [(1, "2026-11-19", 12.5), (2, DAY, 7.25), (3, DAY, 3.0)])
    con.commit()
    return con, f"sqlite:///{path}"


def test_a_table_then_an_upsert_then_a_query_with_the_logical_date(
        service: BatchService, tmp_path: Path) -> None:
    con, url = shop(tmp_path)
    copied = use_and_run(service, "database_to_warehouse",
                         {"url": url, "source": "orders", "target": "raw.orders"})
    assert copied.state == RunState.SUCCESS, report(service, copied)
    assert outputs(copied) == {"rows_read": "3", "rows_written": "3"}

    con.execute("UPDATE orders SET amount = 99 WHERE id = 1")
    con.execute("INSERT INTO orders VALUES (4, ?, 1.0)", (DAY,))
    con.commit()
    upsert = use(service, "database_to_warehouse", {"url": url, "source": "orders",
                                                    "target": "raw.orders", "mode": "upsert",
                                                    "key": "id"})
    assert outputs(run(service, upsert)) == {"rows_read": "4", "rows_written": "4",
                                             "rows_inserted": "1", "rows_updated": "3"}
    assert rows(service.warehouse_path, "SELECT id, amount FROM raw.orders ORDER BY id") == [
        (1, 99.0), (2, 7.25), (3, 3.0), (4, 1.0)]

    daily = use_and_run(service, "database_to_warehouse", {
        "url": url, "source": "SELECT id, amount FROM orders WHERE day = :ds",
        "target": "today"})
    assert daily.state == RunState.SUCCESS, report(service, daily)
    assert rows(service.warehouse_path, "SELECT id FROM today ORDER BY id") == [
        (2,), (3,), (4,)]
    con.close()


def test_options_that_do_not_go_together_are_refused_before_anything_runs(
        service: BatchService) -> None:
    try:
        use(service, "database_to_warehouse", {"url": "sqlite://", "source": "t",
                                               "target": "t", "mode": "incremental"})
    except InvalidWorkflow as exc:
        assert [(p.where, p.message) for p in exc.problems] == [
            ("params.mode", "mode incremental needs 'watermark': the column whose growing "
                            "value tells new rows from those already copied")]
    else:
        raise AssertionError("saved")
    assert service.list_workflows() == []


def test_a_mistyped_sqlite_path_is_named_and_no_database_is_created(
        service: BatchService, tmp_path: Path) -> None:
    missing = tmp_path / "nosuch.db"
    failed = use_and_run(service, "database_to_warehouse", {
        "url": f"sqlite:///{missing}", "source": "orders", "target": "orders"})

    assert failed.state == RunState.FAILED
    assert report(service, failed)[-1] == f"error: database file '{missing}' does not exist"
    assert not missing.exists()


def test_a_missing_driver_is_named_with_its_install(service: BatchService) -> None:
    failed = use_and_run(service, "database_to_warehouse", {
        "url": "postgresql+psycopg2://reader:secret@127.0.0.1:1/shop", "source": "orders",
        "target": "orders"})

    assert failed.state == RunState.FAILED
    lines = report(service, failed)
    assert lines[-1] == ("error: the database driver for this URL is not installed: "
                         "pip install psycopg2-binary")
    assert not any("secret" in line for line in lines)
