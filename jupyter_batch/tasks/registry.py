"""The task-type registry: built-ins registered explicitly, plugins through the
``jupyter_batch.task_types`` entry-point group, whose value names a ``TaskType``
subclass (``package.module:MyTask``)."""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from ..errors import NotFound
from ..model.task_spec import TaskTypeSpec
from .base import TaskType

ENTRY_POINT_GROUP = "jupyter_batch.task_types"

#: name → module; each module has ``SPEC`` and (once it can run) a TaskType subclass
BUILTIN: dict[str, str] = {
    "shell": "jupyter_batch.tasks.shell:ShellTask",
    "python": "jupyter_batch.tasks.python:PythonTask",
    "app": "jupyter_batch.tasks.app:AppTask",
    "notebook": "jupyter_batch.tasks.notebook:NotebookTask",
    "sql": "jupyter_batch.tasks.sql:SqlTask",
    "sync": "jupyter_batch.tasks.sync:SyncTask",
}


def _load(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr, None) or module


@cache
def _types() -> dict[str, Any]:
    found = {name: _load(target) for name, target in BUILTIN.items()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in found:
            found[ep.name] = ep.load()
    return found


def specs() -> dict[str, TaskTypeSpec]:
    """Every known task type's spec, built-ins first, then plugins."""
    return {name: found.spec if hasattr(found, "spec") else found.SPEC
            for name, found in _types().items()}


def task_type(name: str) -> TaskType:
    """An instance of the task type ``name``; NotFound names the known ones."""
    found = _types().get(name)
    if found is None:
        raise NotFound(f"unknown task type {name!r} (known types: {', '.join(sorted(_types()))})")
    if not (isinstance(found, type) and issubclass(found, TaskType)):
        raise NotFound(f"task type {name!r} cannot run in this version of jupyter-batch")
    return found()
