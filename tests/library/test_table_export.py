"""table_export run for real: a warehouse table or query written as Parquet, CSV or
JSON-lines to a local folder and to a real S3-compatible server on loopback, whole or
Hive-partitioned — and read back."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import duckdb
import pytest

from jupyter_batch.errors import InvalidWorkflow
from jupyter_batch.model.states import RunState
from jupyter_batch.service import BatchService
from tests.library.conftest import S3
from tests.library.support import log, outputs, report, rows, run, seed, use, use_and_run

ORDERS = [(1, "2026-11-19", "eu", 12.5), (2, "2026-11-19", "us", 7.25),
          (3, "2026-11-20", "eu", 3.0)]


@pytest.fixture
def orders(service: BatchService) -> str:
    seed(service.warehouse_path,
         "CREATE TABLE orders (id INTEGER, day VARCHAR, region VARCHAR, amount DOUBLE)",
         "INSERT INTO orders VALUES (1, '2026-11-19', 'eu', 12.5), "
         "(2, '2026-11-19', 'us', 7.25), (3, '2026-11-20', 'eu', 3.0)")
    return "orders"


def export(service: BatchService, **params: object) -> dict[str, str]:
    run = use_and_run(service, "table_export", params)
    assert run.state == RunState.SUCCESS, report(service, run)
    return outputs(run)


def read(query: str) -> list[tuple[object, ...]]:
    with duckdb.connect() as con:
        return con.execute(query).fetchall()


def test_a_table_to_a_parquet_file_and_a_query_to_csv(service: BatchService, orders: str,
                                                      tmp_path: Path) -> None:
    parquet = tmp_path / "out" / "orders.parquet"
    assert export(service, source=orders, target=str(parquet))["rows"] == "3"
    assert read(f"SELECT * FROM '{parquet}' ORDER BY id") == ORDERS

    csv = tmp_path / "out" / "eu.csv"
    out = export(service, source=f"SELECT id, amount FROM {orders} WHERE region = 'eu'",
                 target=str(csv))
    assert out["rows"] == "2" and out["files"] == "1"
    assert csv.read_text(encoding="utf-8") == "id,amount\n1,12.5\n3,3.0\n"

    jsonl = tmp_path / "out" / "orders.data"
    export(service, source=orders, target=str(jsonl), format="jsonl")
    assert jsonl.read_text(encoding="utf-8").splitlines()[0] == (
        '{"id":1,"day":"2026-11-19","region":"eu","amount":12.5}')


def test_hive_partitioned_by_columns(service: BatchService, orders: str,
                                     tmp_path: Path) -> None:
    folder = tmp_path / "lake" / "orders"
    out = export(service, source=orders, target=str(folder), partition_by="day,region")

    assert out["files"] == "3"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet")) == [
        "day=2026-11-19/region=eu/data_0.parquet", "day=2026-11-19/region=us/data_0.parquet",
        "day=2026-11-20/region=eu/data_0.parquet"]
    assert read(f"SELECT id, CAST(day AS VARCHAR), region, amount FROM read_parquet("
                f"'{folder}/**/*.parquet', "
                "hive_partitioning = true) ORDER BY id") == ORDERS


def test_to_s3_whole_and_partitioned_then_read_back_by_another_program(
        service: BatchService, orders: str, s3: S3) -> None:
    export(service, source=orders, target=s3.url("exports/orders.parquet"),
           target_options=s3.options)
    export(service, source=orders, target=s3.url("lake/orders"), partition_by=["region"],
           format="csv", target_options=s3.options)

    fs = s3.fs()
    assert sorted(fs.find(f"{s3.bucket}/lake/orders")) == [
        f"{s3.bucket}/lake/orders/region=eu/data_0.csv",
        f"{s3.bucket}/lake/orders/region=us/data_0.csv"]
    assert fs.cat(f"{s3.bucket}/lake/orders/region=us/data_0.csv") == (
        b"id,day,amount\n2,2026-11-19,7.25\n")
    # the exported file is a source for the other programs, at the same URL
    run = use_and_run(service, "columns_to_rows", {
        "source": s3.url("exports/orders.parquet"), "source_options": s3.options,
        "id_columns": ["id"], "value_columns": ["region"], "target": "regions"})
    assert run.state == RunState.SUCCESS, report(service, run)
    assert rows(service.warehouse_path, "SELECT * FROM regions ORDER BY id") == [
        (1, "region", "eu"), (2, "region", "us"), (3, "region", "eu")]


def test_a_partition_column_the_source_lacks_fails_before_writing(
        service: BatchService, orders: str, tmp_path: Path) -> None:
    run = use_and_run(service, "table_export", {"source": orders, "target": str(tmp_path / "x"),
                                                "partition_by": "country"})
    assert run.state == RunState.FAILED
    assert report(service, run)[-1] == ("error: partition_by: the source has no column "
                                        "'country' (columns: id, day, region, amount)")
    assert not (tmp_path / "x").exists()


def test_a_target_whose_extension_names_no_format_is_refused_unless_a_format_is_given(
        service: BatchService, orders: str, tmp_path: Path) -> None:
    xlsx = tmp_path / "out" / "orders.xlsx"
    with pytest.raises(InvalidWorkflow) as refused:
        use(service, "table_export", {"source": orders, "target": str(xlsx)})
    assert [(p.where, p.message) for p in refused.value.problems] == [
        ("params.target", "the extension .xlsx names no format this program writes "
                          "(extensions: .csv, .tsv, .parquet, .pq, .jsonl, .ndjson; a CSV or "
                          "JSON-lines one may add .gz or .zst): change it, or give the format "
                          "(parquet, csv, jsonl)")]
    assert service.list_workflows() == []

    # a run's params reach the program too: it checks them again before writing
    saved = use(service, "table_export", {"source": orders,
                                          "target": str(tmp_path / "out" / "orders.csv")})
    failed = run(service, saved, params={"target": str(xlsx)})
    assert failed.state == RunState.FAILED
    assert "params.target: the extension .xlsx names no format" in log(service, failed)
    assert not (tmp_path / "out").exists()

    # a format given says what the file holds, whatever its name
    export(service, source=orders, target=str(xlsx), format="csv")
    assert xlsx.read_text(encoding="utf-8").splitlines()[0] == "id,day,region,amount"


def test_a_file_holds_what_its_name_says_tab_separated_or_compressed(
        service: BatchService, orders: str, tmp_path: Path) -> None:
    tsv, gz, zst = (tmp_path / name for name in ("orders.tsv", "orders.csv.gz",
                                                 "orders.jsonl.zst"))
    for target in (tsv, gz, zst):
        export(service, source=orders, target=str(target))

    assert tsv.read_text(encoding="utf-8").splitlines()[:2] == [
        "id\tday\tregion\tamount", "1\t2026-11-19\teu\t12.5"]
    assert gzip.decompress(gz.read_bytes()).decode().splitlines()[1] == "1,2026-11-19,eu,12.5"
    as_dates = [(i, date.fromisoformat(d), r, a) for i, d, r, a in ORDERS]
    assert read(f"SELECT * FROM read_csv('{gz}') ORDER BY id") == as_dates
    assert zst.read_bytes()[:4] == b"\x28\xb5\x2f\xfd", "a zstd frame"
    assert read(f"SELECT * FROM read_json('{zst}', format = 'newline_delimited') "
                "ORDER BY id") == as_dates

    with pytest.raises(InvalidWorkflow, match="Parquet compresses inside the file"):
        use(service, "table_export", {"source": orders,
                                      "target": str(tmp_path / "orders.parquet.gz")})
