"""What the warehouse tests share: tasks run through the real service and engine, and a
look into the warehouse file they wrote."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import duckdb

from jupyter_batch.model.records import Run
from jupyter_batch.service import BatchService

DAY = "2026-11-20"


def run_tasks(svc: BatchService, *tasks: dict[str, Any], params: dict[str, Any] | None = None,
              day: str = DAY, chained: bool = True) -> Run:
    """Pre-run a workflow of ``tasks`` (each after the one before it, when ``chained``)
    and wait for it."""
    doc: dict[str, Any] = {"name": "warehouse_test", "tasks": list(tasks)}
    if params:
        doc["params"] = params
    if chained and len(tasks) > 1:
        doc["relations"] = [{"from": a["id"], "to": b["id"]}
                            for a, b in itertools.pairwise(tasks)]
    return svc.wait_run(svc.prerun(doc, day=day), timeout=120)


def log(svc: BatchService, run: Run, task: str) -> str:
    return svc.read_log(run.id, task).text


def sql(task_id: str, code: str, **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "type": "sql", "code": code, **fields}


def sync(task_id: str, source: dict[str, Any], target: str, **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "type": "sync", "source": source, "target": target, **fields}


def rows(path: Path, query: str) -> list[tuple[Any, ...]]:
    """What ``query`` returns from the warehouse file at ``path``."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(query).fetchall()


def column_types(path: Path, table: str) -> dict[str, str]:
    return dict(rows(path, f"SELECT column_name, data_type FROM duckdb_columns() "
                           f"WHERE table_name = '{table}' ORDER BY column_index"))
