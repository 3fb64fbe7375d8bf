"""``batch.library``: the built-in programs — list them, read one, turn one into a
workflow ("use the program"), or copy one into a resource of your own to change it::

    batch.library.list()
    wf = batch.library.use("columns_to_rows", workflow="sales_long",
                           params={"source": "sales", "id_columns": ["region"],
                                   "target": "sales_long"})
    wf.prerun().wait()
"""

from __future__ import annotations

from typing import Any

from ..library import program_name
from ..model import workflow as spec
from ..model.records import ResourceVersion
from .records import LibraryProgram, from_json
from .transport import Transport
from .workflow import Workflow


class Library:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def list(self) -> list[LibraryProgram]:
        """Every program, with the latest version of its resource."""
        return [from_json(LibraryProgram, p) for p in self.transport.library_programs()]

    def show(self, name: str) -> LibraryProgram:
        """One program, with every version of its resource and its latest script."""
        return from_json(LibraryProgram, self.transport.library_program(program_name(name)))

    def use(self, name: str, workflow: str, params: dict[str, Any] | None = None,
            schedule: str | dict[str, Any] | None = None, publish: bool = False) -> Workflow:
        """Save a new workflow ``workflow`` whose one task runs the program with
        ``params`` (checked first: InvalidWorkflow lists every bad one), on ``schedule``
        (a cron expression, or a schedule as the workflow file has it) and published if
        asked. Conflict when the workflow exists already."""
        body: dict[str, Any] = {"workflow": workflow, "params": params or {},
                                "publish": publish}
        if schedule is not None:
            body["schedule"] = {"cron": schedule} if isinstance(schedule, str) else schedule
        info = self.transport.use_library_program(program_name(name), body)
        return Workflow(self.transport, spec.load_workflow(info["draft"]), info)

    def copy(self, name: str, new_name: str) -> ResourceVersion:
        """Copy the program's latest script into a new resource ``new_name`` (``.py``),
        to change as you like; its first version."""
        reply = self.transport.copy_library_program(program_name(name), new_name)
        return from_json(ResourceVersion, reply["versions"][0])
