"""sql tasks as a user meets them: statements on the warehouse in one transaction,
parameters bound (never pasted in), Hive SQL translated — or refused naming what cannot
be — and a log that shows each statement with its row count. Every test runs twice:
with the task run locally, and on a Dask worker."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from jupyter_batch.model.states import RunState, TaskState
from jupyter_batch.service import BatchService
from tests import engine_fixtures
from tests.warehouse.support import log, rows, run_tasks, sql

service = engine_fixtures.service_on_each_executor

INJECTION = "x'; DROP TABLE t; --"


def test_a_parameter_is_bound_as_a_value_never_pasted_into_the_sql(
        service: BatchService) -> None:
    run = run_tasks(service, sql("setup", "CREATE TABLE t (v VARCHAR, day DATE)"),
                    sql("insert", "INSERT INTO t VALUES ($name, $ds);\n"
                                  "SELECT * FROM t WHERE v = $name AND day = $ds"),
                    params={"name": INJECTION})
    assert run.state == RunState.SUCCESS, log(service, run, "insert")
    assert rows(service.warehouse_path, "SELECT v, CAST(day AS VARCHAR) FROM t") == [
        (INJECTION, "2026-11-20")]
    text = log(service, run, "insert")
    assert "-> 1 row returned" in text
    assert run.task("insert").outputs == {"statements": "2", "rows": "1"}


def test_statements_run_in_order_and_the_log_shows_each_with_its_row_count(
        service: BatchService) -> None:
    service.add_resource("build.sql", b"CREATE TABLE sales (region VARCHAR, amount INTEGER);\n"
                                      b"INSERT INTO sales VALUES ('eu', 3), ('eu', 4), "
                                      b"('us', 5);\n"
                                      b"UPDATE sales SET amount = amount * 10\n"
                                      b"  WHERE region = $region;\n"
                                      b"SELECT region, sum(amount) AS total FROM sales\n"
                                      b"  GROUP BY region ORDER BY region;\n")
    run = run_tasks(service, {"id": "build", "type": "sql", "resource": "build.sql"},
                    params={"region": "eu"})
    text = log(service, run, "build")
    assert run.state == RunState.SUCCESS, text
    assert "statement 1 (line 1):\n    CREATE TABLE sales" in text
    assert "statement 2 (line 2):\n    INSERT INTO sales VALUES" in text
    assert "  -> 3 rows changed" in text
    assert "statement 3 (line 3):\n    UPDATE sales SET amount = amount * 10\n" \
           "      WHERE region = $region" in text
    assert "  -> 2 rows changed" in text
    assert "statement 4 (line 5):" in text
    assert "  -> 2 rows returned" in text
    assert "    region | total\n    eu | 70\n    us | 5" in text
    assert run.task("build").outputs == {"statements": "4", "rows": "2"}


def test_a_failing_statement_fails_the_task_and_rolls_back_its_earlier_statements(
        service: BatchService) -> None:
    first = run_tasks(service, sql("setup", "CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1)"))
    assert first.state == RunState.SUCCESS
    run = run_tasks(service, sql("change", "INSERT INTO t VALUES (2);\n"
                                           "CREATE TABLE u (x INTEGER);\n"
                                           "INSERT INTO missing VALUES (3);\n"
                                           "INSERT INTO t VALUES (4)"))
    task = run.task("change")
    assert (run.state, task.state, task.exit_code) == (RunState.FAILED, TaskState.FAILED, 1)
    text = log(service, run, "change")
    assert "statement 3 (line 3):\n    INSERT INTO missing VALUES (3)" in text
    assert "error: statement 3 (line 3) failed: Catalog Error: Table with name missing" in text
    assert "rolled back" in text
    assert "statement 4" not in text
    assert rows(service.warehouse_path, "SELECT n FROM t") == [(1,)]
    assert rows(service.warehouse_path,
                "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'u'") == [(0,)]


def test_an_unknown_parameter_fails_before_any_statement_runs(service: BatchService) -> None:
    run = run_tasks(service, sql("q", "CREATE TABLE t (v VARCHAR);\n"
                                      "INSERT INTO t VALUES ($nope)"), params={"region": "eu"})
    text = log(service, run, "q")
    assert run.state == RunState.FAILED
    assert "statement 2 (line 2) uses $nope, which is neither a built-in variable nor a " \
           "parameter" in text
    assert "$region" in text and "$ds" in text
    assert "statement 1 (line 1):" not in text
    assert not service.warehouse_path.exists() or rows(
        service.warehouse_path, "SELECT count(*) FROM duckdb_tables()") == [(0,)]


def test_transaction_statements_and_positional_parameters_are_refused(
        service: BatchService) -> None:
    run = run_tasks(service, sql("tx", "BEGIN; SELECT 1; COMMIT"), sql("pos", "SELECT $1"),
                    chained=False)
    assert run.task("tx").state == run.task("pos").state == TaskState.FAILED
    assert "'BEGIN' is not allowed: a task's statements already run in one transaction" \
        in log(service, run, "tx")
    assert "positional parameters ($1, ?) are not supported" in log(service, run, "pos")


def test_hql_is_translated_and_the_log_shows_the_translation(service: BatchService) -> None:
    service.add_resource("report.hql", (
        b"SET hive.exec.dynamic.partition=true;\n"
        b"CREATE TABLE `orders` AS SELECT 1 AS id, 'eu' AS region, [10, 20] AS amounts\n"
        b"  UNION ALL SELECT 2, NULL, [30];\n"
        b"CREATE TABLE report (id INT, region STRING, amount INT);\n"
        b"INSERT OVERWRITE TABLE report\n"
        b"  SELECT id, NVL(region, ${hivevar:fallback}), amount\n"
        b"  FROM `orders` LATERAL VIEW explode(amounts) e AS amount;\n"))
    run = run_tasks(service, {"id": "report", "type": "sql", "resource": "report.hql"},
                    params={"fallback": "unknown"})
    text = log(service, run, "report")
    assert run.state == RunState.SUCCESS, text
    assert "statement 1 (line 1): skipped: a Hive session setting" in text
    assert 'CREATE TABLE "orders" AS' in text
    assert "DELETE FROM report" in text
    assert "INSERT INTO report SELECT id, COALESCE(region, $fallback), amount FROM " \
           '"orders" CROSS JOIN UNNEST(amounts) AS e(amount)' in text
    assert rows(service.warehouse_path, "SELECT * FROM report ORDER BY amount") == [
        (1, "eu", 10), (1, "eu", 20), (2, "unknown", 30)]


def test_hql_that_cannot_be_translated_fails_naming_the_construct_and_runs_nothing(
        service: BatchService) -> None:
    run = run_tasks(service, sql("ddl", "CREATE TABLE a (x INT);\n"
                                        "CREATE TABLE b (x INT) STORED AS ORC",
                                 dialect="hive"))
    text = log(service, run, "ddl")
    assert run.state == RunState.FAILED
    assert "error: hql statement 2 (line 2) cannot be translated to the warehouse's SQL: " \
           "STORED AS ORC is not supported\n    CREATE TABLE b (x INT) STORED AS ORC" in text
    assert "statement 1 (line 1):" not in text
    assert not service.warehouse_path.exists()


def test_a_task_waits_while_another_process_holds_the_warehouse(
        service: BatchService, tmp_path: Path) -> None:
    service.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1]); "
                               "print('held', flush=True); sys.stdin.read()",
         str(service.warehouse_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        run_id = service.prerun({"name": "w", "tasks": [sql("q", "CREATE TABLE t AS SELECT 1")]},
                                day="2026-11-20")
        deadline = time.monotonic() + 20
        while "waiting for the warehouse" not in _log_so_far(service, run_id, "q"):
            assert time.monotonic() < deadline, "the task never said it was waiting"
            time.sleep(0.05)
    finally:
        holder.communicate("")
    run = service.wait_run(run_id, timeout=60)
    assert run.state == RunState.SUCCESS, log(service, run, "q")
    assert "Conflicting lock" in log(service, run, "q")


def _log_so_far(service: BatchService, run_id: int, task: str) -> str:
    attempts = service.task_attempts(run_id, task)
    return service.read_log(run_id, task).text if attempts else ""
