"""File sources: CSV, Parquet and JSON-lines, read by DuckDB itself — from a local path
directly, from any other fsspec URL (``s3://``, ``zip://x.csv::archive.zip``, ...)
through the fsspec filesystem registered with the connection. Types are DuckDB's: a
Parquet file's own, a CSV or JSON file's as DuckDB detects them."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidInput
from .options import FileSource
from .staging import STAGING

_READERS = {"csv": "read_csv($path)", "parquet": "read_parquet($path)",
            "jsonl": "read_json($path, format = 'newline_delimited')"}


def _duckdb_path(con: Any, source: FileSource) -> str:
    """The path DuckDB reads: local as it is, otherwise through a registered fsspec
    filesystem (whose missing backend is named)."""
    from fsspec.core import url_to_fs
    from fsspec.implementations.local import LocalFileSystem

    try:
        fs, path = url_to_fs(source.path, **source.storage_options)
    except ImportError as exc:
        raise InvalidInput(f"reading {source.path} needs a package that is not installed: "
                           f"{exc}") from None
    except ValueError as exc:
        raise InvalidInput(f"cannot read {source.path}: {exc}") from None
    if isinstance(fs, LocalFileSystem):
        return path
    con.register_filesystem(fs)
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return f"{protocol}://{path}"


def stage_file(con: Any, source: FileSource) -> None:
    """Read the whole file into the staging table."""
    path = _duckdb_path(con, source)
    con.execute(f"CREATE TEMP TABLE {STAGING} AS SELECT * FROM {_READERS[source.format]}",
                {"path": path})
