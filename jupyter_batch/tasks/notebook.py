"""``notebook``: an ``ipynb`` resource executed with papermill, one executed notebook
kept per attempt.

Parameters are injected the papermill way (a cell after the one tagged
``parameters``): the workflow's, the task's and the run's parameters by name, outputs
of upstream tasks as ``<task>_<key>``, and the built-in variables as ``batch_ds``,
``batch_run_id``, ... . Inside the kernel the ``BATCH_*`` environment is set as for
every task, so ``jupyter_batch.task.set_output`` works.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import replace

from ..model.process import ProcessSpec
from ..model.task_spec import OptionSpec, TaskTypeSpec
from ..model.workflow import Task
from .base import TaskContext, TaskType

RUNNER = "jupyter_batch.tasks.notebook_runner"

SPEC = TaskTypeSpec(
    name="notebook",
    summary="executes an ipynb resource with papermill",
    bodies=("resource",),
    formats=("ipynb",),
    options=(OptionSpec("kernel", "str", help="kernel name (default python3)"),),
)

#: kernels a warm fork server can serve: ipykernel in this very Python
WARM_KERNELS = frozenset({"python3"})


def parameter_name(name: str) -> str:
    """A Python identifier for a parameter name (``clean.rows`` → ``clean_rows``)."""
    ident = re.sub(r"\W", "_", name)
    return ident if ident.isidentifier() and not keyword.iskeyword(ident) else f"p_{ident}"


class NotebookTask(TaskType):
    spec = SPEC

    def build(self, ctx: TaskContext) -> ProcessSpec:
        assert ctx.resource_path is not None
        kernel = ctx.task.options.get("kernel") or "python3"
        parameters: dict[str, object] = {f"batch_{k}": v for k, v in ctx.builtins.items()}
        parameters.update({parameter_name(k): v for k, v in ctx.params.items()})
        job = {"input": str(ctx.resource_path), "output": str(ctx.output_path),
               "parameters": parameters, "kernel": kernel}
        # ensure_ascii=False: paths stay verbatim, so an executor can find them in argv
        spec = self.process(ctx, [ctx.python, "-m", RUNNER, json.dumps(job, ensure_ascii=False)])
        return replace(spec, warm_module=self.warm_module(ctx.task), job=job,
                       returns=(ctx.output_path,))

    def warm_module(self, task: Task) -> str | None:
        return RUNNER if (task.options.get("kernel") or "python3") in WARM_KERNELS else None
