"""The task-type registry: built-ins registered explicitly, plugins through the
``jupyter_batch.task_types`` entry-point group (value: ``module:SPEC_OR_CLASS``)."""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points

from ..errors import NotFound
from ..model.task_spec import TaskTypeSpec

ENTRY_POINT_GROUP = "jupyter_batch.task_types"

BUILTIN: dict[str, str] = {
    "shell": "jupyter_batch.tasks.shell",
    "python": "jupyter_batch.tasks.python",
    "app": "jupyter_batch.tasks.app",
    "notebook": "jupyter_batch.tasks.notebook",
    "sql": "jupyter_batch.tasks.sql",
    "sync": "jupyter_batch.tasks.sync",
}


@cache
def specs() -> dict[str, TaskTypeSpec]:
    """Every known task type's spec, built-ins first, then plugins by entry point name."""
    found = {name: importlib.import_module(module).SPEC for name, module in BUILTIN.items()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in found:
            loaded = ep.load()
            found[ep.name] = getattr(loaded, "SPEC", loaded)
    return found


def spec(name: str) -> TaskTypeSpec:
    try:
        return specs()[name]
    except KeyError:
        raise NotFound(f"unknown task type {name!r} (known types: "
                       f"{', '.join(sorted(specs()))})") from None
