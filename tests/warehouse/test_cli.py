"""``jupyter batch warehouse tables|preview|query`` through real subprocesses: aligned
tables for people, ``--json`` for scripts, and each error as one line with exit 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.helpers import Result

Cli = Callable[..., Result]
BAD_INPUT = 2


@pytest.fixture
def filled(data_dir: Path) -> Path:
    """A warehouse in the state folder, as sync and sql tasks leave it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE orders (id INTEGER, customer VARCHAR, day DATE); "
                    "INSERT INTO orders VALUES (1, 'ann', '2026-11-20'), (2, NULL, '2026-11-21'), "
                    "(3, 'cy', '2026-11-21')")
        con.execute("CREATE SCHEMA sales; CREATE TABLE sales.totals AS SELECT 12.5 AS total")
        con.execute("CREATE SCHEMA _batch; CREATE TABLE _batch.watermarks (target VARCHAR)")
    return path


def one_error(result: Result, expected: str) -> None:
    assert (result.code, result.out) == (BAD_INPUT, ""), result
    assert result.err_lines == [f"error: {expected}"], result.err


def test_an_empty_warehouse_says_what_fills_it(cli: Cli) -> None:
    result = cli("warehouse", "tables")
    assert (result.code, result.out) == (
        0, "the warehouse has no tables yet: a sync or sql task creates them\n"), result.err
    assert cli("warehouse", "tables", "--json").json() == []


@pytest.mark.usefixtures("filled")
def test_tables_lists_names_and_row_counts(cli: Cli) -> None:
    result = cli("warehouse", "tables")
    assert result.out == "TABLE         ROWS\norders        3\nsales.totals  1\n", result.err
    assert cli("warehouse", "tables", "--json").json() == [
        {"name": "orders", "rows": 3}, {"name": "sales.totals", "rows": 1}]


@pytest.mark.usefixtures("filled")
def test_preview_shows_the_first_rows(cli: Cli) -> None:
    result = cli("warehouse", "preview", "orders", "--limit", "2")
    assert result.out == ("id  customer  day\n"
                          "1   ann       2026-11-20\n"
                          "2   -         2026-11-21\n"
                          "(the first 2 rows; --limit shows more)\n"), result.err
    assert cli("warehouse", "preview", "sales.totals", "--json").json() == {
        "columns": ["total"], "rows": [["12.5"]], "truncated": False,
        "types": ["DECIMAL(3,1)"]}


@pytest.mark.usefixtures("filled")
def test_query_runs_one_read_only_statement(cli: Cli) -> None:
    result = cli("warehouse", "query", "SELECT day, count(*) AS n FROM orders "
                                       "GROUP BY day ORDER BY day", "--json")
    assert result.json() == {"columns": ["day", "n"],
                             "rows": [["2026-11-20", 1], ["2026-11-21", 2]],
                             "truncated": False, "types": ["DATE", "BIGINT"]}


@pytest.mark.usefixtures("filled")
def test_errors_are_one_line_with_exit_2(cli: Cli, filled: Path) -> None:
    one_error(cli("warehouse", "preview", "nope"),
              "the warehouse has no table 'nope' (see 'jupyter batch warehouse tables')")
    one_error(cli("warehouse", "query", "DELETE FROM orders"),
              "only a SELECT, WITH, SHOW or DESCRIBE query can run here, not DELETE; "
              "change the warehouse with a sql task")
    one_error(cli("warehouse", "query", "EXPLAIN SELECT 1"),
              "only a SELECT, WITH, SHOW or DESCRIBE query can run here, not EXPLAIN; "
              "change the warehouse with a sql task")
    one_error(cli("warehouse", "query", "SELECT * FROM nope"),
              "the query failed: Catalog Error: Table with name nope does not exist! "
              "Did you mean \"orders\"?")
    one_error(cli("warehouse", "preview", "orders", "--limit", "0"),
              "limit must be 1..10000, not 0")
    with duckdb.connect(str(filled), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM orders").fetchone() == (3,)
