"""``sync``: copy data from an external source (files or a database) into a warehouse table."""

from ..model.task_spec import OptionSpec, TaskTypeSpec

SPEC = TaskTypeSpec(
    name="sync",
    summary="copies a file or database table into a warehouse table",
    bodies=(),
    body_optional=True,
    options=(
        OptionSpec("source", "object", required=True,
                   help="{'path': URL, 'format': csv|parquet|jsonl} or {'url': SQLAlchemy URL, "
                        "'table' or 'query'}"),
        OptionSpec("target", "str", required=True, help="warehouse table to write"),
        OptionSpec("mode", "str", choices=("overwrite", "append", "incremental", "upsert"),
                   help="how rows are written (default overwrite)"),
        OptionSpec("key", "str_list", help="key columns for upsert"),
        OptionSpec("watermark", "str", help="column that orders rows for incremental"),
    ),
)
