"""File sources: CSV, Parquet and JSON-lines, read by DuckDB itself — from a local path
directly, from any other fsspec URL (``s3://``, ``zip://x.csv::archive.zip``, ...)
through the fsspec filesystem registered with the connection. Types are DuckDB's: a
Parquet file's own, a CSV or JSON file's as DuckDB detects them."""

from __future__ import annotations

from typing import Any

from .options import FileSource
from .staging import STAGING
from .storage import filesystem, is_local

_READERS = {"csv": "read_csv($path)", "parquet": "read_parquet($path)",
            "jsonl": "read_json($path, format = 'newline_delimited')"}


def _duckdb_path(con: Any, source: FileSource) -> str:
    """The path DuckDB reads: local as it is, otherwise through a registered fsspec
    filesystem (whose missing backend is named)."""
    fs, path = filesystem(source.path, source.storage_options)
    if is_local(fs):
        return path
    con.register_filesystem(fs)
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return f"{protocol}://{path}"


def stage_file(con: Any, source: FileSource, table: str = STAGING) -> None:
    """Read the whole file into the temporary ``table`` (the staging table by default)."""
    path = _duckdb_path(con, source)
    con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {_READERS[source.format]}",
                {"path": path})
