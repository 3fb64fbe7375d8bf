"""The program a ``sync`` task runs: copy a source into a warehouse table, in one
transaction.

    python -m jupyter_batch.warehouse.sync_runner

It reads the task's options from ``JUPYTER_BATCH_SYNC`` and its built-in variables and
parameters from ``JUPYTER_BATCH_VALUES`` (see ``job``; ``options`` says what the options
mean). The source is read into a staging table first; then the target is checked and
written (``load``) and, for an incremental sync, the new watermark stored
(``watermarks``) — all in one transaction on the warehouse, so a sync that fails at any
point leaves the target table (and its watermark) exactly as they were.

Log: the source, rows read, rows written. Outputs: ``rows_read``, ``rows_written``
(for upserts also ``rows_inserted`` and ``rows_updated``) and, for an incremental sync,
``watermark``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidInput
from . import job, staging, watermarks
from .databases import stage_database
from .files import stage_file
from .load import target_columns, write
from .names import quote
from .options import FileSource, SyncOptions, parse_options


def _since(con: Any, options: SyncOptions) -> Any:
    """The last watermark, for an incremental sync into a table that still exists."""
    if options.mode != "incremental" or options.watermark is None:
        return None
    columns = {n.lower(): t for n, t in (target_columns(con, options.target) or {}).items()}
    return watermarks.last(con, options.target, options.watermark,
                           columns.get(options.watermark.lower()))


def _stage(con: Any, options: SyncOptions, values: Mapping[str, str], since: Any
           ) -> tuple[int, list[staging.Column]]:
    """Read the source into the staging table: (rows read, the staged columns), the rows
    not newer than ``since`` already left out."""
    if isinstance(options.source, FileSource):
        stage_file(con, options.source)
        untyped: frozenset[str] = frozenset()
    else:
        untyped = stage_database(con, options.source, values, options.watermark, since)
    read = staging.count(con)
    columns = staging.staged_columns(con, untyped)
    if options.watermark and options.watermark.lower() not in {c.name.lower() for c in columns}:
        raise InvalidInput(f"the watermark column {options.watermark!r} is not a column of the "
                           f"source (columns: {', '.join(c.name for c in columns)})")
    if since is not None and isinstance(options.source, FileSource):
        staging.keep_newer(con, options.watermark or "", since)
    return read, columns


def sync(con: Any, options: SyncOptions, values: Mapping[str, str]) -> dict[str, object]:
    """Copy the source into the target in one transaction; return the outputs."""
    job.say(f"sync {options.source} into {options.target} (mode {options.mode})")
    con.execute("BEGIN TRANSACTION")
    try:
        since = _since(con, options)
        if since is not None:
            job.say(f"copying rows whose {options.watermark} is after {since}")
        read, columns = _stage(con, options, values, since)
        job.say(f"read {read} row{'s' * (read != 1)} from the source")
        written = write(con, options.target, options.mode, options.key, columns)
        outputs: dict[str, object] = {"rows_read": read, "rows_written": written.rows}
        detail = ""
        if options.key:
            outputs.update(rows_inserted=written.inserted, rows_updated=written.updated)
            detail = f" ({written.inserted} inserted, {written.updated} updated)"
        job.say(f"wrote {written.rows} row{'s' * (written.rows != 1)} into "
                f"{options.target}{detail}")
        mark = _advance(con, options, since) if options.mode == "incremental" else None
        if mark is not None:
            outputs["watermark"] = mark
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return outputs


def _advance(con: Any, options: SyncOptions, since: Any) -> str | None:
    """Store the greatest watermark copied (the old one stays when nothing was new);
    return the watermark now in force."""
    column = options.watermark or ""
    newest = con.execute(f"SELECT CAST(max({quote(column)}) AS VARCHAR) "
                         f"FROM {staging.STAGING}").fetchone()[0]
    if newest is None:
        job.say(f"no new rows: the watermark stays {since}")
        return None if since is None else str(since)
    watermarks.store(con, options.target, column, newest)
    job.say(f"watermark {column} is now {newest}")
    return newest


def main() -> int:
    def body() -> dict[str, object]:
        options = parse_options(job.json_env(job.SYNC_ENV) or {})
        with job.open_warehouse() as con:
            return sync(con, options, job.values())

    return job.run(body)


if __name__ == "__main__":
    sys.exit(main())
