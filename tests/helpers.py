"""Plain helpers the tests share: the example workflow file and small document builders."""

from __future__ import annotations

import copy
import json
from typing import Any, NamedTuple

#: The author the ``service`` and ``cli`` fixtures act as (``$JUPYTER_BATCH_AUTHOR``).
AUTHOR = "tester"


class Result(NamedTuple):
    """What a ``jupyter batch`` subprocess did."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()

#: The workflow file of DESIGN.md ("Fixed contracts"), verbatim.
DESIGN_EXAMPLE_TEXT = """\
{
  "name": "daily_sales",
  "description": "Sales report for the day before",
  "params": {"region": "eu"},
  "schedule": {"cron": "0 2 * * *", "timezone": "Europe/Berlin", "catchup": "none"},
  "max_parallel": 4,
  "failure_strategy": "continue",
  "references": [{"id": "masterdata", "workflow": "master_sync", "timeout": 3600}],
  "tasks": [
    {"id": "extract", "type": "shell", "command": "echo extracting for $BATCH_DS"},
    {"id": "clean", "type": "python", "resource": "clean.py@2", "retries": 1, "timeout": 600},
    {"id": "report", "type": "notebook", "resource": "report.ipynb", "params": {"top": 10}}
  ],
  "relations": [
    {"from": "masterdata", "to": "extract"},
    {"from": "extract", "to": "clean"},
    {"from": "clean", "to": "report", "rerun": false}
  ]
}
"""


def master_sync() -> dict[str, Any]:
    """The workflow the DESIGN.md example references: it must be stored (and published)
    before a workflow referencing it validates."""
    return workflow_doc("master_sync", tasks=[shell("sync")])


def design_example() -> dict[str, Any]:
    """A fresh copy of the DESIGN.md example as a JSON object."""
    return json.loads(DESIGN_EXAMPLE_TEXT)


def canonical(doc: Any) -> str:
    """How a workflow file is written: two-space JSON and a final newline."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def shell(task_id: str, command: str = "true", **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "type": "shell", "command": command, **fields}


def workflow_doc(name: str = "wf", tasks: list[dict[str, Any]] | None = None,
                 relations: list[tuple[str, str]] | None = None, **fields: Any) -> dict[str, Any]:
    """A small workflow file: shell tasks ``a -> b`` unless ``tasks`` are given (then no
    relations unless ``relations`` are given too)."""
    if relations is None:
        relations = [("a", "b")] if tasks is None else []
    if tasks is None:
        tasks = [shell("a"), shell("b")]
    doc: dict[str, Any] = {"name": name, **copy.deepcopy(fields), "tasks": copy.deepcopy(tasks)}
    if relations:
        doc["relations"] = [{"from": u, "to": v} for u, v in relations]
    return doc
