"""columns_to_rows and rows_to_columns run for real on warehouse tables (and a file):
unpivoted, pivoted back to the very table they started from, and their errors told."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_batch.model.states import RunState
from jupyter_batch.service import BatchService
from tests.library.support import outputs, report, rows, seed, use_and_run

SALES = [("eu", "a", 1, 2, None), ("us", "b", 4, 5, 6)]


@pytest.fixture
def sales(service: BatchService) -> str:
    seed(service.warehouse_path,
         "CREATE TABLE sales (region VARCHAR, product VARCHAR, jan INTEGER, feb INTEGER, "
         "mar INTEGER)",
         "INSERT INTO sales VALUES ('eu', 'a', 1, 2, NULL), ('us', 'b', 4, 5, 6)")
    return "sales"


def ok(service: BatchService, program: str, params: dict[str, object]) -> dict[str, str]:
    run = use_and_run(service, program, params)
    assert run.state == RunState.SUCCESS, report(service, run)
    return outputs(run)


def test_columns_to_rows_unpivots_the_value_columns_keeping_the_ids(
        service: BatchService, sales: str) -> None:
    out = ok(service, "columns_to_rows", {"source": sales, "id_columns": "region,product",
                                          "key_name": "month", "value_name": "amount",
                                          "target": "sales_long"})

    assert out == {"rows_read": "2", "rows_written": "5"}
    assert rows(service.warehouse_path, "SELECT * FROM sales_long ORDER BY ALL") == [
        ("eu", "a", "feb", 2), ("eu", "a", "jan", 1),
        ("us", "b", "feb", 5), ("us", "b", "jan", 4), ("us", "b", "mar", 6)]


def test_nulls_are_kept_when_asked_and_mixed_types_become_text(
        service: BatchService, sales: str) -> None:
    run = use_and_run(service, "columns_to_rows", {
        "source": sales, "value_columns": ["product", "mar"], "include_nulls": True,
        "target": "mixed"})

    assert run.state == RunState.SUCCESS, report(service, run)
    assert ("the value columns have different types (INTEGER, VARCHAR): their values are "
            "written as text") in report(service, run)
    assert rows(service.warehouse_path, "SELECT * FROM mixed ORDER BY ALL") == [
        ("eu", 1, 2, "mar", None), ("eu", 1, 2, "product", "a"),
        ("us", 4, 5, "mar", "6"), ("us", 4, 5, "product", "b")]


def test_rows_to_columns_turns_the_unpivoted_rows_back_into_the_same_table(
        service: BatchService, sales: str) -> None:
    ok(service, "columns_to_rows", {"source": sales, "id_columns": ["region", "product"],
                                    "target": "sales_long"})
    out = ok(service, "rows_to_columns", {"source": "sales_long", "key_column": "key",
                                          "value_column": "value",
                                          "columns": ["jan", "feb", "mar"],
                                          "target": "sales_again", "mode": "replace"})

    assert out == {"rows_read": "5", "rows_written": "2", "columns": "jan,feb,mar"}
    assert rows(service.warehouse_path, "SELECT * FROM sales_again ORDER BY region") == SALES


def test_rows_to_columns_combines_repeated_keys_and_reads_queries_and_files(
        service: BatchService, tmp_path: Path) -> None:
    csv = tmp_path / "visits.csv"
    csv.write_text("page,day,visits\nhome,mon,3\nhome,mon,4\nhome,tue,1\nshop,tue,2\n",
                   encoding="utf-8")
    from_file = ok(service, "rows_to_columns", {
        "source": str(csv), "key_column": "day", "value_column": "visits",
        "aggregate": "sum", "target": "visits"})
    assert from_file == {"rows_read": "4", "rows_written": "2", "columns": "mon,tue"}
    assert rows(service.warehouse_path, "SELECT * FROM visits ORDER BY page") == [
        ("home", 7, 1), ("shop", None, 2)]

    ok(service, "rows_to_columns", {
        "source": "SELECT page, 'total' AS k, coalesce(mon, 0) + tue AS v FROM visits",
        "key_column": "k", "value_column": "v", "target": "totals"})
    assert rows(service.warehouse_path, "SELECT * FROM totals ORDER BY page") == [
        ("home", 8), ("shop", 2)]


def test_overwrite_keeps_the_table_and_append_adds(service: BatchService, sales: str) -> None:
    params = {"source": sales, "id_columns": ["region"], "value_columns": ["jan"],
              "target": "jan"}
    ok(service, "columns_to_rows", params)
    ok(service, "columns_to_rows", params)
    assert rows(service.warehouse_path, "SELECT count(*) FROM jan") == [(2,)]
    ok(service, "columns_to_rows", {**params, "mode": "append"})
    assert rows(service.warehouse_path, "SELECT count(*) FROM jan") == [(4,)]


def test_a_column_the_source_lacks_or_a_missing_table_fails_with_its_name(
        service: BatchService, sales: str) -> None:
    missing_column = use_and_run(service, "columns_to_rows", {
        "source": sales, "id_columns": ["region", "country"], "target": "x"})
    missing_table = use_and_run(service, "rows_to_columns", {
        "source": "nowhere", "key_column": "k", "value_column": "v", "target": "x"})

    assert missing_column.state == RunState.FAILED
    assert report(service, missing_column)[-1] == (
        "error: id_columns: the source has no column 'country' (columns: region, product, "
        "jan, feb, mar)")
    assert missing_table.state == RunState.FAILED
    assert report(service, missing_table)[-1] == "error: the warehouse has no table 'nowhere'"
    assert rows(service.warehouse_path, "SELECT count(*) FROM duckdb_tables() "
                                        "WHERE table_name = 'x'") == [(0,)]
