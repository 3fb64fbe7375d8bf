"""A sync task's options, checked: where from, where to, and how.

``source`` is a file — ``{"path": "<local path or fsspec URL>", "format": "csv" |
"parquet" | "jsonl", "storage_options": {...}}``, the format read off the extension when
not given — or a database SQLAlchemy reaches — ``{"url": "<SQLAlchemy URL>", "table":
"[schema.]name"}`` or ``{"url": ..., "query": "SELECT ..."}``. ``mode`` is overwrite
(the default), append, incremental (needs ``watermark``; with ``key`` its new rows are
upserted) or upsert (needs ``key``). The task-file validation checks each field's type;
this checks how the fields go together, with a message naming what to change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInput
from .names import TableName, writable

MODES = ("overwrite", "append", "incremental", "upsert")
FORMATS = ("csv", "parquet", "jsonl")
#: the format each file extension says (``format_of``)
EXTENSIONS = {"csv": "csv", "tsv": "csv", "parquet": "parquet", "pq": "parquet",
              "jsonl": "jsonl", "ndjson": "jsonl"}
_COMPRESSION = ("gz", "zst")


@dataclass(frozen=True)
class FileSource:
    path: str
    format: str
    storage_options: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.format} file {self.path}"


@dataclass(frozen=True)
class DatabaseSource:
    url: str
    table: str | None = None
    query: str | None = None

    def __str__(self) -> str:
        from sqlalchemy.engine import make_url

        where = make_url(self.url).render_as_string(hide_password=True)
        return f"table {self.table} of {where}" if self.table else f"a query on {where}"


@dataclass(frozen=True)
class SyncOptions:
    source: FileSource | DatabaseSource
    target: TableName
    mode: str = "overwrite"
    key: tuple[str, ...] = ()
    watermark: str | None = None


def file_name(path: str) -> str:
    """The last part of a path or URL: of the first part of a chained fsspec URL
    (``zip://x.csv::archive.zip``), without a URL's query."""
    return path.split("::", 1)[0].split("?", 1)[0].rsplit("/", 1)[-1]


def format_of(path: str) -> str | None:
    """The format a file's extension says (see ``file_name``)."""
    parts = file_name(path).lower().split(".")
    while len(parts) > 2 and parts[-1] in _COMPRESSION:
        parts.pop()
    return EXTENSIONS.get(parts[-1]) if len(parts) > 1 else None


def _keys(source: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(source) - allowed)
    if extra:
        raise InvalidInput(f"source: unknown field {extra[0]!r} (this source takes "
                           f"{', '.join(sorted(allowed))})")


def _source(source: Any) -> FileSource | DatabaseSource:
    if not isinstance(source, Mapping) or ("path" in source) == ("url" in source):
        raise InvalidInput("source must be {'path': ..., 'format': ...} (a file) or "
                           "{'url': ..., 'table' or 'query': ...} (a database)")
    if "path" in source:
        _keys(source, {"path", "format", "storage_options"})
        path, fmt = str(source["path"]), source.get("format") or format_of(str(source["path"]))
        if fmt not in FORMATS:
            raise InvalidInput(f"source: say the format of {path!r}: 'format' is one of "
                               f"{', '.join(FORMATS)}")
        storage = source.get("storage_options") or {}
        if not isinstance(storage, Mapping):
            raise InvalidInput("source.storage_options must be an object (fsspec options)")
        return FileSource(path, fmt, dict(storage))
    _keys(source, {"url", "table", "query"})
    if ("table" in source) == ("query" in source):
        raise InvalidInput("a database source names either 'table' or 'query'")
    return DatabaseSource(str(source["url"]), source.get("table"), source.get("query"))


def parse_options(options: Mapping[str, Any]) -> SyncOptions:
    """The checked options of a sync task; InvalidInput says what does not go together."""
    source = _source(options.get("source"))
    if not options.get("target"):
        raise InvalidInput("target: name the warehouse table to write")
    target = writable(str(options["target"]))
    mode = options.get("mode") or "overwrite"
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    key = tuple(options.get("key") or ())
    watermark = options.get("watermark")
    if mode == "upsert" and not key:
        raise InvalidInput("mode upsert needs 'key': the columns that identify a row")
    if mode == "incremental" and not watermark:
        raise InvalidInput("mode incremental needs 'watermark': the column whose growing "
                           "value tells new rows from those already copied")
    if key and mode not in ("upsert", "incremental"):
        raise InvalidInput(f"'key' is for modes upsert and incremental, not {mode}")
    if watermark and mode != "incremental":
        raise InvalidInput(f"'watermark' is for mode incremental, not {mode}")
    return SyncOptions(source, target, mode, key, watermark)
