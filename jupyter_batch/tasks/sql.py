"""``sql``: statements from a ``sql`` or ``hql`` (Hive) resource, or inline, on the warehouse."""

from ..model.task_spec import OptionSpec, TaskTypeSpec

SPEC = TaskTypeSpec(
    name="sql",
    summary="runs SQL (or Hive SQL) statements on the warehouse",
    bodies=("resource", "code"),
    formats=("sql", "hql"),
    options=(OptionSpec("dialect", "str", help="dialect of inline code",
                        choices=("duckdb", "hive")),),
)
