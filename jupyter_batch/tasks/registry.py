"""The task-type registry: built-ins registered explicitly, plugins through the
``jupyter_batch.task_types`` entry-point group, whose value names a ``TaskType``
subclass (``package.module:MyTask``)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
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


class _Registry:
    """Built-ins load on first use; the entry-point scan (which reads every installed
    distribution's metadata, ~0.1 s) happens only when a name is not a built-in or when
    every type must be listed."""

    def __init__(self) -> None:
        self._loaded: dict[str, Any] = {}
        self._plugins: dict[str, Any] | None = None

    def plugins(self) -> dict[str, Any]:
        if self._plugins is None:
            from importlib.metadata import entry_points  # ~10 ms to import: only now

            self._plugins = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)
                             if ep.name not in BUILTIN}
        return self._plugins

    def get(self, name: str) -> Any | None:
        if name not in self._loaded:
            if name in BUILTIN:
                self._loaded[name] = _load(BUILTIN[name])
            elif name in self.plugins():
                self._loaded[name] = self.plugins()[name].load()
            else:
                return None
        return self._loaded[name]

    def names(self) -> list[str]:
        return [*BUILTIN, *self.plugins()]


_registry = _Registry()


def _spec_of(found: Any) -> TaskTypeSpec:
    return found.spec if hasattr(found, "spec") else found.SPEC


class TaskSpecs(Mapping[str, TaskTypeSpec]):
    """Every task type's spec, as a mapping that loads lazily."""

    def __getitem__(self, name: str) -> TaskTypeSpec:
        found = _registry.get(name)
        if found is None:
            raise KeyError(name)
        return _spec_of(found)

    def __iter__(self) -> Iterator[str]:
        return iter(_registry.names())

    def __len__(self) -> int:
        return len(_registry.names())


def specs() -> Mapping[str, TaskTypeSpec]:
    """Every known task type's spec, built-ins first, then plugins."""
    return TaskSpecs()


def task_type(name: str) -> TaskType:
    """An instance of the task type ``name``; NotFound names the known ones."""
    found = _registry.get(name)
    if found is None:
        raise NotFound(f"unknown task type {name!r} (known types: "
                       f"{', '.join(sorted(_registry.names()))})")
    if not (isinstance(found, type) and issubclass(found, TaskType)):
        raise NotFound(f"task type {name!r} cannot run in this version of jupyter-batch")
    return found()
