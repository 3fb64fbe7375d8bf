"""``python``: a ``py`` resource or inline code, run by a configurable interpreter."""

from ..model.task_spec import OptionSpec, TaskTypeSpec

SPEC = TaskTypeSpec(
    name="python",
    summary="runs a py resource or inline Python code",
    bodies=("resource", "code", "args"),
    formats=("py",),
    options=(OptionSpec("interpreter", "str", help="the Python to run (default: the server's)"),),
)
