"""``app``: an external program with an argument list; a ``jar`` resource runs with
``java -jar``, an archive is unpacked and ``args`` names the program inside it."""

from ..model.task_spec import TaskTypeSpec

SPEC = TaskTypeSpec(
    name="app",
    summary="runs an external program (argument list), or a jar with java -jar",
    bodies=("resource", "args"),
    formats=("jar", "zip", "tar", "tar.gz", "sh", "py"),
    exclusive=(),
)
