"""``notebook``: an ``ipynb`` resource executed with papermill, one executed notebook
kept per attempt.

Parameters are injected the papermill way (a cell after the one tagged
``parameters``): the workflow's, the task's and the run's parameters by name, outputs
of upstream tasks as ``<task>_<key>``, and the built-in variables as ``batch_ds``,
``batch_run_id``, ... . Inside the kernel the ``BATCH_*`` environment is set as for
every task, so ``jupyter_batch.task.set_output`` works.

The kernel is the task's ``kernel`` option, else the one the notebook names in its
metadata (``kernelspec.name``, as papermill does), else python3 — which the log then
says. Only a python3 notebook may run on a kernel a fork server started ahead of need.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import replace
from pathlib import Path

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
    options=(OptionSpec("kernel", "str", help="kernel name (default: the notebook's own "
                                              "kernelspec, python3 when it names none)"),),
)

#: the kernel of a notebook whose metadata names none
DEFAULT_KERNEL = "python3"
#: kernels a warm fork server can serve: ipykernel in this very Python
WARM_KERNELS = frozenset({DEFAULT_KERNEL})


def parameter_name(name: str) -> str:
    """A Python identifier for a parameter name (``clean.rows`` → ``clean_rows``)."""
    ident = re.sub(r"\W", "_", name)
    return ident if ident.isidentifier() and not keyword.iskeyword(ident) else f"p_{ident}"


def notebook_kernel(path: Path) -> str | None:
    """The kernel a notebook names in its metadata (``kernelspec.name``), or None when it
    names none (or cannot be read: papermill then says why)."""
    try:
        with open(path, encoding="utf-8") as f:
            metadata = json.load(f).get("metadata")
        name = metadata["kernelspec"]["name"]
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return None
    if not isinstance(name, str) or not name.strip():
        return None
    return name.strip()


class NotebookTask(TaskType):
    spec = SPEC

    def build(self, ctx: TaskContext) -> ProcessSpec:
        assert ctx.resource_path is not None
        kernel = ctx.task.options.get("kernel") or notebook_kernel(ctx.resource_path)
        parameters: dict[str, object] = {f"batch_{k}": v for k, v in ctx.builtins.items()}
        parameters.update({parameter_name(k): v for k, v in ctx.params.items()})
        job = {"input": str(ctx.resource_path), "output": str(ctx.output_path),
               "parameters": parameters, "kernel": kernel or DEFAULT_KERNEL,
               "kernel_default": kernel is None}
        # ensure_ascii=False: paths stay verbatim, so an executor can find them in argv
        spec = self.process(ctx, [ctx.python, "-m", RUNNER, json.dumps(job, ensure_ascii=False)])
        warm = RUNNER if job["kernel"] in WARM_KERNELS else None
        return replace(spec, warm_module=warm, job=job, returns=(ctx.output_path,))

    def warm_module(self, task: Task) -> str | None:
        """Before a run the notebooks are not read: a task without a ``kernel`` option is
        taken for a python3 one, as most are. ``build`` decides for each attempt, from
        the notebook, whether a warm kernel may run it."""
        return RUNNER if (task.options.get("kernel") or DEFAULT_KERNEL) in WARM_KERNELS else None
