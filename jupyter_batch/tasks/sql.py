"""``sql``: statements from a ``sql`` or ``hql`` (Hive) resource, or inline, on the warehouse.

The statements run in their own process (``jupyter_batch.warehouse.sql_runner``, which
documents the transaction, the ``$name`` parameters and the Hive translation); the
task's built-in variables and parameters reach it as data, never inside the SQL text.
"""

import json
from dataclasses import replace

from ..model.process import ProcessSpec
from ..model.resource import parse_ref
from ..model.task_spec import OptionSpec, TaskTypeSpec
from ..warehouse.job import VALUES_ENV
from .base import TaskContext, TaskType

SPEC = TaskTypeSpec(
    name="sql",
    summary="runs SQL (or Hive SQL) statements on the warehouse",
    bodies=("resource", "code"),
    formats=("sql", "hql"),
    options=(OptionSpec("dialect", "str", help="dialect of the statements (default: hive for "
                                               "an hql resource, else duckdb)",
                        choices=("duckdb", "hive")),),
)


class SqlTask(TaskType):
    spec = SPEC

    def build(self, ctx: TaskContext) -> ProcessSpec:
        fmt = parse_ref(ctx.task.resource).format if ctx.task.resource else None
        dialect = ctx.task.options.get("dialect") or ("hive" if fmt == "hql" else "duckdb")
        body = (f"--file={ctx.resource_file}" if ctx.resource_path is not None
                else f"--code={ctx.task.code or ''}")
        spec = self.process(ctx, [ctx.python, "-u", "-m", "jupyter_batch.warehouse.sql_runner",
                                  f"--dialect={dialect}", body])
        return replace(spec, env={**ctx.env, VALUES_ENV: json.dumps(ctx.values)})
