"""``app``: an external program with an argument list. A ``jar`` resource runs with
``java -jar``; ``sh``/``py`` resources with their interpreter; an archive is unpacked
and ``args[0]`` names the program inside it (or on ``PATH``)."""

from ..errors import InvalidInput
from ..model.process import ProcessSpec
from ..model.resource import ARCHIVE_FORMATS, parse_ref
from ..model.task_spec import TaskTypeSpec
from .base import TaskContext, TaskType

SPEC = TaskTypeSpec(
    name="app",
    summary="runs an external program (argument list), or a jar with java -jar",
    bodies=("resource", "args"),
    formats=("jar", "zip", "tar", "tar.gz", "sh", "py"),
    exclusive=(),
)


class AppTask(TaskType):
    spec = SPEC

    def build(self, ctx: TaskContext) -> ProcessSpec:
        args = self.args(ctx)
        fmt = parse_ref(ctx.task.resource).format if ctx.task.resource else None
        if ctx.resource_path is None or fmt in ARCHIVE_FORMATS:
            if not args:
                raise InvalidInput("an app task needs 'args' naming the program to run")
            # only a resource can have put the program in the (fresh) working directory
            if (ctx.task.resource or ctx.task.files) and not args[0].startswith("/"):
                program = ctx.workdir / args[0]
                if program.is_file():
                    args[0] = str(program)
            return self.process(ctx, args)
        launcher = {"jar": ["java", "-jar"], "sh": ["sh"], "py": [ctx.python]}[fmt or ""]
        return self.process(ctx, [*launcher, ctx.resource_file, *args])
