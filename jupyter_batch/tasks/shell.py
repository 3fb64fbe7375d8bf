"""``shell``: an ``sh`` resource or an inline command, run by ``sh``."""

from ..model.task_spec import TaskTypeSpec

SPEC = TaskTypeSpec(
    name="shell",
    summary="runs an sh resource or an inline shell command",
    bodies=("resource", "command"),
    formats=("sh",),
)
