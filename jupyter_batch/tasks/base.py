"""The task-type contract: a type turns a task into a process to run.

No task code runs in the engine's process: a type only *describes* the process
(``ProcessSpec``); an executor runs it. The lifecycle (materialise the working
directory, build, run, collect outputs, turn any error into a failed result) is owned
by the engine, so a type implements only ``build``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from ..model.process import Limits, ProcessSpec
from ..model.task_spec import TaskTypeSpec
from ..model.workflow import Task


@dataclass(frozen=True)
class TaskContext:
    """Everything a task type needs to describe its process for one attempt."""

    task: Task
    workdir: Path
    log_path: Path
    #: environment: inherited + BATCH_* built-ins + BATCH_PARAM_* parameters
    env: dict[str, str]
    #: name → value of every built-in variable and parameter, for ``${...}`` in args
    values: dict[str, str]
    #: the built-in variables (``ds``, ``run_id``, ...) and the parameters, typed
    builtins: dict[str, str]
    params: dict[str, Any]
    #: main resource's path in ``workdir`` (None for inline tasks)
    resource_path: Path | None
    limits: Limits
    python: str
    #: where a notebook task writes its executed notebook
    output_path: Path
    #: the warehouse (a DuckDB file) that sql and sync tasks use
    warehouse: Path

    @property
    def resource_file(self) -> str:
        """The main resource's path as its process names it, relative to ``workdir``
        (``clean.py``; ``library/file_sync.py`` for a library program)."""
        assert self.resource_path is not None
        return self.resource_path.relative_to(self.workdir).as_posix()


class TaskType:
    """Base of every task type; subclasses set ``spec`` and implement ``build``."""

    spec: ClassVar[TaskTypeSpec]

    def build(self, ctx: TaskContext) -> ProcessSpec:
        raise NotImplementedError

    def warm_module(self, task: Task) -> str | None:
        """The fork-server module that can run this task warm (see executors), if any."""
        return None

    def args(self, ctx: TaskContext) -> list[str]:
        """The task's ``args`` with ``${...}`` placeholders expanded, element by element."""
        from ..model.variables import expand

        return [expand(a, ctx.values) for a in ctx.task.args or []]

    def process(self, ctx: TaskContext, argv: list[str]) -> ProcessSpec:
        return ProcessSpec(argv=argv, cwd=ctx.workdir, log_path=ctx.log_path, env=ctx.env,
                           limits=ctx.limits)
