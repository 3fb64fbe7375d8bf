"""``python``: a ``py`` resource or inline code, run by a configurable interpreter, with
``args`` (placeholders expanded) as its arguments."""

from ..model.process import ProcessSpec
from ..model.task_spec import OptionSpec, TaskTypeSpec
from .base import TaskContext, TaskType

SPEC = TaskTypeSpec(
    name="python",
    summary="runs a py resource or inline Python code",
    bodies=("resource", "code", "args"),
    formats=("py",),
    options=(OptionSpec("interpreter", "str", help="the Python to run (default: the server's)"),),
)


class PythonTask(TaskType):
    spec = SPEC

    def build(self, ctx: TaskContext) -> ProcessSpec:
        python = ctx.task.options.get("interpreter") or ctx.python
        if ctx.resource_path is not None:
            main = [ctx.resource_file]
        elif ctx.task.code is not None:
            main = ["-c", ctx.task.code]
        else:
            main = []
        return self.process(ctx, [python, *main, *self.args(ctx)])
