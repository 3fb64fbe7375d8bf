"""table_export: write a warehouse table or query to CSV, Parquet or JSON-lines at a
local path or any fsspec URL, optionally Hive-partitioned.

The warehouse writes the file itself (DuckDB's ``COPY``) into the task's working folder;
the result is then copied to the target — the same way whether the target is a local
path or ``s3://``, ``gs://``... (a backend beyond local files is an extra:
``pip install 'jupyter-batch[s3]'``). Without ``partition_by`` the target is one file;
with it, a folder holding ``col=value/`` folders (``year=2026/month=11/data_0.parquet``),
whose files replace those of the same name (partitions not in this export are kept).
The warehouse is only read, so exports run side by side. A file target holds what its
name says: the format of its extension unless ``format`` is given (one that names no
format is refused before the export is saved, rather than a Parquet file written under
that name), tab-separated for ``.tsv``, compressed for a CSV or JSON-lines name ending
in ``.gz`` or ``.zst``.

Outputs: ``rows``, ``files``, ``bytes``.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_batch.library import runtime
from jupyter_batch.library.transfer import Location, copy_file
from jupyter_batch.model.program import Param, Program
from jupyter_batch.warehouse.options import EXTENSIONS, file_name, format_of

FORMATS = ("parquet", "csv", "jsonl")
#: DuckDB's COPY options per format
_COPY = {"parquet": "FORMAT parquet", "csv": "FORMAT csv, HEADER true",
         "jsonl": "FORMAT json"}
#: compressions a CSV or JSON-lines file's name may end in, as DuckDB's COPY names them
_COMPRESSIONS = {"gz": "gzip", "zst": "zstd"}


def _compression(target: str) -> str | None:
    """The compression ending of a file target's name (``gz`` of ``orders.csv.gz``)."""
    parts = file_name(target).lower().split(".")
    return parts[-1] if len(parts) > 1 and parts[0] and parts[-1] in _COMPRESSIONS else None


def _rules(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A file target (no ``partition_by``) whose extension names no format, when no
    ``format`` is given; a compressed name for a Parquet file."""
    target = values["target"]
    if values["partition_by"] or not target:
        return []
    fmt = values["format"] or format_of(target)
    compression = _compression(target)
    if compression and fmt == "parquet":
        return [("target", f"a .{compression} name says a compressed CSV or JSON-lines file; "
                           "Parquet compresses inside the file: end the name in .parquet, "
                           "or give the format csv or jsonl")]
    stem, dot, extension = file_name(target).rpartition(".")
    if fmt is not None or not (stem and dot and extension):
        return []
    known = ", ".join(f".{e}" for e in EXTENSIONS)
    return [("target", f"the extension .{extension} names no format this program writes "
                       f"(extensions: {known}; a CSV or JSON-lines one may add .gz or .zst)"
                       f": change it, or give the format ({', '.join(FORMATS)})")]


def _file_options(target: str, fmt: str) -> str:
    """DuckDB's COPY options a file target's name asks for beyond its format."""
    options = ""
    compression = _compression(target)
    parts = file_name(target).lower().split(".")
    if compression:
        options += f", COMPRESSION {_COMPRESSIONS[compression]}"
        parts.pop()
    if fmt == "csv" and len(parts) > 1 and parts[-1] == "tsv":
        options += ", DELIMITER '\t'"
    return options


PROGRAM = Program(
    name="table_export",
    title="Table export",
    description="Write a warehouse table or query to CSV, Parquet or JSON-lines at a local "
                "path or any fsspec URL (S3, GCS, Azure...), optionally Hive-partitioned by "
                "columns.",
    params=(
        *runtime.source_params("the rows to export"),
        Param("target", "string", required=True,
              help="where to write: a file (local path or fsspec URL), or the folder of the "
                   "partitions with partition_by"),
        Param("format", "string", choices=FORMATS,
              help="the file format (default: from the target's extension, else parquet)"),
        Param("partition_by", "list",
              help="columns to Hive-partition by: one col=value folder level each"),
        runtime.storage_param("target_options", "the target"),
    ),
    example={"source": "SELECT * FROM orders WHERE day = '2026-11-20'",
             "target": "s3://exports/orders/", "format": "parquet",
             "partition_by": ["day"]},
    rules=_rules,
)


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export(p: Mapping[str, Any]) -> dict[str, object]:
    fmt = p["format"] or (format_of(p["target"]) if format_of(p["target"]) in FORMATS
                          else "parquet")
    target = Location(p["target"], runtime.json_object(p["target_options"]))
    with runtime.open_warehouse(read_only=True) as con, \
            tempfile.TemporaryDirectory(prefix="export-", dir=".") as folder:
        source = runtime.source_sql(con, p["source"], p["source_options"])
        partitions = runtime.pick(p["partition_by"] or [], runtime.columns_of(con, source),
                                  "partition_by")
        written = Path(folder) / ("parts" if partitions else f"export.{fmt}")
        options = _COPY[fmt] + (f", PARTITION_BY ({runtime.column_list(partitions)})"
                                if partitions else _file_options(p["target"], fmt))
        rows = con.execute(f"COPY (SELECT * FROM {source}) TO {_literal(written)} "
                           f"({options})").fetchone()[0]
        runtime.say(f"exported {rows} row{'s' * (rows != 1)} as {fmt}"
                    + (f", partitioned by {', '.join(partitions)}" if partitions else ""))
        local = Location(str(written))
        files = local.files()
        size = 0
        for path in files:
            size += copy_file(local, path, target, path if partitions else "")
            runtime.say(f"wrote {path if partitions else 'the file'} to {p['target']}")
    return {"rows": rows, "files": len(files), "bytes": size}


if __name__ == "__main__":
    sys.exit(runtime.main(PROGRAM, export))
