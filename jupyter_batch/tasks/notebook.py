"""``notebook``: an ``ipynb`` resource executed with papermill, one output per attempt."""

from ..model.task_spec import OptionSpec, TaskTypeSpec

SPEC = TaskTypeSpec(
    name="notebook",
    summary="executes an ipynb resource with papermill",
    bodies=("resource",),
    formats=("ipynb",),
    options=(OptionSpec("kernel", "str", help="kernel name (default python3)"),),
)
