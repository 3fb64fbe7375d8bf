"""Helpers for code running *inside* a task (python scripts, notebooks).

>>> from jupyter_batch.task import set_failure, set_output
>>> set_output("rows", 42)          # doctest: +SKIP
>>> set_failure("no rows for 2026-11-20")  # doctest: +SKIP

An output is a small named value stored with the task run; downstream tasks receive
it as the parameter ``<task>.<key>`` (``BATCH_PARAM_<TASK>_<KEY>``, ``${task.key}``).
Shell tasks do the same with ``echo "rows=42" >> "$BATCH_OUTPUT"``.
"""

from __future__ import annotations

import os
import re

from .model.variables import env_name

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def set_output(key: str, value: object) -> None:
    """Publish ``key=value`` for downstream tasks (one line; the last value of a key wins)."""
    if not _KEY.match(key):
        raise ValueError(f"output name {key!r} may use letters, digits and _ only")
    text = "true" if value is True else "false" if value is False else str(value)
    if "\n" in text or "\r" in text:
        raise ValueError(f"output {key!r} must be a single line")
    path = os.environ.get("BATCH_OUTPUT")
    if not path:
        raise RuntimeError("set_output works inside a jupyter-batch task (BATCH_OUTPUT is unset)")
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{key}={text}\n")


def set_failure(reason: str) -> None:
    """Say in one line why this task fails: its message then reads "exited with code 1
    after 2.0 s: <reason>" instead of the exit code alone. The task must still exit
    with an error; the last reason said wins. Shell tasks write the line to
    ``$BATCH_FAILURE``."""
    path = os.environ.get("BATCH_FAILURE")
    if not path:
        raise RuntimeError("set_failure works inside a jupyter-batch task (BATCH_FAILURE is "
                           "unset)")
    line = " ".join(str(reason).split())
    with open(path, "w", encoding="utf-8") as f:
        f.write(line + "\n")


def param(name: str, default: str | None = None) -> str | None:
    """A parameter of this task (``BATCH_PARAM_<NAME>``), or ``default``."""
    return os.environ.get(env_name(name), default)
