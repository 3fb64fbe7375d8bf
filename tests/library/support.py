"""What the library tests share: a program used and run for real (a workflow saved
through the service, pre-run by the engine, its task a python process), and a look
into the warehouse around it."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import duckdb

from jupyter_batch.model.records import Run
from jupyter_batch.service import BatchService

DAY = "2026-11-20"
_names = itertools.count(1)


def use(svc: BatchService, program: str, params: dict[str, Any],
        workflow: str | None = None, **options: Any) -> str:
    """Use ``program`` ("use the program"): the name of the workflow saved."""
    name = workflow or f"{program}_{next(_names)}"
    svc.use_library_program(program, name, params, **options)
    return name


def run(svc: BatchService, workflow: str, params: dict[str, Any] | None = None) -> Run:
    """Pre-run the saved ``workflow`` (with run ``params``) and wait for it."""
    return svc.wait_run(svc.prerun(workflow, day=DAY, params=params), timeout=120)


def use_and_run(svc: BatchService, program: str, params: dict[str, Any]) -> Run:
    return run(svc, use(svc, program, params))


def log(svc: BatchService, run: Run) -> str:
    """The log of the run's one task."""
    return svc.read_log(run.id, run.tasks[0].task_id).text


def report(svc: BatchService, run: Run) -> list[str]:
    """What the program itself printed (the log without the engine's ``#`` lines)."""
    return [line for line in log(svc, run).splitlines() if not line.startswith("#")]


def outputs(run: Run) -> dict[str, str]:
    return run.tasks[0].outputs


def seed(path: Path, *statements: str) -> None:
    """Run ``statements`` on the warehouse file (while no task holds it)."""
    with duckdb.connect(str(path)) as con:
        for statement in statements:
            con.execute(statement)


def rows(path: Path, query: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(query).fetchall()
