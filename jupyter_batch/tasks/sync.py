"""``sync``: copy data from an external source (files or a database) into a warehouse table.

The copy runs in its own process (``jupyter_batch.warehouse.sync_runner``, which
documents the modes, the one transaction and the outputs). The options are checked here
first, so a task that cannot work fails before a process starts; they reach the process
in the environment, not argv (which the log shows), since a source URL may hold a
password.
"""

import json
from dataclasses import replace

from ..model.process import ProcessSpec
from ..model.task_spec import OptionSpec, TaskTypeSpec
from ..model.variables import expand
from ..warehouse.job import SYNC_ENV, VALUES_ENV
from ..warehouse.options import parse_options
from .base import TaskContext, TaskType

SPEC = TaskTypeSpec(
    name="sync",
    summary="copies a file or database table into a warehouse table",
    bodies=(),
    body_optional=True,
    options=(
        OptionSpec("source", "object", required=True,
                   help="{'path': local path or fsspec URL (${ds} placeholders expanded), "
                        "'format': csv|parquet|jsonl, 'storage_options': {...}} or "
                        "{'url': SQLAlchemy URL, 'table' or 'query' (with :name "
                        "parameters)}"),
        OptionSpec("target", "str", required=True, help="warehouse table to write"),
        OptionSpec("mode", "str", choices=("overwrite", "append", "incremental", "upsert"),
                   help="how rows are written (default overwrite)"),
        OptionSpec("key", "str_list", help="key columns for upsert (and incremental upsert)"),
        OptionSpec("watermark", "str", help="column that orders rows for incremental"),
    ),
)


class SyncTask(TaskType):
    spec = SPEC

    def build(self, ctx: TaskContext) -> ProcessSpec:
        options = {o.name: ctx.task.options[o.name] for o in SPEC.options
                   if o.name in ctx.task.options}
        source = options.get("source")
        if isinstance(source, dict) and "path" in source:
            options["source"] = {**source, "path": expand(str(source["path"]), ctx.values)}
        parse_options(options)
        spec = self.process(ctx, [ctx.python, "-u", "-m", "jupyter_batch.warehouse.sync_runner"])
        return replace(spec, env={**ctx.env, VALUES_ENV: json.dumps(ctx.values),
                                  SYNC_ENV: json.dumps(options)})
