"""A sync task's options checked as a whole, and the rule for which source types fit an
existing column."""

from __future__ import annotations

import re
from typing import Any

import pytest

from jupyter_batch.errors import InvalidInput
from jupyter_batch.warehouse.coltypes import fits
from jupyter_batch.warehouse.names import TableName
from jupyter_batch.warehouse.options import DatabaseSource, FileSource, parse_options


@pytest.mark.parametrize(("path", "fmt"), [
    ("/data/x.csv", "csv"), ("s3://bucket/x.parquet", "parquet"), ("x.jsonl.gz", "jsonl"),
    ("x.tsv", "csv"), ("zip://a.pq::/tmp/a.zip", "parquet"),
    ("https://h/x.csv?sig=a.b", "csv")])
def test_a_files_format_is_read_off_its_extension(path: str, fmt: str) -> None:
    assert parse_options({"source": {"path": path}, "target": "t"}).source.format == fmt


def test_the_defaults_and_a_database_source() -> None:
    options = parse_options({"source": {"url": "sqlite:///x.db", "query": "SELECT 1"},
                             "target": "sales.t", "mode": "incremental",
                             "watermark": "at", "key": ["id"]})
    assert options.source == DatabaseSource("sqlite:///x.db", query="SELECT 1")
    assert (options.target, options.key) == (TableName("sales", "t"), ("id",))
    assert parse_options({"source": {"path": "x.csv"}, "target": "t"}).mode == "overwrite"
    assert parse_options({"source": {"path": "x", "format": "csv"},
                          "target": "t"}).source == FileSource("x", "csv")


@pytest.mark.parametrize(("options", "message"), [
    ({"source": {"path": "x.csv", "url": "sqlite://"}, "target": "t"}, "source must be"),
    ({"source": {"path": "x.xlsx"}, "target": "t"}, "say the format of 'x.xlsx'"),
    ({"source": {"path": "x.csv", "sep": ";"}, "target": "t"}, "unknown field 'sep'"),
    ({"source": {"url": "sqlite://"}, "target": "t"}, "either 'table' or 'query'"),
    ({"source": {"path": "x.csv"}, "target": ""}, "name the warehouse table"),
    ({"source": {"path": "x.csv"}, "target": "a."}, "TABLE or SCHEMA.TABLE"),
    ({"source": {"path": "x.csv"}, "target": "t", "mode": "merge"}, "mode must be one of"),
    ({"source": {"path": "x.csv"}, "target": "t", "key": ["id"]}, "'key' is for modes"),
])
def test_options_that_do_not_go_together_are_refused(options: dict[str, Any],
                                                     message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)):
        parse_options(options)


@pytest.mark.parametrize(("source", "target", "expected"), [
    ("BIGINT", "BIGINT", True), ("INTEGER", "BIGINT", True), ("FLOAT", "DOUBLE", True),
    ("DATE", "TIMESTAMP", True), ("decimal(10,2)", "DECIMAL(10,2)", True),
    ("BIGINT", "INTEGER", False), ("DOUBLE", "DECIMAL(10,2)", False),
    ("VARCHAR", "BIGINT", False), ("BIGINT", "VARCHAR", False), ("BIGINT", "DOUBLE", False),
])
def test_a_source_type_fits_a_column_of_the_same_type_or_a_lossless_widening(
        source: str, target: str, expected: bool) -> None:
    assert fits(source, target) is expected
