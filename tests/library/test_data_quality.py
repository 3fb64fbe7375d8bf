"""data_quality on a real warehouse table: every check passing, and every check failing
— each failure in the report, the task failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_batch.model.states import RunState
from jupyter_batch.service import BatchService
from tests.library.support import outputs, report, seed, use_and_run


@pytest.fixture
def orders(service: BatchService) -> str:
    seed(service.warehouse_path,
         "CREATE SCHEMA shop",
         "CREATE TABLE shop.orders (id INTEGER, line INTEGER, customer VARCHAR, "
         "status VARCHAR)",
         "INSERT INTO shop.orders VALUES (1, 1, 'ann', 'open'), (1, 2, 'ann', 'paid'), "
         "(2, 1, 'bob', 'shipped'), (3, 1, NULL, 'paid')")
    return "shop.orders"


def test_every_check_passing_passes_the_task(service: BatchService, orders: str) -> None:
    run = use_and_run(service, "data_quality", {
        "source": orders, "min_rows": 1, "max_rows": 10,
        "max_null_ratio": ["id=0", "customer=0.25"], "unique_keys": ["id+line"],
        "accepted_values": ["status=open|paid|shipped"]})

    lines = report(service, run)
    assert run.state == RunState.SUCCESS, lines
    assert lines == [
        "data quality of shop.orders: 5 checks on 4 rows",
        "  pass  between 1 and 10 rows (4 rows)",
        "  pass  NULLs in id at most 0 (0 of 4 rows (0.00%))",
        "  pass  NULLs in customer at most 0.25 (1 of 4 rows (25.00%))",
        "  pass  id+line unique",
        "  pass  status in open|paid|shipped",
        "all 5 checks passed"]
    assert outputs(run) == {"checks": "5", "rows": "4"}


def test_every_failing_check_is_in_the_report_and_fails_the_task(
        service: BatchService, orders: str) -> None:
    run = use_and_run(service, "data_quality", {
        "source": orders, "min_rows": 5,
        "max_null_ratio": "customer=0.1,email=0", "unique_keys": "id,customer+status",
        "accepted_values": "status=open|paid"})

    lines = report(service, run)
    assert run.state == RunState.FAILED
    assert run.tasks[0].exit_code == 1
    assert lines[0] == "data quality of shop.orders: 6 checks on 4 rows"
    assert lines[1:7] == [
        "  FAIL  at least 5 rows: 4 rows, fewer than 5",
        "  FAIL  NULLs in customer at most 0.1: 1 of 4 rows (25.00%)",
        "  FAIL  NULLs in email at most 0: the source has no column 'email' (columns: id, "
        "line, customer, status)",
        "  FAIL  id unique: 1 key occurs more than once: 1",
        "  pass  customer+status unique",
        "  FAIL  status in open|paid: 1 row with other values: 'shipped' (1)"]
    assert lines[7] == ("error: 5 of 6 data quality checks failed: at least 5 rows; NULLs in "
                        "customer at most 0.1; NULLs in email at most 0; id unique; status in "
                        "open|paid")
    assert outputs(run) == {}


def test_a_query_or_a_file_can_be_checked_too(service: BatchService, orders: str,
                                             tmp_path: Path) -> None:
    csv = tmp_path / "scores.csv"
    csv.write_text("name,score\nann,3\nbob,\n", encoding="utf-8")
    by_query = use_and_run(service, "data_quality", {
        "source": f"SELECT * FROM {orders} WHERE status = 'paid'", "max_rows": 1})
    by_file = use_and_run(service, "data_quality", {
        "source": str(csv), "max_null_ratio": ["score=0.5"], "min_rows": 2})

    assert by_query.state == RunState.FAILED
    assert "  FAIL  at most 1 row: 2 rows, more than 1" in report(service, by_query)
    assert by_file.state == RunState.SUCCESS, report(service, by_file)
