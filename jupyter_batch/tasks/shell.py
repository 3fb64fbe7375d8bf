"""``shell``: an ``sh`` resource or an inline command, run by ``sh``.

Parameters reach the script only as environment variables; the command text is the
user's own and is never combined with parameter values.
"""

from ..model.process import ProcessSpec
from ..model.task_spec import TaskTypeSpec
from .base import TaskContext, TaskType

SPEC = TaskTypeSpec(
    name="shell",
    summary="runs an sh resource or an inline shell command",
    bodies=("resource", "command"),
    formats=("sh",),
)


class ShellTask(TaskType):
    spec = SPEC

    def build(self, ctx: TaskContext) -> ProcessSpec:
        if ctx.resource_path is not None:
            return self.process(ctx, ["sh", ctx.resource_file])
        return self.process(ctx, ["sh", "-c", ctx.task.command or ""])
